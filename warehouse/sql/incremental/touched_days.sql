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
    select activity_id, activity_date from activities where run_id in (select run_id from runs)
),

changed_suggestions as (
    select suggestion_id, submitted_on from suggestions where run_id in (select run_id from runs)
),

changed_cases as (
    select case_id, accepted_on, closed_on from cases where run_id in (select run_id from runs)
),

changed_homes as (
    select distinct trim(home_id) as home_id from homes where run_id in (select run_id from runs)
),

-- The current version of a changed record carries the run that loaded it; its superseded versions are
-- in <entity>_past (usually small: only records ever updated).
activity_versions as (
    select activity_date from changed_activities
    union all
    select activity_date from activities_past semi join changed_activities using (activity_id)
),

suggestion_versions as (
    select submitted_on from changed_suggestions
    union all
    select submitted_on from suggestions_past semi join changed_suggestions using (suggestion_id)
),

case_versions as (
    select accepted_on, closed_on from changed_cases
    union all
    select accepted_on, closed_on from cases_past semi join changed_cases using (case_id)
),

days as (
    select activity_date as day from activity_versions
    union
    select activity_date
    from activities
    where nullif(trim(home_id), '') in (select home_id from changed_homes)
    union
    select submitted_on from suggestion_versions
    union
    select accepted_on from case_versions
    union
    select coalesce(closed_on, accepted_on) from case_versions
),

final as (
    select day from days where day is not null
)

select * from final
order by day
