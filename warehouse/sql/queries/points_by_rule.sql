-- Points per rule over the period for the active deputies in scope, or for one deputy when
-- $deputy_id is not null. Every rule appears (zero rows included), in rules-file order.
with deputies as (
    select deputy_id from dim_deputy
    where is_active and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code)) and (len($deputy_levels::varchar[]) = 0 or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
      and ($deputy_id::varchar is null or deputy_id = $deputy_id::varchar)
),

-- One deputy: the ledger itself. Every active deputy in scope: the daily points mart, township grain when
-- townships are filtered, else the district-wide grain (the bound parameters fold: one branch is scanned).
scoped as (
    select fct_points.rule_id, fct_points.events, fct_points.points
    from fct_points
    inner join deputies on deputies.deputy_id = fct_points.deputy_id
    where $deputy_id::varchar is not null
      and fct_points.earned_on between $start and $end
    union all
    select rule_id, events, points
    from mart_points_daily
    where $deputy_id::varchar is null
      and $township_grain
      and list_contains($townships::varchar[], township_code)
      and earned_on between $start and $end
      and (len($deputy_levels::varchar[]) = 0
           or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
    union all
    select rule_id, events, points
    from mart_points_district_daily
    where $deputy_id::varchar is null
      and not $township_grain
      and ($district_prefix = '' or starts_with(district_code, $district_prefix))
      and earned_on between $start and $end
      and (len($deputy_levels::varchar[]) = 0
           or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
),

ledger as (
    select rule_id, cast(sum(events) as bigint) as events, cast(sum(points) as bigint) as points
    from scoped
    group by 1
),

final as (
    select
        rules.rule_id,
        rules.rule_name,
        rules.rule_name_en,
        rules.points as points_per_event,
        rules.is_fed,
        cast(coalesce(ledger.events, 0) as bigint) as events,
        cast(coalesce(ledger.points, 0) as bigint) as points,
        rules.sort_order
    from dim_points_rule as rules
    left join ledger on ledger.rule_id = rules.rule_id
)

select * exclude (sort_order) from final
order by sort_order
