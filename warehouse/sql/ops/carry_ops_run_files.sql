-- Keep the per-run file lists of the previous copy (attached as `prev`) for the runs still listed.
insert into ops_run_files
select * from prev.ops_run_files
where run_id in (select run_id from ops_runs)
