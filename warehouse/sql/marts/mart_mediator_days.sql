-- The days each deputy mediated a case (诉前调解, not 不予受理) per case township: the mediators KPI is a
-- count(distinct deputy_id) over a period, which daily case counts cannot give.
with cases as (
    select * from fct_case
    where case_type = '诉前调解'
      and status <> '不予受理'
      and deputy_id is not null
),

final as (
    select distinct
        accepted_on,
        township_code,
        deputy_id
    from cases
)

select * from final
