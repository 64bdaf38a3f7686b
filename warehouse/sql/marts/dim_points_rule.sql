-- The points rules the ledger was computed with (shown on the metric dictionary page).
with rules as (
    select * from stg_points_rules
),

final as (
    select
        rule_id,
        rule_name,
        rule_name_en,
        points,
        rule_source,
        at_home_only,
        activity_types,
        exclude_statuses,
        is_fed,
        sort_order
    from rules
)

select * from final
