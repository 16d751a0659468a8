"""Road lines of the cost graph and the positions where they are cut into edges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.config import Config
from planner.costgraph.arrays import geoms, nearest_line
from planner.costgraph.graph import EPS, SRC_STRUCT

__all__ = ["Lines", "Cuts", "road_lines", "structural_cuts", "point_cuts"]


@dataclass
class Lines:
    """Road lines (one LineString per row) and their vertices with distances along them."""

    table: pd.DataFrame
    geom: np.ndarray
    length: np.ndarray
    tree: Any
    coords: np.ndarray  # vertex coordinates
    vidx: np.ndarray    # line of each vertex
    vd: np.ndarray      # distance of each vertex along its line
    is_end: np.ndarray  # first or last vertex of its line


class Cuts:
    """Accumulates the positions where road lines are cut (later: graph nodes)."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray | None, int, np.ndarray | None]] = []

    def add(self, line: np.ndarray, d: np.ndarray, src: int, xy: np.ndarray | None = None,
            ref: np.ndarray | None = None) -> None:
        """Cut lines ``line`` at distances ``d`` (coordinates ``xy`` if known; ``ref``: source row)."""
        self._parts.append((np.asarray(line, np.int64), np.asarray(d, float), xy, src, ref))

    def arrays(self, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``line, d, xy, src, ref`` of all cuts; missing coordinates are interpolated."""
        line = np.concatenate([p[0] for p in self._parts])
        d = np.concatenate([p[1] for p in self._parts])
        src = np.concatenate([np.full(p[0].size, p[3], np.int64) for p in self._parts])
        ref = np.concatenate([p[4] if p[4] is not None else -np.ones(p[0].size, np.int64) for p in self._parts])
        xy = np.empty((line.size, 2))
        pos = 0
        for ln, dd, pxy, _, _ in self._parts:
            k = ln.size
            if k:
                xy[pos:pos + k] = pxy if pxy is not None else shapely.get_coordinates(
                    shapely.line_interpolate_point(lines[ln], dd))
            pos += k
        return line, d, xy, src, ref


def road_lines(area: Area, config: Config) -> Lines:
    """Usable road lines (excluded classes dropped, multi-parts exploded) and their vertices."""
    dc = config.design
    roads = area.roads
    r = roads
    if "highway" in roads:
        r = roads.loc[~roads["highway"].astype(object).isin(list(dc.excluded_highways)).to_numpy()]
    r = r[~r.geometry.is_empty & r.geometry.notna()]
    r = r.explode(index_parts=False)
    r = r[r.geometry.geom_type == "LineString"]
    r = r[r.geometry.length > EPS].reset_index(drop=True)
    if len(r) == 0:
        raise InputDataError("no usable roads in the study area", [Problem(
            file=area.sources.get("roads", "roads"), message="the roads layer has no usable line",
            fix="give a roads layer with LineStrings (excluded classes: " + ", ".join(dc.excluded_highways) + ")")])
    geom = geoms(r)
    length = shapely.length(geom)
    coords, vidx = shapely.get_coordinates(geom, return_index=True)
    same = vidx[1:] == vidx[:-1]
    seg = np.where(same, np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1])), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    starts = np.r_[0, np.flatnonzero(~same) + 1]
    ends = np.r_[starts[1:] - 1, len(vidx) - 1]
    vd = cum - cum[starts][vidx]
    vd[ends] = length  # exact line ends
    is_end = np.zeros(len(vidx), dtype=bool)
    is_end[starts] = True
    is_end[ends] = True
    return Lines(table=r, geom=geom, length=length, tree=gpd.GeoSeries(geom, crs=area.crs).sindex,
                  coords=coords, vidx=vidx, vd=vd, is_end=is_end)


def structural_cuts(L: Lines, cuts: Cuts, snap: float) -> None:
    """Road ends, vertices shared with another road, and T-junctions."""
    shared = np.zeros(len(L.vidx), dtype=bool)
    pairs = cKDTree(L.coords).query_pairs(snap, output_type="ndarray")
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        ok = (L.vidx[i] != L.vidx[j]) | (np.abs(L.vd[i] - L.vd[j]) > 2 * snap)
        shared[i[ok]] = True
        shared[j[ok]] = True
    hv = np.flatnonzero(L.is_end | shared)
    cuts.add(L.vidx[hv], L.vd[hv], SRC_STRUCT, xy=L.coords[hv])
    # a road end on another road's interior (T-junction without a shared vertex)
    end_pts = shapely.points(L.coords[L.is_end])
    end_line = L.vidx[L.is_end]
    pi, li = L.tree.query(end_pts, predicate="dwithin", distance=snap)
    ok = li != end_line[pi]
    pi, li = pi[ok], li[ok]
    d = shapely.line_locate_point(L.geom[li], end_pts[pi])
    ok = (d > snap) & (d < L.length[li] - snap)
    cuts.add(li[ok], d[ok], SRC_STRUCT, xy=shapely.get_coordinates(end_pts[pi[ok]]))


def point_cuts(pts: np.ndarray, L: Lines, cuts: Cuts, src: int, max_distance: float) -> np.ndarray:
    """Cut the nearest road line at the projection of each point; returns the line (-1: none)."""
    line = nearest_line(L.tree, pts, max_distance)
    ok = np.flatnonzero(line >= 0)
    d = shapely.line_locate_point(L.geom[line[ok]], pts[ok]) if ok.size else np.empty(0)
    cuts.add(line[ok], np.clip(d, 0.0, L.length[line[ok]]), src, ref=ok.astype(np.int64))
    return line
