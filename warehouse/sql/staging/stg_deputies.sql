-- Deputies without personal data: `phone` is deliberately not selected.
with source as (
    select * from deputies
),

levels as (
    select
        *,
        list_distinct(
            list_filter(list_transform(string_split(coalesce(levels, ''), ';'), lambda x: trim(x)), lambda x: x <> '')
        ) as level_list
    from source
),

final as (
    select
        trim(deputy_id) as deputy_id,
        trim(name) as deputy_name,
        gender,
        ethnicity,
        array_to_string(list_sort(level_list), ';') as levels,
        list_contains(level_list, '市') as is_city,
        list_contains(level_list, '区') as is_district,
        list_contains(level_list, '镇') as is_town,
        trim(township_code) as township_code,
        trim(home_id) as home_id,
        coalesce(status, '正常') <> '终止' as is_active
    from levels
)

select * from final
