"""``plan_many``: plan many communes on a Dask cluster, resumably, with merged results.

Inputs are either a directory of study areas (one per commune, each what
``planner plan --area`` takes) or national/voivodeship layers that are first
partitioned by commune (:mod:`planner.scale.partitioning`).  Every commune is
one Dask task (:func:`planner.scale.tasks.run_commune`); the client records
each finished commune in the manifest (:mod:`planner.scale.manifest`) and
finally merges the results (:mod:`planner.scale.merge`).

Output directory::

    manifest.json          run identity, config hash, finished communes
    dataset/<layer>/commune_terc=<TERC>/<key>.parquet   addresses, segments, drops, communes
    communes.csv|.xlsx|.gpkg, communes_map.html, failures.csv
    communes/<key>/        plan directories (--plan-dirs)
    areas/<TERC>/          study areas cut from national layers; boundaries.parquet

With ``db`` (``--db postgresql://...?schema=NAME``) the merged region is also
written into one PostGIS schema, all or nothing
(:func:`planner.output.postgis.write_region`); the URL is checked before
anything is planned.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planner._errors import PlannerError, Problem, UsageError
from planner.config import Config, load_config
from planner.io.postgis import is_url, redact
from planner.scale.communes import commune_names
from planner.scale.engine import open_client
from planner.scale.manifest import Manifest, config_hash, hash_paths
from planner.scale.merge import communes_frame, write_merged
from planner.scale.partitioning import NationalInputs, check_national, partition_national
from planner.scale.tasks import DATASET_LAYERS, TaskOptions, Unit, dataset_file, run_commune

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["plan_many", "PlanManyResult", "discover_areas", "AREA_SUFFIXES"]

logger = logging.getLogger(__name__)

#: Files of a study-area directory that are one commune each (sub-directories are too).
AREA_SUFFIXES = (".gpkg", ".osm", ".pbf", ".gml", ".xml")
#: Seconds between manifest saves while communes finish (and once at the end). [A]
_SAVE_EVERY_S = 2.0


@dataclass
class PlanManyResult:
    """What a :func:`plan_many` run did.

    Attributes
    ----------
    out_dir
        The output directory.
    communes
        The merged communes table (one row per commune of the run, failed ones flagged).
    planned, skipped, failed
        Keys of the communes planned now, skipped as unchanged, and failed.
    failures
        ``key, terc, commune, exit_code, message`` of the failed communes.
    files
        Merged output files (name -> path).
    dashboard
        Address of the Dask dashboard, if any.
    tasks
        One row per commune task: ``key, status, seconds, cpu_seconds, peak_rss_mb, pid`` (worker process).
    timings
        Wall-clock seconds of each phase: ``partition`` (national layers only; its
        phases ``partition.keyed``, ``partition.spatial``, ``partition.areas``),
        ``plan``, ``merge`` and ``database`` (with ``db``).
    database
        The database the region was written to (its URL without password), if any.
    """

    out_dir: Path
    communes: gpd.GeoDataFrame
    planned: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    files: dict[str, Path] = field(default_factory=dict)
    dashboard: str | None = None
    tasks: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict[str, float] = field(default_factory=dict)
    database: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every commune was planned (or skipped), 1 when any failed."""
        return 1 if self.failed else 0


def discover_areas(areas: Path) -> list[Unit]:
    """The study areas of a directory: sub-directories and ``.gpkg``/OSM/PRG files, by name.

    Raises
    ------
    UsageError
        Not a directory, no study area in it, or two areas with one name.
    """
    if not areas.is_dir():
        raise UsageError(f"{areas} is not a directory of study areas", [Problem(
            file=str(areas), message="--areas needs a directory holding one study area per commune",
            fix="give a directory of <name>.gpkg files or <name>/ layer directories")])
    units: dict[str, Unit] = {}
    for p in sorted(areas.iterdir()):
        if p.name.startswith((".", "_")):
            continue
        if not (p.is_dir() or p.name.lower().endswith(AREA_SUFFIXES)):
            continue
        key = p.name if p.is_dir() else p.name.split(".")[0]
        if key in units:
            raise UsageError(f"two study areas named {key!r} in {areas}", [Problem(
                file=str(p), message=f"{p.name} and {Path(units[key].source).name} have the same name",
                fix="rename one of them (names key the outputs)")])
        units[key] = Unit(key=key, source=str(p.resolve()))
    if not units:
        raise UsageError(f"no study area in {areas}", [Problem(
            file=str(areas), message="the directory holds no .gpkg, OSM, PRG file or layer directory",
            fix="put one study area per commune into the directory")])
    return list(units.values())


def _identity(areas: Path | None, national: NationalInputs | None) -> dict[str, Any]:
    if areas is not None:
        return {"mode": "areas", "inputs": [str(areas.resolve())]}
    assert national is not None
    return {"mode": "national",
            "inputs": {k: [str(Path(p).resolve()) for p in v] for k, v in national.files().items()}}


def _inputs(areas: Path | None, national: NationalInputs | None) -> list[Path]:
    """The input directory or the national layers' files."""
    if areas is not None:
        return [areas]
    assert national is not None
    return [Path(p) for v in national.files().values() for p in v]


def _check_out(out: Path, areas: Path | None, national: NationalInputs | None) -> None:
    for inp in _inputs(areas, national):
        i = Path(inp).resolve()
        if out == i or i in out.parents or out in i.parents:
            raise UsageError(f"refusing to write into {out}: it overlaps the input {i}", [Problem(
                file=str(out), message=f"the output directory and the input {i} overlap",
                fix="choose an --out directory outside the inputs")])


def _fingerprint(national: NationalInputs, cfg: Config) -> dict[str, Any]:
    return {"inputs": {k: hash_paths(v) for k, v in national.files().items()},
            "clip_buffer_m": cfg.scale.clip_buffer_m, "hull_buffer_m": cfg.scale.hull_buffer_m}


def _national_units(client: Client, national: NationalInputs, out: Path, manifest: Manifest, cfg: Config,
                    show: bool, timings: dict[str, float]) -> list[Unit]:
    fp = _fingerprint(national, cfg)
    bpath = out / "boundaries.parquet"
    if manifest.partition.get("fingerprint") == fp and bpath.is_file():
        logger.info("national inputs unchanged: reusing the commune study areas in %s", out / "areas")
        bnd = gpd.read_parquet(bpath)
    else:
        from planner.output.files import write_parquet

        manifest.partition = {}
        manifest.save()
        phases: dict[str, float] = {}
        bnd = partition_national(client, national, out / ".work", out / "areas", chunk_rows=cfg.scale.chunk_rows,
                                 clip_buffer_m=cfg.scale.clip_buffer_m, hull_buffer_m=cfg.scale.hull_buffer_m,
                                 progress=show, timings=phases)
        timings.update({f"partition.{k}": v for k, v in phases.items()})
        write_parquet(bnd, bpath)
        manifest.partition = {"fingerprint": fp}
        manifest.save()
    return [Unit(key=str(r.terc), source=str(out / "areas" / str(r.terc)), terc=str(r.terc), name=str(r.name),
                 boundary=r.geometry.wkb) for r in bnd.itertuples()]


@contextlib.contextmanager
def _client(client: Client | None, scheduler: str | None, workers: int | None, cfg: Config, verbose: bool
            ) -> Iterator[Client]:
    if client is not None:
        yield client
        return
    with open_client(scheduler, workers=workers, threads_per_worker=cfg.scale.threads_per_worker,
                     memory_limit=cfg.scale.memory_limit, connect_timeout_s=cfg.scale.connect_timeout_s,
                     verbose=verbose) as c:
        yield c


def _forget_stale(manifest: Manifest, out: Path, keys: set[str]) -> None:
    """Communes of an earlier run that are no longer among the inputs: drop their outputs."""
    for key in sorted(set(manifest.communes) - keys):
        terc = manifest.communes[key].get("terc", "")
        for layer in DATASET_LAYERS:
            dataset_file(out, layer, terc, key).unlink(missing_ok=True)
        shutil.rmtree(out / "communes" / key, ignore_errors=True)
        manifest.forget(key)


def _clean_staging(out: Path) -> None:
    """Staging directories left by tasks of killed workers (write_plan stages next to the target)."""
    base = out / "communes"
    if base.is_dir():
        for p in base.iterdir():
            if p.name.startswith(".") and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)


def _check_db(db: str, inputs: list[Path]) -> str:
    """Check the ``--db`` URL before planning: parse it, connect, check the target schema (issue #20)."""
    from planner.output.postgis import check_output

    return check_output(db, inputs=inputs)


def _write_db(db: str, out: Path, communes: gpd.GeoDataFrame, failures: pd.DataFrame, finished: list[str],
              summary: dict[str, Any], milestones: tuple[str, ...], inputs: list[Path]) -> str:
    """The merged region into one PostGIS schema, all or nothing (issue #20)."""
    from planner.io.region_dataset import read_dataset_layer
    from planner.output.postgis import write_region
    from planner.output.postgis.region import REGION_ROW_TABLES

    rows = {layer: read_dataset_layer(out, layer, keys=finished) for layer in REGION_ROW_TABLES}
    try:
        return write_region(db, communes, rows, failures, summary=summary, milestones=milestones, inputs=inputs)
    except PlannerError as exc:  # after planning: say that the plans are kept and how to write them
        exc.problems.append(Problem(
            file=str(out / "manifest.json"), message="the communes are planned and recorded in the output "
                                                     "directory; the database was not changed",
            fix="fix the database problem and run the same command again: finished communes are skipped and "
                "only the region is written"))
        raise


def _error_result(unit: Unit, exc: BaseException) -> dict[str, Any]:
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        msg = (f"the worker process died every time it planned commune {unit.key} (out of memory? see the worker "
               "logs); lower the number of workers per machine or raise their memory limit")
    else:
        msg = f"{type(exc).__name__}: {exc}"
    return {"key": unit.key, "terc": unit.terc, "status": "failed", "message": msg, "exit_code": 1}


def plan_many(
    areas: str | Path | None = None,
    *,
    national: NationalInputs | None = None,
    out: str | Path,
    config: Config | str | Path | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    plan_dirs: bool = False,
    until: str = "schedule",
    progress: bool | None = None,
    verbose: bool = False,
    client: Client | None = None,
    on_dashboard: Callable[[str], None] | None = None,
    db: str | None = None,
) -> PlanManyResult:
    """Plan every commune of a region or country on a Dask cluster.

    Parameters
    ----------
    areas
        Directory of study areas, one per commune (``<name>.gpkg`` files or
        ``<name>/`` layer directories, as ``planner plan --area`` takes them).
    national
        National or voivodeship layers to partition by commune instead.
    out
        Output directory: new, empty, or the output of an earlier run with the
        same inputs (finished communes whose inputs and configuration are
        unchanged are skipped).
    config
        Configuration (object, TOML path or ``None`` for the defaults).
    scheduler
        Address of a running Dask scheduler (``tcp://HOST:8786``); default a
        local cluster of worker processes on 127.0.0.1 sized to the machine.
    workers
        Worker processes of the local cluster (default: one per core).
    plan_dirs
        Also write each commune's plan directory ``communes/<key>/`` (as ``planner plan``).
    until
        Last stage of every plan: ``whitespots``, ``design`` or ``schedule``.
    progress
        Show progress bars (default ``config.progress``).
    verbose
        Keep Dask's INFO messages.
    client
        An existing :class:`distributed.Client` to use instead (``scheduler`` and
        ``workers`` are then ignored).
    on_dashboard
        Called with the Dask dashboard's address once the cluster is up (the CLI prints it).
    db
        ``postgresql://[user@]host[:port]/dbname?schema=NAME``: also write the
        region (communes, addresses, segments, drops, failures, summary) into
        that schema, all or nothing, after the merge.  Checked before planning.

    Returns
    -------
    PlanManyResult
        ``exit_code`` 1 when any commune failed (see ``failures``).

    Raises
    ------
    UsageError
        Bad options, an output directory of another run or not of plan-many,
        an unreachable scheduler, a bad ``db`` URL or schema -- before anything is written.
    DatabaseError
        ``db`` unreachable, login refused, missing privileges (before planning),
        or the database write failed (after planning; the finished communes are
        recorded, so a re-run skips them and only writes the database).
    ConfigError, InputFileNotFoundError, InputDataError
        Invalid configuration; missing or unusable national layers.

    Examples
    --------
    >>> import planner
    >>> res = planner.plan_many("areas/", out="out/region", workers=2)  # doctest: +SKIP
    >>> res.communes[["terc", "commune", "white_spots", "cost_per_home_pln"]]  # doctest: +SKIP
    """
    from planner.pipeline import STAGES

    cfg = config if isinstance(config, Config) else load_config(config)
    show = cfg.progress if progress is None else progress
    if until not in STAGES:
        raise UsageError(f"unknown stage {until!r}", [Problem(
            file="--until", message=f"{until!r} is not a stage", fix=f"use one of: {', '.join(STAGES)}")])
    if (areas is None) == (national is None):
        raise UsageError("give either a directory of study areas or national layers", [Problem(
            file="plan-many", message="both or neither of --areas and --addresses were given",
            fix="plan a directory of study areas (--areas DIR) or national layers (--addresses FILE ...)")])
    areas_p = Path(areas).resolve() if areas is not None else None
    if is_url(out):
        raise UsageError("plan-many writes into an output directory; give the database with --db", [Problem(
            file=redact(out), message="--out of plan-many is its output directory (manifest, dataset, merged tables)",
            fix="use --out DIR --db postgresql://[user@]host[:port]/db?schema=NAME")])
    out_p = Path(out).resolve()
    _check_out(out_p, areas_p, national)
    manifest = Manifest.open(out_p, _identity(areas_p, national))
    units = discover_areas(areas_p) if areas_p is not None else []
    if national is not None:
        check_national(national)
    db_label = _check_db(db, _inputs(areas_p, national)) if db is not None else None
    cfg_hash = config_hash(cfg)
    opts = TaskOptions(out_dir=str(out_p), until=until, plan_dirs=plan_dirs, config_hash=cfg_hash)

    with _client(client, scheduler, workers, cfg, verbose) as c:
        dashboard = getattr(c, "dashboard_link", None)
        if dashboard and on_dashboard is not None:
            on_dashboard(dashboard)
        elif dashboard:
            logger.info("Dask dashboard: %s", dashboard)
        out_p.mkdir(parents=True, exist_ok=True)
        timings: dict[str, float] = {}
        if national is not None:
            t0 = time.perf_counter()
            units = _national_units(c, national, out_p, manifest, cfg, show, timings)
            timings["partition"] = time.perf_counter() - t0
        by_key = {u.key: u for u in units}
        _forget_stale(manifest, out_p, set(by_key))
        manifest.config_hash = cfg_hash
        manifest.save()
        t0 = time.perf_counter()
        res = _run_units(c, units, cfg, opts, manifest, show)
        timings["plan"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _clean_staging(out_p)
    finished = {k: manifest.communes[k] for k in by_key if k in manifest.communes}
    failures = [r for r in res if r["status"] == "failed"]
    for f in failures:
        if not f.get("terc") and re.fullmatch(r"\d{7}", f["key"]):  # an area named by its TERC code
            f["terc"] = f["key"]
        f["commune"] = by_key[f["key"]].name or (commune_names([f["terc"]])[f["terc"]] if f["terc"] else f["key"])
    frame = communes_frame(out_p, finished, failures, by_key)
    files = write_merged(out_p, frame, failures, lang=cfg.map.lang, offline=cfg.map.offline)
    fail_df = pd.DataFrame([{k: f.get(k, "") for k in ("key", "terc", "commune", "exit_code", "message")}
                            for f in failures])
    timings["merge"] = time.perf_counter() - t0
    planned = [r["key"] for r in res if r["status"] == "ok"]
    skipped = [r["key"] for r in res if r["status"] == "skipped"]
    if db is not None:
        t0 = time.perf_counter()
        inputs = _inputs(areas_p, national)
        summary = {"command": "planner plan-many", "out_dir": str(out_p), "inputs": [str(i) for i in inputs],
                   "until": until, "config_hash": cfg_hash, "communes": len(by_key), "finished": len(finished),
                   "planned": len(planned), "skipped": len(skipped), "failed": len(failures),
                   "finished_keys": sorted(finished), "failed_keys": sorted(f["key"] for f in failures)}
        milestones = tuple(m.name for m in sorted(cfg.schedule.milestones, key=lambda m: (m.deadline, m.name)))
        db_label = _write_db(db, out_p, frame, fail_df, sorted(finished), summary, milestones, inputs)
        timings["database"] = time.perf_counter() - t0
    tasks = pd.DataFrame([{k: r.get(k) for k in ("key", "status", "seconds", "cpu_seconds", "peak_rss_mb", "pid")}
                          for r in res])
    return PlanManyResult(out_dir=out_p, communes=frame, planned=planned, skipped=skipped,
                          failed=[f["key"] for f in failures], failures=fail_df, files=files, dashboard=dashboard,
                          tasks=tasks, timings=timings, database=db_label)


def _run_units(client: Client, units: list[Unit], cfg: Config, opts: TaskOptions, manifest: Manifest,
               show: bool) -> list[dict[str, Any]]:
    """Submit one task per commune; record each finished one in the manifest as it completes."""
    from distributed import as_completed
    from tqdm import tqdm

    run = uuid.uuid4().hex[:8]
    futs = {client.submit(run_commune, u, cfg, opts, manifest.communes.get(u.key), key=f"commune-{u.key}-{run}",
                          pure=False): u for u in units}
    results: list[dict[str, Any]] = []
    last = time.monotonic()
    counts = {"ok": 0, "skipped": 0, "failed": 0}
    with tqdm(total=len(futs), desc="planning communes", unit="commune", disable=not show) as bar:
        for fut in as_completed(list(futs)):
            unit = futs[fut]
            try:
                r = fut.result()
            except Exception as exc:  # KilledWorker after repeated worker deaths, cancelled, ...
                r = _error_result(unit, exc)
            fut.release()
            if r["status"] == "ok":
                manifest.finished(unit.key, r["hash"], r["terc"])
            elif r["status"] == "failed":
                manifest.forget(unit.key)
                logger.warning("commune %s failed: %s", unit.key, r["message"].splitlines()[0])
            counts[r["status"]] += 1
            results.append(r)
            bar.set_postfix(counts, refresh=False)
            bar.update(1)
            if time.monotonic() - last > _SAVE_EVERY_S:
                manifest.save()
                last = time.monotonic()
    manifest.save()
    _log_warnings(results)
    return sorted(results, key=lambda r: r["key"])


def _log_warnings(results: list[dict[str, Any]]) -> None:
    """The communes' warnings, each distinct message once with the number of communes (first few named)."""
    seen: dict[str, list[str]] = {}
    for r in sorted(results, key=lambda r: r["key"]):
        for msg in dict.fromkeys(r.get("warnings") or []):
            seen.setdefault(msg, []).append(r["key"])
    for msg, keys in seen.items():
        names = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        logger.warning("%d commune(s) (%s): %s", len(keys), names, msg)
