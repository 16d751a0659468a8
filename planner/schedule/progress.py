"""Progress against an as-built layer: km built, points passed, straight-line forecast.

Segments are matched by :mod:`planner.schedule.asbuilt`.  The forecast
extrapolates the planned metres built per working day over the as-built
period; a milestone is at risk when one of its localities is below the
threshold and the unbuilt network its localities need (with their feeders)
would not be finished by the deadline at that rate.  A re-plan
(:mod:`planner.replanning`) replaces the straight line with a schedule of the
remaining work.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from planner._errors import InputDataError, Problem
from planner.schedule.asbuilt import SegmentMatch, match_segments, passed_targets, path_built, segment_geometries
from planner.schedule.listsched import end_day
from planner.schedule.model import ScheduleModel
from planner.schedule.results import ProgressReport, ScheduleResult
from planner.schema import VILLAGE_STATES

__all__ = ["progress", "apply_progress", "progress_report", "village_states", "VILLAGE_STATES"]

def progress(result: ScheduleResult, segments: Any, model: ScheduleModel, as_built: Any, *,
             match: SegmentMatch | None = None) -> ProgressReport:
    """Progress of a schedule against the as-built layer.

    Also adds ``as_built, as_built_on, as_built_cover`` to ``result.segments``.

    Parameters
    ----------
    result
        The schedule (its work packages give the network each milestone needs).
    segments
        The planned segments (with geometry).
    model
        The prepared problem ``result`` was computed from.
    as_built
        As-built layer (:data:`planner.schema.AS_BUILT`); may be empty.
    match
        Planned segments already matched to the as-built lines (a re-plan adds
        segments named by id); computed here when ``None``.

    Returns
    -------
    ProgressReport

    Raises
    ------
    InputDataError
        The layer lacks ``kind``/``built_on`` or has rows without a date.
    """
    seg, tgt, cal = model.seg, model.tgt, model.cal
    m_deadline, m_order = model.m_deadline, model.m_order
    ms_of = dict(zip(result.assignment["simc"], result.assignment["milestone"]))
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
    dep = (lines["deployment"].fillna("").astype(str).to_numpy() if "deployment" in lines
           else np.array([""] * len(lines)))
    km_built = float(llen.sum()) / 1000.0
    km_under = float(llen[np.isin(dep, ["trench", "duct"])].sum()) / 1000.0
    as_of = pd.Timestamp(built_on.max()).date() if len(built_on) else None
    first = pd.Timestamp(built_on.min()).date() if len(built_on) else None

    # planned segments covered by as-built lines
    n = len(seg)
    if match is not None:
        pass
    elif n and "geometry" in segments:
        match = match_segments(segment_geometries(segments, seg), lines.geometry.to_numpy(), ldate,
                               sc.as_built_match_m, sc.as_built_min_cover)
    else:
        match = SegmentMatch(np.zeros(n, dtype=bool), np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
                             np.zeros(n))
    built, bdate = match.built, match.built_on
    # path from the POP built: as-built surveys have gaps, so a path counts as
    # built when as_built_min_cover of its length is
    seg_len = seg["length_m"].to_numpy()
    path = path_built(seg, built, sc.as_built_min_cover)
    result.segments["as_built"] = built
    result.segments["as_built_on"] = bdate
    result.segments["as_built_cover"] = match.cover

    conn_ids = set(ab.loc[ab["kind"] == "connection", "address_id"].astype(str)) if "address_id" in ab else set()
    t = tgt.copy()
    # passed: the path from the POP to the drop's segment is built
    passed, connected = passed_targets(t, path, conn_ids)
    t["connected"] = connected
    t["passed"] = passed  # a connected point is passed
    t["milestone"] = t["simc"].map(ms_of).fillna("")

    # rate and forecast
    work_days = max(1, cal.count(0, max(0, cal.day(first)), max(0, cal.day(as_of)))) if first and as_of else 1
    built_m = float(seg_len[built].sum())
    rate = built_m / work_days
    remaining = float(seg_len[~built].sum())

    def forecast(rem: float) -> dt.date | None:
        if rem <= 0:
            return as_of
        if rate <= 0 or as_of is None:
            return None
        d0 = cal.first(0, float(cal.day(as_of) + 1))
        e = cal.finish(0, d0, float(max(1, math.ceil(rem / rate - 1e-9)))) if d0 >= 0 else -1.0
        return cal.date(int(end_day(np.array([e]))[0])) if e >= 0 else None

    # per milestone: unbuilt network its localities need (their packages and upstream)
    wp = result.work_packages.set_index("wp_id")
    need_order = wp["needed_by"].map(lambda m: m_order.get(m, 10**9))
    seg_need = need_order.reindex([model.graph.wp_id[i] for i in model.seg_pk_row]).to_numpy() if n else np.zeros(0)
    ms_rows = []
    at_risk = []
    thr = sc.pass_threshold
    loc_rows = []
    under = seg["deployment"].isin(["trench", "duct"]).to_numpy()
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
            "km_underground_built": round(float(seg_len[in_loc & built & under].sum()) / 1000.0, 3),
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
        loc_tab = (loc_tab.sort_values(["deadline", "milestone", "locality", "simc"], kind="stable")
                   .reset_index(drop=True))
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



def apply_progress(result: ScheduleResult, segments: Any, model: ScheduleModel, as_built: Any, *,
                   match: SegmentMatch | None = None) -> ProgressReport:
    """Compute :func:`progress` and store it in ``result`` (``progress``, ``progress_summary``).

    Addresses with an as-built connection whose ``plan_status`` is
    ``'connect'`` become ``'connected'`` in ``result.addresses``.

    Parameters
    ----------
    result, segments, model, as_built, match
        As :func:`progress`.

    Returns
    -------
    ProgressReport
    """
    rep = progress(result, segments, model, as_built, match=match)
    result.progress = rep.localities
    result.progress_summary = rep
    out_addr = result.addresses
    conn_ids = (set(as_built.loc[as_built["kind"] == "connection", "address_id"].astype(str))
                if len(as_built) else set())
    if "plan_status" in out_addr:
        is_conn = out_addr["id"].astype(str).isin(conn_ids) & (out_addr["plan_status"] == "connect")
        out_addr.loc[is_conn, "plan_status"] = "connected"
    return rep


def village_states(localities: pd.DataFrame, pass_threshold: float) -> pd.DataFrame:
    """Built / remaining / at-risk state of each village, for maps.

    Parameters
    ----------
    localities
        Per-locality progress with ``simc, pct_passed`` and ``at_risk``
        (:attr:`ProgressReport.localities`, or a re-plan's village table).
    pass_threshold
        Share of target points a village must pass by its milestone (0..1).

    Returns
    -------
    pandas.DataFrame
        ``simc, village_state, pct_passed_now, milestone_reachable``:

        * ``built``: the village has already passed ``pass_threshold`` of its
          target points (its milestone rule is met now);
        * ``at_risk``: below the threshold, and the forecast does not reach it
          by the village's milestone deadline (or the deadline has passed);
        * ``remaining``: below the threshold, and the forecast reaches it in time.

        ``milestone_reachable`` is ``True`` for ``built`` and ``remaining``.
    """
    pct = localities["pct_passed"].astype(float).to_numpy()
    risk = localities["at_risk"].fillna(False).astype(bool).to_numpy()
    done = pct >= 100.0 * pass_threshold - 1e-9
    state = np.where(done, "built", np.where(risk, "at_risk", "remaining"))
    return pd.DataFrame({
        "simc": localities["simc"].astype(str).to_numpy(),
        "village_state": state.astype(object),
        "pct_passed_now": pct,
        "milestone_reachable": state != "at_risk",
    })
