"""Write a :class:`~planner.pipeline.Plan` to files.

A plan directory holds ``plan.gpkg`` (one layer per entity, EPSG:2180), CSV
copies of every table, ``summary.json`` and, when the stages ran, the
schedule workbook, Gantt chart and the councillor map.  Everything is written
into a staging directory first and swapped into place only when complete
(:func:`planner.io.files.staged_output_dir`), so a failure leaves the previous
output untouched.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.pipeline import Plan, _jsonable

__all__ = ["plan_layers", "plan_tables", "write_plan", "format_summary"]

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
    return tables


def format_summary(p: Plan) -> str:
    """A short human-readable summary (printed by the CLI)."""
    s = p.summary()
    lines = [f"Area {s['area']}: {s['address_points']} address points ({s['businesses']} businesses)"]
    if "white_spots" in s:
        lines.append(
            f"White spots (białe plamy): {s['white_spots']} ({s['white_spot_businesses']} businesses); "
            f"grey {s['grey']}, black {s['black']}; barriers {s['barriers']}; to connect {s['targets']}"
        )
        cols = ["locality", "points", "businesses", "white", "grey", "black", "barriers", "targets"]
        lines.append(p.localities[cols].to_string(index=False))
    if p.design is not None:
        d = s["design"]
        lines.append("Design: " + ", ".join(f"{k}={v}" for k, v in d.items()))
    if p.schedule is not None:
        sch = p.schedule
        lines.append(f"Schedule feasible: {sch.feasible}"
                     + (f" (binding: {sch.binding_constraint}; min crews {sch.min_crews})" if not sch.feasible else ""))
        lines.append(sch.milestones.to_string(index=False))
    return "\n".join(lines)


def write_plan(
    p: Plan,
    out_dir: str | Path,
    *,
    write_map: bool = True,
    screenshot: bool = True,
    inputs: list[str | Path] | None = None,
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

    Returns
    -------
    Path
        ``out_dir``.
    """
    from planner.io import files

    out_dir = Path(out_dir)
    with files.staged_output_dir(out_dir, inputs=inputs) as tmp:
        tmp = Path(tmp)
        files.write_gpkg({k: v for k, v in p.area.layers.items() if len(v)}, tmp / "area.gpkg")
        files.write_gpkg(plan_layers(p), tmp / "plan.gpkg")
        for name, table in plan_tables(p).items():
            files.write_csv(table, tmp / f"{name}.csv")
        files.write_text(json.dumps(_jsonable(p.summary()), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                         tmp / "summary.json")
        files.write_text(format_summary(p) + "\n", tmp / "summary.txt")
        if p.schedule is not None:
            _write_schedule_files(p, tmp)
        if write_map:
            from planner import maps

            html = maps.write_map(plan_layers(p), tmp / "map.html", lang=p.config.map.lang,
                                  offline=p.config.map.offline)
            if screenshot:
                try:
                    maps.screenshot(html, tmp / "map.png")
                except Exception as exc:  # browser missing: the map itself is written
                    logger.warning("map screenshot skipped: %s", exc)
    return out_dir


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
