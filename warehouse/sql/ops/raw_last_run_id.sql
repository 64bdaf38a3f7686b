-- `cockpit etl rejects` without --run: the newest run of the raw store's run log.
select run_id from etl_runs order by started_at desc limit 1
