"""Access and drops: each target's access node, drop line to the fence and crossing flag."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.config import Config
from planner.costgraph.arrays import first_per_group, geoms

__all__ = ["access_table"]


def access_table(
    targets: gpd.GeoDataFrame,
    tgt_geom: np.ndarray,
    tgt_line: np.ndarray,
    tgt_node: np.ndarray,
    node_xy: np.ndarray,
    lines: np.ndarray,
    highway: np.ndarray,
    parcels: gpd.GeoDataFrame,
    config: Config,
) -> gpd.GeoDataFrame:
    """Drops of the targets: access node -> fence, and their crossing flag."""
    dc = config.design
    n = len(tgt_geom)
    ok = tgt_node >= 0
    k = np.flatnonzero(ok)
    start = shapely.points(node_xy[tgt_node[k]]) if k.size else np.empty(0, dtype=object)
    addr = tgt_geom[k]
    fence = addr.copy()
    fence_parcel = np.full(n, "", dtype=object)
    access_dist = np.full(n, np.nan)
    if k.size:
        access_dist[k] = shapely.distance(lines[tgt_line[k]], addr)
    if len(parcels) and k.size:
        pg = geoms(parcels)
        q = parcels.sindex.query(addr, predicate="within")
        if q.shape[1]:
            first = first_per_group(q[0], q[1])
            ai, pi = q[0, first], q[1, first]
            fence_parcel[k[ai]] = parcels["id"].astype(str).to_numpy(dtype=object)[pi]
            outside = ~shapely.contains(pg[pi], start[ai])
            ai, pi = ai[outside], pi[outside]
            if ai.size:
                seg = shapely.linestrings(
                    np.stack([shapely.get_coordinates(start[ai]), shapely.get_coordinates(addr[ai])], axis=1))
                inter = shapely.intersection(seg, pg[pi])
                cxy, cix = shapely.get_coordinates(inter, return_index=True)
                if cix.size:
                    dl = shapely.line_locate_point(seg[cix], shapely.points(cxy))
                    m = first_per_group(cix, dl)
                    fence[ai[cix[m]]] = shapely.points(cxy[m])
    drop = np.full(n, None, dtype=object)
    if k.size:
        drop[k] = shapely.linestrings(
            np.stack([shapely.get_coordinates(start), shapely.get_coordinates(fence)], axis=1))
    length = np.full(n, np.nan)
    length[k] = shapely.length(drop[k]) if k.size else 0.0
    # side of the road: left of the digitised direction -> crossing if underground
    cross = np.zeros(n, dtype=np.int64)
    if k.size:
        ln = lines[tgt_line[k]]
        major = np.isin(highway[tgt_line[k]], list(dc.crossing_highways))
        d = shapely.line_locate_point(ln, addr)
        a = shapely.get_coordinates(shapely.line_interpolate_point(ln, np.maximum(d - 0.5, 0.0)))
        b = shapely.get_coordinates(shapely.line_interpolate_point(ln, d + 0.5))
        p = shapely.get_coordinates(addr)
        side = (b[:, 0] - a[:, 0]) * (p[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[:, 0] - a[:, 0])
        cross[k] = (major & (side > 0)).astype(np.int64)
    ids = (targets["id"].astype(str).to_numpy(dtype=object) if "id" in targets
           else np.arange(n).astype(str).astype(object))
    return gpd.GeoDataFrame(
        {
            "address_id": ids,
            "access_node": tgt_node,
            "access_distance_m": access_dist,
            "drop_length_m": length,
            "fence_parcel_id": fence_parcel,
            "crossing_if_underground": cross,
            "reason": np.where(ok, "", "no_road_access").astype(object),
        },
        geometry=gpd.GeoSeries(drop, crs=targets.crs),
        crs=targets.crs,
    )
