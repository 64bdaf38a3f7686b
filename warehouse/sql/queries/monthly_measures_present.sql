-- Whether the snapshot carries the precomputed monthly measures (snapshots built before it do not).
select count(*) > 0 as present
from duckdb_tables()
where database_name = current_database() and schema_name = 'main' and table_name = 'monthly_measures'
