"""Column-oriented JSON of map layers.

A layer is written as one compact object that the bundled runtime
``assets/planner_map.js`` draws on Leaflet's canvas with lazily built popups
(points and lines as one bulk layer each, see ``assets/planner_map_bulk.js``;
polygons, place names and labelled layers as one Leaflet layer per feature):
coordinates rounded to a fixed number of decimals, one array per popup field,
repeated strings dictionary-encoded, numbers formatted in the browser.  ~12 k
address points stay a few MB and load in well under a second.  The format is
described at the top of ``planner_map.js``.

Writing is cheap too: vertices are transformed to WGS 84 as arrays (the
numbers ``GeoSeries.to_crs`` gives, without building the transformed
geometries), and line coordinates become JSON text straight from the vertex
array (:class:`RawJSON`, the text ``json.dumps`` writes for the nested lists),
so no Python list is made per vertex.  ``tests/test_maps_encoding.py`` checks
both against their plain definitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

__all__ = ["Col", "Group", "RawJSON", "dumps", "encode_col", "layer_spec", "wgs84_bounds"]


@dataclass(frozen=True)
class Col:
    """One popup field: label and values; numbers get a unit and are formatted in the browser.

    Parameters
    ----------
    label
        Field label (``''`` for the popup title column).
    values
        One value per feature.
    unit
        ``None`` for text; else the values are numbers shown with this unit
        (``''`` for a bare number).
    decimals
        Decimal places of numbers.
    """

    label: str
    values: pd.Series
    unit: str | None = None
    decimals: int = 0


@dataclass
class Group:
    """One layer of a map, as listed in its layer control.

    Parameters
    ----------
    key
        Stable key (drawing order, tests), e.g. ``'status.connect'``.
    name
        Name in the layer control.
    spec
        The layer's features (:func:`layer_spec`).
    show
        Whether the layer is switched on when the page opens.
    base
        A base layer: one of a set of mutually exclusive layers (radio buttons
        in the layer control, e.g. the themes of a choropleth).
    """

    key: str
    name: str
    spec: dict[str, Any]
    show: bool = True
    base: bool = False


def encode_col(c: Col, lang: str) -> dict[str, Any]:
    """The JSON object of one popup field.

    Parameters
    ----------
    c
        The field.
    lang
        Locale of the number formatting in the browser (``'pl'``, ``'en'``).

    Returns
    -------
    dict
        ``{label, v}`` plus ``unit, dec, lang`` (numbers) or ``dict`` (strings
        with few distinct values, ``v`` then holds indices into it).
    """
    n = len(c.values)
    if c.unit is not None:
        return {"label": c.label, "unit": c.unit, "dec": c.decimals, "lang": lang, "v": _numbers(c.values, c.decimals)}
    s = _texts(c.values)
    codes, uniques = pd.factorize(s)
    if len(uniques) <= max(1, n // 3):  # dictionary-encoded, the dictionary sorted
        texts = [str(u) for u in uniques]
        order = sorted(range(len(texts)), key=texts.__getitem__)
        rank = np.empty(len(texts), dtype=np.int64)
        rank[order] = np.arange(len(texts))
        return {"label": c.label, "dict": [texts[i] for i in order], "v": rank[codes].tolist()}
    return {"label": c.label, "v": s.tolist()}


def _numbers(values: pd.Series, decimals: int) -> list[Any]:
    """Numbers rounded to ``decimals`` (integers at 0), ``None`` where missing or not a number."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiub":
        r = np.round(values.to_numpy(dtype="float64"), decimals)
    else:
        r = pd.to_numeric(values, errors="coerce").astype("float64").round(decimals).to_numpy()
    nan = np.isnan(r)
    if decimals == 0:
        if not (np.abs(r[~nan]) < 2.0**63).all():  # +-inf, or beyond int64: pandas' Int64 says why
            return list(pd.Series(r).astype("Int64").astype(object).where(~nan, None).tolist())
        vals: list[Any] = np.where(nan, 0.0, r).astype(np.int64).tolist()
    else:
        vals = r.tolist()
    for i in np.flatnonzero(nan).tolist():
        vals[i] = None
    return vals


def _texts(values: pd.Series) -> pd.Series:
    """Values as text (pandas ``str``), ``''`` where missing."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("")
    return values.astype(object).where(values.notna(), "").astype(str)


class RawJSON(str):
    """JSON text that :func:`dumps` writes as it is, as a value of the object it is given.

    A layer's coordinates are written straight from the coordinate array
    (:func:`_lines_json`): the same text as nested lists would give, without
    building the lists (one Python list per vertex, which also kept the
    garbage collector busy).
    """

    __slots__ = ()


def _round_coords(geoms: np.ndarray, precision: int) -> np.ndarray:
    return np.asarray(shapely.transform(geoms, lambda c: np.round(c, precision)))


def _coordinate_lists(geoms: np.ndarray) -> list[Any]:
    """GeoJSON ``coordinates`` of each geometry as nested lists (GEOS's GeoJSON writer)."""
    return [json.loads(s)["coordinates"] for s in shapely.to_geojson(geoms)]


def _lines_json(xy: np.ndarray, index: np.ndarray, n: int) -> RawJSON:
    """JSON text of the coordinates of ``n`` lines: ``[[[x,y],[x,y],...],...]``.

    Parameters
    ----------
    xy
        Their vertices (finite), line after line.
    index
        The line of each vertex (ascending; every line has a vertex).
    n
        Number of lines.

    Returns
    -------
    RawJSON
        What ``json.dumps`` writes for the nested lists (numbers as ``repr``
        of the floats, as ``json`` writes them).
    """
    if n == 0:
        return RawJSON("[]")
    numbers = json.dumps(xy.ravel().tolist())[1:-1].split(", ")
    first = np.zeros(len(index), dtype=bool)
    first[1:] = index[1:] != index[:-1]
    tokens: list[str] = [""] * (4 * len(index))
    tokens[0::4] = np.where(first, "]],[[", "],[").tolist()
    tokens[0] = "[[["
    tokens[1::4] = numbers[0::2]
    tokens[2::4] = [","] * len(index)
    tokens[3::4] = numbers[1::2]
    return RawJSON("".join(tokens) + "]]]")


@lru_cache(maxsize=1)
def _wgs84() -> pyproj.CRS:
    return pyproj.CRS.from_user_input("EPSG:4326")


@lru_cache(maxsize=16)
def _to_wgs84(crs: pyproj.CRS) -> pyproj.Transformer:
    """The transformer ``GeoSeries.to_crs('EPSG:4326')`` uses (geopandas: ``Transformer.from_crs``, x/y order)."""
    return pyproj.Transformer.from_crs(crs, _wgs84(), always_xy=True)


def _wgs84_vertices(geo: gpd.GeoSeries, type_id: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The vertices of 2D geometries of one type in WGS 84 and the row of each, or ``None``.

    The numbers of ``geo.to_crs('EPSG:4326')``'s vertices (the same
    transformation of the same x and y arrays), without building the
    transformed geometries.  ``None`` where that path is not the one
    geopandas takes: no CRS, another or a missing geometry type, Z
    coordinates, or a geometry without vertices.
    """
    data = np.asarray(geo.to_numpy(), dtype=object)
    if (geo.crs is None or not len(data) or not bool((shapely.get_type_id(data) == type_id).all())
            or bool(shapely.has_z(data).any())):
        return None
    xy, index = shapely.get_coordinates(data, return_index=True)
    if len(np.unique(index)) != len(data):
        return None
    return _in_wgs84(xy, geo.crs), index


def _in_wgs84(xy: np.ndarray, crs: Any) -> np.ndarray:
    """Vertices ``xy`` of ``crs`` in WGS 84, transformed as ``to_crs`` transforms them (as they are in WGS 84)."""
    if crs.is_exact_same(_wgs84()):
        return xy
    x, y = _to_wgs84(crs).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def wgs84_bounds(geo: gpd.GeoSeries) -> np.ndarray:
    """``geo.to_crs('EPSG:4326').total_bounds``, from the transformed vertices.

    The bounds of a geometry are those of its vertices, so the extremes of
    the vertices transformed as ``to_crs`` transforms them are the same
    numbers (2D geometries; with Z coordinates, or without a CRS, ``to_crs``
    itself is used).

    Parameters
    ----------
    geo
        Geometries with a CRS.

    Returns
    -------
    numpy.ndarray
        ``[west, south, east, north]`` in degrees.
    """
    data = np.asarray(geo.to_numpy(), dtype=object)
    if geo.crs is None or bool(shapely.has_z(data).any()):
        return np.asarray(geo.to_crs("EPSG:4326").total_bounds)
    xy = shapely.get_coordinates(data)
    if not len(xy):
        return np.full(4, np.nan)
    xy = _in_wgs84(xy, geo.crs)
    return np.array([np.nanmin(xy[:, 0]), np.nanmin(xy[:, 1]), np.nanmax(xy[:, 0]), np.nanmax(xy[:, 1])])


def _geometry_json(geo: gpd.GeoSeries, precision: int) -> RawJSON | list[Any]:
    """The ``geom`` of a layer: WGS 84 coordinates rounded to ``precision`` decimals.

    Layers of LineStrings (most features of a plan) as text straight from the
    coordinate array; other geometry types as GEOS's GeoJSON coordinates of
    the transformed geometries.
    """
    got = _wgs84_vertices(geo, 1)
    if got is not None:
        xy = np.round(got[0], precision)
        if np.isfinite(xy).all():
            return _lines_json(xy, got[1], len(geo))
    return _coordinate_lists(_round_coords(geo.to_crs("EPSG:4326").to_numpy(), precision))


def layer_spec(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    kind: str,
    *,
    cols: list[Col],
    styles: list[dict[str, Any]],
    precision: int,
    lang: str,
    style_index: np.ndarray | None = None,
    heading: str = "",
    title: int = -1,
    search: bool = False,
    tooltip: int = -1,
    share: str | None = None,
    geometry_from: tuple[str, np.ndarray] | None = None,
    parts: tuple[str, list[list[int] | None]] | None = None,
) -> dict[str, Any]:
    """Column-oriented, JSON-able description of one layer (see ``assets/planner_map.js``).

    Parameters
    ----------
    gdf
        The features (or just their geometry), any CRS (transformed to WGS 84 here).
    kind
        ``'point'``, ``'line'``, ``'polygon'`` or ``'label'`` (a point drawn as
        its text only: the column ``title``).
    cols
        Popup fields.
    styles
        Leaflet path options, one per style.
    precision
        Decimal places of the coordinates (degrees).
    lang
        Locale of numbers.
    style_index
        Index into ``styles`` per feature; ``None``: every feature takes ``styles[0]``.
    heading
        Text under the popup title (the layer's meaning).
    title
        Index of the column that titles the popup and labels the search, or -1.
    search
        Whether the features go into the search box.
    tooltip
        Index of a column shown as a permanent label, or -1.
    share
        Register this layer's geometry under this name, for :data:`geometry_from`
        of layers added after it (lines, polygons).
    geometry_from
        ``(name, rows)``: draw the geometries ``rows`` of the layer shared as
        ``name`` instead of encoding ``gdf``'s geometry again (``gdf`` then only
        gives the row count); e.g. the themes of a choropleth.
    parts
        ``(pool, rows)`` (lines; runtime ``assets/planner_map_network.js``):
        feature ``k`` is drawn as the lines ``rows[k]`` of the pool ``pool``
        that earlier layers filled (their ``pool`` key), so a cable reuses
        the coordinates of the route segments it runs along; where
        ``rows[k]`` is ``None``, from its own geometry (only those are encoded).

    Returns
    -------
    dict
    """
    spec: dict[str, Any] = {"kind": kind, "heading": heading, "title": title, "search": search,
                            "tooltip": tooltip, "styles": styles}
    if geometry_from is not None:
        spec["geomFrom"] = geometry_from[0]
        spec["rows"] = np.asarray(geometry_from[1], dtype=int).tolist()
    elif kind in ("point", "label"):
        got = _wgs84_vertices(gdf.geometry, 0)
        if got is not None:
            lon, lat = got[0][:, 0], got[0][:, 1]
        else:
            geo = gdf.geometry.to_crs("EPSG:4326")
            lon, lat = geo.x.to_numpy(), geo.y.to_numpy()
        spec["lat"] = np.round(lat, precision).tolist()
        spec["lon"] = np.round(lon, precision).tolist()
    elif parts is not None:
        own = np.array([r is None for r in parts[1]], dtype=bool)
        geom: list[Any] = [None] * len(own)
        if own.any():
            rounded = _round_coords(gdf.geometry.to_crs("EPSG:4326").to_numpy()[own], precision)
            for i, coords in zip(np.flatnonzero(own), _coordinate_lists(rounded)):
                geom[int(i)] = coords  # a few cables: GeoJSON coordinates
        spec["geom"] = geom
        spec["partsFrom"] = parts[0]
        spec["parts"] = [None if r is None else [int(i) for i in r] for r in parts[1]]
    else:
        spec["geom"] = _geometry_json(gdf.geometry, precision)
    if share is not None:
        spec["share"] = share
    spec["si"] = None if style_index is None else np.asarray(style_index, dtype=int).tolist()
    spec["cols"] = [encode_col(c, lang) for c in cols]
    return spec


def dumps(obj: Any) -> str:
    """Compact JSON, safe inside a ``<script>`` element (``<`` only occurs inside strings).

    Parameters
    ----------
    obj
        JSON-able object (no NaN); the values of a dict may be :class:`RawJSON`
        (written as they are).

    Returns
    -------
    str
    """
    if (isinstance(obj, dict) and any(isinstance(v, RawJSON) for v in obj.values())
            and all(isinstance(k, str) for k in obj)):
        text = "{" + ",".join(f"{_dumps(k)}:{v if isinstance(v, RawJSON) else _dumps(v)}"
                              for k, v in obj.items()) + "}"
    else:
        text = _dumps(obj)
    return text.replace("<", "\\u003c")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
