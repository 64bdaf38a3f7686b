-- Livelihood projects with a year in the period, per township in scope (zero rows included).
with townships as (
    select * from dim_township
    where (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

projects as (
    select
        township_code,
        count(*) as projects,
        count(*) filter (where is_elected) as elected,
        count(*) filter (where is_elected and status = '已完成') as completed,
        avg(completion_pct) filter (where is_elected) as avg_completion_pct
    from fct_project
    where year between year($start::date) and year($end::date)
    group by 1
),

final as (
    select
        townships.township_code,
        townships.township_name,
        coalesce(projects.projects, 0) as projects,
        coalesce(projects.elected, 0) as elected,
        coalesce(projects.completed, 0) as completed,
        projects.avg_completion_pct,
        townships.sort_order
    from townships
    left join projects on projects.township_code = townships.township_code
)

select * exclude (sort_order) from final
order by sort_order
