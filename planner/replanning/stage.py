"""The re-planning stage: :func:`replan_schedule`.

Data in (the designed network, the addresses and an as-built layer), the
``schedule`` configuration section, keyword options (the as-of date, the
current crews); a :class:`ReplanResult` out, no files touched.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner._errors import ConfigError, Problem, UsageError
from planner.config import CrewConfig, ScheduleConfig
from planner.replanning.curves import scurve
from planner.replanning.matching import AsBuiltCheck, check_records, id_matches, issue_table, path_issues
from planner.replanning.remaining import Status, remaining_model, status_at
from planner.replanning.tables import milestone_table, segment_table, village_table
from planner.replanning.whatittakes import Evaluator, better_order, what_it_takes
from planner.schedule.asbuilt import SegmentMatch, match_segments, passed_targets, segment_geometries
from planner.schedule.build import finish, schedule_model
from planner.schedule.model import ScheduleModel, prepare
from planner.schedule.packages import CREW_FIELD, CREW_TYPES
from planner.schedule.progress import apply_progress
from planner.schedule.results import ProgressReport, ScheduleResult

__all__ = ["ReplanResult", "ReplanProblem", "replan_problem", "replan_schedule", "crew_overrides", "check_as_of"]

logger = logging.getLogger(__name__)


@dataclass
class ReplanResult:
    """Result of :func:`replan_schedule`.

    Attributes
    ----------
    as_of
        Status date: as-built records up to it count; the remaining work is
        scheduled from it (inclusive).
    crews
        Current crews (``CrewConfig`` field -> number) the remaining work is
        scheduled with.
    config
        Schedule configuration with the current crews.
    baseline
        The plan's schedule from the start date (configured crews), with its
        progress against the counted as-built records.
    progress
        Figures at the as-of date (km built, underground, points passed, per
        commune; :class:`~planner.schedule.ProgressReport`).
    remaining
        Schedule of the remaining work from ``as_of`` with the current crews
        (work packages, compliance, milestones; ``feasible``: every milestone
        ahead and the project end are met).
    villages
        Per village: milestone, deadline, ``milestone_passed``, targets,
        ``passed_now, pct_passed_now, connected_now``, ``pct_at_deadline``
        (actual for a passed milestone, forecast otherwise), ``threshold_date``
        (when ``pass_threshold`` is reached; NaT if already or never),
        ``days_late``, ``complete_date``, km planned / built / remaining,
        ``village_state`` and ``milestone_reachable``.
    milestones
        Per milestone (and ``project end``, ``all``): the outlook with the
        current crews and what it takes (cheapest crews, binding constraint,
        the answer in words).
    order, order_summary
        The village order that meets the most milestones with the current
        crews, and its effect.
    issues
        As-built records that are off plan or inconsistent
        (:data:`planner.schema.ASBUILT_ISSUE_COLUMNS`).
    segments
        Per planned segment: ``state`` (built / partly_built / remaining),
        cover, built_on, remaining metres, remaining package and its dates.
    curves
        S-curve data by date: planned, actual and forecast km and % of target
        points passed.
    search
        Search figures: ``schedules`` evaluated (crew search, village order
        and relaxations) and the ``seconds`` spent in them; ``by_goal``
        schedules per crew-search question; ``timings`` seconds per step.
    localities
        Localities layer for maps (polygons with ``village_state``,
        ``pct_passed_now``, ``milestone_reachable``), filled by
        :func:`planner.replanning.replan`; ``None`` from the stage alone.
    segment_lines
        The planned segment lines (``segment_id``, geometry), to map
        :attr:`segments`; ``None`` without geometry.
    """

    as_of: dt.date
    crews: dict[str, int]
    config: ScheduleConfig
    baseline: ScheduleResult
    progress: ProgressReport
    remaining: ScheduleResult
    villages: pd.DataFrame
    milestones: pd.DataFrame
    order: pd.DataFrame
    order_summary: dict[str, Any]
    issues: pd.DataFrame
    segments: pd.DataFrame
    curves: pd.DataFrame
    search: dict[str, Any] = field(default_factory=dict)
    localities: Any = None
    segment_lines: Any = None

    def to_text(self) -> str:
        """Summary for the council: progress, per milestone reachable or not and what it takes."""
        p = self.progress
        thr = 100 * self.config.pass_threshold
        lines = [
            f"Re-plan as of {self.as_of} with crews "
            + ", ".join(f"{v} {k.removesuffix('_crews')}" for k, v in self.crews.items()) + ".",
            f"Built: {p.km_built:.1f} km, {p.km_underground:.1f} km of it underground; {p.km_planned_built:.1f} of "
            f"{p.km_planned:.1f} planned km; target points passed {p.pct_passed:.1f} %.",
        ]
        if len(p.by_commune):
            lines += ["Points passed by commune (TERC): " + "; ".join(
                f"{r.commune}: {r.pct_passed:.1f} % of {r.targets}" for r in p.by_commune.itertuples())]
        rem = self.remaining.work_packages
        left = rem[rem["unit"] == "m"]["quantity"].sum() / 1000.0
        end = rem["end"].max()
        lines.append(f"Remaining: {left:.1f} km of network, {int((rem['unit'] == 'drops').sum())} drop packages; "
                     f"last work ends {end.date() if pd.notna(end) else '-'}.")
        for r in self.milestones.itertuples():
            head = f"{r.goal} ({pd.Timestamp(r.deadline).date()})"
            if r.status == "passed":
                lines.append(f"{head}: deadline passed; {r.pct_at_deadline:.1f} % of its points were passed by then, "
                             f"{r.villages_below_now} villages still below {thr:.0f} %; {r.answer}.")
            else:
                verdict = "reachable" if r.met_with_current_crews else "NOT reachable"
                lines.append(f"{head}: {verdict} with the current crews; {r.answer}.")
        s = self.order_summary
        if s.get("improves"):
            now_m, new_m = s["milestones_met_now"], s["milestones_met_proposed"]
            ms_text = (f"{new_m} milestones met instead of {now_m}" if new_m != now_m
                       else f"as many milestones met ({new_m})")
            lines.append(f"A better village order (postponing {', '.join(s['postponed'])}): {ms_text}, "
                         f"{s['villages_on_time_proposed']} villages on time instead of {s['villages_on_time_now']}.")
        else:
            lines.append("No village order found that does better with the current crews.")
        lines.append(f"As-built records listed in asbuilt_issues.csv: {len(self.issues)} "
                     f"({', '.join(f'{k}: {v}' for k, v in self.issues['reason'].value_counts().sort_index().items())})"
                     if len(self.issues) else "As-built records: no issues.")
        lines.append(f"Crew search: {self.search.get('schedules', 0)} schedules evaluated in "
                     f"{self.search.get('seconds', 0.0):.2f} s.")
        return "\n".join(lines)


def crew_overrides(crews: dict[str, int] | None, base: CrewConfig) -> CrewConfig:
    """The crews with some numbers replaced.

    Parameters
    ----------
    crews
        Crew type (``aerial``, ``duct``, ``trench``, ``drop``) or
        :class:`~planner.config.CrewConfig` field (``aerial_crews``) -> number.
    base
        The configured crews.

    Returns
    -------
    CrewConfig

    Raises
    ------
    ConfigError
        An unknown crew type or a number that is not a whole number >= 0.
    """
    if not crews:
        return base
    upd: dict[str, int] = {}
    problems = []
    for k, v in crews.items():
        name = CREW_FIELD.get(k, k)
        if name not in CREW_FIELD.values():
            problems.append(Problem(file="--crews", row=k, message=f"unknown crew type {k!r}",
                                    fix=f"use {', '.join(CREW_TYPES)}, e.g. --crews aerial=2,trench=4"))
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            problems.append(Problem(file="--crews", row=k, message=f"{k}={v!r} is not a whole number >= 0",
                                    fix="give the number of crews, e.g. trench=4"))
            continue
        upd[name] = int(v)
    if problems:
        raise ConfigError("invalid crews", problems)
    return CrewConfig(**{**base.model_dump(), **upd})


def check_as_of(as_of: dt.date, config: ScheduleConfig) -> None:
    """Refuse an as-of date before the project start or far after its end.

    Raises
    ------
    UsageError
        ``as_of`` before ``start_date`` or more than ``replan.max_days_after_end``
        days after ``project_end``.
    """
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise UsageError(f"as-of date {as_of!r} is not a date", [Problem(
            file="--as-of", message=f"{as_of!r} is not a date", fix="give the date as YYYY-MM-DD")])
    if as_of < config.start_date:
        raise UsageError(f"as-of date {as_of} is before the project start {config.start_date}", [Problem(
            file="--as-of", message=f"{as_of} is before the project start {config.start_date} (schedule.start_date)",
            fix="give the date the as-built survey describes, on or after the project start")])
    limit = config.project_end + dt.timedelta(days=config.replan.max_days_after_end)
    if as_of > limit:
        raise UsageError(f"as-of date {as_of} is far in the future", [Problem(
            file="--as-of", message=f"{as_of} is more than {config.replan.max_days_after_end} days after the project "
                                    f"end {config.project_end}",
            fix="check the year of --as-of (or raise schedule.replan.max_days_after_end)")])


def _plan_match(model: Any, segments: Any, ab: Any, check: Any, config: ScheduleConfig) -> SegmentMatch:
    """Planned segments built: by geometry (counted lines) and by id."""
    seg = model.seg
    n = len(seg)
    lines = ab[check.counted & check.is_segment]
    if n and len(lines):
        match = match_segments(segment_geometries(segments, seg), lines.geometry.to_numpy(),
                               pd.to_datetime(lines["built_on"]).to_numpy(), config.as_built_match_m,
                               config.as_built_min_cover)
    else:
        match = SegmentMatch(np.zeros(n, dtype=bool), np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
                             np.zeros(n))
    rows, dates = id_matches(check, ab, seg["segment_id"].to_numpy())
    for r, d in zip(rows.tolist(), dates):
        match.built[r] = True
        match.cover[r] = 1.0
        if pd.isna(match.built_on[r]) or d > match.built_on[r]:
            match.built_on[r] = d
    return match


@dataclass
class ReplanProblem:
    """What is built at the as-of date and the remaining work, before any search.

    Attributes
    ----------
    plan
        The plan's prepared schedule problem (configured crews, from the start date).
    baseline
        Its schedule, with progress against the counted as-built records.
    as_built
        The as-built layer (rows as in ``check``).
    check
        Which as-built records count, and the issues.
    match
        Planned segments built.
    status
        Built paths, passed and connected targets.
    remaining
        The remaining work from the as-of date with the current crews.
    config
        Schedule configuration with the current crews.
    """

    plan: ScheduleModel
    baseline: ScheduleResult
    as_built: Any
    check: AsBuiltCheck
    match: SegmentMatch
    status: Status
    remaining: ScheduleModel
    config: ScheduleConfig


def replan_problem(segments: Any, drops: Any, addresses: Any, as_built: Any, config: ScheduleConfig, *,
                   as_of: dt.date, crews: dict[str, int] | None = None, progress: bool = False,
                   lap: Callable[[str], None] | None = None) -> ReplanProblem:
    """Match the as-built layer to the plan and set up the remaining work (see :func:`replan_schedule`).

    Parameters
    ----------
    segments, drops, addresses, as_built, config, as_of, crews, progress
        As :func:`replan_schedule`.
    lap
        Called with a step name after each step (timings).

    Returns
    -------
    ReplanProblem
    """
    lap = lap or (lambda name: None)
    check_as_of(as_of, config)
    sc = config.model_copy(update={"crews": crew_overrides(crews, config.crews)})
    if as_built is None:
        import geopandas as gpd

        as_built = gpd.GeoDataFrame({"id": [], "kind": [], "deployment": [], "address_id": [],
                                     "built_on": pd.Series([], dtype="datetime64[ns]")}, geometry=[],
                                    crs=getattr(segments, "crs", None))
    ab = as_built.reset_index(drop=True)
    model0 = prepare(segments, drops, addresses, config)
    baseline = schedule_model(model0, addresses, progress=progress)
    lap("plan schedule")
    check = check_records(ab, segments, addresses, model0.tgt, config, as_of)
    lap("check records")
    match = _plan_match(model0, segments, ab, check, config)
    lap("match segments")
    apply_progress(baseline, segments, model0, ab[check.counted], match=match)
    status = status_at(model0, match, check.connected_ids)
    by_path, _ = passed_targets(model0.tgt, status.path, np.zeros(len(model0.tgt), dtype=bool))
    tgt = model0.tgt
    path_issues(check, ab, set(tgt.loc[by_path, "id"]), set(tgt.loc[tgt["connectable"], "id"]))
    lap("progress")
    rm, _ = remaining_model(model0, status, addresses, baseline, sc, as_of)
    return ReplanProblem(plan=model0, baseline=baseline, as_built=ab, check=check, match=match, status=status,
                         remaining=rm, config=sc)


def replan_schedule(segments: Any, drops: Any, addresses: Any, as_built: Any, config: ScheduleConfig, *,
                    as_of: dt.date, crews: dict[str, int] | None = None, progress: bool = False) -> ReplanResult:
    """Re-plan the remaining work from what is built.

    Parameters
    ----------
    segments, drops, addresses
        The designed network and the addresses (as for
        :func:`planner.schedule.build_schedule`).
    as_built
        As-built layer (:data:`planner.schema.AS_BUILT`), validated; may be
        empty or ``None``.  An optional ``segment_id`` column names planned
        segments.
    config
        The ``schedule`` configuration section.
    as_of
        Status date.
    crews
        Current crews (``{'aerial': 2, 'trench': 4}`` or ``CrewConfig``
        field names); the configured ones by default.
    progress
        Show progress bars.

    Returns
    -------
    ReplanResult

    Raises
    ------
    UsageError
        ``as_of`` before the project start or far in the future.
    ConfigError, InputDataError
        Bad crews, milestones or network (as :func:`~planner.schedule.build_schedule`).
    """
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now_t = time.perf_counter()
        timings[name] = round(now_t - clock, 3)
        clock = now_t

    p = replan_problem(segments, drops, addresses, as_built, config, as_of=as_of, crews=crews, progress=progress,
                       lap=lap)
    model0, rm, baseline, status, match, check = p.plan, p.remaining, p.baseline, p.status, p.match, p.check
    ev = Evaluator(rm)
    cur = {t: int(getattr(p.config.crews, CREW_FIELD[t])) for t in CREW_TYPES}
    now = ev.verdict(cur)  # type: ignore[arg-type]
    lap("remaining work")
    wit = what_it_takes(ev, progress=progress)
    lap("crew search")
    order, order_summary = better_order(ev)
    lap("village order")
    everything = wit[wit["goal"] == "all"].iloc[0]
    feasible = bool(everything["met_with_current_crews"])
    needed = None
    if not feasible and pd.notna(everything["aerial_crews"]):
        needed = {CREW_FIELD[t]: int(everything[f"{t}_crews"]) for t in CREW_TYPES}
    remaining = finish(rm, now.run, addresses, feasible=feasible,
                       binding="" if feasible else str(everything["binding_constraint"] or "crew_capacity"),
                       crews_needed=needed)
    if not feasible:
        remaining.diagnosis = str(everything["answer"])
    villages = village_table(model0, rm, ev, now, status, match, check, baseline, as_of)
    milestones = milestone_table(villages, wit, rm, as_of)
    seg_table = segment_table(model0, rm, status, now.run)
    lap("tables")
    curves = scurve(model0, rm, p.as_built, check, match, baseline, now, as_of)
    lap("curves")
    assert baseline.progress_summary is not None
    result = ReplanResult(
        as_of=as_of, crews={CREW_FIELD[t]: cur[t] for t in CREW_TYPES}, config=p.config, baseline=baseline,
        progress=baseline.progress_summary, remaining=remaining, villages=villages, milestones=milestones,
        order=order, order_summary=order_summary, issues=issue_table(check, p.as_built), segments=seg_table,
        curves=curves,
        search={"schedules": ev.schedules, "seconds": round(ev.seconds, 3),
                "by_goal": dict(zip(wit["goal"], wit["evaluations"].astype(int))),
                "order_schedules": int(order_summary["evaluations"]), "timings": timings},
        segment_lines=(segments[["segment_id", "geometry"]].copy() if "geometry" in segments else None),
    )
    logger.info("re-plan as of %s: %d schedules evaluated in %.2f s", as_of, ev.schedules, ev.seconds)
    return result
