"""Exact Steiner trees for few terminals: the Dreyfus-Wagner dynamic programme (numba).

With terminals ``t_0 .. t_q`` (``t_q`` the root), ``dp[S][v]`` is the cost
of a cheapest tree that connects the terminals of the subset ``S`` of
``t_0 .. t_{q-1}`` and the node ``v``.  For a single terminal it is the
distance from it; for larger ``S`` the tree either branches at ``v``
(``dp[D][v] + dp[S - D][v]`` for a proper subset ``D``) or reaches ``v``
along a path from a node where it branches, which a Dijkstra seeded with
the branching values settles.  ``dp[all][t_q]`` is the optimum.  Time
``O(3^q n + 2^q m log n)``, memory ``O(2^q n)``: the search
(:mod:`~planner.routing.steiner.solve`) uses it only on reduced instances
where that is small.

References
----------
S. E. Dreyfus, R. A. Wagner (1971), "The Steiner problem in graphs",
Networks 1, 195-207.
"""

from __future__ import annotations

import numpy as np

from planner.routing._heap import pop, push_or_decrease
from planner.routing._jit import B1, F64, I32, I64, kernel

__all__ = ["dreyfus_wagner", "dreyfus_wagner_work"]


def dreyfus_wagner_work(n: int, m: int, n_terminals: int) -> float:
    """Operation count of :func:`dreyfus_wagner` (its ``3^q n + 2^q m`` terms; ``q = n_terminals - 1``)."""
    q = max(n_terminals - 1, 0)
    return float(3**q * n + 2**q * 2 * m)


@kernel()
def dreyfus_wagner(indptr: I64, adj: I32, adj_w: F64, adj_e: I32, edge_u: I64, edge_v: I64, terms: I64,
                   chosen: B1) -> float:
    """Optimal Steiner tree connecting ``terms`` (the last one the root); marks its edges in ``chosen``.

    Parameters
    ----------
    indptr, adj, adj_w, adj_e
        CSR arrays of the graph (weights >= 0).
    edge_u, edge_v
        Ends of every edge.
    terms
        Terminal ids (distinct, at most 20).
    chosen
        Output edge mask (``False`` on entry).

    Returns
    -------
    float
        The optimum (``inf`` if the terminals are not connected; then
        ``chosen`` is left empty).
    """
    n = indptr.shape[0] - 1
    q = terms.shape[0] - 1
    if q <= 0:
        return 0.0
    if q > 20:
        raise ValueError("dreyfus_wagner: too many terminals")
    full = (1 << q) - 1
    dp = np.full((full + 1, n), np.inf)
    split = np.zeros((full + 1, n), np.int32)  # 0: no branching at v (subsets are non-empty)
    pred = np.full((full + 1, n), -1, np.int32)  # edge of the path into v, -1: none
    heap = np.empty(n, np.int32)
    hkey = np.empty(n, np.float64)
    pos = np.full(n, -1, np.int32)
    for s in range(1, full + 1):
        row = dp[s]
        if s & (s - 1) == 0:
            i = 0
            while (1 << i) != s:
                i += 1
            row[terms[i]] = 0.0
        else:
            low = s & -s
            d = (s - 1) & s
            while d > 0:
                if d & low:  # each split once: D holds the lowest terminal of S
                    rd = dp[d]
                    re = dp[s ^ d]
                    for v in range(n):
                        c = rd[v] + re[v]
                        if c < row[v]:
                            row[v] = c
                            split[s, v] = d
                d = (d - 1) & s
        size = np.int64(0)
        for v in range(n):
            if row[v] < np.inf:
                size = push_or_decrease(heap, hkey, pos, size, np.int64(v), row[v])
        while size > 0:
            x, size = pop(heap, hkey, pos, size)
            dx = row[x]
            for k in range(indptr[x], indptr[x + 1]):
                y = adj[k]
                c = dx + adj_w[k]
                if c < row[y]:
                    row[y] = c
                    pred[s, y] = adj_e[k]
                    split[s, y] = 0
                    size = push_or_decrease(heap, hkey, pos, size, np.int64(y), c)
    best = float(dp[full, terms[q]])
    if best == np.inf:
        return best
    # back-track: follow the path into v, then branch; the subsets form a laminar family (< 2q)
    st_s = np.empty(2 * q + 2, np.int64)
    st_v = np.empty(2 * q + 2, np.int64)
    st_s[0] = full
    st_v[0] = terms[q]
    top = 1
    while top > 0:
        top -= 1
        sub = st_s[top]
        node = st_v[top]
        while pred[sub, node] >= 0:
            e = pred[sub, node]
            chosen[e] = True
            node = edge_u[e] if edge_v[e] == node else edge_v[e]
        part = np.int64(split[sub, node])
        if part > 0:
            st_s[top] = part
            st_v[top] = node
            st_s[top + 1] = sub ^ part
            st_v[top + 1] = node
            top += 2
    return best
