-- Activities with their place's township and level; participant lists parsed set-wise
-- (';'-separated ids, trimmed, blanks and repeats dropped).
with source as (
    select * from activities
),

places as (
    select * from stg_homes
),

parsed as (
    select
        trim(source.activity_id) as activity_id,
        source.activity_date,
        nullif(trim(source.home_id), '') as home_id,
        source.activity_type,
        source.title,
        coalesce(source.visitors, 0) as visitors,
        list_distinct(
            list_filter(list_transform(string_split(coalesce(source.deputy_ids, ''), ';'), lambda x: trim(x)), lambda x: x <> '')
        ) as present_ids,
        list_distinct(
            list_filter(
                list_transform(string_split(coalesce(source.absent_deputy_ids, ''), ';'), lambda x: trim(x)), lambda x: x <> ''
            )
        ) as absent_ids
    from source
),

final as (
    select
        parsed.activity_id,
        parsed.activity_date,
        parsed.home_id,
        places.township_code,
        places.home_level,
        parsed.activity_type,
        parsed.title,
        parsed.visitors,
        len(parsed.present_ids) as deputy_count,
        len(parsed.absent_ids) as absent_count,
        coalesce(places.is_home, false) as is_at_home,
        parsed.present_ids,
        parsed.absent_ids
    from parsed
    left join places on places.home_id = parsed.home_id
)

select * from final
