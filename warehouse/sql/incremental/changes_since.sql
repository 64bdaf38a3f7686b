-- What the runs after the snapshot's anchor run ($anchor) changed, per entity: the number of record
-- versions they loaded (current rows carry the run that loaded them; a row that only repeated a stored
-- record keeps its older run). anchor_found = false when the anchor is not in this raw store's run log.
with anchor as (
    select started_at from etl_runs where run_id = $anchor
),

runs as (
    select run_id from etl_runs where started_at > (select started_at from anchor)
),

final as (
    select 'townships' as entity, count(*) as versions from townships where run_id in (select run_id from runs)
    union all
    select 'homes', count(*) from homes where run_id in (select run_id from runs)
    union all
    select 'deputies', count(*) from deputies where run_id in (select run_id from runs)
    union all
    select 'activities', count(*) from activities where run_id in (select run_id from runs)
    union all
    select 'suggestions', count(*) from suggestions where run_id in (select run_id from runs)
    union all
    select 'cases', count(*) from cases where run_id in (select run_id from runs)
    union all
    select 'projects', count(*) from projects where run_id in (select run_id from runs)
    union all
    select 'anchor_found', count(*) from anchor
)

select * from final
