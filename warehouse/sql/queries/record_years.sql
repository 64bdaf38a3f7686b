-- Years that have records (activities, suggestions, cases by their own dates), with each year's
-- latest record date: what the default period chooses from (warehouse/default_period.py).
with dated as (
    select activity_date as d from fct_activity
    union all
    select submitted_on from fct_suggestion
    union all
    select accepted_on from fct_case
),

final as (
    select year(d) as record_year, max(d) as latest
    from dated
    where d is not null
    group by record_year
)

select * from final order by record_year
