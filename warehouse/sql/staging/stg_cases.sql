-- Petition-agency and mediation cases without personal data: party_name and party_phone are
-- deliberately not selected.
with source as (
    select * from cases
),

final as (
    select
        trim(case_id) as case_id,
        case_type,
        nullif(trim(township_code), '') as township_code,
        nullif(trim(home_id), '') as home_id,
        nullif(trim(deputy_id), '') as deputy_id,
        accepted_on,
        closed_on,
        status,
        outcome,
        satisfaction
    from source
)

select * from final
