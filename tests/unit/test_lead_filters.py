"""URL ⇄ view state ⇄ query-layer filters of the leadership view; periods for 同比 and 环比."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.filters import (
    ViewState,
    apply_scope,
    detect_preset,
    filters_from_state,
    parse_search,
    preset_period,
    previous_filters,
    to_search,
    yoy_filters,
)
from warehouse.query import Filters

DEFAULT = (date(2023, 1, 1), date(2023, 12, 31))


def test_empty_search_gives_default_period():
    state = parse_search("", DEFAULT)
    assert (state.start, state.end) == DEFAULT
    assert state.townships == () and state.home_levels == () and state.lang is None


def test_round_trip_through_the_query_string():
    state = ViewState(
        date(2023, 4, 1),
        date(2023, 6, 30),
        townships=("150205002000", "150205101000"),
        home_levels=("district", "village"),
        deputy_levels=("town",),
        lang="en",
    )
    search = to_search(state)
    assert search.startswith("?from=2023-04-01&to=2023-06-30&township=150205002000,150205101000")
    assert parse_search(search, DEFAULT) == state


def test_dash_pages_kwargs_are_accepted():
    state = parse_search({"from": "2022-01-01", "to": "2022-12-31", "township": "150205002000"}, DEFAULT)
    assert state.start == date(2022, 1, 1) and state.townships == ("150205002000",)


@pytest.mark.parametrize(
    "search",
    [
        "?from=notadate&to=2023-13-45",
        "?township=../../etc,<script>,1502050020001234",
        "?home_level=palace&deputy_level=king",
        "?lang=fr",
    ],
)
def test_garbage_falls_back_instead_of_reaching_the_query_layer(search):
    state = parse_search(search, DEFAULT)
    assert (state.start, state.end) == DEFAULT
    assert state.townships == () and state.home_levels == () and state.deputy_levels == ()
    assert state.lang is None


def test_reversed_range_is_swapped():
    state = parse_search("?from=2023-12-31&to=2023-01-01", DEFAULT)
    assert (state.start, state.end) == DEFAULT


def test_filters_use_the_data_values_of_levels():
    filters = filters_from_state(
        ViewState(
            date(2023, 1, 1), date(2023, 12, 31), ("150205002000",), ("district", "station"), ("city", "town")
        )
    )
    assert filters == Filters(
        date(2023, 1, 1), date(2023, 12, 31), ("150205002000",), ("区级", "代表工作站"), ("市", "镇")
    )


def test_scope_narrows_and_never_widens():
    asked = Filters(date(2023, 1, 1), date(2023, 12, 31), townships=("150205001000", "150205002000"))
    assert apply_scope(asked, None) == asked
    assert apply_scope(asked, ("150205002000",)).townships == ("150205002000",)
    # Asking for a township outside the scope (or for the whole district) yields the scope itself.
    assert apply_scope(asked, ("150205101000",)).townships == ("150205101000",)
    whole = Filters(date(2023, 1, 1), date(2023, 12, 31))
    assert apply_scope(whole, ("150205101000",)).townships == ("150205101000",)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("month", (date(2023, 12, 1), date(2023, 12, 31))),
        ("quarter", (date(2023, 10, 1), date(2023, 12, 31))),
        ("year", (date(2023, 1, 1), date(2023, 12, 31))),
        ("last_year", (date(2022, 1, 1), date(2022, 12, 31))),
    ],
)
def test_presets_are_relative_to_the_anchor(preset, expected):
    anchor = date(2023, 12, 31)
    assert preset_period(preset, anchor) == expected
    assert detect_preset(*expected, anchor) == preset


def test_quarter_of_a_mid_year_anchor_and_custom_detection():
    assert preset_period("quarter", date(2024, 5, 17)) == (date(2024, 4, 1), date(2024, 6, 30))
    assert detect_preset(date(2023, 3, 5), date(2023, 6, 1), date(2023, 12, 31)) == "custom"
    with pytest.raises(ValueError):
        preset_period("decade", date(2023, 1, 1))


def test_yoy_is_the_same_dates_last_year():
    f = Filters(date(2024, 2, 1), date(2024, 2, 29))
    assert yoy_filters(f) == Filters(date(2023, 2, 1), date(2023, 2, 28))
    assert yoy_filters(Filters(date(2024, 2, 29), date(2024, 3, 31))).start == date(2023, 2, 28)


@pytest.mark.parametrize(
    ("start", "end", "prev_start", "prev_end"),
    [
        (date(2023, 1, 1), date(2023, 12, 31), date(2022, 1, 1), date(2022, 12, 31)),  # whole year
        (date(2023, 10, 1), date(2023, 12, 31), date(2023, 7, 1), date(2023, 9, 30)),  # whole quarter
        (date(2023, 3, 1), date(2023, 3, 31), date(2023, 2, 1), date(2023, 2, 28)),  # whole month
        (date(2023, 3, 10), date(2023, 3, 19), date(2023, 2, 28), date(2023, 3, 9)),  # 10 days
    ],
)
def test_previous_period_has_equal_length(start, end, prev_start, prev_end):
    prev = previous_filters(Filters(start, end, townships=("150205002000",)))
    assert (prev.start, prev.end) == (prev_start, prev_end)
    assert prev.townships == ("150205002000",)
