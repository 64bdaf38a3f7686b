-- Participation per deputy x day x place level: the small table behind per-deputy KPIs
-- (home visit rate, absences in the points ranking), so queries never scan the wide mart.
with participation as (
    select * from mart_deputy_activity_daily
),

final as (
    select
        deputy_id,
        activity_date,
        home_level,
        is_at_home,
        cast(sum(attendances) as bigint) as attendances,
        cast(sum(absences) as bigint) as absences
    from participation
    group by all
)

select * from final
order by activity_date
