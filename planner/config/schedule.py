"""Milestones, crews and calendar (``[schedule]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from planner.config._base import Section
from planner.config.replan import ReplanConfig

__all__ = ["CrewConfig", "Milestone", "ScheduleConfig"]


class CrewConfig(Section):
    """Crews and their productivity per working day. All [A] (typical Polish FTTH contractors)."""

    aerial_crews: int = Field(2, ge=0)
    trench_crews: int = Field(2, ge=0)
    duct_crews: int = Field(1, ge=0)
    drop_crews: int = Field(3, ge=0)
    aerial_m_per_day: float = Field(900.0, gt=0)
    trench_unpaved_m_per_day: float = Field(180.0, gt=0)
    trench_paved_m_per_day: float = Field(70.0, gt=0)
    trench_carriageway_m_per_day: float = Field(35.0, gt=0)
    duct_m_per_day: float = Field(1_500.0, gt=0)
    drops_per_day: float = Field(6.0, gt=0)
    # Cost of one crew per working day, PLN net (labour, vehicle, machine, consumables),
    # used to rank crew mixes "cheapest first" when re-planning. [A: 2024 rural Mazovia;
    # aerial: 3 fitters (~45 PLN/h loaded, 8 h) + aerial lift truck (~1,000 PLN/day) +
    # cable pulling gear; duct: 3 fitters + cable-blowing machine and compressor;
    # trench: excavator or micro-trencher with operator + 3 workers + surface
    # reinstatement and traffic management; drop: 2 technicians, van, splicer]
    aerial_day_rate_pln: float = Field(3_500.0, gt=0)
    duct_day_rate_pln: float = Field(4_000.0, gt=0)
    trench_day_rate_pln: float = Field(6_500.0, gt=0)
    drop_day_rate_pln: float = Field(2_000.0, gt=0)


class Milestone(Section):
    """A milestone (kamień milowy): deadline and its localities."""

    name: str
    deadline: dt.date
    # Locality names or SIMC codes; empty means "all localities not in another milestone"
    # (at most one such milestone) or, with ScheduleConfig.auto_assign, chosen by the scheduler.
    localities: tuple[str, ...] = ()


def _contract_milestones() -> tuple[Milestone, ...]:
    # The three milestone deadlines of the Serock/Wieliszew FERC contract [MIN, issue #6];
    # which localities fall into which milestone depends on the area, so by default the
    # scheduler assigns them (auto_assign).  The demo area's named assignment is in
    # data/demo/planner.toml (`load_config("demo")`).
    return (
        Milestone(name="M1", deadline=dt.date(2025, 7, 31)),
        Milestone(name="M2", deadline=dt.date(2025, 12, 31)),
        Milestone(name="M3", deadline=dt.date(2026, 12, 31)),
    )


class ScheduleConfig(Section):
    """Milestone schedule."""

    # Start of construction: the first year of building ended by March 2025. [MIN]
    start_date: dt.date = dt.date(2024, 4, 2)
    # Project end. [MIN: 21.01.2027]
    project_end: dt.date = dt.date(2027, 1, 21)
    milestones: tuple[Milestone, ...] = Field(default_factory=_contract_milestones)
    # Share of a locality's target points that must be passed by its milestone. [MIN: ~80 %]
    pass_threshold: float = Field(0.8, gt=0, le=1)
    # Choose the locality -> milestone assignment automatically (issue #6 automatic mode);
    # the default milestones name no localities, so this is on by default. [A]
    auto_assign: bool = True
    crews: CrewConfig = Field(default_factory=CrewConfig)
    # Lead time before a segment with a pending consent may start. [A; MIN: consents are the main delay]
    consent_lead_days: int = Field(90, ge=0)
    # Winter stop for trenching (month-day, inclusive), None for no stop. [A: frozen ground]
    trench_winter_stop: tuple[str, str] | None = ("12-15", "02-28")
    # Public holidays of this country are not working days (holidays library). [A]
    holidays_country: str = "PL"
    # Work on Saturdays. [A: 5-day week]
    work_saturdays: bool = False
    # Longest work package, in working days: longer runs of one deployment type in
    # one locality are cut (in tree order) so that several crews can share them. [A]
    max_package_days: int = Field(20, ge=1)
    # An as-built line within this distance of a planned segment, covering at least
    # as_built_min_cover of its length, marks the segment built. [A: GPS survey accuracy]
    as_built_match_m: float = Field(5.0, gt=0)
    as_built_min_cover: float = Field(0.8, gt=0, le=1)
    # Re-planning from what is built (planner replan, issue #18).
    replan: ReplanConfig = Field(default_factory=ReplanConfig)

    @model_validator(mode="after")
    def _check(self) -> ScheduleConfig:
        names = [m.name for m in self.milestones]
        if len(set(names)) != len(names):
            raise ValueError(f"milestone names must be unique, got {names}")
        if sum(1 for m in self.milestones if not m.localities) > 1 and not self.auto_assign:
            raise ValueError("at most one milestone may leave 'localities' empty (it takes the rest)")
        if self.trench_winter_stop is not None:
            for md in self.trench_winter_stop:
                try:
                    dt.datetime.strptime("2024-" + md, "%Y-%m-%d")
                except ValueError as exc:
                    raise ValueError(f"trench_winter_stop needs 'MM-DD' values, got {md!r}") from exc
        return self
