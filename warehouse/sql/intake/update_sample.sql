-- A sample of the records a dry-run check updated: the new version (loaded by the check's run, from
-- this file) beside the version it superseded (the newest of <entity>_past for that id).
-- {table}, {past}, {key} are identifiers filled in by etl/intake.py from the mapping (never user text).
select cur.*, prev.*
from {table} cur
join (
    select * from {past}
    qualify row_number() over (partition by {key} order by run_id desc, source_row desc) = 1
) prev on prev.{key} = cur.{key}
where cur.run_id = $run_id and cur.file_id = $file_id
order by cur.source_row
limit $max_rows
