-- Participation of deputies in activities: one row per (activity, listed deputy) with its day, place,
-- type, the place's township and level, and attendances / absences (absent without leave) as 0/1
-- counts; sum them for any grain (several activities of a deputy on one day and place are several
-- rows). Left unaggregated on purpose: grouping ~3 rows per activity on a key that is nearly unique
-- costs twice as much as writing them, and per-deputy queries read mart_deputy_daily instead.
with participants as (
    select * from stg_activity_participants
),

places as (
    select * from stg_homes
),

final as (
    select
        participants.deputy_id,
        participants.activity_date,
        participants.home_id,
        places.township_code,
        places.home_level,
        participants.activity_type,
        coalesce(places.is_home, false) as is_at_home,
        cast(not participants.is_absent as integer) as attendances,
        cast(participants.is_absent as integer) as absences
    from participants
    left join places on places.home_id = participants.home_id
)

select * from final
