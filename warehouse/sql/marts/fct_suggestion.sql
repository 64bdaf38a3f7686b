-- One row per suggestion (current version).
-- Not sorted: the dashboard reads its daily marts; sorting every row (titles included) was the
-- build's memory peak (1.3 GB of 1.3 GB at 1M activities).
with suggestions as (
    select * from stg_suggestions
),

final as (
    select * from suggestions
)

select * from final
