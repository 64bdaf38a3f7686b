-- /ops: each rejected row with its file, row, column and reason, for the grid and the download.
select
    run_id, file_name, entity, source_row, column_name, reason_code, message_zh, message_en, raw_value
from ops_rejects
where $run_id is null or run_id = $run_id
order by run_id desc, file_name, source_row nulls first, column_name
limit $limit
