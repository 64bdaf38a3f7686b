-- Livelihood projects (民生实事) voted by deputies.
with source as (
    select * from projects
),

final as (
    select
        trim(project_id) as project_id,
        year,
        nullif(trim(township_code), '') as township_code,
        name as project_name,
        coalesce(votes_for, 0) as votes_for,
        coalesce(votes_against, 0) as votes_against,
        coalesce(votes_abstain, 0) as votes_abstain,
        coalesce(elected, false) as is_elected,
        status,
        completion_pct
    from source
)

select * from final
