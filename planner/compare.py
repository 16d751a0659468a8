"""Compare plans (scenarios) written by :func:`planner.output.write_plan`.

Each plan directory holds ``summary.json``, ``bom.csv``, ``compliance.csv``
(and ``milestones.csv``) and ``addresses.csv``.  :func:`compare_plans` reads
them and gives one row per scenario with the figures a council or funder
compares — total cost, cost per home passed, km by type, points connected,
milestone compliance — and the difference of each figure from the first
scenario (the reference).  Demo: aerial-first (default) vs all-underground
(``design.allow_aerial = false``) vs no duct reuse
(``design.allow_duct_reuse = false``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner._errors import InputDataError, Problem
from planner.io.plan_dir import read_summary, read_table
from planner.output import files
from planner.report.figures import format_figure
from planner.schema import CONNECTED_STATUSES, POLE_OWNERS

__all__ = ["METRICS", "compare_plans", "format_comparison", "write_comparison"]

logger = logging.getLogger(__name__)

#: Metric column -> label (Polish, English in parentheses).
METRICS: dict[str, str] = {
    "cost_total_pln": "Koszt całkowity PLN (total cost)",
    "cost_network_pln": "Koszt sieci PLN (network cost)",
    "cost_per_home_pln": "PLN na gospodarstwo (cost per home passed)",
    "km_aerial": "km napowietrzne (aerial)",
    "km_duct": "km kanał technologiczny (duct)",
    "km_trench": "km wykop (trench)",
    "km_underground": "km podziemne (underground)",
    "km_network": "km sieci (network)",
    "pct_underground": "% podziemnie (underground)",
    "points_connected": "Punkty podłączone (points connected)",
    "unconnected": "Niepodłączone (unconnected)",
    "localities_ok": "Miejscowości ≥ 80 % w terminie (localities meeting milestone)",
    "localities_total": "Miejscowości z kamieniem milowym (localities with milestone)",
    "milestones_ok": "Kamienie milowe OK (milestones met)",
    "worst_pct": "Najgorszy % w terminie (worst % passed)",
}
def _plan_figures(d: Path) -> dict[str, float]:
    summary = read_summary(d)
    out: dict[str, float] = {k: np.nan for k in METRICS}
    bom = read_table(d, "bom")
    if bom is not None:
        tot = bom[bom["simc"] == "TOTAL"]
        if len(tot) != 1:
            raise InputDataError(f"{d / 'bom.csv'}: no single TOTAL row", [Problem(
                file=str(d / "bom.csv"), message="the bill of quantities has no (or several) simc='TOTAL' rows",
                fix="re-write the plan with `planner plan`")])
        t = tot.iloc[0]
        out["km_aerial"] = float(sum(t[f"km_aerial_{o}"] for o in POLE_OWNERS))
        out["km_duct"] = float(t["km_duct"])
        out["km_trench"] = float(t["km_trench_unpaved"] + t["km_trench_paved"] + t["km_trench_carriageway"])
        out["cost_total_pln"] = float(t["cost_total_pln"])
        out["cost_network_pln"] = float(t["cost_network_pln"])
        out["cost_per_home_pln"] = float(t["cost_per_home_pln"])
    elif "design" in summary:
        ds = summary["design"]
        for k in ("km_aerial", "km_duct", "km_trench", "cost_total_pln", "cost_network_pln", "cost_per_home_pln"):
            out[k] = float(ds.get(k, np.nan) if ds.get(k) is not None else np.nan)
    out["km_underground"] = out["km_duct"] + out["km_trench"]
    out["km_network"] = out["km_aerial"] + out["km_underground"]
    out["pct_underground"] = 100.0 * out["km_underground"] / out["km_network"] if out["km_network"] > 0 else np.nan
    status = read_table(d, "addresses", columns=["plan_status"])
    if status is not None and "plan_status" in status:
        s = status["plan_status"].fillna("").astype(str)
        out["points_connected"] = float(s.isin(CONNECTED_STATUSES).sum())
        out["unconnected"] = float((s == "unconnected").sum())
    if np.isnan(out["points_connected"]) and "design" in summary:
        out["points_connected"] = float(summary["design"].get("connected", np.nan))
        out["unconnected"] = float(summary["design"].get("unconnected", np.nan))
    comp = read_table(d, "compliance")
    if comp is not None:
        ok = comp["ok"].astype(str).str.lower().isin(["true", "1"])
        out["localities_ok"] = float(ok.sum())
        out["localities_total"] = float(len(comp))
        out["worst_pct"] = float(comp["pct_passed"].min()) if len(comp) else np.nan
    ms = read_table(d, "milestones")
    if ms is not None:
        out["milestones_ok"] = float(ms["ok"].astype(str).str.lower().isin(["true", "1"]).sum())
    return out


def compare_plans(dirs: Sequence[str | Path], names: list[str] | None = None) -> pd.DataFrame:
    """Key figures of several plans and their differences from the first.

    Parameters
    ----------
    dirs
        Plan directories (outputs of ``planner plan``); the first is the reference.
    names
        Scenario names; default the directory names.

    Returns
    -------
    pandas.DataFrame
        Index ``scenario``; the columns of :data:`METRICS` and, for each, a
        ``<metric>_diff`` column (value minus the reference's value; 0 for the
        reference).  Missing figures are NaN.

    Raises
    ------
    UsageError
        Fewer names than directories.
    InputFileNotFoundError
        A directory without ``summary.json``.
    """
    from planner._errors import UsageError

    paths = [Path(d) for d in dirs]
    if not paths:
        raise UsageError("give at least one plan directory to compare")
    if names is None:
        names = [p.name for p in paths]
    if len(names) != len(paths):
        raise UsageError(f"{len(names)} names for {len(paths)} plan directories")
    rows = [_plan_figures(p) for p in paths]
    df = pd.DataFrame(rows, index=pd.Index(list(names), name="scenario"), columns=list(METRICS))
    ref = df.iloc[0]
    for c in METRICS:
        df[f"{c}_diff"] = df[c] - ref[c]
    return df


def _table(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    names = list(df.index)
    head = ["Wskaźnik (metric)"] + [str(names[0])] + [f"{n} (Δ vs {names[0]})" for n in names[1:]]
    body = []
    for m, label in METRICS.items():
        if df[m].isna().all():
            continue
        row = [label, format_figure(m, df[m].iloc[0])]
        for i in range(1, len(names)):
            v, dv = df[m].iloc[i], df[f"{m}_diff"].iloc[i]
            row.append(f"{format_figure(m, v)} ({format_figure(m, dv, signed=True) or '0'})" if not np.isnan(v) else "")
        body.append(row)
    return head, body


def format_comparison(df: pd.DataFrame) -> str:
    """A plain-text table: one row per metric, one column per scenario with its difference."""
    head, body = _table(df)
    widths = [max(len(r[j]) for r in [head] + body) for j in range(len(head))]
    lines = ["  ".join(h.ljust(w) if j == 0 else h.rjust(w) for j, (h, w) in enumerate(zip(head, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def write_comparison(df: pd.DataFrame, path: str | Path) -> dict[str, Path]:
    """Write the comparison as CSV (``path`` with suffix ``.csv``) and markdown (``.md``).

    Returns
    -------
    dict
        ``'csv'`` and ``'md'`` -> path.
    """
    base = Path(path)
    base = base.with_suffix("") if base.suffix in (".csv", ".md") else base
    head, body = _table(df)
    md = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    md += ["| " + " | ".join(r) + " |" for r in body]
    return {
        "csv": files.write_csv(df.reset_index(), base.with_suffix(".csv")),
        "md": files.write_text("# Porównanie scenariuszy (scenario comparison)\n\n" + "\n".join(md) + "\n",
                               base.with_suffix(".md")),
    }
