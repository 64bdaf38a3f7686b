-- Participation per deputy x day x place x type, unnested set-wise from the activity id lists:
-- attendances from deputy_ids, absences (absent without leave) from absent_deputy_ids.
with activities as (
    select * from fct_activity
),

participants as (
    select
        activity_date,
        home_id,
        township_code,
        home_level,
        activity_type,
        is_at_home,
        unnest(
            list_concat(
                list_transform(deputy_ids, lambda x: {'deputy_id': x, 'is_absent': false}),
                list_transform(absent_deputy_ids, lambda x: {'deputy_id': x, 'is_absent': true})
            ),
            recursive := true
        )
    from activities
    where deputy_count + absent_count > 0
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
        count(*) filter (where not is_absent) as attendances,
        count(*) filter (where is_absent) as absences
    from participants
    group by all
)

select * from final
order by activity_date
