-- Newest loaded file per entity as the published snapshot saw it at build time.
select entity, as_of from snapshot_as_of
