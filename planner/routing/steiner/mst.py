"""Minimum spanning tree over a Steiner tree's nodes, and pruning of non-terminal leaves (numba)."""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, F64, I32, I64, Flag, kernel
from planner.routing.sort import argsort_f64

__all__ = ["tree_degrees", "prune_leaves", "find", "mst_prune", "tree_weight"]


@kernel()
def tree_degrees(edge_u: I64, edge_v: I64, chosen: B1, n: int) -> I32:
    """Degree of every node in the edge set ``chosen``."""
    deg = np.zeros(n, np.int32)
    for e in range(chosen.shape[0]):
        if chosen[e]:
            deg[edge_u[e]] += 1
            deg[edge_v[e]] += 1
    return deg


@kernel()
def tree_weight(edge_w: F64, chosen: B1) -> float:
    """Total weight of the edge set ``chosen``."""
    c = 0.0
    for e in range(chosen.shape[0]):
        if chosen[e]:
            c += edge_w[e]
    return c


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


@kernel()
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
              chosen: B1, insert: Flag) -> float:
    """MST over the tree's nodes, then removal of non-terminal leaves.

    Replaces the tree (in place in ``chosen``) by the minimum spanning tree
    of the subgraph induced by its nodes and drops non-terminal leaves
    repeatedly; this never costs more.  With ``insert`` the node set also
    gets every non-tree node adjacent to two or more tree nodes (Steiner
    node insertion, e.g. the centre of a star); the result is kept only if
    it is cheaper.  Kruskal sorts only the edges induced by the node set
    (stable, so ties keep edge order).  Returns the cost saved.
    """
    n = indptr.shape[0] - 1
    m = chosen.shape[0]
    deg = tree_degrees(edge_u, edge_v, chosen, n)
    use = deg > 0
    old_cost = tree_weight(edge_w, chosen)
    if insert:
        for v in range(n):
            if not use[v]:
                c = 0
                for k in range(indptr[v], indptr[v + 1]):
                    if deg[adj[k]] > 0:
                        c += 1
                if c >= 2:
                    use[v] = True
    n_cand = 0
    cand = np.empty(m, np.int64)
    for e in range(m):
        a = edge_u[e]
        b = edge_v[e]
        if a != b and use[a] and use[b]:
            cand[n_cand] = e
            n_cand += 1
    cand = cand[:n_cand]
    by_weight = cand[argsort_f64(edge_w[cand])]
    parent = np.arange(n).astype(np.int32)
    new = np.zeros(m, np.bool_)
    for i in range(n_cand):
        e = by_weight[i]
        ra = find(parent, edge_u[e])
        rb = find(parent, edge_v[e])
        if ra != rb:
            parent[ra] = rb
            new[e] = True
    deg = tree_degrees(edge_u, edge_v, new, n)
    prune_leaves(indptr, adj, adj_e, is_term, new, deg)
    new_cost = tree_weight(edge_w, new)
    if new_cost < old_cost or not insert:
        for e in range(m):
            chosen[e] = new[e]
        return old_cost - new_cost
    return 0.0
