"""Key-vertex elimination: remove a Steiner junction of a tree and reconnect the parts (numba).

A *key vertex* is a non-terminal tree node of degree >= 3.  Removing it
together with the key paths that meet there (the non-terminal degree-2
chains up to the next key nodes) splits the tree into as many components as
it had key paths.  The components are reconnected by a minimum spanning tree
over them whose edges are the cheapest links between their Voronoi regions
(:mod:`planner.routing.steiner.voronoi`): a graph edge ``x - y`` links the
components of the tree nodes nearest to ``x`` and ``y`` at cost
``d(x) + w + d(y)``.  The regions of the removed nodes are relabelled by a
Dijkstra restricted to them, seeded from the labelled nodes around them;
links with at least one end in those relabelled regions are considered (the
local variant: a reconnection far from the removed junction is left to
key-path exchange).  The move is applied if the spanning tree costs less
than the removed paths.

References
----------
E. Uchoa, R. F. Werneck (2012), "Fast local search for Steiner trees in
graphs", ALENEX 2010, 1-10.
"""

from __future__ import annotations

import numpy as np

from planner.routing._heap import pop, push_or_decrease
from planner.routing._jit import B1, F64, I32, I64, kernel

__all__ = ["key_vertex_elimination", "MAX_KEY_PATHS"]

#: Key vertices with more key paths than this are skipped (the component MST is quadratic in it). [A]
MAX_KEY_PATHS = 32


@kernel()
def key_vertex_elimination(indptr: I64, adj: I32, adj_w: F64, adj_e: I32, edge_u: I64, edge_v: I64,
                           edge_w: F64, is_term: B1, chosen: B1, root: int, deg: I32, parent: I32,
                           parent_e: I32, tin: I32, tout: I32, preorder: I32, n_seen: int, vd: F64,
                           base: I32, vpred_n: I32, vpred_e: I32, start: int) -> tuple[float, int]:
    """Try the key vertices in pre-order from position ``start``; apply the first improving move.

    Parameters
    ----------
    indptr, adj, adj_w, adj_e
        CSR arrays of the graph.
    edge_u, edge_v, edge_w
        Edges.
    is_term, root
        Terminals and the root of the tree.
    chosen, deg
        Edge mask and node degrees of the tree; updated by a move.
    parent, parent_e, tin, tout, preorder, n_seen
        DFS of the tree (:func:`planner.routing.steiner.dfs.tree_dfs`).
    vd, base, vpred_n, vpred_e
        Voronoi regions of the tree's nodes (read only; stale after a move).
    start
        Pre-order position to start from.

    Returns
    -------
    tuple
        ``(gain, position)``: the cost saved by the applied move (0 if no
        key vertex from ``start`` on can be eliminated with a gain) and the
        pre-order position of the eliminated vertex (``n_seen`` if none).
    """
    n = indptr.shape[0] - 1
    mk = MAX_KEY_PATHS
    mark_r = np.zeros(n, np.int64)
    mark_l = np.zeros(n, np.int64)
    in_tree = deg > 0
    region = np.empty(n, np.int64)
    rem_edges = np.empty(n, np.int64)
    tvd = np.empty(n, np.float64)
    tbase = np.empty(n, np.int64)
    tpred_n = np.empty(n, np.int64)
    tpred_e = np.empty(n, np.int64)
    heap = np.empty(n, np.int32)
    hkey = np.empty(n, np.float64)
    pos = np.full(n, -1, np.int32)
    ends = np.empty(mk, np.int64)
    best = np.empty((mk, mk), np.float64)
    link_y = np.empty((mk, mk), np.int64)
    link_z = np.empty((mk, mk), np.int64)
    link_e = np.empty((mk, mk), np.int64)
    joined = np.empty(mk, np.bool_)
    pick_a = np.empty(mk, np.int64)
    pick_b = np.empty(mk, np.int64)
    stamp = 0
    for i in range(start, n_seen):
        v = preorder[i]
        if is_term[v] or v == root or deg[v] < 3 or deg[v] > mk:
            continue
        stamp += 1
        # -- the key paths at v: removed nodes (region seeds), removed edges and cost, end nodes --
        n_r = 1
        region[0] = v
        mark_r[v] = stamp
        n_rem = 0
        removed = 0.0
        n_comp = 0
        for k in range(indptr[v], indptr[v + 1]):
            e = adj_e[k]
            if not chosen[e]:
                continue
            x = adj[k]
            prev = v
            while True:
                rem_edges[n_rem] = e
                n_rem += 1
                removed += edge_w[e]
                if is_term[x] or deg[x] != 2 or x == root:
                    break
                region[n_r] = x
                n_r += 1
                mark_r[x] = stamp
                nxt = -1
                for kk in range(indptr[x], indptr[x + 1]):  # the other tree edge of x
                    ee = adj_e[kk]
                    if chosen[ee] and adj[kk] != prev:
                        nxt = kk
                        break
                prev = x
                e = adj_e[nxt]
                x = adj[nxt]
            ends[n_comp] = x
            n_comp += 1
        # component 0: the part with the root (the end above v); others: subtrees of the ends below
        for c in range(n_comp):
            if tin[ends[c]] < tin[v]:
                ends[c], ends[0] = ends[0], ends[c]
                break
        # -- relabel the Voronoi regions of the removed nodes --
        for j in range(n_r):
            mark_l[region[j]] = stamp
        n_l = n_r
        j = 0
        while j < n_l:
            y = region[j]
            j += 1
            for k in range(indptr[y], indptr[y + 1]):
                z = adj[k]
                if mark_l[z] != stamp and base[z] >= 0 and mark_r[base[z]] == stamp:
                    mark_l[z] = stamp
                    region[n_l] = z
                    n_l += 1
        size = np.int64(0)
        for j in range(n_l):
            y = region[j]
            tvd[y] = np.inf
            tbase[y] = -1
            for k in range(indptr[y], indptr[y + 1]):
                z = adj[k]
                if mark_l[z] != stamp and base[z] >= 0:
                    nd = vd[z] + adj_w[k]
                    if nd < tvd[y]:
                        tvd[y] = nd
                        tbase[y] = base[z]
                        tpred_n[y] = z
                        tpred_e[y] = adj_e[k]
            if tvd[y] < np.inf:
                size = push_or_decrease(heap, hkey, pos, size, np.int64(y), float(tvd[y]))
        while size > 0:
            y, size = pop(heap, hkey, pos, size)
            for k in range(indptr[y], indptr[y + 1]):
                z = adj[k]
                if mark_l[z] == stamp:
                    nd = tvd[y] + adj_w[k]
                    if nd < tvd[z]:
                        tvd[z] = nd
                        tbase[z] = tbase[y]
                        tpred_n[z] = y
                        tpred_e[z] = adj_e[k]
                        size = push_or_decrease(heap, hkey, pos, size, np.int64(z), float(nd))
        # -- cheapest link between every pair of components --
        for a in range(n_comp):
            for b in range(n_comp):
                best[a, b] = np.inf
        for j in range(n_l):
            y = region[j]
            if tvd[y] == np.inf:
                continue
            by = tbase[y]
            cy = 0
            for c in range(1, n_comp):
                if tin[ends[c]] <= tin[by] and tin[by] <= tout[ends[c]]:
                    cy = c
                    break
            for k in range(indptr[y], indptr[y + 1]):
                z = adj[k]
                if mark_l[z] == stamp:
                    if tvd[z] == np.inf or z < y:  # each edge inside the region once
                        continue
                    bz = tbase[z]
                    dz = tvd[z]
                else:
                    bz = base[z]
                    if bz < 0:
                        continue
                    dz = vd[z]
                cz = 0
                for c in range(1, n_comp):
                    if tin[ends[c]] <= tin[bz] and tin[bz] <= tout[ends[c]]:
                        cz = c
                        break
                if cz == cy:
                    continue
                cost = tvd[y] + adj_w[k] + dz
                if cost < best[cy, cz]:
                    best[cy, cz] = cost
                    best[cz, cy] = cost
                    link_y[cy, cz] = y
                    link_z[cy, cz] = z
                    link_e[cy, cz] = adj_e[k]
                    link_y[cz, cy] = y
                    link_z[cz, cy] = z
                    link_e[cz, cy] = adj_e[k]
        # -- Prim over the components --
        for c in range(n_comp):
            joined[c] = False
        joined[0] = True
        added = 0.0
        ok = True
        for step in range(n_comp - 1):
            bc = np.inf
            ba = -1
            bb = -1
            for a in range(n_comp):
                if joined[a]:
                    for b in range(n_comp):
                        if not joined[b] and best[a, b] < bc:
                            bc = best[a, b]
                            ba = a
                            bb = b
            if ba < 0:
                ok = False
                break
            joined[bb] = True
            pick_a[step] = ba
            pick_b[step] = bb
            added += bc
            if added >= removed:
                ok = False
                break
        if not ok or removed - added <= 1e-12 * removed:
            continue
        # -- apply: drop the key paths, add the links with their paths to the tree --
        for j in range(n_rem):
            e = rem_edges[j]
            chosen[e] = False
            deg[edge_u[e]] -= 1
            deg[edge_v[e]] -= 1
        for j in range(n_r):
            in_tree[region[j]] = False
        for step in range(n_comp - 1):
            a = pick_a[step]
            b = pick_b[step]
            e = link_e[a, b]
            chosen[e] = True
            deg[edge_u[e]] += 1
            deg[edge_v[e]] += 1
            for side in range(2):
                x = link_y[a, b] if side == 0 else link_z[a, b]
                while not in_tree[x]:
                    in_tree[x] = True
                    if mark_l[x] == stamp:
                        pe = tpred_e[x]
                        px = tpred_n[x]
                    else:
                        pe = vpred_e[x]
                        px = vpred_n[x]
                    chosen[pe] = True
                    deg[edge_u[pe]] += 1
                    deg[edge_v[pe]] += 1
                    x = px
        return removed - added, i
    return 0.0, n_seen
