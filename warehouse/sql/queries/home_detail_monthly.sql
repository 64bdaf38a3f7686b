-- Activities and visitors at one place per month of the period, zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

measure as (
    select
        cast(date_trunc('month', activity_date) as date) as month,
        cast(sum(activities) as bigint) as activities,
        cast(sum(visitors) as bigint) as visitors
    from mart_activity_daily
    where home_id = $home_id and activity_date between $start and $end
    group by 1
),

final as (
    select
        months.month,
        coalesce(measure.activities, 0) as activities,
        coalesce(measure.visitors, 0) as visitors
    from months
    left join measure on measure.month = months.month
)

select * from final
order by month
