-- Monthly values of every measure of monthly_measures (activities, visitors, suggestions, petition_cases,
-- mediation_cases, points) for a period of whole months and one $township ('' = the root), zero-filled:
-- the answer of trend_*.sql for every measure at once, read from the precomputed months (warehouse/presets.py).
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

measures as (
    select * from monthly_measures
    where township_code = $township
      and month between $start and $end
),

final as (
    select
        months.month,
        cast(coalesce(measures.activities, 0) as bigint) as activities,
        cast(coalesce(measures.visitors, 0) as bigint) as visitors,
        cast(coalesce(measures.suggestions, 0) as bigint) as suggestions,
        cast(coalesce(measures.petition_cases, 0) as bigint) as petition_cases,
        cast(coalesce(measures.mediation_cases, 0) as bigint) as mediation_cases,
        cast(coalesce(measures.points, 0) as bigint) as points
    from months
    left join measures on measures.month = months.month
)

select * from final
order by month
