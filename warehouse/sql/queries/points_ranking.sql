-- Points per active deputy in scope (own township, levels) over the period, zero-point deputies
-- included. Order: points descending, then fewer absences (absent without leave), then deputy_id.
with deputies as (
    select * from dim_deputy
    where is_active and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code)) and (len($deputy_levels::varchar[]) = 0 or list_has_any(string_split(levels, ';'), $deputy_levels::varchar[]))
),

-- Whole calendar years of the period, year($start - 1) + 1 .. year($end + 1) - 1 (possibly none), from
-- the yearly mart; the other days from the ledger, as plain date ranges. Once the parameters are bound the
-- bounds are constants: branches whose guard is false are dropped and an empty range scans nothing.
points as (
    select deputy_id, cast(sum(points) as bigint) as points
    from (
        select deputy_id, points
        from mart_deputy_points_yearly
        where year between year($start::date - 1) + 1 and year($end::date + 1) - 1
        union all
        -- no whole year: every day of the period
        select deputy_id, points
        from fct_points
        where year($start::date - 1) + 1 > year($end::date + 1) - 1
          and earned_on between $start and $end
        union all
        -- the days before the first whole year
        select deputy_id, points
        from fct_points
        where year($start::date - 1) + 1 <= year($end::date + 1) - 1
          and earned_on between $start and make_date(year($start::date - 1) + 1, 1, 1) - 1
        union all
        -- the days after the last whole year
        select deputy_id, points
        from fct_points
        where year($start::date - 1) + 1 <= year($end::date + 1) - 1
          and earned_on between make_date(year($end::date + 1) - 1, 12, 31) + 1 and $end
    )
    group by 1
),

absences as (
    select deputy_id, sum(absences) as absences
    from mart_deputy_absence_daily
    where activity_date between $start and $end
    group by 1
),

ranked as (
    select
        deputies.deputy_id,
        deputies.deputy_name,
        townships.township_name,
        deputies.levels,
        cast(coalesce(points.points, 0) as bigint) as points,
        cast(coalesce(absences.absences, 0) as bigint) as absences
    from deputies
    left join dim_township as townships on townships.township_code = deputies.township_code
    left join points on points.deputy_id = deputies.deputy_id
    left join absences on absences.deputy_id = deputies.deputy_id
),

-- The first $limit deputies (every one when null) by a top-N, then numbered: the order is total (deputy_id
-- is unique), so the ranks are those of the full ranking.
top as (
    select * from ranked
    order by points desc, absences asc, deputy_id asc
    limit $limit
),

final as (
    select
        cast(row_number() over (order by points desc, absences asc, deputy_id asc) as integer) as rank,
        *
    from top
)

select * from final
order by rank
