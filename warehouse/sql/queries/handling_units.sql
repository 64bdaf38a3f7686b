-- Handling units of the suggestions submitted in the period: volume, closed, on-time rate (answered by
-- the due date, of those whose timeliness is known) and satisfaction rate (of those evaluated).
with suggestions as (
    select * exclude (township_code) from mart_suggestion_daily
    where $township_grain
      and list_contains($townships::varchar[], township_code)
      and submitted_on between $start and $end
      and handling_unit is not null
    union all by name
    select * exclude (district_code) from mart_suggestion_district_daily
    where not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and submitted_on between $start and $end
      and handling_unit is not null
),

final as (
    select
        handling_unit as unit,
        cast(sum(suggestions) as bigint) as suggestions,
        cast(coalesce(sum(suggestions) filter (where status = '已办结'), 0) as bigint) as closed,
        cast(coalesce(sum(suggestions) filter (where is_on_time), 0) as bigint)
            / nullif(cast(coalesce(sum(suggestions) filter (where is_on_time is not null), 0) as bigint), 0)
            as on_time_rate,
        cast(coalesce(sum(suggestions) filter (where satisfaction in ('满意', '基本满意')), 0) as bigint)
            / nullif(cast(coalesce(sum(suggestions) filter (
                where satisfaction in ('满意', '基本满意', '不满意')
            ), 0) as bigint), 0)
            as satisfaction_rate
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, unit
