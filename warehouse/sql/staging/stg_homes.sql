-- Places where deputies meet people: the four home levels plus work stations and liaison stations.
-- is_home marks the four home levels counted by the KPIs (docs/DATA_CONTRACT.md: homes_total).
with source as (
    select * from homes
),

final as (
    select
        trim(home_id) as home_id,
        trim(home_name) as home_name,
        home_level,
        home_level in ('区级', '苏木镇街道级', '嘎查村级', '企业') as is_home,
        trim(township_code) as township_code,
        lon,
        lat,
        opened_on
    from source
)

select * from final
