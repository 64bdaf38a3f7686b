-- Suggestions submitted in the period (all channels) by status, in workflow order.
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select status, count(*) as suggestions
    from suggestions
    group by 1
)

select * from final
order by coalesce(
    list_position(['已提交', '已交办', '办理中', '已答复', '已办结', '不予立案'], status), 99
), status
