-- One row per livelihood project.
with projects as (
    select * from stg_projects
),

final as (
    select * from projects
)

select * from final
order by year
