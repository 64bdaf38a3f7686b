-- The precomputed KPIs of one period and scope ('' = the whole root) from the snapshot's preset table
-- (warehouse/presets.py); no row when the period is not one of its keys.
select * exclude (period_start, period_end, township_code)
from preset_kpis
where period_start = $start and period_end = $end and township_code = $township
