"""One GeoPackage layer handed to GDAL as Arrow: what ``pyogrio.write_dataframe`` does, with less Python.

``pyogrio.write_dataframe(df, ..., use_arrow=True)`` turns a (Geo)DataFrame
into an Arrow table (geometry as WKB) and passes it to GDAL.  For a plan's two
GeoPackages (24 layers) that Python part took about a third of the writing
time: per layer a thread pool for ``pyarrow.Table.from_pandas``, the CRS
identified again (``CRS.to_epsg``), geometry types compared as strings,
``shapely.to_wkb`` dispatched through pandas' ufunc machinery.
:func:`write_layer` builds the same table with the same steps (the layer's
geometry type and CRS as pyogrio infers them, object columns of dates or
values Arrow cannot hold as text, the ``DateTime`` column metadata, null
columns as text, WKB as ``binary``) and calls ``pyogrio.write_arrow`` with the
arguments ``write_dataframe`` would; ``tests/test_output_gpkg.py`` reads both
files back and compares them.  Layers it does not cover (several geometry
columns, single and multi types that GDAL wants promoted to multi) go
through ``pyogrio.write_dataframe`` itself, as do repeated column names.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyproj
import shapely

__all__ = ["write_layer"]

#: shapely type id -> GDAL/pyogrio geometry type name.
_TYPE_NAMES: dict[int, str] = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
                               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
#: Single and multi types that GPKG stores as their multi type (pyogrio promotes the geometries).
_PROMOTED = ({0, 4}, {1, 5}, {3, 6})


@lru_cache(maxsize=32)
def _crs_text(crs: pyproj.CRS) -> str:
    """The CRS as pyogrio passes it to GDAL: ``EPSG:n`` when identified, else WKT1."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else str(crs.to_wkt("WKT1_GDAL"))


def _geometry_type(geoms: np.ndarray) -> str | None:
    """The layer geometry type pyogrio infers, or ``None`` where it would promote single types to multi."""
    if not len(geoms):
        return "Unknown"
    type_ids = shapely.get_type_id(geoms)
    given = geoms[(type_ids >= 0) & ~shapely.is_empty(geoms)]
    has_z = bool(shapely.has_z(given).any())
    types = set(np.unique(type_ids[type_ids >= 0]).tolist())
    if len(types) == 1:
        name = _TYPE_NAMES[types.pop()]
    elif len(types) == 2 and types in _PROMOTED:
        return None
    else:
        return "Unknown"
    return f"{name} Z" if has_z else name


def _datetime_metadata(table: pa.Table, columns: list[str]) -> pa.Table:
    """Mark ``columns`` (datetimes written as text) as GDAL ``DateTime`` fields, as pyogrio does."""
    if not columns:
        return table
    fields = []
    for name in table.schema.names:
        field = table.field(name)
        if name in columns:
            metadata = field.metadata or {}
            metadata["GDAL:OGR:type"] = "DateTime"
            field = field.with_metadata(metadata)
        fields.append(field)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def write_layer(df: pd.DataFrame, path: Path, layer: str, geometry_type: str | None = None) -> None:
    """Append ``df`` to the GeoPackage ``path`` as layer ``layer`` (GDAL creates the file if needed).

    Parameters
    ----------
    df
        A GeoDataFrame (its active geometry written as the layer's geometry)
        or a DataFrame (an attribute table).
    path
        GeoPackage.
    layer
        Layer name.
    geometry_type
        Layer geometry type; ``None``: as pyogrio infers it.
    """
    geo_cols = [c for c, t in df.dtypes.items() if isinstance(t, gpd.array.GeometryDtype)]
    geo_name = df.active_geometry_name if isinstance(df, gpd.GeoDataFrame) else None
    geoms = np.asarray(df.geometry.to_numpy(), dtype=object) if geo_name is not None and geo_cols else None
    inferred = _geometry_type(geoms) if geoms is not None else "Unknown"
    if geo_cols != ([geo_name] if geoms is not None else []) or inferred is None or not df.columns.is_unique:
        # several geometry columns, one that is not the active geometry, types to promote, repeated names: pyogrio
        pyogrio.write_dataframe(df, path, layer=layer, driver="GPKG", geometry_type=geometry_type, use_arrow=True)
        return
    if geoms is None:
        geo_name = None
    elif geometry_type is None:
        geometry_type = inferred
    frame = pd.DataFrame({c: (shapely.to_wkb(geoms) if c == geo_name else df[c]) for c in df.columns},
                         index=df.index, copy=False)
    datetime_cols: list[str] = []
    for name, dtype in frame.dtypes.items():
        if name == geo_name:
            continue
        if dtype == "object":
            kind = pd.api.types.infer_dtype(frame[name])
            if kind == "string":
                continue
            if kind == "datetime":
                frame[name] = frame[name].astype("string")
                datetime_cols.append(str(name))
            else:
                try:
                    pa.Schema.from_pandas(frame[[name]])
                except pa.ArrowInvalid:
                    frame[name] = frame[name].astype("string")
        elif isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) != "UTC":
            frame[name] = frame[name].astype("string")
            datetime_cols.append(str(name))
    table = _datetime_metadata(pa.Table.from_pandas(frame, preserve_index=False, nthreads=1), datetime_cols)
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(i, field.with_type(pa.string()), table[i].cast(pa.string()))
        elif pa.types.is_dictionary(field.type) and pa.types.is_null(field.type.value_type):
            as_text = pa.dictionary(field.type.index_type, pa.string())
            table = table.set_column(i, field.with_type(as_text), table[i].cast(as_text))
    crs = None
    if geo_name is not None:
        field = table.schema.field(geo_name)
        if not (pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type)):
            i = table.schema.get_field_index(geo_name)
            table = table.set_column(i, field.with_type(pa.binary()), table[geo_name].cast(pa.binary()))
        if df.geometry.crs:
            crs = _crs_text(df.geometry.crs)
    pyogrio.write_arrow(table, path, layer=layer, driver="GPKG", geometry_name=geo_name, geometry_type=geometry_type,
                        crs=crs)
