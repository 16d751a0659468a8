"""Cabinet areas and cabinet sites on the route tree (and closure splitters of a cascade).

Centralised architecture
    The homes on split fibres are the load of their access nodes; the tree
    contracted to its key nodes (POPs, branch points, nodes with homes) is cut
    into connected cabinet areas of at most ``cabinet_homes`` homes (whole
    splitters' ports over ``port_spare_ratio``: 87 for 96 ports of 1:32) by
    :func:`planner.network.partition.partition_tree`
    (feeder fibres ``ceil(homes x spare / split)``, weight ``fibres_per_drop``
    per home, ``cabinet_penalty_fibre_km`` per cabinet, cabinets at most
    ``max_distribution_m`` from their homes).
Cascade
    First the homes are cut into closure areas of at most ``floor(s2 / spare)``
    homes, each with a 1:s2 splitter in a closure at its best node (one
    upstream fibre each, ``closure_splitter_penalty_fibre_km`` per closure);
    then the closure splitters are the load of a second partition into cabinet
    areas of at most ``floor(capacity / s2)`` closure splitters with 1:s1
    splitters in the cabinet (feeder ``ceil(closures / s1)``).
Cabinet sites
    Where a route node lies inside a private parcel it is not a cabinet site
    (``avoid_private_parcels``).  With an optional ``cabinet_sites`` layer the
    given sites win: every point within ``cabinet_site_snap_m`` of the route
    is a site at its nearest route node, every home belongs to its nearest
    site along the route (which must be within ``max_distribution_m``), and
    each site's homes are cut into the fewest connected areas that fit, their
    cabinets standing at the site.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from planner._errors import InputDataError, Problem
from planner.config.network import NetworkConfig
from planner.network.partition import Partition, feeder_table, partition_tree, preorder
from planner.network.tree import RouteTree, contract

__all__ = ["Placement", "place", "allowed_nodes", "snap_sites"]


@dataclass(frozen=True)
class Placement:
    """Cabinets (and closure splitters) and the homes each serves.

    Attributes
    ----------
    cabinet_node
        Tree node of each cabinet.
    cabinet_site
        Id of the ``cabinet_sites`` point it stands at (``""``: chosen freely).
    cabinet_feeder
        First-stage splitters in each cabinet (= feeder fibres = PON ports).
    home_cabinet
        Cabinet of each home (``-1``: express fibre, no cabinet).
    closure_node, closure_cabinet
        Cascade: tree node and cabinet of each closure splitter (empty otherwise).
    home_closure
        Cascade: closure splitter of each home (``-1`` otherwise).
    passes
        Local-search passes of the (last) partition.
    """

    cabinet_node: np.ndarray
    cabinet_site: np.ndarray
    cabinet_feeder: np.ndarray
    home_cabinet: np.ndarray
    closure_node: np.ndarray
    closure_cabinet: np.ndarray
    home_closure: np.ndarray
    passes: int


def allowed_nodes(tree: RouteTree, parcels: gpd.GeoDataFrame, config: NetworkConfig) -> np.ndarray:
    """Route nodes that may hold a cabinet: not inside a private parcel (when configured)."""
    ok = np.ones(tree.n, dtype=bool)
    if not config.avoid_private_parcels or len(parcels) == 0 or "ownership" not in parcels:
        return ok
    priv = parcels[parcels["ownership"].astype(str) == "private"]
    fin = np.isfinite(tree.xy).all(axis=1)
    if len(priv) == 0 or not fin.any():
        return ok
    pts = gpd.GeoSeries(gpd.points_from_xy(tree.xy[fin, 0], tree.xy[fin, 1]), crs=parcels.crs)
    hit = priv.sindex.query(pts.values, predicate="within")
    idx = np.flatnonzero(fin)
    ok[idx[np.unique(hit[0])]] = False
    return ok


def snap_sites(tree: RouteTree, sites: gpd.GeoDataFrame, config: NetworkConfig) -> tuple[np.ndarray, np.ndarray]:
    """Tree node and id of every cabinet site within ``cabinet_site_snap_m`` of a route node.

    Returns
    -------
    nodes, ids
        One entry per distinct node (the first site by id wins a shared node).
    """
    if len(sites) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    fin = np.flatnonzero(np.isfinite(tree.xy).all(axis=1))
    s = sites.sort_values("id", kind="stable")
    xy = np.column_stack([s.geometry.x.to_numpy(), s.geometry.y.to_numpy()])
    d, j = cKDTree(tree.xy[fin]).query(xy, k=1)
    ok = d <= config.cabinet_site_snap_m
    nodes = fin[j[ok]]
    ids = s["id"].astype(str).to_numpy(dtype=object)[ok]
    _, first = np.unique(nodes, return_index=True)
    first = np.sort(first)
    return nodes[first].astype(np.int64), ids[first]


def _key_partition(tree: RouteTree, load: np.ndarray, weight_per_unit: float, capacity: int, phi: np.ndarray,
                   penalty_m: float, reach: float, allowed: np.ndarray) -> tuple[Partition, np.ndarray]:
    """Partition on the tree contracted to POPs, branch points and loaded nodes; key node -> tree node."""
    nchild = np.bincount(tree.parent[tree.parent >= 0], minlength=tree.n)
    keep = (load > 0) | (nchild != 1)
    nodes, kpar, klen = contract(tree, keep)
    kload = load[nodes]
    try:
        part = partition_tree(kpar, klen, kload, weight_per_unit * kload, capacity=capacity, phi=phi,
                              penalty=penalty_m, reach=reach, allowed=allowed[nodes])
    except ValueError as exc:
        raise InputDataError("no allowed cabinet site within reach", [Problem(
            file="parcels", message=f"{exc} (route nodes inside private parcels are no cabinet sites)",
            fix="set [network] avoid_private_parcels = false, raise max_distribution_m or give a "
                "cabinet_sites layer")]) from None
    return part, nodes


def _site_partition(tree: RouteTree, load: np.ndarray, capacity: int, site_nodes: np.ndarray,
                    reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every load to its nearest site along the route; per site the fewest connected areas that fit.

    Returns
    -------
    part_of_node, cabinet_node, extra_node, extra_count, far
        Part of each node (-1: none), the site node of each part, nodes with
        extra full parts and their counts, and loaded nodes with no site
        within ``reach`` (the other outputs are empty when there are any).
    """
    child = np.flatnonzero(tree.parent >= 0)
    n = tree.n
    adj = sparse.csr_matrix((tree.length[child] + 1e-9, (child, tree.parent[child])), shape=(n, n))
    dist, pred, _ = dijkstra(adj, directed=False, indices=site_nodes, min_only=True, return_predecessors=True)
    far = np.flatnonzero((load > 0) & ~(dist <= reach))
    none = np.zeros(0, dtype=np.int64)
    if far.size:
        return none, none, none, none, far
    par = np.where(pred < 0, -1, pred).astype(np.int64)
    ln = np.zeros(n)
    up = (par >= 0) & (tree.parent == par)       # the predecessor is the route parent
    ln[up] = tree.length[up]
    down = (par >= 0) & ~up                      # the predecessor is a route child
    ln[down] = tree.length[par[down]]
    part = partition_tree(par, ln, load, load.astype(float), capacity=capacity, phi=np.zeros(capacity + 1),
                          improve=False)
    pre, _, _ = preorder(par)
    site_of = np.empty(n, dtype=np.int64)
    for v in pre.tolist():  # roots first
        site_of[v] = v if par[v] < 0 else site_of[par[v]]
    return part.part, site_of[part.top], part.extra_node, part.extra_count, none


def _assign(home_node: np.ndarray, members: np.ndarray, part_of_node: np.ndarray, n_parts: int,
            extra_node: np.ndarray, extra_count: np.ndarray, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Part of each member home (``members``: home indices in a stable order); extra full parts appended.

    Returns the part of every home in ``members`` and, per extra part, the
    part whose cabinet it shares.
    """
    out = part_of_node[home_node[members]].copy()
    host = []
    k = n_parts
    for node, cnt in zip(extra_node.tolist(), extra_count.tolist()):
        at = np.flatnonzero(home_node[members] == node)   # in member order
        for c in range(cnt):
            out[at[c * capacity:(c + 1) * capacity]] = k
            host.append(part_of_node[node])
            k += 1
    return out, np.asarray(host, dtype=np.int64)


def place(tree: RouteTree, home_node: np.ndarray, express: np.ndarray, config: NetworkConfig, *,
          allowed: np.ndarray, sites: tuple[np.ndarray, np.ndarray] | None = None,
          home_ids: np.ndarray | None = None) -> Placement:
    """Place cabinets (and closure splitters) for the homes.

    Parameters
    ----------
    tree
        The route tree.
    home_node
        Tree node of each home's access point (homes in a stable order).
    express
        Homes on a dedicated unsplit fibre (no cabinet).
    config
        The ``[network]`` section.
    allowed
        Nodes that may hold a cabinet (:func:`allowed_nodes`).
    sites
        ``(nodes, ids)`` of the ``cabinet_sites`` layer (:func:`snap_sites`), or
        ``None`` to place cabinets freely.
    home_ids
        Address ids, for messages.

    Returns
    -------
    Placement

    Raises
    ------
    InputDataError
        No allowed cabinet site within ``max_distribution_m`` of some homes.
    """
    n_home = home_node.size
    ids = home_ids if home_ids is not None else np.arange(n_home).astype(str)
    split = np.flatnonzero(~express)
    spare, fd, reach = config.port_spare_ratio, float(config.fibres_per_drop), config.max_distribution_m
    lam = config.cabinet_penalty_fibre_km * 1000.0
    home_closure = np.full(n_home, -1, dtype=np.int64)
    closure_node = np.zeros(0, dtype=np.int64)
    passes = 0
    if config.architecture == "cascade":
        s1, s2 = config.cascade_ratios
        h2 = int(np.floor(s2 / spare + 1e-9))
        load2 = np.bincount(home_node[split], minlength=tree.n)
        p2, nodes2 = _key_partition(tree, load2, fd, h2, feeder_table(h2, h2),
                                    config.closure_splitter_penalty_fibre_km * 1000.0, reach, np.ones(tree.n, bool))
        part_of_node = np.full(tree.n, -1, dtype=np.int64)
        part_of_node[nodes2] = p2.part
        hp, host = _assign(home_node, split, part_of_node, p2.cabinet.size, nodes2[p2.extra_node], p2.extra_count, h2)
        closure_node = np.concatenate([nodes2[p2.cabinet], nodes2[p2.cabinet[host]] if host.size else
                                       np.zeros(0, np.int64)]).astype(np.int64)
        home_closure[split] = hp
        unit_node, unit_home = closure_node, None
        cap1 = config.cabinet_capacity_ports // s2
        per_fibre, weight1 = float(s1), 1.0
    else:
        unit_node, unit_home = home_node[split], split
        cap1 = config.cabinet_homes
        per_fibre, weight1 = config.split_ratio / spare, fd
    units = np.arange(unit_node.size)
    load1 = np.bincount(unit_node, minlength=tree.n)
    phi = feeder_table(cap1, per_fibre)
    site_id = np.zeros(0, dtype=object)
    if sites is not None:
        snodes, sids = sites
        if snodes.size == 0:
            raise InputDataError("no allowed cabinet site within reach", [Problem(
                file="cabinet_sites", message=f"no cabinet site lies within {config.cabinet_site_snap_m:g} m of the "
                "planned route", fix="add cabinet sites next to the route or raise [network] cabinet_site_snap_m")])
        part_of_node, cab_nodes, extra_node, extra_count, far = _site_partition(tree, load1, cap1, snodes, reach)
        if far.size:
            near_far = np.isin(home_node, far)
            if unit_home is None:  # cascade: homes whose closure splitter has no site
                near_far |= np.isin(home_closure, np.flatnonzero(np.isin(closure_node, far)))
            homes = np.flatnonzero(near_far & ~express)
            raise InputDataError("no allowed cabinet site within reach", [Problem(
                file="cabinet_sites", row=str(ids[h]),
                message=f"no cabinet site within {reach:g} m along the route of address {ids[h]}",
                fix="add a cabinet site near it or raise [network] max_distribution_m") for h in homes[:20]])
        site_of_node = dict(zip(snodes.tolist(), sids.tolist()))
    else:
        p1, nodes1 = _key_partition(tree, load1, weight1, cap1, phi, lam, reach, allowed)
        passes = p1.passes
        part_of_node = np.full(tree.n, -1, dtype=np.int64)
        part_of_node[nodes1] = p1.part
        cab_nodes = nodes1[p1.cabinet]
        extra_node, extra_count = nodes1[p1.extra_node], p1.extra_count
        site_of_node = {}
    up, host = _assign(unit_node, units, part_of_node, cab_nodes.size, extra_node, extra_count, cap1)
    cab_nodes = np.concatenate([cab_nodes, cab_nodes[host] if host.size else np.zeros(0, np.int64)]).astype(np.int64)
    # cabinets in route order (POP, preorder of the node, then part order)
    order = np.lexsort((np.arange(cab_nodes.size), tree.pos[cab_nodes]))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    cab_nodes = cab_nodes[order]
    up = rank[up]
    cab_load = np.bincount(up, minlength=cab_nodes.size)
    if config.architecture == "cascade":
        closure_cabinet = up
        home_cabinet = np.full(n_home, -1, dtype=np.int64)
        home_cabinet[split] = closure_cabinet[home_closure[split]]
        feeder = np.ceil(cab_load / config.cascade_ratios[0] - 1e-9).astype(np.int64)
    else:
        closure_cabinet = np.zeros(0, dtype=np.int64)
        home_cabinet = np.full(n_home, -1, dtype=np.int64)
        home_cabinet[split] = up
        feeder = np.ceil(cab_load * spare / config.split_ratio - 1e-9).astype(np.int64)
    site_id = np.array([site_of_node.get(int(c), "") for c in cab_nodes], dtype=object)
    return Placement(cabinet_node=cab_nodes, cabinet_site=site_id, cabinet_feeder=feeder, home_cabinet=home_cabinet,
                     closure_node=closure_node, closure_cabinet=closure_cabinet, home_closure=home_closure,
                     passes=passes)

