"""Why targets stay unconnected: reach, refused consents (texts of the ``detail`` column)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from planner import routing
from planner.config import Config
from planner.costgraph import CostGraph
from planner.design.graph import RoutingGraph, csr, routing_graph

__all__ = ["screen_targets", "mark_reach", "fmt", "refused_detail"]


def mark_reach(reason: np.ndarray, detail: np.ndarray, mask: np.ndarray, fibre: np.ndarray,
                limit: float, how: str) -> None:
    """Mark ``mask`` as unconnected for ``reach`` with the fibre distance in the detail text."""
    reason[mask] = "reach"
    detail[mask] = "fibre distance " + fmt(fibre[mask]) + f" m > {limit:g} m ({how})"


def fmt(x: np.ndarray) -> np.ndarray:
    """Whole numbers as strings, vectorised."""
    return np.round(np.asarray(x, dtype=float)).astype(np.int64).astype(str).astype(object)


def refused_detail(graph: CostGraph, rg: RoutingGraph, nodes: np.ndarray) -> np.ndarray:
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
    reasons: np.ndarray = ("reachable only through refused consent: " + lab.map(names).fillna("?")).to_numpy(
        dtype=object)
    return reasons


def screen_targets(graph: CostGraph, rg: RoutingGraph, config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reason (``""`` if connectable) and detail text of every target, in the order of the rules.

    ``no_road_access`` and ``consent_refused`` from the reachability of the
    access nodes on the usable graph ``rg`` and on all edges,
    ``long_drop_excluded`` by ``long_drop_policy``, then ``reach`` where even
    the shortest road path plus the drop exceeds ``max_reach_m``.  Also
    returns the shortest-length path predecessors from the root.
    """
    dc = config.design
    acc = graph.access
    reason = acc["reason"].to_numpy(dtype=object).copy()
    detail = np.where(reason == "no_road_access", f"no road within {dc.max_access_distance_m:g} m", "").astype(object)
    node = acc["access_node"].to_numpy()
    drop_len = acc["drop_length_m"].to_numpy(dtype=float)

    # -- reachability --------------------------------------------------------------
    rg_all = routing_graph(graph, np.ones(len(graph.edges), dtype=bool))
    ok_usable = routing.reachable_mask(rg.n_nodes, rg.u, rg.v, rg.root)
    ok_all = routing.reachable_mask(rg_all.n_nodes, rg_all.u, rg_all.v, rg_all.root)
    pending = reason == ""
    cut = pending & ~ok_usable[np.maximum(node, 0)]
    refused = cut & ok_all[np.maximum(node, 0)]
    reason[refused] = "consent_refused"
    if refused.any():
        detail[refused] = refused_detail(graph, rg, node[refused])
    nor = cut & ~refused
    reason[nor] = "no_road_access"
    detail[nor] = "the road network here does not lead to any POP"

    # -- long drops ---------------------------------------------------------------------
    over = np.maximum(drop_len - dc.drop_contract_max_m, 0.0)
    if dc.long_drop_policy == "exclude":
        long = (reason == "") & (over > 0)
        reason[long] = "long_drop_excluded"
        detail[long] = ("drop " + fmt(drop_len[long]) + f" m > {dc.drop_contract_max_m:g} m (fee would be "
                        + fmt(over[long] * config.costs.drop_distance_fee_pln_per_m) + " PLN)")

    # -- reach screen with shortest path lengths (a lower bound of any tree distance) ------
    sp_len, sp_pred = routing.dijkstra(csr(rg, rg.length), directed=False, indices=rg.root,
                                       return_predecessors=True)
    mark_reach(reason, detail, (reason == "") & (sp_len[np.maximum(node, 0)] + drop_len > dc.max_reach_m),
               sp_len[np.maximum(node, 0)] + drop_len, dc.max_reach_m, "shortest path")
    return reason, detail, sp_pred
