-- Suggestions submitted in the period (all channels) by status, in workflow order.
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
    select status, cast(sum(suggestions) as bigint) as suggestions
    from suggestions
    group by 1
)

select * from final
order by coalesce(
    list_position(['已提交', '已交办', '办理中', '已答复', '已办结', '不予立案'], status), 99
), status
