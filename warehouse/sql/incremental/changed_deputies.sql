-- The deputies (ids as the marts hold them) whose record the runs after the snapshot's anchor run
-- ($anchor) added or changed: their township, levels and status are on the rows of mart_points_daily
-- and mart_deputy_home_years.
with runs as (
    select run_id from etl_runs
    where started_at > (select started_at from etl_runs where run_id = $anchor)
),

final as (
    select distinct trim(deputy_id) as deputy_id
    from deputies
    where run_id in (select run_id from runs)
)

select * from final
order by deputy_id
