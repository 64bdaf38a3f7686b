-- Newest loaded file per entity in the raw store (what the next snapshot's snapshot_as_of will hold).
select entity, max(loaded_at) as as_of
from etl_files
where entity is not null and status = 'loaded'
group by entity
