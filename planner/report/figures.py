"""Key figures of a plan by commune, village and milestone, and how they are labelled and formatted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, SupportsFloat

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planner.pipeline import Plan

__all__ = ["LABELS", "REPORT_COLUMNS", "display_table", "format_cell", "format_figure", "report_figures"]


_COMMUNE_NAMES_FALLBACK = {"140804": "Serock", "140805": "Wieliszew"}


def _locality_figures(loc: pd.DataFrame, bom: pd.DataFrame | None, comp: pd.DataFrame | None) -> pd.DataFrame:
    """The localities with their BOM cost, homes passed and milestone result (``ok``), ready to group."""
    df = loc.copy()
    if bom is not None:
        b = bom[bom["simc"] != "TOTAL"][["simc", "cost_total_pln", "homes_passed"]]
        df = df.drop(columns=[c for c in ("cost_total_pln", "homes_passed") if c in df]).merge(b, on="simc", how="left")
    for c in ("connected", "unconnected", "km_aerial", "km_duct", "km_trench"):
        df[c] = df[c].fillna(0) if c in df else 0.0
    for c in ("cost_total_pln", "homes_passed"):  # no design: unknown, not zero
        if c not in df:
            df[c] = float("nan")
    if comp is not None and len(comp):
        df = df.merge(comp[["simc", "ok"]].assign(ok=comp["ok"].astype(int)), on="simc", how="left")
    else:
        df["ok"] = float("nan")
    df["_has_ms"] = df["ok"].notna().astype(int)
    return df


def _indicators(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Key figures of the localities (:func:`_locality_figures`) grouped by ``keys`` (empty list: one total row)."""
    sums = ["points", "businesses", "white", "barriers", "targets", "connected", "unconnected",
            "km_aerial", "km_duct", "km_trench", "cost_total_pln", "homes_passed", "ok", "_has_ms"]
    g = (df.groupby(keys, sort=False)[sums].sum(min_count=1).reset_index() if keys
         else df[sums].sum(min_count=1).to_frame().T)
    km = g["km_aerial"] + g["km_duct"] + g["km_trench"]
    g["km_network"] = km
    g["pct_underground"] = (100.0 * (g["km_duct"] + g["km_trench"]) / km.where(km > 0)).astype(float)
    g["cost_per_home_pln"] = (g["cost_total_pln"] / g["homes_passed"].where(g["homes_passed"] > 0)).astype(float)
    g["milestones_ok"] = [f"{int(o)}/{int(h)}" if h == h and h else "" for o, h in zip(g["ok"], g["_has_ms"])]
    return g.drop(columns=["ok", "_has_ms"])

def report_figures(p: Plan) -> dict[str, pd.DataFrame]:
    """Key figures by commune, locality and milestone, and for the whole area.

    Columns: points (address points), businesses, white (białe plamy),
    barriers, targets, connected, unconnected, km by type and in total,
    % underground, total cost, cost per home passed and milestone compliance
    (localities meeting the ≥ 80 % rule / localities with a milestone).
    """
    loc = pd.DataFrame(p.localities.drop(columns="geometry", errors="ignore")).copy()
    if "plan_status" in p.addresses:  # count 'connected' (as built) with 'connect' (planned)
        st = p.addresses["plan_status"].fillna("").astype(str)
        simc = p.addresses["simc"].astype(str)
        loc["connected"] = loc["simc"].astype(str).map(st.isin(["connect", "connected"]).groupby(simc).sum())
        loc["unconnected"] = loc["simc"].astype(str).map((st == "unconnected").groupby(simc).sum())
    loc["terc6"] = loc["terc"].astype(str).str[:6]
    if "commune" not in loc or (loc["commune"].fillna("") == "").all():
        loc["commune"] = loc["terc6"].map(_COMMUNE_NAMES_FALLBACK).fillna(loc["terc6"])
    bom = p.design.bom if p.design is not None else None
    comp = p.schedule.compliance if p.schedule is not None else None
    if "milestone" not in loc:
        loc["milestone"] = ""
    loc["milestone"] = loc["milestone"].fillna("").astype(str)
    df = _locality_figures(loc, bom, comp)
    out = {
        "communes": _indicators(df, ["terc6", "commune"]).rename(columns={"terc6": "terc"}),
        "localities": _indicators(df, ["commune", "locality", "simc", "milestone"]),
        "total": _indicators(df, []),
    }
    ms = _indicators(df[df["milestone"] != ""], ["milestone"])
    if p.schedule is not None:
        m = p.schedule.milestones[["milestone", "deadline", "ok", "worst_pct"]]
        ms = m.merge(ms, on="milestone", how="left")
    out["milestones"] = ms
    if comp is not None:
        out["compliance"] = comp
    return out

LABELS = {
    "commune": "Gmina (commune)", "terc": "TERC", "locality": "Miejscowość (locality)", "simc": "SIMC",
    "milestone": "Kamień milowy (milestone)", "deadline": "Termin (deadline)",
    "points": "Punkty adresowe (points)", "businesses": "Przedsiębiorcy (businesses)",
    "white": "Białe plamy (white spots)", "barriers": "Bariery (barriers)", "targets": "Do podłączenia (targets)",
    "connected": "Podłączone (connected)", "unconnected": "Niepodłączone (unconnected)",
    "km_aerial": "km napowietrzne (aerial)", "km_duct": "km kanał techn. (duct)", "km_trench": "km wykop (trench)",
    "km_network": "km sieci (network)", "pct_underground": "% podziemnie (underground)",
    "cost_total_pln": "Koszt PLN (cost)", "homes_passed": "Gospodarstwa (homes passed)",
    "cost_per_home_pln": "PLN / gosp. (cost per home)", "milestones_ok": "Kamienie milowe OK (compliance)",
    "ok": "OK", "worst_pct": "Najgorszy % (worst %)", "targets_ms": "Punkty", "pct_passed": "% do terminu",
    "passed_by_deadline": "Gotowe w terminie (passed)", "required_pct": "Wymagane %", "slack_days": "Zapas dni (slack)",
    "missing_reason": "Przyczyna braków (why)",
}

REPORT_COLUMNS = {
    "communes": ["commune", "terc", "points", "businesses", "white", "barriers", "targets", "connected", "unconnected",
                 "km_aerial", "km_duct", "km_trench", "km_network", "pct_underground", "cost_total_pln",
                 "cost_per_home_pln", "milestones_ok"],
    "localities": ["commune", "locality", "milestone", "points", "businesses", "white", "barriers", "targets",
                   "connected", "km_aerial", "km_duct", "km_trench", "pct_underground", "cost_per_home_pln",
                   "milestones_ok"],
    "milestones": ["milestone", "deadline", "ok", "worst_pct", "targets", "connected", "km_network",
                   "pct_underground", "cost_total_pln", "cost_per_home_pln", "milestones_ok"],
    "compliance": ["milestone", "deadline", "locality", "targets", "passed_by_deadline", "pct_passed", "required_pct",
                   "ok", "slack_days", "missing_reason"],
}


def format_figure(name: str, value: SupportsFloat | None, *, signed: bool = False) -> str:
    """Format a figure by the unit in its name.

    ``km_*`` with 2 decimals, ``*_pln`` in whole złoty with a thin space per
    thousand, ``*pct*`` with 1 decimal, counts as integers.

    Examples
    --------
    >>> format_figure("cost_total_pln", 1234567.8), format_figure("km_aerial", -0.5, signed=True)
    ('1 234 568', '-0.50')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    v = float(value)
    sign = "+" if signed and v > 0 else ""
    if name.startswith("km_"):
        return f"{sign}{v:.2f}"
    if name.endswith("_pln"):
        return f"{sign}{v:,.0f}".replace(",", " ")
    if "pct" in name:
        return f"{sign}{v:.1f}"
    return f"{sign}{v:.0f}" if v.is_integer() else f"{sign}{v:g}"

def format_cell(col: str, v: Any) -> str:
    """One cell of a report table as text: empty for missing, tak/NIE for booleans, figures by unit."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return "tak (yes)" if v else "NIE (no)"
    if isinstance(v, pd.Timestamp):
        day: str = v.date().isoformat()
        return day
    if isinstance(v, (int, float, np.integer, np.floating)):
        return format_figure(col, v)
    return str(v)

def display_table(df: pd.DataFrame, kind: str) -> tuple[list[str], list[list[str]]]:
    """The labelled header and the formatted rows of a report table (``kind``: a key of ``REPORT_COLUMNS``)."""
    cols = [c for c in REPORT_COLUMNS[kind] if c in df]
    head = [LABELS.get(c, c) for c in cols]
    body = [[format_cell(c, v) for c, v in zip(cols, row)] for row in df[cols].itertuples(index=False, name=None)]
    return head, body
