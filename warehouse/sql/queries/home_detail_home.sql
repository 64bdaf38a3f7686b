-- One place, if it exists and lies in the township scope; its deputies counted within the scope too.
with places as (
    select * from dim_home
    where home_id = $home_id and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

stationed as (
    select home_id, count(*) as deputies
    from dim_deputy
    where is_active and home_id = $home_id
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
    group by 1
),

final as (
    select
        places.home_id,
        places.home_name,
        places.home_level,
        places.is_home,
        places.township_code,
        townships.township_name,
        places.lon,
        places.lat,
        places.opened_on,
        coalesce(stationed.deputies, 0) as deputies
    from places
    left join dim_township as townships on townships.township_code = places.township_code
    left join stationed on stationed.home_id = places.home_id
)

select * from final
