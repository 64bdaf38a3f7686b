-- Monthly values of one $measure (a column of monthly_measures: activities, visitors, suggestions,
-- petition_cases, mediation_cases, points) for a period of whole months and one $township ('' = the root),
-- zero-filled: the answer of trend_*.sql, read from the precomputed months (warehouse/presets.py).
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

measure as (
    select
        month,
        case $measure
            when 'activities' then activities
            when 'visitors' then visitors
            when 'suggestions' then suggestions
            when 'petition_cases' then petition_cases
            when 'mediation_cases' then mediation_cases
            when 'points' then points
        end as value
    from monthly_measures
    where township_code = $township
      and month between $start and $end
),

final as (
    select months.month, cast(coalesce(measure.value, 0) as bigint) as value
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
