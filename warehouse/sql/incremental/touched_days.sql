-- The days whose rows of the date-keyed marts may differ from the snapshot built at run $anchor: every
-- date of every version (current and superseded) of the fact records the later runs loaded, so that a
-- record moved to another day touches both days; case points are earned on the closing day (fct_points);
-- and every day with an activity held at a place (home) those runs added or changed, whose township and
-- level the activity's rows carry.
with runs as (
    select run_id from etl_runs
    where started_at > (select started_at from etl_runs where run_id = $anchor)
),

changed_activities as (
    select activity_id from activities where run_id in (select run_id from runs)
),

changed_suggestions as (
    select suggestion_id from suggestions where run_id in (select run_id from runs)
),

changed_cases as (
    select case_id from cases where run_id in (select run_id from runs)
),

changed_homes as (
    select distinct trim(home_id) as home_id from homes where run_id in (select run_id from runs)
),

activity_versions as (
    select activity_id, activity_date, home_id from activities
    union all
    select activity_id, activity_date, home_id from activities_past
),

suggestion_versions as (
    select suggestion_id, submitted_on from suggestions
    union all
    select suggestion_id, submitted_on from suggestions_past
),

case_versions as (
    select case_id, accepted_on, closed_on from cases
    union all
    select case_id, accepted_on, closed_on from cases_past
),

days as (
    select activity_date as day
    from activity_versions semi join changed_activities using (activity_id)
    union
    select activity_date
    from activities
    where nullif(trim(home_id), '') in (select home_id from changed_homes)
    union
    select submitted_on
    from suggestion_versions semi join changed_suggestions using (suggestion_id)
    union
    select accepted_on
    from case_versions semi join changed_cases using (case_id)
    union
    select coalesce(closed_on, accepted_on)
    from case_versions semi join changed_cases using (case_id)
),

final as (
    select day from days where day is not null
)

select * from final
order by day
