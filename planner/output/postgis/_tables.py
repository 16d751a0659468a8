"""Plan frames as PostgreSQL tables: column types, rows, geometry type and SRID.

Everything here is pure Python (no connection): a frame becomes a
:class:`TableSpec` that the writer turns into ``CREATE TABLE`` + ``COPY``.
Column types follow the frame's dtypes (``bigint``, ``double precision``,
``boolean``, ``date`` for date-only datetimes, ``timestamp``, ``text``);
missing values (NaN, NaT, ``pd.NA``, ``None``) become ``NULL``.  A
GeoDataFrame's geometry becomes a ``geom`` column of one PostGIS type with
the layer's EPSG code as SRID (mixed single/multi parts are promoted to multi,
as GDAL does for the GeoPackage).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api import types as ptypes

from planner._errors import UsageError
from planner.io.postgis._url import check_identifier

__all__ = ["TableSpec", "table_spec", "merge_tables", "GEOMETRY_COLUMN", "KEY_COLUMN"]

#: Name of the geometry column of every spatial table (as in plan.gpkg).
GEOMETRY_COLUMN = "geom"
#: Name of the integer primary key: row number from 1 in the frame's order (the GeoPackage fid).
KEY_COLUMN = "fid"
#: Columns that name a feature, tried in order for a unique index next to the key.
_NATURAL_KEYS = ("id", "segment_id", "address_id", "simc", "wp_id", "new_building_id")

_MULTI = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}
_MAKE_MULTI: dict[str, Callable[..., Any]] = {"Point": shapely.MultiPoint, "LineString": shapely.MultiLineString,
                                    "Polygon": shapely.MultiPolygon}
_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
               6: "MultiPolygon", 7: "GeometryCollection"}
_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3}
#: Geometry type of plan layers when they are empty (input layers: the first type of planner.schema).
_EMPTY_LAYER_TYPES = {"segments": "LineString", "drops": "LineString", "poles_used": "Point",
                      "localities": "Polygon", "reallocation": "Point",
                      # the optical network's layers (planner.network)
                      "cabinet_areas": "Polygon", "cables": "LineString", "closures": "Point", "splitters": "Point",
                      "cabinets": "Point", "olt": "Point"}
#: PostgreSQL types a column may get (the DDL takes them from here only).
PG_TYPES = ("bigint", "double precision", "boolean", "date", "timestamp", "timestamptz", "text")
#: PostGIS geometry types a geometry column may get.
GEOMETRY_TYPES = ("Geometry", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
                  "GeometryCollection")


@dataclass
class TableSpec:
    """One table to write: columns with PostgreSQL types, rows, geometry.

    Attributes
    ----------
    name
        Table name (a checked identifier).
    columns
        ``(name, PostgreSQL type)`` of the attribute columns, in frame order.
    values
        One list of Python values per attribute column (``None`` for NULL).
    geometry
        Hex EWKB per row (``None`` for no geometry), or ``None`` for a table
        without geometry.
    geometry_type, srid
        PostGIS type and SRID of the geometry column.
    natural_key
        A column whose values are unique and non-empty (gets a unique index).
    """

    name: str
    columns: list[tuple[str, str]]
    values: list[list[Any]]
    geometry: list[str | None] | None = None
    geometry_type: str = "Geometry"
    srid: int = 0
    natural_key: str | None = None

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        if self.geometry is not None:
            return len(self.geometry)
        return len(self.values[0]) if self.values else 0

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Rows in frame order: key (1, 2, ...), attributes, then the geometry if any."""
        cols = [*self.values, self.geometry] if self.geometry is not None else self.values
        for i, row in enumerate(zip(*cols) if cols else ((),) * self.n_rows, start=1):
            yield (i, *row)


def _nullable(values: np.ndarray, missing: np.ndarray, cast: Callable[[Any], Any]) -> list[Any]:
    return [None if m else cast(v) for v, m in zip(values, missing)]


def _text(v: object) -> str:
    if isinstance(v, (list, tuple, set)):
        return ";".join(map(str, v))
    return str(v)


def _column(s: pd.Series) -> tuple[str, list[Any]]:
    """PostgreSQL type and Python values of one column."""
    dt = s.dtype
    missing = np.asarray(pd.isna(s), dtype=bool) if len(s) else np.zeros(0, bool)
    raw = s.to_numpy(dtype=object, na_value=None)
    if ptypes.is_bool_dtype(dt):
        return "boolean", _nullable(raw, missing, bool)
    if ptypes.is_integer_dtype(dt):
        return "bigint", _nullable(raw, missing, int)
    if ptypes.is_float_dtype(dt):
        return "double precision", _nullable(raw, missing, float)  # NaN -> NULL, +-inf kept (Infinity)
    if isinstance(dt, pd.DatetimeTZDtype):
        return "timestamptz", _nullable(raw, missing, lambda v: pd.Timestamp(v).to_pydatetime())
    if ptypes.is_datetime64_dtype(dt):
        t = pd.DatetimeIndex(s)
        if bool((t[~missing] == t[~missing].normalize()).all()):
            return "date", _nullable(raw, missing, lambda v: pd.Timestamp(v).date())
        return "timestamp", _nullable(raw, missing, lambda v: pd.Timestamp(v).to_pydatetime())
    kind = ptypes.infer_dtype(s, skipna=True) if len(s) else "empty"
    if kind == "boolean":
        return "boolean", _nullable(raw, missing, bool)
    if kind == "integer":
        return "bigint", _nullable(raw, missing, int)
    if kind in ("floating", "mixed-integer-float", "decimal"):
        return "double precision", _nullable(raw, missing, float)
    if kind == "date":
        return "date", _nullable(raw, missing, lambda v: v)
    if kind in ("datetime", "datetime64"):
        return "timestamp", _nullable(raw, missing, lambda v: pd.Timestamp(v).to_pydatetime())
    return "text", _nullable(raw, missing, _text)


def _epsg(gdf: gpd.GeoDataFrame, name: str, default: int | None) -> int:
    if gdf.crs is None:
        if default is None:
            raise UsageError(f"layer {name!r} has no CRS; PostGIS needs an SRID")
        return default
    code = gdf.crs.to_epsg() or gdf.crs.to_epsg(min_confidence=70)
    if code is None:
        raise UsageError(f"layer {name!r}: its CRS {gdf.crs.name!r} has no EPSG code, which PostGIS needs as SRID")
    return int(code)


def _geometry(gdf: gpd.GeoDataFrame, srid: int, name: str) -> tuple[list[str | None], str]:
    """Hex EWKB of every row and the PostGIS geometry type of the column."""
    from planner.schema import LAYERS

    geoms = np.array(gdf.geometry.values, dtype=object)  # a copy: the frame is not touched
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    types = set(shapely.get_type_id(geoms[present]).tolist()) if present.any() else set()
    names = {_TYPE_NAMES[t] for t in types}
    if not names and (name in LAYERS or name in _EMPTY_LAYER_TYPES):  # e.g. no ducts: the layer's usual type
        names = {_EMPTY_LAYER_TYPES.get(name) or LAYERS[name].geometry[0]}
    if len(names) == 1:
        gtype = names.pop()
    elif len(names) == 2 and any(_MULTI.get(n) in names for n in names):
        single = next(n for n in names if n in _MULTI)
        gtype = _MULTI[single]
        idx = np.flatnonzero(present)
        is_single = shapely.get_type_id(geoms[idx]) == _TYPE_IDS[single]
        geoms[idx[is_single]] = [_MAKE_MULTI[single]([g]) for g in geoms[idx[is_single]]]
    else:
        gtype = "Geometry"
    if present.any() and bool(shapely.has_z(geoms[present]).any()):
        gtype += "Z"
    geoms[~present] = None
    geoms = shapely.set_srid(geoms, srid)
    hexes = shapely.to_wkb(geoms, hex=True, include_srid=True)
    return [None if h is None else str(h) for h in hexes], gtype


def _natural_key(frame: pd.DataFrame, name: str) -> str | None:
    from planner.schema import LAYERS

    first = LAYERS[name].id_column if name in LAYERS else None
    for col in (first, *_NATURAL_KEYS):
        if col and col in frame.columns:
            s = frame[col]
            if len(s) and not s.isna().any() and not (s.astype(str) == "").any() and s.is_unique:
                return col
    return None


def table_spec(name: str, frame: pd.DataFrame, *, default_srid: int | None = None) -> TableSpec:
    """The table for one plan layer or table.

    Parameters
    ----------
    name
        Table name (checked: plain identifier).
    frame
        DataFrame, or GeoDataFrame (its active geometry becomes ``geom``).
    default_srid
        SRID of a GeoDataFrame without CRS (e.g. an empty layer).

    Raises
    ------
    UsageError
        A name that is no plain identifier, a column named like the key or
        geometry column, a CRS without EPSG code.
    """
    check_identifier(name, what="output table", source=name)
    geo = isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is not None
    attrs = pd.DataFrame(frame.drop(columns=[frame.active_geometry_name]) if geo else frame)
    columns: list[tuple[str, str]] = []
    values: list[list[Any]] = []
    for col in attrs.columns:
        cname = check_identifier(str(col), what=f"column of {name}", source=name)
        if cname in (KEY_COLUMN, GEOMETRY_COLUMN if geo else ""):
            raise UsageError(f"table {name!r}: column {cname!r} clashes with the key or geometry column")
        pg_type, vals = _column(attrs[col])
        columns.append((cname, pg_type))
        values.append(vals)
    spec = TableSpec(name=name, columns=columns, values=values, natural_key=_natural_key(attrs, name))
    if geo:
        spec.srid = _epsg(frame, name, default_srid)
        spec.geometry, spec.geometry_type = _geometry(frame, spec.srid, name)
    return spec


def merge_tables(layers: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]
                 ) -> dict[str, pd.DataFrame]:
    """One frame per table name: a table named like a layer joins that layer.

    A plan's tables repeat its layers without geometry (``addresses`` adds the
    ``x``, ``y`` columns); in a database the layer is that table, so the
    table's extra columns are added to the layer when the rows are the same
    (same count, equal shared columns).  Otherwise the table is kept apart as
    ``<name>_table``.
    """
    out: dict[str, pd.DataFrame] = dict(layers)
    for name, table in tables.items():
        layer = layers.get(name)
        if layer is None:
            out[name] = table
            continue
        geom = layer.active_geometry_name if isinstance(layer, gpd.GeoDataFrame) else None
        attrs = pd.DataFrame(layer.drop(columns=[geom]) if geom else layer).reset_index(drop=True)
        tab = pd.DataFrame(table).reset_index(drop=True)
        shared = [c for c in tab.columns if c in attrs.columns]
        if len(attrs) == len(tab) and attrs[shared].equals(tab[shared]):
            extra = [c for c in tab.columns if c not in attrs.columns]
            merged = layer.reset_index(drop=True).copy()
            for c in extra:
                merged[c] = tab[c].to_numpy()
            if geom:  # keep the geometry column last
                merged = merged[[c for c in merged.columns if c != geom] + [geom]]
            out[name] = merged
        else:
            out[f"{name}_table"] = table
    return out
