-- Handling units of the suggestions submitted in the period: volume, closed, on-time rate (answered by
-- the due date, of those whose timeliness is known) and satisfaction rate (of those evaluated).
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end
      and handling_unit is not null
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select
        handling_unit as unit,
        count(*) as suggestions,
        count(*) filter (where status = '已办结') as closed,
        count(*) filter (where is_on_time) / nullif(count(is_on_time), 0) as on_time_rate,
        count(*) filter (where satisfaction in ('满意', '基本满意'))
            / nullif(count(*) filter (where satisfaction in ('满意', '基本满意', '不满意')), 0)
            as satisfaction_rate
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, unit
