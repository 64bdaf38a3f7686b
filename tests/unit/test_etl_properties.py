"""Property tests (hypothesis): header matching, date parsing and number parsing through the real
normalisation SQL, on values spelled the many ways exports spell them."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.export_date import stamp_sql
from etl.mapping import load_mapping, norm_header
from etl.normalize import build_parsed

MAPPING = load_mapping()
ACTIVITIES = MAPPING.entities["activities"]
FULL = str.maketrans("0123456789()", "０１２３４５６７８９（）")
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as c:
        yield c


def _parse(con, dates: list[str], visitors: list[str], other: str = "x") -> list[tuple]:
    """(p_activity_date, p_visitors) of rows read as an activities export with those cells."""
    con.execute(
        "create or replace temp table src (__row bigint, c0 varchar, c1 varchar, c2 varchar, c3 varchar, c4 varchar)"
    )
    rows = [
        (i + 2, f"A{i}", d, "学习", v, other) for i, (d, v) in enumerate(zip(dates, visitors, strict=True))
    ]
    con.executemany("insert into src values (?, ?, ?, ?, ?, ?)", rows)
    found = {"activity_id": 0, "activity_date": 1, "activity_type": 2, "visitors": 3, "title": 4}
    for statement in build_parsed(ACTIVITIES, found, 5, "src", MAPPING):
        con.execute(*statement)
    return con.execute("select p_activity_date, p_visitors from stg_parsed order by __row").fetchall()


def _spell(day: date, style: int, at: tuple[int, int] | None) -> str:
    y, m, d = day.year, day.month, day.day
    text = [
        f"{y}-{m:02d}-{d:02d}",
        f"{y}/{m}/{d}",
        f"{y}.{m:02d}.{d:02d}",
        f"{y}年{m}月{d}日",
        f"{y}{m:02d}{d:02d}",
        str((day - date(1899, 12, 30)).days),  # an Excel serial
        f"{y}-{m:02d}-{d:02d}T00:00:00",
    ][style]
    if at is not None and style not in (4, 5):
        sep = "T" if style == 6 else " "
        text = (text.split("T")[0] if style == 6 else text) + f"{sep}{at[0]:02d}:{at[1]:02d}"
    return text


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
            st.integers(0, 6),
            st.none() | st.tuples(st.integers(0, 23), st.integers(0, 59)),
            st.booleans(),  # full-width digits (the row then takes the slow cleaning path)
            st.booleans(),  # padded with spaces
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_spelling_of_a_day_parses_to_that_day(con, cases) -> None:
    texts = []
    for day, style, at, wide, padded in cases:
        text = _spell(day, style, at)
        text = text.translate(FULL) if wide else text
        texts.append(f"  {text}\u3000" if padded else text)
    got = _parse(con, texts, ["1"] * len(texts))
    assert [g[0] for g in got] == [c[0] for c in cases], texts


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 3), st.booleans()), min_size=1, max_size=8))
def test_counts_parse_exactly_with_separators_and_full_width_digits(con, cases) -> None:
    texts = []
    for n, style, wide in cases:
        text = [str(n), f"{n:,}", f"{n}.0", f" {n} "][style]
        texts.append(text.translate(FULL) if wide else text)
    got = _parse(con, ["2023-01-01"] * len(texts), texts)
    assert [g[1] for g in got] == [c[0] for c in cases], texts


@PROPERTY
@given(st.text(alphabet="abcxyz.%-e", min_size=1, max_size=6))
def test_a_non_number_never_becomes_a_number_silently(con, junk) -> None:
    got = _parse(con, ["2023-01-01"], [junk])[0][1]
    try:
        expected = int(float(junk)) if float(junk) == int(float(junk)) else None
    except (ValueError, OverflowError):
        expected = None
    assert got == expected, junk


ALL_HEADERS = sorted(
    {(e.name, c.name, h) for e in MAPPING.entities.values() for c in e.columns.values() for h in c.headers}
)


@PROPERTY
@given(
    st.sampled_from(ALL_HEADERS),
    st.sampled_from(["", "（人）", "(元)", "（年月日）", "[必填]", "【单位：人】", "*", "："]),
    st.sampled_from(["", " ", "\n", "\u3000"]),
    st.booleans(),
)
def test_a_known_header_with_units_notes_and_spacing_is_recognised(spec, suffix, space, wide) -> None:
    entity, column, header = spec
    decorated = header[:1] + space + header[1:] + suffix
    if wide:
        decorated = "".join(
            unicodedata.normalize("NFKC", ch) if ch.isascii() else ch for ch in decorated
        ).translate(FULL)
    found = MAPPING.entities[entity].match_headers(["无关列", decorated])
    # The header names its column, or a column that claims the same header text first (e.g. 名称).
    owner = MAPPING.entities[entity].header_lookup[norm_header(header)]
    assert found.get(owner) == 1, decorated
    assert owner == column or header in MAPPING.entities[entity].columns[owner].headers


def test_export_dates_with_times_parse_in_sql(con) -> None:
    texts = ["2024/1/19 14:30", "2024-01-19T14:30:00", "2024.01.19 14:30", "2024年1月19日", "昨天"]
    con.execute("create or replace temp table stamps (i integer, v varchar)")
    con.executemany("insert into stamps values (?, ?)", list(enumerate(texts)))
    got = [r[0] for r in con.execute(f"select {stamp_sql('v')} from stamps order by i").fetchall()]
    at = datetime(2024, 1, 19, 14, 30)
    assert got == [at, at, at, at - timedelta(hours=14, minutes=30), None]
