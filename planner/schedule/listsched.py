"""List scheduling: serial schedule generation with gap filling.

Packages are taken in priority order (a key per package, see
:func:`planner.schedule.milestones.priority_keys`) as soon as the packages
they depend on are scheduled, and each goes to the crew of its type that can
start it first; a crew works one package at a time.  Durations are fractional
working days of the package's calendar (:class:`~planner.schedule.calendar.Calendar`);
a package may start the moment its predecessors end.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.schedule.calendar import Calendar
from planner.schedule.packages import PackageGraph

__all__ = ["Run", "list_schedule", "start_day", "end_day", "peak"]

#: Idle gaps remembered per crew (bounded work per package).
_MAX_GAPS = 8


@dataclass
class Run:
    """One schedule: start and end times of each package (``-1``: unscheduled) and its crew."""

    start: np.ndarray
    end: np.ndarray
    crew: list[str]


def list_schedule(P: PackageGraph, keys: list[tuple[Any, ...]], crews: Mapping[str, int | None], cal: Calendar,
                  consent: bool = True) -> Run:
    """Serial list scheduling with gap filling; ``crews[t] is None`` means unlimited.

    Times are fractional days from the start date (a package may start the
    moment the packages it depends on end); ``-1`` marks an unscheduled package.
    """
    n = len(P.wp_id)
    start = [-1.0] * n  # plain lists in the loop (numpy scalar access is slow); arrays at the end
    end = [-1.0] * n
    crew_of = [""] * n
    first, finish = cal.first, cal.finish
    consent_day, deps_of, cal_of, duration, crew_type, succ = (P.consent_day, P.deps, P.cal, P.duration, P.crew_type,
                                                               P.succ)
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
        ready = float(consent_day[i]) if consent else 0.0
        blocked = False
        for j in deps_of[i]:
            ej = end[j]
            if ej < 0:
                blocked = True
                break
            if ej > ready:
                ready = float(ej)
        if not blocked:
            c = cal_of[i]
            dur = duration[i]
            t = crew_type[i]
            if crews.get(t, 0) is None:
                s = first(c, ready)
                e = finish(c, s, dur) if s >= 0 else -1.0
                if s >= 0 and e >= 0:
                    start[i], end[i], crew_of[i] = s, e, f"{t}-*"
            else:
                best = None
                for ci, glist in enumerate(gaps.get(t, [])):
                    if best is not None and best[0] <= ready + eps:
                        break  # nothing can start earlier than ``ready``
                    for gi, (gs, ge) in enumerate(glist):
                        if ge <= ready + eps:
                            continue
                        lo = max(ready, gs)
                        if best is not None and lo >= best[0] - eps:
                            break  # this and later gaps of the crew start no earlier than the best
                        s = first(c, lo)
                        if s < 0 or s >= ge - eps:
                            continue
                        e = finish(c, s, dur)
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
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (keys[j], j))
    return Run(np.array(start, dtype=float), np.array(end, dtype=float), crew_of)


def start_day(t: np.ndarray) -> np.ndarray:
    """Day index a package starts on (float, NaN if unscheduled)."""
    t = np.asarray(t, dtype=float)
    return np.where(t >= 0, np.floor(t + 1e-9), np.nan)


def end_day(t: np.ndarray) -> np.ndarray:
    """Day index a package finishes on (float, NaN if unscheduled)."""
    t = np.asarray(t, dtype=float)
    return np.where(t >= 0, np.maximum(np.ceil(t - 1e-9) - 1, 0), np.nan)



def peak(run: Run, P: PackageGraph, t: str) -> int:
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

