"""Milestone schedule: work packages, crews, calendar, consents and progress.

Turns a designed network (the tree of :data:`planner.schema.OUT_SEGMENT_COLUMNS`
segments oriented away from the POP, and the drops hanging off it) into a
construction schedule checked against the milestones (kamienie milowe) of the
contract, and tracks it against an as-built layer.

Rules
-----
* **Work packages.**  Segments of one deployment kind (``aerial``, ``duct``,
  ``trench_<surface>``) in one locality that are connected in the tree form one
  package; runs longer than ``ScheduleConfig.max_package_days`` working days
  are cut into connected subtrees (bottom-up, cutting off the largest child
  subtrees first) so that several crews can share them.  Drops form one package
  per network package they hang off, cut into ``max_package_days`` pieces.  A
  package depends on the packages holding the parents of its segments, so the
  package graph is a tree (acyclic) and "a segment is built only after the
  segments between it and the POP" holds at package level.
* **Time.**  Durations are fractional working days (quantity / productivity);
  a package may start the moment its predecessors end, so a child may start on
  the day its parent ends (never earlier).  Tables show the start and end days.
* **Passed vs connected.**  A target point is *passed* on the end date of the
  package holding the segment its drop hangs off (and so of every upstream
  segment: a child package starts only after its parents end; drops at the POP
  node are passed on the start date); it is *connected* when its drop package
  ends.  Targets the design leaves unconnected are never passed.  The ≥ 80 % milestone rule counts
  **passed** points (the network reaches them and drops can be made); drops are
  scheduled after the network and reported separately.
* **Crews.**  List scheduling (serial schedule generation with gap filling):
  packages are taken in priority order (the earliest milestone deadline the
  package serves, itself or any locality downstream of it, then depth-first
  tree order) and each goes to the crew of its type that can start it first;
  a crew works one package at a time.  A feeder through a later-milestone
  locality inherits the earlier deadline of the villages beyond it.
* **Calendar.**  Weekends off (Saturdays optional), public holidays of
  ``holidays_country`` from the ``holidays`` library, and no trenching inside the
  winter stop (``MM-DD`` to ``MM-DD``, inclusive, across the year boundary).
  Durations are in working days of the package's calendar.
* **Consents.**  A package with a segment whose consent is ``pending`` cannot
  start before ``start_date + consent_lead_days`` (calendar days).
* **Milestones.**  ``Milestone.localities`` holds names or SIMC codes; the one
  milestone with no localities takes the rest.  With ``auto_assign`` the
  localities not listed are ordered by cost per home passed (then distance from
  the POP), scheduled in that order, and each is put into the earliest milestone
  (among those without a fixed list, or all if every milestone has one) whose
  deadline it meets.  ``min_crews`` then gives the fewest crews that still meet
  every deadline.
* **As built.**  A planned segment is built when as-built lines within
  ``as_built_match_m`` cover ``as_built_min_cover`` of its length; a target is
  passed when its drop's segment is built and that share of its whole path from
  the POP is built (surveys have gaps), or when it is connected.  The forecast
  extrapolates the planned metres built per working day over the as-built
  period; a milestone is at risk when one of its localities is below the
  threshold and the unbuilt network its localities need (with their feeders)
  would not be finished by the deadline at that rate.
* **Infeasibility.**  When a deadline (or the project end) is missed the result
  says so (``feasible=False``) and names the binding constraint: the schedule is
  recomputed with unlimited crews (if that meets the deadlines the binding
  constraint is ``crew_capacity`` and ``min_crews`` is found type by type,
  heaviest workload first, by a binary search between one crew and the peak
  concurrency of the unlimited-crew schedule), then also without consent lead time (``consent_lead_time``), then also
  with every day a working day (``calendar``); otherwise it is the
  ``dependency_chain``.  When too many of a locality's targets are unconnected
  by the design for the rule to be met at all it is ``unconnected_points``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import heapq
import html
import io
import logging
import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner._errors import ConfigError, InputDataError, Problem
from planner.config import Config, CrewConfig, ScheduleConfig
from planner.output import files

__all__ = [
    "KINDS",
    "ScheduleResult",
    "ProgressReport",
    "build_schedule",
    "working_days",
    "write_schedule_csv",
    "write_schedule_xlsx",
    "gantt_figure",
    "gantt_html",
    "progress_report",
]

logger = logging.getLogger(__name__)

#: Work-package kinds.
KINDS: tuple[str, ...] = ("aerial", "duct", "trench_unpaved", "trench_paved", "trench_carriageway", "drops")
#: Crew type that builds each kind.
CREW_TYPE: dict[str, str] = {
    "aerial": "aerial", "duct": "duct", "trench_unpaved": "trench", "trench_paved": "trench",
    "trench_carriageway": "trench", "drops": "drop",
}
#: Crew type -> field of :class:`~planner.config.CrewConfig` with its number of crews.
CREW_FIELD: dict[str, str] = {"aerial": "aerial_crews", "duct": "duct_crews", "trench": "trench_crews",
                              "drop": "drop_crews"}
_CREW_TYPES = ("aerial", "duct", "trench", "drop")
#: Values of :attr:`ScheduleResult.binding_constraint`.
BINDING_CONSTRAINTS = ("", "crew_capacity", "consent_lead_time", "calendar", "dependency_chain",
                       "unconnected_points")

_WP_COLUMNS = ["wp_id", "milestone", "needed_by", "simc", "locality", "kind", "quantity", "unit", "crew_type",
               "crew", "start", "end", "duration_days", "depends_on", "consent_wait_until", "n_segments"]
_HORIZON_YEARS = 30
_MAX_GAPS = 8


# --------------------------------------------------------------------------
# result containers
# --------------------------------------------------------------------------


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
        as-built layer, ``as_built`` (bool) and ``as_built_on`` (date).
    config
        The schedule configuration used.
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
    config: ScheduleConfig = field(default_factory=ScheduleConfig)
    progress_summary: ProgressReport | None = None


# --------------------------------------------------------------------------
# calendar
# --------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _holiday_days(country: str, first_year: int, last_year: int) -> np.ndarray:
    """Public holidays of ``country`` in the years, as ``datetime64[D]``."""
    import holidays

    try:
        hol = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    except NotImplementedError:
        raise ConfigError(f"unknown holidays country {country!r}", [Problem(
            file="config", message=f"schedule.holidays_country = {country!r} is not known to the holidays library",
            fix="use an ISO 3166 alpha-2 code such as 'PL'")]) from None
    return np.array(sorted(hol.keys()), dtype="datetime64[D]")


def _md(s: str) -> int:
    m, d = s.split("-")
    return int(m) * 100 + int(d)


class _Calendar:
    """Working days from ``start`` on, as day offsets; one mask per calendar.

    Calendar ``0`` is the general one, ``1`` the trench one (general minus the
    winter stop).  ``relaxed`` makes every day a working day.
    """

    def __init__(self, sc: ScheduleConfig, relaxed: bool = False) -> None:
        self.start = np.datetime64(sc.start_date, "D")
        end = max(sc.project_end, max((m.deadline for m in sc.milestones), default=sc.project_end))
        n = (end - sc.start_date).days + 366 * _HORIZON_YEARS
        self.n = n
        dates = self.start + np.arange(n).astype("timedelta64[D]")
        if relaxed:
            general = np.ones(n, dtype=bool)
            trench = general
        else:
            weekday = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
            general = weekday < (6 if sc.work_saturdays else 5)
            years = dates.astype("datetime64[Y]").astype(int) + 1970
            general &= ~np.isin(dates, _holiday_days(sc.holidays_country, int(years[0]), int(years[-1])))
            trench = general.copy()
            if sc.trench_winter_stop is not None:
                months = dates.astype("datetime64[M]").astype(int) % 12 + 1
                days = (dates - dates.astype("datetime64[M]")).astype(int) + 1
                md = months * 100 + days
                a, b = (_md(x) for x in sc.trench_winter_stop)
                stop = (md >= a) & (md <= b) if a <= b else (md >= a) | (md <= b)
                trench &= ~stop
        self.work = (general, trench)
        self.cum = tuple(np.cumsum(w).astype(np.int64) for w in self.work)
        # O(1) look-ups as plain lists (the list scheduler calls these in its inner loop)
        self._cum = tuple(c.tolist() for c in self.cum)
        self._pos = tuple(np.flatnonzero(w).tolist() for w in self.work)
        nxt = []
        for w in self.work:
            pos = np.flatnonzero(w)
            i = np.searchsorted(pos, np.arange(n), side="left")
            nxt.append(np.where(i < len(pos), pos[np.minimum(i, max(len(pos) - 1, 0))] if len(pos) else -1, -1).tolist())
        self._next = tuple(nxt)

    def first(self, cal: int, t: float) -> float:
        """Earliest working time ``>= t`` (``-1`` beyond the horizon).

        Times are in days from ``start``; day ``d`` spans ``[d, d + 1)``.
        """
        d = int(math.floor(t + 1e-9))
        if d >= self.n:
            return -1.0
        if self.work[cal][d]:
            return max(t, float(d))
        nd = self._next[cal][d]
        return float(nd) if nd >= 0 else -1.0

    def finish(self, cal: int, start: float, duration: float) -> float:
        """Time at which ``duration`` working days started at working time ``start`` end."""
        d = int(math.floor(start + 1e-9))
        v = self._cum[cal][d] - 1 + (start - d) + duration
        k = int(math.ceil(v - 1e-9)) - 1
        pos = self._pos[cal]
        if k >= len(pos):
            return -1.0
        return pos[max(k, 0)] + (v - max(k, 0))

    def count(self, cal: int, first: int, last: int) -> int:
        """Working days in ``[first, last]``."""
        if last < first:
            return 0
        cum = self.cum[cal]
        return int(cum[min(last, self.n - 1)] - (cum[first - 1] if first > 0 else 0))

    def date(self, day: int) -> dt.date:
        return (self.start + np.timedelta64(int(day), "D")).astype(dt.date)

    def day(self, date: dt.date) -> int:
        return int((np.datetime64(date, "D") - self.start).astype(int))


def working_days(first: dt.date, last: dt.date, config: ScheduleConfig | Config | None = None, *,
                 trench: bool = False) -> list[dt.date]:
    """Working days between two dates (inclusive) under the schedule calendar.

    Parameters
    ----------
    first, last
        Date range.
    config
        Schedule (or whole) configuration; defaults when ``None``.  Its
        ``start_date`` is replaced by ``first``.
    trench
        Use the trench calendar (also without the winter stop).

    Returns
    -------
    list of datetime.date
    """
    sc = _schedule_config(config)
    sc = sc.model_copy(update={"start_date": first})
    cal = _Calendar(sc)
    n = (last - first).days + 1
    return [cal.date(i) for i in np.flatnonzero(cal.work[int(trench)][:n])]


def _schedule_config(config: ScheduleConfig | Config | None) -> ScheduleConfig:
    if config is None:
        return ScheduleConfig()
    if isinstance(config, Config):
        return config.schedule
    return config


# --------------------------------------------------------------------------
# work packages
# --------------------------------------------------------------------------


@dataclass
class _Problem:
    """Arrays of the package graph the list scheduler works on."""

    wp_id: list[str]
    kind: list[str]
    crew_type: list[str]
    cal: list[int]
    duration: list[int]
    deps: list[list[int]]
    succ: list[list[int]]
    consent_day: list[int]
    order: list[int]          # topological position (depth-first tree order)
    simc: list[str]
    quantity: np.ndarray
    n_segments: np.ndarray


def _kind_of(deployment: pd.Series, surface: pd.Series) -> np.ndarray:
    surf = surface.fillna("").astype(str)
    bad = (deployment == "trench") & ~surf.isin(["unpaved", "paved", "carriageway"])
    if bad.any():
        logger.warning("%d trench segments have no surface; scheduled as 'paved'", int(bad.sum()))
    surf = surf.where(~bad, "paved")
    return np.where(deployment == "trench", "trench_" + surf, deployment.astype(str)).astype(object)


def _productivity(crews: CrewConfig, kind: str) -> float:
    return {
        "aerial": crews.aerial_m_per_day, "duct": crews.duct_m_per_day,
        "trench_unpaved": crews.trench_unpaved_m_per_day, "trench_paved": crews.trench_paved_m_per_day,
        "trench_carriageway": crews.trench_carriageway_m_per_day, "drops": crews.drops_per_day,
    }[kind]


def _prepare_segments(segments: Any) -> pd.DataFrame:
    """Checked, sorted segment table with ``pidx`` (row of the parent), preorder and depth."""
    src = "segments"
    need = ["segment_id", "parent_id", "deployment", "length_m"]
    missing = [c for c in need if c not in segments.columns]
    if missing:
        raise InputDataError("segments table lacks columns", [Problem(
            file=src, message=f"missing columns {missing}", fix="pass the design stage's segments layer")])
    cols = [c for c in segments.columns if c != "geometry"]
    seg = pd.DataFrame(segments[cols]).copy()
    for c, default in (("surface", ""), ("consent", "not_needed"), ("simc", ""), ("locality", ""),
                       ("dist_from_pop_m", np.nan), ("cost_pln", 0.0)):
        if c not in seg:
            seg[c] = default
    seg["segment_id"] = seg["segment_id"].astype("int64")
    seg["parent_id"] = seg["parent_id"].astype("int64")
    seg["simc"] = seg["simc"].fillna("").astype(str)
    seg["locality"] = seg["locality"].fillna("").astype(str)
    seg["consent"] = seg["consent"].fillna("not_needed").astype(str)
    seg["length_m"] = seg["length_m"].astype(float)
    problems = []
    dup = seg["segment_id"].duplicated(keep=False)
    if dup.any():
        problems.append(Problem(file=src, row=int(seg.loc[dup, "segment_id"].iloc[0]),
                                message=f"{int(dup.sum())} rows share a segment_id", fix="make segment_id unique"))
    bad_dep = ~seg["deployment"].isin(["aerial", "duct", "trench"])
    if bad_dep.any():
        problems.append(Problem(file=src, row=int(seg.loc[bad_dep, "segment_id"].iloc[0]),
                                message=f"deployment {seg.loc[bad_dep, 'deployment'].iloc[0]!r} is not aerial|duct|trench",
                                fix="re-run the design stage"))
    if (seg["length_m"] < 0).any() or seg["length_m"].isna().any():
        problems.append(Problem(file=src, message="negative or missing length_m", fix="re-run the design stage"))
    if problems:
        raise InputDataError("invalid segments", problems)
    seg = seg.sort_values("segment_id", kind="stable").reset_index(drop=True)
    ids = seg["segment_id"].to_numpy()
    par = seg["parent_id"].to_numpy()
    pos = np.searchsorted(ids, par)
    pos_c = np.clip(pos, 0, max(len(ids) - 1, 0))
    found = (par >= 0) & (len(ids) > 0) & (ids[pos_c] == par) if len(ids) else np.zeros(0, bool)
    orphan = (par >= 0) & ~found
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        raise InputDataError("segments reference unknown parents", [Problem(
            file=src, row=int(ids[i]), message=f"parent_id {int(par[i])} of segment {int(ids[i])} does not exist "
            f"({int(orphan.sum())} such segments)", fix="parent_id must be a segment_id or -1 at the POP")])
    pidx = np.where(found, pos_c, -1)
    # depth-first preorder from the POP, children by segment_id
    n = len(seg)
    children: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(pidx.tolist()):
        if p >= 0:
            children[p].append(i)
    preorder = np.full(n, -1, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    k = 0
    stack = [int(i) for i in np.flatnonzero(pidx < 0)[::-1]]
    while stack:
        i = stack.pop()
        preorder[i] = k
        k += 1
        p = pidx[i]
        depth[i] = depth[p] + 1 if p >= 0 else 0
        stack.extend(reversed(children[i]))
    if k < n:
        i = int(np.flatnonzero(preorder < 0)[0])
        raise InputDataError("segment tree has a cycle", [Problem(
            file=src, row=int(ids[i]), message=f"{n - k} segments are not connected to the POP (parent_id cycle)",
            fix="the segments must form a tree rooted at the POP (parent_id -1)")])
    seg["pidx"] = pidx
    seg["preorder"] = preorder
    seg["depth"] = depth
    seg["kind"] = _kind_of(seg["deployment"], seg["surface"])
    return seg


def _build_packages(seg: pd.DataFrame, drops: pd.DataFrame, sc: ScheduleConfig) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Cut segments and drops into packages.

    Returns the package table (topological order), the package row of each
    segment, and the drops table with its package row.
    """
    crews = sc.crews
    n = len(seg)
    order = np.argsort(seg["preorder"].to_numpy(), kind="stable")
    pidx = seg["pidx"].to_numpy()
    key = (seg["simc"] + "|" + seg["kind"]).to_numpy()
    length = seg["length_m"].to_numpy()
    kinds = seg["kind"].to_numpy()
    # components: maximal connected runs of one kind in one locality
    comp_of = np.full(n, -1, dtype=np.int64)
    for i in order.tolist():
        p = pidx[i]
        comp_of[i] = comp_of[p] if p >= 0 and key[p] == key[i] else i
    # cut each component into connected subtrees of at most max_package_days of work
    # (bottom-up: at a node, cut off its largest child subtrees until it fits)
    cap = np.array([sc.max_package_days * _productivity(crews, k) for k in kinds]) if n else np.zeros(0)
    children: list[list[int]] = [[] for _ in range(n)]
    for i in order.tolist():
        p = pidx[i]
        if p >= 0 and comp_of[p] == comp_of[i]:
            children[p].append(i)
    acc = length.astype(float).copy()
    is_root = np.zeros(n, dtype=bool)
    for i in order[::-1].tolist():
        kids = sorted(((acc[c], c) for c in children[i]), reverse=True)
        total = length[i] + sum(v for v, _ in kids)
        for v, c in kids:
            if total <= cap[i]:
                break
            is_root[c] = True
            total -= v
        acc[i] = total
        if comp_of[i] == i:
            is_root[i] = True
    chunk = np.full(n, -1, dtype=np.int64)
    n_chunks = 0
    for i in order.tolist():
        if is_root[i]:
            chunk[i] = n_chunks
            n_chunks += 1
        else:
            chunk[i] = chunk[pidx[i]]
    seg_pk = chunk
    s = seg.assign(pk=chunk, pending=(seg["consent"] == "pending"))
    g = s.groupby("pk", sort=True)
    net = pd.DataFrame({
        "simc": g["simc"].first(), "locality": g["locality"].first(), "kind": g["kind"].first(),
        "quantity": g["length_m"].sum(), "n_segments": g.size(), "pending": g["pending"].any(),
        "first": g["preorder"].min(),
    })
    net["unit"] = "m"
    # dependencies: packages of the parents of each segment
    has_p = pidx >= 0
    dep = pd.DataFrame({"pk": chunk[has_p], "dep": chunk[pidx[has_p]]})
    dep = dep[dep["pk"] != dep["dep"]].drop_duplicates()
    # drops: per network package, cut at max_package_days
    d = drops.copy()
    seg_ids = seg["segment_id"].to_numpy()
    sid = d["segment_id"].astype("int64").to_numpy()
    pos = np.clip(np.searchsorted(seg_ids, sid), 0, max(n - 1, 0))
    ok = (sid >= 0) & (n > 0) & (seg_ids[pos] == sid) if n else np.zeros(len(d), bool)
    unknown = (sid >= 0) & ~ok
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise InputDataError("drops reference unknown segments", [Problem(
            file="drops", row=str(d["address_id"].iloc[i]),
            message=f"segment_id {int(sid[i])} is not in the segments table ({int(unknown.sum())} drops)",
            fix="re-run the design stage")])
    d["net_pk"] = np.where(ok, chunk[pos] if n else -1, -1)
    d["net_first"] = np.where(d["net_pk"] >= 0, net["first"].reindex(d["net_pk"]).to_numpy(), -1)
    d = d.sort_values(["simc", "net_first", "address_id"], kind="stable").reset_index(drop=True)
    cap = max(1, int(math.floor(sc.max_package_days * crews.drops_per_day)))
    d["part"] = d.groupby(["simc", "net_pk"], sort=False).cumcount() // cap
    dg = d.groupby(["simc", "net_pk", "part"], sort=False)
    dp = pd.DataFrame({
        "simc": dg["simc"].first(), "locality": dg["locality"].first() if "locality" in d else "",
        "quantity": dg.size().astype(float), "n_segments": 0, "pending": False,
        "first": dg["net_first"].first(), "net_pk": dg["net_pk"].first(),
    }).reset_index(drop=True)
    dp["kind"] = "drops"
    dp["unit"] = "drops"
    dp_index = n_chunks + np.arange(len(dp))
    d["pk"] = dg.ngroup().to_numpy() + n_chunks
    dp.index = dp_index
    dep = pd.concat([dep, pd.DataFrame({"pk": dp_index[dp["net_pk"].to_numpy() >= 0],
                                        "dep": dp.loc[dp["net_pk"] >= 0, "net_pk"].to_numpy()})])
    pk = pd.concat([net, dp.drop(columns="net_pk")])
    pk["is_drop"] = pk["kind"] == "drops"
    # wp ids: per (simc, kind) in tree order
    pk = pk.sort_values(["first", "is_drop"], kind="stable")
    pk["num"] = pk.groupby(["simc", "kind"], sort=False).cumcount() + 1
    pk["wp_id"] = [f"{s or 'none'}-{k}-{i:03d}" for s, k, i in zip(pk["simc"], pk["kind"], pk["num"])]
    pk["deps"] = dep.groupby("pk")["dep"].apply(lambda x: sorted(x.tolist())).reindex(pk.index)
    pk["deps"] = [v if isinstance(v, list) else [] for v in pk["deps"]]
    pk["quantity"] = pk["quantity"].astype(float)
    pk["duration"] = [max(q / _productivity(crews, k), 1e-3) for q, k in zip(pk["quantity"], pk["kind"])]
    return pk, seg_pk, d


def _problem(pk: pd.DataFrame, consent_day: int) -> _Problem:
    """Index the packages 0..n-1 in topological order."""
    rows = {old: new for new, old in enumerate(pk.index.tolist())}
    deps = [[rows[x] for x in v] for v in pk["deps"]]
    succ: list[list[int]] = [[] for _ in deps]
    for i, v in enumerate(deps):
        for j in v:
            succ[j].append(i)
    return _Problem(
        wp_id=pk["wp_id"].tolist(), kind=pk["kind"].tolist(),
        crew_type=[CREW_TYPE[k] for k in pk["kind"]],
        cal=[1 if k.startswith("trench") else 0 for k in pk["kind"]],
        duration=[float(x) for x in pk["duration"]], deps=deps, succ=succ,
        consent_day=[consent_day if p else 0 for p in pk["pending"]],
        order=list(range(len(pk))), simc=pk["simc"].tolist(),
        quantity=pk["quantity"].to_numpy(), n_segments=pk["n_segments"].to_numpy(),
    )


# --------------------------------------------------------------------------
# list scheduling
# --------------------------------------------------------------------------


@dataclass
class _Run:
    start: np.ndarray
    end: np.ndarray
    crew: list[str]


def _list_schedule(P: _Problem, keys: list[tuple], crews: dict[str, int | None], cal: _Calendar,
                   consent: bool = True) -> _Run:
    """Serial list scheduling with gap filling; ``crews[t] is None`` means unlimited.

    Times are fractional days from the start date (a package may start the
    moment the packages it depends on end); ``-1`` marks an unscheduled package.
    """
    n = len(P.wp_id)
    start = np.full(n, -1.0)
    end = np.full(n, -1.0)
    crew_of = [""] * n
    indeg = [len(d) for d in P.deps]
    heap = [(keys[i], i) for i in range(n) if indeg[i] == 0]
    heapq.heapify(heap)
    big = float(cal.n + 1)
    eps = 1e-9
    gaps: dict[str, list[list[tuple[float, float]]]] = {
        t: [[(0.0, big)] for _ in range(k)] for t, k in crews.items() if k is not None
    }
    while heap:
        _, i = heapq.heappop(heap)
        ready = float(P.consent_day[i]) if consent else 0.0
        blocked = False
        for j in P.deps[i]:
            if end[j] < 0:
                blocked = True
                break
            if end[j] > ready:
                ready = float(end[j])
        if not blocked:
            c = P.cal[i]
            dur = P.duration[i]
            t = P.crew_type[i]
            if crews.get(t, 0) is None:
                s = cal.first(c, ready)
                e = cal.finish(c, s, dur) if s >= 0 else -1.0
                if s >= 0 and e >= 0:
                    start[i], end[i], crew_of[i] = s, e, f"{t}-*"
            else:
                best = None
                for ci, glist in enumerate(gaps.get(t, [])):
                    for gi, (gs, ge) in enumerate(glist):
                        if ge <= ready + eps:
                            continue
                        s = cal.first(c, max(ready, gs))
                        if s < 0 or s >= ge - eps:
                            continue
                        e = cal.finish(c, s, dur)
                        if e < 0:
                            break
                        if e <= ge + eps:
                            if best is None or s < best[0] - eps:
                                best = (s, e, ci, gi)
                            break
                if best is not None:
                    s, e, ci, gi = best
                    gs, ge = gaps[t][ci][gi]
                    glist = gaps[t][ci]
                    glist[gi:gi + 1] = [g for g in ((gs, s), (e, ge)) if g[1] - g[0] > eps]
                    if len(glist) > _MAX_GAPS:  # forget the oldest idle gaps (bounded work per package)
                        del glist[:len(glist) - _MAX_GAPS]
                    start[i], end[i], crew_of[i] = s, e, f"{t}-{ci + 1}"
        for j in P.succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (keys[j], j))
    return _Run(start, end, crew_of)


def _start_day(t: np.ndarray) -> np.ndarray:
    """Day index a package starts on (float, NaN if unscheduled)."""
    t = np.asarray(t, dtype=float)
    return np.where(t >= 0, np.floor(t + 1e-9), np.nan)


def _end_day(t: np.ndarray) -> np.ndarray:
    """Day index a package finishes on (float, NaN if unscheduled)."""
    t = np.asarray(t, dtype=float)
    return np.where(t >= 0, np.maximum(np.ceil(t - 1e-9) - 1, 0), np.nan)


# --------------------------------------------------------------------------
# localities and milestones
# --------------------------------------------------------------------------


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.replace("ł", "l").replace("Ł", "L"))
    return "".join(ch for ch in s if not unicodedata.combining(ch)).casefold().strip()


def _resolve_milestones(loc: pd.DataFrame, sc: ScheduleConfig) -> pd.DataFrame:
    """``simc, locality, milestone, how`` for every locality; ``how='auto'`` rows have milestone ''."""
    names = sorted(set(loc["locality"]))
    by_name: dict[str, list[str]] = {}
    for simc, name in zip(loc["simc"], loc["locality"]):
        by_name.setdefault(name.casefold().strip(), []).append(simc)
    simcs = set(loc["simc"])
    given: dict[str, str] = {}
    problems: list[Problem] = []
    for m in sc.milestones:
        for entry in m.localities:
            e = str(entry).strip()
            hit = [e] if e in simcs else by_name.get(e.casefold(), [])
            if not hit:
                folded = {_fold(n): n for n in names}
                close = difflib.get_close_matches(e, names, n=3, cutoff=0.6)
                close += [folded[f] for f in difflib.get_close_matches(_fold(e), list(folded), n=3, cutoff=0.75)
                          if folded[f] not in close]
                fix = (f"did you mean {', '.join(repr(c) for c in close[:3])}?" if close
                       else "use a locality name or 7-digit SIMC code of the study area")
                problems.append(Problem(file="config", row=m.name,
                                        message=f"milestone {m.name}: unknown locality {e!r}", fix=fix))
                continue
            for s in hit:
                if s in given and given[s] != m.name:
                    problems.append(Problem(file="config", row=m.name,
                                            message=f"locality {e!r} ({s}) is in milestones {given[s]} and {m.name}",
                                            fix="list every locality in one milestone only"))
                given[s] = m.name
    if problems:
        raise ConfigError("schedule milestones name unknown or repeated localities", problems)
    rest = [m.name for m in sc.milestones if not m.localities]
    out = loc[["simc", "locality"]].copy()
    out["milestone"] = [given.get(x, "") for x in out["simc"]]
    out["how"] = np.where(out["milestone"] != "", "config", "")
    free = out["milestone"] == ""
    if sc.auto_assign:
        out.loc[free, "how"] = "auto"
    elif free.any():
        if rest:
            target = rest[0]
        else:
            target = max(sc.milestones, key=lambda m: (m.deadline, m.name)).name
            logger.warning("%d localities are in no milestone; put into the last one, %s", int(free.sum()), target)
        out.loc[free, "milestone"] = target
        out.loc[free, "how"] = "rest"
    return out.sort_values("simc", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------


def _passed_days(run: _Run, seg_pk: np.ndarray, tgt: pd.DataFrame) -> np.ndarray:
    """Day each target is passed (float, inf if never)."""
    pkrow = tgt["seg_pk"].to_numpy()
    days = np.full(len(tgt), np.inf)
    at_pop = tgt["connectable"].to_numpy() & (pkrow < 0)
    days[at_pop] = 0.0
    on = tgt["connectable"].to_numpy() & (pkrow >= 0)
    e = _end_day(run.end[pkrow[on]])
    e[np.isnan(e)] = np.inf
    days[on] = e
    return days


def _threshold_days(tgt: pd.DataFrame, days: np.ndarray, thr: float) -> pd.DataFrame:
    """Per locality (index simc): targets, k needed, day the k-th target is passed (inf if never)."""
    uniq, codes = np.unique(tgt["simc"].to_numpy(dtype=str), return_inverse=True)
    counts = np.bincount(codes, minlength=len(uniq))
    order = np.lexsort((days, codes))
    sd = np.asarray(days, dtype=float)[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    k = np.maximum(np.ceil(counts * thr - 1e-9).astype(np.int64), 1)
    thr_day = sd[starts + k - 1] if len(sd) else np.zeros(0)
    return pd.DataFrame({"targets": counts, "k": k, "thr_day": thr_day}, index=pd.Index(uniq, name="simc"))


def _evaluate(P: _Problem, run: _Run, seg_pk: np.ndarray, tgt: pd.DataFrame, deadline_of: pd.Series,
              thr: float, end_day: int) -> tuple[bool, float]:
    """(all deadlines met, shortfall in days summed over localities and the project end)."""
    per = _threshold_days(tgt, _passed_days(run, seg_pk, tgt), thr)
    dl = deadline_of.reindex(per.index).astype(float)
    late = (per["thr_day"] - dl).clip(lower=0).replace(np.inf, 10 * 366.0)
    late = late.fillna(0.0)
    over = 0.0
    if (run.end < 0).any():
        over += 10 * 366.0 * float((run.end < 0).sum())
    elif len(run.end):
        over += max(0.0, float(np.nanmax(_end_day(run.end))) - end_day)
    short = float(late.sum()) + over
    return short == 0.0, short


# --------------------------------------------------------------------------
# main entry
# --------------------------------------------------------------------------


def build_schedule(segments: Any, drops: Any, addresses: Any, config: Config | ScheduleConfig | None = None, *,
                   as_built: Any = None, progress: bool = False) -> ScheduleResult:
    """Schedule the construction of a designed network by milestone.

    Parameters
    ----------
    segments
        Network segments (:data:`planner.schema.OUT_SEGMENT_COLUMNS`), a tree
        oriented away from the POP (``parent_id`` -1 at the POP).
    drops
        Drops (:data:`planner.schema.OUT_DROP_COLUMNS`); ``segment_id`` is the
        segment a drop hangs off, -1 at the POP node.
    addresses
        Address points with ``id, simc, locality, is_target, plan_status``
        (``'connect'`` for targets the design connects).
    config
        Whole configuration or its ``schedule`` section; defaults when ``None``.
    as_built
        Optional as-built layer (:data:`planner.schema.AS_BUILT`): segment lines
        with ``deployment`` and ``built_on``, connection points with
        ``address_id`` and ``built_on``.
    progress
        Show a progress bar during the crew search.

    Returns
    -------
    ScheduleResult

    Raises
    ------
    ConfigError
        A milestone names an unknown locality (with close names suggested) or
        lists a locality twice.
    InputDataError
        The segments do not form a tree, or drops reference unknown segments.
    """
    sc = _schedule_config(config)
    seg = _prepare_segments(segments)
    dcols = [c for c in drops.columns if c != "geometry"]
    drp = pd.DataFrame(drops[dcols]).copy() if len(dcols) else pd.DataFrame(columns=["address_id", "simc", "segment_id"])
    for c in ("address_id", "simc", "locality"):
        if c not in drp:
            drp[c] = ""
        drp[c] = drp[c].fillna("").astype(str)
    drp["segment_id"] = drp["segment_id"].astype("int64") if len(drp) else pd.Series([], dtype="int64")
    addr = addresses
    a = pd.DataFrame({
        "id": addr["id"].astype(str).to_numpy(),
        "simc": addr["simc"].fillna("").astype(str).to_numpy(),
        "locality": addr["locality"].fillna("").astype(str).to_numpy(),
        "is_target": addr["is_target"].fillna(False).astype(bool).to_numpy() if "is_target" in addr else True,
        "plan_status": addr["plan_status"].fillna("").astype(str).to_numpy() if "plan_status" in addr else "connect",
        "unconnected_reason": (addr["unconnected_reason"].fillna("").astype(str).to_numpy()
                               if "unconnected_reason" in addr else ""),
        "terc": addr["terc"].fillna("").astype(str).to_numpy() if "terc" in addr else "",
    })
    loc = (pd.concat([a[["simc", "locality"]], seg[["simc", "locality"]]])
           .loc[lambda d: d["simc"] != ""].sort_values(["simc", "locality"], kind="stable")
           .drop_duplicates("simc").reset_index(drop=True))
    assign = _resolve_milestones(loc, sc)

    cal = _Calendar(sc)
    pk, seg_pk, drp = _build_packages(seg, drp, sc)
    P = _problem(pk, sc.consent_lead_days)  # calendar days after the start date
    pk_row = {old: new for new, old in enumerate(pk.index.tolist())}
    seg_pk_row = np.array([pk_row[x] for x in seg_pk.tolist()], dtype=np.int64)

    # targets: drops joined to addresses
    drop_pk = dict(zip(drp["address_id"], drp["segment_id"]))
    tgt = a[a["is_target"]].copy()
    has_drop = tgt["id"].isin(drop_pk.keys())
    tgt["connectable"] = tgt["plan_status"].isin(["connect", "connected"]).to_numpy() & has_drop.to_numpy()
    sid = tgt["id"].map(drop_pk).fillna(-1).astype("int64").to_numpy()
    seg_ids = seg["segment_id"].to_numpy()
    pos = np.clip(np.searchsorted(seg_ids, sid), 0, max(len(seg_ids) - 1, 0))
    tgt["seg_row"] = np.where((sid >= 0) & (len(seg_ids) > 0), pos, -1)
    tgt["seg_pk"] = np.where(tgt["seg_row"] >= 0, seg_pk_row[pos] if len(seg_ids) else -1, -1)
    tgt = tgt.reset_index(drop=True)

    # priorities
    ms_sorted = sorted(sc.milestones, key=lambda m: (m.deadline, m.name))
    m_order = {m.name: i for i, m in enumerate(ms_sorted)}
    m_deadline = {m.name: m.deadline for m in sc.milestones}
    fixed = assign[assign["how"] != "auto"]
    loc_rank: dict[str, tuple[int, int]] = {s: (m_order[m], 0) for s, m in zip(fixed["simc"], fixed["milestone"])}
    auto_simcs = assign.loc[assign["how"] == "auto", "simc"].tolist()
    candidates = [m for m in ms_sorted if not m.localities] or ms_sorted
    if auto_simcs:
        ranked = _auto_order(auto_simcs, seg, drp, tgt)
        base = m_order[candidates[0].name]
        for r, s in enumerate(ranked):
            loc_rank[s] = (base, 1 + r)
    keys = _priority_keys(P, loc_rank)

    # deadline per locality for evaluation (auto: the latest candidate)
    deadline_of = pd.Series({s: cal.day(m_deadline[m]) for s, m in zip(fixed["simc"], fixed["milestone"])},
                            dtype=float)
    if auto_simcs:
        last = cal.day(candidates[-1].deadline)
        deadline_of = pd.concat([deadline_of, pd.Series({s: float(last) for s in auto_simcs})])
    end_day = cal.day(sc.project_end)
    crews_cfg = {t: int(getattr(sc.crews, CREW_FIELD[t])) for t in _CREW_TYPES}

    run = _list_schedule(P, keys, crews_cfg, cal)
    ok, _ = _evaluate(P, run, seg_pk_row, tgt, deadline_of, sc.pass_threshold, end_day)

    binding = ""
    min_crews = None
    if not ok:
        binding, min_crews = _diagnose(P, keys, crews_cfg, sc, cal, seg_pk_row, tgt, deadline_of, end_day,
                                       progress=progress)
    elif auto_simcs:
        min_crews = _min_crews(P, keys, crews_cfg, cal, seg_pk_row, tgt, deadline_of, sc, end_day,
                               progress=progress)

    # final assignment for auto localities
    days = _passed_days(run, seg_pk_row, tgt)
    per = _threshold_days(tgt, days, sc.pass_threshold)
    if auto_simcs:
        for s in auto_simcs:
            td = per["thr_day"].get(s, 0.0)
            chosen = next((m.name for m in candidates if td <= cal.day(m.deadline)), candidates[-1].name)
            assign.loc[assign["simc"] == s, "milestone"] = chosen
    ms_of = dict(zip(assign["simc"], assign["milestone"]))

    wp = _work_package_table(P, pk, run, cal, ms_of, m_deadline, m_order, sc)
    compliance = _compliance(tgt, days, run, P, assign, sc, cal, m_deadline)
    summary = _milestone_summary(compliance, sc)
    feasible = bool(ok)

    out_addr = addresses.copy()
    ms_col = a["simc"].map(ms_of).fillna("").astype(str)
    ms_col = ms_col.where(a["is_target"], "")
    out_addr["milestone"] = ms_col.to_numpy()
    out_addr["milestone_date"] = pd.to_datetime(ms_col.map(lambda m: m_deadline.get(m, pd.NaT))).astype(
        "datetime64[ns]").to_numpy()
    passed = pd.Series(np.nan, index=a.index)
    id_pos = pd.Series(np.arange(len(a)), index=a["id"])
    passed.iloc[id_pos.reindex(tgt["id"]).to_numpy()] = days
    out_addr["passed_date"] = _to_dates(passed.to_numpy(), cal)

    seg_table = pd.DataFrame({
        "segment_id": seg["segment_id"].to_numpy(),
        "wp_id": [P.wp_id[i] for i in seg_pk_row],
        "planned_built": _to_dates(_end_day(run.end[seg_pk_row]), cal) if len(seg) else pd.Series([], dtype="datetime64[ns]"),
    })

    result = ScheduleResult(
        work_packages=wp, addresses=out_addr, compliance=compliance, milestones=summary, feasible=feasible,
        binding_constraint=binding, min_crews=min_crews, progress=None,
        assignment=assign.sort_values(["simc"], kind="stable").reset_index(drop=True),
        segments=seg_table, config=sc,
    )
    if not feasible:
        logger.warning("schedule misses deadlines; binding constraint %s; minimum crews %s", binding, min_crews)
    if as_built is not None and len(as_built):
        rep = _progress(result, segments, seg, seg_pk_row, P, tgt, as_built, cal, ms_of, m_deadline, m_order)
        result.progress = rep.localities
        result.progress_summary = rep
        conn_ids = set(as_built.loc[as_built["kind"] == "connection", "address_id"].astype(str))
        if "plan_status" in out_addr:
            is_conn = out_addr["id"].astype(str).isin(conn_ids) & (out_addr["plan_status"] == "connect")
            out_addr.loc[is_conn, "plan_status"] = "connected"
    return result


def _auto_order(simcs: list[str], seg: pd.DataFrame, drp: pd.DataFrame, tgt: pd.DataFrame) -> list[str]:
    """Localities ordered by cost per home passed, then distance from the POP, then SIMC."""
    cost = seg.groupby("simc")["cost_pln"].sum()
    if "cost_pln" in drp:
        cost = cost.add(drp.groupby("simc")["cost_pln"].sum(), fill_value=0.0)
    homes = tgt[tgt["connectable"]].groupby("simc").size()
    dist = seg.groupby("simc")["dist_from_pop_m"].min()
    t = pd.DataFrame({"simc": simcs})
    t["cph"] = (t["simc"].map(cost).fillna(0.0) / t["simc"].map(homes).fillna(0)).replace(np.inf, np.nan)
    t["cph"] = t["cph"].fillna(np.inf)
    t["dist"] = t["simc"].map(dist).fillna(np.inf)
    return t.sort_values(["cph", "dist", "simc"], kind="stable")["simc"].tolist()


def _priority_keys(P: _Problem, loc_rank: dict[str, tuple[int, int]]) -> list[tuple]:
    """(earliest rank served by the package or anything downstream, tree order)."""
    worst = (10**9, 10**9)
    eff = [loc_rank.get(s, worst) for s in P.simc]
    for i in range(len(eff) - 1, -1, -1):
        for j in P.deps[i]:
            if eff[i] < eff[j]:
                eff[j] = eff[i]
    return [(eff[i], P.order[i]) for i in range(len(eff))]


def _diagnose(P: _Problem, keys: list[tuple], crews_cfg: dict[str, int], sc: ScheduleConfig, cal: _Calendar,
              seg_pk_row: np.ndarray, tgt: pd.DataFrame, deadline_of: pd.Series, end_day: int, *,
              progress: bool = False) -> tuple[str, dict[str, int] | None]:
    """Binding constraint and minimal crews of an infeasible schedule."""
    unlimited = {t: None for t in _CREW_TYPES}
    thr = sc.pass_threshold
    # design: too few connectable targets for the rule
    need = np.ceil(tgt.groupby("simc").size() * thr - 1e-9)
    have = tgt.groupby("simc")["connectable"].sum()
    cannot = have.index[have < need].tolist()
    if cannot:
        logger.warning("localities %s have too few connectable targets for the %.0f %% rule", cannot, thr * 100)
        deadline_of = deadline_of.drop(index=[c for c in cannot if c in deadline_of.index])
        run = _list_schedule(P, keys, crews_cfg, cal)
        if _evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, end_day)[0]:
            return "unconnected_points", None
    run = _list_schedule(P, keys, unlimited, cal)
    if _evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, end_day)[0]:
        return "crew_capacity", _min_crews(P, keys, crews_cfg, cal, seg_pk_row, tgt, deadline_of, sc, end_day,
                                           progress=progress)
    run = _list_schedule(P, keys, unlimited, cal, consent=False)
    if _evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, end_day)[0]:
        return "consent_lead_time", None
    relaxed = _Calendar(sc, relaxed=True)
    run = _list_schedule(P, keys, unlimited, relaxed, consent=False)
    if _evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, end_day)[0]:
        return "calendar", None
    return "dependency_chain", None


def _peak(run: _Run, P: _Problem, t: str) -> int:
    """Largest number of packages of crew type ``t`` running at once."""
    idx = [i for i, x in enumerate(P.crew_type) if x == t and run.start[i] >= 0]
    if not idx:
        return 0
    ev = sorted([(float(run.start[i]), 1) for i in idx] + [(float(run.end[i]), -1) for i in idx],
                key=lambda x: (x[0], x[1]))
    best = cur = 0
    for _, d in ev:
        cur += d
        best = max(best, cur)
    return best


def _min_crews(P: _Problem, keys: list[tuple], crews_cfg: dict[str, int], cal: _Calendar, seg_pk_row: np.ndarray,
               tgt: pd.DataFrame, deadline_of: pd.Series, sc: ScheduleConfig, end_day: int, *,
               progress: bool = False) -> dict[str, int] | None:
    """Fewest crews meeting every deadline, or None if unlimited crews cannot.

    Crew types are fixed one at a time, the heaviest workload first: a binary
    search between 1 and the peak concurrency of the unlimited-crew schedule,
    with the types not yet fixed unlimited.
    """
    from tqdm import tqdm

    thr = sc.pass_threshold
    n_of = {t: sum(1 for x in P.crew_type if x == t) for t in _CREW_TYPES}
    load = {t: sum(d for d, x in zip(P.duration, P.crew_type) if x == t) for t in _CREW_TYPES}
    types = sorted([t for t in _CREW_TYPES if n_of[t] > 0], key=lambda t: (-load[t], _CREW_TYPES.index(t)))
    cache: dict[tuple, bool] = {}

    def feasible(c: dict[str, int | None]) -> bool:
        key = tuple(c[t] for t in _CREW_TYPES)
        if key not in cache:
            run = _list_schedule(P, keys, c, cal)
            cache[key] = _evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, end_day)[0]
        return cache[key]

    cur: dict[str, int | None] = {t: None for t in _CREW_TYPES}
    unlimited = _list_schedule(P, keys, cur, cal)
    if not _evaluate(P, unlimited, seg_pk_row, tgt, deadline_of, thr, end_day)[0]:
        return None
    for t in tqdm(types, desc="crew search", disable=not progress):
        hi = max(1, _peak(unlimited, P, t))
        if not feasible({**cur, t: hi}):
            hi = n_of[t]
            if not feasible({**cur, t: hi}):
                return None
        lo = 1
        while lo < hi:
            mid = (lo + hi) // 2
            if feasible({**cur, t: mid}):
                hi = mid
            else:
                lo = mid + 1
        cur[t] = hi
    return {CREW_FIELD[t]: int(cur[t] or 0) for t in _CREW_TYPES}


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------


def _to_dates(days: np.ndarray, cal: _Calendar) -> np.ndarray:
    d = np.asarray(days, dtype=float)
    good = np.isfinite(d) & (d >= 0)
    out = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[good] = (cal.start + d[good].astype(np.int64).astype("timedelta64[D]")).astype("datetime64[ns]")
    return out


def _work_package_table(P: _Problem, pk: pd.DataFrame, run: _Run, cal: _Calendar, ms_of: dict[str, str],
                        m_deadline: dict[str, dt.date], m_order: dict[str, int], sc: ScheduleConfig) -> pd.DataFrame:
    n = len(P.wp_id)
    ms = [ms_of.get(s, "") for s in P.simc]
    # needed_by: earliest milestone served downstream
    order_of = {m: i for m, i in m_order.items()}
    names = {i: m for m, i in m_order.items()}
    eff = [order_of.get(m, 10**9) for m in ms]
    for i in range(n - 1, -1, -1):
        for j in P.deps[i]:
            eff[j] = min(eff[j], eff[i])
    consent = np.array([float(c) if c > 0 else np.nan for c in P.consent_day])
    wp = pd.DataFrame({
        "wp_id": P.wp_id,
        "milestone": ms,
        "needed_by": [names.get(e, "") for e in eff],
        "simc": P.simc,
        "locality": pk["locality"].fillna("").astype(str).to_numpy(),
        "kind": P.kind,
        "quantity": np.round(P.quantity.astype(float), 1),
        "unit": pk["unit"].to_numpy(),
        "crew_type": P.crew_type,
        "crew": run.crew,
        "start": _to_dates(_start_day(run.start), cal),
        "end": _to_dates(_end_day(run.end), cal),
        "duration_days": np.round(np.array(P.duration, dtype=float), 2),
        "depends_on": [";".join(P.wp_id[j] for j in sorted(d, key=lambda x: P.wp_id[x])) for d in P.deps],
        "consent_wait_until": _to_dates(consent, cal),
        "n_segments": np.asarray(P.n_segments, dtype=np.int64),
    })
    wp["_s"] = wp["start"].isna()
    wp = wp.sort_values(["_s", "start", "wp_id"], kind="stable").drop(columns="_s").reset_index(drop=True)
    return wp[_WP_COLUMNS]


def _compliance(tgt: pd.DataFrame, days: np.ndarray, run: _Run, P: _Problem, assign: pd.DataFrame,
                sc: ScheduleConfig, cal: _Calendar, m_deadline: dict[str, dt.date]) -> pd.DataFrame:
    """Per milestone and locality: targets passed by the deadline, slack, what misses and why."""
    thr = sc.pass_threshold
    t = tgt.assign(day=days)
    ms_of = dict(zip(assign["simc"], assign["milestone"]))
    t["milestone"] = t["simc"].map(ms_of).fillna("")
    t["deadline_day"] = t["milestone"].map(lambda m: cal.day(m_deadline[m]) if m in m_deadline else np.nan)
    per = _threshold_days(tgt, days, thr)
    rows = []
    loc_name = dict(zip(assign["simc"], assign["locality"]))
    for simc, g in t.groupby("simc", sort=True):
        m = ms_of.get(simc, "")
        if m not in m_deadline:
            continue
        dl_day = cal.day(m_deadline[m])
        n = len(g)
        passed = int((g["day"] <= dl_day).sum())
        k = int(per.loc[simc, "k"])
        thr_day = per.loc[simc, "thr_day"]
        conn = g[g["connectable"]]
        complete = conn["day"].max() if len(conn) else np.nan
        reasons = []
        late = g[g["connectable"] & (g["day"] > dl_day)]
        if len(late):
            fin = late["day"][np.isfinite(late["day"])]
            unsched = int((~np.isfinite(late["day"])).sum())
            if len(fin):
                pkrows = late.loc[np.isfinite(late["day"]), "seg_pk"]
                cons = sum(1 for r in pkrows if r >= 0 and P.consent_day[r] > dl_day)
                txt = f"{len(fin)} passed after the deadline (by {cal.date(int(fin.max()))})"
                if cons:
                    txt += f", {cons} of them behind a pending consent"
                reasons.append(txt)
            if unsched:
                reasons.append(f"{unsched} never scheduled (no crew of the needed type)")
        unc = g[~g["connectable"]]
        if len(unc):
            why = unc["unconnected_reason"].replace("", "no drop").value_counts().sort_index()
            reasons.append(f"{len(unc)} unconnected (" + ", ".join(f"{r}: {c}" for r, c in why.items()) + ")")
        rows.append({
            "milestone": m, "deadline": m_deadline[m], "simc": simc, "locality": loc_name.get(simc, ""),
            "targets": n, "passed_by_deadline": passed,
            "pct_passed": round(100.0 * passed / n, 1), "required_pct": round(100.0 * thr, 1),
            "ok": passed >= k,
            "slack_days": (dl_day - int(thr_day)) if np.isfinite(thr_day) else pd.NA,
            "threshold_date": cal.date(int(thr_day)) if np.isfinite(thr_day) else pd.NaT,
            "locality_complete_date": cal.date(int(complete)) if np.isfinite(complete) else pd.NaT,
            "points_missing": n - passed,
            "missing_reason": "; ".join(reasons),
        })
    cols = ["milestone", "deadline", "simc", "locality", "targets", "passed_by_deadline", "pct_passed",
            "required_pct", "ok", "slack_days", "threshold_date", "locality_complete_date", "points_missing",
            "missing_reason"]
    c = pd.DataFrame(rows, columns=cols)
    for col in ("deadline", "threshold_date", "locality_complete_date"):
        c[col] = pd.to_datetime(c[col]).astype("datetime64[ns]")
    c["slack_days"] = c["slack_days"].astype("Int64")
    c["targets"] = c["targets"].astype("int64")
    c["passed_by_deadline"] = c["passed_by_deadline"].astype("int64")
    c["points_missing"] = c["points_missing"].astype("int64")
    c["ok"] = c["ok"].astype(bool)
    c["pct_passed"] = c["pct_passed"].astype(float)
    c["required_pct"] = c["required_pct"].astype(float)
    return c.sort_values(["deadline", "milestone", "locality", "simc"], kind="stable").reset_index(drop=True)


def _milestone_summary(comp: pd.DataFrame, sc: ScheduleConfig) -> pd.DataFrame:
    rows = []
    for m in sorted(sc.milestones, key=lambda m: (m.deadline, m.name)):
        g = comp[comp["milestone"] == m.name]
        rows.append({
            "milestone": m.name, "deadline": m.deadline, "localities": int(len(g)),
            "targets": int(g["targets"].sum()), "ok": bool(g["ok"].all()),
            "worst_pct": float(g["pct_passed"].min()) if len(g) else np.nan,
            "min_slack_days": g["slack_days"].min() if len(g) and g["slack_days"].notna().any() else pd.NA,
        })
    out = pd.DataFrame(rows, columns=["milestone", "deadline", "localities", "targets", "ok", "worst_pct",
                                      "min_slack_days"])
    out["deadline"] = pd.to_datetime(out["deadline"]).astype("datetime64[ns]")
    # float, NaN where no locality reaches the threshold (plain JSON via pipeline.summary)
    out["min_slack_days"] = pd.to_numeric(out["min_slack_days"].astype("Float64"), errors="coerce").astype(float)
    return out


# --------------------------------------------------------------------------
# progress against as-built
# --------------------------------------------------------------------------


def _progress(result: ScheduleResult, segments: Any, seg: pd.DataFrame, seg_pk_row: np.ndarray, P: _Problem,
              tgt: pd.DataFrame, as_built: Any, cal: _Calendar, ms_of: dict[str, str],
              m_deadline: dict[str, dt.date], m_order: dict[str, int]) -> ProgressReport:
    """Progress against the as-built layer (see the module docstring for the rules)."""
    import shapely

    sc = result.config
    ab = as_built
    if "kind" not in ab or "built_on" not in ab:
        raise InputDataError("as-built layer lacks columns", [Problem(
            file="as_built", message="needs 'kind' and 'built_on'", fix="see planner.schema.AS_BUILT")])
    built_on = pd.to_datetime(ab["built_on"], errors="coerce")
    if built_on.isna().any():
        i = int(np.flatnonzero(built_on.isna().to_numpy())[0])
        raise InputDataError("as-built rows without a valid built_on date", [Problem(
            file="as_built", row=str(ab["id"].iloc[i]) if "id" in ab else i,
            message="built_on is missing or not a date", fix="give the date the segment/connection was built")])
    lines_mask = (ab["kind"] == "segment").to_numpy()
    lines = ab[lines_mask]
    ldate = built_on[lines_mask].to_numpy()
    llen = lines.geometry.length.to_numpy() if len(lines) else np.zeros(0)
    dep = lines["deployment"].fillna("").astype(str).to_numpy() if "deployment" in lines else np.array([""] * len(lines))
    km_built = float(llen.sum()) / 1000.0
    km_under = float(llen[np.isin(dep, ["trench", "duct"])].sum()) / 1000.0
    as_of = pd.Timestamp(built_on.max()).date()
    first = pd.Timestamp(built_on.min()).date()

    # planned segments covered by as-built lines
    n = len(seg)
    built = np.zeros(n, dtype=bool)
    bdate = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n and len(lines) and "geometry" in segments:
        g_seg = segments.set_index(segments["segment_id"].astype("int64")).geometry.reindex(seg["segment_id"]).to_numpy()
        buf = shapely.buffer(lines.geometry.to_numpy(), sc.as_built_match_m)
        tree = shapely.STRtree(buf)
        seg_i, line_i = tree.query(g_seg, predicate="intersects")
        if len(seg_i):
            cand = np.unique(seg_i)
            union = shapely.union_all(buf)
            cover = shapely.length(shapely.intersection(g_seg[cand], union))
            seglen = shapely.length(g_seg[cand])
            ok = cover >= sc.as_built_min_cover * np.maximum(seglen, 1e-9)
            built[cand[ok]] = True
            pair = pd.DataFrame({"s": seg_i, "d": ldate[line_i]}).groupby("s")["d"].max()
            bdate[pair.index.to_numpy()] = pair.to_numpy()
            bdate[~built] = np.datetime64("NaT")
    # path from the POP built
    order = np.argsort(seg["preorder"].to_numpy(), kind="stable")
    pidx = seg["pidx"].to_numpy()
    # share of the path from the POP that is built (as-built surveys have gaps, so a
    # path counts as built when as_built_min_cover of its length is)
    seg_len = seg["length_m"].to_numpy()
    cum_len = seg_len.astype(float).copy()
    cum_built = np.where(built, seg_len, 0.0).astype(float)
    for i in order.tolist():
        p = pidx[i]
        if p >= 0:
            cum_len[i] += cum_len[p]
            cum_built[i] += cum_built[p]
    path = built & (cum_built >= sc.as_built_min_cover * np.maximum(cum_len, 1e-9))
    result.segments["as_built"] = built
    result.segments["as_built_on"] = bdate

    conn_ids = set(ab.loc[ab["kind"] == "connection", "address_id"].astype(str)) if "address_id" in ab else set()
    t = tgt.copy()
    # passed: the path from the POP to the drop's segment is built
    r = t["seg_row"].to_numpy()
    on_path = path[np.clip(r, 0, max(n - 1, 0))] if n else np.zeros(len(r), dtype=bool)
    passed = t["connectable"].to_numpy() & np.where(r >= 0, on_path, True)
    t["connected"] = t["id"].isin(conn_ids) | (t["plan_status"] == "connected")
    t["passed"] = passed | t["connected"].to_numpy()  # a connected point is passed
    t["milestone"] = t["simc"].map(ms_of).fillna("")

    # rate and forecast
    work_days = max(1, cal.count(0, max(0, cal.day(first)), max(0, cal.day(as_of))))
    built_m = float(seg_len[built].sum())
    rate = built_m / work_days
    remaining = float(seg_len[~built].sum())

    def forecast(rem: float) -> dt.date | None:
        if rem <= 0:
            return as_of
        if rate <= 0:
            return None
        d0 = cal.first(0, float(cal.day(as_of) + 1))
        e = cal.finish(0, d0, float(max(1, math.ceil(rem / rate - 1e-9)))) if d0 >= 0 else -1.0
        return cal.date(int(_end_day(np.array([e]))[0])) if e >= 0 else None

    # per milestone: unbuilt network its localities need (their packages and upstream)
    wp = result.work_packages.set_index("wp_id")
    need_order = wp["needed_by"].map(lambda m: m_order.get(m, 10**9))
    seg_need = need_order.reindex([P.wp_id[i] for i in seg_pk_row]).to_numpy() if n else np.zeros(0)
    ms_rows = []
    at_risk = []
    thr = sc.pass_threshold
    loc_rows = []
    for simc, g in t.groupby("simc", sort=True):
        m = ms_of.get(simc, "")
        in_loc = (seg["simc"] == simc).to_numpy()
        loc_rows.append({
            "milestone": m, "deadline": m_deadline.get(m, pd.NaT), "simc": simc,
            "locality": g["locality"].iloc[0], "targets": len(g), "passed": int(g["passed"].sum()),
            "pct_passed": round(100.0 * g["passed"].mean(), 1), "connected": int(g["connected"].sum()),
            "pct_connected": round(100.0 * g["connected"].mean(), 1),
            "km_planned": round(float(seg_len[in_loc].sum()) / 1000.0, 3),
            "km_built": round(float(seg_len[in_loc & built].sum()) / 1000.0, 3),
            "km_underground_built": round(float(seg_len[in_loc & built & seg["deployment"].isin(["trench", "duct"]).to_numpy()].sum()) / 1000.0, 3),
        })
    loc_tab = pd.DataFrame(loc_rows)
    for m in sorted(m_order, key=lambda x: m_order[x]):
        rem = float(seg_len[(~built) & (seg_need <= m_order[m])].sum()) if n else 0.0
        fc = forecast(rem)
        dl = m_deadline[m]
        rows_m = loc_tab[loc_tab["milestone"] == m] if len(loc_tab) else loc_tab
        below = bool(len(rows_m) and (rows_m["pct_passed"] < thr * 100).any())
        risk = below and (fc is None or fc > dl)
        if risk:
            at_risk.append(m)
        n_t = int(rows_m["targets"].sum()) if len(rows_m) else 0
        n_p = int(rows_m["passed"].sum()) if len(rows_m) else 0
        ms_rows.append({"milestone": m, "deadline": dl, "localities": len(rows_m), "targets": n_t, "passed": n_p,
                        "pct_passed": round(100.0 * n_p / n_t, 1) if n_t else np.nan,
                        "localities_below_threshold": int((rows_m["pct_passed"] < thr * 100).sum())
                        if len(rows_m) else 0,
                        "remaining_km": round(rem / 1000.0, 3), "forecast": fc, "at_risk": risk})
    ms_tab = pd.DataFrame(ms_rows, columns=["milestone", "deadline", "localities", "targets", "passed", "pct_passed",
                                           "localities_below_threshold", "remaining_km", "forecast", "at_risk"])
    if len(loc_tab):
        loc_tab["forecast"] = loc_tab["milestone"].map(dict(zip(ms_tab["milestone"], ms_tab["forecast"])))
        loc_tab["at_risk"] = loc_tab["milestone"].isin(at_risk) & (loc_tab["pct_passed"] < thr * 100)
        for col in ("deadline", "forecast"):
            loc_tab[col] = pd.to_datetime(loc_tab[col]).astype("datetime64[ns]")
        loc_tab = loc_tab.sort_values(["deadline", "milestone", "locality", "simc"], kind="stable").reset_index(drop=True)
    for col in ("deadline", "forecast"):
        ms_tab[col] = pd.to_datetime(ms_tab[col]).astype("datetime64[ns]")
    t["commune"] = t["terc"].str[:6]  # TERC without the commune-type digit: Serock town + rural = one gmina
    by_c = t.groupby("commune", sort=True).agg(targets=("id", "size"), passed=("passed", "sum"),
                                           connected=("connected", "sum")).reset_index()
    by_c["pct_passed"] = (100.0 * by_c["passed"] / by_c["targets"]).round(1)
    by_c["pct_connected"] = (100.0 * by_c["connected"] / by_c["targets"]).round(1)
    nt = max(len(t), 1)
    return ProgressReport(
        as_of=as_of, km_built=round(km_built, 3), km_underground=round(km_under, 3),
        km_planned=round(float(seg_len.sum()) / 1000.0, 3), km_planned_built=round(built_m / 1000.0, 3),
        pct_passed=round(100.0 * float(t["passed"].sum()) / nt, 1),
        pct_connected=round(100.0 * float(t["connected"].sum()) / nt, 1),
        rate_m_per_day=round(rate, 1), forecast_completion=forecast(remaining), by_commune=by_c,
        localities=loc_tab, milestones=ms_tab, milestones_at_risk=at_risk,
    )


def progress_report(result: ScheduleResult) -> ProgressReport | None:
    """Progress of the rollout against the as-built layer.

    Parameters
    ----------
    result
        A schedule built with ``as_built=``.

    Returns
    -------
    ProgressReport or None
        ``None`` when the schedule was built without an as-built layer.
    """
    return result.progress_summary


# --------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------


def schedule_csv_bytes(result: ScheduleResult) -> bytes:
    """The work-package table as CSV bytes (fixed formats: ISO dates, ``\\n``)."""
    wp = result.work_packages
    return wp.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n", float_format="%.1f").encode("utf-8")


def write_schedule_csv(result: ScheduleResult, path: str | Path) -> Path:
    """Write ``schedule.csv`` (work packages) atomically; byte-for-byte deterministic."""
    files.write_bytes(schedule_csv_bytes(result), path)
    return Path(path)


def schedule_xlsx_bytes(result: ScheduleResult) -> bytes:
    """The schedule workbook as bytes (see :func:`write_schedule_xlsx`)."""
    from planner.output.excel import workbook_bytes

    sheets = {"Summary": result.milestones, "Compliance": result.compliance}
    wp = result.work_packages
    for m in result.milestones["milestone"]:
        sheets[str(m)] = wp[wp["milestone"] == m].reset_index(drop=True)
    other = wp[~wp["milestone"].isin(result.milestones["milestone"])]
    if len(other):
        sheets["Other"] = other.reset_index(drop=True)
    if result.progress is not None:
        sheets["Progress"] = result.progress
    return workbook_bytes(sheets)


def write_schedule_xlsx(result: ScheduleResult, path: str | Path) -> Path:
    """Write the schedule workbook atomically.

    A summary sheet (milestones), a compliance sheet, one sheet of work packages
    per milestone (and ``Progress`` with an as-built layer); frozen header,
    auto-filter, real Excel dates (``yyyy-mm-dd``), fitted column widths.  The
    workbook's timestamps are fixed, so the file is byte-for-byte deterministic.
    """
    files.write_bytes(schedule_xlsx_bytes(result), path)
    return Path(path)


def _milestone_colours(result: ScheduleResult) -> dict[str, str]:
    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
    names = list(result.milestones["milestone"])
    out = {m: palette[i % len(palette)] for i, m in enumerate(names)}
    out[""] = "#999999"
    return out


def _gantt_rows(result: ScheduleResult) -> list[tuple[str, str, pd.DataFrame]]:
    """(label, milestone, packages) per locality, in milestone then start order."""
    wp = result.work_packages[result.work_packages["start"].notna()]
    order = {m: i for i, m in enumerate(result.milestones["milestone"])}
    rows = []
    for (simc, locality), g in wp.groupby(["simc", "locality"], sort=True):
        ms = g["milestone"].iloc[0]
        rows.append((order.get(ms, 99), g["start"].min(), f"{locality or '?'} ({simc})", ms, g))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(r[2], r[3], r[4]) for r in rows]


def gantt_figure(result: ScheduleResult):
    """Gantt chart by locality, bars coloured by milestone, deadline lines.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no global state); save it with
        ``fig.savefig(path, metadata={'Software': None})`` for a deterministic PNG.
    """
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = _gantt_rows(result)
    colours = _milestone_colours(result)
    h = min(0.22 * max(len(rows), 1) + 1.8, 40.0)
    fig = Figure(figsize=(12, h))
    ax = fig.add_subplot(1, 1, 1)
    epoch = mdates.date2num(dt.datetime(1970, 1, 1))
    lo, hi = np.inf, -np.inf
    for y, (label, ms, g) in enumerate(rows):
        s = g["start"].to_numpy().astype("datetime64[D]").astype(np.int64) + epoch
        e = (g["end"].to_numpy().astype("datetime64[D]").astype(np.int64) + 1) + epoch
        ax.broken_barh(list(zip(s.tolist(), (e - s).tolist())), (y - 0.35, 0.7),
                       facecolors=colours.get(ms, "#999999"), linewidth=0)
        lo, hi = min(lo, float(s.min())), max(hi, float(e.max()))
    dl = [mdates.date2num(pd.Timestamp(d).to_pydatetime()) for d in result.milestones["deadline"]]
    if dl:
        lo, hi = min(lo, min(dl)), max(hi, max(dl))
    if np.isfinite(lo):
        ax.set_xlim(lo - 10, hi + 20)
    ax.set_ylim(len(rows) - 0.5, -1.5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=6)
    for m, d in zip(result.milestones["milestone"], result.milestones["deadline"]):
        x = mdates.date2num(pd.Timestamp(d).to_pydatetime())
        ax.axvline(x, color=colours.get(m, "k"), linestyle="--", linewidth=1)
        ax.text(x, -0.9, f" {m} {pd.Timestamp(d).date()}", fontsize=7, color=colours.get(m, "k"), va="bottom")
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(axis="x", linewidth=0.3)
    handles = [Patch(color=colours[m], label=m) for m in result.milestones["milestone"]]
    if handles:
        # top right, below the deadline labels and left of the last deadline line: the
        # first (M1) rows end early, so that corner is free of bars
        ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.93, 0.975), fontsize=7,
                  title="kamień milowy")
    ax.set_title("Harmonogram budowy według miejscowości (Gantt)" + ("" if result.feasible else
                 f" — NIEWYKONALNY: {result.binding_constraint}"), fontsize=9)
    fig.tight_layout()
    return fig


def gantt_png_bytes(result: ScheduleResult, dpi: int = 110) -> bytes:
    """The Gantt chart as deterministic PNG bytes."""
    buf = io.BytesIO()
    gantt_figure(result).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _html_table(df: pd.DataFrame, table_id: str) -> str:
    head = "".join(f"<th onclick=\"sortTable('{table_id}',{j})\">{html.escape(str(c))}</th>"
                   for j, c in enumerate(df.columns))
    body = []
    for row in df.itertuples(index=False, name=None):
        cells = []
        for v in row:
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                s = ""
            elif isinstance(v, pd.Timestamp):
                s = v.date().isoformat()
            else:
                s = str(v)
            cells.append(f"<td>{html.escape(s)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


_SORT_JS = """function sortTable(id,col){var t=document.getElementById(id),b=t.tBodies[0],
r=Array.from(b.rows),asc=t.dataset.col!=String(col)||t.dataset.dir!='asc';
r.sort(function(x,y){var a=x.cells[col].textContent,c=y.cells[col].textContent,
na=parseFloat(a),nc=parseFloat(c);var v=(!isNaN(na)&&!isNaN(nc)&&/^[-0-9.]+$/.test(a)&&/^[-0-9.]+$/.test(c))?na-nc:a.localeCompare(c);
return asc?v:-v;});r.forEach(function(x){b.appendChild(x);});t.dataset.col=col;t.dataset.dir=asc?'asc':'desc';}"""


def gantt_html(result: ScheduleResult) -> str:
    """Self-contained HTML Gantt chart (inline SVG, no network) with sortable tables."""
    rows = _gantt_rows(result)
    colours = _milestone_colours(result)
    wp = result.work_packages
    dates = [d for d in list(wp["start"].dropna()) + list(wp["end"].dropna()) + list(result.milestones["deadline"])]
    if dates:
        t0 = min(dates).normalize() - pd.Timedelta(days=7)
        t1 = max(dates).normalize() + pd.Timedelta(days=21)
    else:
        t0 = pd.Timestamp(result.config.start_date)
        t1 = t0 + pd.Timedelta(days=365)
    span = max((t1 - t0).days, 1)
    left, width, rh, top = 230, 900, 14, 30
    height = top + rh * max(len(rows), 1) + 20

    def x(ts: pd.Timestamp) -> float:
        return round(left + width * (ts - t0).days / span, 2)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{height}" '
             f'font-family="sans-serif" font-size="10">']
    m = pd.Timestamp(t0.year, t0.month, 1)
    while m <= t1:
        if m >= t0:
            parts.append(f'<line x1="{x(m)}" y1="{top - 5}" x2="{x(m)}" y2="{height - 15}" stroke="#ddd"/>')
            if m.month in (1, 4, 7, 10):
                parts.append(f'<text x="{x(m) + 2}" y="{top - 8}" fill="#555">{m.strftime("%Y-%m")}</text>')
        m = m + pd.offsets.MonthBegin(1)
    for y, (label, ms, g) in enumerate(rows):
        yy = top + y * rh
        parts.append(f'<text x="{left - 4}" y="{yy + rh - 4}" text-anchor="end">{html.escape(label)}</text>')
        for r in g.itertuples(index=False):
            x0, x1 = x(r.start), x(r.end + pd.Timedelta(days=1))
            tip = (f"{r.wp_id}: {r.kind} {r.quantity:g} {r.unit}, {r.crew}, {r.start.date()} – {r.end.date()}"
                   f" ({r.milestone})")
            parts.append(f'<rect x="{x0}" y="{yy + 2}" width="{max(round(x1 - x0, 2), 0.5)}" height="{rh - 4}" '
                         f'fill="{colours.get(ms, "#999")}"><title>{html.escape(tip)}</title></rect>')
    for mname, d in zip(result.milestones["milestone"], result.milestones["deadline"]):
        xd = x(pd.Timestamp(d))
        parts.append(f'<line x1="{xd}" y1="{top - 5}" x2="{xd}" y2="{height - 15}" stroke="{colours[mname]}" '
                     f'stroke-dasharray="4,3" stroke-width="1.5"/>')
        parts.append(f'<text x="{xd + 2}" y="{height - 4}" fill="{colours[mname]}">'
                     f'{html.escape(str(mname))} {pd.Timestamp(d).date()}</text>')
    parts.append("</svg>")
    status = ("all milestones met" if result.feasible else
              f"NOT feasible: binding constraint {result.binding_constraint}; minimum crews {result.min_crews}")
    legend = " ".join(f'<span style="background:{colours[m]};color:#fff;padding:1px 6px">{html.escape(str(m))}</span>'
                      for m in result.milestones["milestone"])
    doc = [
        "<!DOCTYPE html>", '<html lang="pl"><head><meta charset="utf-8">',
        "<title>Harmonogram – kamienie milowe</title>",
        "<style>body{font-family:sans-serif;margin:16px}table{border-collapse:collapse;font-size:12px;margin:8px 0}"
        "th,td{border:1px solid #ccc;padding:2px 6px}th{background:#eee;cursor:pointer}</style>",
        f"<script>{_SORT_JS}</script></head><body>",
        "<h1>Harmonogram budowy (kamienie milowe)</h1>",
        f"<p>{html.escape(status)}</p><p>{legend}</p>", "".join(parts),
        "<h2>Kamienie milowe</h2>", _html_table(result.milestones, "milestones"),
        "<h2>Zgodność z regułą ≥ {:.0f} % (compliance)</h2>".format(result.config.pass_threshold * 100),
        _html_table(result.compliance, "compliance"),
        "<h2>Pakiety robót (work packages)</h2>", _html_table(result.work_packages, "packages"),
    ]
    if result.progress is not None:
        doc += ["<h2>Postęp (as-built)</h2>", _html_table(result.progress, "progress")]
    doc.append("</body></html>\n")
    return "\n".join(doc)
