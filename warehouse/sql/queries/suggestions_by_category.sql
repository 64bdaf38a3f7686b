-- Suggestions submitted in the period (all channels) by category, largest first.
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select category, count(*) as suggestions
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, category nulls last
