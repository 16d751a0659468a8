"""Layer files: readers (GeoPackage, GeoParquet, CSV, GeoJSON, SHP, PRG GML) and atomic writers.

Readers
-------
:func:`read_layer` reads one layer of any supported file, maps it onto the
schema, reprojects it to the working CRS and validates it
(:func:`planner._validate.validate_layer`).  :func:`read_raw` stops before
validation (used by :func:`planner.io.load_area`, which validates all layers
against one study-area bound).

CSV layers carry their geometry either as a WKT column (``geometry``, ``wkt``,
``geom``; EWKT ``SRID=2180;POINT (…)`` accepted) or as coordinate columns:
``lon``/``lat``, ``longitude``/``latitude``, ``lng``/``lat`` (EPSG:4326 unless
stated otherwise), ``x``/``y`` or ``easting``/``northing`` (CRS required).  The
CRS of a CSV comes from a ``crs`` column (one value, e.g. ``EPSG:2180``), a
sidecar ``<file>.prj``, an EWKT SRID, else EPSG:4326 for lon/lat and none for
x/y or WKT (then ``assume_crs`` or an error).  Columns are read as text so TERYT
codes keep their leading zeros.

Writers
-------
Every writer writes to a temporary file in the target directory and renames it
into place (:func:`os.replace`), so a failure never leaves a partial file.
:func:`staged_output_dir` does the same for a whole output directory.  Outputs
are deterministic: CSV with a fixed float format and ``\\n`` line ends,
GeoPackages with a fixed GDAL timestamp (``OGR_CURRENT_DATE``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow
import pyogrio
import shapely
from pyproj import CRS

from planner._errors import InputDataError, InputFileNotFoundError, Problem, UsageError
from planner._validate import Bounds, as_text, log_warnings, parse_numbers, raise_for_problems, validate_layer
from planner.schema import LAYERS, WORKING_CRS

__all__ = [
    "LAYER_SUFFIXES",
    "read_layer",
    "read_raw",
    "list_layers",
    "read_metadata",
    "table_to_geodataframe",
    "read_csv_text",
    "write_gpkg",
    "write_csv",
    "write_text",
    "write_bytes",
    "write_parquet",
    "staged_output_dir",
    "OUTPUT_MARKER",
]

logger = logging.getLogger(__name__)

#: File suffixes recognised for one-file-per-layer directories, in order of preference.
LAYER_SUFFIXES: tuple[str, ...] = (".gpkg", ".parquet", ".geoparquet", ".csv", ".geojson", ".json",
                                   ".gml", ".xml", ".shp")

#: Name of the marker file :func:`staged_output_dir` leaves in every output
#: directory; only directories carrying it (or empty ones) are replaced.
OUTPUT_MARKER = ".planner-output"

# Fixed GDAL timestamp so that GeoPackages are byte-identical between runs.
_GPKG_TIMESTAMP = "2000-01-01T00:00:00.000Z"

_WKT_COLUMNS = ("geometry", "wkt", "geom", "the_geom", "wkt_geom", "geometria")
_XY_PAIRS: tuple[tuple[str, str, str | None], ...] = (
    # (x column, y column, default CRS)
    ("lon", "lat", "EPSG:4326"),
    ("longitude", "latitude", "EPSG:4326"),
    ("lng", "lat", "EPSG:4326"),
    ("long", "lat", "EPSG:4326"),
    ("dlugosc", "szerokosc", "EPSG:4326"),
    ("x", "y", None),
    ("easting", "northing", None),
)
_CRS_COLUMNS = ("crs", "srid", "epsg")


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def _missing_file(path: Path) -> InputFileNotFoundError:
    return InputFileNotFoundError(f"input not found: {path}",
                                  [Problem(file=str(path), message="no such file or directory",
                                           fix="check the path (relative paths start in the current directory)")])


def list_layers(path: str | Path) -> list[str]:
    """Layer (table) names of a GeoPackage or other multi-layer file.

    Raises
    ------
    InputDataError
        If the file cannot be opened as a vector data source.
    """
    try:
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputDataError(f"cannot read {path}", [Problem(
            file=str(path), message=f"not a readable GeoPackage/vector file: {exc}",
            fix="check that the file is complete and really in the format its suffix says "
                "(e.g. re-export it from QGIS)")]) from exc


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata`` key/value table of a GeoPackage (empty dict if absent)."""
    if "metadata" not in list_layers(path):
        return {}
    df = pyogrio.read_dataframe(path, layer="metadata", read_geometry=False)
    if not {"key", "value"} <= set(df.columns):
        return {}
    return {str(k): str(v) for k, v in zip(df["key"], df["value"])}


def _crs_from_text(text: str, source: str, problems: list[Problem]) -> CRS | None:
    try:
        return CRS.from_user_input(text.strip())
    except Exception:  # pyproj.exceptions.CRSError and friends
        problems.append(Problem(file=source, message=f"cannot understand the CRS {text.strip()[:60]!r}",
                                fix="give the CRS as e.g. EPSG:2180"))
        return None


def _sniff_sep(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace") as fh:
        head = fh.readline()
    counts = {sep: head.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda k: (counts[k], k == ","))


def read_csv_text(path: str | Path, *, sep: str | None = None, **kwargs) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a CSV with every cell as text (``""`` for empty), tolerant of Polish exports.

    The separator (``,``, ``;`` or tab) is taken from the header line unless
    given.  Files that are not UTF-8 are read as Windows-1250 (Polish Excel
    exports) with a warning.

    Parameters
    ----------
    path
        CSV file.
    sep
        Field separator; sniffed when ``None``.
    **kwargs
        Passed to :func:`pandas.read_csv` (e.g. ``header=None``).

    Returns
    -------
    df : pandas.DataFrame
    warnings : list of Problem
    """
    path = Path(path)
    warnings: list[Problem] = []
    opts = {"dtype": str, "keep_default_na": False, **kwargs}
    try:
        df = pd.read_csv(path, sep=sep or _sniff_sep(path, "utf-8-sig"), encoding="utf-8-sig", **opts)
    except UnicodeDecodeError:
        df = pd.read_csv(path, sep=sep or _sniff_sep(path, "cp1250"), encoding="cp1250", **opts)
        warnings.append(Problem(file=str(path), message="the file is not UTF-8; read as Windows-1250 (cp1250)",
                                fix="save the CSV as UTF-8 to silence this"))
    return df, warnings


def table_to_geodataframe(df: pd.DataFrame, *, source: str, path: Path | None = None
                          ) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Build the geometry of a plain table (CSV/Parquet) from WKT or coordinate columns.

    Parameters
    ----------
    df
        The table, ideally with text columns.
    source
        File name for messages.
    path
        The file, to look for a ``.prj`` sidecar.

    Returns
    -------
    gdf : geopandas.GeoDataFrame
        The table without the consumed geometry/coordinate/CRS columns, with a
        geometry column (``None`` where the row has no coordinates) and the CRS
        found (``None`` when the table does not say).
    problems : list of Problem
        Unparseable WKT or coordinates, conflicting CRS statements.
    """
    problems: list[Problem] = []
    lower = {str(c).strip().lower(): c for c in df.columns}
    crs: CRS | None = None
    # CRS statements: crs column, .prj sidecar
    for name in _CRS_COLUMNS:
        if name in lower:
            vals = sorted({str(v).strip() for v in df[lower[name]] if str(v).strip() and str(v) != "nan"})
            if len(vals) > 1:
                problems.append(Problem(file=source, message=f"column '{lower[name]}' holds several CRSs {vals[:3]}",
                                        fix="split the file by CRS or reproject it to one CRS"))
            elif vals:
                v = vals[0]
                crs = _crs_from_text(f"EPSG:{v}" if v.isdigit() else v, source, problems)
            df = df.drop(columns=[lower[name]])
            break
    if crs is None and path is not None:
        for prj in (path.with_suffix(".prj"), path.with_name(path.name + ".prj")):
            if prj.is_file():
                crs = _crs_from_text(prj.read_text(encoding="utf-8", errors="replace"), source, problems)
                break

    lower = {str(c).strip().lower(): c for c in df.columns}
    wkt_col = next((lower[c] for c in _WKT_COLUMNS if c in lower), None)
    if wkt_col is not None:
        text = as_text(df[wkt_col])
        srid = text.str.extract(r"^\s*SRID=(\d+)\s*;", flags=re.IGNORECASE)[0]
        text = text.str.replace(r"^\s*SRID=\d+\s*;", "", regex=True, flags=re.IGNORECASE)
        srids = sorted(set(srid.dropna()))
        if srids:
            if len(srids) > 1:
                problems.append(Problem(file=source, message=f"several SRIDs in column '{wkt_col}': {srids[:3]}",
                                        fix="reproject all rows to one CRS"))
            elif crs is None:
                crs = CRS.from_epsg(int(srids[0]))
        arr = text.to_numpy(dtype=object)
        has = arr != ""
        geoms = np.full(len(arr), None, dtype=object)
        if has.any():
            geoms[has] = shapely.from_wkt(arr[has], on_invalid="ignore")
        bad = has & shapely.is_missing(geoms)
        if bad.any():
            rows = np.flatnonzero(bad)
            shown = ", ".join(str(r) for r in rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
            problems.append(Problem(file=source, row=shown,
                                    message=f"cannot parse the WKT geometry {arr[rows[0]][:60]!r} "
                                            f"in column '{wkt_col}'",
                                    fix="write geometries as WKT, e.g. POINT (640340 518062)"))
        gdf = gpd.GeoDataFrame(df.drop(columns=[wkt_col]), geometry=gpd.GeoSeries(geoms, index=df.index), crs=crs)
        return gdf, problems

    for xn, yn, default in _XY_PAIRS:
        if xn in lower and yn in lower:
            xs, bad_x = parse_numbers(df[lower[xn]])
            ys, bad_y = parse_numbers(df[lower[yn]])
            bad = bad_x | bad_y
            if bad.any():
                rows = np.flatnonzero(bad)
                shown = ", ".join(str(r) for r in rows[:5]) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
                r0 = rows[0]
                problems.append(Problem(file=source, row=shown,
                                        message=f"cannot read coordinates {df[lower[xn]].iloc[r0]!r}, "
                                                f"{df[lower[yn]].iloc[r0]!r} (columns '{lower[xn]}', '{lower[yn]}')",
                                        fix="write coordinates as plain numbers with a decimal point"))
            ok = np.isfinite(xs) & np.isfinite(ys)
            geoms = np.full(len(df), None, dtype=object)
            if ok.any():
                geoms[ok] = gpd.points_from_xy(xs[ok], ys[ok])
            if crs is None and default is not None:
                crs = CRS.from_user_input(default)
            gdf = gpd.GeoDataFrame(df.drop(columns=[lower[xn], lower[yn]]),
                                   geometry=gpd.GeoSeries(geoms, index=df.index), crs=crs)
            return gdf, problems
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df), index=df.index), crs=crs)
    return gdf, problems


def _pick_layer(path: Path, layer_name: str, layer: str | None) -> str | None:
    """Layer of a multi-layer file to read for ``layer_name`` (None: the only layer)."""
    names = list_layers(path)
    if layer is not None:
        if layer not in names:
            raise InputDataError(f"{path}: no layer {layer!r}", [Problem(
                file=str(path), message=f"layer {layer!r} not found (layers: {', '.join(names)})",
                fix="give one of the layers listed")])
        return layer
    if layer_name in names:
        return layer_name
    data_layers = [n for n in names if n != "metadata"]
    if len(data_layers) == 1:
        return data_layers[0]
    raise InputDataError(f"{path}: no layer named {layer_name!r}", [Problem(
        file=str(path), message=f"layer {layer_name!r} not found (layers: {', '.join(names)})",
        fix=f"rename the layer to {layer_name!r} or name the layer to read")])


def read_raw(
    path: str | Path,
    layer_name: str,
    *,
    layer: str | None = None,
    assume_crs: str | None = None,
    operator: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]:
    """Read one layer from a file, mapped onto the schema but not validated.

    Parameters
    ----------
    path
        File: ``.gpkg``, ``.parquet``/``.geoparquet``, ``.csv``, ``.geojson``,
        ``.shp``, ``.gml``/``.xml`` (PRG addresses, else OGR's GML reader).
        Coverage files in the UKE ``uslugi_wadresach`` or SIDUSIS format and
        PRG SHP tables are recognised by their content.
    layer_name
        Schema layer it is read as (``"addresses"``, ``"roads"``, ...).
    layer
        Layer inside a multi-layer file; default ``layer_name``, or the only layer.
    assume_crs
        CRS given to data without one (a :class:`~planner._errors.CRSWarning`-style
        warning problem is returned).
    operator
        Operator name for UKE coverage files.

    Returns
    -------
    gdf : geopandas.GeoDataFrame
        In the file's CRS (``None`` if unknown and no ``assume_crs``).
    problems, warnings : list of Problem
    """
    from planner.io import prg, uke

    path = Path(path)
    source = str(path)
    if not path.exists():
        raise _missing_file(path)
    if layer_name not in LAYERS:
        raise UsageError(f"unknown layer {layer_name!r}", [Problem(
            file=source, message=f"{layer_name!r} is not a layer of the study area",
            fix=f"use one of: {', '.join(LAYERS)}")])
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    try:
        if layer_name == "coverage" and (fmt := uke.detect_coverage_format(path)) is not None:
            reader = uke._uke_services if fmt == "uke_services" else uke._sidusis
            gdf, errs, warns = reader(path, operator)
            problems += errs
            warnings += warns
        elif suffix in (".gml", ".xml") and layer_name in ("addresses", "new_buildings") and _is_prg_gml(path):
            gdf = prg.read_prg(path)
        elif suffix == ".gpkg":
            lyr = _pick_layer(path, layer_name, layer)
            gdf = gpd.read_file(path, layer=lyr, engine="pyogrio", use_arrow=True)
        elif suffix in (".parquet", ".geoparquet"):
            try:
                gdf = gpd.read_parquet(path)
            except ValueError:  # plain Parquet without geo metadata
                gdf, p = table_to_geodataframe(pd.read_parquet(path), source=source, path=path)
                problems += p
        elif suffix in (".csv", ".txt", ".tsv"):
            table, warns = read_csv_text(path)
            warnings += warns
            gdf, p = table_to_geodataframe(table, source=source, path=path)
            problems += p
        else:
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
        if not isinstance(gdf, gpd.GeoDataFrame):  # attribute-only table (e.g. a GPKG table)
            gdf, p = table_to_geodataframe(pd.DataFrame(gdf), source=source, path=None)
            problems += p
        if layer_name in ("addresses", "new_buildings") and prg.is_prg_table(gdf.columns):
            gdf = prg.prg_table_to_schema(gdf, source)
    except InputDataError as exc:
        problems += exc.problems or [Problem(file=source, message=str(exc))]
        return gpd.GeoDataFrame(geometry=[], crs=None), problems, warnings
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, UnicodeDecodeError,
            pd.errors.ParserError, pd.errors.EmptyDataError, pyarrow.ArrowException) as exc:
        problems.append(Problem(file=source, message=f"cannot read the file: {exc}",
                                fix=f"give a readable {', '.join(LAYER_SUFFIXES)} file (CSV in UTF-8)"))
        return gpd.GeoDataFrame(geometry=[], crs=None), problems, warnings

    if gdf.crs is None and assume_crs and gdf.geometry.notna().any():
        gdf = gdf.set_crs(assume_crs)
        warnings.append(Problem(file=source, layer=layer,
                                message=f"layer '{layer_name}' has no CRS; assumed {assume_crs} (--assume-crs)",
                                fix="store the CRS in the file to silence this"))
    return gdf, problems, warnings


def _is_prg_gml(path: Path) -> bool:
    from planner.io.prg import NS_2012

    with open(path, "rb") as fh:
        head = fh.read(8192).decode("utf-8", errors="replace")
    return NS_2012 in head or "/prgad/" in head


def read_layer(
    path: str | Path,
    layer_name: str,
    *,
    layer: str | None = None,
    crs: str = WORKING_CRS,
    assume_crs: str | None = None,
    bounds: Bounds | None = None,
    operator: str | None = None,
) -> gpd.GeoDataFrame:
    """Read, map, reproject and validate one layer.

    Parameters
    ----------
    path
        Layer file (see :func:`read_raw` for the formats).
    layer_name
        Schema layer (:data:`planner.schema.LAYERS`).
    layer
        Layer inside a multi-layer file.
    crs
        Working CRS to reproject to (``always_xy``).
    assume_crs
        CRS for data that carry none; without it such data is an error.
    bounds
        Study-area bounds in ``crs`` for the coordinate / axis-swap check
        (``None``: Poland's extent for EPSG:2180, otherwise no check).
    operator
        Operator name for UKE coverage files.

    Returns
    -------
    geopandas.GeoDataFrame
        The validated layer (schema columns and dtypes, ``crs``).

    Raises
    ------
    InputDataError
        All problems of the file at once.
    InputFileNotFoundError
        The file does not exist.

    Examples
    --------
    >>> from planner import datasets
    >>> g = read_layer(datasets.get_path("prg2012"), "addresses")
    >>> g.crs.to_epsg(), len(g)
    (2180, 2)
    """
    gdf, problems, warnings = read_raw(path, layer_name, layer=layer, assume_crs=assume_crs, operator=operator)
    if not problems:
        gdf, problems, more = validate_layer(gdf, layer_name, source=str(path), bounds=bounds, crs=crs, layer=layer)
        warnings += more
    log_warnings(warnings)
    raise_for_problems(problems, f"{path} ({layer_name})")
    return gdf


# ---------------------------------------------------------------------------
# atomic writers
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def _atomic_target(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: it creates 0600 files, and outputs are meant to be shared.  O_EXCL
    # with mode 0666 gives a unique file with the usual permissions (0666 & ~umask).
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp{path.suffix}"
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for side in (Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
            side.unlink(missing_ok=True)
        raise


def write_text(text: str, path: str | Path, *, encoding: str = "utf-8") -> Path:
    """Write text atomically with ``\\n`` line ends.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with _atomic_target(path) as tmp:
        with open(tmp, "w", encoding=encoding, newline="\n") as fh:
            fh.write(text)
    return path


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write bytes atomically."""
    path = Path(path)
    with _atomic_target(path) as tmp:
        tmp.write_bytes(data)
    return path


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Geometry as WKT (3 decimals in projected CRSs, 7 in degrees)."""
    if not isinstance(df, gpd.GeoDataFrame) or df.active_geometry_name is None:
        return pd.DataFrame(df)
    geo = df.geometry
    precision = 7 if (geo.crs is not None and geo.crs.is_geographic) else 3
    out = pd.DataFrame(df.drop(columns=[geo.name]))
    arr = np.asarray(geo.values, dtype=object)
    wkt = np.full(len(arr), "", dtype=object)
    has = ~shapely.is_missing(arr)
    if has.any():
        wkt[has] = shapely.to_wkt(arr[has], rounding_precision=precision, trim=True)
    out[geo.name] = wkt
    return out


def write_csv(
    df: pd.DataFrame,
    path: str | Path,
    *,
    sort_by: str | list[str] | None = None,
    float_format: str = "%.3f",
) -> Path:
    """Write a table as CSV atomically and deterministically.

    Parameters
    ----------
    df
        Table; a GeoDataFrame's geometry is written as WKT (3 decimals in a
        projected CRS, 7 in degrees).
    path
        Target file.
    sort_by
        Column(s) to sort the rows by first (stable sort); ``None`` keeps the order.
    float_format
        printf format of floats (default 3 decimals: millimetres, grosze + 1).

    Returns
    -------
    Path
        ``path``.
    """
    out = _csv_frame(df)
    if sort_by is not None:
        out = out.sort_values(sort_by, kind="mergesort")
    path = Path(path)
    with _atomic_target(path) as tmp:
        out.to_csv(tmp, index=False, float_format=float_format, lineterminator="\n", encoding="utf-8")
    return path


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a (Geo)DataFrame as (Geo)Parquet atomically (no index)."""
    path = Path(path)
    with _atomic_target(path) as tmp:
        df.to_parquet(tmp, index=False)
    return path


@contextlib.contextmanager
def _fixed_gdal_timestamp() -> Iterator[None]:
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_TIMESTAMP})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _gpkg_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL can store: object columns of non-scalars become text."""
    out = df.copy()
    geom = out.active_geometry_name if isinstance(out, gpd.GeoDataFrame) else None
    for c in out.columns:
        if c == geom or out[c].dtype != object:
            continue
        vals = out[c]
        if vals.map(lambda v: isinstance(v, (list, tuple, dict, set))).any():
            out[c] = vals.map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, set)) else
                              ("" if v is None else str(v)))
    return out


def write_gpkg(layers: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write layers into one GeoPackage atomically and byte-reproducibly.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame (or DataFrame for an attribute table), written
        in the dict's order.
    path
        Target ``.gpkg``; replaced as a whole.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with _atomic_target(path) as tmp:
        tmp.unlink()  # GDAL must create the file itself
        with _fixed_gdal_timestamp():
            for name, df in layers.items():
                df = _gpkg_ready(df)
                if isinstance(df, gpd.GeoDataFrame) and df.active_geometry_name is not None:
                    geo = df.geometry
                    geometry_type = None
                    if geo.isna().all():
                        geometry_type = "Unknown"
                    pyogrio.write_dataframe(df, tmp, layer=name, driver="GPKG", geometry_type=geometry_type)
                else:
                    pyogrio.write_dataframe(pd.DataFrame(df), tmp, layer=name, driver="GPKG")
    return path


def _is_within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


@contextlib.contextmanager
def staged_output_dir(out_dir: str | Path, *, inputs: Iterable[str | Path] | None = None) -> Iterator[Path]:
    """Write an output directory as a whole: all of it or nothing.

    Yields a temporary sibling directory; when the ``with`` block succeeds it
    replaces ``out_dir`` (an old ``out_dir`` is moved aside first and deleted
    only after the new one is in place).  When the block raises, the
    temporary directory is removed and ``out_dir`` is left untouched.

    Parameters
    ----------
    out_dir
        Output directory.  It may not exist yet, be empty, or be an earlier
        output of the planner (it carries the :data:`OUTPUT_MARKER` file);
        any other non-empty directory is refused so that nothing of the user's
        is deleted.
    inputs
        Input files or directories; writing into a directory that holds one of
        them (or is one of them) is refused.

    Yields
    ------
    Path
        The staging directory to write into.

    Raises
    ------
    UsageError
        ``out_dir`` is a file, holds an input, or is a non-empty directory the
        planner did not write.
    """
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"output path {out} is a file", [Problem(
            file=str(out), message="the output path exists and is not a directory",
            fix="give a directory path with --out")])
    for inp in inputs or ():
        p = Path(inp).resolve()
        if _is_within(p, out):
            raise UsageError(f"refusing to write into {out}: it holds the input {p}", [Problem(
                file=str(out), message=f"the output directory contains the input {p}; writing there could "
                                       "overwrite or delete it",
                fix="choose another --out directory")])
    if out.is_dir() and any(out.iterdir()) and not (out / OUTPUT_MARKER).exists():
        raise UsageError(f"refusing to replace {out}: not an output directory of the planner", [Problem(
            file=str(out), message="the output directory is not empty and was not written by the planner",
            fix="choose a new or empty --out directory, or delete this one")])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield tmp
        (tmp / OUTPUT_MARKER).write_text("written by planner; this directory is replaced as a whole on each run\n",
                                         encoding="utf-8")
        os.chmod(tmp, 0o755)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old: Path | None = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    logger.info("outputs written to %s", out)


#: Timestamp written into every workbook so that the same plan gives the same bytes.
XLSX_TIMESTAMP = (2000, 1, 1, 0, 0, 0)


def workbook_bytes(wb) -> bytes:
    """Serialise an openpyxl workbook reproducibly.

    Fixes the document's created/modified properties and every zip entry's
    time, so that the same content always gives the same bytes.

    Parameters
    ----------
    wb
        ``openpyxl.Workbook``.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    import datetime as dt
    import io
    import re
    import zipfile

    stamp_dt = dt.datetime(*XLSX_TIMESTAMP)
    wb.properties.creator = "planner"
    wb.properties.created = stamp_dt
    wb.properties.modified = stamp_dt
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    stamp = stamp_dt.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=XLSX_TIMESTAMP)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    return out.getvalue()
