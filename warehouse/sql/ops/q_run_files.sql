-- /ops: what each run did with each file; $run_id null means every kept run.
-- Runs recorded before the per-run list existed fall back to the raw store's file table.
with per_run as (
    select
        run_id, file_name, status, entity,
        rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate,
        reason_code, message_zh, message_en
    from ops_run_files
),

from_files as (
    select
        run_id, file_name, status, entity,
        rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate,
        reason_code, message_zh, message_en
    from ops_files
    where run_id not in (select distinct run_id from ops_run_files)
),

final as (
    select * from per_run
    union all
    select * from from_files
)

select * from final
where $run_id is null or run_id = $run_id
order by run_id desc, file_name
limit $limit
