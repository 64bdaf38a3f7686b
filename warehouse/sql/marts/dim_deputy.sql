-- One row per deputy, no personal data.
with deputies as (
    select * from stg_deputies
),

final as (
    select
        deputy_id,
        deputy_name,
        gender,
        ethnicity,
        levels,
        is_city,
        is_district,
        is_town,
        township_code,
        home_id,
        is_active
    from deputies
)

select * from final
