-- Runs left 'running' by a killed process. Executed under the run lock, when no run can be in progress.
update etl_runs
set status = 'failed', finished_at = coalesce(finished_at, started_at), message = $message
where status = 'running'
returning run_id
