-- Suggestions submitted in the period (all channels) by category, largest first.
with suggestions as (
    select * exclude (township_code) from mart_suggestion_daily
    where len($townships::varchar[]) > 0
      and list_contains($townships::varchar[], township_code)
      and submitted_on between $start and $end
    union all by name
    select * from mart_suggestion_district_daily
    where len($townships::varchar[]) = 0
      and submitted_on between $start and $end
),

final as (
    select category, cast(sum(suggestions) as bigint) as suggestions
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, category nulls last
