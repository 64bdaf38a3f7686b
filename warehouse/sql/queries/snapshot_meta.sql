-- Snapshot bookkeeping: key/value metadata and per-entity data-as-of times.
with meta as (
    select key, value from snapshot_meta
),

as_of as (
    select entity, as_of from snapshot_as_of
),

final as (
    select 'meta' as kind, key, value, null::timestamp as as_of from meta
    union all
    select 'as_of' as kind, entity as key, null as value, as_of from as_of
)

select * from final
