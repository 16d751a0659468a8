"""Milestone compliance: when target points are passed, the >= 80 % rule, and the result tables.

A target point is *passed* on the end date of the package holding the segment
its drop hangs off (and so of every upstream segment: a child package starts
only after its parents end; drops at the POP node are passed on the start
date); it is *connected* when its drop package ends.  Targets the design leaves
unconnected are never passed.  The >= 80 % milestone rule
(``ScheduleConfig.pass_threshold``) counts **passed** points (the network
reaches them and drops can be made); drops are scheduled after the network and
reported separately.  Targets marked ``done`` (passed before the start date,
as in a re-plan) count as passed on day ``-1``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planner.config import ScheduleConfig
from planner.schedule.calendar import Calendar
from planner.schedule.listsched import Run, end_day, start_day
from planner.schedule.packages import PackageGraph

__all__ = [
    "WP_COLUMNS",
    "passed_days",
    "threshold_days",
    "evaluate",
    "to_dates",
    "work_package_table",
    "compliance_table",
    "milestone_summary",
]

#: Columns of :attr:`planner.schedule.ScheduleResult.work_packages`.
WP_COLUMNS = ["wp_id", "milestone", "needed_by", "simc", "locality", "kind", "quantity", "unit", "crew_type",
              "crew", "start", "end", "duration_days", "depends_on", "consent_wait_until", "n_segments"]


def passed_days(run: Run, seg_pk: np.ndarray, tgt: pd.DataFrame) -> np.ndarray:
    """Day each target is passed (float, inf if never, -1 if ``done`` before the start)."""
    pkrow = tgt["seg_pk"].to_numpy()
    days = np.full(len(tgt), np.inf)
    at_pop = tgt["connectable"].to_numpy() & (pkrow < 0)
    days[at_pop] = 0.0
    on = tgt["connectable"].to_numpy() & (pkrow >= 0)
    e = end_day(run.end[pkrow[on]])
    e[np.isnan(e)] = np.inf
    days[on] = e
    if "done" in tgt:
        days[tgt["done"].to_numpy(bool)] = -1.0
    return days


def threshold_days(tgt: pd.DataFrame, days: np.ndarray, thr: float) -> pd.DataFrame:
    """Per locality (index simc): targets, k needed, day the k-th target is passed (inf if never)."""
    uniq, codes = np.unique(tgt["simc"].to_numpy(dtype=str), return_inverse=True)
    counts = np.bincount(codes, minlength=len(uniq))
    order = np.lexsort((days, codes))
    sd = np.asarray(days, dtype=float)[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    k = np.maximum(np.ceil(counts * thr - 1e-9).astype(np.int64), 1)
    thr_day = sd[starts + k - 1] if len(sd) else np.zeros(0)
    return pd.DataFrame({"targets": counts, "k": k, "thr_day": thr_day}, index=pd.Index(uniq, name="simc"))


def evaluate(P: PackageGraph, run: Run, seg_pk: np.ndarray, tgt: pd.DataFrame, deadline_of: pd.Series,
             thr: float, last_day: int) -> tuple[bool, float]:
    """(all deadlines met, shortfall in days summed over localities and the project end ``last_day``)."""
    per = threshold_days(tgt, passed_days(run, seg_pk, tgt), thr)
    dl = deadline_of.reindex(per.index).astype(float)
    late = (per["thr_day"] - dl).clip(lower=0).replace(np.inf, 10 * 366.0)
    late = late.fillna(0.0)
    over = 0.0
    if (run.end < 0).any():
        over += 10 * 366.0 * float((run.end < 0).sum())
    elif len(run.end):
        over += max(0.0, float(np.nanmax(end_day(run.end))) - last_day)
    short = float(late.sum()) + over
    return short == 0.0, short



def to_dates(days: np.ndarray, cal: Calendar) -> np.ndarray:
    """Day indices as ``datetime64[ns]`` dates (NaT where not finite or negative)."""
    d = np.asarray(days, dtype=float)
    good = np.isfinite(d) & (d >= 0)
    out = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[good] = (cal.start + d[good].astype(np.int64).astype("timedelta64[D]")).astype("datetime64[ns]")
    return out


def work_package_table(P: PackageGraph, pk: pd.DataFrame, run: Run, cal: Calendar, ms_of: dict[str, str],
                       m_deadline: dict[str, dt.date], m_order: dict[str, int], sc: ScheduleConfig) -> pd.DataFrame:
    """The work-package table (:data:`WP_COLUMNS`), sorted by start date then id."""
    n = len(P.wp_id)
    ms = [ms_of.get(s, "") for s in P.simc]
    # needed_by: earliest milestone served downstream
    order_of = {m: i for m, i in m_order.items()}
    names = {i: m for m, i in m_order.items()}
    eff = [order_of.get(m, 10**9) for m in ms]
    for i in range(n - 1, -1, -1):
        for j in P.deps[i]:
            eff[j] = min(eff[j], eff[i])
    consent = np.array([float(c) if c > 0 else np.nan for c in P.consent_day])
    wp = pd.DataFrame({
        "wp_id": P.wp_id,
        "milestone": ms,
        "needed_by": [names.get(e, "") for e in eff],
        "simc": P.simc,
        "locality": pk["locality"].fillna("").astype(str).to_numpy(),
        "kind": P.kind,
        "quantity": np.round(P.quantity.astype(float), 1),
        "unit": pk["unit"].to_numpy(),
        "crew_type": P.crew_type,
        "crew": run.crew,
        "start": to_dates(start_day(run.start), cal),
        "end": to_dates(end_day(run.end), cal),
        "duration_days": np.round(np.array(P.duration, dtype=float), 2),
        "depends_on": [";".join(P.wp_id[j] for j in sorted(d, key=lambda x: P.wp_id[x])) for d in P.deps],
        "consent_wait_until": to_dates(consent, cal),
        "n_segments": np.asarray(P.n_segments, dtype=np.int64),
    })
    wp["_s"] = wp["start"].isna()
    wp = wp.sort_values(["_s", "start", "wp_id"], kind="stable").drop(columns="_s").reset_index(drop=True)
    return wp[WP_COLUMNS]


def compliance_table(tgt: pd.DataFrame, days: np.ndarray, run: Run, P: PackageGraph, assign: pd.DataFrame,
                     sc: ScheduleConfig, cal: Calendar, m_deadline: dict[str, dt.date]) -> pd.DataFrame:
    """Per milestone and locality: targets passed by the deadline, slack, what misses and why."""
    thr = sc.pass_threshold
    ms_of = dict(zip(assign["simc"], assign["milestone"]))
    per = threshold_days(tgt, days, thr)
    loc_name = dict(zip(assign["simc"], assign["locality"]))
    dl_of = {m: cal.day(d) for m, d in m_deadline.items()}
    # per-target flags, then one aggregation per locality
    simc = tgt["simc"].to_numpy(dtype=str)
    day = np.asarray(days, dtype=float)
    conn = tgt["connectable"].to_numpy(bool)
    dl = np.array([dl_of.get(ms_of.get(s, ""), np.nan) for s in simc], dtype=float)
    late = conn & (day > dl)
    fin = np.isfinite(day)
    pkrow = tgt["seg_pk"].to_numpy()
    consent_day = np.asarray(P.consent_day, dtype=float)
    behind = late & fin & (pkrow >= 0) & (consent_day[np.clip(pkrow, 0, max(len(consent_day) - 1, 0))] > dl
                                          if len(consent_day) else False)
    agg = pd.DataFrame({
        "simc": simc, "n": 1, "passed": day <= dl, "late_fin": late & fin, "unsched": late & ~fin,
        "late_day": np.where(late & fin, day, -np.inf), "complete": np.where(conn, day, np.nan),
        "behind": behind, "unc": ~conn,
    }).groupby("simc", sort=True).agg(
        n=("n", "sum"), passed=("passed", "sum"), late_fin=("late_fin", "sum"), unsched=("unsched", "sum"),
        late_day=("late_day", "max"), complete=("complete", "max"), behind=("behind", "sum"), unc=("unc", "sum"))
    unc_t = tgt.loc[~conn, ["simc", "unconnected_reason"]]
    unc_reasons = {s: g["unconnected_reason"].replace("", "no drop").value_counts().sort_index()
                   for s, g in unc_t.groupby("simc", sort=True)}
    rows = []
    for s, row in zip(agg.index.tolist(), agg.itertuples(index=False)):
        m = ms_of.get(s, "")
        if m not in m_deadline:
            continue
        dl_day = dl_of[m]
        n = int(row.n)
        passed = int(row.passed)
        k = int(per.loc[s, "k"])
        thr_day = per.loc[s, "thr_day"]
        complete = row.complete
        reasons = []
        if row.late_fin:
            txt = f"{int(row.late_fin)} passed after the deadline (by {cal.date(int(row.late_day))})"
            if row.behind:
                txt += f", {int(row.behind)} of them behind a pending consent"
            reasons.append(txt)
        if row.unsched:
            reasons.append(f"{int(row.unsched)} never scheduled (no crew of the needed type)")
        if row.unc:
            why = unc_reasons[s]
            reasons.append(f"{int(row.unc)} unconnected (" + ", ".join(f"{r}: {c}" for r, c in why.items()) + ")")
        rows.append({
            "milestone": m, "deadline": m_deadline[m], "simc": s, "locality": loc_name.get(s, ""),
            "targets": n, "passed_by_deadline": passed,
            "pct_passed": round(100.0 * passed / n, 1), "required_pct": round(100.0 * thr, 1),
            "ok": passed >= k,
            "slack_days": (dl_day - int(thr_day)) if np.isfinite(thr_day) else pd.NA,
            "threshold_date": cal.date(int(thr_day)) if np.isfinite(thr_day) else pd.NaT,
            "locality_complete_date": cal.date(int(complete)) if np.isfinite(complete) else pd.NaT,
            "points_missing": n - passed,
            "missing_reason": "; ".join(reasons),
        })
    cols = ["milestone", "deadline", "simc", "locality", "targets", "passed_by_deadline", "pct_passed",
            "required_pct", "ok", "slack_days", "threshold_date", "locality_complete_date", "points_missing",
            "missing_reason"]
    c = pd.DataFrame(rows, columns=cols)
    for col in ("deadline", "threshold_date", "locality_complete_date"):
        c[col] = pd.to_datetime(c[col]).astype("datetime64[ns]")
    c["slack_days"] = c["slack_days"].astype("Int64")
    c["targets"] = c["targets"].astype("int64")
    c["passed_by_deadline"] = c["passed_by_deadline"].astype("int64")
    c["points_missing"] = c["points_missing"].astype("int64")
    c["ok"] = c["ok"].astype(bool)
    c["pct_passed"] = c["pct_passed"].astype(float)
    c["required_pct"] = c["required_pct"].astype(float)
    return c.sort_values(["deadline", "milestone", "locality", "simc"], kind="stable").reset_index(drop=True)


def milestone_summary(comp: pd.DataFrame, sc: ScheduleConfig) -> pd.DataFrame:
    """Per milestone: localities, targets, all ok, worst percentage and least slack."""
    rows = []
    for m in sorted(sc.milestones, key=lambda m: (m.deadline, m.name)):
        g = comp[comp["milestone"] == m.name]
        rows.append({
            "milestone": m.name, "deadline": m.deadline, "localities": int(len(g)),
            "targets": int(g["targets"].sum()), "ok": bool(g["ok"].all()),
            "worst_pct": float(g["pct_passed"].min()) if len(g) else np.nan,
            "min_slack_days": g["slack_days"].min() if len(g) and g["slack_days"].notna().any() else pd.NA,
        })
    out = pd.DataFrame(rows, columns=["milestone", "deadline", "localities", "targets", "ok", "worst_pct",
                                      "min_slack_days"])
    out["deadline"] = pd.to_datetime(out["deadline"]).astype("datetime64[ns]")
    # float, NaN where no locality reaches the threshold (plain JSON via pipeline.summary)
    out["min_slack_days"] = pd.to_numeric(out["min_slack_days"].astype("Float64"), errors="coerce").astype(float)
    return out

