-- The years with home visits of the changed deputies (incremental_changed_deputies), from the snapshot
-- being built: the rows of mart_deputy_home_years that carry their township, levels and status.
with changed as (
    select deputy_id from incremental_changed_deputies
),

final as (
    select distinct cast(year(activity_date) as integer) as year
    from mart_deputy_home_days
    where deputy_id in (select deputy_id from changed)
)

select * from final
