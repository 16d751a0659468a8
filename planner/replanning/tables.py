"""Tables of a re-plan: villages, milestones (with what it takes), planned segments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from planner.replanning.matching import AsBuiltCheck
from planner.replanning.remaining import Status, status_at
from planner.replanning.whatittakes import Evaluator, Verdict
from planner.schedule.asbuilt import SegmentMatch
from planner.schedule.listsched import Run, end_day, start_day
from planner.schedule.model import ScheduleModel
from planner.schedule.results import ScheduleResult

__all__ = ["village_table", "milestone_table", "segment_table"]


def _date(cal: Any, d: float) -> Any:
    """Day index as a date; NaT when negative (already) or not finite (never)."""
    return cal.date(int(d)) if np.isfinite(d) and d >= 0 else pd.NaT


def village_table(model0: ScheduleModel, rm: ScheduleModel, ev: Evaluator, now: Verdict, status: Status,
                  match: SegmentMatch, check: AsBuiltCheck, baseline: ScheduleResult, as_of: dt.date) -> pd.DataFrame:
    """Per village: progress now, forecast with the current crews, state for the map.

    Parameters
    ----------
    model0
        The plan's prepared problem.
    rm
        The remaining work.
    ev, now
        Evaluator of the remaining work and its verdict with the current crews.
    status
        What is built at the as-of date.
    match
        Planned segments matched (for km built and passed milestones).
    check
        As-built record check (connections by date for passed milestones).
    baseline
        The plan's schedule (assignment).
    as_of
        Status date.

    Returns
    -------
    pandas.DataFrame
        See :attr:`planner.replan.ReplanResult.villages`.
    """
    thr = rm.sc.pass_threshold
    tgt = model0.tgt
    t = pd.DataFrame({"simc": tgt["simc"].to_numpy(), "connectable": tgt["connectable"].to_numpy(),
                      "passed": status.passed, "connected": status.connected})
    g = t.groupby("simc", sort=True).agg(targets=("simc", "size"), connectable=("connectable", "sum"),
                                         passed_now=("passed", "sum"), connected_now=("connected", "sum"))
    assign = baseline.assignment.set_index("simc")
    ms_of = assign["milestone"].to_dict()
    dl_of = {m: rm.cal.day(d) for m, d in rm.m_deadline.items()}
    days = rm.passed_days(now.run)
    r_simc = rm.tgt["simc"].to_numpy(dtype=str)
    r_dl = np.array([dl_of.get(ms_of.get(x, ""), np.inf) for x in r_simc], dtype=float)
    r_conn = rm.tgt["connectable"].to_numpy(bool) | (days < 0)
    fut = pd.DataFrame({"simc": r_simc, "by_deadline": days <= r_dl, "last": np.where(r_conn, days, -np.inf),
                        "any": r_conn}).groupby("simc", sort=True).agg(
        by_deadline=("by_deadline", "sum"), last=("last", "max"), any=("any", "any"))
    pos = {s: i for i, s in enumerate(ev.simcs)}
    seg = model0.seg
    seg_len = seg["length_m"].to_numpy()
    km = pd.DataFrame({"simc": seg["simc"].to_numpy(), "planned": seg_len,
                       "built": np.where(match.built, seg_len, 0.0)}).groupby("simc").sum() / 1000.0
    rem_km = (rm.seg.groupby("simc")["length_m"].sum() / 1000.0) if len(rm.seg) else pd.Series(dtype=float)
    # passed milestones: what was passed by the deadline (segments and connections dated by then)
    past: dict[str, pd.Series] = {}
    on = check.connected_on.reindex(tgt["id"].to_numpy()).to_numpy(dtype="datetime64[ns]")
    for m, d in rm.m_deadline.items():
        if d < as_of:
            conn = ~np.isnat(on) & (on <= np.datetime64(d, "ns"))
            then = status_at(model0, match, conn, until=d).passed
            past[m] = pd.Series(then).groupby(tgt["simc"].to_numpy()).sum()
    rows = []
    for s, r in g.iterrows():
        m = assign["milestone"].get(s, "")
        deadline = rm.m_deadline.get(m)
        passed_m = deadline is not None and deadline < as_of
        j = pos.get(s)
        thr_day = now.thr_day[j] if j is not None else np.inf
        dl_day = rm.cal.day(deadline) if deadline is not None else np.inf
        if passed_m:
            at_deadline = 100.0 * float(past[m].get(s, 0)) / r.targets
        else:
            at_deadline = 100.0 * float(fut["by_deadline"].get(s, 0)) / r.targets
        pct_now = 100.0 * r.passed_now / r.targets
        reached = pct_now >= 100.0 * thr - 1e-9
        reach_date = _date(rm.cal, thr_day)
        late = ((pd.Timestamp(reach_date) - pd.Timestamp(deadline)).days
                if (pd.notna(reach_date) and deadline is not None) else np.nan)
        complete = float(fut["last"].get(s, np.inf)) if bool(fut["any"].get(s, False)) else np.inf
        on_time = reached if passed_m else bool(thr_day <= dl_day)
        state = "built" if reached else ("remaining" if (on_time and not passed_m) else "at_risk")
        rows.append({
            "simc": s, "locality": assign["locality"].get(s, ""), "milestone": m, "deadline": deadline,
            "milestone_passed": bool(passed_m), "targets": int(r.targets), "connectable": int(r.connectable),
            "passed_now": int(r.passed_now), "pct_passed_now": round(pct_now, 1),
            "connected_now": int(r.connected_now), "pct_connected_now": round(100.0 * r.connected_now / r.targets, 1),
            "pct_at_deadline": round(at_deadline, 1), "required_pct": round(100.0 * thr, 1),
            "threshold_date": reach_date, "days_late": max(late, 0) if np.isfinite(late) else np.nan,
            "complete_date": _date(rm.cal, complete),
            "km_planned": round(float(km["planned"].get(s, 0.0)), 3),
            "km_built": round(float(km["built"].get(s, 0.0)), 3),
            "km_remaining": round(float(rem_km.get(s, 0.0)), 3),
            "village_state": state, "milestone_reachable": state != "at_risk",
        })
    v = pd.DataFrame(rows)
    for c in ("deadline", "threshold_date", "complete_date"):
        v[c] = pd.to_datetime(v[c]).astype("datetime64[ns]")
    v["days_late"] = v["days_late"].astype("Float64").round(0).astype("Int64")
    return v.sort_values(["deadline", "milestone", "locality", "simc"], kind="stable").reset_index(drop=True)


def milestone_table(villages: pd.DataFrame, wit: pd.DataFrame, rm: ScheduleModel, as_of: dt.date) -> pd.DataFrame:
    """Per milestone: outlook with the current crews and what it takes.

    Parameters
    ----------
    villages
        :func:`village_table`.
    wit
        :func:`planner.replanning.whatittakes.what_it_takes` (milestones ahead,
        ``project end``, ``all``).
    rm
        The remaining work.
    as_of
        Status date.

    Returns
    -------
    pandas.DataFrame
        ``goal, deadline, status`` (``passed`` | ``ahead``), villages, targets,
        ``passed_now, pct_passed_now, pct_at_deadline``, villages below the
        threshold now and at the deadline, the date the last village reaches
        the threshold and how late, then the columns of ``wit``.
    """
    thr = 100.0 * rm.sc.pass_threshold
    rows = []
    for m in sorted(rm.m_order, key=lambda x: rm.m_order[x]):
        g = villages[villages["milestone"] == m]
        deadline = rm.m_deadline[m]
        n = int(g["targets"].sum())
        last = g["threshold_date"].max() if g["threshold_date"].notna().any() else pd.NaT
        never = bool((~g["milestone_reachable"] & g["threshold_date"].isna() & (g["pct_passed_now"] < thr)).any())
        rows.append({
            "goal": m, "deadline": deadline, "status": "passed" if deadline < as_of else "ahead",
            "villages": int(len(g)), "targets": n, "passed_now": int(g["passed_now"].sum()),
            "pct_passed_now": round(100.0 * g["passed_now"].sum() / n, 1) if n else np.nan,
            "pct_at_deadline": round(float((g["pct_at_deadline"] * g["targets"]).sum()) / n, 1) if n else np.nan,
            "villages_below_now": int((g["pct_passed_now"] < thr - 1e-9).sum()),
            "villages_below_at_deadline": int((g["pct_at_deadline"] < thr - 1e-9).sum()),
            "last_village_reaches": last if not never else pd.NaT,
            "days_late": (max(int((last - pd.Timestamp(deadline)).days), 0) if pd.notna(last) and not never
                          else pd.NA),
        })
    out = pd.DataFrame(rows)
    if len(out):
        out["deadline"] = pd.to_datetime(out["deadline"]).astype("datetime64[ns]")
        out["last_village_reaches"] = pd.to_datetime(out["last_village_reaches"]).astype("datetime64[ns]")
        out["days_late"] = out["days_late"].astype("Int64")
    merged = out.merge(wit.drop(columns=["deadline"]), on="goal", how="left") if len(out) else out
    extra = wit[~wit["goal"].isin(out["goal"] if len(out) else [])].assign(status="ahead")
    merged = pd.concat([merged, extra], ignore_index=True)
    for c in ("villages", "targets", "passed_now", "villages_below_now", "villages_below_at_deadline"):
        if c in merged:
            merged[c] = merged[c].astype("Int64")
    passed = merged["status"] == "passed"
    merged.loc[passed, "met_with_current_crews"] = False
    merged.loc[passed, "binding_constraint"] = "deadline_passed"
    merged.loc[passed, "answer"] = [
        f"the rest reaches {thr:.0f} % by {r.last_village_reaches.date()} ({r.days_late} days late)"
        if pd.notna(r.last_village_reaches) else
        ("every village had reached it" if r.villages_below_now == 0 else f"{r.villages_below_now} villages never "
         f"reach {thr:.0f} % with the current crews")
        for r in merged[passed].itertuples()]
    return merged


def segment_table(model0: ScheduleModel, rm: ScheduleModel, status: Status, run: Run) -> pd.DataFrame:
    """Per planned segment: built state, cover, remaining metres and its remaining package.

    Parameters
    ----------
    model0
        The plan's prepared problem.
    rm
        The remaining work.
    status
        What is built.
    run
        Schedule of the remaining work.

    Returns
    -------
    pandas.DataFrame
        ``segment_id, simc, locality, deployment, length_m, state, cover, built_on, remaining_m, wp_id, start,
        end`` (``state``: built, partly_built, remaining).
    """
    seg = model0.seg
    m = status.match
    state = np.where(m.built, "built", np.where(m.cover > 0.05, "partly_built", "remaining"))
    out = pd.DataFrame({
        "segment_id": seg["segment_id"].to_numpy(), "simc": seg["simc"].to_numpy(),
        "locality": seg["locality"].to_numpy(), "deployment": seg["deployment"].to_numpy(),
        "length_m": seg["length_m"].to_numpy(), "state": state.astype(object), "cover": np.round(m.cover, 3),
        "built_on": m.built_on,
        "remaining_m": np.where(m.built, 0.0, seg["length_m"].to_numpy() * (1.0 - m.cover)),
    })
    rid = rm.seg["segment_id"].to_numpy()
    pkr = rm.seg_pk_row
    wp = np.array(rm.graph.wp_id, dtype=object)
    s_day = start_day(run.start[pkr]) if len(pkr) else np.zeros(0)
    e_day = end_day(run.end[pkr]) if len(pkr) else np.zeros(0)
    idx = pd.Series(np.arange(len(rid)), index=rid)
    where = idx.reindex(out["segment_id"]).to_numpy()
    has = ~np.isnan(where)
    wi = np.where(has, where, 0).astype(np.int64)
    out["wp_id"] = np.where(has, wp[pkr[wi]] if len(pkr) else "", "")
    start = np.full(len(out), np.datetime64("NaT"), dtype="datetime64[ns]")
    end = start.copy()
    if len(pkr):
        ok_s = has & np.isfinite(s_day[wi])
        ok_e = has & np.isfinite(e_day[wi])
        base = np.datetime64(rm.sc.start_date, "D")
        start[ok_s] = (base + s_day[wi][ok_s].astype(np.int64).astype("timedelta64[D]")).astype("datetime64[ns]")
        end[ok_e] = (base + e_day[wi][ok_e].astype(np.int64).astype("timedelta64[D]")).astype("datetime64[ns]")
    out["start"] = start
    out["end"] = end
    return out
