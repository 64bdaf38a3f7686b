-- mart_points_daily without the township, for queries without a township filter (see
-- mart_suggestion_district_daily). Built from the already-aggregated mart.
with daily as (
    select * from mart_points_daily
),

final as (
    select
        earned_on,
        levels,
        rule_id,
        cast(sum(events) as bigint) as events,
        cast(sum(points) as bigint) as points
    from daily
    group by all
)

select * from final
