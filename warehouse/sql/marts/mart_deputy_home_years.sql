-- The calendar years each active deputy attended an activity at a home of the four levels, per home level,
-- with the deputy's township and levels: the home visit rate counts distinct deputies over whole years here
-- (one row per deputy x year x level, no join to dim_deputy) and over the remaining days in
-- mart_deputy_home_days.
with home_days as (
    select * from mart_deputy_home_days
),

deputies as (
    select deputy_id, township_code, levels from dim_deputy where is_active
),

final as (
    select distinct
        home_days.deputy_id,
        cast(year(home_days.activity_date) as integer) as year,
        home_days.home_level,
        deputies.township_code,
        deputies.levels
    from home_days
    inner join deputies on deputies.deputy_id = home_days.deputy_id
)

select * from final
