-- Operators' copy: what each run did with each inbox file (loaded / already_loaded / rejected / failed).
-- The raw store's etl_files keeps one row per distinct file; this keeps one per (run, file), so a file
-- skipped as already loaded shows in the run that skipped it.
create table ops_run_files (
    run_id varchar not null,
    file_name varchar not null,
    file_id varchar,
    status varchar not null,
    entity varchar,
    rows_read bigint, rows_loaded bigint, rows_updated bigint, rows_rejected bigint, rows_duplicate bigint,
    reason_code varchar, message_zh varchar, message_en varchar
)
