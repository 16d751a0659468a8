"""Duct-reuse option: ducts with a free sub-duct, their cuts, and the duct price of every edge."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.area import Area
from planner.config import Config
from planner.costgraph.arrays import first_per_group, geoms
from planner.costgraph.graph import EPS, SRC_DUCT
from planner.costgraph.lines import Cuts, Lines
from planner.costgraph.noding import Edges

__all__ = ["reusable_ducts", "duct"]


def reusable_ducts(area: Area, config: Config, L: Lines, cuts: Cuts) -> gpd.GeoDataFrame:
    """Ducts with a free sub-duct; cut the roads where such a duct starts or ends."""
    dc = config.design
    ducts = area.layers["ducts"]
    if not dc.allow_duct_reuse or len(ducts) == 0:
        return ducts.iloc[0:0]
    free = pd.to_numeric(ducts["free_subducts"], errors="coerce").fillna(0).to_numpy()
    ducts = ducts.loc[free >= 1].reset_index(drop=True)
    parts = shapely.get_parts(geoms(ducts))
    ends = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
    pi, li = L.tree.query(ends, predicate="dwithin", distance=dc.duct_follow_distance_m)
    d = shapely.line_locate_point(L.geom[li], ends[pi])
    ok = (d > EPS) & (d < L.length[li] - EPS)
    cuts.add(li[ok], d[ok], SRC_DUCT)
    return ducts


def duct(config: Config, ducts: gpd.GeoDataFrame, E: Edges) -> tuple[np.ndarray, np.ndarray]:
    """Duct-reuse cost and duct id of every edge."""
    dc, cc = config.design, config.costs
    cost = np.full(E.line.size, np.inf)
    duct_id = np.full(E.line.size, "", dtype=object)
    if len(ducts) == 0 or E.line.size == 0:
        return cost, duct_id
    dg = geoms(ducts)
    ei, di = gpd.GeoSeries(dg, crs=ducts.crs).sindex.query(E.geom, predicate="dwithin",
                                                            distance=dc.duct_follow_distance_m)
    buf = shapely.buffer(dg, dc.duct_follow_distance_m, quad_segs=4)
    share = shapely.length(shapely.intersection(E.geom[ei], buf[di])) / np.maximum(E.length[ei], EPS)
    best = first_per_group(ei, -share, di)
    ei, di, share = ei[best], di[best], share[best]
    ok = share >= dc.duct_follow_min_share - 1e-9
    cost[ei[ok]] = cc.duct_reuse_pln_per_m * E.length[ei[ok]]
    duct_id[ei[ok]] = ducts["id"].astype(str).to_numpy(dtype=object)[di[ok]]
    return cost, duct_id
