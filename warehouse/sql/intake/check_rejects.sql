-- The rejects of a dry-run check (etl/intake.py check_upload), file by file, row by row.
select file_id, file_name, source_row, column_name, reason_code, message_zh, message_en, raw_value
from rejects
where run_id = $run_id
order by file_name, source_row nulls first
limit $max_rows
