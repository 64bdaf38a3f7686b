-- Active deputies stationed at one place (进驻代表), no personal data. Only deputies of townships in
-- scope: a home may host deputies of other townships, whom a township user must not see.
with deputies as (
    select * from dim_deputy
    where is_active and home_id = $home_id
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select deputy_id, deputy_name, levels from deputies
)

select * from final
order by deputy_id
