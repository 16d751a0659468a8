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
from types import TracebackType
from typing import TYPE_CHECKING

from planner._errors import InputDataError, InputFileNotFoundError, UsageError
from planner._timing import Clock
from planner.io.postgis import is_url
from planner.output import charts, excel, files, gpkg_styles, schedule_files
from planner.output.forked import Job, can_fork, forked_jobs
from planner.output.screenshot import Screenshotter
from planner.output.tables import plan_layers, plan_tables
from planner.report.document import report_html, report_markdown
from planner.report.figures import report_figures
from planner.report.summary import format_summary
from planner.report.worklists import bom_sheets, milestone_names
from planner.schema import WORKING_CRS

if TYPE_CHECKING:
    from planner.pipeline import Plan

__all__ = ["PlanWriter", "write_plan", "write_report"]

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
        export and the report are written in forked processes, and the map
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

    See Also
    --------
    PlanWriter : the same, started before the plan is made so that outputs are
        written while later stages run.
    """
    with PlanWriter(out_dir, write_map=write_map, screenshot=screenshot, inputs=inputs, formats=formats, uke=uke,
                    timings=timings, processes=processes, shooter=shooter) as writer:
        return writer.write(p)


class PlanWriter:
    """A plan directory written while the plan is made: each output once the stages it needs have run.

    ``planner plan`` opens one before planning and passes :meth:`stage_done`
    to :func:`planner.pipeline.plan` as its ``on_stage`` hook: with forking
    (``processes >= 2`` on Linux) ``area.gpkg`` is written in a child process
    from the end of the white-spot stage and the UKE export from the end of
    the design stage, while this process goes on planning; :meth:`write` then
    writes the rest (as :func:`write_plan`, which is ``PlanWriter(...).write(p)``).
    The stages themselves never see a file.  Leaving the ``with`` block
    without :meth:`write`, or with an error, stops the children and leaves
    ``out_dir`` untouched.  Parameters as :func:`write_plan`.

    Examples
    --------
    >>> with PlanWriter("out/demo") as writer:                      # doctest: +SKIP
    ...     writer.write(plan(area, config, on_stage=writer.stage_done))
    """

    def __init__(
        self,
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
    ) -> None:
        unknown = sorted(set(formats) - {"gpkg", "parquet"})
        if unknown:
            raise UsageError(f"unknown output format(s) {', '.join(unknown)}; choose gpkg and/or parquet")
        self.out_dir = out_dir
        self.write_map, self.screenshot, self.formats, self.uke = write_map, screenshot, tuple(formats), uke
        self.inputs = list(inputs or [])
        self.timings, self.processes = timings, processes
        self._shot = shooter if shooter is not None else Screenshotter()
        self._stack = contextlib.ExitStack()
        self._tmp: Path | None = None
        self._started: set[str] = set()
        self._written = False

    def __enter__(self) -> PlanWriter:
        try:
            self._stack.callback(self._shot.close)
            if not is_url(self.out_dir):
                self._tmp = self._stack.enter_context(files.staged_output_dir(self.out_dir, inputs=self.inputs))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None and not self._written:
            # Nothing complete to put in place: unwind as on an error (children killed, staging removed);
            # the stand-in error comes back out of the contexts that re-raise it.
            with contextlib.suppress(RuntimeError):
                self._stack.__exit__(RuntimeError, RuntimeError("PlanWriter closed before write()"), None)
            return
        self._stack.__exit__(exc_type, exc, tb)

    @property
    def _forking(self) -> bool:
        return self._tmp is not None and self.processes >= 2 and can_fork()

    def stage_done(self, stage: str, p: Plan) -> None:
        """Start writing the outputs that ``stage`` completes (the ``on_stage`` hook of :func:`planner.pipeline.plan`).

        Parameters
        ----------
        stage
            ``"whitespots"`` (the area is final: ``area.gpkg``) or ``"design"``
            (route and optical network: ``uke/``); other stages start nothing.
        p
            The plan so far; a forked child writes from its state at this moment.
        """
        if not self._forking:
            return
        if stage == "whitespots":
            self._start([self._area_job(p)])
        elif stage == "design":
            self._start(self._uke_jobs(p))

    def write(self, p: Plan) -> Path | str:
        """Write every output of ``p`` not started yet, wait for all, and put the directory in place on exit.

        Returns
        -------
        Path or str
            The output directory (the URL for a database).
        """
        self._written = True
        if self._tmp is None:  # layers + tables into a PostGIS schema; other URL schemes are a UsageError
            return self._write_postgis(p)
        tmp, clock = self._tmp, Clock(self.timings)
        write_map, shot = self.write_map, self._shot
        if not (write_map and self.screenshot):
            shot.close()
        elif self.processes >= 2:
            shot.start()  # Chromium starts now (unless the caller started it) and renders map.html once written
        with clock("layers"):
            layers = plan_layers(p)
        # Workbooks, Gantt chart and report in a second process (forked: nothing is copied).
        gantt_png: list[bytes] = []
        second: list[Job] = []
        if p.schedule is not None:
            second.append(("schedule.xlsx, gantt", lambda: gantt_png.append(_write_schedule_files(p, tmp))))
        if p.design is not None:
            second.append(("bom.xlsx", partial(_write_bom, p, tmp / "bom.xlsx")))
        second.append(("report", lambda: write_report(p, tmp, gantt_png=gantt_png[0] if gantt_png else None)))
        self._start([*self._uke_jobs(p), *second])
        if write_map:
            from planner import maps

            with clock("map.html"):
                roads = {"roads": p.area.layers["roads"]} if len(p.area.layers.get("roads", ())) else {}
                maps.write_map({**layers, **roads}, tmp / "map.html", config=p.config.map,
                               drop_limit_m=p.config.design.drop_contract_max_m)
            if self.screenshot:
                shot.shoot(tmp / "map.html", tmp / "map.png")
        self._start([self._area_job(p)], here=True)
        with clock("plan.gpkg"):
            files.write_gpkg(layers, tmp / "plan.gpkg")
            gpkg_styles.write_layer_styles(tmp / "plan.gpkg",
                                           gpkg_styles.plan_styles(list(layers), milestones=milestone_names(p)))
        if "parquet" in self.formats:
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
        if write_map and self.screenshot:
            seconds = shot.wait()
            if self.timings is not None:
                self.timings["map.png (process)"] = seconds
        return Path(self.out_dir)

    def _start(self, jobs: Sequence[Job], *, here: bool = False) -> None:
        """Run the jobs not started yet: in a forked child (or at the end of the block), or ``here`` and now."""
        jobs = [(name, fn) for name, fn in jobs if name not in self._started]
        self._started.update(name for name, _ in jobs)
        if not jobs:
            return
        if here:
            clock = Clock(self.timings)
            for name, fn in jobs:
                with clock(name):
                    fn()
            return
        self._stack.enter_context(forked_jobs(jobs, processes=self.processes, timings=self.timings))

    def _area_job(self, p: Plan) -> Job:
        assert self._tmp is not None
        return ("area.gpkg", partial(files.write_gpkg, {k: v for k, v in p.area.layers.items() if len(v)},
                                     self._tmp / "area.gpkg"))

    def _uke_jobs(self, p: Plan) -> list[Job]:
        if not (self.uke and p.design is not None):
            return []
        assert self._tmp is not None
        return [("uke/", partial(_write_uke, p, self._tmp / "uke"))]

    def _write_postgis(self, p: Plan) -> str:
        from planner.output import postgis

        layers = plan_layers(p)
        postgis.write_plan(str(self.out_dir), layers, plan_tables(p), summary=p.summary(),
                           styles=gpkg_styles.plan_styles(list(layers), milestones=milestone_names(p)),
                           inputs=[*p.area.sources.values(), *self.inputs])
        return str(self.out_dir)


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
