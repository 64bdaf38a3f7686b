"""Region-scoped accounts on a city roll-up: a district leader of 包头市 sees only their district.

Two district cockpits (``tests/support/city.py``: the demo generator recoded to 东河区 and 昆都仑区)
export packages; a city cockpit (root 1502) loads them. A leader limited to 150202 must get exactly
东河区's figures from ``query.kpis`` and over HTTP, whatever township the request names.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask import g

from dashboard import context
from dashboard.auth_store import AuthStore
from tests.support.city import build_city
from tests.support.security_helpers import login
from warehouse import query
from warehouse.kpi_report import collect_kpis
from warehouse.settings import Settings

DISTRICTS = (("150202", "东河区", 21), ("150203", "昆都仑区", 22))
START, END = date(2000, 1, 1), date(2099, 12, 31)
PASSWORD = "correct horse battery"
OTHER_TOWNSHIP = "150203001000"  # 昆都仑区's first township


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from dashboard.app import create_app

    built = build_city(tmp_path_factory.mktemp("region-scope"), DISTRICTS)
    settings = built.settings
    store = AuthStore.for_data_dir(settings.data_dir)
    store.add_user("donghe", "leader", PASSWORD, region_code="150202")
    store.add_user("cityleader", "leader", PASSWORD)
    app = create_app(settings)
    app.server.config["TESTING"] = True
    return {"settings": settings, "districts": built.districts, "app": app, "store": store}


def _scoped_kpis(city, user: str, townships: tuple[str, ...] = ()) -> dict:
    principal = city["store"].authenticate(user, PASSWORD, "10.0.0.9").principal
    assert principal is not None
    with city["app"].server.test_request_context("/"), context.reader().cursor() as con:
        g.cockpit_principal = principal
        return query.kpis(con, query.Filters(start=START, end=END, townships=townships))


def _district_kpis(settings: Settings) -> dict:
    """A district's own KPIs, read in its own cockpit (records without a township included: the roll-up
    keeps each record's county, so a region scope includes them)."""
    return collect_kpis(settings, START, END, None)["kpis"]


def test_a_district_leader_sees_only_their_district_in_kpis(city):
    donghe = _district_kpis(city["districts"]["150202"])
    whole_city = collect_kpis(city["settings"], START, END, None)["kpis"]
    assert donghe["activities_total"] < whole_city["activities_total"]
    assert _scoped_kpis(city, "donghe") == donghe
    # Asking for the other district's township does not widen the scope: still 东河区's own figures.
    assert _scoped_kpis(city, "donghe", (OTHER_TOWNSHIP,)) == donghe
    # An unscoped city leader sees the whole city.
    assert _scoped_kpis(city, "cityleader") == whole_city


def test_kpis_of_one_district_of_the_city_from_the_command_line(city, capsys, monkeypatch):
    import json

    from cockpit.cli import main
    from warehouse.errors import UserError

    donghe = _district_kpis(city["districts"]["150202"])
    assert collect_kpis(city["settings"], START, END, None, "150202")["kpis"] == donghe
    data_dir = str(city["settings"].data_dir)
    monkeypatch.setenv("COCKPIT_ROOT_REGION", "1502")  # the city deployment's root, as its config says
    period = ["--from", START.isoformat(), "--to", END.isoformat()]
    assert main(["kpis", *period, "--region", "150203", "--json", "--data-dir", data_dir]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["region"] == "150203" and doc["region_name"] == "昆都仑区"
    assert doc["kpis"] == _district_kpis(city["districts"]["150203"])
    assert main(["kpis", *period, "--region", "150202", "--data-dir", data_dir]) == 0
    assert "地区：东河区（150202）" in capsys.readouterr().out
    # Not a region of the root (another city, a township, no such code), or a township outside it.
    for region, township in (
        ("1503", None),
        ("150202001", None),
        ("159999", None),
        ("150202", OTHER_TOWNSHIP),
    ):
        with pytest.raises(UserError):
            collect_kpis(city["settings"], START, END, township, region)
        assert (
            main(
                ["kpis", "--region", region, "--data-dir", data_dir]
                + (["--township", township] if township else [])
            )
            == 2
        )


def _township_rows(client, township: str | None, region: str | None = None) -> list[str]:
    """The unit codes of the view's units download (townships below a county; districts at the city)."""
    search = "?from=2023-01-01&to=2023-12-31" + (f"&township={township}" if township else "")
    search += f"&region={region}" if region else ""
    response = client.get(f"/download/townships.csv{search}")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return [row[0] for row in lines[6:] if row and row[0].isdigit()]


def test_a_district_leader_cannot_widen_the_scope_over_http(city):
    client = city["app"].server.test_client()
    assert login(client, "", "donghe", PASSWORD).status_code == 302
    own = _township_rows(client, None)
    assert own and all(code.startswith("150202") for code in own)
    assert _township_rows(client, OTHER_TOWNSHIP) == own
    leader = city["app"].server.test_client()
    assert login(leader, "", "cityleader", PASSWORD).status_code == 302
    # The city leader's view compares the districts; drilled into 东河区, it lists the district leader's rows.
    assert _township_rows(leader, None) == ["150202000000", "150203000000"]
    assert _township_rows(leader, None, region="150202") == own
    assert _township_rows(client, None, region="150203") == own


class _Json:
    """A Flask test response seen as the ``requests`` response the attack helpers read."""

    def __init__(self, response):
        self.status_code = response.status_code
        self._payload = response.get_json()

    def json(self):
        return self._payload


def test_leadership_callback_is_scoped_to_the_district(city):
    from tests.integration.test_security_attack import (
        _walk_ids,
        callback_body,
        data_of,
        leadership_render,
        router,
    )

    donghe = city["app"].server.test_client()
    assert login(donghe, "", "donghe", PASSWORD).status_code == 302
    leader = city["app"].server.test_client()
    assert login(leader, "", "cityleader", PASSWORD).status_code == 302
    deps = [d for d in leader.get("/_dash-dependencies").get_json() if not d.get("clientside_function")]
    body = callback_body(router(deps), [], {"_pages_location.pathname": "/", "_pages_location.search": ""})
    layout = leader.post("/_dash-update-component", json=body).get_json()
    ids: list = []
    _walk_ids(layout["response"]["_pages_content"]["children"], ids)

    def render(client, search: str) -> dict:
        body = callback_body(leadership_render(deps), ids, {"lead-location.search": search})
        response = _Json(client.post("/_dash-update-component", json=body))
        assert response.status_code == 200, search
        return data_of(response)

    period = "?from=2023-01-01&to=2023-12-31"
    # The city leader drilled into 东河区: what its district leader sees, whatever the URL asks for.
    own = render(leader, f"{period}&region=150202")
    assert own != render(leader, period), (
        "the district must differ from the city for this test to mean anything"
    )
    for search in (
        period,
        f"{period}&township={OTHER_TOWNSHIP}",
        f"{period}&township=150203001000,150203002000",
        f"{period}&region=150203",
        f"{period}&region=1502",
    ):
        assert render(donghe, search) == own, search


def test_a_district_leaders_briefing_covers_their_district_only(city, monkeypatch):
    """The briefing is written in a worker thread, outside the request's scope: the scope must travel
    with the job (a region user once got the whole city's briefing, watchlist names included)."""
    from dashboard.briefing import write
    from tests.support.briefing_helpers import cn, docx_paragraphs, docx_tables, tiny_png

    monkeypatch.setattr(write, "_png", lambda figure: tiny_png())  # kaleido is not under test here
    year = (date(2023, 1, 1), date(2023, 12, 31))
    own_total = collect_kpis(city["districts"]["150202"], *year, None)["kpis"]["activities_total"]
    city_total = collect_kpis(city["settings"], *year, None)["kpis"]["activities_total"]
    assert own_total < city_total
    url = "/download/briefing.docx?from=2023-01-01&to=2023-12-31"

    def text(response) -> str:
        assert response.status_code == 200, response.status_code
        cells = [" | ".join(row) for table in docx_tables(response.data) for row in table]
        return "\n".join(docx_paragraphs(response.data) + cells)

    leader = city["app"].server.test_client()
    assert login(leader, "", "cityleader", PASSWORD).status_code == 302
    whole = text(leader.get(url))
    assert f"共开展进家活动{cn(city_total)}场" in whole and "范围：包头市" in whole
    # The city's briefing compares its districts (as its leadership view does), not 16 townships.
    assert "各区县进家履职情况" in whole and "区县 | 代表之家" in whole
    assert "\n东河区 | " in whole and "\n昆都仑区 | " in whole
    drilled = text(leader.get(f"{url}&region=150202"))

    donghe = city["app"].server.test_client()
    assert login(donghe, "", "donghe", PASSWORD).status_code == 302
    own = text(donghe.get(url))
    assert "范围：东河区" in own and f"共开展进家活动{cn(own_total)}场" in own
    assert own == drilled  # the same document the city leader gets for 东河区
    assert "各苏木镇街道进家履职情况" in own
    for outside in ("&region=150203", "&region=1502", "&region=15", f"&township={OTHER_TOWNSHIP}"):
        assert donghe.get(url + outside).status_code == 403, outside
    # The kept briefings cover the whole city: not for a district leader.
    assert donghe.get("/briefs").status_code == 403
    assert leader.get("/briefs").status_code == 200
