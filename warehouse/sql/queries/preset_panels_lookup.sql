-- Every precomputed panel result of one preset key (warehouse/presets.py): the call and its Arrow IPC stream.
select call, payload
from preset_panels
where period_start = $start and period_end = $end and township_code = $township
