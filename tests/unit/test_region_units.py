"""Region levels below a unit, and the view state's region (clamped to the root and the scope)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard import filters
from warehouse import query
from warehouse.regions import child_level

DEFAULT = (date(2024, 1, 1), date(2024, 12, 31))


def test_child_levels():
    assert [child_level(level) for level in ("province", "city", "county")] == ["city", "county", "township"]
    with pytest.raises(ValueError):
        child_level("township")


@pytest.fixture
def city_root(monkeypatch):
    monkeypatch.setattr(filters, "_root_region", lambda: "1502")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("150202", "150202"),
        ("150202000000", "150202"),
        ("1502", ""),  # the root itself
        ("15", ""),  # above the root
        ("1503", ""),  # outside the root
        ("150202001000", ""),  # a township is the township filter's, not a region
        ("15x2", ""),
        ("1" * 200, ""),
    ],
)
def test_the_url_region_is_bounded_by_the_root(city_root, given, expected):
    state = filters.parse_search(f"?region={given}", DEFAULT)
    assert state.region == expected
    assert filters.filters_from_state(state).region == expected
    assert ("region=" in filters.to_search(state)) == bool(expected)


def test_the_url_region_is_clamped_to_a_region_scope(city_root):
    registered = query._scope_provider  # the dashboard's, when imported: restored afterwards
    query.set_scope_provider(lambda: query.RegionScope("150203"))
    try:
        assert filters.parse_search("?region=150202", DEFAULT).region == "150203"
        assert filters.parse_search("", DEFAULT).region == "150203"
        assert filters.parse_search("?region=150203", DEFAULT).region == "150203"
    finally:
        query.set_scope_provider(registered)
