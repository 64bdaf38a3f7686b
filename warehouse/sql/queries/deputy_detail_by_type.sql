-- One deputy's attendances and absences in the period, by activity type.
with participation as (
    select * from mart_deputy_daily
    where deputy_id = $deputy_id and activity_date between $start and $end
),

final as (
    select activity_type, cast(sum(attendances) as bigint) as attendances, cast(sum(absences) as bigint) as absences
    from participation
    group by 1
)

select * from final
order by attendances desc, activity_type
