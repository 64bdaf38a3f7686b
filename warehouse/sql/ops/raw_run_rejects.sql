-- `cockpit etl rejects`: a run's rejected rows and files, straight from the raw store ($limit null = all).
select file_name, source_row, column_name, reason_code, message_zh, message_en, raw_value, entity
from rejects
where run_id = $run_id
order by file_name, source_row nulls first, column_name
limit coalesce($limit, 9223372036854775807)
