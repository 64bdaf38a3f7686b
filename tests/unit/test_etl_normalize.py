"""Date parsing: the cheap casts (``_date_fast``) and the residue path (``_date_slow``) together give the
same day for every spelling as before the 年月日 term joined the cheap casts."""

from __future__ import annotations

import duckdb

from etl.normalize import _date_fast, _date_slow

VALUES = [
    "2023-05-06",
    "2023/5/6",
    "2023.05.06",
    "2023年5月6日",
    "2023年05月06日",
    "2023年12月31日",
    "2023年2月30日",  # not a day: null from every path
    "2023年5月6",  # no 日: the slow path's business
    "2023年5月6日 10:00",
    "2023年5月6日T10:00",
    "2023-5-6",
    "0001年1月1日",  # a day, out of range for validation
    "12023年1月1日",
    "23年5月6日",
    "2023年5月6日日",
    "20230506",
    "45052",
    "45052.5",
    "2023年5月 6日",
    "not a date",
    None,
]


def _previous_fast(v: str) -> str:
    return f"coalesce(try_cast({v} as date), try_cast(replace(replace({v}, '/', '-'), '.', '-') as date))"


def test_date_paths_give_the_same_day_as_before_for_every_spelling() -> None:
    with duckdb.connect() as con:
        con.execute("create table t (v varchar)")
        con.executemany("insert into t values (?)", [[v] for v in VALUES])
        rows = con.execute(
            f"select v, coalesce({_date_fast('v')}, {_date_slow('v')}) as new, "
            f"coalesce({_previous_fast('v')}, {_date_slow('v')}) as old, {_date_fast('v')} as fast from t"
        ).fetchall()
    for v, new, old, _ in rows:
        assert new == old, v
    fast = {v: f for v, _, _, f in rows}
    # The 年月日 spelling is now parsed by the cheap casts, the others still left to the residue path.
    assert fast["2023年5月6日"] is not None and fast["2023年12月31日"] is not None
    assert fast["2023年5月6日 10:00"] is None and fast["20230506"] is None
    assert str(fast["2023年05月06日"]) == "2023-05-06"
