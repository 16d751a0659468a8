"""Crew search and diagnosis of infeasible schedules.

When a deadline (or the project end) is missed the schedule says so and names
the binding constraint: the schedule is recomputed with unlimited crews (if
that meets the deadlines the binding constraint is ``crew_capacity`` and the
minimum crews are found type by type, heaviest workload first, by a binary
search between one crew and the peak concurrency of the unlimited-crew
schedule), then also without consent lead time (``consent_lead_time``), then
also with every day a working day (``calendar``); otherwise it is the
``dependency_chain``.  When too many of a locality's targets are unconnected by
the design for the rule to be met at all it is ``unconnected_points``.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.config import ScheduleConfig
from planner.schedule.calendar import Calendar
from planner.schedule.compliance import evaluate, threshold_days
from planner.schedule.listsched import Run, end_day, list_schedule, peak
from planner.schedule.model import ScheduleModel
from planner.schedule.packages import CREW_FIELD, CREW_TYPES, PackageGraph

__all__ = ["BINDING_CONSTRAINTS", "diagnose", "min_crews", "explain_infeasibility", "MixSearch", "cheapest_mix"]

logger = logging.getLogger(__name__)

#: Values of :attr:`ScheduleResult.binding_constraint`.
BINDING_CONSTRAINTS: tuple[str, ...] = ("", "crew_capacity", "consent_lead_time", "calendar", "dependency_chain",
                       "unconnected_points")


def diagnose(P: PackageGraph, keys: list[tuple[Any, ...]], crews_cfg: Mapping[str, int | None], sc: ScheduleConfig,
             cal: Calendar,
             seg_pk_row: np.ndarray, tgt: pd.DataFrame, deadline_of: pd.Series, last_day: int, *,
             progress: bool = False) -> tuple[str, dict[str, int] | None]:
    """Binding constraint and minimal crews of an infeasible schedule."""
    unlimited: dict[str, int | None] = {t: None for t in CREW_TYPES}
    thr = sc.pass_threshold
    # design: too few connectable targets for the rule
    need = np.ceil(tgt.groupby("simc").size() * thr - 1e-9)
    have = tgt.groupby("simc")["connectable"].sum()
    cannot = have.index[have < need].tolist()
    if cannot:
        logger.warning("localities %s have too few connectable targets for the %.0f %% rule", cannot, thr * 100)
        deadline_of = deadline_of.drop(index=[c for c in cannot if c in deadline_of.index])
        run = list_schedule(P, keys, crews_cfg, cal)
        if evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, last_day)[0]:
            return "unconnected_points", None
    run = list_schedule(P, keys, unlimited, cal)
    if evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, last_day)[0]:
        return "crew_capacity", min_crews(P, keys, crews_cfg, cal, seg_pk_row, tgt, deadline_of, sc, last_day,
                                          progress=progress)
    run = list_schedule(P, keys, unlimited, cal, consent=False)
    if evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, last_day)[0]:
        return "consent_lead_time", None
    relaxed = Calendar(sc, relaxed=True)
    run = list_schedule(P, keys, unlimited, relaxed, consent=False)
    if evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, last_day)[0]:
        return "calendar", None
    return "dependency_chain", None


def smallest_feasible(ok: Callable[[dict[str, int | None]], bool], crews: Mapping[str, int | None], crew_type: str,
                      lo: int, hi: int) -> int:
    """The fewest crews of ``crew_type`` in ``lo..hi`` that are feasible with the other ``crews`` (binary search).

    Parameters
    ----------
    ok
        Feasibility of a crew mix; assumed monotone in the crews of one type
        and true at ``hi``.
    crews
        The other types' crews (``None``: unlimited).
    crew_type
        The type searched.
    lo, hi
        Search range.

    Returns
    -------
    int

    Examples
    --------
    >>> smallest_feasible(lambda c: c["trench"] * 3 >= 10, {"aerial": 2}, "trench", 1, 10)
    4
    """
    while lo < hi:
        mid = (lo + hi) // 2
        if ok({**crews, crew_type: mid}):
            hi = mid
        else:
            lo = mid + 1
    return hi


def min_crews(P: PackageGraph, keys: list[tuple[Any, ...]], crews_cfg: Mapping[str, int | None], cal: Calendar,
              seg_pk_row: np.ndarray,
              tgt: pd.DataFrame, deadline_of: pd.Series, sc: ScheduleConfig, last_day: int, *,
              progress: bool = False) -> dict[str, int] | None:
    """Fewest crews meeting every deadline, or None if unlimited crews cannot.

    Crew types are fixed one at a time, the heaviest workload first: a binary
    search between 1 and the peak concurrency of the unlimited-crew schedule,
    with the types not yet fixed unlimited.
    """
    from tqdm import tqdm

    thr = sc.pass_threshold
    n_of = {t: sum(1 for x in P.crew_type if x == t) for t in CREW_TYPES}
    load = {t: sum(d for d, x in zip(P.duration, P.crew_type) if x == t) for t in CREW_TYPES}
    types = sorted([t for t in CREW_TYPES if n_of[t] > 0], key=lambda t: (-load[t], CREW_TYPES.index(t)))
    cache: dict[tuple[Any, ...], bool] = {}

    def feasible(c: dict[str, int | None]) -> bool:
        key = tuple(c[t] for t in CREW_TYPES)
        if key not in cache:
            run = list_schedule(P, keys, c, cal)
            cache[key] = evaluate(P, run, seg_pk_row, tgt, deadline_of, thr, last_day)[0]
        return cache[key]

    cur: dict[str, int | None] = {t: None for t in CREW_TYPES}
    unlimited = list_schedule(P, keys, cur, cal)
    if not evaluate(P, unlimited, seg_pk_row, tgt, deadline_of, thr, last_day)[0]:
        return None
    for t in tqdm(types, desc="crew search", disable=not progress):
        hi = max(1, peak(unlimited, P, t))
        if not feasible({**cur, t: hi}):
            hi = n_of[t]
            if not feasible({**cur, t: hi}):
                return None
        cur[t] = smallest_feasible(feasible, cur, t, 1, hi)
    return {CREW_FIELD[t]: int(cur[t] or 0) for t in CREW_TYPES}



def _crews_text(crews: dict[str, int]) -> str:
    """``{'aerial_crews': 2, ...}`` as ``'2 aerial, ...'``."""
    return ", ".join(f"{v} {k.removesuffix('_crews')}" for k, v in crews.items())


def _missed(model: ScheduleModel, run: Run) -> list[str]:
    """Deadlines a run misses, in words: milestones with their localities below the threshold, the project end."""
    thr = model.sc.pass_threshold
    per = threshold_days(model.tgt, model.passed_days(run), thr)
    dl = model.deadline_of.reindex(per.index)
    late = per.index[(per["thr_day"] > dl).to_numpy()].tolist()
    ms_of = dict(zip(model.assign["simc"], model.assign["milestone"]))
    name_of = dict(zip(model.assign["simc"], model.assign["locality"]))
    out = []
    for m in sorted(model.m_order, key=lambda x: model.m_order[x]):
        loc = [s for s in late if ms_of.get(s, "") == m]
        if loc:
            names = sorted({name_of.get(s, s) for s in loc})
            more = ", ..." if len(names) > 3 else ""
            out.append(f"{m} ({model.m_deadline[m]}): {len(loc)} of its localities below {thr * 100:.0f} % "
                       f"({', '.join(names[:3])}{more})")
    ends = end_day(run.end)
    if (run.end < 0).any():
        out.append(f"the project end ({model.sc.project_end}): {int((run.end < 0).sum())} work packages never "
                   "scheduled")
    elif len(ends) and float(np.nanmax(ends)) > model.last_day:
        out.append(f"the project end ({model.sc.project_end}): work ends {model.cal.date(int(np.nanmax(ends)))}")
    return out


def explain_infeasibility(model: ScheduleModel, run: Run, binding: str, needed: dict[str, int] | None) -> str:
    """Why a schedule misses its deadlines, in words.

    Parameters
    ----------
    model
        The prepared problem.
    run
        Its schedule with the configured crews.
    binding
        Binding constraint found by :func:`diagnose`.
    needed
        Minimum crews found by :func:`diagnose` (``crew_capacity`` only).

    Returns
    -------
    str
        Which deadlines the configured crews miss (milestones with their
        localities below the threshold, the project end) and whether more crews
        would help; if no crew count would, which deadlines even unlimited crews
        miss and what binds them.
    """
    sc = model.sc
    thr = sc.pass_threshold
    what = "; ".join(_missed(model, run)) or "deadlines missed"
    unlimited: dict[str, int | None] = {t: None for t in CREW_TYPES}
    name_of = dict(zip(model.assign["simc"], model.assign["locality"]))
    if binding == "crew_capacity":
        why = ("more crews would meet them; the fewest crews found that do: " + _crews_text(needed)
               if needed else "more crews would meet them")
    elif binding == "unconnected_points":
        need = np.ceil(model.tgt.groupby("simc").size() * thr - 1e-9)
        have = model.tgt.groupby("simc")["connectable"].sum()
        short = sorted(name_of.get(s, s) for s in have.index[have < need])
        why = (f"no crew count meets them: {', '.join(short[:5])}{', ...' if len(short) > 5 else ''} "
               f"have fewer connectable target points than the {thr * 100:.0f} % rule needs (the design leaves "
               "them unconnected)")
    elif binding == "consent_lead_time":
        still = "; ".join(_missed(model, model.run(unlimited)))
        why = (f"no crew count meets them: even with unlimited crews, {still} -- the work behind pending consents "
               f"cannot start before {model.cal.date(sc.consent_lead_days)} (consent lead time "
               f"{sc.consent_lead_days} days); with every consent granted at once they would be met")
    elif binding == "calendar":
        still = "; ".join(_missed(model, model.run(unlimited, consent=False)))
        stop = sc.trench_winter_stop
        reason = "weekends and public holidays leave too few working days; with every day a working day they " \
                 "would be met"
        if stop is not None:
            no_stop = Calendar(sc.model_copy(update={"trench_winter_stop": None}))
            if model.evaluate(model.run(unlimited, cal=no_stop, consent=False))[0]:
                reason = (f"the trench winter stop ({stop[0]} to {stop[1]}: no trenching) leaves too few working "
                          "days for the trenches; without it they would be met")
            else:
                reason = (f"weekends, public holidays and the trench winter stop ({stop[0]} to {stop[1]}) leave "
                          "too few working days; with every day a working day they would be met")
        why = (f"no crew count meets them: even with unlimited crews and every pending consent granted at once, "
               f"{still} -- {reason}")
    elif binding == "dependency_chain":
        relaxed = Calendar(sc, relaxed=True)
        still = "; ".join(_missed(model, model.run(unlimited, cal=relaxed, consent=False)))
        why = ("no crew count meets them: even with unlimited crews, consents granted at once and every day a "
               f"working day, {still} -- the packages along a feeder from the POP are built one after another, "
               "each by one crew, and take longer than the time to the deadline")
    else:
        why = f"binding constraint {binding or 'unknown'}"
    return f"with the configured crews: {what}; {why}"


@dataclass
class MixSearch:
    """Result of :func:`cheapest_mix`.

    Attributes
    ----------
    crews
        Cheapest feasible crew numbers per type, or ``None`` if even the upper
        bounds are infeasible.
    cost
        Its cost per working day (sum of rate x crews).
    evaluations
        Feasibility checks made by this search (cached checks included).
    proven
        The enumeration finished: no cheaper mix inside the bounds is feasible
        (assuming more crews of a type never hurt, which the lower bounds use).
    """

    crews: dict[str, int] | None
    cost: float
    evaluations: int
    proven: bool


def cheapest_mix(feasible: Callable[[dict[str, int | None]], bool], rates: dict[str, float], upper: dict[str, int],
                 *, lower: dict[str, int] | None = None, unlimited_bounds: bool = False,
                 max_evaluations: int = 300) -> MixSearch:
    """Cheapest crew mix (by day rates) for which ``feasible`` holds.

    Parameters
    ----------
    feasible
        Crews per type -> whether the schedule meets the goal.
    rates
        Cost of one crew of each type per working day (positive).
    upper
        Largest number of crews of each type to consider.
    lower
        Smallest number of crews of each type (default 0).
    unlimited_bounds
        Compute the lower bounds with the other types unlimited (``None``,
        which ``feasible`` must accept; quicker to schedule) instead of at
        their upper bounds.
    max_evaluations
        Budget of feasibility checks.

    Returns
    -------
    MixSearch

    Notes
    -----
    1. If ``upper`` is infeasible there is no answer.
    2. Lower bounds: for each type the fewest crews that are feasible with
       every other type at its upper bound, or unlimited (binary search).
       Under the assumption that more crews never make a list schedule miss a
       deadline, no feasible mix has fewer.
    3. Best-first enumeration of the box between the lower and upper bounds in
       increasing cost (ties: fewer crews, then type order): each popped mix is
       checked, its successors (one more crew of one type) are queued.  The
       first feasible mix is the cheapest.  Costs grow along every successor
       edge, so the queue yields the box in cost order.
    4. If the budget runs out first, the cheapest feasible mix seen so far is
       reduced greedily (one crew of the dearest type at a time while still
       feasible) and returned with ``proven=False``.
    """
    types = list(upper)
    lo = {t: int((lower or {}).get(t, 0)) for t in types}
    hi = {t: max(int(upper[t]), lo[t]) for t in types}
    calls = 0

    def check(c: dict[str, int | None]) -> bool:
        nonlocal calls
        calls += 1
        return bool(feasible(c))

    def cost(c: dict[str, int]) -> float:
        return float(sum(rates[t] * c[t] for t in types))

    if not check(dict(hi)):
        return MixSearch(None, math.inf, calls, True)
    others: dict[str, int | None] = {t: None for t in types} if unlimited_bounds else dict(hi)
    bound = dict(lo)
    for t in types:
        bound[t] = smallest_feasible(check, others, t, lo[t], hi[t])
    best: dict[str, int] = dict(hi)

    def key(c: tuple[int, ...]) -> tuple[float, int, tuple[int, ...]]:
        return (cost(dict(zip(types, c))), sum(c), c)

    start = tuple(bound[t] for t in types)
    heap = [(key(start), start)]
    seen = {start}
    while heap and calls < max_evaluations:
        _, c = heapq.heappop(heap)
        mix = dict(zip(types, c))
        if check(dict(mix)):
            return MixSearch(mix, cost(mix), calls, True)
        for j, t in enumerate(types):
            if c[j] < hi[t]:
                nxt = c[:j] + (c[j] + 1,) + c[j + 1:]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (key(nxt), nxt))
    if not heap:  # the whole box checked: only the upper bounds are feasible (non-monotone case)
        return MixSearch(best, cost(best), calls, True)
    for t in sorted(types, key=lambda x: -rates[x]):
        while best[t] > bound[t] and check(dict({**best, t: best[t] - 1})):
            best[t] -= 1
    return MixSearch(best, cost(best), calls, False)
