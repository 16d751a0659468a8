"""Result containers of the schedule stage: :class:`ScheduleResult`, :class:`ProgressReport`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.config import ScheduleConfig

__all__ = ["ProgressReport", "ScheduleResult"]


@dataclass
class ProgressReport:
    """Progress against the as-built layer (see :func:`progress_report`).

    Attributes
    ----------
    as_of
        Latest ``built_on`` date of the as-built layer.
    km_built, km_underground
        Length of the as-built segment lines, all and trench + duct, km.
    km_planned, km_planned_built
        Planned network length, and the part of it matched by as-built lines, km.
    pct_passed, pct_connected
        Share of target points passed (network built up to their drop) and
        connected (as-built connection), percent.
    rate_m_per_day
        Planned metres built per working day over the as-built period.
    forecast_completion
        Date the remaining planned network would be finished at that rate.
    by_commune
        Points passed/connected per commune (TERC).
    localities
        Per locality and milestone (also :attr:`ScheduleResult.progress`).
    milestones
        Per milestone: its localities, target points, points passed and
        percent, localities below the pass threshold, remaining km (its
        localities and their feeders), forecast date of that work,
        ``at_risk`` (written as ``progress_milestones.csv``).
    milestones_at_risk
        Names of milestones whose forecast misses the deadline.
    """

    as_of: dt.date | None
    km_built: float
    km_underground: float
    km_planned: float
    km_planned_built: float
    pct_passed: float
    pct_connected: float
    rate_m_per_day: float
    forecast_completion: dt.date | None
    by_commune: pd.DataFrame
    localities: pd.DataFrame
    milestones: pd.DataFrame
    milestones_at_risk: list[str]

    def to_text(self) -> str:
        """Human-readable summary, as reported to the council."""
        lines = [
            f"As built on {self.as_of}: {self.km_built:.1f} km built, {self.km_underground:.1f} km of it "
            f"underground (trench + duct); {self.km_planned_built:.1f} of {self.km_planned:.1f} planned km.",
            f"Target points passed {self.pct_passed:.1f} %, connected {self.pct_connected:.1f} %.",
            f"Rate {self.rate_m_per_day:.0f} m per working day; forecast completion "
            f"{self.forecast_completion or 'unknown'}.",
            "Milestones at risk: " + (", ".join(self.milestones_at_risk) or "none"),
        ]
        if len(self.by_commune):
            lines.append(self.by_commune.to_string(index=False))
        return "\n".join(lines)


@dataclass
class ScheduleResult:
    """Result of :func:`build_schedule`.

    Attributes
    ----------
    work_packages
        One row per package: ``wp_id, milestone`` (of its locality), ``needed_by``
        (earliest milestone it serves), ``simc, locality, kind, quantity, unit,
        crew_type, crew, start, end`` (dates, inclusive), ``duration_days``
        (working days), ``depends_on`` (';'-joined wp_ids),
        ``consent_wait_until`` (date or NaT), ``n_segments``.
    addresses
        The input addresses plus ``milestone, milestone_date, passed_date``.
    compliance
        Per milestone and locality: % of targets passed by the deadline, slack,
        points missing and why.
    milestones
        Per milestone summary.
    feasible
        Every locality meets its milestone and the work ends by the project end.
    binding_constraint
        One of :data:`BINDING_CONSTRAINTS` (``''`` when feasible).
    min_crews
        Smallest crew numbers (``CrewConfig`` field -> count) meeting every
        deadline: searched when infeasible for lack of crews, and always in
        automatic mode; ``None`` otherwise.
    progress
        Per locality progress against the as-built layer, or ``None``.
    assignment
        ``simc, locality, milestone, how`` (``config`` | ``rest`` | ``auto``).
    segments
        Per segment: ``segment_id, wp_id, planned_built`` (date) and, with an
        as-built layer, ``as_built`` (bool), ``as_built_on`` (date) and
        ``as_built_cover`` (share of the segment's length within
        ``as_built_match_m`` of as-built lines, 0..1).
    config
        The schedule configuration used.
    progress_summary
        Progress against the as-built layer (:func:`planner.schedule.progress_report`),
        or ``None``.
    diagnosis
        Why the deadlines are missed, in words (``''`` when feasible): which
        milestones miss, whether more crews would help and, if not, what binds.
    locality_rank
        Priority rank of each locality (SIMC -> ``(milestone rank, rank within
        it)``) the list scheduler used; a re-plan keeps it.
    """

    work_packages: pd.DataFrame
    addresses: Any
    compliance: pd.DataFrame
    milestones: pd.DataFrame
    feasible: bool
    binding_constraint: str
    min_crews: dict[str, int] | None
    progress: pd.DataFrame | None
    assignment: pd.DataFrame
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: ScheduleConfig = field(default_factory=lambda: ScheduleConfig())
    progress_summary: ProgressReport | None = None
    diagnosis: str = ""
    locality_rank: dict[str, tuple[int, int]] = field(default_factory=dict)

