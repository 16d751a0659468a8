"""Write a :class:`~planner.pipeline.Plan` to a plan directory, all of it or nothing.

A plan directory holds ``plan.gpkg`` (one layer per entity, EPSG:2180, with
QGIS layer styles, :mod:`planner.output.gpkg_styles`; optional GeoParquet
copies in ``parquet/``), the input layers (``area.gpkg``), CSV copies of every
table, ``summary.json``/``summary.txt`` and, when the stages ran, the schedule
workbook and Gantt chart, the engineer's ``bom.xlsx``, the UKE inventory export
(``uke/``, :mod:`planner.output.uke`), the report for councils and funders
(``report.html`` self-contained, ``report.md``, ``report_map.png``) and the
councillor map.  Everything is written into a staging directory first and
swapped into place only when complete
(:func:`planner.output.files.staged_output_dir`), so a failure leaves the
previous output untouched.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from planner._errors import InputDataError, InputFileNotFoundError, UsageError
from planner._timing import Clock
from planner.io.postgis import is_url
from planner.output import charts, excel, files, gpkg_styles, schedule_files
from planner.output.forked import Job, forked_jobs
from planner.output.screenshot import Screenshotter
from planner.output.tables import plan_layers, plan_tables
from planner.report.document import report_html, report_markdown
from planner.report.figures import report_figures
from planner.report.summary import format_summary
from planner.report.worklists import bom_sheets, milestone_names
from planner.schema import WORKING_CRS

if TYPE_CHECKING:
    from planner.pipeline import Plan

__all__ = ["write_plan", "write_report"]

logger = logging.getLogger(__name__)


def write_plan(
    p: Plan,
    out_dir: str | Path,
    *,
    write_map: bool = True,
    screenshot: bool = True,
    inputs: Sequence[str | Path] | None = None,
    formats: tuple[str, ...] | list[str] = ("gpkg",),
    uke: bool = True,
    timings: dict[str, float] | None = None,
    processes: int = 2,
    shooter: Screenshotter | None = None,
) -> Path | str:
    """Write every output of ``p`` into ``out_dir`` atomically.

    Parameters
    ----------
    p
        The plan.
    out_dir
        Output directory, replaced as a whole only once everything is written;
        or ``postgresql://[user@]host[:port]/db?schema=NAME``: the plan's layers,
        tables and summary written into that PostGIS schema in one transaction
        (:mod:`planner.output.postgis`; no map, report or workbooks there).
    write_map
        Write the councillor map ``map.html`` (:mod:`planner.maps`, with the
        plan's ``[map]`` configuration).
    screenshot
        Also render ``map.png`` in headless Chromium where it is installed
        (in a process of its own, :mod:`planner.output.screenshot`).
    inputs
        Input paths; writing into a directory that holds one is refused.
    formats
        Layer formats: ``"gpkg"`` (always written, ``plan.gpkg`` with QGIS
        styles) and optionally ``"parquet"`` (GeoParquet copies of every layer
        in ``parquet/<layer>.parquet``).
    uke
        With a designed network in Poland, write the UKE inventory export into
        ``uke/`` (:func:`planner.output.uke.export_uke`) with the operator id and
        project number of the plan's ``[output]`` configuration.
    timings
        When given, filled with the wall time in seconds of each output
        (``scripts/bench_plan.py``).
    processes
        With 2 or more (and on Linux), the workbooks, the Gantt chart, the UKE
        export and the report are written in a forked process, and the map
        screenshot in another, while this one writes the map, the GeoPackages
        and the CSVs (:mod:`planner.output.forked`); 1 writes everything here,
        one file after the other (e.g. inside a Dask worker).
    shooter
        A :class:`~planner.output.screenshot.Screenshotter` started earlier
        (``planner plan`` starts one before loading the area, so that Chromium
        is up when the map is written); ``write_plan`` uses and closes it.

    Returns
    -------
    Path or str
        ``out_dir`` (the URL for a database).
    """
    unknown = sorted(set(formats) - {"gpkg", "parquet"})
    if unknown:
        raise UsageError(f"unknown output format(s) {', '.join(unknown)}; choose gpkg and/or parquet")
    if is_url(out_dir):  # layers + tables into a PostGIS schema; other URL schemes are a UsageError
        from planner.output import postgis

        layers = plan_layers(p)
        postgis.write_plan(str(out_dir), layers, plan_tables(p), summary=p.summary(),
                           styles=gpkg_styles.plan_styles(list(layers), milestones=milestone_names(p)),
                           inputs=[*p.area.sources.values(), *(inputs or [])])
        return str(out_dir)
    out_dir = Path(out_dir)
    clock = Clock(timings)
    shot = shooter if shooter is not None else Screenshotter()
    with files.staged_output_dir(out_dir, inputs=inputs) as tmp, contextlib.ExitStack() as processes_:
        processes_.callback(shot.close)
        if not (write_map and screenshot):
            shot.close()
        elif processes >= 2:
            shot.start()  # Chromium starts now (unless the caller started it) and renders map.html once written
        html = tmp / "map.html"
        with clock("layers"):
            layers = plan_layers(p)
        # Workbooks, Gantt chart, UKE export and report in a second process (forked: nothing is copied).
        gantt_png: list[bytes] = []
        second: list[Job] = []
        if p.schedule is not None:
            second.append(("schedule.xlsx, gantt", lambda: gantt_png.append(_write_schedule_files(p, tmp))))
        if p.design is not None:
            second.append(("bom.xlsx", partial(_write_bom, p, tmp / "bom.xlsx")))
            if uke:
                second.append(("uke/", partial(_write_uke, p, tmp / "uke")))
        second.append(("report", lambda: write_report(p, tmp, gantt_png=gantt_png[0] if gantt_png else None)))
        processes_.enter_context(forked_jobs(second, processes=processes, timings=timings))
        if write_map:
            from planner import maps

            with clock("map.html"):
                roads = {"roads": p.area.layers["roads"]} if len(p.area.layers.get("roads", ())) else {}
                maps.write_map({**layers, **roads}, html, config=p.config.map,
                               drop_limit_m=p.config.design.drop_contract_max_m)
            if screenshot:
                shot.shoot(html, tmp / "map.png")
        with clock("area.gpkg"):
            files.write_gpkg({k: v for k, v in p.area.layers.items() if len(v)}, tmp / "area.gpkg")
        with clock("plan.gpkg"):
            files.write_gpkg(layers, tmp / "plan.gpkg")
            gpkg_styles.write_layer_styles(tmp / "plan.gpkg",
                                           gpkg_styles.plan_styles(list(layers), milestones=milestone_names(p)))
        if "parquet" in formats:
            with clock("parquet/"):
                for name, layer in layers.items():
                    files.write_parquet(layer, tmp / "parquet" / f"{name}.parquet")
        with clock("*.csv"):
            for name, table in plan_tables(p).items():
                files.write_csv(table, tmp / f"{name}.csv")
        with clock("summary"):
            files.write_text(json.dumps(p.summary(), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                             tmp / "summary.json")
            files.write_text(format_summary(p) + "\n", tmp / "summary.txt")
        if write_map and screenshot:
            seconds = shot.wait()
            if timings is not None:
                timings["map.png (process)"] = seconds
    return out_dir


def _write_uke(p: Plan, out: Path) -> None:
    from planner.output import uke as uke_export

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
    uke_export.export_uke(p, out, operator_id=p.config.output.uke_operator_id,
                          project_number=p.config.output.uke_project_number)


def _write_bom(p: Plan, path: Path) -> None:
    files.write_bytes(excel.workbook_bytes(bom_sheets(p)), path)


def _write_schedule_files(p: Plan, tmp: Path) -> bytes:
    """``schedule.xlsx``, ``gantt.html`` and ``gantt.png``; returns the Gantt PNG (drawn once)."""
    assert p.schedule is not None
    files.write_bytes(schedule_files.schedule_xlsx_bytes(p.schedule), tmp / "schedule.xlsx")
    files.write_text(schedule_files.gantt_html(p.schedule), tmp / "gantt.html")
    png = charts.figure_png(charts.gantt_figure(p.schedule))
    files.write_bytes(png, tmp / "gantt.png")
    return png


def write_report(p: Plan, out_dir: str | Path, *, gantt_png: bytes | None = None) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and ``report_map.png`` into ``out_dir``.

    Parameters
    ----------
    p
        The plan.
    out_dir
        Directory (exists or is created).
    gantt_png
        The Gantt chart embedded in the HTML and linked from the markdown as
        ``gantt.png``.

    Returns
    -------
    dict
        ``'html'``, ``'md'``, ``'map'`` -> path.
    """
    out = Path(out_dir)
    fig = report_figures(p)
    map_png = charts.static_map_png(p)
    return {
        "map": files.write_bytes(map_png, out / "report_map.png"),
        "md": files.write_text(report_markdown(p, fig, gantt_file="gantt.png" if gantt_png else None) + "\n",
                               out / "report.md"),
        "html": files.write_text(report_html(p, fig, gantt_png=gantt_png, map_png=map_png), out / "report.html"),
    }
