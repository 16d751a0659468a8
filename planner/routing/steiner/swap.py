"""Node-set local search: insert, delete or swap one Steiner node, with a minimum spanning tree each time (numba).

A Steiner tree is also described by its node set ``N`` (the terminals and
the Steiner nodes ``S``): the cheapest tree on ``N`` is the minimum spanning
tree of the subgraph induced by ``N`` with its non-terminal leaves pruned
(repeatedly).  The search tries, for every node ``x`` off the tree with two
or more edges into ``N``, the node sets ``N + x`` and ``N + x - s`` for every
``s`` in ``S`` (*swap*), takes the cheapest if it beats the current tree,
and every deletion ``N - s`` once per cycle over the candidates; the
cyclic scan stops when a whole cycle brings no improvement.

The swap is what the path-based moves (key-path exchange, key-vertex
elimination, single insertions) lack on dense graphs with incidence
weights (SteinLib I640): there the cost is mostly the terminals'
attachments to a few Steiner hubs, and moving a hub pays only when the old
one leaves in the same move.  Every evaluation is a Kruskal over the
induced edges (kept sorted by weight) merged with the candidate's edges,
so the search is meant for trees of at most a few hundred nodes (the
caller gates it) and stops after ``max_work`` edge scans (deterministic:
a count, not a clock).

References
----------
C. C. Ribeiro, M. C. Souza (2000), "Tabu search for the Steiner problem in
graphs", Networks 36, 138-146 (node-based neighbourhoods with insertions,
eliminations and swaps evaluated by minimum spanning trees).
M. Minoux (1990), "Efficient greedy heuristics for Steiner tree problems
using reoptimization and supermodularity", INFOR 28, 221-233.
"""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, F64, I32, I64, kernel

__all__ = ["node_swap"]


@kernel(helper=True)
def _find(uf: I64, a: np.int64) -> np.int64:
    while uf[a] != a:
        uf[a] = uf[uf[a]]
        a = uf[a]
    return a


@kernel(helper=True)
def _span(k: np.int64, ie_a: I64, ie_b: I64, ie_w: F64, n_ie: np.int64, xe_b: I64, xe_w: F64, n_xe: np.int64,
          s: np.int64, is_term_loc: B1, uf: I64, deg: I64, t_a: I64, t_b: I64, t_w: F64, t_src: I64,
          alive: B1) -> float:
    """Pruned MST of the local nodes ``0 .. k - 1`` (without ``s``; plus node ``k`` if ``n_xe > 0``).

    Merges the induced edges (sorted) with the candidate's (sorted, to node
    ``k``); fills the tree edges ``t_*`` (``t_src``: the induced-edge index,
    or ``-1 - j`` for the candidate's ``j``-th edge) and ``alive``; returns
    the cost, ``inf`` if the nodes are not connected.
    """
    n_loc = k + 1 if n_xe > 0 else k
    for i in range(n_loc):
        uf[i] = i
        deg[i] = 0
    need = n_loc - 1 - (1 if s >= 0 else 0)
    n_t = 0
    i = 0
    j = 0
    while n_t < need and (i < n_ie or j < n_xe):
        if j >= n_xe or (i < n_ie and ie_w[i] <= xe_w[j]):
            a = ie_a[i]
            b = ie_b[i]
            w = ie_w[i]
            src = i
            i += 1
        else:
            a = k
            b = xe_b[j]
            w = xe_w[j]
            src = -1 - j
            j += 1
        if a == s or b == s:
            continue
        ra = _find(uf, a)
        rb = _find(uf, b)
        if ra == rb:
            continue
        uf[ra] = rb
        t_a[n_t] = a
        t_b[n_t] = b
        t_w[n_t] = w
        t_src[n_t] = src
        alive[n_t] = True
        deg[a] += 1
        deg[b] += 1
        n_t += 1
    if n_t < need:
        return np.inf
    changed = True
    while changed:  # prune non-terminal leaves (the candidate is a non-terminal)
        changed = False
        for r in range(n_t):
            if not alive[r]:
                continue
            a = t_a[r]
            b = t_b[r]
            if (deg[a] == 1 and (a == k or not is_term_loc[a])) or (deg[b] == 1 and (b == k or not is_term_loc[b])):
                alive[r] = False
                deg[a] -= 1
                deg[b] -= 1
                changed = True
    cost = 0.0
    for r in range(n_t):
        if alive[r]:
            cost += t_w[r]
    return cost


@kernel()
def node_swap(indptr: I64, adj: I32, adj_e: I32, edge_u: I64, edge_v: I64, edge_w: F64, is_term: B1,
              chosen: B1, max_work: int) -> float:
    """Insert/delete/swap local search on the node set of the tree ``chosen`` (in place); returns the saving.

    Parameters
    ----------
    indptr, adj, adj_e
        CSR arrays of the graph.
    edge_u, edge_v, edge_w
        Edges.
    is_term
        Terminal mask (at least two terminals, all in the tree).
    chosen
        Edge mask of the tree; replaced by the pruned MST of the final node set.
    max_work
        Stop after about this many edge scans (evaluations times their edges).

    Returns
    -------
    float
        The cost saved (``>= 0``: the MST of the tree's own node set costs no
        more than the tree).
    """
    n = indptr.shape[0] - 1
    m = edge_w.shape[0]
    in_set = np.zeros(n, np.bool_)
    old = 0.0
    for e in range(m):
        if chosen[e]:
            in_set[edge_u[e]] = True
            in_set[edge_v[e]] = True
            old += edge_w[e]
    loc = np.full(n, -1, np.int64)
    nodes = np.empty(n, np.int64)
    work = np.int64(0)
    cur = np.inf
    k = np.int64(0)
    n_ie = np.int64(0)
    ie_a = np.empty(0, np.int64)
    ie_b = np.empty(0, np.int64)
    ie_w = np.empty(0, np.float64)
    ie_id = np.empty(0, np.int64)
    is_term_loc = np.empty(0, np.bool_)
    uf = np.empty(0, np.int64)
    deg = np.empty(0, np.int64)
    t_a = np.empty(0, np.int64)
    t_b = np.empty(0, np.int64)
    t_w = np.empty(0, np.float64)
    t_src = np.empty(0, np.int64)
    alive = np.empty(0, np.bool_)
    xe_b = np.empty(0, np.int64)
    xe_w = np.empty(0, np.float64)
    rebuild = True
    x = 0  # next candidate (the scan is cyclic)
    quiet = 0  # candidates tried since the last improvement
    while True:
        if rebuild:  # local ids, induced edges sorted by weight (ties in CSR order), scratch
            rebuild = False
            for i in range(k):
                loc[nodes[i]] = -1
            k = np.int64(0)
            for x in range(n):
                if in_set[x]:
                    loc[x] = k
                    nodes[k] = x
                    k += 1
            cnt = 0
            for i in range(k):
                x = nodes[i]
                for q in range(indptr[x], indptr[x + 1]):
                    if loc[adj[q]] > i:
                        cnt += 1
            ra = np.empty(cnt, np.int64)
            rb = np.empty(cnt, np.int64)
            rw = np.empty(cnt, np.float64)
            rid = np.empty(cnt, np.int64)
            cnt = 0
            for i in range(k):
                x = nodes[i]
                for q in range(indptr[x], indptr[x + 1]):
                    y = loc[adj[q]]
                    if y > i:
                        ra[cnt] = i
                        rb[cnt] = y
                        rw[cnt] = edge_w[adj_e[q]]
                        rid[cnt] = adj_e[q]
                        cnt += 1
            order = np.argsort(rw, kind="mergesort")
            ie_a = ra[order]
            ie_b = rb[order]
            ie_w = rw[order]
            ie_id = rid[order]
            n_ie = np.int64(cnt)
            is_term_loc = np.zeros(k, np.bool_)
            for i in range(k):
                is_term_loc[i] = is_term[nodes[i]]
            uf = np.empty(k + 1, np.int64)
            deg = np.empty(k + 1, np.int64)
            t_a = np.empty(k + 1, np.int64)
            t_b = np.empty(k + 1, np.int64)
            t_w = np.empty(k + 1, np.float64)
            t_src = np.empty(k + 1, np.int64)
            alive = np.zeros(k + 1, np.bool_)
            xe_b = np.empty(k, np.int64)
            xe_w = np.empty(k, np.float64)
            cur = _span(k, ie_a, ie_b, ie_w, n_ie, xe_b, xe_w, np.int64(0), np.int64(-1), is_term_loc, uf, deg,
                        t_a, t_b, t_w, t_src, alive)
            work += n_ie
        if quiet > n or work > max_work:  # a whole cycle without improvement
            break
        eps = 1e-9 * max(abs(cur), 1.0)
        if x == 0:  # -- deletions, once per cycle over the candidates --
            for s in range(k):
                if is_term_loc[s]:
                    continue
                c = _span(k, ie_a, ie_b, ie_w, n_ie, xe_b, xe_w, np.int64(0), np.int64(s), is_term_loc, uf, deg,
                          t_a, t_b, t_w, t_src, alive)
                work += n_ie
                if c < cur - eps:
                    for i in range(k):
                        in_set[nodes[i]] = False
                    for r in range(k - 2):
                        if alive[r]:
                            in_set[nodes[t_a[r]]] = True
                            in_set[nodes[t_b[r]]] = True
                    rebuild = True
                    break
            if rebuild:
                quiet = 0
                continue
        # -- insertion of the candidate, alone or in a swap --
        cand = x
        x = x + 1 if x + 1 < n else 0
        quiet += 1
        if in_set[cand]:
            continue
        n_xe = np.int64(0)
        for q in range(indptr[cand], indptr[cand + 1]):
            y = loc[adj[q]]
            if y >= 0:
                xe_b[n_xe] = y
                xe_w[n_xe] = edge_w[adj_e[q]]
                n_xe += 1
                if n_xe == k:
                    break
        if n_xe < 2:
            continue
        o = np.argsort(xe_w[:n_xe], kind="mergesort")
        sb = xe_b[:n_xe][o]
        sw = xe_w[:n_xe][o]
        best = cur - eps
        best_s = np.int64(-2)
        for s in range(-1, k):
            if s >= 0 and is_term_loc[s]:
                continue
            if s >= 0:  # the candidate must keep two edges into the set
                left = 0
                for j in range(n_xe):
                    if sb[j] != s:
                        left += 1
                if left < 2:
                    continue
            c = _span(k, ie_a, ie_b, ie_w, n_ie, sb, sw, n_xe, np.int64(s), is_term_loc, uf, deg, t_a, t_b, t_w,
                      t_src, alive)
            work += n_ie + n_xe
            if c < best:
                best = c
                best_s = np.int64(s)
        if best_s >= -1:
            _span(k, ie_a, ie_b, ie_w, n_ie, sb, sw, n_xe, best_s, is_term_loc, uf, deg, t_a, t_b, t_w, t_src, alive)
            for i in range(k):
                in_set[nodes[i]] = False
            for r in range(k - 1 if best_s >= 0 else k):
                if alive[r]:
                    a = t_a[r]
                    b = t_b[r]
                    in_set[cand if a == k else nodes[a]] = True
                    in_set[cand if b == k else nodes[b]] = True
            rebuild = True
            quiet = 0
    # the final node set's pruned MST (the last _span of a rebuild) replaces the tree
    _span(k, ie_a, ie_b, ie_w, n_ie, xe_b, xe_w, np.int64(0), np.int64(-1), is_term_loc, uf, deg, t_a, t_b, t_w,
          t_src, alive)
    if cur >= old:
        return 0.0
    for e in range(m):
        chosen[e] = False
    for r in range(k - 1):
        if alive[r]:
            chosen[ie_id[t_src[r]]] = True
    return old - cur
