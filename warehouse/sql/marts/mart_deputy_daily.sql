-- Participation per deputy x day x activity type x place level, aggregated once from the unnested
-- participant lists: what per-deputy queries (home visit rate, absences, deputy drill-down) and the points
-- ledger read. Not sorted: sorting it cost 40 % of its build, more than the drill-down gains.
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
        participants.activity_type,
        places.home_level,
        coalesce(places.is_home, false) as is_at_home,
        count(*) filter (where not participants.is_absent) as attendances,
        count(*) filter (where participants.is_absent) as absences
    from participants
    left join places on places.home_id = participants.home_id
    group by all
)

select * from final
