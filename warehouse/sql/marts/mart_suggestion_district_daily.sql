-- mart_suggestion_daily without the township: what the suggestion queries read when no township filter
-- applies. Where townships are many (a city or province platform), the township grain holds about one row
-- per suggestion; this one stays at days x dimension values. Built from the already-aggregated mart.
with daily as (
    select * from mart_suggestion_daily
),

final as (
    select
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
    group by all
)

select * from final
