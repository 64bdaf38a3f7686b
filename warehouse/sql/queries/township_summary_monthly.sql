-- township_summary.sql for a period of whole months without level filters: the same rows, the period's
-- measures summed from the precomputed months (monthly_measures, warehouse/presets.py).
with townships as (
    select * from dim_township
    where (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

homes as (
    select township_code, count(*) as homes
    from dim_home
    where is_home
    group by 1
),

deputy_counts as (
    select township_code, count(*) as deputies
    from dim_deputy
    where is_active
    group by 1
),

measures as (
    select
        township_code,
        cast(sum(activities) as bigint) as activities,
        cast(sum(visitors) as bigint) as visitors,
        cast(sum(suggestions) as bigint) as suggestions,
        cast(sum(petition_cases) as bigint) as petition_cases,
        cast(sum(mediation_cases) as bigint) as mediation_cases,
        cast(sum(mediation_success) as bigint) as mediation_success,
        cast(sum(points) as bigint) as points
    from monthly_measures
    where township_code <> ''
      and month between $start and $end
    group by 1
),

final as (
    select
        townships.township_code,
        townships.township_name,
        coalesce(homes.homes, 0) as homes,
        coalesce(deputy_counts.deputies, 0) as deputies,
        coalesce(measures.activities, 0) as activities,
        coalesce(measures.visitors, 0) as visitors,
        coalesce(measures.suggestions, 0) as suggestions,
        coalesce(measures.petition_cases, 0) as petition_cases,
        coalesce(measures.mediation_cases, 0) as mediation_cases,
        coalesce(measures.mediation_success, 0) as mediation_success,
        coalesce(measures.points, 0) as points,
        townships.sort_order
    from townships
    left join homes on homes.township_code = townships.township_code
    left join deputy_counts on deputy_counts.township_code = townships.township_code
    left join measures on measures.township_code = townships.township_code
)

select * exclude (sort_order) from final
order by sort_order
