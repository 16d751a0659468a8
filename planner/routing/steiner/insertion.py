"""Steiner-vertex insertion: add a non-tree node to a tree when the new spanning tree is cheaper (numba).

For a node ``v`` off the tree with edges to tree nodes ``x_1 .. x_k``
(``k >= 2``), the minimum spanning tree of the tree's nodes plus ``v`` is the
tree plus some of ``v``'s edges minus, for every cycle they close, the
heaviest edge on it.  Only the tree paths between the ``x_i`` matter: the
*virtual tree* of the ``x_i`` and their pairwise lowest common ancestors,
each of its edges standing for a tree path and weighted with the heaviest
edge on that path (found with binary lifting).  Kruskal on the virtual tree's
edges and ``v``'s edges gives the exact gain of inserting ``v`` (the
heaviest edges of the virtual edges left out, minus ``v``'s edges taken).
This finds, e.g., the hub of a star that a tree of direct terminal-terminal
edges misses (incidence-weight instances).

References
----------
M. Minoux (1990), "Efficient greedy heuristics for Steiner tree problems
using reoptimization and supermodularity", INFOR 28, 221-233.
E. Uchoa, R. F. Werneck (2012), "Fast local search for Steiner trees in
graphs", ALENEX 2010, 1-10.
"""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, F64, I32, I64, kernel

__all__ = ["steiner_vertex_insertion", "MAX_TREE_NEIGHBOURS"]

#: Candidates with more tree neighbours than this are skipped. [A]
MAX_TREE_NEIGHBOURS = 32


@kernel()
def steiner_vertex_insertion(indptr: I64, adj: I32, adj_e: I32, edge_u: I64, edge_v: I64, edge_w: F64,
                             chosen: B1, deg: I32, parent: I32, parent_e: I32, tin: I32, tout: I32,
                             preorder: I32, n_seen: int) -> float:
    """Insert, in node order, every non-tree node whose insertion pays; returns the total saving.

    The gains are evaluated on the tree of the DFS given; an insertion whose
    tree paths lost an edge to an earlier insertion of the same call, or
    that would use a node inserted by this call, is left for the next call
    (its paths in the old tree then no longer describe the new one).  Every
    applied insertion is exact: its paths are unchanged in the current tree.

    Parameters
    ----------
    indptr, adj, adj_e
        CSR arrays of the graph.
    edge_u, edge_v, edge_w
        Edges.
    chosen, deg
        Edge mask and node degrees of the tree; updated by a move.
    parent, parent_e, tin, tout, preorder, n_seen
        DFS of the tree (:func:`planner.routing.steiner.dfs.tree_dfs`).
    start
        First node id to try.

    Returns
    -------
    tuple
        ``(gain, node)``: the cost saved (0 if no node from ``start`` on pays)
        and the node inserted (``n`` if none).
    """
    n = indptr.shape[0] - 1
    mk = MAX_TREE_NEIGHBOURS
    # -- binary lifting over the tree: ancestor, heaviest edge on the way (weight, id) --
    n_log = 1
    while (1 << n_log) < n_seen:
        n_log += 1
    up = np.empty((n_log, n), np.int64)
    mx = np.empty((n_log, n), np.float64)
    me = np.empty((n_log, n), np.int64)
    depth = np.zeros(n, np.int64)
    root = preorder[0]
    for i in range(n_seen):
        x = preorder[i]
        if x == root:
            up[0, x] = x
            mx[0, x] = -np.inf
            me[0, x] = -1
        else:
            depth[x] = depth[parent[x]] + 1
            up[0, x] = parent[x]
            mx[0, x] = edge_w[parent_e[x]]
            me[0, x] = parent_e[x]
    for j in range(1, n_log):
        for i in range(n_seen):
            x = preorder[i]
            y = up[j - 1, x]
            up[j, x] = up[j - 1, y]
            a = mx[j - 1, x]
            b = mx[j - 1, y]
            if b > a or (b == a and me[j - 1, y] > me[j - 1, x]):
                mx[j, x] = b
                me[j, x] = me[j - 1, y]
            else:
                mx[j, x] = a
                me[j, x] = me[j - 1, x]
    best_w = np.full(n, np.inf)  # cheapest edge from the candidate to each tree node (scratch)
    best_e = np.full(n, -1, np.int64)
    xs = np.empty(mk, np.int64)
    vt = np.empty(2 * mk, np.int64)
    stack = np.empty(2 * mk, np.int64)
    it_w = np.empty(3 * mk, np.float64)
    it_e = np.empty(3 * mk, np.int64)
    it_a = np.empty(3 * mk, np.int64)
    it_b = np.empty(3 * mk, np.int64)
    it_kind = np.empty(3 * mk, np.int64)
    order = np.empty(3 * mk, np.int64)
    uf = np.empty(2 * mk + 1, np.int64)
    take = np.empty(3 * mk, np.bool_)
    cut = np.empty(n, np.int64)  # child ends of the tree edges removed by this call
    n_cut = 0
    total = 0.0
    for v in range(n):
        if deg[v] > 0 or v == root:
            continue
        k = 0
        stale = False
        for kk in range(indptr[v], indptr[v + 1]):
            x = adj[kk]
            if deg[x] == 0 and x != root:
                continue
            if tin[x] < 0:  # inserted by this call: not in the DFS the paths are read from
                stale = True
            e = adj_e[kk]
            if best_e[x] < 0:
                if k == mk:
                    k = mk + 1
                    break
                xs[k] = x
                k += 1
                best_w[x] = edge_w[e]
                best_e[x] = e
            elif edge_w[e] < best_w[x]:
                best_w[x] = edge_w[e]
                best_e[x] = e
        if k > mk or k < 2 or stale:
            for i in range(min(k, mk)):
                best_e[xs[i]] = -1
            continue
        # -- virtual tree of xs: sort by pre-order, add the LCAs of neighbours in that order --
        _sort_by_preorder(xs, np.int64(k), tin)
        n_vt = 0
        for i in range(k):
            vt[n_vt] = xs[i]
            n_vt += 1
            if i + 1 < k:
                vt[n_vt] = _lca(np.int64(xs[i]), np.int64(xs[i + 1]), depth, up, np.int64(n_log))
                n_vt += 1
        _sort_by_preorder(vt, np.int64(n_vt), tin)  # then drop duplicates
        m_vt = 1
        for i in range(1, n_vt):
            if vt[i] != vt[m_vt - 1]:
                vt[m_vt] = vt[i]
                m_vt += 1
        # -- items: virtual edges (heaviest tree edge on the path) and the candidate's edges --
        conflict = False
        n_it = 0
        top = 0
        stack[0] = 0
        for i in range(1, m_vt):
            y = vt[i]
            while not (tin[vt[stack[top]]] <= tin[y] and tin[y] <= tout[vt[stack[top]]]):
                top -= 1
            anc = vt[stack[top]]
            for r in range(n_cut):  # a path that lost an edge to an earlier insertion of this call
                c = cut[r]
                if tin[anc] < tin[c] and tin[c] <= tin[y] and tin[y] <= tout[c]:
                    conflict = True
            hw = -np.inf
            he = -1
            a = y
            diff = depth[y] - depth[anc]
            j = 0
            while diff > 0:
                if diff & 1:
                    if mx[j, a] > hw or (mx[j, a] == hw and me[j, a] > he):
                        hw = mx[j, a]
                        he = me[j, a]
                    a = up[j, a]
                diff >>= 1
                j += 1
            it_w[n_it] = hw
            it_e[n_it] = he
            it_a[n_it] = stack[top]
            it_b[n_it] = i
            it_kind[n_it] = 0
            n_it += 1
            top += 1
            stack[top] = i
        for i in range(k):
            x = xs[i]
            pos = 0
            for j in range(m_vt):
                if vt[j] == x:
                    pos = j
                    break
            it_w[n_it] = best_w[x]
            it_e[n_it] = best_e[x]
            it_a[n_it] = m_vt
            it_b[n_it] = pos
            it_kind[n_it] = 1
            n_it += 1
            best_e[x] = -1
        # -- Kruskal: weight, then tree edges before the candidate's, then edge id --
        for i in range(n_it):
            order[i] = i
        for i in range(1, n_it):
            y = order[i]
            j = i - 1
            while j >= 0:
                z = order[j]
                if it_w[z] < it_w[y] or (it_w[z] == it_w[y] and (it_kind[z] < it_kind[y] or (
                        it_kind[z] == it_kind[y] and it_e[z] <= it_e[y]))):
                    break
                order[j + 1] = z
                j -= 1
            order[j + 1] = y
        for i in range(m_vt + 1):
            uf[i] = i
        gain = 0.0
        for i in range(n_it):
            t = order[i]
            ra = it_a[t]
            while uf[ra] != ra:
                ra = uf[ra]
            rb = it_b[t]
            while uf[rb] != rb:
                rb = uf[rb]
            take[t] = ra != rb
            if ra != rb:
                uf[ra] = rb
            if it_kind[t] == 0 and not take[t]:
                gain += it_w[t]
            elif it_kind[t] == 1 and take[t]:
                gain -= it_w[t]
        if conflict or gain <= 1e-12 * (abs(gain) + 1.0) or gain <= 0.0:
            continue
        for t in range(n_it):
            e = it_e[t]
            if it_kind[t] == 0 and not take[t]:
                chosen[e] = False
                deg[edge_u[e]] -= 1
                deg[edge_v[e]] -= 1
                cut[n_cut] = edge_u[e] if parent_e[edge_u[e]] == e else edge_v[e]  # the child end
                n_cut += 1
            elif it_kind[t] == 1 and take[t]:
                chosen[e] = True
                deg[edge_u[e]] += 1
                deg[edge_v[e]] += 1
        total += gain
    return total


@kernel(helper=True)
def _sort_by_preorder(a: I64, n: np.int64, tin: I32) -> None:
    """Sort ``a[:n]`` by pre-order number ``tin`` in place (insertion sort: ``n`` is small)."""
    for i in range(1, n):
        y = a[i]
        j = i - 1
        while j >= 0 and tin[a[j]] > tin[y]:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = y


@kernel(helper=True)
def _lca(a: np.int64, b: np.int64, depth: I64, up: I64, n_log: np.int64) -> np.int64:
    """Lowest common ancestor of ``a`` and ``b`` by binary lifting (``up[j, v]``: the ``2**j``-th ancestor)."""
    if depth[a] < depth[b]:
        a, b = b, a
    diff = depth[a] - depth[b]
    j = 0
    while diff > 0:
        if diff & 1:
            a = up[j, a]
        diff >>= 1
        j += 1
    if a != b:
        for j in range(n_log - 1, -1, -1):
            if up[j, a] != up[j, b]:
                a = up[j, a]
                b = up[j, b]
        a = up[0, a]
    return a
