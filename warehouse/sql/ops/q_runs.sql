-- /ops: the most recent runs, newest first.
select
    run_id, started_at, finished_at, status, trigger,
    files_seen, rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate,
    snapshot_version, message
from ops_runs
order by started_at desc
limit $limit
