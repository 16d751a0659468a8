"""The schedule stage: :func:`build_schedule`.

Prepares the problem (:func:`planner.schedule.model.prepare`), list-schedules
it with the configured crews, names the binding constraint and the minimum
crews when deadlines are missed (:mod:`planner.schedule.crews`), builds the
tables (:func:`finish`) and, with an as-built layer, the progress report
(:mod:`planner.schedule.progress`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from planner.config import ScheduleConfig
from planner.schedule.compliance import (
    compliance_table,
    milestone_summary,
    threshold_days,
    to_dates,
    work_package_table,
)
from planner.schedule.crews import diagnose, explain_infeasibility, min_crews
from planner.schedule.listsched import Run, end_day
from planner.schedule.model import ScheduleModel, prepare
from planner.schedule.progress import apply_progress
from planner.schedule.results import ScheduleResult

__all__ = ["finish", "schedule_model", "build_schedule", "ScheduleModel", "prepare"]

logger = logging.getLogger(__name__)


def finish(model: ScheduleModel, run: Run, addresses: Any, *, feasible: bool, binding: str = "",
           crews_needed: dict[str, int] | None = None) -> ScheduleResult:
    """Tables of a scheduled run (work packages, compliance, milestones, addresses, segments).

    Parameters
    ----------
    model
        The prepared problem.
    run
        Its schedule.
    addresses
        The input addresses (copied, with ``milestone, milestone_date,
        passed_date`` added).
    feasible, binding, crews_needed
        Verdict, binding constraint and minimum crews to report.

    Returns
    -------
    ScheduleResult
    """
    sc, cal, P, tgt, assign = model.sc, model.cal, model.graph, model.tgt, model.assign
    a, seg, seg_pk_row, m_deadline = model.addr, model.seg, model.seg_pk_row, model.m_deadline
    # final assignment for auto localities
    days = model.passed_days(run)
    per = threshold_days(tgt, days, sc.pass_threshold)
    if model.auto_simcs:
        for s in model.auto_simcs:
            td = per["thr_day"].get(s, 0.0)
            chosen = next((m.name for m in model.candidates if td <= cal.day(m.deadline)), model.candidates[-1].name)
            assign.loc[assign["simc"] == s, "milestone"] = chosen
    ms_of = dict(zip(assign["simc"], assign["milestone"]))

    wp = work_package_table(P, model.pk, run, cal, ms_of, m_deadline, model.m_order, sc)
    compliance = compliance_table(tgt, days, run, P, assign, sc, cal, m_deadline)
    summary = milestone_summary(compliance, sc)

    out_addr = addresses.copy()
    ms_col = a["simc"].map(ms_of).fillna("").astype(str)
    ms_col = ms_col.where(a["is_target"], "")
    out_addr["milestone"] = ms_col.to_numpy()
    out_addr["milestone_date"] = pd.to_datetime(ms_col.map(lambda m: m_deadline.get(m, pd.NaT))).astype(
        "datetime64[ns]").to_numpy()
    passed = pd.Series(np.nan, index=a.index)
    id_pos = pd.Series(np.arange(len(a)), index=a["id"])
    passed.iloc[id_pos.reindex(tgt["id"]).to_numpy()] = days
    out_addr["passed_date"] = to_dates(passed.to_numpy(), cal)

    seg_table = pd.DataFrame({
        "segment_id": seg["segment_id"].to_numpy(),
        "wp_id": [P.wp_id[i] for i in seg_pk_row],
        "planned_built": (to_dates(end_day(run.end[seg_pk_row]), cal) if len(seg)
                          else pd.Series([], dtype="datetime64[ns]")),
    })
    return ScheduleResult(
        work_packages=wp, addresses=out_addr, compliance=compliance, milestones=summary, feasible=bool(feasible),
        binding_constraint=binding, min_crews=crews_needed, progress=None,
        assignment=assign.sort_values(["simc"], kind="stable").reset_index(drop=True),
        segments=seg_table, config=sc, locality_rank=dict(model.loc_rank),
    )


def build_schedule(segments: Any, drops: Any, addresses: Any, config: ScheduleConfig, *,
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
        The ``schedule`` section of the configuration.
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
    model = prepare(segments, drops, addresses, config)
    result = schedule_model(model, addresses, progress=progress)
    if as_built is not None and len(as_built):
        apply_progress(result, segments, model, as_built)
    return result


def schedule_model(model: ScheduleModel, addresses: Any, *, progress: bool = False) -> ScheduleResult:
    """Schedule a prepared problem with its configured crews, and say why deadlines are missed.

    Parameters
    ----------
    model
        The prepared problem (:func:`prepare`).
    addresses
        The input addresses (for :attr:`ScheduleResult.addresses`).
    progress
        Show a progress bar during the crew search.

    Returns
    -------
    ScheduleResult
        With the binding constraint, minimum crews and
        :attr:`~ScheduleResult.diagnosis` when infeasible.
    """
    sc = model.sc
    run = model.run()
    ok, _ = model.evaluate(run)
    binding = ""
    needed = None
    if not ok:
        binding, needed = diagnose(model.graph, model.keys, model.crews, sc, model.cal, model.seg_pk_row, model.tgt,
                                   model.deadline_of, model.last_day, progress=progress)
    elif model.auto_simcs:
        needed = min_crews(model.graph, model.keys, model.crews, model.cal, model.seg_pk_row, model.tgt,
                           model.deadline_of, sc, model.last_day, progress=progress)
    result = finish(model, run, addresses, feasible=ok, binding=binding, crews_needed=needed)
    if not ok:
        result.diagnosis = explain_infeasibility(model, run, binding, needed)
        logger.warning("schedule misses deadlines: %s", result.diagnosis)
    return result
