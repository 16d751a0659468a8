"""Lower bound of the Steiner tree cost: Wong's dual ascent on the bidirected graph (numba).

The undirected problem is solved as the directed one on the bidirected graph
(every edge two arcs of its weight) with a root terminal: a tree is an
arborescence from the root.  Every set ``W`` of nodes that holds a terminal
but not the root must be entered by an arc of any arborescence (a *Steiner
cut*), so raising the dual variable of ``W`` by the smallest reduced cost on
the arcs entering it, and lowering those reduced costs by as much, keeps a
feasible dual of the directed cut relaxation; the sum of the raises is a
lower bound ``LB <= OPT``.  Dual ascent grows, for an *active* terminal
``t``, the set ``W`` of nodes that reach ``t`` over saturated arcs (reduced
cost 0) and raises it while no other active terminal and not the root lies
in ``W``; the terminal whose cut has fewest arcs goes first (a component
keeps its turn while its cut has at most :data:`HYSTERESIS` times the arcs
of the next one: every turn rebuilds ``W``, and on dense graphs most turns
ended after one raise; 1.25 makes the ascent 3-4 times faster there with
bounds within 0.1 % of the strict order on PACE 2018).  Whatever the
order, every raised cut is a Steiner cut, so the bound is valid.

The reduced costs ``rc`` also certify: any arborescence ``A`` costs at least
``LB + rc(A)`` (:mod:`planner.routing.steiner.bounds` uses that to delete
edges that cannot be in a tree cheaper than a known one).

Arc ``2 e`` runs ``edge_u[e] -> edge_v[e]``, arc ``2 e + 1`` the other way.

References
----------
R. T. Wong (1984), "A dual ascent approach for Steiner tree problems on a
directed graph", Mathematical Programming 28, 271-287.
T. Polzin, S. Vahdati Daneshmand (2001), "Improved algorithms for the
Steiner problem in networks", Discrete Applied Mathematics 112, 263-300.
"""

from __future__ import annotations

import numpy as np

from planner.routing._heap import pop, push_or_decrease
from planner.routing._jit import B1, F64, I32, I64, kernel

__all__ = ["dual_ascent", "HYSTERESIS"]

#: A component keeps its turn while its cut has at most this many times the arcs of the next
#: one's. [A: PACE 2018 I640 (40,896 edges): 1.0 -> 130 ms, 1.25 -> 40 ms per ascent, bound
#: -0.05 % on average; LIN grids: 2x faster, bound +-0.2 %]
HYSTERESIS = 1.25


@kernel()
def dual_ascent(indptr: I64, adj: I32, adj_e: I32, edge_u: I64, edge_v: I64, edge_w: F64, is_term: B1,
                root: int, rc: F64) -> float:
    """Dual ascent from ``root``; fills ``rc`` (length ``2 m``) and returns the lower bound.

    Parameters
    ----------
    indptr, adj, adj_e
        CSR arrays of the undirected graph.
    edge_u, edge_v, edge_w
        Edges (the arcs' tails and weights).
    is_term
        Terminal mask (the root among them).
    root
        Root terminal.
    rc
        Output: reduced cost of every arc.

    Returns
    -------
    float
        The lower bound (0 with fewer than two terminals).
    """
    n = indptr.shape[0] - 1
    m = edge_w.shape[0]
    for e in range(m):
        rc[2 * e] = edge_w[e]
        rc[2 * e + 1] = edge_w[e]
    active = is_term.copy()
    active[root] = False
    mark = np.zeros(n, np.int64)  # mark[x] == stamp: x is in the current W
    stamp = 0
    queue = np.empty(n, np.int64)
    cut = np.empty(indptr[n], np.int64)
    heap = np.empty(n, np.int32)
    hkey = np.empty(n, np.float64)
    pos = np.full(n, -1, np.int32)
    size = np.int64(0)
    for x in range(n):
        if active[x]:
            size = push_or_decrease(heap, hkey, pos, size, np.int64(x), 0.0)
    lb = 0.0
    while size > 0:
        t, size = pop(heap, hkey, pos, size)
        if not active[t]:
            continue
        stamp += 1
        mark[t] = stamp
        queue[0] = t
        n_w = 1
        head = 0
        n_cut = 0
        dead = False
        while not dead:
            # close W under saturated in-arcs from queue[head:n_w]; collect the new cut arcs
            while head < n_w and not dead:
                y = queue[head]
                head += 1
                for k in range(indptr[y], indptr[y + 1]):
                    x = adj[k]
                    if mark[x] == stamp:
                        continue
                    e = adj_e[k]
                    a = 2 * e if edge_u[e] == x else 2 * e + 1
                    if rc[a] <= 0.0:
                        if x == root or active[x]:
                            dead = True
                            break
                        mark[x] = stamp
                        queue[n_w] = x
                        n_w += 1
                    else:
                        cut[n_cut] = a
                        n_cut += 1
            if dead:
                break
            # drop cut arcs whose tail has joined W; find the smallest reduced cost
            j = 0
            delta = np.inf
            for i in range(n_cut):
                a = cut[i]
                e = a >> 1
                tail = edge_u[e] if a & 1 == 0 else edge_v[e]
                if mark[tail] != stamp:
                    cut[j] = a
                    j += 1
                    if rc[a] < delta:
                        delta = rc[a]
            n_cut = j
            if n_cut == 0:  # nothing enters W: t is cut off from the root
                dead = True
                break
            if size > 0 and n_cut > HYSTERESIS * hkey[0]:  # another component has a smaller cut: its turn
                size = push_or_decrease(heap, hkey, pos, size, np.int64(t), float(n_cut))
                break
            lb += delta
            for i in range(n_cut):
                a = cut[i]
                rc[a] -= delta
                if rc[a] <= 0.0:
                    rc[a] = 0.0
                    e = a >> 1
                    x = edge_u[e] if a & 1 == 0 else edge_v[e]
                    if mark[x] != stamp:
                        if x == root or active[x]:
                            dead = True
                        else:
                            mark[x] = stamp
                            queue[n_w] = x
                            n_w += 1
        if dead:
            active[t] = False
    return lb
