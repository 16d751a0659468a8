"""What it takes: crews per milestone, what binds when crews cannot help, a better village order.

For each milestone still ahead, the cheapest crew mix (by the day rates of
:class:`~planner.config.CrewConfig`) with which every village of the milestone
passes ``pass_threshold`` of its target points by the deadline, found by
:func:`planner.schedule.crews.cheapest_mix` over ``0..replan.max_crews_per_type``
network crews of each type (drop crews do not pass points; they are searched
for the project end only).  When no mix inside those bounds does it, the
binding constraint is the first relaxation that does: unlimited crews
(``crew_capacity``), consents granted at once (``consent_lead_time``), no trench
winter stop (``winter_stop``), every day a working day (``calendar``);
otherwise the ``dependency_chain`` (packages along a feeder are built one after
another).  ``unconnected_points``: too few of a village's targets are
connectable for the rule at all.

The village order: villages are list-scheduled by milestone, then the plan's
order.  Starting from that order, one village at a time is moved to the end
("postponed": worked on after every milestone that still can be met), choosing
among the villages with the most remaining work the move that gains most:
milestones met, then villages meeting their milestone, then fewer days late
(Moore and Hodgson's rule for the fewest late jobs, on the real schedule).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.schedule.calendar import Calendar
from planner.schedule.crews import cheapest_mix
from planner.schedule.listsched import Run, end_day
from planner.schedule.milestones import priority_keys
from planner.schedule.model import ScheduleModel
from planner.schedule.packages import CREW_FIELD, CREW_TYPES

__all__ = ["Verdict", "Evaluator", "what_it_takes", "better_order", "REPLAN_BINDING"]

#: Binding constraints reported by the re-plan, in the order they are tried.
REPLAN_BINDING: tuple[str, ...] = ("", "deadline_passed", "unconnected_points", "crew_capacity", "consent_lead_time",
                                   "winter_stop", "calendar", "dependency_chain")
_LATE_CAP = 10 * 366.0  # days counted for a village that never reaches the threshold


@dataclass
class Verdict:
    """Milestones met by one schedule of the remaining work.

    Attributes
    ----------
    run
        The schedule.
    thr_day
        Per locality (:attr:`Evaluator.simcs`): day the threshold is reached
        (-1: already; inf: never).
    met
        Per milestone ahead: every village reaches the threshold by the deadline.
    project_end
        Every package is scheduled and ends by the project end.
    """

    run: Run
    thr_day: np.ndarray
    met: dict[str, bool]
    project_end: bool


@dataclass
class Evaluator:
    """Schedules of the remaining work, evaluated per milestone and cached.

    Parameters
    ----------
    model
        The remaining work (:func:`planner.replanning.remaining.remaining_model`).
    """

    model: ScheduleModel
    schedules: int = 0
    seconds: float = 0.0
    _cache: dict[tuple[Any, ...], Verdict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        m = self.model
        tgt = m.tgt
        self.simcs, codes = np.unique(tgt["simc"].to_numpy(dtype=str), return_inverse=True)
        self._codes = codes
        counts = np.bincount(codes, minlength=len(self.simcs))
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.k = np.maximum(np.ceil(counts * m.sc.pass_threshold - 1e-9).astype(np.int64), 1)
        ms_of = dict(zip(m.assign["simc"], m.assign["milestone"]))
        self.milestone_of = np.array([ms_of.get(s, "") for s in self.simcs], dtype=object)
        self.deadline = np.array([m.cal.day(m.m_deadline[x]) if x in m.m_deadline else np.inf
                                  for x in self.milestone_of], dtype=float)
        as_of = m.sc.start_date
        self.ahead = [x for x in sorted(m.m_order, key=lambda x: m.m_order[x]) if m.m_deadline[x] >= as_of]
        reach = pd.Series(tgt["connectable"].to_numpy() | tgt.get("done", pd.Series(False, index=tgt.index))
                          .to_numpy(bool)).groupby(codes).sum().reindex(range(len(self.simcs)), fill_value=0)
        self.reachable = reach.to_numpy() >= self.k  # enough connectable targets for the rule

    def verdict(self, crews: dict[str, int | None], *, rank: dict[str, tuple[int, int]] | None = None,
                cal: Calendar | None = None, consent: bool = True, tag: str = "") -> Verdict:
        """Schedule with ``crews`` (type -> count, ``None``: unlimited) and evaluate it.

        Parameters
        ----------
        crews
            Crews per crew type.
        rank
            Village priority ranks (default the plan's).
        cal
            Calendar (default the configured one).
        consent
            Respect the consent lead time.
        tag
            Cache key of ``rank``/``cal`` variants.

        Returns
        -------
        Verdict
        """
        key = (tuple(crews.get(t) for t in CREW_TYPES), tag, consent)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        t0 = time.perf_counter()
        keys = priority_keys(self.model.graph, rank) if rank is not None else None
        run = self.model.run(crews, keys=keys, cal=cal, consent=consent)
        days = self.model.passed_days(run)
        order = np.lexsort((days, self._codes))
        sd = days[order]
        thr = sd[self._starts + self.k - 1] if len(sd) else np.zeros(0)
        thr = np.where(self.reachable, thr, np.inf)
        met = {}
        for m in self.ahead:
            sel = self.milestone_of == m
            met[m] = bool(np.all(thr[sel] <= self.deadline[sel]))
        ends = end_day(run.end)
        pe = bool(not (run.end < 0).any() and (not len(ends) or float(np.nanmax(ends)) <= self.model.last_day))
        v = Verdict(run=run, thr_day=thr, met=met, project_end=pe)
        self._cache[key] = v
        self.schedules += 1
        self.seconds += time.perf_counter() - t0
        return v

    def goal(self, v: Verdict, goal: str) -> bool:
        """Whether verdict ``v`` meets ``goal``: a milestone name, ``'project end'`` or ``'all'``."""
        if goal == "project end":
            return v.project_end
        if goal == "all":
            return v.project_end and all(v.met.values())
        return v.met.get(goal, False)


def _current(model: ScheduleModel) -> dict[str, int | None]:
    return {t: int(getattr(model.sc.crews, CREW_FIELD[t])) for t in CREW_TYPES}


def _binding(ev: Evaluator, goal: str) -> str:
    """First relaxation that meets ``goal`` (see the module docstring)."""
    m = ev.model
    sc = m.sc
    if goal in ("project end", "all") and sc.project_end < sc.start_date:
        return "deadline_passed"
    if goal != "project end":
        sel = ev.milestone_of == goal if goal != "all" else np.isin(ev.milestone_of, ev.ahead)
        if not ev.reachable[sel].all():
            return "unconnected_points"
    unlimited: dict[str, int | None] = {t: None for t in CREW_TYPES}
    if ev.goal(ev.verdict(unlimited), goal):
        return "crew_capacity"
    if ev.goal(ev.verdict(unlimited, consent=False), goal):
        return "consent_lead_time"
    if sc.trench_winter_stop is not None:
        no_stop = Calendar(sc.model_copy(update={"trench_winter_stop": None}))
        if ev.goal(ev.verdict(unlimited, cal=no_stop, consent=False, tag="no_winter_stop"), goal):
            return "winter_stop"
    if ev.goal(ev.verdict(unlimited, cal=Calendar(sc, relaxed=True), consent=False, tag="every_day"), goal):
        return "calendar"
    return "dependency_chain"


_WHY = {
    "deadline_passed": "the project end has passed",
    "unconnected_points": "too few of its targets are connectable for the {thr:.0f} % rule; no crews help",
    "crew_capacity": "needs more than {cap} crews of one type",
    "consent_lead_time": "pending consents: even unlimited crews cannot start the work behind them in time",
    "winter_stop": "the trench winter stop leaves too few trenching days, even with unlimited crews",
    "calendar": "weekends and holidays leave too few working days, even with unlimited crews",
    "dependency_chain": "the packages along a feeder are built one after another and take too long, "
                        "even with unlimited crews",
}


def what_it_takes(ev: Evaluator, *, progress: bool = False) -> pd.DataFrame:
    """Per milestone ahead (and the project end, and everything): cheapest crews, or what binds.

    Parameters
    ----------
    ev
        Evaluator of the remaining work.
    progress
        Show a progress bar over the questions.

    Returns
    -------
    pandas.DataFrame
        ``goal, deadline, met_with_current_crews, villages_missing, aerial_crews, duct_crews, trench_crews,
        drop_crews, day_cost_pln, current_day_cost_pln, minimal, binding_constraint, evaluations, answer``;
        crew columns are empty when no mix inside the bounds meets the goal;
        for milestones ``drop_crews`` stays at the current number (drops do
        not pass points).
    """
    from tqdm import tqdm

    m = ev.model
    sc = m.sc
    rc = sc.replan
    cur = _current(m)
    rates = {t: float(getattr(sc.crews, f"{t}_day_rate_pln")) for t in CREW_TYPES}
    n_pk = {t: sum(1 for x in m.graph.crew_type if x == t) for t in CREW_TYPES}
    base = ev.verdict(cur)
    cur_cost = float(sum(rates[t] * (cur[t] or 0) for t in CREW_TYPES))
    rows = []
    goals = list(ev.ahead) + ["project end", "all"]
    for goal in tqdm(goals, desc="crew search", disable=not progress):
        # drop crews pass no points: kept at the current number for the milestones
        types = [t for t in CREW_TYPES if t != "drop" or goal in ("project end", "all")]
        fixed = {t: cur[t] for t in CREW_TYPES if t not in types}
        upper = {t: min(rc.max_crews_per_type, n_pk[t]) for t in types}

        def ok(c: dict[str, int | None], goal: str = goal, fixed: dict[str, int | None] = fixed) -> bool:
            return ev.goal(ev.verdict({**fixed, **c}), goal)

        before = ev.schedules
        if goal in m.m_deadline and bool(np.all(base.thr_day[ev.milestone_of == goal] < 0)):
            rows.append({"goal": goal, "deadline": m.m_deadline[goal], "met_with_current_crews": True,
                         "villages_missing": 0, **{f"{t}_crews": np.nan for t in CREW_TYPES},
                         "day_cost_pln": np.nan, "current_day_cost_pln": cur_cost, "minimal": True,
                         "binding_constraint": "", "evaluations": 0,
                         "answer": f"already met: every village has passed {100 * sc.pass_threshold:.0f} % of its "
                                   "target points"})
            continue
        found = cheapest_mix(ok, {t: rates[t] for t in types}, upper, unlimited_bounds=True,
                             max_evaluations=rc.max_evaluations)
        if goal in m.m_deadline:
            deadline = m.m_deadline[goal]
            sel = ev.milestone_of == goal
        else:
            deadline = sc.project_end
            sel = np.isin(ev.milestone_of, ev.ahead) if goal == "all" else np.zeros(len(ev.simcs), dtype=bool)
        missing = int((base.thr_day[sel] > ev.deadline[sel]).sum())
        row: dict[str, Any] = {"goal": goal, "deadline": deadline, "met_with_current_crews": ev.goal(base, goal),
                               "villages_missing": missing}
        mix: dict[str, Any]
        if found.crews is not None:
            mix = {t: int(v or 0) for t, v in {**fixed, **found.crews}.items()}
            cost = float(sum(rates[t] * mix[t] for t in CREW_TYPES))
            binding = ""
            text = ", ".join(f"{mix[t]} {t}" for t in types if mix[t]) or "no crews"
            more = ", ".join(f"{mix[t] - (cur[t] or 0):+d} {t}" for t in types if mix[t] != (cur[t] or 0))
            delta = f"{cost - cur_cost:+,.0f} PLN per working day".replace(",", " ")
            alone = " (this milestone alone)" if goal in m.m_deadline else ""
            answer = (f"the cheapest crews that make it{alone}: {text} ({more or 'as now'}; {delta})"
                      if row["met_with_current_crews"] else f"needs {text} crews ({more}; {delta})")
        else:
            mix = {t: np.nan for t in CREW_TYPES}
            cost = np.nan
            binding = _binding(ev, goal)
            answer = "no crew mix makes it: " + _WHY[binding].format(thr=100 * sc.pass_threshold,
                                                                     cap=rc.max_crews_per_type)
        row.update({f"{t}_crews": mix[t] for t in CREW_TYPES})
        row.update({"day_cost_pln": cost, "current_day_cost_pln": cur_cost, "minimal": bool(found.proven),
                    "binding_constraint": binding, "evaluations": ev.schedules - before, "answer": answer})
        rows.append(row)
    out = pd.DataFrame(rows)
    out["deadline"] = pd.to_datetime(out["deadline"]).astype("datetime64[ns]")
    for t in CREW_TYPES:
        out[f"{t}_crews"] = out[f"{t}_crews"].astype("Int64")
    return out


def _objective(ev: Evaluator, v: Verdict) -> tuple[int, int, float, float]:
    """(milestones met, villages on time, -days late of villages ahead, -days to the threshold of late ones)."""
    sel = np.isin(ev.milestone_of, ev.ahead) & np.isfinite(ev.deadline)
    late = np.clip(np.where(np.isfinite(v.thr_day), v.thr_day, _LATE_CAP) - ev.deadline, 0, None)
    behind = ~sel & (ev.deadline < 0) & (v.thr_day > -1)
    wait = np.where(np.isfinite(v.thr_day), v.thr_day, _LATE_CAP)
    return (sum(v.met.values()), int((late[sel] == 0).sum()), -float(late[sel].sum()), -float(wait[behind].sum()))


def better_order(ev: Evaluator) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The village order that meets the most milestones with the current crews (see the module docstring).

    Parameters
    ----------
    ev
        Evaluator of the remaining work.

    Returns
    -------
    order : pandas.DataFrame
        One row per village in the proposed priority order: ``rank, simc,
        locality, milestone, deadline, postponed, threshold_date_now,
        threshold_date_proposed, on_time_now, on_time_proposed``.
    summary : dict
        ``milestones_met_now, milestones_met_proposed, villages_on_time_now,
        villages_on_time_proposed, postponed`` (village names) and
        ``evaluations``.
    """
    m = ev.model
    cur = _current(m)
    budget = m.sc.replan.reorder_max_evaluations
    base_rank = dict(m.loc_rank)
    base = ev.verdict(cur)
    best_obj, best_v, best_rank = _objective(ev, base), base, base_rank
    postponed: list[str] = []
    pos = {s: i for i, s in enumerate(ev.simcs)}
    # remaining crew-days of network work per village, to pick the candidates
    work = pd.Series([d for d, t in zip(m.graph.duration, m.graph.crew_type) if t != "drop"],
                     index=[s for s, t in zip(m.graph.simc, m.graph.crew_type) if t != "drop"], dtype=float)
    work = work.groupby(level=0).sum()
    used = 0
    big = 10**6
    while used < budget:
        failing = [x for x in ev.ahead if not best_v.met[x]]
        if not failing:
            break
        limit = m.m_order[failing[0]]
        cand = [s for s in ev.simcs if s not in postponed and base_rank.get(s, (big, 0))[0] <= limit
                and best_v.thr_day[pos[s]] > -1 and s in work.index]
        cand = sorted(cand, key=lambda s: (-work.get(s, 0.0), s))[:4]
        trial = None
        for s in cand:
            if used >= budget:
                break
            rank = dict(best_rank)
            rank[s] = (big + base_rank.get(s, (0, 0))[0], base_rank.get(s, (0, 0))[1])
            v = ev.verdict(cur, rank=rank, tag="order:" + ",".join(sorted(postponed + [s])))
            used += 1
            obj = _objective(ev, v)
            if obj > best_obj and (trial is None or obj > trial[0]):
                trial = (obj, v, rank, s)
        if trial is None:
            break
        best_obj, best_v, best_rank = trial[0], trial[1], trial[2]
        postponed.append(trial[3])
    # the table, in the proposed order
    names = dict(zip(m.assign["simc"], m.assign["locality"]))
    cal = m.cal
    order = sorted(ev.simcs, key=lambda s: (best_rank.get(s, (big, 0)), s))

    def date(d: float) -> Any:
        return cal.date(int(d)) if np.isfinite(d) and d >= 0 else pd.NaT  # NaT: already, or never

    rows = []
    for i, s in enumerate(order):
        j = pos[s]
        dl = ev.deadline[j]
        rows.append({
            "rank": i + 1, "simc": s, "locality": names.get(s, ""), "milestone": ev.milestone_of[j],
            "deadline": m.m_deadline.get(ev.milestone_of[j], pd.NaT), "postponed": s in postponed,
            "threshold_date_now": date(base.thr_day[j]), "threshold_date_proposed": date(best_v.thr_day[j]),
            "on_time_now": bool(base.thr_day[j] <= dl), "on_time_proposed": bool(best_v.thr_day[j] <= dl),
        })
    t = pd.DataFrame(rows)
    for c in ("deadline", "threshold_date_now", "threshold_date_proposed"):
        t[c] = pd.to_datetime(t[c]).astype("datetime64[ns]")
    base_obj = _objective(ev, base)
    summary = {
        "milestones_met_now": base_obj[0], "milestones_met_proposed": best_obj[0],
        "villages_on_time_now": base_obj[1], "villages_on_time_proposed": best_obj[1],
        "postponed": [names.get(s, s) for s in postponed], "evaluations": used,
        "improves": best_obj > base_obj,
    }
    return t, summary
