-- Township codes under a region prefix (a region-scoped account's scope), in code order.
with townships as (
    select township_code from dim_township
),

final as (
    select township_code from townships where starts_with(township_code, $prefix) order by township_code
)

select * from final
