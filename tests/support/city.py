"""A city data dir made of district cockpits: the demo generator per district, recoded to a real Baotou
county, loaded by the real ETL, exported as exchange packages and rolled up by a city cockpit (root 1502).

Shared by the region-level tests (query layer, leadership view, wall); see ``tests/integration/test_exchange.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from etl.demo.generator import generate
from etl.run import run_etl
from tests.integration.test_exchange import _recoding_publish
from warehouse.exchange import export_package, load_packages
from warehouse.settings import Settings

BAOTOU = "1502"
# (county code, name, generator seed): three districts of 包头市.
CITY_DISTRICTS = (("150202", "东河区", 11), ("150203", "昆都仑区", 12), ("150205", "石拐区", 13))


@dataclass(frozen=True)
class City:
    settings: Settings  # the city cockpit's (root 1502)
    districts: dict[str, Settings]  # each district cockpit's, by county code


def build_city(root: Path, districts=CITY_DISTRICTS) -> City:
    """Publish each district's snapshot under ``root/<code>`` and roll them up into ``root/city``."""
    packages, settings_by_code = [], {}
    for code, name, seed in districts:
        exports = root / f"exports-{code}"
        generate(exports, seed=seed)
        settings = Settings(data_dir=root / code, root_region=code, district_code=code, district_name=name)
        summary = run_etl(settings, inbox=exports, publish=_recoding_publish(code))
        assert summary.snapshot_version, summary.message
        package = root / "packages" / f"{code}.zip"
        export_package(settings, package)
        packages.append(package)
        settings_by_code[code] = settings
    city = Settings(data_dir=root / "city", root_region=BAOTOU, district_code=BAOTOU, district_name="包头市")
    results, version = load_packages(city, packages)
    assert [r.status for r in results] == ["loaded"] * len(packages), [r.message for r in results]
    assert version
    return City(settings=city, districts=settings_by_code)
