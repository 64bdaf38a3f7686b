-- Operators' copy: every file the raw store knows (loaded or rejected at file level), newest first.
create table ops_files as
with files as (
    select
        file_id, run_id, file_name, file_size, file_mtime, entity, status,
        rows_read, rows_loaded, rows_updated, rows_rejected, rows_duplicate,
        reason_code, message_zh, message_en, loaded_at
    from raw.etl_files
),

final as (
    select * from files order by loaded_at desc, file_name limit $max_files
)

select * from final
