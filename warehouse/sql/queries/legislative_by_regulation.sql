-- Legislative suggestions (channel 立法联系点) submitted in the period, per regulation consulted.
with suggestions as (
    select * from fct_suggestion
    where submitted_on between $start and $end
      and channel = '立法联系点'
      and (len($townships::varchar[]) = 0 or list_contains($townships::varchar[], township_code))
),

final as (
    select regulation, count(*) as suggestions
    from suggestions
    group by 1
)

select * from final
order by suggestions desc, regulation nulls last
