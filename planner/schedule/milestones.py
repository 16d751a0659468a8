"""Localities and milestones: which locality belongs to which milestone, and priorities.

``Milestone.localities`` holds names or SIMC codes; the one milestone with no
localities takes the rest.  With ``auto_assign`` the localities not listed are
ordered by cost per home passed (then distance from the POP), scheduled in that
order, and each is put into the earliest milestone (among those without a fixed
list, or all if every milestone has one) whose deadline it meets.  A package's
priority is the earliest milestone it serves, itself or any locality downstream
of it (a feeder through a later-milestone locality inherits the earlier
deadline of the villages beyond it), then depth-first tree order.
"""

from __future__ import annotations

import difflib
import logging
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from planner._errors import ConfigError, Problem
from planner.config import ScheduleConfig
from planner.schedule.packages import PackageGraph

__all__ = ["resolve_milestones", "auto_order", "priority_keys"]

logger = logging.getLogger(__name__)


def _fold(s: str) -> str:
    """Case- and accent-folded name (``ł`` -> ``l``) for fuzzy matching."""
    s = unicodedata.normalize("NFKD", s.replace("ł", "l").replace("Ł", "L"))
    return "".join(ch for ch in s if not unicodedata.combining(ch)).casefold().strip()


def resolve_milestones(loc: pd.DataFrame, sc: ScheduleConfig) -> pd.DataFrame:
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



def auto_order(simcs: list[str], seg: pd.DataFrame, drp: pd.DataFrame, tgt: pd.DataFrame) -> list[str]:
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
    order: list[str] = t.sort_values(["cph", "dist", "simc"], kind="stable")["simc"].tolist()
    return order


def priority_keys(P: PackageGraph, loc_rank: dict[str, tuple[int, int]]) -> list[tuple[Any, ...]]:
    """(earliest rank served by the package or anything downstream, tree order)."""
    worst = (10**9, 10**9)
    eff = [loc_rank.get(s, worst) for s in P.simc]
    for i in range(len(eff) - 1, -1, -1):
        for j in P.deps[i]:
            if eff[i] < eff[j]:
                eff[j] = eff[i]
    return [(eff[i], P.order[i]) for i in range(len(eff))]

