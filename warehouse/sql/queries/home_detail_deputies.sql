-- Active deputies stationed at one place (进驻代表), no personal data.
with deputies as (
    select * from dim_deputy
    where is_active and home_id = $home_id
),

final as (
    select deputy_id, deputy_name, levels from deputies
)

select * from final
order by deputy_id
