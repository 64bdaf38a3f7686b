-- Participation of deputies in activities (a VIEW in the snapshot, unnested from fct_activity when read):
-- one row per (activity, listed deputy) with its day, place, type, the place's township and level, and
-- attendances / absences (absent without leave) as 0/1 counts; sum them for any grain. Not materialised:
-- at 10M activities it is ~30M rows that no dashboard query needs (they read mart_deputy_daily).
with activities as (
    select * from fct_activity
),

present as (
    select
        activity_id,
        activity_date,
        home_id,
        township_code,
        home_level,
        activity_type,
        is_at_home,
        trim(unnest(string_split(deputy_ids, ';'))) as deputy_id,
        1 as attendances,
        0 as absences
    from activities
    where deputy_ids is not null
),

absent as (
    select
        activity_id,
        activity_date,
        home_id,
        township_code,
        home_level,
        activity_type,
        is_at_home,
        trim(unnest(string_split(absent_deputy_ids, ';'))) as deputy_id,
        0 as attendances,
        1 as absences
    from activities
    where absent_deputy_ids is not null
),

final as (
    select
        deputy_id,
        activity_date,
        home_id,
        township_code,
        home_level,
        activity_type,
        is_at_home,
        attendances,
        absences,
        activity_id
    from (select * from present union all select * from absent)
    where deputy_id <> ''
)

select * from final
