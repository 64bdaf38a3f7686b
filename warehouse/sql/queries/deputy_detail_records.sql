-- One deputy's suggestions and cases in the period (counts).
with suggestions as (
    select count(*) as suggestions, count(*) filter (where adopted) as suggestions_adopted
    from fct_suggestion
    where deputy_id = $deputy_id and submitted_on between $start and $end
),

cases as (
    select
        count(*) filter (where case_type = '信访代办') as petition_cases,
        count(*) filter (where case_type = '诉前调解') as mediation_cases,
        count(*) filter (where case_type = '诉前调解' and outcome = '调解成功') as mediation_success
    from fct_case
    where deputy_id = $deputy_id and accepted_on between $start and $end and status <> '不予受理'
),

final as (
    select * from suggestions cross join cases
)

select * from final
