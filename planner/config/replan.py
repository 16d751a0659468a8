"""Re-planning from what is built (``[schedule.replan]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

from pydantic import Field

from planner.config._base import Section

__all__ = ["ReplanConfig"]


class ReplanConfig(Section):
    """Options of ``planner replan`` (:mod:`planner.replanning`)."""

    # Most crews of one type the crew search may propose ("what it takes"); beyond this
    # the answer is "crew capacity" rather than a number. [A: a regional FTTH contractor
    # mobilises at most about ten crews of one kind on one project]
    max_crews_per_type: int = Field(10, ge=1)
    # Most schedules the crew search evaluates per question (milestone). [A: bounds the run time]
    max_evaluations: int = Field(300, ge=1)
    # Most schedules the search for a better village order evaluates. [A: bounds the run time]
    reorder_max_evaluations: int = Field(60, ge=0)
    # Consent lead time, in calendar days from the as-of date, for consents still pending;
    # None takes schedule.consent_lead_days (a consent still pending today is as far
    # away as one asked for at the start). [A]
    consent_lead_days: int | None = Field(None, ge=0)
    # The as-of date may lie at most this many days after the project end; later dates
    # are taken for typing errors. [A]
    max_days_after_end: int = Field(365, ge=0)
    # An as-built line counts as following the plan when this share of its length lies
    # within schedule.as_built_match_m of planned segments; below it is "off plan". [A]
    on_plan_min_share: float = Field(0.5, gt=0, le=1)
    # A connection point farther than this from its address point is reported
    # (drops end at the fence, ~30 m slack on a drop up to 200 m). [A; MIN]
    connection_max_offset_m: float = Field(250.0, gt=0)
