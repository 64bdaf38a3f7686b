-- Operators' copy (data/ops.duckdb): the most recent runs of the raw store's run log.
-- Runs under the run lock, with the raw store attached read-only as `raw`.
create table ops_runs as
with runs as (
    select
        run_id, started_at, finished_at, status, trigger, run_date,
        files_seen, rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate,
        snapshot_version, message
    from raw.etl_runs
),

final as (
    select * from runs order by started_at desc limit $max_runs
)

select * from final
