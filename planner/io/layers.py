"""One layer of a study area from any supported file: format dispatch, mapping, validation.

:func:`read_raw` picks the reader by suffix and content (UKE/SIDUSIS coverage,
PRG GML or SHP tables, GeoPackage, GeoParquet, CSV, anything OGR reads) and
maps the columns onto the schema; :func:`read_layer` also reprojects and
validates (:func:`planner.validation.validate_layer`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow
import pyogrio
import shapely

from planner._errors import InputDataError, Problem, UsageError
from planner.io import prg, uke
from planner.io.files import missing_file, pick_layer, read_csv_text, table_to_geodataframe
from planner.schema import LAYERS, WORKING_CRS
from planner.validation import Bounds, log_warnings, raise_for_problems, validate_layer

__all__ = ["LAYER_SUFFIXES", "read_layer", "read_raw"]

logger = logging.getLogger(__name__)

#: Errors third-party readers raise on truncated, empty or corrupted files.
_UNREADABLE: tuple[type[BaseException], ...] = (
    pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
    UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, pyarrow.ArrowException,
    shapely.errors.GEOSException, shapely.errors.ShapelyError, OSError, IndexError, ValueError, KeyError,
)

#: File suffixes recognised for one-file-per-layer directories, in order of preference.
LAYER_SUFFIXES: tuple[str, ...] = (".gpkg", ".parquet", ".geoparquet", ".csv", ".geojson", ".json",
                                   ".gml", ".xml", ".shp")


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
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise missing_file(path)
    if layer_name not in LAYERS:
        raise UsageError(f"unknown layer {layer_name!r}", [Problem(
            file=source, message=f"{layer_name!r} is not a layer of the study area",
            fix=f"use one of: {', '.join(LAYERS)}")])
    suffix = path.suffix.lower()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    try:
        if layer_name == "coverage" and (fmt := uke.detect_coverage_format(path)) is not None:
            gdf, errs, warns = uke.read_coverage_raw(path, fmt, operator)
            problems += errs
            warnings += warns
        elif suffix in (".gml", ".xml") and layer_name in ("addresses", "new_buildings") and _is_prg_gml(path):
            gdf = prg.read_prg(path)
        elif suffix == ".gpkg":
            lyr = pick_layer(path, layer_name, layer)
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
        if suffix in (".shp", ".dbf", ".zip"):
            gdf = _unlaunder(gdf, layer_name)
        if not isinstance(gdf, gpd.GeoDataFrame):  # attribute-only table (e.g. a GPKG table)
            gdf, p = table_to_geodataframe(pd.DataFrame(gdf), source=source, path=None)
            problems += p
        if layer_name in ("addresses", "new_buildings") and prg.is_prg_table(gdf.columns):
            gdf = prg.prg_table_to_schema(gdf, source)
    except InputDataError as exc:
        problems += exc.problems or [Problem(file=source, message=str(exc))]
        return gpd.GeoDataFrame(geometry=[], crs=None), problems, warnings
    except _UNREADABLE as exc:
        # A truncated or corrupted file fails deep inside GDAL, Arrow, GEOS or a parser, with
        # whatever error that library raises; to the user it is one thing: the file is unreadable.
        logger.debug("reading %s failed", source, exc_info=True)
        problems.append(Problem(file=source, message=f"cannot read the file ({type(exc).__name__}: {exc})",
                                fix=f"check that the file is complete and is a readable {', '.join(LAYER_SUFFIXES)} "
                                    "file (CSV in UTF-8); export it again if it was cut short"))
        return gpd.GeoDataFrame(geometry=[], crs=None), problems, warnings

    if gdf.crs is None and assume_crs and gdf.geometry.notna().any():
        gdf = gdf.set_crs(assume_crs)
        warnings.append(Problem(file=source, layer=layer,
                                message=f"layer '{layer_name}' has no CRS; assumed {assume_crs} (--assume-crs)",
                                fix="store the CRS in the file to silence this"))
    return gdf, problems, warnings


#: Longest field name a shapefile (dBase) stores; longer names are cut by the writer.
_DBF_NAME_LENGTH = 10


def _unlaunder(gdf: gpd.GeoDataFrame, layer_name: str) -> gpd.GeoDataFrame:
    """Give shapefile columns cut to 10 characters (``house_numb``) their schema names back.

    A cut name is restored only when exactly one schema column of the layer
    starts with it and no column of that name exists already.
    """
    names = LAYERS[layer_name].column_names
    rename = {}
    for col in gdf.columns:
        if len(str(col)) != _DBF_NAME_LENGTH or col in names:
            continue
        full = [n for n in names if n.lower().startswith(str(col).lower())]
        if len(full) == 1 and full[0] not in gdf.columns:
            rename[col] = full[0]
    return gdf.rename(columns=rename) if rename else gdf


def _is_prg_gml(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(8192).decode("utf-8", errors="replace")
    return prg.NS_2012 in head or "/prgad/" in head


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
