-- Suggestions submitted in the period (all channels) by status, in workflow order.
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
    select status, cast(sum(suggestions) as bigint) as suggestions
    from suggestions
    group by 1
)

select * from final
order by coalesce(
    list_position(['已提交', '已交办', '办理中', '已答复', '已办结', '不予立案'], status), 99
), status
