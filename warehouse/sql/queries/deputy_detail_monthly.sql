-- One deputy's attendances, absences and points per month of the period, zero-filled.
with months as (
    select cast(unnest(generate_series(
        date_trunc('month', $start::date), date_trunc('month', $end::date), interval 1 month
    )) as date) as month
),

participation as (
    select
        cast(date_trunc('month', activity_date) as date) as month,
        cast(sum(attendances) as bigint) as attendances,
        cast(sum(absences) as bigint) as absences
    from mart_deputy_daily
    where deputy_id = $deputy_id and activity_date between $start and $end
    group by 1
),

points as (
    select cast(date_trunc('month', earned_on) as date) as month, cast(sum(points) as bigint) as points
    from fct_points
    where deputy_id = $deputy_id and earned_on between $start and $end
    group by 1
),

final as (
    select
        months.month,
        coalesce(participation.attendances, 0) as attendances,
        coalesce(participation.absences, 0) as absences,
        coalesce(points.points, 0) as points
    from months
    left join participation on participation.month = months.month
    left join points on points.month = months.month
)

select * from final
order by month
