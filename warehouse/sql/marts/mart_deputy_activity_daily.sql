-- Participation per deputy x day x place x type: attendances and absences (absent without leave).
-- Aggregated on the narrow key first; the place's township and level are joined afterwards. Not sorted:
-- at scale this is the widest mart, and per-deputy queries read mart_deputy_daily / fct_points instead.
with participants as (
    select * from stg_activity_participants
),

places as (
    select * from stg_homes
),

daily as (
    select
        deputy_id,
        activity_date,
        home_id,
        activity_type,
        count(*) filter (where not is_absent) as attendances,
        count(*) filter (where is_absent) as absences
    from participants
    group by all
),

final as (
    select
        daily.deputy_id,
        daily.activity_date,
        daily.home_id,
        places.township_code,
        places.home_level,
        daily.activity_type,
        coalesce(places.is_home, false) as is_at_home,
        daily.attendances,
        daily.absences
    from daily
    left join places on places.home_id = daily.home_id
)

select * from final
