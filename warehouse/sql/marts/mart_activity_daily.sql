-- Activities aggregated by day x place x type: what the dashboard reads instead of the facts.
with activities as (
    select * from fct_activity
),

-- The county of each row (see mart_suggestion_district_daily), so that a region filter finds the
-- activities without a township (standing-committee sessions, trainings) of its counties.
root as (
    select district_code from build_region
),

final as (
    select
        activity_date,
        home_id,
        township_code,
        coalesce(root.district_code, left(activities.township_code, 6)) as district_code,
        home_level,
        activity_type,
        is_at_home,
        count(*) as activities,
        cast(sum(visitors) as bigint) as visitors,
        cast(sum(deputy_count) as bigint) as attendances,
        cast(sum(absent_count) as bigint) as absences
    from activities
    cross join root
    group by all
)

select * from final
order by activity_date
