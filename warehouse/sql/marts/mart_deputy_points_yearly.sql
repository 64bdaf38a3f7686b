-- Points per deputy and calendar year: the points ranking sums whole years of its period here and only the
-- remaining days from fct_points (a calendar year reads ~1 row per deputy instead of one per deputy x day x rule).
with ledger as (
    select * from fct_points
),

final as (
    select
        deputy_id,
        cast(year(earned_on) as integer) as year,
        cast(sum(points) as bigint) as points
    from ledger
    group by all
)

select * from final
