"""The prepared schedule problem: :class:`ScheduleModel` and :func:`prepare`.

:func:`prepare` turns a designed network into a :class:`ScheduleModel` (work
packages, the package graph, targets, milestone assignment, priorities and
deadlines on one calendar); :meth:`ScheduleModel.run` list-schedules it with
given crews.  :mod:`planner.schedule.build` turns a run into a
:class:`~planner.schedule.ScheduleResult`; the re-planning stage
(:mod:`planner.replanning`) drives the same model from an as-of date with the work
that is not built yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.config import Milestone, ScheduleConfig
from planner.schedule.calendar import Calendar
from planner.schedule.compliance import evaluate, passed_days
from planner.schedule.listsched import Run, list_schedule
from planner.schedule.milestones import auto_order, priority_keys, resolve_milestones
from planner.schedule.packages import (
    CREW_FIELD,
    CREW_TYPES,
    PackageGraph,
    build_packages,
    package_graph,
    prepare_segments,
)

__all__ = ["ScheduleModel", "prepare"]


@dataclass
class ScheduleModel:
    """A schedule problem prepared for the list scheduler.

    Attributes
    ----------
    sc
        Schedule configuration (its ``start_date`` is day 0 of ``cal``).
    seg
        Checked segment table (:func:`~planner.schedule.packages.prepare_segments`).
    drops
        Drops with the row of their package (``pk``).
    addr
        Address table: ``id, simc, locality, is_target, plan_status,
        unconnected_reason, terc``.
    pk, graph
        Work packages (table, and the arrays the scheduler works on).
    seg_pk_row
        Package row (in ``graph``) of each segment row.
    tgt
        Target points: ``addr`` columns plus ``connectable, seg_row, seg_pk``
        (and ``done`` in a re-plan).
    assign
        ``simc, locality, milestone, how`` per locality.
    cal
        Working-day calendar from ``sc.start_date``.
    loc_rank, keys
        Priority rank per locality and priority key per package.
    deadline_of
        Deadline day per locality (SIMC index) the schedule is checked against.
    last_day
        Day index of the project end.
    m_order, m_deadline
        Milestone name -> rank by deadline, and -> deadline.
    candidates
        Milestones automatic localities may go into.
    auto_simcs
        Localities assigned automatically.
    """

    sc: ScheduleConfig
    seg: pd.DataFrame
    drops: pd.DataFrame
    addr: pd.DataFrame
    pk: pd.DataFrame
    graph: PackageGraph
    seg_pk_row: np.ndarray
    tgt: pd.DataFrame
    assign: pd.DataFrame
    cal: Calendar
    loc_rank: dict[str, tuple[int, int]]
    keys: list[tuple[Any, ...]]
    deadline_of: pd.Series
    last_day: int
    m_order: dict[str, int]
    m_deadline: dict[str, dt.date]
    candidates: list[Milestone]
    auto_simcs: list[str]

    @property
    def crews(self) -> dict[str, int]:
        """Configured crews per crew type (``aerial, duct, trench, drop``)."""
        return {t: int(getattr(self.sc.crews, CREW_FIELD[t])) for t in CREW_TYPES}

    def run(self, crews: Mapping[str, int | None] | None = None, *, keys: list[tuple[Any, ...]] | None = None,
            cal: Calendar | None = None, consent: bool = True) -> Run:
        """List-schedule the packages.

        Parameters
        ----------
        crews
            Crews per crew type (``None`` for a type: unlimited); default the
            configured ones.
        keys
            Priority keys per package; default :attr:`keys`.
        cal
            Calendar; default :attr:`cal`.
        consent
            Respect the consent lead time.

        Returns
        -------
        Run
        """
        return list_schedule(self.graph, self.keys if keys is None else keys,
                             self.crews if crews is None else crews, self.cal if cal is None else cal,
                             consent=consent)

    def evaluate(self, run: Run) -> tuple[bool, float]:
        """(every deadline and the project end met, shortfall in days) of a run."""
        return evaluate(self.graph, run, self.seg_pk_row, self.tgt, self.deadline_of, self.sc.pass_threshold,
                        self.last_day)

    def passed_days(self, run: Run) -> np.ndarray:
        """Day each target of :attr:`tgt` is passed in ``run`` (inf if never, -1 if done before)."""
        return passed_days(run, self.seg_pk_row, self.tgt)


def _drop_table(drops: Any) -> pd.DataFrame:
    """Drops without geometry, key columns as text."""
    dcols = [c for c in drops.columns if c != "geometry"]
    if len(dcols):
        drp = pd.DataFrame(drops[dcols]).copy()
    else:
        drp = pd.DataFrame(columns=["address_id", "simc", "segment_id"])
    for c in ("address_id", "simc", "locality"):
        if c not in drp:
            drp[c] = ""
        drp[c] = drp[c].fillna("").astype(str)
    drp["segment_id"] = drp["segment_id"].astype("int64") if len(drp) else pd.Series([], dtype="int64")
    return drp


def _address_table(addr: Any) -> pd.DataFrame:
    """The address columns the schedule uses, with defaults."""
    return pd.DataFrame({
        "id": addr["id"].astype(str).to_numpy(),
        "simc": addr["simc"].fillna("").astype(str).to_numpy(),
        "locality": addr["locality"].fillna("").astype(str).to_numpy(),
        "is_target": addr["is_target"].fillna(False).astype(bool).to_numpy() if "is_target" in addr else True,
        "plan_status": addr["plan_status"].fillna("").astype(str).to_numpy() if "plan_status" in addr else "connect",
        "unconnected_reason": (addr["unconnected_reason"].fillna("").astype(str).to_numpy()
                               if "unconnected_reason" in addr else ""),
        "terc": addr["terc"].fillna("").astype(str).to_numpy() if "terc" in addr else "",
    })


def prepare(segments: Any, drops: Any, addresses: Any, config: ScheduleConfig, *,
            done: Iterable[str] | None = None,
            loc_rank: dict[str, tuple[int, int]] | None = None,
            assignment: pd.DataFrame | None = None) -> ScheduleModel:
    """Prepare a schedule problem (see :func:`build_schedule` for the inputs).

    Parameters
    ----------
    segments, drops, addresses
        As for :func:`build_schedule`.
    config
        Schedule configuration; ``start_date`` is day 0.
    done
        Ids of target points passed before the start date (a re-plan); they
        count as passed on day ``-1``.
    loc_rank
        Priority rank per locality (SIMC) to use instead of the one derived
        from the milestones (a re-plan keeps the plan's priorities).
    assignment
        Locality -> milestone table (``simc, locality, milestone, how``) to use
        as fixed instead of resolving the configured milestones (a re-plan
        keeps the plan's assignment, automatic or not).

    Returns
    -------
    ScheduleModel

    Raises
    ------
    ConfigError, InputDataError
        As :func:`build_schedule`.
    """
    sc = config
    seg = prepare_segments(segments)
    drp = _drop_table(drops)
    a = _address_table(addresses)
    loc = (pd.concat([a[["simc", "locality"]], seg[["simc", "locality"]]])
           .loc[lambda d: d["simc"] != ""].sort_values(["simc", "locality"], kind="stable")
           .drop_duplicates("simc").reset_index(drop=True))
    if assignment is None:
        assign = resolve_milestones(loc, sc)
    else:
        assign = assignment[["simc", "locality", "milestone", "how"]].copy()
        assign["how"] = np.where(assign["how"] == "auto", "plan", assign["how"]).astype(object)

    cal = Calendar(sc)
    pk, seg_pk, drp = build_packages(seg, drp, sc)
    P = package_graph(pk, sc.consent_lead_days)  # calendar days after the start date
    pk_row = {old: new for new, old in enumerate(pk.index.tolist())}
    seg_pk_row = np.array([pk_row[x] for x in seg_pk.tolist()], dtype=np.int64)

    # targets: drops joined to addresses
    drop_pk = dict(zip(drp["address_id"], drp["segment_id"]))
    tgt = a[a["is_target"]].copy()
    tgt_ids = tgt["id"].tolist()
    has_drop = np.fromiter((x in drop_pk for x in tgt_ids), dtype=bool, count=len(tgt_ids))
    status = tgt["plan_status"].to_numpy(dtype=object)
    tgt["connectable"] = ((status == "connect") | (status == "connected")) & has_drop
    sid = tgt["id"].map(drop_pk).fillna(-1).astype("int64").to_numpy()
    seg_ids = seg["segment_id"].to_numpy()
    pos = np.clip(np.searchsorted(seg_ids, sid), 0, max(len(seg_ids) - 1, 0))
    tgt["seg_row"] = np.where((sid >= 0) & (len(seg_ids) > 0), pos, -1)
    tgt["seg_pk"] = np.where(tgt["seg_row"] >= 0, seg_pk_row[pos] if len(seg_ids) else -1, -1)
    tgt = tgt.reset_index(drop=True)
    if done is not None:
        done_ids = set(done)
        tgt["done"] = np.fromiter((x in done_ids for x in tgt["id"].tolist()), dtype=bool, count=len(tgt))

    # priorities
    ms_sorted = sorted(sc.milestones, key=lambda m: (m.deadline, m.name))
    m_order = {m.name: i for i, m in enumerate(ms_sorted)}
    m_deadline = {m.name: m.deadline for m in sc.milestones}
    fixed = assign[assign["how"] != "auto"]
    rank: dict[str, tuple[int, int]] = {s: (m_order[m], 0) for s, m in zip(fixed["simc"], fixed["milestone"])}
    auto_simcs = assign.loc[assign["how"] == "auto", "simc"].tolist()
    candidates = [m for m in ms_sorted if not m.localities] or ms_sorted
    if auto_simcs:
        ranked = auto_order(auto_simcs, seg, drp, tgt)
        base = m_order[candidates[0].name]
        for r, s in enumerate(ranked):
            rank[s] = (base, 1 + r)
    if loc_rank is not None:
        rank = dict(loc_rank)
    keys = priority_keys(P, rank)

    # deadline per locality for evaluation (auto: the latest candidate)
    deadline_of = pd.Series({s: cal.day(m_deadline[m]) for s, m in zip(fixed["simc"], fixed["milestone"])},
                            dtype=float)
    if auto_simcs:
        last = cal.day(candidates[-1].deadline)
        deadline_of = pd.concat([deadline_of, pd.Series({s: float(last) for s in auto_simcs})])
    return ScheduleModel(
        sc=sc, seg=seg, drops=drp, addr=a, pk=pk, graph=P, seg_pk_row=seg_pk_row, tgt=tgt, assign=assign, cal=cal,
        loc_rank=rank, keys=keys, deadline_of=deadline_of, last_day=cal.day(sc.project_end), m_order=m_order,
        m_deadline=m_deadline, candidates=candidates, auto_simcs=auto_simcs,
    )
