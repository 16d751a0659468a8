"""The light base layer of offline maps: the area's roads and its place names.

An offline map has no tiles, so without help a councillor sees dots on an empty
background.  This layer draws the study area's roads as thin grey lines (merged
into continuous lines per road class and simplified: a few hundred kB for the
demo's ~590 km) and the localities' names as labels, so the map reads like a
map.  Both are non-interactive: clicks go to the plan's features.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import styles
from planner.maps.columns import col, num
from planner.maps.encoding import Col, Group, layer_spec
from planner.maps.plan_layers import Ctx
from planner.schema import WORKING_CRS

__all__ = ["ROAD_CLASSES", "ROAD_STYLE", "place_groups", "road_groups"]

#: Road classes of the base layer by OSM ``highway`` value; other values are minor ways.
ROAD_CLASSES: dict[str, tuple[str, ...]] = {
    "major": ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
              "secondary_link", "tertiary", "tertiary_link"),
    "street": ("residential", "unclassified", "living_street", "road", "pedestrian"),
    "minor": (),
}

#: Leaflet path options per road class: thin grey, never catching clicks. [A]
ROAD_STYLE: dict[str, dict[str, Any]] = {
    "major": {"color": styles.ROAD_COLOUR, "weight": 2.2, "opacity": 0.8, "interactive": False},
    "street": {"color": styles.ROAD_COLOUR, "weight": 1.2, "opacity": 0.7, "interactive": False},
    "minor": {"color": styles.ROAD_COLOUR, "weight": 0.8, "opacity": 0.6, "dashArray": "3 3", "interactive": False},
}

#: Localities with at least this many address points get a bold label. [A: a small town or a large village]
_MAJOR_PLACE_POINTS = 500


def _road_class(highway: pd.Series) -> pd.Series:
    out = pd.Series("minor", index=highway.index, dtype=object)
    for c in ("street", "major"):
        out = out.where(~highway.isin(ROAD_CLASSES[c]), c)
    return out


def road_groups(roads: gpd.GeoDataFrame, ctx: Ctx, tolerance_m: float) -> list[Group]:
    """The roads as one non-interactive line layer, merged per class and simplified.

    Parameters
    ----------
    roads
        Road centrelines (``highway`` optional).
    ctx
        Builder context; ``summary['roads_km']`` gets the length drawn.
    tolerance_m
        Douglas-Peucker tolerance, metres (``MapConfig.road_simplify_m``).

    Returns
    -------
    list of Group
        Empty when there are no roads.
    """
    r = roads.to_crs(WORKING_CRS)
    cls = _road_class(col(r, "highway"))
    classes = list(ROAD_STYLE)
    lines: list[np.ndarray] = []
    index: list[np.ndarray] = []
    for i, c in enumerate(classes):
        parts = shapely.get_parts(r.geometry[(cls == c).to_numpy()].to_numpy())
        if not len(parts):
            continue
        merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(parts)))
        merged = shapely.simplify(merged, tolerance_m) if tolerance_m > 0 else merged
        merged = merged[~shapely.is_empty(merged)]
        lines.append(merged)
        index.append(np.full(len(merged), i))
    if not lines:
        return []
    geoms = np.concatenate(lines)
    gdf = gpd.GeoDataFrame(geometry=geoms, crs=WORKING_CRS)
    ctx.summary["roads_km"] = float(shapely.length(geoms).sum()) / 1000.0
    spec = layer_spec(gdf, "line", cols=[], styles=[ROAD_STYLE[c] for c in classes],
                      style_index=np.concatenate(index), precision=ctx.precision, lang=ctx.lang)
    return [Group("roads", ctx.t["layer.roads"], spec)]


def place_groups(addresses: gpd.GeoDataFrame, localities: gpd.GeoDataFrame | None, ctx: Ctx) -> list[Group]:
    """Locality names as labels: at a point inside each locality, else at its address points' median.

    Parameters
    ----------
    addresses
        Address points (``locality``; used when there are no localities).
    localities
        Locality areas (``locality``, optional ``points``), if any.
    ctx
        Builder context.

    Returns
    -------
    list of Group
    """
    if localities is not None and len(localities):
        loc = localities.to_crs(WORKING_CRS)
        names = col(loc, "locality")
        pts = loc.geometry.representative_point()
        points = num(loc, "points").fillna(0.0)
        keep = (names != "").to_numpy()
        names, pts, points = names[keep], pts[keep], points[keep]
    else:
        a = addresses.to_crs(WORKING_CRS)
        key = col(a, "locality")
        xy = pd.DataFrame({"name": key.to_numpy(), "x": a.geometry.x.to_numpy(), "y": a.geometry.y.to_numpy()})
        g = xy[xy["name"] != ""].groupby("name", sort=True)
        med = g[["x", "y"]].median()
        names = pd.Series(med.index.astype(str), index=med.index)
        pts = gpd.GeoSeries(shapely.points(med["x"].to_numpy(), med["y"].to_numpy()), index=med.index,
                            crs=WORKING_CRS)
        points = g.size().astype(float)
    if not len(names):
        return []
    gdf = gpd.GeoDataFrame({"name": names.to_numpy()}, geometry=pts.to_numpy(), crs=WORKING_CRS)
    major = (points.to_numpy() >= _MAJOR_PLACE_POINTS).astype(int)
    spec = layer_spec(gdf, "label", cols=[Col("", gdf["name"])], precision=ctx.precision, lang=ctx.lang,
                      styles=[{"className": "pm-place"}, {"className": "pm-place pm-place-major"}],
                      style_index=major, title=0)
    return [Group("places", ctx.t["layer.places"], spec)]
