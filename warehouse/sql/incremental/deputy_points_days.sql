-- The days with points of the changed deputies (incremental_changed_deputies), from the snapshot being
-- built: the rows of mart_points_daily (and its district grain) that carry their township and levels.
with changed as (
    select deputy_id from incremental_changed_deputies
),

final as (
    select distinct earned_on as day
    from fct_points
    where deputy_id in (select deputy_id from changed)
)

select * from final
