"""The query layer: typed functions over the published snapshot, one per dashboard need.

Every function takes a DuckDB cursor on the published snapshot and a :class:`Filters`; SQL lives in
``sql/queries/*.sql`` and is bound with parameters. Township scope (security) is applied by the caller
passing ``Filters.townships``: the functions never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

KPI_IDS: tuple[str, ...] = (
    "deputies_total",
    "homes_total",
    "stations_total",
    "liaison_points_total",
    "activities_total",
    "visitors_total",
    "suggestions_collected",
    "suggestion_closure_rate",
    "suggestion_satisfaction_rate",
    "petition_cases",
    "petition_completed",
    "petition_completion_rate",
    "petition_satisfaction_rate",
    "mediation_cases",
    "mediation_success",
    "mediation_success_rate",
    "mediators_total",
    "legislative_suggestions",
    "regulations_consulted",
    "supervision_suggestions",
    "livelihood_projects_voted",
    "home_visit_rate",
    "trainings_total",
    "training_attendance",
    "csc_observations",
)
RATE_KPIS = frozenset(k for k in KPI_IDS if k.endswith("_rate"))
# The entity each KPI is computed from, for its own as-of time on screen.
KPI_ENTITY: dict[str, str] = {
    **{k: "deputies" for k in ("deputies_total", "home_visit_rate")},
    **{k: "homes" for k in ("homes_total", "stations_total", "liaison_points_total")},
    **{k: "activities" for k in ("activities_total", "visitors_total", "trainings_total",
                                 "training_attendance", "csc_observations")},
    **{k: "suggestions" for k in ("suggestions_collected", "suggestion_closure_rate",
                                  "suggestion_satisfaction_rate", "legislative_suggestions",
                                  "regulations_consulted", "supervision_suggestions")},
    **{k: "cases" for k in ("petition_cases", "petition_completed", "petition_completion_rate",
                            "petition_satisfaction_rate", "mediation_cases", "mediation_success",
                            "mediation_success_rate", "mediators_total")},
    "livelihood_projects_voted": "projects",
}


@dataclass(frozen=True)
class Filters:
    """What every query is restricted to. Empty tuples mean "no restriction"."""

    start: date
    end: date
    townships: tuple[str, ...] = ()
    home_levels: tuple[str, ...] = ()
    deputy_levels: tuple[str, ...] = field(default=())  # subset of 市/区/镇


@dataclass(frozen=True)
class SnapshotInfo:
    version: str
    built_at: datetime
    run_id: str
    as_of: dict[str, datetime]
