-- mart_suggestion_daily without the township: what the suggestion queries read when no township filter
-- applies. Where townships are many (a city or province platform), the township grain holds about one row
-- per suggestion; this one stays at days x dimension values. Built from the already-aggregated mart.
with daily as (
    select * from mart_suggestion_daily
),

-- The build's county (build_region: the root county of a district build; NULL under a wider root,
-- where each row takes the county of its township).
root as (
    select district_code from build_region
),

final as (
    select
        coalesce(root.district_code, left(daily.township_code, 6)) as district_code,
        submitted_on,
        channel,
        status,
        satisfaction,
        category,
        handling_unit,
        regulation,
        is_on_time,
        cast(sum(suggestions) as bigint) as suggestions
    from daily
    cross join root
    group by all
)

select * from final
