-- The points rules, as loaded from the rules TOML by warehouse/points.py into points_rules_input.
with rules as (
    select * from points_rules_input
),

final as (
    select
        rule_id,
        rule_name,
        rule_name_en,
        points,
        rule_source,
        coalesce(at_home_only, false) as at_home_only,
        coalesce(activity_types, []::varchar[]) as activity_types,
        coalesce(exclude_statuses, []::varchar[]) as exclude_statuses,
        rule_source <> 'unfed' as is_fed,
        sort_order
    from rules
)

select * from final
