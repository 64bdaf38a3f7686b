-- mart_points_daily without the township, for queries without a township filter (see
-- mart_suggestion_district_daily). Built from the already-aggregated mart.
with daily as (
    select * from mart_points_daily
),

-- The build's county (build_region: the root county of a district build; NULL under a wider root,
-- where each row takes the county of its township).
root as (
    select district_code from build_region
),

final as (
    select
        coalesce(root.district_code, left(daily.township_code, 6)) as district_code,
        earned_on,
        levels,
        rule_id,
        cast(sum(events) as bigint) as events,
        cast(sum(points) as bigint) as points
    from daily
    cross join root
    group by all
)

select * from final
