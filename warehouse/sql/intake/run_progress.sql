-- The live progress of the run in progress started by $trigger: the files it has recorded so far and
-- the rows they held (read by the intake's run process while the run holds the raw store).
select count(f.seq) as files_done, coalesce(sum(f.rows_read), 0) as rows_read
from etl_runs r
left join etl_run_files f on f.run_id = r.run_id
where r.status = 'running' and r.trigger = $trigger
group by r.run_id, r.started_at
order by r.started_at desc
limit 1
