-- `cockpit etl rejects --run ID`: whether the raw store's run log knows the run.
select 1 from etl_runs where run_id = $run_id
