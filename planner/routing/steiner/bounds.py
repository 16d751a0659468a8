"""Bound-based reduction: edges that cannot be in a tree cheaper than a known one.

With a dual ascent bound ``LB`` and reduced costs ``rc``
(:mod:`planner.routing.steiner.dual_ascent`), every arborescence ``A`` from
the root costs at least ``LB + rc(A)``.  If ``A`` uses the arc ``x -> y`` it
contains a path root -> ``x``, the arc, and a path from ``y`` to a terminal
(every leaf of a minimal tree is one), all arc-disjoint, so::

    cost(A) >= LB + d(root, x) + rc(x -> y) + d(y, T)

with ``d`` shortest-path distances on the reduced costs.  An edge both of
whose arcs give more than an upper bound ``UB`` (the cost of a known tree)
is in no tree cheaper than ``UB`` and is deleted; so is every edge at a node
``v`` with ``LB + d(root, v) + d(v, T) > UB``.  The edges of the known tree
are never deleted, so the optimum survives: either it is cheaper than ``UB``
(and all its edges pass) or the known tree is optimal.

References
----------
T. Polzin, S. Vahdati Daneshmand (2001), "Improved algorithms for the
Steiner problem in networks", Discrete Applied Mathematics 112, 263-300.
"""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, F64, I32, I64
from planner.routing.dijkstra import sssp

__all__ = ["bound_test"]


def _distances(indptr: I64, adj: I32, data: F64, seeds: I64) -> F64:
    n = indptr.size - 1
    dist = np.empty(n, dtype=np.float64)
    scratch = np.empty(n, dtype=np.int32)
    sssp(indptr, adj, data, seeds, np.inf, dist, scratch, scratch, np.empty(n, dtype=np.int32),
         np.empty(n, dtype=np.float64), np.full(n, -1, dtype=np.int32), False, False)
    return dist


def bound_test(indptr: I64, adj: I32, adj_e: I32, edge_u: I64, edge_v: I64, rc: F64, lower: float, upper: float,
               is_term: B1, root: int, keep: B1) -> B1:
    """Edges that no tree cheaper than ``upper`` contains.

    Parameters
    ----------
    indptr, adj, adj_e
        CSR arrays of the undirected graph.
    edge_u, edge_v
        Ends of every edge (arc ``2 e`` runs ``edge_u -> edge_v``, arc ``2 e + 1`` back).
    rc
        Reduced arc costs of a dual ascent with bound ``lower``.
    lower, upper
        The lower bound and the cost of a known tree.
    is_term, root
        Terminals and the dual ascent's root.
    keep
        Edges never to delete (the known tree).

    Returns
    -------
    numpy.ndarray
        Boolean mask of the edges to delete.
    """
    n = indptr.size - 1
    m = edge_u.size
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    arc = 2 * adj_e.astype(np.int64) + (edge_u[adj_e] != owner)  # arc leaving `owner` at each CSR slot
    from_root = _distances(indptr, adj, rc[arc], np.array([root], dtype=np.int64))
    seeds = np.flatnonzero(is_term).astype(np.int64)
    seeds = seeds[seeds != root]
    to_term = _distances(indptr, adj, rc[arc ^ 1], seeds)  # reversed arcs: distance to the nearest terminal
    slack = 1e-9 * max(abs(upper), 1.0)
    limit = upper - lower + slack
    node_out = from_root + to_term > limit
    node_out &= ~is_term
    e = np.arange(m)
    eu, ev = edge_u, edge_v
    fwd = from_root[eu] + rc[2 * e] + to_term[ev]
    bwd = from_root[ev] + rc[2 * e + 1] + to_term[eu]
    out: B1 = (np.minimum(fwd, bwd) > limit) | node_out[eu] | node_out[ev]
    out &= ~keep
    return out
