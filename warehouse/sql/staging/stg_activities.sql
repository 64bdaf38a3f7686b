-- Activities with their place's township and level. Participant counts come from the ';'-separated id
-- lists (blanks ignored; the ETL guarantees an id appears once in a list).
with source as (
    select * from activities
),

places as (
    select * from stg_homes
),

parsed as (
    select
        trim(activity_id) as activity_id,
        activity_date,
        nullif(trim(home_id), '') as home_id,
        activity_type,
        title,
        coalesce(visitors, 0) as visitors,
        deputy_ids,
        absent_deputy_ids
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
        len(list_filter(string_split(coalesce(parsed.deputy_ids, ''), ';'), lambda x: trim(x) <> ''))
            as deputy_count,
        len(list_filter(string_split(coalesce(parsed.absent_deputy_ids, ''), ';'), lambda x: trim(x) <> ''))
            as absent_count,
        coalesce(places.is_home, false) as is_at_home,
        parsed.deputy_ids,
        parsed.absent_deputy_ids
    from parsed
    left join places on places.home_id = parsed.home_id
)

select * from final
