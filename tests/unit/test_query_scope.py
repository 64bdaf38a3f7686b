"""Township scope enforced by the query layer itself (issue 17 item 1, issue 11 "security where it belongs").

On the hand-made snapshot, deputy D3 (township T2) is moved to home H1 (township T1): a home hosting a
deputy of another township. A caller scoped to T1 must not see D3 anywhere, whatever Filters it passes.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from tests.support.raw_fixture import T1, T2
from warehouse import presets, query
from warehouse.query import Filters
from warehouse.settings import Settings

YEAR = Filters(date(2023, 1, 1), date(2023, 12, 31))


@pytest.fixture
def con(snapshot):
    writable = duckdb.connect(str(snapshot))
    writable.execute("update dim_deputy set home_id = 'H1' where deputy_id = 'D3'")
    # The preset periods' stored panel results were computed from the dimension before this edit.
    presets.build_preset_panels(writable, Settings())
    writable.close()
    connection = duckdb.connect(str(snapshot), read_only=True)
    query.clear_memo()
    yield connection
    connection.close()
    query.clear_memo()


@pytest.fixture
def scoped_to_t1(monkeypatch):
    monkeypatch.setattr(query, "_scope_provider", lambda: (T1,))


def test_unscoped_callers_see_the_foreign_deputy_at_the_home(con):
    detail = query.home_detail(con, YEAR, "H1")
    assert "D3" in set(detail["deputies"]["deputy_id"])
    assert detail["home"]["deputies"] == 3
    homes = query.home_map(con, YEAR).set_index("home_id")
    assert homes.loc["H1", "deputies"] == 3


def test_a_scoped_caller_never_sees_deputies_of_other_townships(con, scoped_to_t1):
    for asked in (
        YEAR,
        Filters(YEAR.start, YEAR.end, townships=(T2,)),
        Filters(YEAR.start, YEAR.end, (T1, T2)),
    ):
        detail = query.home_detail(con, asked, "H1")
        assert set(detail["deputies"]["deputy_id"]) == {"D1", "D2"}, asked
        assert detail["home"]["deputies"] == 2
        homes = query.home_map(con, asked)
        assert set(homes["township_code"]) == {T1}
        assert homes.set_index("home_id").loc["H1", "deputies"] == 2
        assert query.deputy_detail(con, asked, "D3") is None
        assert query.home_detail(con, asked, "H2") is None
        assert set(query.points_ranking(con, asked)["deputy_id"]) == {"D1", "D2"}
        assert set(query.township_summary(con, asked)["township_code"]) == {T1}


def test_the_memo_never_serves_one_scope_to_another(con, monkeypatch):
    whole = query.township_summary(con, YEAR)
    assert {T1, T2} <= set(whole["township_code"])
    monkeypatch.setattr(query, "_scope_provider", lambda: (T1,))
    assert set(query.township_summary(con, YEAR)["township_code"]) == {T1}
    monkeypatch.setattr(query, "_scope_provider", None)
    assert set(query.township_summary(con, YEAR)["township_code"]) == set(whole["township_code"])


def test_restrict_townships_never_widens():
    assert query.restrict_townships((), None) == ()
    assert query.restrict_townships((T2,), (T1,)) == (T1,)
    assert query.restrict_townships((T1, T2), (T1,)) == (T1,)
    assert query.restrict_townships((), (T1,)) == (T1,)
