-- mart_case_daily without the township, for queries without a township filter (see
-- mart_suggestion_district_daily). Built from the already-aggregated mart.
with daily as (
    select * from mart_case_daily
),

final as (
    select
        accepted_on,
        case_type,
        status,
        outcome,
        satisfaction,
        cast(sum(cases) as bigint) as cases
    from daily
    group by all
)

select * from final
