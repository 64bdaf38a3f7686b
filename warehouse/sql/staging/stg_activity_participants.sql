-- One row per (activity, listed deputy): attendances from deputy_ids, absences (absent without leave)
-- from absent_deputy_ids. Unnested set-wise; ids trimmed, blanks dropped.
with source as (
    select * from activities
),

present as (
    select
        activity_date,
        nullif(trim(home_id), '') as home_id,
        activity_type,
        trim(unnest(string_split(deputy_ids, ';'))) as deputy_id,
        false as is_absent
    from source
    where deputy_ids is not null
),

absent as (
    select
        activity_date,
        nullif(trim(home_id), '') as home_id,
        activity_type,
        trim(unnest(string_split(absent_deputy_ids, ';'))) as deputy_id,
        true as is_absent
    from source
    where absent_deputy_ids is not null
),

final as (
    select * from present where deputy_id <> ''
    union all
    select * from absent where deputy_id <> ''
)

select * from final
