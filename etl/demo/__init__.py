"""Demo and scale data: not part of the runtime ETL (``cockpit demo``, tests and benchmarks use it).

- ``calibration``: the demo's targets (the figures the demo must show) and ``reference_kpis``, the test
  oracle that computes KPIs from the calibrated records independently of the SQL;
- ``records``: the calibrated canonical records (``build_records``);
- ``writers``: XLSX/CSV writers of platform-style export files;
- ``generator``: ``generate(out_dir)`` writes the messy exports a deployment would receive.
"""

from etl.demo.calibration import TARGETS, reference_kpis
from etl.demo.generator import ENTITIES, export_plan, generate
from etl.demo.records import DemoRecords, build_records

__all__ = ["ENTITIES", "TARGETS", "DemoRecords", "build_records", "export_plan", "generate", "reference_kpis"]
