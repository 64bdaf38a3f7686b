-- /ops: rejected rows counted by reason (file-level rejects included, with no row number).
select reason_code, count(*) as count_rows
from ops_rejects
where $run_id is null or run_id = $run_id
group by reason_code
order by count_rows desc, reason_code
