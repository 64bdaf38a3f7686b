-- Monthly points earned by the active deputies in scope (own township, levels), zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

deputies as (
    select deputy_id from dim_deputy
    where is_active
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
      and (len($deputy_levels::varchar[]) = 0
           or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
),

measure as (
    select cast(date_trunc('month', ledger.earned_on) as date) as month, cast(sum(ledger.points) as bigint) as value
    from fct_points as ledger
    inner join deputies on deputies.deputy_id = ledger.deputy_id
    where ledger.earned_on between $start and $end
    group by 1
),

final as (
    select months.month, coalesce(measure.value, 0) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
