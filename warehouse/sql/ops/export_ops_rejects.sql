-- Operators' copy: row- and file-level rejects of the runs kept in ops_runs.
-- raw_value never holds a personal-data column (raw.sql), so the copy carries no personal data.
create table ops_rejects as
with rejects as (
    select
        run_id, file_id, file_name, entity, source_row, column_name,
        reason_code, message_zh, message_en, raw_value
    from raw.rejects
    where run_id in (select run_id from ops_runs)
),

final as (
    select * from rejects order by run_id desc, file_name, source_row nulls first, column_name limit $max_rejects
)

select * from final
