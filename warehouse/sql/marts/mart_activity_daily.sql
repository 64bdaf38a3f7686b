-- Activities aggregated by day x place x type: what the dashboard reads instead of the facts.
with activities as (
    select * from fct_activity
),

final as (
    select
        activity_date,
        home_id,
        township_code,
        home_level,
        activity_type,
        is_at_home,
        count(*) as activities,
        cast(sum(visitors) as bigint) as visitors,
        cast(sum(deputy_count) as bigint) as attendances,
        cast(sum(absent_count) as bigint) as absences
    from activities
    group by all
)

select * from final
order by activity_date
