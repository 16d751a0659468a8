"""Network design: shared tree, drops, distance fees, reach and bill of quantities.

Stage ``design`` of the pipeline.  :func:`design_network` prices the road
graph (:func:`planner.costgraph.build_cost_graph`), connects every target
address with the cheapest shared tree it can find
(:func:`planner.routing.steiner_tree_edges` on the edges' ``cost_pln``), adds
the drops and prices the whole plan, per locality and in total, next to the
naive alternative (the union of every address's own shortest road path from
the POP, priced with the same per-edge rules: routing without a cost model).

Rules
-----
POPs
    Each POP sits at the node of its projection onto the nearest road.  With
    several POPs the tree grows from a virtual root joined to every POP node
    by zero-cost edges, so each target hangs off whichever POP serves it
    cheapest; segments leaving a POP have ``parent_id == -1``.
Unconnected targets (``unconnected_reason``), checked in this order
    ``no_road_access``: no road within ``max_access_distance_m``, or the
    access node is in a part of the road network no POP reaches even through
    refused parcels.  ``consent_refused``: reachable only through edges whose
    parcel consent is refused.  ``long_drop_excluded``: the drop is longer than
    ``drop_contract_max_m`` and ``long_drop_policy == 'exclude'``.
    ``reach``: even the shortest road path from the nearest POP plus the drop
    exceeds ``max_reach_m`` (no tree can do better).
Reach
    Every other target is connected within ``max_reach_m`` of fibre (along
    the network from the POP to the access node, plus the drop).  The cheapest
    tree follows pole lines and may take long detours; its violators are
    repaired by forcing paths that fit the reach into the tree (cheapest on
    ``cost + lam x length`` for the smallest fitting ``lam``; a Steiner rebuild
    with those edges nearly free, then grafting the paths on), for up to
    ``reach_repair_rounds`` rounds and finally by grafting the shortest-length
    paths, which never lengthens a path -- see :func:`_reach_tree`.  If the
    naive alternative (below) is cheaper than the repaired tree, it is used.
Drops
    A drop runs from the access node to the fence (see
    :mod:`planner.costgraph`); it carries ``drop_slack_m`` of slack (own BOM
    line), ``drop_fixed_pln + drop_pln_per_m x length + slack_pln_per_m x
    slack``, the distance fee ``drop_distance_fee_pln_per_m`` x the length over
    ``drop_contract_max_m``, and one road crossing when its road is a main road
    with the address on the far side and the segment it hangs off is not
    aerial.
Segments
    The tree's edges oriented away from the POP (``u`` nearer the POP), in
    breadth-first order; ``simc``/``locality`` of a segment are those of the
    nearest connected target address.
Naive alternative
    Union of the cheapest paths (on the same edge costs) from the nearest POP
    to every connected target -- the shortest-path tree pruned to the
    targets, its reach violators' shortest-length paths grafted on -- priced
    with the same rules, so the saving of sharing the trench is the difference
    of the two network costs.  The summary also gives the
    *unshared* cost (the sum of every address's own cheapest path, each
    trench dug once per address) and the saving against it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, connected_components

from planner import routing
from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.config import Config
from planner.costgraph import CostGraph, _first_per_group, build_cost_graph
from planner.schema import OUT_BOM_COLUMNS, OUT_DROP_COLUMNS, OUT_SEGMENT_COLUMNS, POLE_OWNERS

__all__ = ["DesignResult", "design_network", "bill_of_quantities"]

logger = logging.getLogger(__name__)

UNCONNECTED_COLUMNS: tuple[str, ...] = ("address_id", "simc", "locality", "reason", "detail")


@dataclass
class DesignResult:
    """The designed network of one study area.

    Attributes
    ----------
    segments
        Tree edges, columns :data:`planner.schema.OUT_SEGMENT_COLUMNS` and
        ``geometry`` oriented away from the POP.
    drops
        One row per connected target, columns
        :data:`planner.schema.OUT_DROP_COLUMNS` and the drop line ``geometry``.
    unconnected
        Targets that are not connected: ``address_id, simc, locality, reason,
        detail``.
    addresses
        The input addresses with the design columns of
        :data:`planner.schema.OUT_ADDRESS_COLUMNS` filled (schedule columns
        empty).
    bom, bom_naive
        Bill of quantities (:data:`planner.schema.OUT_BOM_COLUMNS`) per
        locality plus a ``TOTAL`` row, for the shared tree and the naive
        alternative.
    summary
        Key figures (km by type, costs, saving, counts).
    graph
        The cost graph the design was routed on.
    """

    segments: gpd.GeoDataFrame
    drops: gpd.GeoDataFrame
    unconnected: pd.DataFrame
    addresses: gpd.GeoDataFrame
    bom: pd.DataFrame
    bom_naive: pd.DataFrame
    summary: dict[str, Any]
    graph: CostGraph


# ---------------------------------------------------------------------------
# graph helpers
# ---------------------------------------------------------------------------


@dataclass
class _RoutingGraph:
    """Deduplicated usable edges plus a virtual root joined to the POPs."""

    n_nodes: int          # including the virtual root when present
    root: int
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    length: np.ndarray
    edge_row: np.ndarray  # row in graph.edges, -1 for a virtual root edge


def _dedupe(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Indices keeping the cheapest of parallel edges (ties: lowest index)."""
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((np.arange(u.size), w, b, a))
    keep = np.r_[True, (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])]
    return np.sort(order[keep])


def _routing_graph(graph: CostGraph, mask: np.ndarray) -> _RoutingGraph:
    e = graph.edges
    rows = np.flatnonzero(mask)
    u, v = e["u"].to_numpy()[rows], e["v"].to_numpy()[rows]
    w, ln = e["cost_pln"].to_numpy()[rows], e["length_m"].to_numpy()[rows]
    k = _dedupe(u, v, w)
    rows, u, v, w, ln = rows[k], u[k], v[k], w[k], ln[k]
    pops = np.unique(graph.pop_nodes)
    n = graph.n_nodes
    if pops.size == 1:
        return _RoutingGraph(n, int(pops[0]), u, v, w, ln, rows)
    root = n
    m = pops.size
    return _RoutingGraph(
        n + 1, root,
        np.concatenate([u, np.full(m, root)]), np.concatenate([v, pops]),
        np.concatenate([w, np.zeros(m)]), np.concatenate([ln, np.zeros(m)]),
        np.concatenate([rows, -np.ones(m, dtype=np.int64)]),
    )


def _orient(rg: _RoutingGraph, chosen: np.ndarray) -> dict[str, np.ndarray]:
    """Orient chosen edges (a tree containing the root) away from the root.

    Returns per-node ``pred`` and ``pred_edge`` (-1 where none), the BFS
    ``order`` of the tree's nodes and per-node fibre distance ``dist``.
    """
    n = rg.n_nodes
    u, v = rg.u[chosen], rg.v[chosen]
    mat = sparse.csr_matrix((np.ones(2 * u.size, dtype=np.int8), (np.r_[u, v], np.r_[v, u])), shape=(n, n))
    order, pred = breadth_first_order(mat, rg.root, directed=False, return_predecessors=True)
    pred = np.where(pred < 0, -1, pred).astype(np.int64)
    # edge between each node and its predecessor
    a, b = np.minimum(u, v), np.maximum(u, v)
    key = a * n + b
    srt = np.argsort(key, kind="stable")
    nodes = order[1:]
    p = pred[nodes]
    q = np.minimum(nodes, p) * n + np.maximum(nodes, p)
    pos = srt[np.searchsorted(key[srt], q)]
    pred_edge = np.full(n, -1, dtype=np.int64)
    pred_edge[nodes] = chosen[pos]
    dist = np.full(n, np.inf)
    dist[rg.root] = 0.0
    ln = rg.length
    for node in nodes:  # parents come first in BFS order; loop over tree nodes only
        dist[node] = dist[pred[node]] + ln[pred_edge[node]]
    return {"pred": pred, "pred_edge": pred_edge, "order": order, "dist": dist}


def _tree(rg: _RoutingGraph, terminals: np.ndarray, w: np.ndarray | None = None, *,
          search: tuple[int, float]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Steiner tree (:func:`planner.routing.steiner_tree_edges`) from the root, oriented.

    ``w`` overrides the edge weights (default: the edge costs ``rg.w``);
    ``search`` is ``(max_rounds, rel_tol)`` of the local search
    (``design.steiner_max_rounds``, ``design.steiner_rel_tol``).
    """
    w = rg.w if w is None else w
    chosen = routing.steiner_tree_edges(rg.n_nodes, rg.u, rg.v, w, np.unique(terminals), root=rg.root,
                                        max_rounds=search[0], rel_tol=search[1])
    return chosen, _orient(rg, chosen)


def _downstream(tree: dict[str, np.ndarray], n: int, access_nodes: np.ndarray) -> np.ndarray:
    """Number of targets at or below each node."""
    cnt = np.bincount(access_nodes, minlength=n).astype(np.int64)
    pred = tree["pred"]
    for node in tree["order"][:0:-1]:  # leaves first
        cnt[pred[node]] += cnt[node]
    return cnt


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------


def _segments(graph: CostGraph, rg: _RoutingGraph, tree: dict[str, np.ndarray], down: np.ndarray,
              targets: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Segment table (internal: with pole counts per owner) and node -> segment id."""
    e = graph.edges
    order, pred, pred_edge = tree["order"], tree["pred"], tree["pred_edge"]
    child = order[1:]
    child = child[rg.edge_row[pred_edge[child]] >= 0]  # skip virtual root edges
    rows = rg.edge_row[pred_edge[child]]
    parent = pred[child]
    seg_of_node = np.full(rg.n_nodes, -1, dtype=np.int64)
    seg_of_node[child] = np.arange(child.size)
    seg = e.iloc[rows].reset_index(drop=True)
    flip = seg["u"].to_numpy() != parent
    geom = np.asarray(seg.geometry.values, dtype=object)
    if flip.any():
        geom[flip] = shapely.reverse(geom[flip])
    seg["u"], seg["v"] = parent.astype(np.int64), child.astype(np.int64)
    seg["segment_id"] = np.arange(child.size, dtype=np.int64)
    seg["parent_id"] = seg_of_node[parent]
    seg["dist_from_pop_m"] = tree["dist"][child]
    seg["n_targets_downstream"] = down[child]
    seg = gpd.GeoDataFrame(seg, geometry=gpd.GeoSeries(geom, crs=graph.crs), crs=graph.crs)
    simc = np.full(len(seg), "", dtype=object)
    loc = np.full(len(seg), "", dtype=object)
    if len(seg) and len(targets):
        idx = targets.sindex.nearest(seg.geometry.values, return_all=True)
        first = _first_per_group(idx[0], idx[1])
        si, ti = idx[0, first], idx[1, first]
        simc[si] = targets["simc"].astype(str).to_numpy(dtype=object)[ti]
        loc[si] = targets["locality"].astype(str).to_numpy(dtype=object)[ti]
    seg["simc"], seg["locality"] = simc, loc
    return seg, seg_of_node


def _drops(graph: CostGraph, config: Config, acc: pd.DataFrame, tgt: gpd.GeoDataFrame,
           seg: gpd.GeoDataFrame, seg_of_node: np.ndarray, dist: np.ndarray) -> gpd.GeoDataFrame:
    """Drop table (internal: with ``road_crossings``) of the connected targets ``acc``."""
    dc, cc = config.design, config.costs
    node = acc["access_node"].to_numpy()
    length = acc["drop_length_m"].to_numpy(dtype=float)
    sid = seg_of_node[node]
    dep = np.where(sid >= 0, seg["deployment"].to_numpy(dtype=object)[np.maximum(sid, 0)] if len(seg) else "", "")
    cross = np.where(dep == "aerial", 0, acc["crossing_if_underground"].to_numpy()).astype(np.int64)
    over = np.maximum(length - dc.drop_contract_max_m, 0.0)
    fee = over * cc.drop_distance_fee_pln_per_m
    slack = np.full(len(acc), dc.drop_slack_m)
    cost = (cc.drop_fixed_pln + cc.drop_pln_per_m * length + cc.slack_pln_per_m * slack + fee
            + cross * cc.road_crossing_pln)
    return gpd.GeoDataFrame(
        {
            "address_id": acc["address_id"].to_numpy(dtype=object),
            "simc": tgt["simc"].astype(str).to_numpy(dtype=object),
            "locality": tgt["locality"].astype(str).to_numpy(dtype=object),
            "segment_id": sid.astype(np.int64),
            "access_node": node.astype(np.int64),
            "length_m": length,
            "slack_m": slack,
            "over_limit_m": over,
            "fee_pln": fee,
            "cost_pln": cost,
            "fibre_distance_m": dist[node] + length,
            "road_crossings": cross,
        },
        geometry=gpd.GeoSeries(acc.geometry.values, crs=graph.crs),
        crs=graph.crs,
    )


def bill_of_quantities(segments: pd.DataFrame, drops: pd.DataFrame, localities: pd.DataFrame) -> pd.DataFrame:
    """Bill of quantities per locality plus a ``TOTAL`` row.

    Parameters
    ----------
    segments
        Segments with ``simc, deployment, pole_owner, surface, length_m,
        road_crossings, cost_pln`` and ``poles_<owner>`` counts.
    drops
        Drops with ``simc, length_m, slack_m, over_limit_m, fee_pln, cost_pln``
        and ``road_crossings``.
    localities
        ``simc, locality`` of every locality to list (sorted by ``simc``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`planner.schema.OUT_BOM_COLUMNS`.
    """
    s, d = segments, drops
    km = s["length_m"].to_numpy(dtype=float) / 1000.0
    dep = s["deployment"].to_numpy(dtype=object)
    sf = pd.DataFrame({"simc": s["simc"].to_numpy(dtype=object)})
    for o in POLE_OWNERS:
        sf[f"km_aerial_{o}"] = np.where((dep == "aerial") & (s["pole_owner"].to_numpy(dtype=object) == o), km, 0.0)
    sf["km_duct"] = np.where(dep == "duct", km, 0.0)
    for sur in ("unpaved", "paved", "carriageway"):
        sf[f"km_trench_{sur}"] = np.where((dep == "trench") & (s["surface"].to_numpy(dtype=object) == sur), km, 0.0)
    sf["road_crossings"] = s["road_crossings"].to_numpy(dtype=np.int64)
    for o in POLE_OWNERS:
        sf[f"poles_{o}"] = s[f"poles_{o}"].to_numpy(dtype=np.int64)
    sf["cost_network_pln"] = s["cost_pln"].to_numpy(dtype=float)
    df = pd.DataFrame({
        "simc": d["simc"].to_numpy(dtype=object),
        "road_crossings": d["road_crossings"].to_numpy(dtype=np.int64),
        "drops": np.ones(len(d), dtype=np.int64),
        "km_drops": d["length_m"].to_numpy(dtype=float) / 1000.0,
        "km_slack": d["slack_m"].to_numpy(dtype=float) / 1000.0,
        "long_drops": (d["over_limit_m"].to_numpy(dtype=float) > 0).astype(np.int64),
        "distance_fees_pln": d["fee_pln"].to_numpy(dtype=float),
        "cost_drops_pln": d["cost_pln"].to_numpy(dtype=float),
        "homes_passed": np.ones(len(d), dtype=np.int64),
    })
    allrows = pd.concat([sf, df], ignore_index=True)
    num = [c for c in OUT_BOM_COLUMNS if c not in ("simc", "locality", "cost_total_pln", "cost_per_home_pln")]
    allrows = allrows.reindex(columns=["simc"] + num)
    ints = [c for c in num if c.startswith(("poles_", "road_crossings", "drops", "long_drops", "homes_passed"))]
    allrows[num] = allrows[num].fillna(0)
    per = allrows.groupby("simc", sort=True)[num].sum()
    names = localities.drop_duplicates("simc").set_index("simc")["locality"]
    simcs = sorted(set(names.index.astype(str)) | set(per.index.astype(str)))
    per = per.reindex(simcs, fill_value=0)
    total = allrows[num].sum().to_frame("TOTAL").T
    out = pd.concat([per, total])
    out[ints] = out[ints].astype(np.int64)
    out["cost_total_pln"] = out["cost_network_pln"] + out["cost_drops_pln"]
    hp = out["homes_passed"].to_numpy(dtype=float)
    out["cost_per_home_pln"] = np.where(hp > 0, out["cost_total_pln"].to_numpy(dtype=float) / np.maximum(hp, 1), np.nan)
    out.index.name = "simc"
    out = out.reset_index()
    lookup = {str(k): str(v) for k, v in names.items()}
    out["locality"] = np.array([lookup.get(str(x), "") for x in out["simc"]], dtype=object)  # one per locality
    out.loc[out["simc"] == "TOTAL", "locality"] = ""
    out["simc"] = out["simc"].astype(object)
    return out[list(OUT_BOM_COLUMNS)].reset_index(drop=True)


# ---------------------------------------------------------------------------
# main entry point
# ---------------------------------------------------------------------------


def design_network(
    area: Area,
    config: Config,
    addresses: gpd.GeoDataFrame,
    *,
    progress: bool = False,
) -> DesignResult:
    """Design the fibre network that connects every target address.

    Parameters
    ----------
    area
        Study area (roads, poles, ducts, parcels, POPs).
    config
        Prices and rules (``config.costs``, ``config.design``).
    addresses
        Classified addresses from the white-spot stage; rows with
        ``is_target`` are connected.
    progress
        Show progress bars.

    Returns
    -------
    DesignResult

    Raises
    ------
    InputDataError
        If ``addresses`` lacks the white-spot columns, or the area has no
        usable road or POP.
    """
    dc = config.design
    missing = [c for c in ("id", "simc", "locality", "is_target") if c not in addresses]
    if missing:
        raise InputDataError("addresses are not classified", [Problem(
            file="addresses", message=f"missing column(s) {', '.join(missing)}",
            fix="run the white-spot stage first (planner.whitespots) or add the columns")])
    is_target = addresses["is_target"].fillna(False).astype(bool).to_numpy()
    tpos = np.flatnonzero(is_target)
    targets = addresses.iloc[tpos].reset_index(drop=True)
    if len(area.pops) == 0:  # issue #16: no POP given -> a proposed one (planner.network.pop), with a warning
        from planner.network.pop import with_proposed_pop
        area = with_proposed_pop(area, targets, config)
    graph = build_cost_graph(area, config, targets, progress=progress)
    acc = graph.access
    n_t = len(targets)
    reason = acc["reason"].to_numpy(dtype=object).copy()
    detail = np.where(reason == "no_road_access", f"no road within {dc.max_access_distance_m:g} m", "").astype(object)
    node = acc["access_node"].to_numpy()
    drop_len = acc["drop_length_m"].to_numpy(dtype=float)

    # -- reachability --------------------------------------------------------------
    usable = graph.edges["usable"].to_numpy()
    rg = _routing_graph(graph, usable)
    rg_all = _routing_graph(graph, np.ones(len(graph.edges), dtype=bool))
    ok_usable = routing.reachable_mask(rg.n_nodes, rg.u, rg.v, rg.root)
    ok_all = routing.reachable_mask(rg_all.n_nodes, rg_all.u, rg_all.v, rg_all.root)
    pending = reason == ""
    cut = pending & ~ok_usable[np.maximum(node, 0)]
    refused = cut & ok_all[np.maximum(node, 0)]
    reason[refused] = "consent_refused"
    if refused.any():
        detail[refused] = _refused_detail(graph, rg, node[refused])
    nor = cut & ~refused
    reason[nor] = "no_road_access"
    detail[nor] = "the road network here does not lead to any POP"

    # -- long drops ---------------------------------------------------------------------
    over = np.maximum(drop_len - dc.drop_contract_max_m, 0.0)
    if dc.long_drop_policy == "exclude":
        long = (reason == "") & (over > 0)
        reason[long] = "long_drop_excluded"
        detail[long] = ("drop " + _fmt(drop_len[long]) + f" m > {dc.drop_contract_max_m:g} m (fee would be "
                        + _fmt(over[long] * config.costs.drop_distance_fee_pln_per_m) + " PLN)")

    # -- reach screen with shortest path lengths (a lower bound of any tree distance) ------
    sp_len, sp_pred = routing.dijkstra(_csr(rg, rg.length), directed=False, indices=rg.root,
                                       return_predecessors=True)
    _mark_reach(reason, detail, (reason == "") & (sp_len[np.maximum(node, 0)] + drop_len > dc.max_reach_m),
                sp_len[np.maximum(node, 0)] + drop_len, dc.max_reach_m, "shortest path")

    # -- naive alternative: union of every target's shortest (by length) path from the POP,
    # priced with the same per-edge rules: routing without a cost model.  Shortest paths
    # are within reach after the screen above; the graft below is a no-op safeguard. ------
    conn = reason == ""
    term, tdrop = node[conn], drop_len[conn]
    dist_sp = routing.dijkstra(_csr(rg, rg.w), directed=False, indices=rg.root)
    unshared = float(dist_sp[term].sum())  # every address its own cheapest path, nothing shared
    naive_edges = _path_union(rg, sp_pred, np.unique(term))
    naive = _graft_violators(rg, naive_edges, _orient(rg, naive_edges), term, tdrop, sp_pred, dc.max_reach_m)

    # -- shared tree, repaired until every target is within reach -------------------------
    chosen, tree = _reach_tree(rg, term, tdrop, sp_pred, dc.max_reach_m, dc.reach_repair_rounds,
                               (dc.steiner_max_rounds, dc.steiner_rel_tol))
    if routing.tree_cost(rg.w, naive[0]) < routing.tree_cost(rg.w, chosen):
        logger.info("design: the reach-repaired tree costs more than the naive one; using the naive tree")
        chosen, tree = naive
    logger.info("design: %d of %d targets connected, tree of %d edges", int(conn.sum()), n_t, chosen.size)

    # -- tables ---------------------------------------------------------------------------
    ctg = targets.iloc[np.flatnonzero(conn)].reset_index(drop=True)
    cacc = acc.iloc[np.flatnonzero(conn)].reset_index(drop=True)
    down = _downstream(tree, rg.n_nodes, node[conn])
    seg_i, seg_of_node = _segments(graph, rg, tree, down, ctg)
    drops_i = _drops(graph, config, cacc, ctg, seg_i, seg_of_node, tree["dist"])

    ntree = naive[1]
    nseg_i, nseg_of_node = _segments(graph, rg, ntree, _downstream(ntree, rg.n_nodes, node[conn]), ctg)
    ndrops_i = _drops(graph, config, cacc, ctg, nseg_i, nseg_of_node, ntree["dist"])

    locs = targets[["simc", "locality"]].astype(str).sort_values("simc", kind="stable")
    bom = bill_of_quantities(seg_i, drops_i, locs)
    bom_naive = bill_of_quantities(nseg_i, ndrops_i, locs)

    segments = seg_i[list(OUT_SEGMENT_COLUMNS) + ["geometry"]]
    drops = drops_i[list(OUT_DROP_COLUMNS) + ["geometry"]]
    un = ~conn
    unconnected = pd.DataFrame({
        "address_id": acc["address_id"].to_numpy(dtype=object)[un],
        "simc": targets["simc"].astype(str).to_numpy(dtype=object)[un],
        "locality": targets["locality"].astype(str).to_numpy(dtype=object)[un],
        "reason": reason[un],
        "detail": detail[un],
    }).sort_values(["simc", "address_id"], kind="stable").reset_index(drop=True)

    out_addr = _address_columns(addresses, tpos, conn, reason, drops_i)
    summary = _summary(bom, bom_naive, segments, reason, n_t, unshared)
    return DesignResult(segments=segments, drops=drops, unconnected=unconnected, addresses=out_addr,
                        bom=bom, bom_naive=bom_naive, summary=summary, graph=graph)


def _prune(rg: _RoutingGraph, tree: dict[str, np.ndarray],
           terminals: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Drop the branches of ``tree`` that lead to no terminal."""
    down = _downstream(tree, rg.n_nodes, terminals)
    child = np.flatnonzero((tree["pred_edge"] >= 0) & (down > 0))
    chosen = np.sort(tree["pred_edge"][child])
    return chosen, _orient(rg, chosen)


def _graft(rg: _RoutingGraph, chosen: np.ndarray, tree: dict[str, np.ndarray], forced: np.ndarray,
           terminals: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Graft the shortest-length paths ``forced`` onto ``tree``.

    ``forced`` is a subtree of the shortest-length path tree that contains the
    root.  Every node on it takes its parent from ``forced`` and every other
    tree node keeps its parent, so the result is again a tree; each node's
    distance from the root can only shrink (it follows the tree to its first
    ancestor on ``forced`` and from there the shortest path), and the nodes on
    ``forced`` are at their shortest path length.  Branches left without a
    terminal are pruned.
    """
    fnodes = np.setdiff1d(np.r_[rg.u[forced], rg.v[forced]], [rg.root])
    old = tree["pred_edge"][fnodes]
    keep = np.setdiff1d(chosen, old[old >= 0])
    merged = np.union1d(keep, forced)
    return _prune(rg, _orient(rg, merged), terminals)


def _violators(tree: dict[str, np.ndarray], terminals: np.ndarray, drop_len: np.ndarray,
               max_reach_m: float) -> np.ndarray:
    """Access nodes whose fibre distance along ``tree`` plus the drop exceeds the reach."""
    return np.unique(terminals[tree["dist"][terminals] + drop_len > max_reach_m])


def _graft_violators(rg: _RoutingGraph, chosen: np.ndarray, tree: dict[str, np.ndarray], terminals: np.ndarray,
                     drop_len: np.ndarray, sp_pred: np.ndarray,
                     max_reach_m: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Graft the shortest-length paths of the reach violators of ``tree`` onto it.

    Afterwards every terminal whose shortest path plus drop is within
    ``max_reach_m`` is within reach (see :func:`_graft`: no path gets longer).
    """
    viol = _violators(tree, terminals, drop_len, max_reach_m)
    if viol.size == 0:
        return chosen, tree
    return _graft(rg, chosen, tree, _path_union(rg, sp_pred, viol), terminals)


def _reach_tree(rg: _RoutingGraph, terminals: np.ndarray, drop_len: np.ndarray, sp_pred: np.ndarray,
                max_reach_m: float, rounds: int,
                search: tuple[int, float]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Cheapest tree found that keeps every terminal within ``max_reach_m``.

    Every terminal must satisfy ``shortest path length + drop <= max_reach_m``
    (screened before; ``sp_pred`` are the predecessors of the shortest-length
    paths).  The Steiner tree on the edge costs is checked and the paths of
    its violators are *forced* into the network: the forced paths come from
    one path tree on the weights ``cost + lam x length`` with the smallest
    ``lam`` of :data:`_REACH_LAMBDAS` under which every violator met so far is
    within reach (the last step is the shortest-length tree, which always
    fits), so the union of the paths is a subtree that contains the root.  The
    Steiner tree is rebuilt with forced edges at ``1e-9`` PLN/m (nearly free;
    ties stay deterministic) and the forced paths are grafted onto it
    (:func:`_graft`), for at most ``rounds`` rounds, each adding the violators
    of the last tree.  Violators left after that get their shortest-length
    paths grafted on (:func:`_graft_violators`), which never lengthens any
    path, so the result has no violator.  The cheaper (by edge cost) of that
    tree and the first tree grafted with its violators' shortest paths is
    returned (ties: the latter).
    """
    chosen, tree = _tree(rg, terminals, search=search)
    viol = _violators(tree, terminals, drop_len, max_reach_m)
    if viol.size == 0:
        return chosen, tree
    logger.info("design: %d access node(s) beyond reach along the cheapest tree (cost %.0f PLN); repairing",
                viol.size, routing.tree_cost(rg.w, chosen))
    best = _graft_violators(rg, chosen, tree, terminals, drop_len, sp_pred, max_reach_m)
    best_cost = routing.tree_cost(rg.w, best[0])
    budget = np.full(rg.n_nodes, np.inf)
    np.minimum.at(budget, terminals, max_reach_m - drop_len)
    ladder = _PathLadder(rg, sp_pred)
    seen = viol
    for i in range(rounds):
        forced = _path_union(rg, ladder.pred_fitting(seen, budget[seen]), seen)
        w = rg.w.copy()
        w[forced] = 1e-9 * rg.length[forced]
        c0, t0 = _tree(rg, terminals, w, search=search)
        chosen, tree = _graft(rg, c0, t0, forced, terminals)
        viol = _violators(tree, terminals, drop_len, max_reach_m)
        logger.debug("design: reach repair round %d: %d forced edges, %d violators", i + 1, forced.size, viol.size)
        if viol.size == 0:
            break
        seen = np.union1d(seen, viol)
    chosen, tree = _graft_violators(rg, chosen, tree, terminals, drop_len, sp_pred, max_reach_m)
    cost = routing.tree_cost(rg.w, chosen)
    logger.info("design: reach repair cost %.0f PLN (shortest-path graft alone: %.0f PLN)", cost, best_cost)
    if cost < best_cost:
        best = (chosen, tree)
    return best


# Length penalties (PLN/m) tried for the forced paths of reach violators, cheapest
# first; after the last one the shortest-length paths are used. [A]
_REACH_LAMBDAS: tuple[float, ...] = (5.0, 20.0, 50.0, 150.0, 500.0)


class _PathLadder:
    """Path trees on ``cost + lam x length`` for increasing ``lam``, computed lazily."""

    def __init__(self, rg: _RoutingGraph, sp_pred: np.ndarray) -> None:
        self.rg = rg
        self.sp_pred = sp_pred
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _level(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Predecessors and path lengths of ladder step ``k``."""
        if k not in self._cache:
            rg = self.rg
            lam = _REACH_LAMBDAS[k]
            _, pred = routing.dijkstra(_csr(rg, rg.w + lam * rg.length), directed=False, indices=rg.root,
                                       return_predecessors=True)
            nodes = np.flatnonzero(pred >= 0)
            dist = _orient(rg, _path_union(rg, pred, nodes))["dist"]
            self._cache[k] = (pred, dist)
        return self._cache[k]

    def pred_fitting(self, nodes: np.ndarray, budget: np.ndarray) -> np.ndarray:
        """Predecessors of the first step whose paths to all ``nodes`` are within ``budget``."""
        for k in range(len(_REACH_LAMBDAS)):
            pred, dist = self._level(k)
            if (dist[nodes] <= budget).all():
                return pred
        return self.sp_pred


def _csr(rg: _RoutingGraph, w: np.ndarray) -> sparse.csr_matrix:
    """Symmetric CSR of the routing graph (explicit zeros kept as edges)."""
    n = rg.n_nodes
    rows = np.r_[rg.u, rg.v]
    cols = np.r_[rg.v, rg.u]
    data = np.r_[w, w].astype(float)
    # deduplicated edges: no two entries share (row, col), so no summing happens
    order = np.lexsort((cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sparse.csr_matrix((data, cols.astype(np.int32), indptr.astype(np.int32)), shape=(n, n))


def _path_union(rg: _RoutingGraph, pred: np.ndarray, terminals: np.ndarray) -> np.ndarray:
    """Edges of the union of the predecessor paths from ``terminals`` to the root."""
    n = rg.n_nodes
    a, b = np.minimum(rg.u, rg.v), np.maximum(rg.u, rg.v)
    key = a * n + b
    srt = np.argsort(key, kind="stable")
    seen = np.zeros(n, dtype=bool)
    seen[rg.root] = True
    front = np.unique(terminals)
    front = front[~seen[front]]
    chosen = []
    while front.size:  # one step up all paths at once
        seen[front] = True
        p = pred[front]
        q = np.minimum(front, p) * n + np.maximum(front, p)
        chosen.append(srt[np.searchsorted(key[srt], q)])
        front = np.unique(p)
        front = front[~seen[front]]
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)


def _mark_reach(reason: np.ndarray, detail: np.ndarray, mask: np.ndarray, fibre: np.ndarray,
                limit: float, how: str) -> None:
    reason[mask] = "reach"
    detail[mask] = "fibre distance " + _fmt(fibre[mask]) + f" m > {limit:g} m ({how})"


def _fmt(x: np.ndarray) -> np.ndarray:
    """Whole numbers as strings, vectorised."""
    return np.round(np.asarray(x, dtype=float)).astype(np.int64).astype(str).astype(object)


def _refused_detail(graph: CostGraph, rg: _RoutingGraph, nodes: np.ndarray) -> np.ndarray:
    """Name the refused parcels that cut each node's road component off the POP."""
    e = graph.edges
    n = rg.n_nodes
    mat = sparse.csr_matrix((np.ones(rg.u.size, dtype=np.int8), (rg.u, rg.v)), shape=(n, n))
    _, label = connected_components(mat, directed=False)
    ref = e.loc[~e["usable"]]
    ru, rv = ref["u"].to_numpy(), ref["v"].to_numpy()
    pid = ref["parcel_id"].to_numpy(dtype=object)
    pid = np.where(pid == "", "private road " + ref["road_id"].to_numpy(dtype=object).astype(str), pid)
    comp = pd.DataFrame({"c": np.r_[label[ru], label[rv]], "p": np.r_[pid, pid]}).drop_duplicates()
    names = comp.sort_values(["c", "p"]).groupby("c")["p"].agg(", ".join)
    lab = pd.Series(label[nodes])
    return ("reachable only through refused consent: " + lab.map(names).fillna("?")).to_numpy(dtype=object)


def _address_columns(addresses: gpd.GeoDataFrame, tpos: np.ndarray, conn: np.ndarray, reason: np.ndarray,
                     drops: pd.DataFrame) -> gpd.GeoDataFrame:
    out = addresses.copy()
    n = len(out)
    ws = out["ws_class"].astype(object).to_numpy() if "ws_class" in out else np.full(n, "white", dtype=object)
    barrier = out["is_barrier"].fillna(False).astype(bool).to_numpy() if "is_barrier" in out else np.zeros(n, bool)
    status = np.where(barrier, "barrier", ws).astype(object)
    status[tpos] = np.where(conn, "connect", "unconnected")
    ureason = np.full(n, "", dtype=object)
    ureason[tpos] = np.where(conn, "", reason)
    dlen = np.full(n, np.nan)
    dfee = np.full(n, np.nan)
    dlen[tpos[conn]] = drops["length_m"].to_numpy(dtype=float)
    dfee[tpos[conn]] = drops["fee_pln"].to_numpy(dtype=float)
    out["plan_status"] = status
    out["unconnected_reason"] = ureason
    out["drop_length_m"] = dlen
    out["drop_fee_pln"] = dfee
    out["milestone"] = np.full(n, "", dtype=object)
    out["milestone_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["passed_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    for c in ("plan_status", "unconnected_reason", "milestone"):
        out[c] = out[c].astype(object)
    return out


def _summary(bom: pd.DataFrame, bom_naive: pd.DataFrame, segments: pd.DataFrame, reason: np.ndarray,
             n_targets: int, unshared: float) -> dict[str, Any]:
    t = bom.iloc[-1]
    tn = bom_naive.iloc[-1]
    km_aerial = float(sum(t[f"km_aerial_{o}"] for o in POLE_OWNERS))
    km_trench = float(t["km_trench_unpaved"] + t["km_trench_paved"] + t["km_trench_carriageway"])
    km_duct = float(t["km_duct"])
    net, naive = float(t["cost_network_pln"]), float(tn["cost_network_pln"])
    reasons = pd.Series(reason[reason != ""]).value_counts().sort_index()
    return {
        "targets": int(n_targets),
        "connected": int(t["homes_passed"]),
        "unconnected": int((reason != "").sum()),
        "unconnected_by_reason": {str(k): int(v) for k, v in reasons.items()},
        "segments": int(len(segments)),
        "km_network": km_aerial + km_duct + km_trench,
        "km_aerial": km_aerial,
        "km_duct": km_duct,
        "km_trench": km_trench,
        "km_underground": km_duct + km_trench,
        "km_drops": float(t["km_drops"]),
        "km_slack": float(t["km_slack"]),
        "road_crossings": int(t["road_crossings"]),
        "long_drops": int(t["long_drops"]),
        "distance_fees_pln": float(t["distance_fees_pln"]),
        "pending_consent_segments": int((segments["consent"] == "pending").sum()),
        "cost_network_pln": net,
        "cost_drops_pln": float(t["cost_drops_pln"]),
        "cost_total_pln": float(t["cost_total_pln"]),
        "cost_per_home_pln": float(t["cost_per_home_pln"]),
        "naive_cost_network_pln": naive,
        "naive_cost_total_pln": float(tn["cost_total_pln"]),
        "naive_km_network": float(sum(tn[f"km_aerial_{o}"] for o in POLE_OWNERS) + tn["km_duct"]
                                  + tn["km_trench_unpaved"] + tn["km_trench_paved"] + tn["km_trench_carriageway"]),
        "saving_pct": (100.0 * (naive - net) / naive) if naive > 0 else 0.0,
        "unshared_cost_network_pln": unshared,
        "saving_vs_unshared_pct": (100.0 * (unshared - net) / unshared) if unshared > 0 else 0.0,
    }
