-- Activities and visitors at one place in the period, by activity type.
with activity as (
    select * from mart_activity_daily
    where home_id = $home_id and activity_date between $start and $end
),

final as (
    select activity_type, cast(sum(activities) as bigint) as activities, cast(sum(visitors) as bigint) as visitors, cast(sum(attendances) as bigint) as attendances
    from activity
    group by 1
)

select * from final
order by activities desc, activity_type
