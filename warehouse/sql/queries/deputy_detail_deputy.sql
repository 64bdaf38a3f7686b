-- One deputy (no personal data), if it exists and its township lies in the scope.
with deputies as (
    select * from dim_deputy
    where deputy_id = $deputy_id and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select
        deputies.deputy_id,
        deputies.deputy_name,
        deputies.gender,
        deputies.ethnicity,
        deputies.levels,
        deputies.township_code,
        townships.township_name,
        deputies.home_id,
        places.home_name,
        deputies.is_active
    from deputies
    left join dim_township as townships on townships.township_code = deputies.township_code
    left join dim_home as places on places.home_id = deputies.home_id
)

select * from final
