-- Absences without leave per deputy and day (days with at least one): the tie-breaker of the points
-- ranking. Sorted by date.
with participation as (
    select * from mart_deputy_daily
),

final as (
    select
        deputy_id,
        activity_date,
        cast(sum(absences) as bigint) as absences
    from participation
    where absences > 0
    group by all
)

select * from final
order by activity_date
