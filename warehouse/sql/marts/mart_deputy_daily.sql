-- Participation per deputy x day x activity type x place level: the table per-deputy queries (home
-- visit rate, absences, deputy drill-down) and the points ledger read, sorted by date.
with participation as (
    select * from mart_deputy_activity_daily
),

final as (
    select
        deputy_id,
        activity_date,
        activity_type,
        home_level,
        is_at_home,
        cast(sum(attendances) as bigint) as attendances,
        cast(sum(absences) as bigint) as absences
    from participation
    group by all
)

select * from final
order by activity_date
