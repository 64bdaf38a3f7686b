-- Whether the snapshot carries the preset panel results (snapshots built before them do not).
select count(*) > 0 as present
from duckdb_tables()
where database_name = current_database() and schema_name = 'main' and table_name = 'preset_panels'
