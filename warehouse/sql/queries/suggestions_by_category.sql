-- Suggestions submitted in the period (all channels) by category, largest first.
with suggestions as (
    select * exclude (township_code) from mart_suggestion_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and submitted_on between $start and $end
    union all by name
    select * exclude (district_code) from mart_suggestion_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and submitted_on between $start and $end
),

final as (
    select category, cast(sum(suggestions) as bigint) as suggestions
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, category nulls last
