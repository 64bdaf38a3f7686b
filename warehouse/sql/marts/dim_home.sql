-- One row per place (four home levels, work stations, liaison stations).
with places as (
    select * from stg_homes
),

final as (
    select
        home_id,
        home_name,
        home_level,
        is_home,
        township_code,
        lon,
        lat,
        opened_on
    from places
)

select * from final
