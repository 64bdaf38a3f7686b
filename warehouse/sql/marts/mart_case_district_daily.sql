-- mart_case_daily without the township, for queries without a township filter (see
-- mart_suggestion_district_daily). Built from the already-aggregated mart.
with daily as (
    select * from mart_case_daily
),

-- The build's county (build_region: the root county of a district build; NULL under a wider root,
-- where each row takes the county of its township).
root as (
    select district_code from build_region
),

final as (
    select
        coalesce(root.district_code, left(daily.township_code, 6)) as district_code,
        accepted_on,
        case_type,
        status,
        outcome,
        satisfaction,
        cast(sum(cases) as bigint) as cases
    from daily
    cross join root
    group by all
)

select * from final
