"""Column-oriented JSON of map layers.

A layer is written as one compact object that the bundled runtime
``assets/planner_map.js`` turns into canvas ``L.circleMarker`` /
``L.polyline`` / ``L.polygon`` objects with lazily built popups: coordinates
rounded to a fixed number of decimals, one array per popup field, repeated
strings dictionary-encoded, numbers formatted in the browser.  ~12 k address
points stay a few MB and load in well under a second.  The format is described
at the top of ``planner_map.js``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["Col", "Group", "dumps", "encode_col", "layer_spec"]


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
        v = pd.to_numeric(c.values, errors="coerce").astype("float64").round(c.decimals)
        if c.decimals == 0:
            vals = v.astype("Int64").astype(object).where(v.notna(), None).tolist()
        else:
            vals = v.astype(object).where(v.notna(), None).tolist()
        return {"label": c.label, "unit": c.unit, "dec": c.decimals, "lang": lang, "v": vals}
    s = c.values.astype(object).where(c.values.notna(), "").astype(str)
    codes, uniques = pd.factorize(s, sort=True)
    if len(uniques) <= max(1, n // 3):
        return {"label": c.label, "dict": [str(u) for u in uniques], "v": codes.tolist()}
    return {"label": c.label, "v": s.tolist()}


def _round_coords(geoms: np.ndarray, precision: int) -> np.ndarray:
    return np.asarray(shapely.transform(geoms, lambda c: np.round(c, precision)))


def _coordinate_lists(geoms: np.ndarray) -> list[Any]:
    """GeoJSON ``coordinates`` of each geometry as nested lists.

    LineStrings (most map features) straight from the coordinate array; other
    types through GEOS's GeoJSON writer.  The numbers are the same either way.
    """
    if len(geoms) and bool((shapely.get_type_id(geoms) == 1).all()):
        xy, part = shapely.get_coordinates(geoms, return_index=True)
        return [a.tolist() for a in np.split(xy, np.flatnonzero(np.diff(part)) + 1)]
    return [json.loads(s)["coordinates"] for s in shapely.to_geojson(geoms)]


def layer_spec(
    gdf: gpd.GeoDataFrame,
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
        The features, any CRS (transformed to WGS 84 here).
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
        geo = gdf.geometry.to_crs("EPSG:4326")
        spec["lat"] = np.round(geo.y.to_numpy(), precision).tolist()
        spec["lon"] = np.round(geo.x.to_numpy(), precision).tolist()
    elif parts is not None:
        own = np.array([r is None for r in parts[1]], dtype=bool)
        geom: list[Any] = [None] * len(own)
        if own.any():
            rounded = _round_coords(gdf.geometry.to_crs("EPSG:4326").to_numpy()[own], precision)
            for i, coords in zip(np.flatnonzero(own), _coordinate_lists(rounded)):
                geom[int(i)] = coords
        spec["geom"] = geom
        spec["partsFrom"] = parts[0]
        spec["parts"] = [None if r is None else [int(i) for i in r] for r in parts[1]]
    else:
        rounded = _round_coords(gdf.geometry.to_crs("EPSG:4326").to_numpy(), precision)
        spec["geom"] = _coordinate_lists(rounded)
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
        JSON-able object (no NaN).

    Returns
    -------
    str
    """
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
