"""Generic table and vector-file readers (GeoPackage, GeoParquet, CSV, GeoJSON, SHP).

:func:`read_csv_text` reads a CSV with every cell as text (TERYT codes keep
their leading zeros) and sniffs the separator; :func:`table_to_geodataframe`
builds the geometry of a plain table.  CSV layers carry their geometry either
as a WKT column (``geometry``, ``wkt``, ``geom``; EWKT ``SRID=2180;POINT (…)``
accepted) or as coordinate columns: ``lon``/``lat``, ``longitude``/``latitude``,
``lng``/``lat`` (EPSG:4326 unless stated otherwise), ``x``/``y`` or
``easting``/``northing`` (CRS required).  The CRS of a CSV comes from a ``crs``
column (one value, e.g. ``EPSG:2180``), a sidecar ``<file>.prj``, an EWKT SRID,
else EPSG:4326 for lon/lat and none for x/y or WKT (then ``assume_crs`` or an
error).  Which reader a layer file needs is decided in :mod:`planner.io.layers`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from planner._errors import InputDataError, InputFileNotFoundError, Problem
from planner.validation import as_text, parse_numbers

__all__ = [
    "list_layers",
    "missing_file",
    "pick_layer",
    "read_csv_text",
    "read_metadata",
    "sniff_separator",
    "table_to_geodataframe",
]

logger = logging.getLogger(__name__)

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


def missing_file(path: Path) -> InputFileNotFoundError:
    """The error for an input path that does not exist."""
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


def sniff_separator(path: str | Path, encoding: str = "utf-8-sig") -> str:
    """The field separator of a CSV: the most frequent of ``,``, ``;`` and tab in its header line.

    Ties go to ``,`` (the RFC 4180 separator), then ``;`` (Polish Excel exports).
    """
    with open(path, encoding=encoding, errors="replace") as fh:
        head = fh.readline()
    counts = {sep: head.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda k: (counts[k], k == ","))


def read_csv_text(path: str | Path, *, sep: str | None = None, **kwargs: Any) -> tuple[pd.DataFrame, list[Problem]]:
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
        df = pd.read_csv(path, sep=sep or sniff_separator(path, "utf-8-sig"), encoding="utf-8-sig", **opts)
    except UnicodeDecodeError:
        df = pd.read_csv(path, sep=sep or sniff_separator(path, "cp1250"), encoding="cp1250", **opts)
        warnings.append(Problem(file=str(path), message="the file is not UTF-8; read as Windows-1250 (cp1250)",
                                fix="save the CSV as UTF-8 to silence this"))
    # a row cut short (a truncated file) leaves NaN in its missing fields: text is "" there too
    return df.fillna(""), warnings


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


def pick_layer(path: Path, layer_name: str, layer: str | None) -> str | None:
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
