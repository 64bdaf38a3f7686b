-- One row per activity; the township is the place's township. The participant id lists are kept as
-- loaded (';'-separated ids, no personal data) for the participation view. Not re-sorted (a 10M-row sort costs more
-- than it saves): the raw store receives exports in date order, so date zonemaps mostly prune anyway.
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
        is_at_home,
        deputy_ids,
        absent_deputy_ids
    from activities
)

select * from final
