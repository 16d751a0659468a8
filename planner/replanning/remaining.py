"""The work that is not built yet, as a schedule problem starting at the as-of date.

A planned segment is built when as-built lines cover ``as_built_min_cover`` of
its length (:mod:`planner.schedule.asbuilt`) or a counted record names it by
``segment_id``.  The remaining network is every other segment, with the length
the as-built lines do not cover; each remaining segment hangs off its nearest
remaining ancestor (built segments in between need no work), so the package
graph keeps "nothing is built before the network between it and the POP".
Targets already passed (their path from the POP counts as built, or they are
connected) count as passed before the as-of date; the drops of targets not yet
connected hang off the nearest remaining segment on their path (at the POP of
the remaining network when their path is built).  Consents still pending wait
``replan.consent_lead_days`` (default ``consent_lead_days``) from the as-of
date.  Every locality keeps the plan's milestone and priority.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.config import ScheduleConfig
from planner.schedule.asbuilt import SegmentMatch, passed_targets, path_built
from planner.schedule.model import ScheduleModel, prepare
from planner.schedule.results import ScheduleResult

__all__ = ["Status", "status_at", "remaining_tables", "remaining_model"]

_SEG_COLUMNS = ["segment_id", "parent_id", "deployment", "surface", "consent", "simc", "locality", "length_m",
                "cost_pln", "dist_from_pop_m"]
_DROP_COLUMNS = ["address_id", "simc", "locality", "segment_id", "cost_pln"]


@dataclass
class Status:
    """What is built at the as-of date.

    Attributes
    ----------
    match
        Planned segments matched (row order of the plan's checked segment table).
    path
        Per segment: its path from the POP counts as built.
    passed, connected
        Per target of the plan (row order of ``ScheduleModel.tgt``).
    """

    match: SegmentMatch
    path: np.ndarray
    passed: np.ndarray
    connected: np.ndarray


def status_at(model: ScheduleModel, match: SegmentMatch, connected_ids: set[str] | np.ndarray,
              until: dt.date | None = None) -> Status:
    """Built segments, paths and passed/connected targets, optionally as of an earlier date.

    Parameters
    ----------
    model
        The plan's prepared schedule problem.
    match
        Planned segments matched to the counted as-built lines.
    connected_ids
        Address ids whose connection counts (or a boolean mask over the targets).
    until
        Keep only what was built by this date (segments by their ``built_on``;
        connections must then be filtered by the caller).

    Returns
    -------
    Status
    """
    built = match.built
    if until is not None:
        built = built & (match.built_on <= np.datetime64(until, "ns"))
        match = SegmentMatch(built=built, built_on=np.where(built, match.built_on, np.datetime64("NaT")),
                             cover=np.where(built, match.cover, 0.0))
    path = path_built(model.seg, built, model.sc.as_built_min_cover)
    passed, connected = passed_targets(model.tgt, path, connected_ids)
    return Status(match=match, path=path, passed=passed, connected=connected)


def remaining_tables(model: ScheduleModel, status: Status) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Segments and drops still to build.

    Parameters
    ----------
    model
        The plan's prepared schedule problem.
    status
        What is built (:func:`status_at`).

    Returns
    -------
    segments : pandas.DataFrame
        Remaining segments (``parent_id``: nearest remaining ancestor, -1 at
        the POP of the remaining network; ``length_m``: the uncovered length).
    drops : pandas.DataFrame
        Drops of the targets not yet connected, on the nearest remaining
        segment of their path.
    gate : numpy.ndarray
        Per planned segment row: row of its nearest remaining ancestor or
        itself (-1 when its whole path is built).
    """
    seg = model.seg
    n = len(seg)
    built = status.match.built
    rem = ~built
    pidx = seg["pidx"].to_numpy()
    gate = np.full(n, -1, dtype=np.int64)
    for i in np.argsort(seg["preorder"].to_numpy(), kind="stable").tolist():
        p = pidx[i]
        gate[i] = i if rem[i] else (gate[p] if p >= 0 else -1)
    ids = seg["segment_id"].to_numpy()
    up = np.where(pidx >= 0, gate[np.clip(pidx, 0, max(n - 1, 0))], -1) if n else np.zeros(0, dtype=np.int64)
    rs = seg.loc[rem, [c for c in _SEG_COLUMNS if c in seg]].copy()
    rs["parent_id"] = np.where(up[rem] >= 0, ids[np.clip(up[rem], 0, max(n - 1, 0))], -1).astype(np.int64)
    rs["length_m"] = (seg["length_m"].to_numpy() * (1.0 - status.match.cover))[rem]
    rs = rs.reset_index(drop=True)

    tgt = model.tgt
    drp = model.drops
    open_ids = set(tgt.loc[~status.connected, "id"])
    passed_ids = set(tgt.loc[status.passed, "id"])
    d = drp[drp["address_id"].isin(open_ids)][[c for c in _DROP_COLUMNS if c in drp]].copy()
    sid = d["segment_id"].to_numpy(dtype=np.int64)
    pos = np.clip(np.searchsorted(ids, sid), 0, max(n - 1, 0))
    on = (sid >= 0) & (n > 0)
    g = np.where(on, gate[pos] if n else -1, -1)
    d["segment_id"] = np.where((g >= 0) & ~d["address_id"].isin(passed_ids).to_numpy(),
                               ids[np.clip(g, 0, max(n - 1, 0))] if n else -1, -1).astype(np.int64)
    return rs, d.reset_index(drop=True), gate


def remaining_model(model: ScheduleModel, status: Status, addresses: Any, baseline: ScheduleResult,
                    config: ScheduleConfig, as_of: dt.date) -> tuple[ScheduleModel, np.ndarray]:
    """The remaining work as a schedule problem from ``as_of``.

    Parameters
    ----------
    model
        The plan's prepared schedule problem.
    status
        What is built at ``as_of``.
    addresses
        The plan's addresses.
    baseline
        The plan's schedule (its milestone assignment and priorities are kept).
    config
        Schedule configuration with the current crews.
    as_of
        Day 0 of the remaining schedule.

    Returns
    -------
    model : ScheduleModel
        Localities of milestones whose deadline is before ``as_of`` are left
        out of ``deadline_of`` (they are late whatever happens; see the
        village table for how late).
    gate : numpy.ndarray
        As :func:`remaining_tables`.
    """
    rs, rd, gate = remaining_tables(model, status)
    lead = config.replan.consent_lead_days
    sc = config.model_copy(update={
        "start_date": as_of,
        "consent_lead_days": config.consent_lead_days if lead is None else lead,
    })
    done = model.tgt.loc[status.passed, "id"].tolist()
    rm = prepare(rs, rd, addresses, sc, done=done, loc_rank=baseline.locality_rank, assignment=baseline.assignment)
    ahead = {m for m, d in rm.m_deadline.items() if d >= as_of}
    ms_of = dict(zip(rm.assign["simc"], rm.assign["milestone"]))
    rm.deadline_of = rm.deadline_of[[ms_of.get(s, "") in ahead for s in rm.deadline_of.index]]
    return rm, gate
