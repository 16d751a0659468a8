"""POP / OLT sites: the area's POPs, a proposed one where there is none, OLT sizing.

The network starts at the area's POPs.  An OpenStreetMap extract gives its
telecom sites (``telecom=exchange`` / ``central_office``, ``building=telecom``,
``man_made=street_cabinet`` + ``street_cabinet=telecom``) as POPs
(:mod:`planner.io.osm`); such a POP is reported as *proposed* too, since it is
another operator's site until a co-location is agreed.  When an area has no
POP at all, :func:`propose_pop` proposes one before routing: the
demand-weighted 1-median of the target addresses on the road graph -- the road
vertex with the least total road distance to the targets -- and says so in a
warning; the outputs mark it as proposed.

The 1-median is exact up to ``exact_sources`` distinct target vertices (a
Dijkstra from each gives every vertex's total distance).  Beyond, it is found
by descent on shortest-path trees: from the road vertex nearest the targets'
weighted geometric median (Weiszfeld), take the shortest-path tree of the
current vertex, move to that tree's weighted median (the vertex no branch of
which holds more than half the demand, which is no worse on the graph than
the current vertex) and repeat until it stays; then move to the best
neighbour while that improves.

:func:`olt_table` sizes the OLT of every POP: GPON line cards from the used
PON ports (one per first-stage splitter), point-to-point cards from the
express fibres.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.config import Config
from planner.config.network import NetworkConfig
from planner.schema import OUT_OLT_COLUMNS

__all__ = ["propose_pop", "with_proposed_pop", "pop_of_roots", "olt_table", "PROPOSED_SOURCE"]

logger = logging.getLogger(__name__)

#: ``Area.sources["pops"]`` of a proposed POP.
PROPOSED_SOURCE = "proposed: demand-weighted 1-median of the targets on the road graph (planner.network.pop)"


def _road_graph(roads: gpd.GeoDataFrame, config: Config) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Road vertices (snapped to ``node_snap_m``) and the symmetric length matrix between them.

    The roads are noded first (:func:`shapely.node`), so they meet wherever they
    touch or cross -- a proposal needs no bridge/tunnel detail.
    """
    r = roads
    if "highway" in r:
        r = r[~r["highway"].astype(str).isin(config.design.excluded_highways)]
    parts = shapely.get_parts(np.asarray(r.geometry.values, dtype=object))
    parts = parts[shapely.get_type_id(parts) == 1]
    if parts.size:  # node the network: roads meet wherever they touch or cross
        parts = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    snap = config.design.node_snap_m
    key = np.round(coords / snap).astype(np.int64)
    _, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    nodes_xy = np.zeros((inv.max() + 1 if inv.size else 0, 2))
    nodes_xy[inv] = coords
    same = idx[1:] == idx[:-1]
    a, b = inv[:-1][same], inv[1:][same]
    w = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
    keep = a != b
    n = nodes_xy.shape[0]
    m = sparse.coo_matrix((np.r_[w[keep], w[keep]], (np.r_[a[keep], b[keep]], np.r_[b[keep], a[keep]])),
                          shape=(n, n)).tocsr()
    m.sum_duplicates()
    return nodes_xy, m


def _weiszfeld(xy: np.ndarray, w: np.ndarray, iters: int = 100) -> np.ndarray:
    """Weighted geometric median of points (Weiszfeld iterations)."""
    p: np.ndarray = (xy * w[:, None]).sum(axis=0) / w.sum()
    for _ in range(iters):
        d = np.maximum(np.hypot(*(xy - p).T), 1e-6)
        q: np.ndarray = (xy * (w / d)[:, None]).sum(axis=0) / (w / d).sum()
        if np.hypot(*(q - p)) < 0.01:
            return q
        p = q
    return p


def _tree_median(pred: np.ndarray, order: np.ndarray, weight: np.ndarray, root: int) -> int:
    """Weighted median of a shortest-path tree (``order``: reachable nodes, root first)."""
    sub = weight.astype(float).copy()
    for v in order[:0:-1]:
        sub[pred[v]] += sub[v]
    total = sub[root]
    kids: dict[int, list[int]] = {}
    for v in order[1:]:
        kids.setdefault(int(pred[v]), []).append(int(v))
    c = root
    while True:
        heavy = [k for k in kids.get(c, []) if sub[k] > total / 2.0]
        if not heavy:
            return c
        c = min(heavy)


def propose_pop(roads: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, config: Config,
                max_iter: int = 25, exact_sources: int = 1000) -> tuple[np.ndarray, float]:
    """The demand-weighted 1-median of the targets on the road graph.

    Parameters
    ----------
    roads
        Road centrelines (the area's ``roads`` layer).
    targets
        Target address points (one unit of demand each).
    config
        ``[design]`` gives ``node_snap_m``, ``max_access_distance_m`` and the
        excluded road classes.
    max_iter
        Limit of descent steps.
    exact_sources
        Up to this many distinct target vertices the 1-median is exact (a
        Dijkstra from each); beyond, the descent below, then the best
        improving neighbour until none improves (a local optimum).

    Returns
    -------
    xy, cost
        Coordinates of the proposed site and the total road distance from it
        to the targets' nearest road vertices, metres.

    Raises
    ------
    InputDataError
        No road, or no target within ``max_access_distance_m`` of a road.
    """
    xy, m = _road_graph(roads, config)
    pts = np.column_stack([shapely.get_x(targets.geometry.values), shapely.get_y(targets.geometry.values)])
    if xy.shape[0] == 0 or pts.shape[0] == 0:
        raise InputDataError("cannot propose a POP", [Problem(
            file="roads", message="no road or no target address", fix="give the roads and the addresses to connect")])
    d, at = cKDTree(xy).query(pts, k=1)
    ok = d <= config.design.max_access_distance_m
    if not ok.any():
        raise InputDataError("cannot propose a POP", [Problem(
            file="roads", message="no target address lies near a road",
            fix="check the roads layer, or give a 'pops' layer")])
    w = np.bincount(at[ok], minlength=xy.shape[0]).astype(float)
    _, comp = connected_components(m, directed=False)
    best_comp = int(np.argmax(np.bincount(comp, weights=w)))
    w = np.where(comp == best_comp, w, 0.0)
    cand = np.flatnonzero(comp == best_comp)
    src = np.flatnonzero(w > 0)
    if src.size <= exact_sources:  # exact: every vertex's total distance, by Dijkstra from the targets
        total = np.zeros(xy.shape[0])
        for k in range(0, src.size, 256):
            d = dijkstra(m, directed=False, indices=src[k:k + 256])
            total += (w[src[k:k + 256], None] * d).sum(axis=0)
        cur = int(cand[np.argmin(total[cand])])
        return xy[cur], float(total[cur])
    med = _weiszfeld(xy[src], w[src])
    c = int(cand[np.argmin(np.hypot(*(xy[cand] - med).T))])
    best, cur = np.inf, c
    for _ in range(max_iter):
        dist, pred = dijkstra(m, directed=False, indices=c, return_predecessors=True)
        cost = float((w * np.where(np.isfinite(dist), dist, 0.0)).sum())
        if cost >= best - 1e-6:
            break
        best, cur = cost, c
        reach = np.flatnonzero(np.isfinite(dist))
        order = reach[np.argsort(dist[reach], kind="stable")]
        nxt = _tree_median(pred, order, w, c)
        if nxt == c:
            break
        c = nxt
    while True:  # then the best improving neighbour, until none improves
        nb = m.indices[m.indptr[cur]:m.indptr[cur + 1]]
        if nb.size == 0:
            break
        d = dijkstra(m, directed=False, indices=nb)
        tot = (w[None, :] * np.where(np.isfinite(d), d, 0.0)).sum(axis=1)
        j = int(np.argmin(tot))
        if tot[j] >= best - 1e-6:
            break
        best, cur = float(tot[j]), int(nb[j])
    return xy[cur], best


def with_proposed_pop(area: Area, targets: gpd.GeoDataFrame, config: Config) -> Area:
    """The area itself if it has POPs, else a copy with the proposed POP as its ``pops`` layer.

    Parameters
    ----------
    area
        The study area.
    targets
        The target addresses.
    config
        The whole configuration.

    Returns
    -------
    Area
    """
    if len(area.pops) or len(targets) == 0:
        return area
    xy, cost = propose_pop(area.roads, targets, config)
    logger.warning("the study area has no POP: proposing one at the demand-weighted 1-median of the %d targets on "
                   "the road graph (%.0f, %.0f; %.1f km of road to them in total); give a 'pops' layer with the "
                   "real site", len(targets), xy[0], xy[1], cost / 1000.0)
    pops = gpd.GeoDataFrame({"id": ["PROPOSED-POP-1"], "name": ["proposed POP (1-median of the targets)"]},
                            geometry=gpd.points_from_xy([xy[0]], [xy[1]]), crs=area.crs)
    layers = dict(area.layers)
    layers["pops"] = pops
    return replace(area, layers=layers, sources={**area.sources, "pops": PROPOSED_SOURCE})


def pop_of_roots(root_xy: np.ndarray, roots: np.ndarray, pops: gpd.GeoDataFrame) -> dict[int, str]:
    """POP id of each tree root: the nearest POP point (roots are POP road nodes)."""
    if len(pops) == 0:
        return {int(r): f"POP{int(r)}" for r in roots}
    pxy = np.column_stack([shapely.get_x(pops.geometry.values), shapely.get_y(pops.geometry.values)])
    _, j = cKDTree(pxy).query(np.nan_to_num(root_xy), k=1)
    ids = pops["id"].astype(str).to_numpy()
    return {int(r): str(ids[k]) for r, k in zip(roots, np.atleast_1d(j))}


def olt_table(pops: gpd.GeoDataFrame, source: str, homes: dict[str, int], express: dict[str, int],
              cabinets: dict[str, int], pon_ports: dict[str, int], p2p_ports: dict[str, int],
              config: NetworkConfig) -> gpd.GeoDataFrame:
    """One row per POP that serves homes: its OLT's ports and cards.

    Parameters
    ----------
    pops
        The POPs layer used by the design.
    source
        Where the POPs came from (``Area.sources["pops"]``), to tell given,
        OSM-derived and proposed sites apart.
    homes, express, cabinets, pon_ports, p2p_ports
        Per POP id: split homes, express homes, cabinets, used PON and
        point-to-point ports.
    config
        The ``[network]`` section.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`planner.schema.OUT_OLT_COLUMNS` and the POP point.
    """
    src = source.lower()
    if source == PROPOSED_SOURCE:
        proposed, basis = True, "demand-weighted 1-median of the targets (no POP given)"
    elif any(src.split(" [")[0].endswith(s) for s in (".osm", ".pbf", ".o5m", ".osm.xml", ".osm.bz2")):
        proposed, basis = True, "OpenStreetMap telecom site (co-location to be agreed)"
    else:
        proposed, basis = False, "given"
    used = pops[pops["id"].astype(str).isin(set(homes) | set(express))].sort_values("id", kind="stable")
    ids = used["id"].astype(str).tolist()
    pon = np.array([pon_ports.get(i, 0) for i in ids], dtype=np.int64)
    p2p = np.array([p2p_ports.get(i, 0) for i in ids], dtype=np.int64)
    df = pd.DataFrame({
        "pop_id": ids,
        "name": used["name"].astype(str).tolist() if "name" in used else [""] * len(ids),
        "proposed": np.full(len(ids), proposed),
        "basis": [basis] * len(ids),
        "homes": np.array([homes.get(i, 0) for i in ids], dtype=np.int64),
        "express_homes": np.array([express.get(i, 0) for i in ids], dtype=np.int64),
        "cabinets": np.array([cabinets.get(i, 0) for i in ids], dtype=np.int64),
        "pon_ports": pon,
        "pon_cards": -(-pon // config.olt_ports_per_card),
        "p2p_ports": p2p,
        "p2p_cards": -(-p2p // config.p2p_ports_per_card),
    })
    return gpd.GeoDataFrame(df[list(OUT_OLT_COLUMNS)], geometry=used.geometry.to_numpy(), crs=pops.crs)
