-- One row per activity; the township is the place's township. Ordered by date so that period filters
-- skip whole row groups.
with activities as (
    select * from stg_activities
),

final as (
    select
        activity_id,
        activity_date,
        home_id,
        township_code,
        home_level,
        activity_type,
        title,
        visitors,
        deputy_count,
        absent_count,
        is_at_home
    from activities
)

select * from final
order by activity_date
