-- Suggestions counted by day x township x every dimension the dashboard filters or groups them on: what the
-- suggestion queries read instead of fct_suggestion (a few thousand rows for a district, whatever the volume).
-- regulation is kept as a dimension so that "regulations consulted" stays a count(distinct) over the period.
with suggestions as (
    select * from fct_suggestion
),

final as (
    select
        submitted_on,
        township_code,
        channel,
        status,
        satisfaction,
        category,
        handling_unit,
        regulation,
        is_on_time,
        count(*) as suggestions
    from suggestions
    group by all
)

select * from final
