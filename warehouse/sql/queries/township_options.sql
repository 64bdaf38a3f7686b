-- Townships for filter drop-downs, in code order.
with townships as (
    select * from dim_township
),

final as (
    select township_code, township_name, kind from townships order by sort_order
)

select * from final
