-- The newest run of the raw store's run log: a snapshot built now holds every change it and the runs
-- before it loaded (the anchor recorded in the snapshot's meta, warehouse/build_state.py).
select run_id from etl_runs order by started_at desc, run_id desc limit 1
