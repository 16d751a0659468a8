"""One commune, one Dask task: load its study area, ``plan()`` it, write its outputs.

:func:`run_commune` is what a worker runs for each commune.  It loads the
commune's study area with :func:`planner.io.load_area`, runs the same
:func:`planner.plan` as ``planner plan`` and writes, each file atomically:

* its rows of the national dataset (GeoParquet, hive-partitioned by the
  commune's TERC code): ``dataset/addresses``, ``dataset/segments``,
  ``dataset/drops`` and the one-row ``dataset/communes`` (written last: a
  commune row means the commune's files are complete);
* optionally its plan directory ``communes/<key>/``, with the writer of
  ``planner plan`` (:func:`_write_plan_dir`, the one call of it here).

A commune that fails (bad data, no roads, no POP ...) returns the message
``planner plan`` prints instead of raising, and leaves no file behind, so the
other communes finish.  A commune whose inputs, configuration and options hash
to the value recorded in the manifest is skipped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import shutil
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import PlannerError
from planner.config import Config
from planner.scale.manifest import hash_paths, unit_hash

if TYPE_CHECKING:  # pragma: no cover
    from planner.pipeline import Plan

__all__ = ["Unit", "TaskOptions", "run_commune", "commune_record", "failure_record", "DATASET_LAYERS",
           "PARTITION_KEY", "dataset_file"]

logger = logging.getLogger(__name__)

#: Layers of the national dataset, each partitioned by commune.
DATASET_LAYERS = ("addresses", "segments", "drops", "communes")
#: Hive partition key of the national dataset (the commune's TERC code).
PARTITION_KEY = "commune_terc"


@dataclass(frozen=True)
class Unit:
    """A commune to plan.

    Attributes
    ----------
    key
        Its key in the manifest and file names: the TERC code (national layers)
        or the study area's name (a directory of study areas).
    source
        Its study area: a GeoPackage, a layer directory, ... (what ``planner plan --area`` takes).
    terc, name
        Commune code and name where known before planning (national layers).
    boundary
        Commune polygon (WKB) where known before planning.
    """

    key: str
    source: str
    terc: str = ""
    name: str = ""
    boundary: bytes | None = None


@dataclass(frozen=True)
class TaskOptions:
    """What every commune task does.

    Attributes
    ----------
    out_dir
        The plan-many output directory.
    until
        Last stage (``whitespots``, ``design`` or ``schedule``).
    plan_dirs
        Also write the commune's plan directory.
    config_hash
        :func:`planner.scale.manifest.config_hash` of the run's configuration.
    """

    out_dir: str
    until: str = "schedule"
    plan_dirs: bool = False
    config_hash: str = ""

    def hashed(self) -> dict[str, Any]:
        """The options that change a commune's outputs (part of its hash)."""
        return {"until": self.until, "plan_dirs": self.plan_dirs}


def dataset_file(out_dir: str | Path, layer: str, terc: str, key: str) -> Path:
    """A commune's file of a dataset layer: ``dataset/<layer>/commune_terc=<terc>/<key>.parquet``."""
    return Path(out_dir) / "dataset" / layer / f"{PARTITION_KEY}={terc or 'unknown'}" / f"{key}.parquet"


def _remove_outputs(out_dir: str, key: str, tercs: set[str], plan_dir: bool) -> None:
    for terc in tercs:
        for layer in DATASET_LAYERS:
            dataset_file(out_dir, layer, terc, key).unlink(missing_ok=True)
    if plan_dir:
        shutil.rmtree(Path(out_dir) / "communes" / key, ignore_errors=True)


def _commune_terc(p: Plan) -> str:
    from planner.scale.communes import commune_codes

    codes = commune_codes(p.addresses["terc"].astype(str))
    codes = codes[codes != ""]
    if not len(codes):
        return ""
    counts = codes.value_counts()
    return str(sorted(counts[counts == counts.max()].index)[0])


def commune_record(p: Plan, unit: Unit) -> gpd.GeoDataFrame:
    """The commune's row of ``communes.csv`` / the communes map (one-row GeoDataFrame, EPSG of the plan).

    Parameters
    ----------
    p
        The :class:`planner.Plan` of the commune.
    unit
        The commune.

    Returns
    -------
    geopandas.GeoDataFrame
        ``key, terc, commune, address_points, businesses, white_spots, barriers,
        targets, connected, unconnected, km_aerial, km_duct, km_trench, km_total,
        cost_pln, homes_passed, cost_per_home_pln, milestones_met, milestones_ok,
        schedule_feasible, failed, error`` and the commune polygon (the given
        boundary, else the hull of its localities grown by 500 m).
    """
    from planner.scale.communes import commune_names

    a = p.addresses
    terc = unit.terc or _commune_terc(p)
    rec: dict[str, Any] = {
        "key": unit.key, "terc": terc, "commune": unit.name or commune_names([terc]).get(terc, unit.key),
        "address_points": int(len(a)), "businesses": int(a["is_business"].sum()),
        "white_spots": int((a["ws_class"] == "white").sum()), "barriers": int(a["is_barrier"].sum()),
        "targets": int(a["is_target"].sum()),
    }
    status = a["plan_status"].fillna("").astype(str) if "plan_status" in a else pd.Series("", index=a.index)
    rec["connected"] = int(status.isin(["connect", "connected"]).sum())
    rec["unconnected"] = int((status == "unconnected").sum())
    km = {"aerial": 0.0, "duct": 0.0, "trench": 0.0}
    cost = homes = per_home = float("nan")
    if p.design is not None:
        seg = p.design.segments
        for dep, m in seg.groupby("deployment")["length_m"].sum().items():
            km[str(dep)] = float(m) / 1000.0
        total = p.design.bom[p.design.bom["simc"] == "TOTAL"].iloc[0]
        cost, homes, per_home = (float(total["cost_total_pln"]), float(total["homes_passed"]),
                                 float(total["cost_per_home_pln"]))
    rec.update(km_aerial=km["aerial"], km_duct=km["duct"], km_trench=km["trench"], km_total=sum(km.values()),
               cost_pln=cost, homes_passed=homes, cost_per_home_pln=per_home)
    if p.schedule is not None:
        ms = p.schedule.milestones
        ok = int(ms["ok"].astype(bool).sum())
        rec.update(milestones_met=f"{ok}/{len(ms)}", milestones_ok=bool(ok == len(ms)),
                   schedule_feasible=bool(p.schedule.feasible))
    else:
        rec.update(milestones_met="", milestones_ok=False, schedule_feasible=False)
    rec.update(failed=False, error="")
    if unit.boundary is not None:
        geom = shapely.from_wkb(unit.boundary)
    else:
        geom = shapely.convex_hull(shapely.union_all(p.localities.geometry.values)).buffer(500.0)
    return gpd.GeoDataFrame({k: [v] for k, v in rec.items()}, geometry=[geom], crs=p.addresses.crs)


def _write_plan_dir(p: Plan, out: Path, source: str, until: str) -> None:
    """The commune's plan directory, written by the writer of ``planner plan`` (the one call of it)."""
    from planner.output import write_plan

    write_plan(p, out, write_map=until == "schedule", screenshot=False, inputs=[source], formats=("gpkg",),
               processes=1)  # one worker process per core already


def _write_dataset(p: Plan, unit: Unit, record: gpd.GeoDataFrame, out_dir: str) -> None:
    from planner.output.files import write_parquet

    terc = str(record["terc"].iat[0])
    a = p.addresses.sort_values("id", kind="stable").reset_index(drop=True)
    write_parquet(a, dataset_file(out_dir, "addresses", terc, unit.key))
    if p.design is not None:
        write_parquet(p.design.segments, dataset_file(out_dir, "segments", terc, unit.key))
        write_parquet(p.design.drops, dataset_file(out_dir, "drops", terc, unit.key))
    write_parquet(record, dataset_file(out_dir, "communes", terc, unit.key))  # last: the commune is complete


class _Collect(logging.Handler):
    """Collects the planner's warnings of one commune (returned to the client, not printed by the worker)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _collect_warnings() -> Iterator[_Collect]:
    lg = logging.getLogger("planner")
    handler = _Collect()
    old = lg.propagate
    lg.addHandler(handler)
    lg.propagate = False
    try:
        yield handler
    finally:
        lg.removeHandler(handler)
        lg.propagate = old


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_commune(unit: Unit, config: Config, opts: TaskOptions, old: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """Plan one commune and write its outputs (the Dask task).

    Parameters
    ----------
    unit
        The commune.
    config
        The run's configuration.
    opts
        Task options.
    old
        The commune's manifest entry from an earlier run (``hash``, ``terc``), if any.

    Returns
    -------
    dict
        ``key``, ``status`` (``"ok"``, ``"skipped"`` or ``"failed"``), ``hash``,
        ``terc``, ``message`` and ``exit_code`` (failures), ``seconds`` (wall) and
        ``cpu_seconds`` (of the task),
        ``peak_rss_mb`` and ``pid`` (of the worker process) and ``warnings``
        (the planner's warnings for this commune, not printed by the worker).
    """
    with _collect_warnings() as collected:
        out = _run(unit, config, opts, old)
    out["warnings"] = collected.messages
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    out["pid"] = os.getpid()
    return out


def _run(unit: Unit, config: Config, opts: TaskOptions, old: dict[str, Any] | None) -> dict[str, Any]:
    from planner.io import load_area
    from planner.pipeline import plan

    t0, c0 = time.perf_counter(), time.process_time()
    out: dict[str, Any] = {"key": unit.key, "terc": unit.terc, "message": "", "exit_code": 0}
    plan_dir = Path(opts.out_dir) / "communes" / unit.key
    terc = unit.terc
    try:
        h = unit_hash(hash_paths([unit.source]), opts.config_hash, opts.hashed())
        out["hash"] = h
        if old and old.get("hash") == h and dataset_file(opts.out_dir, "communes", old.get("terc", ""),
                                                         unit.key).is_file() \
                and (not opts.plan_dirs or (plan_dir / "summary.json").is_file()):
            out.update(status="skipped", terc=old.get("terc", ""), seconds=round(time.perf_counter() - t0, 3))
            return out
        _remove_outputs(opts.out_dir, unit.key, {(old or {}).get("terc", "")} - {""}, opts.plan_dirs)
        area = load_area(unit.source, config, partial=opts.until == "whitespots")
        p = plan(area, config, until=opts.until, progress=False)
        record = commune_record(p, unit)
        terc = str(record["terc"].iat[0])
        if opts.plan_dirs:
            _write_plan_dir(p, plan_dir, unit.source, opts.until)
        _write_dataset(p, unit, record, opts.out_dir)
        out.update(status="ok", terc=terc)
    except PlannerError as exc:
        out.update(status="failed", message=str(exc), exit_code=exc.exit_code)
    except Exception as exc:  # a bug or an unforeseen input: reported, the other communes go on
        logger.error("commune %s failed:\n%s", unit.key, traceback.format_exc())
        out.update(status="failed", message=f"{type(exc).__name__}: {exc}", exit_code=1)
    if out["status"] == "failed":
        _remove_outputs(opts.out_dir, unit.key, {terc, (old or {}).get("terc", "")} - {""} | {"unknown"},
                        opts.plan_dirs)
    out["seconds"] = round(time.perf_counter() - t0, 3)
    out["cpu_seconds"] = round(time.process_time() - c0, 3)
    return out


def failure_record(unit: Unit, message: str) -> dict[str, Any]:
    """A failed commune's row of the communes table (no figures)."""
    nan = float(np.nan)
    return {"key": unit.key, "terc": unit.terc, "commune": unit.name or unit.key, "address_points": 0,
            "businesses": 0, "white_spots": 0, "barriers": 0, "targets": 0, "connected": 0, "unconnected": 0,
            "km_aerial": 0.0, "km_duct": 0.0, "km_trench": 0.0, "km_total": 0.0, "cost_pln": nan,
            "homes_passed": nan, "cost_per_home_pln": nan, "milestones_met": "", "milestones_ok": False,
            "schedule_feasible": False, "failed": True, "error": message}
