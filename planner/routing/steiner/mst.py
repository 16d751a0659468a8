"""Minimum spanning tree over a Steiner tree's nodes, and pruning of non-terminal leaves (numba).

:func:`mst_prune_induced` is the whole move on the arrays of a graph: the
node set of the tree (optionally with Steiner-node insertion), the edges it
induces (:func:`induced_edges`, one pass in edge order), a stable sort by
weight (:func:`planner.routing.sort.argsort_f64`) and Kruskal with leaf
pruning (:func:`mst_prune`).
"""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, F64, I32, I64, Flag, kernel
from planner.routing.sort import argsort_f64

__all__ = ["prune_leaves", "find", "mst_prune", "induced_edges", "mst_prune_induced"]


@kernel()
def prune_leaves(indptr: I64, adj: I32, adj_e: I32, is_term: B1, chosen: B1, deg: I32) -> int:
    """Repeatedly drop non-terminal leaves from ``chosen`` (``deg`` kept up to date).

    Returns the number of edges removed.
    """
    n = deg.shape[0]
    stack = np.empty(n, np.int32)
    top = 0
    for v in range(n):
        if deg[v] == 1 and not is_term[v]:
            stack[top] = v
            top += 1
    removed = 0
    while top > 0:
        top -= 1
        v = stack[top]
        if deg[v] != 1:
            continue
        for k in range(indptr[v], indptr[v + 1]):
            e = adj_e[k]
            if chosen[e]:
                chosen[e] = False
                removed += 1
                deg[v] -= 1
                x = adj[k]
                deg[x] -= 1
                if deg[x] == 1 and not is_term[x]:
                    stack[top] = x
                    top += 1
                break
    return removed


@kernel(helper=True)
def find(parent: I32, x: int) -> int:
    """Root of ``x`` in the union-find forest ``parent`` (with path compression)."""
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        nxt = parent[x]
        parent[x] = root
        x = nxt
    return root


@kernel()
def mst_prune(indptr: I64, adj: I32, adj_e: I32, edge_u: I64, edge_v: I64, edge_w: F64, is_term: B1,
              chosen: B1, order: I64, keep_worse: Flag) -> float:
    """Kruskal over the candidate edges ``order`` (sorted by weight), then removal of non-terminal leaves.

    ``order`` holds the edges induced by the tree's nodes (with Steiner-node
    insertion: and by the nodes added), sorted stably by weight (see
    :func:`mst_prune_induced`).  The spanning
    tree, pruned, replaces ``chosen`` if it is cheaper or ``keep_worse``
    (without insertion it never costs more).  Returns the cost saved.
    """
    n = indptr.shape[0] - 1
    m = chosen.shape[0]
    old_cost = 0.0
    new = np.empty(m, np.bool_)
    for e in range(m):
        if chosen[e]:
            old_cost += edge_w[e]
        new[e] = False
    parent = np.empty(n, np.int32)
    deg = np.empty(n, np.int32)
    for x in range(n):
        parent[x] = x
        deg[x] = 0
    for i in range(order.shape[0]):
        e = order[i]
        ra = find(parent, edge_u[e])
        rb = find(parent, edge_v[e])
        if ra != rb:
            parent[ra] = rb
            new[e] = True
            deg[edge_u[e]] += 1
            deg[edge_v[e]] += 1
    prune_leaves(indptr, adj, adj_e, is_term, new, deg)
    new_cost = 0.0
    for e in range(m):
        if new[e]:
            new_cost += edge_w[e]
    if new_cost < old_cost or keep_worse:
        for e in range(m):
            chosen[e] = new[e]
        return old_cost - new_cost
    return 0.0


@kernel()
def induced_edges(indptr: I64, adj: I32, edge_u: I64, edge_v: I64, chosen: B1, insert: Flag) -> I64:
    """Edges (ascending ids, no self-loops) with both ends in the node set of the edge set ``chosen``.

    With ``insert`` the node set also holds every other node that two or
    more arcs join to it (Steiner-node insertion in one batch).
    """
    n = indptr.shape[0] - 1
    m = chosen.shape[0]
    use = np.zeros(n, np.bool_)
    for e in range(m):
        if chosen[e]:
            use[edge_u[e]] = True
            use[edge_v[e]] = True
    if insert:
        near = np.zeros(n, np.int32)
        for x in range(n):
            if use[x]:
                for k in range(indptr[x], indptr[x + 1]):
                    near[adj[k]] += 1
        for x in range(n):
            if near[x] >= 2:
                use[x] = True
    cand = np.empty(m, np.int64)
    n_cand = 0
    for e in range(m):
        a = edge_u[e]
        b = edge_v[e]
        if a != b and use[a] and use[b]:
            cand[n_cand] = e
            n_cand += 1
    return cand[:n_cand]


def mst_prune_induced(indptr: I64, adj: I32, adj_e: I32, edge_u: I64, edge_v: I64, edge_w: F64, is_term: B1,
                      chosen: B1, insert: bool = False) -> float:
    """MST over the tree's nodes, then removal of non-terminal leaves (in place); returns the saving.

    This never costs more.  With ``insert`` the node set also gets every
    non-tree node adjacent to two or more tree nodes (Steiner-node insertion
    in one batch, e.g. the centre of a star), and the result is kept only if
    it is cheaper.  Kruskal takes the edges induced by the node set
    (:func:`induced_edges`), sorted stably by weight (ties in edge order).

    Parameters
    ----------
    indptr, adj, adj_e
        CSR arrays of the graph (:func:`planner.routing.csr.build_adjacency`).
    edge_u, edge_v, edge_w
        Edges (``int64`` ends, ``float64`` weights).
    is_term
        Terminal mask (leaves that are kept).
    chosen
        Edge mask of the tree, updated in place.
    insert
        Add the Steiner nodes described above before the MST.

    Returns
    -------
    float
        The cost saved (``>= 0``).
    """
    cand = induced_edges(indptr, adj, edge_u, edge_v, chosen, bool(insert))
    order = cand[argsort_f64(edge_w[cand])]
    return float(mst_prune(indptr, adj, adj_e, edge_u, edge_v, edge_w, is_term, chosen, order, not insert))
