-- The calendar years each active deputy attended an activity at a home of the four levels, per home level,
-- with the deputy's township and levels: the home visit rate counts distinct deputies over whole years here
-- (one row per deputy x year x level, no join to dim_deputy) and over the remaining days in
-- mart_deputy_home_days. Reduced to years before the join (a third of the rows to join).
with home_years as (
    select distinct
        deputy_id,
        cast(year(activity_date) as integer) as year,
        home_level
    from mart_deputy_home_days
),

deputies as (
    select deputy_id, township_code, levels from dim_deputy where is_active
),

final as (
    select
        home_years.deputy_id,
        home_years.year,
        home_years.home_level,
        deputies.township_code,
        deputies.levels
    from home_years
    inner join deputies on deputies.deputy_id = home_years.deputy_id
)

select * from final
