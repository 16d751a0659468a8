"""Write a :class:`~planner.pipeline.Plan` to files.

A plan directory holds ``plan.gpkg`` (one layer per entity, EPSG:2180, with
QGIS layer styles, :mod:`planner.io.gpkg_styles`; optional GeoParquet copies
in ``parquet/``), CSV copies of every table, ``summary.json`` and, when the
stages ran, the schedule workbook, Gantt chart, the engineer's ``bom.xlsx``
(BOM by locality and milestone, cost summary, distance fees, consent
worklist, barriers, unconnected points), the UKE inventory export
(``uke/``, :mod:`planner.io.uke_export`), the report for councils and funders
(``report.html`` self-contained, ``report.md``, ``report_map.png``) and the
councillor map.  Everything is written
into a staging directory first and swapped into place only when complete
(:func:`planner.io.files.staged_output_dir`), so a failure leaves the previous
output untouched.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputDataError
from planner.pipeline import Plan, _jsonable

__all__ = [
    "plan_layers", "plan_tables", "write_plan", "format_summary", "bom_workbook_bytes", "write_bom_xlsx",
    "consent_worklist", "report_figures", "report_markdown", "report_html", "static_map_png", "write_report",
    "format_figure",
]

logger = logging.getLogger(__name__)


def plan_layers(p: Plan) -> dict[str, gpd.GeoDataFrame]:
    """Spatial layers of a plan, in the working CRS, in a stable order."""
    layers: dict[str, gpd.GeoDataFrame] = {
        "addresses": p.addresses.sort_values("id", kind="stable").reset_index(drop=True),
        "localities": p.localities,
        "pops": p.area.pops,
        "ducts": p.area.layers["ducts"],
    }
    if p.design is not None:
        layers["segments"] = p.design.segments
        layers["drops"] = p.design.drops
        used: set[str] = set()
        for ids in p.design.segments["pole_ids"]:
            if ids:
                used.update(ids.split(";"))
        poles = p.area.layers["poles"]
        layers["poles_used"] = poles[poles["id"].isin(used)].sort_values("id").reset_index(drop=True)
    return layers


def plan_tables(p: Plan) -> dict[str, pd.DataFrame]:
    """Non-spatial tables of a plan (written as CSV)."""
    a = p.addresses.sort_values("id", kind="stable")
    tables: dict[str, pd.DataFrame] = {
        "addresses": pd.DataFrame(a.drop(columns="geometry")).assign(x=a.geometry.x.round(2), y=a.geometry.y.round(2)),
        "localities": pd.DataFrame(p.localities.drop(columns="geometry")),
    }
    ws = p.whitespots
    if ws is not None:
        if ws.official_diff is not None:
            tables["official_diff"] = ws.official_diff
        if ws.reallocation is not None:
            tables["reallocation"] = ws.reallocation
    if p.design is not None:
        d = p.design
        tables["bom"] = d.bom
        tables["bom_naive"] = d.bom_naive
        tables["unconnected"] = d.unconnected
        tables["segments"] = pd.DataFrame(d.segments.drop(columns="geometry"))
        tables["drops"] = pd.DataFrame(d.drops.drop(columns="geometry"))
    if p.schedule is not None:
        s = p.schedule
        tables["schedule"] = s.work_packages
        tables["compliance"] = s.compliance
        tables["milestones"] = s.milestones
        if s.progress is not None:
            tables["progress"] = s.progress
        if getattr(s, "progress_summary", None) is not None:
            tables["progress_milestones"] = s.progress_summary.milestones
    return tables


def format_summary(p: Plan) -> str:
    """A short human-readable summary (printed by the CLI and ``make demo``).

    White spots per locality, the bill of quantities of the shared tree against
    the naive alternative, and milestone compliance per locality.
    """
    s = p.summary()
    lines = [f"Area {s['area']}: {s['address_points']} address points ({s['businesses']} businesses)"]
    if "white_spots" in s:
        lines += [
            "",
            f"White spots (białe plamy): {s['white_spots']} ({s['white_spot_businesses']} businesses); "
            f"grey {s['grey']}, black {s['black']}; investment barriers {s['barriers']}; to connect {s['targets']}",
        ]
        cols = ["commune", "locality", "simc", "points", "businesses", "white", "grey", "black", "barriers", "targets"]
        lines.append(p.localities[[c for c in cols if c in p.localities]].to_string(index=False))
    if p.design is not None:
        lines += ["", _format_bom(p)]
    if p.schedule is not None:
        sch = p.schedule
        lines += ["", "Milestones (kamienie milowe):", sch.milestones.to_string(index=False)]
        comp = sch.compliance
        cols = ["milestone", "deadline", "locality", "simc", "targets", "pct_passed", "ok", "slack_days", "missing_reason"]
        lines += ["", "Compliance by locality (>= {:.0f} % passed by the deadline):".format(
            100 * p.config.schedule.pass_threshold),
            comp[[c for c in cols if c in comp]].to_string(index=False)]
        verdict = "all milestones met" if sch.feasible else (
            f"NOT all milestones met; binding constraint: {sch.binding_constraint}; "
            f"smallest crews that meet them: {sch.min_crews}")
        lines.append(f"Schedule: {verdict}")
        if getattr(sch, "progress_summary", None) is not None:
            lines += ["", sch.progress_summary.to_text()]
    return "\n".join(lines)


def _format_bom(p: Plan) -> str:
    """Bill of quantities (total row) of the shared tree next to the naive alternative."""
    d = p.design
    tree = d.bom[d.bom["simc"] == "TOTAL"].iloc[0]
    naive = d.bom_naive[d.bom_naive["simc"] == "TOTAL"].iloc[0]
    rows = [
        ("aerial on commune lighting poles, km", "km_aerial_commune_lighting", "{:.2f}"),
        ("aerial on telecom poles, km", "km_aerial_telecom", "{:.2f}"),
        ("aerial on power poles, km", "km_aerial_power", "{:.2f}"),
        ("existing duct reused, km", "km_duct", "{:.2f}"),
        ("trench unpaved, km", "km_trench_unpaved", "{:.2f}"),
        ("trench paved, km", "km_trench_paved", "{:.2f}"),
        ("trench under carriageway, km", "km_trench_carriageway", "{:.2f}"),
        ("road crossings", "road_crossings", "{:.0f}"),
        ("poles used: lighting / telecom / power", None, None),
        ("drops (count)", "drops", "{:.0f}"),
        ("drops, km", "km_drops", "{:.2f}"),
        ("slack at the fence, km", "km_slack", "{:.2f}"),
        ("drops over the contract length", "long_drops", "{:.0f}"),
        ("distance fees, PLN", "distance_fees_pln", "{:,.0f}"),
        ("network cost, PLN", "cost_network_pln", "{:,.0f}"),
        ("drop cost, PLN", "cost_drops_pln", "{:,.0f}"),
        ("total cost, PLN", "cost_total_pln", "{:,.0f}"),
        ("homes passed", "homes_passed", "{:.0f}"),
        ("cost per home passed, PLN", "cost_per_home_pln", "{:,.0f}"),
    ]
    out = ["Bill of quantities        shared tree | naive union of per-address paths"]
    for label, col, fmt in rows:
        if col is None:
            a = " / ".join(f"{tree[c]:.0f}" for c in ("poles_commune_lighting", "poles_telecom", "poles_power"))
            b = " / ".join(f"{naive[c]:.0f}" for c in ("poles_commune_lighting", "poles_telecom", "poles_power"))
        else:
            a, b = fmt.format(tree[col]), fmt.format(naive[col])
        out.append(f"  {label:<40} {a:>16} | {b}")
    sm = d.summary
    out.append(f"  shared tree saves {sm.get('saving_pct', float('nan')):.1f} % of the network cost of the naive union; "
               f"unconnected targets: {sm.get('unconnected', 0)} {sm.get('unconnected_by_reason', {})}")
    out.append(f"  Steiner tree {sm.get('steiner_tree_cost_pln', float('nan')):,.0f} PLN, lower bound {sm.get('steiner_lower_bound_pln', float('nan')):,.0f} PLN: certified gap {sm.get('steiner_gap_pct', float('nan')):.3f} % (network after the reach repair: {sm.get('network_gap_pct', float('nan')):.2f} % above the bound)")  # noqa: E501  issue #17
    return "\n".join(out)


def write_plan(
    p: Plan,
    out_dir: str | Path,
    *,
    write_map: bool = True,
    screenshot: bool = True,
    inputs: list[str | Path] | None = None,
    formats: tuple[str, ...] | list[str] = ("gpkg",),
    uke: bool = True,
    uke_operator_id: str = "OP",
    uke_project_number: str | None = None,
) -> Path:
    """Write every output of ``p`` into ``out_dir`` atomically.

    Parameters
    ----------
    p
        The plan.
    out_dir
        Output directory; replaced as a whole only once everything is written.
    write_map
        Write the councillor map ``map.html``.
    screenshot
        Also render ``map.png`` in headless Chromium where it is installed.
    inputs
        Input paths; writing into a directory that holds one is refused.
    formats
        Layer formats: ``"gpkg"`` (always written, ``plan.gpkg`` with QGIS
        styles) and optionally ``"parquet"`` (GeoParquet copies of every layer
        in ``parquet/<layer>.parquet``).
    uke
        With a designed network, write the UKE inventory export into ``uke/``
        (:func:`planner.io.uke_export.export_uke`).
    uke_operator_id, uke_project_number
        Id prefix and public-funding project number of the UKE export.

    Returns
    -------
    Path
        ``out_dir``.
    """
    from planner._errors import UsageError
    from planner.io import files, gpkg_styles

    unknown = sorted(set(formats) - {"gpkg", "parquet"})
    if unknown:
        raise UsageError(f"unknown output format(s) {', '.join(unknown)}; choose gpkg and/or parquet")
    out_dir = Path(out_dir)
    with files.staged_output_dir(out_dir, inputs=inputs) as tmp:
        tmp = Path(tmp)
        files.write_gpkg({k: v for k, v in p.area.layers.items() if len(v)}, tmp / "area.gpkg")
        layers = plan_layers(p)
        files.write_gpkg(layers, tmp / "plan.gpkg")
        gpkg_styles.write_layer_styles(tmp / "plan.gpkg",
                                       gpkg_styles.plan_styles(list(layers), milestones=_milestone_names(p)))
        if "parquet" in formats:
            for name, layer in layers.items():
                files.write_parquet(layer, tmp / "parquet" / f"{name}.parquet")
        for name, table in plan_tables(p).items():
            files.write_csv(table, tmp / f"{name}.csv")
        files.write_text(json.dumps(_jsonable(p.summary()), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                         tmp / "summary.json")
        files.write_text(format_summary(p) + "\n", tmp / "summary.txt")
        if p.schedule is not None:
            _write_schedule_files(p, tmp)
        if p.design is not None:
            files.write_bytes(bom_workbook_bytes(p), tmp / "bom.xlsx")
            if uke:
                _write_uke(p, tmp / "uke", uke_operator_id, uke_project_number)
        write_report(p, tmp, gantt_png=(tmp / "gantt.png") if (tmp / "gantt.png").exists() else None)
        if write_map:
            from planner import maps

            html = maps.write_map(layers, tmp / "map.html", lang=p.config.map.lang,
                                  offline=p.config.map.offline)
            if screenshot:
                try:
                    maps.screenshot(html, tmp / "map.png")
                except Exception as exc:  # browser missing: the map itself is written
                    logger.warning("map screenshot skipped: %s", exc)
    return out_dir


def _write_uke(p: Plan, out: Path, operator_id: str, project_number: str | None) -> None:
    from planner._errors import InputFileNotFoundError
    from planner.io import uke_export
    from planner.schema import WORKING_CRS

    if p.area.crs != WORKING_CRS:
        # The UKE inventory covers networks in Poland; other areas (e.g. the Finnish
        # OSM fixtures, planned in UTM) have nothing to report to UKE.
        logger.info("UKE export skipped: the area is not in Poland (working CRS %s)", p.area.crs)
        return
    try:
        uke_export.template_columns("lk")
    except (InputDataError, InputFileNotFoundError) as exc:
        logger.warning("UKE export skipped: %s", exc)
        return
    uke_export.export_uke(p, out, operator_id=operator_id, project_number=project_number)


def _write_schedule_files(p: Plan, tmp: Path) -> None:
    from planner import schedule as sch
    from planner.io import files

    sch.write_schedule_xlsx(p.schedule, tmp / "schedule.xlsx")
    files.write_text(sch.gantt_html(p.schedule), tmp / "gantt.html")
    fig = sch.gantt_figure(p.schedule)
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    files.write_bytes(buf.getvalue(), tmp / "gantt.png")


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------

_KM_FMT, _PLN_FMT, _DATE_FMT, _PCT_FMT, _INT_FMT, _M_FMT = "0.00", "#,##0", "yyyy-mm-dd", "0.0", "0", "0.0"


def _milestone_names(p: Plan) -> tuple[str, ...]:
    """Milestone names in deadline order (from the schedule, else the config)."""
    if p.schedule is not None and len(p.schedule.milestones):
        m = p.schedule.milestones.sort_values(["deadline", "milestone"], kind="stable")
        return tuple(str(x) for x in m["milestone"])
    return tuple(m.name for m in sorted(p.config.schedule.milestones, key=lambda m: (m.deadline, m.name)))


def _address_text(a: pd.DataFrame) -> pd.Series:
    """'Street 12, Locality' or 'Locality 12' where the address has no street."""
    street = a["street"].fillna("").astype(str)
    num = a["house_number"].fillna("").astype(str)
    loc = a["locality"].fillna("").astype(str)
    return pd.Series((street + " " + num + ", " + loc).where(street != "", loc + " " + num), index=a.index)


def _milestone_of_simc(p: Plan) -> pd.Series:
    loc = p.localities
    if loc is None or "milestone" not in loc:
        return pd.Series(dtype=object)
    return pd.Series(loc["milestone"].fillna("").astype(str).to_numpy(), index=loc["simc"].astype(str).to_numpy())


# ---------------------------------------------------------------------------
# bom.xlsx
# ---------------------------------------------------------------------------


def consent_worklist(p: Plan) -> pd.DataFrame:
    """Parcels with a pending consent on the planned route and the addresses that depend on them.

    Pending segments on private roads outside any parcel are listed too, as
    ``parcel_id = "private road, segment N"`` (the road owner must consent).

    An address depends on a parcel when a segment crossing the parcel lies on
    its path from the POP (the segment its drop hangs off, or any segment
    upstream of it through ``parent_id``).

    Returns
    -------
    pandas.DataFrame
        One row per parcel: ``parcel_id, segments`` (';'-joined ids),
        ``length_m, localities, n_addresses, address_ids, addresses``
        (';'-joined), sorted by parcel id.
    """
    cols = ["parcel_id", "segments", "length_m", "localities", "n_addresses", "address_ids", "addresses"]
    seg = p.design.segments
    pend = seg[seg["consent"] == "pending"].copy()
    if not len(pend):
        return pd.DataFrame(columns=cols)
    # a private road outside any parcel needs its owner's consent too: one row per segment
    no_parcel = pend["parcel_id"].fillna("").astype(str) == ""
    pend["parcel_id"] = pend["parcel_id"].fillna("").astype(str).where(
        ~no_parcel, "private road, segment " + pend["segment_id"].astype(int).astype(str))
    pending_parcel = dict(zip(pend["segment_id"].astype(int), pend["parcel_id"].astype(str)))
    # pending parcels on the path POP -> segment, propagated down the tree (parents first)
    order = seg.sort_values(["dist_from_pop_m", "segment_id"], kind="stable")
    on_path: dict[int, frozenset[str]] = {}
    for sid, par in zip(order["segment_id"].astype(int), order["parent_id"].astype(int)):
        up = on_path.get(par, frozenset())
        own = pending_parcel.get(sid)
        on_path[sid] = up | {own} if own else up
    d = p.design.drops
    sid = d["segment_id"].astype(int).to_numpy()
    at_node = sid < 0
    if at_node.any():  # drop at a node: the segment ending there
        seg_of_v = dict(zip(seg["v"].astype(int), seg["segment_id"].astype(int)))
        sid = sid.copy()
        sid[at_node] = [seg_of_v.get(int(n), -1) for n in d["access_node"].to_numpy()[at_node]]
    pairs = [(parcel, aid) for aid, s in zip(d["address_id"].astype(str), sid) for parcel in on_path.get(int(s), ())]
    dep = pd.DataFrame(pairs, columns=["parcel_id", "address_id"])
    a = p.addresses.set_index(p.addresses["id"].astype(str))
    text = _address_text(a)
    rows = []
    for parcel, g in pend.groupby("parcel_id", sort=True):
        ids = sorted(dep.loc[dep["parcel_id"] == parcel, "address_id"].unique())
        rows.append({
            "parcel_id": parcel,
            "segments": ";".join(str(x) for x in sorted(g["segment_id"].astype(int))),
            "length_m": float(g["length_m"].sum()),
            "localities": ";".join(sorted(g["locality"].astype(str).unique())),
            "n_addresses": len(ids),
            "address_ids": ";".join(ids),
            "addresses": "; ".join(text.get(i, i) for i in ids),
        })
    return pd.DataFrame(rows, columns=cols)


def _bom_sheets(p: Plan) -> dict[str, pd.DataFrame]:
    """The tables of ``bom.xlsx`` (sheet name -> table)."""
    from planner.schema import OUT_BOM_COLUMNS

    d = p.design
    ms = _milestone_of_simc(p)
    bom = d.bom.copy()
    is_total = bom["simc"] == "TOTAL"
    bom.insert(2, "milestone", bom["simc"].astype(str).map(ms).fillna("").where(~is_total, ""))
    num = [c for c in OUT_BOM_COLUMNS if c not in ("simc", "locality", "cost_per_home_pln")]
    by_ms = bom[~is_total].groupby("milestone", sort=False)[num].sum()
    order = [m for m in _milestone_names(p) if m in by_ms.index] + sorted(set(by_ms.index) - set(_milestone_names(p)))
    by_ms = by_ms.reindex(order)
    by_ms.loc["RAZEM (total)"] = bom.loc[is_total, num].sum() if is_total.any() else by_ms.sum()
    hp = by_ms["homes_passed"].replace(0, float("nan"))
    by_ms["cost_per_home_pln"] = by_ms["cost_total_pln"] / hp
    by_ms = by_ms.reset_index().rename(columns={"index": "milestone"})
    if p.schedule is not None:
        dl = dict(zip(p.schedule.milestones["milestone"], p.schedule.milestones["deadline"]))
        by_ms.insert(1, "deadline", pd.to_datetime(by_ms["milestone"].map(dl)))

    t = d.bom.iloc[-1]
    tn = d.bom_naive.iloc[-1]
    rows = []
    for key, label in (("cost_network_pln", "Koszt sieci (network cost), PLN"),
                       ("cost_drops_pln", "Koszt przyłączy (drops), PLN"),
                       ("cost_total_pln", "Koszt całkowity (total), PLN"),
                       ("cost_per_home_pln", "Koszt na gospodarstwo (cost per home passed), PLN"),
                       ("homes_passed", "Punkty podłączone (homes passed)")):
        tree, naive = float(t[key]), float(tn[key])
        rows.append({"pozycja (item)": label, "drzewo (shared tree)": tree, "naiwny (naive union)": naive,
                     "oszczędność (saving)": naive - tree,
                     "oszczędność % (saving %)": (100.0 * (naive - tree) / naive) if naive else 0.0})
    cost = pd.DataFrame(rows)

    a = p.addresses.set_index(p.addresses["id"].astype(str))
    text = _address_text(a)
    dr = d.drops[d.drops["over_limit_m"] > 0].sort_values(["locality", "address_id"], kind="stable")
    fees = pd.DataFrame({
        "address_id": dr["address_id"].astype(str).to_numpy(),
        "address": [text.get(i, "") for i in dr["address_id"].astype(str)],
        "locality": dr["locality"].to_numpy(),
        "drop_length_m": dr["length_m"].to_numpy(dtype=float),
        "contract_m": float(p.config.design.drop_contract_max_m),
        "excess_m": dr["over_limit_m"].to_numpy(dtype=float),
        "fee_pln": dr["fee_pln"].to_numpy(dtype=float),
    })
    bar = p.addresses[p.addresses["is_barrier"].astype(bool)].sort_values(["locality", "id"], kind="stable")
    barriers = pd.DataFrame({"address_id": bar["id"].astype(str).to_numpy(), "address": _address_text(bar).to_numpy(),
                             "locality": bar["locality"].to_numpy(), "reason": bar["barrier_reason"].to_numpy()})
    un = d.unconnected.sort_values(["locality", "address_id"], kind="stable")
    unconnected = pd.DataFrame({"address_id": un["address_id"].astype(str).to_numpy(),
                                "address": [text.get(i, "") for i in un["address_id"].astype(str)],
                                "locality": un["locality"].to_numpy(), "reason": un["reason"].to_numpy(),
                                "detail": un["detail"].to_numpy() if "detail" in un else ""})
    return {
        "BOM wg miejscowości": bom,
        "BOM wg kamieni milowych": by_ms,
        "Koszty (cost summary)": cost,
        "Opłaty za odległość": fees,
        "Zgody (consents)": consent_worklist(p),
        "Bariery (barriers)": barriers,
        "Niepodłączone": unconnected,
    }


def _number_format(col: str) -> str | None:
    c = col.lower()
    if c.startswith("km_") or c.startswith("km "):
        return _KM_FMT
    if "pln" in c or "saving)" in c or "shared tree" in c or "naive union" in c:
        return _PLN_FMT
    if "pct" in c or "%" in c:
        return _PCT_FMT
    if c.endswith("_m"):
        return _M_FMT
    return None


def _fill_sheet(ws, df: pd.DataFrame) -> None:
    """Header, typed cells, number formats, frozen header, filter, widths."""
    import datetime as dt

    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws.append([str(c) for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in df.itertuples(index=False, name=None):
        out = []
        for v in row:
            if v is None or v is pd.NaT or (isinstance(v, float) and v != v) or v is pd.NA:
                out.append(None)
            elif isinstance(v, pd.Timestamp):
                out.append(v.date())
            elif hasattr(v, "item") and not isinstance(v, (str, bytes)):
                out.append(v.item())
            else:
                out.append(v)
        ws.append(out)
    for j, col in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        fmt = _number_format(str(col))
        is_date = pd.api.types.is_datetime64_any_dtype(df[col]) or (
            len(df) and isinstance(df[col].dropna().iloc[0] if df[col].notna().any() else None, dt.date))
        if is_date:
            fmt = _DATE_FMT
        if fmt is None and pd.api.types.is_integer_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            fmt = _INT_FMT
        if fmt is not None:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)]) + 2
        ws.column_dimensions[letter].width = min(60, max(8, width))
    ws.freeze_panes = "A2"
    if ws.max_row >= 1 and len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(ws.max_row, 1)}"


def bom_workbook_bytes(p: Plan) -> bytes:
    """``bom.xlsx`` of a designed plan, byte-reproducible.

    Sheets: BOM by locality (with the milestone), BOM by milestone, cost
    summary (shared tree vs naive union, saving %), distance-fee list,
    consent worklist (:func:`consent_worklist`), barrier list and the
    unconnected points.  km as ``0.00``, PLN as ``#,##0``, dates as dates
    (``yyyy-mm-dd``), frozen header, auto-filter.
    """
    import datetime as dt
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in _bom_sheets(p).items():
        _fill_sheet(wb.create_sheet(title=name[:31]), df)
    from planner.io import files

    return files.workbook_bytes(wb)


def write_bom_xlsx(p: Plan, path: str | Path) -> Path:
    """Write :func:`bom_workbook_bytes` atomically to ``path``."""
    from planner.io import files

    return files.write_bytes(bom_workbook_bytes(p), path)


# ---------------------------------------------------------------------------
# report.html / report.md
# ---------------------------------------------------------------------------

_COMMUNE_NAMES_FALLBACK = {"140804": "Serock", "140805": "Wieliszew"}


def _indicators(loc: pd.DataFrame, bom: pd.DataFrame | None, comp: pd.DataFrame | None, keys: list[str]) -> pd.DataFrame:
    """Key figures of the localities grouped by ``keys`` (empty list: one total row)."""
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
    out = {
        "communes": _indicators(loc, bom, comp, ["terc6", "commune"]).rename(columns={"terc6": "terc"}),
        "localities": _indicators(loc, bom, comp, ["commune", "locality", "simc", "milestone"]),
        "total": _indicators(loc, bom, comp, []),
    }
    ms = _indicators(loc[loc["milestone"] != ""], bom, comp, ["milestone"])
    if p.schedule is not None:
        m = p.schedule.milestones[["milestone", "deadline", "ok", "worst_pct"]]
        ms = m.merge(ms, on="milestone", how="left")
    out["milestones"] = ms
    if comp is not None:
        out["compliance"] = comp
    return out


_LABELS = {
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
_REPORT_COLUMNS = {
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


def format_figure(name: str, value: float, *, signed: bool = False) -> str:
    """Format a figure by the unit in its name: ``km_*`` 2 decimals, ``*_pln`` whole
    złoty with a thin space per thousand, ``*pct*`` 1 decimal, counts as integers.

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


def _fmt_cell(col: str, v) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return "tak (yes)" if v else "NIE (no)"
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, (int, float, np.integer, np.floating)):
        return format_figure(col, v)
    return str(v)


def _display(df: pd.DataFrame, kind: str) -> tuple[list[str], list[list[str]]]:
    cols = [c for c in _REPORT_COLUMNS[kind] if c in df]
    head = [_LABELS.get(c, c) for c in cols]
    body = [[_fmt_cell(c, v) for c, v in zip(cols, row)] for row in df[cols].itertuples(index=False, name=None)]
    return head, body


def _md_table(head: list[str], body: list[list[str]]) -> str:
    esc = [h.replace("|", "\\|") for h in head]
    lines = ["| " + " | ".join(esc) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return "\n".join(lines)


def _html_table(head: list[str], body: list[list[str]]) -> str:
    from html import escape

    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table>"


_SECTIONS = (
    ("communes", "Wskaźniki wg gmin (key figures by commune)"),
    ("milestones", "Kamienie milowe (milestones)"),
    ("compliance", "Zgodność z regułą 80 % (milestone compliance by locality)"),
    ("localities", "Wskaźniki wg miejscowości (key figures by village)"),
)


def _headline(p: Plan, fig: dict[str, pd.DataFrame]) -> list[str]:
    t = fig["total"].iloc[0]
    lines = [
        f"Obszar (area): {p.area.name}",
        f"Punkty adresowe (address points): {int(t['points'])}, przedsiębiorcy (businesses): {int(t['businesses'])}",
        f"Białe plamy (white spots): {int(t['white'])}, bariery inwestycyjne (barriers): {int(t['barriers'])}, "
        f"do podłączenia (targets): {int(t['targets'])}",
    ]
    if p.design is not None:
        s = p.design.summary
        lines += [
            f"Podłączone (connected): {int(t['connected'])}, niepodłączone (unconnected): {int(t['unconnected'])}",
            f"Sieć (network): {_fmt_cell('km_', t['km_network'])} km — napowietrzna (aerial) "
            f"{_fmt_cell('km_', t['km_aerial'])} km, kanał technologiczny (duct) {_fmt_cell('km_', t['km_duct'])} km, "
            f"wykop (trench) {_fmt_cell('km_', t['km_trench'])} km; podziemnie (underground) "
            f"{_fmt_cell('pct', t['pct_underground'])} %",
            f"Koszt całkowity (total cost): {_fmt_cell('x_pln', t['cost_total_pln'])} PLN; na gospodarstwo "
            f"(per home passed): {_fmt_cell('x_pln', t['cost_per_home_pln'])} PLN; oszczędność drzewa vs naiwny "
            f"(saving of the shared tree): {_fmt_cell('pct', s.get('saving_pct', float('nan')))} %",
        ]
    if p.schedule is not None:
        sch = p.schedule
        lines.append(f"Harmonogram wykonalny (schedule feasible): {'tak (yes)' if sch.feasible else 'NIE (no)'}"
                     + ("" if sch.feasible else f"; ograniczenie (binding): {sch.binding_constraint}"))
    return lines


def report_markdown(p: Plan, figures: dict[str, pd.DataFrame] | None = None, *,
                    gantt_file: str | None = "gantt.png", map_file: str | None = "report_map.png") -> str:
    """The plan report as markdown (images referenced by file name)."""
    fig = figures if figures is not None else report_figures(p)
    out = [f"# Plan sieci FTTH — {p.area.name} (FTTH rollout plan)", ""]
    out += [f"- {x}" for x in _headline(p, fig)] + [""]
    if map_file:
        out += [f"![Mapa planu (plan map)]({map_file})", ""]
    for key, title in _SECTIONS:
        if key in fig and len(fig[key]):
            out += [f"## {title}", "", _md_table(*_display(fig[key], key)), ""]
    if gantt_file and p.schedule is not None:
        out += ["## Harmonogram (Gantt)", "", f"![Gantt]({gantt_file})", ""]
    return "\n".join(out)


_CSS = ("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:0.5em 0 1.5em;"
        "font-size:0.85em}th,td{border:1px solid #bbb;padding:3px 6px;text-align:right}th{background:#eee}"
        "td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ccc}")


def report_html(p: Plan, figures: dict[str, pd.DataFrame] | None = None, *, gantt_png: bytes | None = None,
                map_png: bytes | None = None) -> str:
    """The plan report as one self-contained HTML page (images inlined as base64)."""
    import base64
    from html import escape

    fig = figures if figures is not None else report_figures(p)
    parts = [f"<!DOCTYPE html><html lang=\"pl\"><head><meta charset=\"utf-8\"><title>Plan FTTH — "
             f"{escape(p.area.name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Plan sieci FTTH — {escape(p.area.name)} (FTTH rollout plan)</h1><ul>"]
    parts += [f"<li>{escape(x)}</li>" for x in _headline(p, fig)]
    parts.append("</ul>")
    if map_png:
        parts.append('<h2>Mapa (map)</h2><img alt="mapa planu (plan map)" src="data:image/png;base64,'
                     + base64.b64encode(map_png).decode() + '">')
    for key, title in _SECTIONS:
        if key in fig and len(fig[key]):
            parts.append(f"<h2>{escape(title)}</h2>" + _html_table(*_display(fig[key], key)))
    if gantt_png:
        parts.append('<h2>Harmonogram (Gantt)</h2><img alt="Gantt" src="data:image/png;base64,'
                     + base64.b64encode(gantt_png).decode() + '">')
    parts.append("</body></html>\n")
    return "\n".join(parts)


def static_map_png(p: Plan, *, dpi: int = 110) -> bytes:
    """A static map of the plan (localities by milestone, segments by type, addresses by status), PNG bytes.

    Drawn with matplotlib's Agg canvas (no pyplot state); deterministic (no
    ``Software`` metadata).
    """
    import io

    import shapely
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from planner.io.gpkg_styles import MILESTONE_FILLS, NO_MILESTONE_FILL, SEGMENT_COLOURS, STATUS_COLOURS

    fig = Figure(figsize=(12, 8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    handles = []
    loc = p.localities
    if loc is not None and len(loc):
        names = _milestone_names(p)
        colour = {m: MILESTONE_FILLS[i % len(MILESTONE_FILLS)] for i, m in enumerate(names)}
        ms = loc["milestone"].fillna("").astype(str) if "milestone" in loc else pd.Series("", index=loc.index)
        loc.plot(ax=ax, color=[colour.get(m, NO_MILESTONE_FILL) for m in ms], edgecolor="#555555",
                 linewidth=0.6, alpha=0.45)
        handles += [Line2D([], [], marker="s", linestyle="", markersize=10, markerfacecolor=c, markeredgecolor="#555",
                           label=f"kamień milowy {m} (milestone)") for m, c in colour.items()]
    if p.design is not None and len(p.design.drops):
        ax.add_collection(LineCollection(_line_parts(p.design.drops.geometry.values), colors="#555555",
                                         linewidths=0.5))
    if p.design is not None and len(p.design.segments):
        seg = p.design.segments
        key = [(d, o if d == "aerial" else "") for d, o in zip(seg["deployment"], seg["pole_owner"].fillna(""))]
        for k, (col, width, dashed, label) in SEGMENT_COLOURS.items():
            m = np.array([x == k for x in key], dtype=bool)
            if m.any():
                ax.add_collection(LineCollection(_line_parts(seg.geometry.values[m]), colors=col,
                                                 linewidths=width * 2.2, linestyles="--" if dashed else "-"))
                handles.append(Line2D([], [], color=col, linewidth=2, linestyle="--" if dashed else "-", label=label))
    a = p.addresses
    if "plan_status" in a:
        status = a["plan_status"].fillna("").astype(str)
    else:  # white spots only: targets as "to connect", barriers apart
        ws = a["ws_class"].astype(str).where(a["ws_class"] != "white", "connect")
        status = ws.where(~a["is_barrier"].astype(bool), "barrier")
    scale = 6.0 if len(a) < 2000 else 1.5  # smaller markers for a whole commune
    point_handles = []
    for st, (fill, line, size, label) in reversed(STATUS_COLOURS.items()):  # points to connect drawn last
        m = (status == st).to_numpy()
        if m.any():
            xy = a.geometry.values[m]
            ax.scatter(shapely.get_x(xy), shapely.get_y(xy), s=size * scale, c=fill, edgecolors=line,
                       linewidths=0.4 if scale < 6 else 0.6, zorder=3)
            point_handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=fill,
                                        markeredgecolor=line, label=label))
    handles += point_handles[::-1]
    pops = p.area.pops
    if len(pops):
        ax.scatter(pops.geometry.x, pops.geometry.y, marker="s", s=70, c="#000000", edgecolors="#ffffff", zorder=4)
        handles.append(Line2D([], [], marker="s", linestyle="", markerfacecolor="#000", label="POP"))
    ax.set_aspect("equal")
    ax.set_title(f"{p.area.name}: plan sieci (network plan), EPSG:2180")
    ax.tick_params(labelsize=7)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    ax.autoscale_view()
    fig.subplots_adjust(left=0.08, right=0.68, top=0.94, bottom=0.07)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _line_parts(geoms) -> list:
    """Coordinate arrays of every part of (multi)line geometries, for a LineCollection."""
    import shapely

    parts = shapely.get_parts(geoms)
    return [shapely.get_coordinates(g) for g in parts]


def write_report(p: Plan, out_dir: str | Path, *, gantt_png: bytes | str | Path | None = None) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and ``report_map.png`` into ``out_dir``.

    Parameters
    ----------
    p
        The plan.
    out_dir
        Directory (exists or is created).
    gantt_png
        The Gantt chart (PNG bytes or a file) embedded in the HTML and linked
        from the markdown as ``gantt.png``.

    Returns
    -------
    dict
        ``'html'``, ``'md'``, ``'map'`` -> path.
    """
    from planner.io import files

    out = Path(out_dir)
    if isinstance(gantt_png, (str, Path)):
        gantt_png = Path(gantt_png).read_bytes()
    fig = report_figures(p)
    map_png = static_map_png(p)
    return {
        "map": files.write_bytes(map_png, out / "report_map.png"),
        "md": files.write_text(report_markdown(p, fig, gantt_file="gantt.png" if gantt_png else None) + "\n",
                               out / "report.md"),
        "html": files.write_text(report_html(p, fig, gantt_png=gantt_png, map_png=map_png), out / "report.html"),
    }
