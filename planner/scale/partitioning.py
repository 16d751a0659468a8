"""Partition national layers into one study area per commune, streaming, on the Dask cluster.

Three phases, each a set of Dask tasks:

1. **Address points** (and coverage with a TERC column) are read chunk by
   chunk (:mod:`planner.scale.sources`); each row goes to its commune by its
   TERC code (:func:`planner.scale.communes.commune_codes`) or, without one,
   by the commune polygon it lies in.  Each task writes one part file per
   commune it met and returns the convex hull of each commune's points.
2. **Spatial layers** (the OSM extract's roads, poles and POPs; poles, ducts,
   parcels, buildings given as files; coverage without TERC codes) go to
   every commune whose boundary grown by ``clip_buffer_m`` they touch --
   whole features, so a road that leaves the commune is kept to its next
   junction and routes may leave the commune where roads do.
3. **Materialise**: each commune's parts become a study-area directory
   ``areas/<TERC>/`` of layer files (``addresses.parquet``, ``roads.parquet``,
   ``coverage.csv`` ...), exactly what ``planner plan --area`` takes.

No task holds more than one chunk of a national layer; the part files live
in a work directory that is removed at the end.  Boundaries come from a
layer (``--boundaries``) or from the address points (hull grown by
``hull_buffer_m``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from planner._errors import InputDataError, Problem
from planner.output.files import write_parquet
from planner.scale.communes import commune_codes, commune_names, find_terc_column, read_boundaries
from planner.scale.sources import Chunk, plan_chunks, read_chunk, read_parquet_table, source_columns, source_kind
from planner.schema import WORKING_CRS

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["NationalInputs", "check_national", "partition_national", "SPATIAL_LAYERS"]

logger = logging.getLogger(__name__)

#: Layers that may be given as national files and are clipped spatially (with the buffer).
SPATIAL_LAYERS = ("roads", "poles", "ducts", "parcels", "buildings", "pops", "new_buildings", "as_built")
#: Layers an OSM extract provides per commune.
_OSM_LAYERS = ("roads", "poles", "pops", "buildings")


@dataclass(frozen=True)
class NationalInputs:
    """National or voivodeship layers to partition by commune.

    Attributes
    ----------
    addresses
        PRG address point files (GeoParquet, GeoPackage, SHP, ..., or PRG GML; one or more).
    osm
        An OpenStreetMap extract (``.osm.pbf``): roads, poles, POPs, buildings.
    coverage
        Coverage files (UKE inventory CSV, GeoParquet ...), split by their TERC
        column, else by location.
    boundaries
        Commune polygons with a TERC column; default: from the address points.
    layers
        Further schema layers as national files (``poles``, ``ducts``,
        ``parcels``, ``buildings``, ``pops``, ``roads``, ``new_buildings``);
        one given here replaces the OSM extract's.
    """

    addresses: tuple[Path, ...]
    osm: Path | None = None
    coverage: tuple[Path, ...] = ()
    boundaries: Path | None = None
    layers: Mapping[str, Path] = field(default_factory=dict)

    def files(self) -> dict[str, list[Path]]:
        """Layer -> its files (``osm`` and ``boundaries`` included)."""
        out: dict[str, list[Path]] = {"addresses": list(self.addresses)}
        if self.osm is not None:
            out["osm"] = [self.osm]
        if self.coverage:
            out["coverage"] = list(self.coverage)
        if self.boundaries is not None:
            out["boundaries"] = [self.boundaries]
        for name, p in sorted(self.layers.items()):
            out[name] = [p]
        return out


def check_national(inputs: NationalInputs) -> dict[str, str | None]:
    """Check the national inputs before anything is written.

    Returns
    -------
    dict
        Address file -> its TERC column (``None`` where it has none and the
        boundaries will place its points).

    Raises
    ------
    UsageError, InputFileNotFoundError, InputDataError
        Unknown layer names, missing or unreadable files, or address points
        without TERC codes and no boundaries to place them.
    """
    from planner._errors import UsageError

    if not inputs.addresses:
        raise UsageError("no address points given", [Problem(
            file="--addresses", message="plan-many on national layers needs the address points",
            fix="give --addresses FILE (PRG GeoParquet/GML/SHP), or --areas DIR of study areas")])
    for name in inputs.layers:
        if name not in SPATIAL_LAYERS:
            raise UsageError(f"layer {name!r} cannot be given as a national file", [Problem(
                file=str(inputs.layers[name]), message=f"{name!r} is not a spatially clipped layer",
                fix=f"use one of: {', '.join(SPATIAL_LAYERS)} (addresses: --addresses, coverage: --coverage)")])
    cols: dict[str, str | None] = {}
    problems = []
    for p in inputs.addresses:
        names = source_columns(p)
        cols[str(p)] = find_terc_column(names)
        if cols[str(p)] is None and inputs.boundaries is None:
            problems.append(Problem(file=str(p), message=f"the address points have no TERC column ({', '.join(names)})"
                                    " and no commune boundaries were given, so they cannot be split by commune",
                                    fix="give --boundaries FILE (commune polygons with a TERC column, e.g. PRG "
                                        "gminy) or add a 'terc' column to the address points"))
    for layer, paths in inputs.files().items():
        if layer != "addresses":
            for p in paths:
                source_columns(p)  # exists and readable
    problems += _coverage_problems(inputs.coverage)
    if problems:
        raise InputDataError("cannot split the national address points by commune", problems)
    return cols


def _coverage_formats(paths: tuple[Path, ...]) -> list[str | None]:
    from planner.io.uke import detect_coverage_format

    return [detect_coverage_format(p) if source_kind(p) == "csv" else None for p in paths]


def _coverage_problems(paths: tuple[Path, ...]) -> list[Problem]:
    """Coverage files that cannot be split: SIDUSIS (record-typed), plain CSV next to other files."""
    problems = []
    fmts = _coverage_formats(paths)
    for p, fmt in zip(paths, fmts):
        if fmt == "sidusis":
            problems.append(Problem(file=str(p), message="a SIDUSIS file (DI/PO/ZS records) cannot be split by commune",
                                    fix="give the UKE inventory 'usługi w adresach' CSV, or plan study areas "
                                        "(--areas) that carry their coverage"))
        elif source_kind(p) == "csv" and fmt is None and len(paths) > 1:
            problems.append(Problem(file=str(p), message="a plain CSV coverage file can only be the one coverage "
                                                         "input", fix="convert it to GeoParquet or give it alone"))
    return problems


# ---------------------------------------------------------------------------
# tasks (run on the workers)
# ---------------------------------------------------------------------------


def _part_path(parts: Path, layer: str, code: str, chunk: int, sub: int, suffix: str) -> Path:
    return parts / layer / code / f"{chunk:06d}-{sub:04d}{suffix}"


def _write_part(frame: pd.DataFrame, path: Path) -> None:
    if path.suffix == ".csv":
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    else:
        write_parquet(frame, path)


def _locate(points: gpd.GeoSeries, zones: gpd.GeoDataFrame) -> np.ndarray:
    """Commune code of each point: the polygon of ``zones`` it lies in ('' outside all)."""
    out = np.full(len(points), "", dtype=object)
    pts = points.to_crs(zones.crs).to_numpy()
    i, j = zones.sindex.query(pts, predicate="within")
    first = pd.Series(j, index=i).groupby(level=0).min()  # a point on a shared border: the first commune
    out[first.index.to_numpy()] = zones["terc"].to_numpy()[first.to_numpy()]
    return out


def _groups(codes: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """``(code, rows)`` of every non-empty code, rows in their original order."""
    ints, uniques = pd.factorize(codes)
    order = np.argsort(ints, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(ints[order]) != 0])
    for s, e in zip(starts, np.r_[starts[1:], len(order)]):
        code = str(uniques[ints[order[s]]])
        if code:
            yield code, order[s:e]


def _write_table(table: pa.Table, path: Path) -> None:
    """Write an Arrow table as Parquet atomically (its schema metadata, e.g. GeoParquet's, kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _geo_of_table(table: pa.Table) -> tuple[gpd.GeoSeries | None, dict[bytes, bytes]]:
    """The WKB geometry of a GeoParquet table and its metadata without the file-wide ``bbox``.

    The geometry is ``None`` for a table without one or in another encoding; the
    ``bbox`` is dropped because a part covers less than the file.
    """
    meta = dict(table.schema.metadata or {})
    if b"geo" not in meta:
        return None, meta
    geo = json.loads(meta[b"geo"])
    col = geo.get("primary_column", "geometry")
    spec = geo.get("columns", {}).get(col, {})
    for c in geo.get("columns", {}).values():
        c.pop("bbox", None)
    meta[b"geo"] = json.dumps(geo).encode()
    if spec.get("encoding", "WKB").upper() != "WKB" or col not in table.column_names:
        return None, meta
    crs = spec["crs"] if "crs" in spec else "OGC:CRS84"  # GeoParquet: no key means lon/lat
    wkb = np.asarray(table.column(col).to_numpy(zero_copy_only=False), dtype=object)
    return gpd.GeoSeries(shapely.from_wkb(wkb), crs=crs), meta


def _hull(points: np.ndarray) -> Any:
    pts = points[~shapely.is_missing(points)]
    return shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(pts))) if len(pts) else None


def partition_keyed(chunk: Chunk, layer: str, parts: str, zones: gpd.GeoDataFrame | None
                    ) -> dict[str, Any]:
    """Split one chunk of a layer keyed by TERC (addresses; coverage with a TERC column).

    Rows without a TERC code are placed by the commune polygon they lie in when
    ``zones`` are given.  GeoParquet chunks are split as Arrow tables (rows
    taken, not parsed into pandas).  Returns ``{"counts": {code: rows},
    "hulls": {code: WKB}, "dropped": rows with no commune}``; hulls are of the
    points in the working CRS.
    """
    counts: dict[str, int] = {}
    hulls: dict[str, list[Any]] = {}
    dropped = 0
    suffix = ".csv" if chunk.kind == "csv" else ".parquet"
    table: pa.Table | None = None
    if chunk.kind == "parquet":
        table = read_parquet_table(chunk)
        geoms, meta = _geo_of_table(table)
        frames: Iterator[Any] = iter([None])
    else:
        frames = read_chunk(chunk)
    for sub, frame in enumerate(frames):
        if table is not None:
            names = table.column_names
            col = find_terc_column(names)
            terc = table.column(col).to_pandas() if col is not None else None
        else:
            names = list(frame.columns)
            col = find_terc_column(names)
            terc = frame[col] if col is not None else None
            geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
        n = table.num_rows if table is not None else len(frame)
        codes = np.array(commune_codes(terc) if terc is not None else np.full(n, "", dtype=object), dtype=object)
        located = geoms if geoms is not None and geoms.crs is not None else None  # geometries with a CRS
        if zones is not None and located is not None and (codes == "").any():
            miss = codes == ""
            codes[miss] = _locate(located[miss], zones)
        dropped += int((codes == "").sum())
        pts = located.to_crs(WORKING_CRS).to_numpy() if located is not None else None
        for code, rows in _groups(codes):
            path = _part_path(Path(parts), layer, code, chunk.index, sub, suffix)
            if table is not None:
                _write_table(table.take(pa.array(rows)).replace_schema_metadata(meta), path)
            else:
                _write_part(frame.iloc[rows], path)
            counts[code] = counts.get(code, 0) + len(rows)
            hull = _hull(pts[rows]) if pts is not None else None
            if hull is not None:
                hulls.setdefault(code, []).append(hull)
    return {"counts": counts, "dropped": dropped,
            "hulls": {c: shapely.to_wkb(shapely.convex_hull(shapely.union_all(h))) for c, h in hulls.items()}}


def partition_spatial(chunk: Chunk, layer: str, parts: str, zones: gpd.GeoDataFrame) -> dict[str, int]:
    """Split one chunk of a spatial layer: each feature to every commune zone it touches.

    ``layer`` ``"osm"`` takes an OSM extract's feature table.  Returns
    ``{code: features}``.

    Raises
    ------
    InputDataError
        The layer has no CRS.
    """
    counts: dict[str, int] = {}
    for sub, frame in enumerate(read_chunk(chunk)):
        if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
            raise InputDataError(f"{chunk.path}: no geometry or no CRS", [Problem(
                file=chunk.path, message="a national layer split by location needs geometries and a CRS",
                fix="store the CRS in the file (or give a TERC column for coverage)")])
        geoms = frame.geometry.to_crs(zones.crs).to_numpy()
        i, j = zones.sindex.query(geoms, predicate="intersects")
        order = np.lexsort((i, j))
        i, j = i[order], j[order]
        for z in np.unique(j):
            rows = i[j == z]
            code = str(zones["terc"].iat[int(z)])
            _write_part(frame.iloc[rows], _part_path(Path(parts), layer, code, chunk.index, sub, ".parquet"))
            counts[code] = counts.get(code, 0) + len(rows)
    return counts


def _read_parts(files: list[Path]) -> pd.DataFrame:
    frames = [gpd.read_parquet(f) if _is_geo(f) else pd.read_parquet(f) for f in files]
    crss = {str(f.crs) for f in frames if isinstance(f, gpd.GeoDataFrame)}
    if len(crss) > 1:  # files of one layer in several CRSs (e.g. per-voivodeship exports)
        frames = [f.to_crs(WORKING_CRS) if isinstance(f, gpd.GeoDataFrame) else f for f in frames]
    out = pd.concat(frames, ignore_index=True)
    if isinstance(frames[0], gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry=frames[0].geometry.name, crs=frames[0].crs)
    return out


def _is_geo(path: Path) -> bool:
    import pyarrow.parquet as pq

    return b"geo" in (pq.read_schema(path).metadata or {})


def _concat_csv(files: list[Path], out_path: Path) -> None:
    """CSV parts of one layer as one file (the header once)."""
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        for k, f in enumerate(files):
            text = f.read_text(encoding="utf-8")
            out.write(text if k == 0 else text.split("\n", 1)[1])


def materialize(code: str, parts: str, areas: str, osm_layers: tuple[str, ...],
                uke_operators: dict[str, str] | None = None) -> dict[str, Any]:
    """Write the study area of one commune from its parts: ``areas/<code>/<layer>.parquet|.csv``.

    Parameters
    ----------
    code
        Commune TERC code.
    parts
        Work directory of the parts.
    areas
        Directory of the study areas.
    osm_layers
        Layers taken from the OSM extract's features (the others come from files).
    uke_operators
        Part directory -> operator of each UKE inventory file: its rows are read
        by :func:`planner.io.read_uke_services` with the operator the file names
        (as ``planner plan`` names it: the file's stem), and go to the
        ``coverage`` layer with any other coverage.

    Returns
    -------
    dict
        ``{"terc": code, "layers": {layer: rows}}``.
    """
    from planner.io import read_uke_services
    from planner.io.osm import layers_from_features

    uke_operators = uke_operators or {}
    coverage: list[gpd.GeoDataFrame] = []
    src = Path(parts)
    dst = Path(areas) / code
    tmp = Path(areas) / f".{code}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows: dict[str, int] = {}
    for layer_dir in sorted(p for p in src.iterdir() if p.is_dir()):
        files = sorted((layer_dir / code).glob("*")) if (layer_dir / code).is_dir() else []
        files = [f for f in files if not f.name.startswith(".")]
        if not files:
            continue
        layer = layer_dir.name
        if layer in uke_operators:
            joined = tmp / f".{layer}.csv"
            _concat_csv(files, joined)
            coverage.append(read_uke_services(joined, operator=uke_operators[layer]).to_crs(WORKING_CRS))
            joined.unlink()
            continue
        if files[0].suffix == ".csv":
            _concat_csv(files, tmp / f"{layer}.csv")
            rows[layer] = sum(1 for _ in open(tmp / f"{layer}.csv", encoding="utf-8")) - 1
            continue
        frame = _read_parts(files)
        if layer == "osm":
            for name, gdf in layers_from_features(frame, WORKING_CRS).items():
                if name in osm_layers and len(gdf):
                    write_parquet(gdf, tmp / f"{name}.parquet")
                    rows[name] = len(gdf)
        elif layer == "coverage" and uke_operators:
            coverage.append(frame.to_crs(WORKING_CRS) if isinstance(frame, gpd.GeoDataFrame) else frame)
        else:
            write_parquet(frame, tmp / f"{layer}.parquet")
            rows[layer] = len(frame)
    if coverage:
        cov = gpd.GeoDataFrame(pd.concat(coverage, ignore_index=True), geometry="geometry", crs=WORKING_CRS)
        write_parquet(cov, tmp / "coverage.parquet")
        rows["coverage"] = len(cov)
    if dst.exists():
        shutil.rmtree(dst)
    tmp.rename(dst)
    return {"terc": code, "layers": rows}


# ---------------------------------------------------------------------------
# the whole partitioning (client side)
# ---------------------------------------------------------------------------


def _gather(client: Client, futures: list[Any], what: str, progress: bool) -> list[Any]:
    from distributed import as_completed
    from tqdm import tqdm

    out: dict[Any, Any] = {}
    with tqdm(total=len(futures), desc=what, unit="task", disable=not progress) as bar:
        for fut in as_completed(futures):
            out[fut.key] = fut.result()
            bar.update(1)
    return [out[f.key] for f in futures]


def partition_national(client: Client, inputs: NationalInputs, work: Path, areas: Path, *, chunk_rows: int,
                       clip_buffer_m: float, hull_buffer_m: float, progress: bool = True,
                       timings: dict[str, float] | None = None) -> gpd.GeoDataFrame:
    """Partition the national layers into ``areas/<TERC>/`` study areas, on the cluster.

    Parameters
    ----------
    client
        Dask client.
    inputs
        The national layers.
    work
        Work directory for the parts (removed at the end).
    areas
        Directory of the study areas (replaced commune by commune).
    chunk_rows
        Rows per partitioning task.
    clip_buffer_m
        Spatial layers within this distance of a commune are kept with it.
    hull_buffer_m
        Buffer of a boundary derived from address points.
    progress
        Show progress bars.
    timings
        Filled with the seconds of each phase: ``keyed`` (read and split the
        address points), ``spatial`` (clip the other layers), ``areas`` (write
        the study areas).

    Returns
    -------
    geopandas.GeoDataFrame
        The communes: ``terc``, ``name``, ``boundary_source`` (``layer`` or
        ``addresses``), ``addresses`` (points), polygon.

    Raises
    ------
    InputDataError
        No address point could be given a commune.
    """
    timings = timings if timings is not None else {}
    t0 = time.perf_counter()
    shutil.rmtree(work, ignore_errors=True)
    (work / "parts").mkdir(parents=True)
    parts = str(work / "parts")
    layer_zones = read_boundaries(inputs.boundaries) if inputs.boundaries is not None else None
    zones_f = client.scatter(layer_zones, broadcast=True) if layer_zones is not None else None

    # 1. keyed layers: addresses, coverage with TERC
    keyed = plan_chunks(list(inputs.addresses), chunk_rows)
    futs = [client.submit(partition_keyed, c, "addresses", parts, zones_f, pure=False) for c in keyed]
    cov_keyed = [p for p in inputs.coverage if find_terc_column(source_columns(p)) is not None]
    cov_spatial = [p for p in inputs.coverage if p not in cov_keyed]
    uke_operators: dict[str, str] = {}
    cov_chunks: list[Chunk] = []
    for p, fmt in zip(cov_keyed, _coverage_formats(tuple(cov_keyed))):
        layer = f"uke-{len(uke_operators)}" if fmt == "uke_services" else "coverage"
        if fmt == "uke_services":
            uke_operators[layer] = p.stem  # the operator planner.io names a UKE file by
        chunks = plan_chunks([p], chunk_rows, first_index=len(keyed) + len(cov_chunks))
        cov_chunks += chunks
        futs += [client.submit(partition_keyed, c, layer, parts, zones_f, pure=False) for c in chunks]
    results = _gather(client, futs, "partitioning address points", progress)
    addr = results[:len(keyed)]
    counts: dict[str, int] = {}
    hulls: dict[str, list[Any]] = {}
    for r in addr:
        for c, n in r["counts"].items():
            counts[c] = counts.get(c, 0) + n
        for c, h in r["hulls"].items():
            hulls.setdefault(c, []).append(shapely.from_wkb(h))
    dropped = sum(r["dropped"] for r in addr)
    if not counts:
        raise InputDataError("no address point could be given a commune", [Problem(
            file=", ".join(str(p) for p in inputs.addresses), message="every TERC code is empty and no point lies "
                                                                       "in a commune boundary",
            fix="fill the TERC column or give --boundaries covering the points")])
    if dropped:
        logger.warning("%d address points have no TERC code and lie in no commune boundary; left out", dropped)

    timings["keyed"] = time.perf_counter() - t0
    t0 = time.perf_counter()

    # 2. boundaries and zones (boundary grown by the clip buffer)
    codes = sorted(counts)
    if layer_zones is not None:
        bnd = layer_zones[layer_zones["terc"].isin(codes)].copy()
        missing = sorted(set(codes) - set(bnd["terc"]))
        extra = gpd.GeoDataFrame({"terc": missing, "name": pd.Series(commune_names(missing)).reindex(missing).values},
                                 geometry=[shapely.union_all(hulls[c]).buffer(hull_buffer_m) for c in missing],
                                 crs=WORKING_CRS)
        bnd = pd.concat([bnd.assign(boundary_source="layer"), extra.assign(boundary_source="addresses")],
                        ignore_index=True)
    else:
        names = commune_names(codes)
        bnd = gpd.GeoDataFrame({"terc": codes, "name": [names[c] for c in codes], "boundary_source": "addresses"},
                               geometry=[shapely.convex_hull(shapely.union_all(hulls[c])).buffer(hull_buffer_m)
                                         for c in codes], crs=WORKING_CRS)
    bnd = gpd.GeoDataFrame(bnd, geometry="geometry", crs=WORKING_CRS).sort_values("terc").reset_index(drop=True)
    bnd["addresses"] = bnd["terc"].map(counts).fillna(0).astype("int64")
    zones = gpd.GeoDataFrame({"terc": bnd["terc"]}, geometry=bnd.buffer(clip_buffer_m), crs=WORKING_CRS)

    # 3. spatial layers
    zf = client.scatter(zones, broadcast=True)
    jobs: list[tuple[Chunk, str]] = []
    k = len(keyed) + len(cov_chunks)
    if inputs.osm is not None:
        jobs += [(c, "osm") for c in plan_chunks([inputs.osm], chunk_rows, first_index=k)]
        k += 1
    for layer, p in sorted(inputs.layers.items()):
        chunks = plan_chunks([p], chunk_rows, first_index=k)
        k += len(chunks)
        jobs += [(c, layer) for c in chunks]
    chunks = plan_chunks(cov_spatial, chunk_rows, first_index=k)
    jobs += [(c, "coverage") for c in chunks]
    futs = [client.submit(partition_spatial, c, layer, parts, zf, pure=False) for c, layer in jobs]
    _gather(client, futs, "clipping layers by commune", progress)
    timings["spatial"] = time.perf_counter() - t0
    t0 = time.perf_counter()

    # 4. one study area per commune
    osm_layers = tuple(n for n in _OSM_LAYERS if n not in inputs.layers)
    areas.mkdir(parents=True, exist_ok=True)
    futs = [client.submit(materialize, c, parts, str(areas), osm_layers, uke_operators, pure=False) for c in codes]
    _gather(client, futs, "writing commune study areas", progress)
    for stale in sorted(p for p in areas.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if stale.name not in counts:
            shutil.rmtree(stale)
    shutil.rmtree(work, ignore_errors=True)
    timings["areas"] = time.perf_counter() - t0
    logger.info("partitioned %d address points into %d communes", sum(counts.values()), len(codes))
    return bnd
