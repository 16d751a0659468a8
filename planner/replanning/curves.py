"""S-curve data: planned, actual and forecast km and share of target points passed over time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from planner.replanning.matching import AsBuiltCheck
from planner.replanning.remaining import status_at
from planner.replanning.whatittakes import Verdict
from planner.schedule.asbuilt import SegmentMatch
from planner.schedule.listsched import end_day
from planner.schedule.model import ScheduleModel
from planner.schedule.results import ScheduleResult

__all__ = ["scurve"]


def _cumulative(dates: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Sum of ``values`` whose date is on or before each of ``at`` (NaT dates never count)."""
    ok = ~np.isnat(dates)
    d = dates[ok].astype("datetime64[D]")
    order = np.argsort(d, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(values, dtype=float)[ok][order])])
    return cum[np.searchsorted(d[order], at.astype("datetime64[D]"), side="right")]


def scurve(model0: ScheduleModel, rm: ScheduleModel, as_built: Any, check: AsBuiltCheck, match: SegmentMatch,
           baseline: ScheduleResult, now: Verdict, as_of: dt.date) -> pd.DataFrame:
    """The S-curve table of a re-plan.

    Parameters
    ----------
    model0
        The plan's prepared problem.
    rm
        The remaining work (scheduled from ``as_of``).
    as_built
        The as-built layer (rows as in ``check``).
    check
        Which records count.
    match
        Planned segments matched.
    baseline
        The plan's schedule (``planned``).
    now
        The remaining work scheduled with the current crews (``forecast``).
    as_of
        Status date.

    Returns
    -------
    pandas.DataFrame
        ``date, planned_km, actual_km, forecast_km, planned_pct_passed, actual_pct_passed,
        forecast_pct_passed`` every week from the start date to the later of the
        project end and the forecast end, plus the as-of date and the deadlines;
        actual values up to ``as_of`` (the share passed at month ends and at
        ``as_of``), forecast values from ``as_of`` on, NaN elsewhere.  km of
        network lines (drops excluded); percent of the plan's target points.
    """
    sc = model0.sc
    start = np.datetime64(sc.start_date, "D")
    asof = np.datetime64(as_of, "D")
    ends = end_day(now.run.end)
    fin = ends[np.isfinite(ends)] if len(ends) else ends
    last = max(np.datetime64(sc.project_end, "D"), asof, *(np.datetime64(d, "D") for d in rm.m_deadline.values()))
    if len(fin):
        last = max(last, asof + np.timedelta64(int(fin.max()), "D"))
    at = np.unique(np.concatenate([
        np.arange(start, last + np.timedelta64(7, "D"), np.timedelta64(7, "D")),
        [asof, np.datetime64(sc.project_end, "D")],
        np.array([np.datetime64(d, "D") for d in rm.m_deadline.values()]),
    ]))
    n_t = max(len(model0.tgt), 1)
    seg_len = model0.seg["length_m"].to_numpy()

    planned_km = _cumulative(baseline.segments["planned_built"].to_numpy(), seg_len, at) / 1000.0
    a = baseline.addresses
    is_t = a["is_target"].fillna(False).astype(bool).to_numpy() if "is_target" in a else np.ones(len(a), bool)
    planned_pct = 100.0 * _cumulative(a["passed_date"].to_numpy()[is_t], np.ones(int(is_t.sum())), at) / n_t

    ab = as_built.reset_index(drop=True)
    lines = check.counted & check.is_segment
    if lines.any():
        ldates = pd.to_datetime(ab["built_on"]).to_numpy()[lines]
        llen = ab.geometry.length.to_numpy()[lines]
        actual_km = _cumulative(ldates, llen, at) / 1000.0
    else:
        actual_km = np.zeros(len(at))
    past = at <= asof
    actual_km = np.where(past, actual_km, np.nan)
    actual_pct = np.full(len(at), np.nan)
    months = pd.DatetimeIndex(at.astype("datetime64[ns]")).to_period("M")
    month_end = np.r_[months[1:] != months[:-1], True]
    on = check.connected_on.reindex(model0.tgt["id"].to_numpy()).to_numpy(dtype="datetime64[ns]")
    for i in np.flatnonzero(past & (month_end | (at == asof))).tolist():
        d = pd.Timestamp(at[i]).date()
        conn = ~np.isnat(on) & (on <= np.datetime64(d, "ns"))
        actual_pct[i] = 100.0 * float(status_at(model0, match, conn, until=d).passed.sum()) / n_t

    rem_len = rm.seg["length_m"].to_numpy()
    rem_end = np.full(len(rem_len), np.datetime64("NaT"), dtype="datetime64[D]")
    if len(rem_len):
        e = end_day(now.run.end[rm.seg_pk_row])
        ok = np.isfinite(e)
        rem_end[ok] = asof + e[ok].astype(np.int64).astype("timedelta64[D]")
    km_now = actual_km[at == asof][0] if (at == asof).any() else 0.0
    forecast_km = km_now + _cumulative(rem_end, rem_len, at) / 1000.0
    days = rm.passed_days(now.run)
    pdates = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
    okd = np.isfinite(days)
    pdates[okd] = asof + np.maximum(days[okd], 0).astype(np.int64).astype("timedelta64[D]")
    forecast_pct = 100.0 * _cumulative(pdates, np.ones(len(days)), at) / n_t
    future = at >= asof
    return pd.DataFrame({
        "date": at.astype("datetime64[ns]"),
        "planned_km": np.round(planned_km, 3), "actual_km": np.round(actual_km, 3),
        "forecast_km": np.round(np.where(future, forecast_km, np.nan), 3),
        "planned_pct_passed": np.round(planned_pct, 2), "actual_pct_passed": np.round(actual_pct, 2),
        "forecast_pct_passed": np.round(np.where(future, forecast_pct, np.nan), 2),
    })
