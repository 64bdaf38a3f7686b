insert into ops_run_files values (
    $run_id, $file_name, $file_id, $status, $entity,
    $rows_read, $rows_loaded, $rows_updated, $rows_rejected, $rows_duplicate,
    $reason_code, $message_zh, $message_en
)
