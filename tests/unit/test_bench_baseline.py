"""The bench's pandas baseline reads the product's own points rules (it broke silently when they moved)."""

from __future__ import annotations

from benchmarks import panels
from warehouse.points import load_points_rules


def test_the_baseline_scores_with_the_packaged_points_rules():
    rules = load_points_rules()
    by_type, absence, suggestion = panels._attendance_points()
    attendance = [r for r in rules if r.source == "attendance"]
    assert attendance and set(by_type) == {kind for r in attendance for kind in r.activity_types}
    assert all(by_type[kind] == r.points for r in attendance for kind in r.activity_types)
    assert absence == next(r.points for r in rules if r.source == "absence")
    assert suggestion == next(r.points for r in rules if r.source == "suggestion")
