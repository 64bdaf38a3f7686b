"""Duty points rules (履职积分规则): load and validate the rules TOML.

The packaged defaults live in ``warehouse/points_rules.toml`` (documented there); a deployment points
``Settings.points_rules_file`` at its own copy. The build loads the rules into a temporary table and
computes the ledger set-wise in ``sql/marts/fct_points.sql``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_RULES_FILE = Path(__file__).resolve().parent / "points_rules.toml"
SOURCES = frozenset(
    {
        "attendance",
        "absence",
        "suggestion",
        "suggestion_adopted",
        "petition_closed",
        "mediation_success",
        "unfed",
    }
)


class PointsRulesError(ValueError):
    """The rules file is invalid (unknown source, duplicated activity type, missing points)."""


@dataclass(frozen=True)
class PointsRule:
    """One rule: ``points`` per event of ``source`` (see ``warehouse/points_rules.toml``)."""

    rule_id: str
    name: str
    name_en: str
    points: int
    source: str
    activity_types: tuple[str, ...] = ()
    at_home_only: bool = False
    exclude_statuses: tuple[str, ...] = ()
    sort_order: int = 0


def load_points_rules(path: Path | None = None) -> list[PointsRule]:
    """Read and validate a points rules TOML file.

    Args:
        path: The rules file; None means the packaged defaults.

    Returns:
        The rules in file order.

    Raises:
        PointsRulesError: When a rule is malformed or an activity type belongs to two attendance rules.
    """
    path = path or DEFAULT_RULES_FILE
    with Path(path).open("rb") as fh:
        raw = tomllib.load(fh)
    rules: list[PointsRule] = []
    seen_types: dict[str, str] = {}
    for order, (rule_id, spec) in enumerate(raw.items()):
        if not isinstance(spec, dict):
            raise PointsRulesError(f"rule {rule_id!r}: expected a table")
        source = spec.get("source")
        if source not in SOURCES:
            raise PointsRulesError(f"rule {rule_id!r}: unknown source {source!r}")
        points = spec.get("points")
        if not isinstance(points, int) or isinstance(points, bool):
            raise PointsRulesError(f"rule {rule_id!r}: points must be an integer")
        types = tuple(str(x) for x in spec.get("activity_types", ()))
        if source == "attendance":
            if not types:
                raise PointsRulesError(f"rule {rule_id!r}: attendance rule without activity_types")
            for activity_type in types:
                if activity_type in seen_types:
                    raise PointsRulesError(
                        f"activity type {activity_type!r} in rules {seen_types[activity_type]!r} and {rule_id!r}"
                    )
                seen_types[activity_type] = rule_id
        rules.append(
            PointsRule(
                rule_id=str(rule_id),
                name=str(spec.get("name", rule_id)),
                name_en=str(spec.get("name_en", spec.get("name", rule_id))),
                points=points,
                source=source,
                activity_types=types,
                at_home_only=bool(spec.get("at_home_only", False)),
                exclude_statuses=tuple(str(x) for x in spec.get("exclude_statuses", ())),
                sort_order=order,
            )
        )
    return rules
