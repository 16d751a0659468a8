"""Voronoi regions of a Steiner tree's nodes: nearest tree node of every graph node (numba).

The *base* of a node is the tree node nearest to it, ``vd`` that distance
and ``vpred_n``/``vpred_e`` the predecessor node/edge on the shortest path
to the base.  Key-path exchange (:mod:`planner.routing.steiner.keypath`)
reads the regions to find cheap links between parts of the tree.
"""

from __future__ import annotations

import numpy as np

from planner.routing._heap import pop, push_or_decrease
from planner.routing._jit import B1, F64, I32, I64, kernel

__all__ = ["voronoi_from_labels", "voronoi_update"]


@kernel()
def voronoi_from_labels(d: F64, pred_n: I32, pred_e: I32, in_tree: B1) -> tuple[F64, I32, I32, I32]:
    """Voronoi regions from exact distance-to-tree labels and their shortest-path predecessors.

    The labels are those left by :func:`planner.routing.steiner.sph.sph`;
    the base of a node is the tree node its predecessor chain ends at.
    """
    n = d.shape[0]
    base = np.full(n, -1, np.int32)
    chain = np.empty(n, np.int32)
    for v in range(n):
        if in_tree[v]:
            base[v] = v
    for v in range(n):
        if base[v] >= 0 or d[v] == np.inf:
            continue
        k = 0
        x = v
        while base[x] < 0:
            chain[k] = x
            k += 1
            x = pred_n[x]
        b = base[x]
        for i in range(k):
            base[chain[i]] = b
    return d.copy(), base, pred_n, pred_e


@kernel()
def voronoi_update(indptr: I64, adj: I32, adj_w: F64, adj_e: I32, vd: F64, base: I32, vpred_n: I32,
                   vpred_e: I32, old_tree: B1, in_tree: B1) -> int:
    """Update Voronoi regions of the tree ``old_tree`` to the tree ``in_tree``.

    In place and local: nodes whose base left the tree are reset, nodes that
    joined it become bases, and a Dijkstra seeded with the new tree nodes
    and the labelled nodes around the reset regions relabels only what
    changed.  Invariant kept (what :func:`key_path_exchange` relies on):
    the predecessor chain of every labelled node runs outside the tree to
    its ``base``, with length at most ``vd``; labels that were exact
    distances to the old tree stay exact for the new one.  Returns the
    number of nodes settled.
    """
    n = indptr.shape[0] - 1
    reset = np.zeros(n, np.bool_)
    for v in range(n):
        b = base[v]
        if in_tree[v]:
            if not old_tree[v] or b != v:
                vd[v] = 0.0
                base[v] = v
                vpred_n[v] = -1
                vpred_e[v] = -1
        elif b >= 0 and (b == v or not in_tree[b]):
            reset[v] = True
    for v in range(n):  # chains whose base left the tree (same base along a chain)
        if reset[v]:
            vd[v] = np.inf
            base[v] = -1
            vpred_n[v] = -1
            vpred_e[v] = -1
    heap = np.empty(n, np.int32)
    hkey = np.empty(n, np.float64)
    pos = np.full(n, -1, np.int32)
    size = np.int64(0)
    for v in range(n):
        if in_tree[v] and not old_tree[v]:
            size = push_or_decrease(heap, hkey, pos, size, np.int64(v), 0.0)
        elif reset[v]:
            for k in range(indptr[v], indptr[v + 1]):
                x = adj[k]
                if base[x] >= 0:
                    size = push_or_decrease(heap, hkey, pos, size, np.int64(x), float(vd[x]))
    settled = 0
    while size > 0:
        u, size = pop(heap, hkey, pos, size)
        settled += 1
        du = vd[u]
        for k in range(indptr[u], indptr[u + 1]):
            v = adj[k]
            nd = du + adj_w[k]
            if nd < vd[v]:
                vd[v] = nd
                base[v] = base[u]
                vpred_n[v] = u
                vpred_e[v] = adj_e[k]
                size = push_or_decrease(heap, hkey, pos, size, np.int64(v), float(nd))
    return settled
