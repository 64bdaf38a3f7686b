-- The days each deputy attended an activity at a home of the four levels, per home level: the small
-- table behind the home visit rate (count of distinct deputies over a period). Sorted by date.
with participation as (
    select * from mart_deputy_daily
),

final as (
    select distinct
        deputy_id,
        activity_date,
        home_level
    from participation
    where is_at_home and attendances > 0
)

select * from final
order by activity_date
