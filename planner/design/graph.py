"""The routing graph of a design: usable edges, virtual root, tree orientation and paths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order

from planner.costgraph import CostGraph

__all__ = ["RoutingGraph", "dedupe", "routing_graph", "orient", "downstream", "csr", "path_union"]


@dataclass
class RoutingGraph:
    """Deduplicated usable edges plus a virtual root joined to the POPs."""

    n_nodes: int          # including the virtual root when present
    root: int
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray
    length: np.ndarray
    edge_row: np.ndarray  # row in graph.edges, -1 for a virtual root edge


def dedupe(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Indices keeping the cheapest of parallel edges (ties: lowest index)."""
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((np.arange(u.size), w, b, a))
    keep = np.r_[True, (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])]
    return np.sort(order[keep])


def routing_graph(graph: CostGraph, mask: np.ndarray) -> RoutingGraph:
    """Deduplicated edges of ``graph`` selected by ``mask``, with a virtual root if there are several POPs."""
    e = graph.edges
    rows = np.flatnonzero(mask)
    u, v = e["u"].to_numpy()[rows], e["v"].to_numpy()[rows]
    w, ln = e["cost_pln"].to_numpy()[rows], e["length_m"].to_numpy()[rows]
    k = dedupe(u, v, w)
    rows, u, v, w, ln = rows[k], u[k], v[k], w[k], ln[k]
    pops = np.unique(graph.pop_nodes)
    n = graph.n_nodes
    if pops.size == 1:
        return RoutingGraph(n, int(pops[0]), u, v, w, ln, rows)
    root = n
    m = pops.size
    return RoutingGraph(
        n + 1, root,
        np.concatenate([u, np.full(m, root)]), np.concatenate([v, pops]),
        np.concatenate([w, np.zeros(m)]), np.concatenate([ln, np.zeros(m)]),
        np.concatenate([rows, -np.ones(m, dtype=np.int64)]),
    )


def orient(rg: RoutingGraph, chosen: np.ndarray) -> dict[str, np.ndarray]:
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


def downstream(tree: dict[str, np.ndarray], n: int, access_nodes: np.ndarray) -> np.ndarray:
    """Number of targets at or below each node."""
    cnt = np.bincount(access_nodes, minlength=n).astype(np.int64)
    pred = tree["pred"]
    for node in tree["order"][:0:-1]:  # leaves first
        cnt[pred[node]] += cnt[node]
    return cnt


def csr(rg: RoutingGraph, w: np.ndarray) -> sparse.csr_matrix:
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


def path_union(rg: RoutingGraph, pred: np.ndarray, terminals: np.ndarray) -> np.ndarray:
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
