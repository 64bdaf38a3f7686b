-- Points of the active deputies by day x the deputy's township x the deputy's levels x rule: what the
-- township, trend and per-rule points queries read instead of joining fct_points to dim_deputy.
with ledger as (
    select * from fct_points
),

deputies as (
    select deputy_id, township_code, levels from dim_deputy where is_active
),

final as (
    select
        ledger.earned_on,
        deputies.township_code,
        deputies.levels,
        ledger.rule_id,
        cast(sum(ledger.events) as bigint) as events,
        cast(sum(ledger.points) as bigint) as points
    from ledger
    inner join deputies on deputies.deputy_id = ledger.deputy_id
    group by all
)

select * from final
