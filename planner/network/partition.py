"""Capacitated partition of the route tree into cabinet areas, and cabinet placement.

The problem
-----------
A forest (one tree per POP, the route tree contracted to its key nodes) whose
nodes carry an integer *load* ``l_v`` (homes, or closure splitters in the
first stage of a cascade) and an objective *weight* ``w_v`` (fibres per unit
of distance from the cabinet), edges a length.  Cut the forest into connected
*parts* (each part a subtree: contiguous on the tree) with load at most the
capacity ``H`` and give each part a cabinet ``c_P`` at an allowed node of the
part, within ``reach`` of every loaded node of the part, minimising the fibre
length (fibre-metres)::

    sum over parts P of  sum_{v in P} w_v d(v, c_P)  +  phi(L_P) depth(c_P)  +  lam

``phi(L)`` is the number of feeder fibres a part of load ``L`` needs from the
POP (its first-stage splitters) and ``lam`` the worth of one cabinet in
fibre-metres (``[network] cabinet_penalty_fibre_km``).  A node whose own load
exceeds ``H`` (a block of flats) first gets ``floor`` full parts of its own,
served by cabinets co-located with the cabinet of the part the node ends up in.

The method
----------
1. *Greedy start* (bottom-up, Kundu & Misra 1977): each node collects the open
   load of its children and cuts off the heaviest child parts while the load
   exceeds ``H`` (and the farthest ones while two loaded nodes would be more
   than ``reach`` apart) -- the fewest connected parts that fit.
2. *Cabinet of a part*: the cost at every node of the part by re-rooting
   (two passes over the part), the cheapest allowed node within reach wins --
   the weighted 1-median with the feeder weight at the part's top.
3. *Local search* over pairs of adjacent parts: the union of the two is
   re-cut at the best single edge (or kept whole when it fits), and every
   part alone is tried split in two; passes repeat over the parts that changed
   until none improves.  Then three adjacent parts are re-covered by at most
   two (fewer cabinets where single moves would first have to pay for one
   more), and the pair passes resume while that improves.  Every move keeps
   each part connected and within capacity, so the result is always feasible.
4. On small forests (:data:`MULTI_START_MAX_NODES`) the converged search
   also re-cuts small pairs and triples into three parts, and a second start
   -- every loaded node and branch point a part of its own -- goes through
   the same search, the cheaper result winning (cheap cabinets favour many
   small parts, which the greedy start is far from).

The kernels are numba-compiled (``cache=True``, nothing compiles at import) and
raise plain ``ValueError``; :func:`partition_tree` is the Python entry point.
The exact MILP of the same problem (the reference the tests and the benchmark
compare with) is :func:`planner.network.exact.partition_milp`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.network._search import SMALL_SET, _greedy, _improve, _parts
from planner.routing._jit import kernel

__all__ = ["Partition", "partition_tree", "preorder", "feeder_table"]

#: Forests up to this size also get the second (finest-cut) start and the three-part re-cuts of
#: :func:`partition_tree` (milliseconds there; on the demo's 7,647 key nodes they took 4x the time of
#: the search and found nothing better). [A]
MULTI_START_MAX_NODES = 3_000


# ---------------------------------------------------------------------------
# tree order
# ---------------------------------------------------------------------------


@kernel()
def _preorder_kernel(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = parent.size
    nchild = np.zeros(n + 1, np.int64)
    for v in range(n):
        p = parent[v]
        if p >= n:
            raise ValueError("parent index out of range")
        nchild[(p if p >= 0 else n)] += 1
    start = np.zeros(n + 2, np.int64)
    for i in range(n + 1):
        start[i + 1] = start[i] + nchild[i]
    fill = start[:-1].copy()
    kids = np.empty(n, np.int64)
    for v in range(n):  # children in increasing id order
        p = parent[v]
        k = p if p >= 0 else n
        kids[fill[k]] = v
        fill[k] += 1
    pre = np.empty(n, np.int64)
    stack = np.empty(n, np.int64)
    m = 0
    for r in range(start[n + 1] - 1, start[n] - 1, -1):
        stack[m] = kids[r]
        m += 1
    k = 0
    while m > 0:
        m -= 1
        v = stack[m]
        pre[k] = v
        k += 1
        for j in range(start[v + 1] - 1, start[v] - 1, -1):  # first child on top
            stack[m] = kids[j]
            m += 1
    if k != n:
        raise ValueError("parent array is not a forest (cycle)")
    pos = np.empty(n, np.int64)
    size = np.empty(n, np.int64)
    for i in range(n):
        pos[pre[i]] = i
        size[i] = 1
    for i in range(n - 1, -1, -1):
        v = pre[i]
        if parent[v] >= 0:
            size[parent[v]] += size[v]
    return pre, pos, size


@kernel()
def _levels(pre: np.ndarray, parent: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance from the root (``length`` summed), edges from the root and the root of every node.

    ``pre``: the nodes in preorder (:func:`preorder`), ``length``: of the edge to the parent.
    """
    n = pre.size
    depth = np.empty(n, np.float64)  # np.empty/np.zeros in the dtypes the other kernels use: fewer compiled
    hops = np.empty(n, np.int64)     # allocation functions (numba compiles one per argument types)
    root = np.empty(n, np.int64)
    for i in range(n):
        v = pre[i]
        p = parent[v]
        if p < 0:
            depth[v] = 0.0
            hops[v] = 0
            root[v] = v
        else:
            depth[v] = depth[p] + length[v]
            hops[v] = hops[p] + 1
            root[v] = root[p]
    return depth, hops, root


def preorder(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Depth-first preorder of a forest.

    Parameters
    ----------
    parent
        Parent of each node, ``-1`` for roots.

    Returns
    -------
    pre, pos, size
        Nodes in preorder (roots and children in increasing id order), the
        position of each node in it and the size of each node's subtree (a
        subtree is the block ``pre[pos[v]:pos[v] + size[v]]``).

    Raises
    ------
    ValueError
        If ``parent`` has a cycle or an index out of range.
    """
    return _preorder_kernel(np.ascontiguousarray(parent, dtype=np.int64))


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def feeder_table(capacity: int, per_fibre: float) -> np.ndarray:
    """Feeder fibres ``phi[L] = ceil(L / per_fibre)`` for loads ``0..capacity``.

    Parameters
    ----------
    capacity
        Largest load of a part.
    per_fibre
        Load one feeder fibre serves (e.g. ``split / spare`` homes, or the
        first-stage ratio in splitters).

    Returns
    -------
    numpy.ndarray
        ``capacity + 1`` floats.
    """
    load = np.arange(capacity + 1, dtype=float)
    return np.ceil(load / per_fibre - 1e-9)


@dataclass(frozen=True)
class Partition:
    """Parts of a forest and their cabinets.

    Attributes
    ----------
    part
        Part index of each node (``-1``: the node lies in a part without load,
        which needs no cabinet).
    top, cabinet, load, cost
        Per part: its top node, the cabinet node, the load and the cost
        (fibre-metres including the cabinet penalty).
    extra_node, extra_count
        Nodes whose own load exceeded the capacity and the number of full
        parts each got; those parts' cabinets stand with the cabinet of the
        node's part, each carries ``capacity`` load.
    extra_cost
        Cost of all the full parts together.
    passes
        Local-search passes run.
    """

    part: np.ndarray
    top: np.ndarray
    cabinet: np.ndarray
    load: np.ndarray
    cost: np.ndarray
    extra_node: np.ndarray
    extra_count: np.ndarray
    extra_cost: float
    passes: int

    @property
    def total_cost(self) -> float:
        """Objective value of the whole partition, fibre-metres."""
        return float(self.cost.sum()) + self.extra_cost


def partition_tree(
    parent: np.ndarray,
    length: np.ndarray,
    load: np.ndarray,
    weight: np.ndarray,
    *,
    capacity: int,
    phi: np.ndarray,
    penalty: float = 0.0,
    reach: float = np.inf,
    allowed: np.ndarray | None = None,
    max_passes: int = 50,
    improve: bool = True,
    multi_start: bool | None = None,
) -> Partition:
    """Cut a forest into connected parts within capacity, one cabinet each, at least fibre.

    Parameters
    ----------
    parent
        Parent of each node, ``-1`` for the roots (POPs).
    length
        Length of the edge to the parent, metres (ignored at roots).
    load
        Integer load of each node (homes or splitters).
    weight
        Fibres per metre of distance between a node and its cabinet.
    capacity
        Largest load of a part.
    phi
        Feeder fibres by part load, ``capacity + 1`` values (:func:`feeder_table`).
    penalty
        Worth of one cabinet, fibre-metres.
    reach
        Longest distance from a cabinet to a loaded node of its part.
    allowed
        Nodes that may hold a cabinet (default: all).
    max_passes
        Limit of local-search passes.
    improve
        Run the local search (``False``: the greedy start only).
    multi_start
        Also run the local search from the finest cut (every loaded node and
        branch point apart) and keep the cheaper result; ``None``: only on
        forests of up to :data:`MULTI_START_MAX_NODES` nodes.

    Returns
    -------
    Partition

    Raises
    ------
    ValueError
        Inconsistent inputs, a cycle, or a part that has no allowed cabinet
        node within ``reach``.
    """
    parent = np.ascontiguousarray(parent, dtype=np.int64)
    n = parent.size
    plen = np.ascontiguousarray(length, dtype=float)
    load0 = np.ascontiguousarray(load, dtype=np.int64)
    w0 = np.ascontiguousarray(weight, dtype=float)
    phi = np.ascontiguousarray(phi, dtype=float)
    if capacity < 1 or phi.size != capacity + 1:
        raise ValueError("phi must have capacity + 1 entries and capacity must be >= 1")
    if not (plen.size == load0.size == w0.size == n):
        raise ValueError("parent, length, load and weight must have the same length")
    if (load0 < 0).any() or (w0 < 0).any() or (plen[parent >= 0] < 0).any():
        raise ValueError("loads, weights and lengths must be non-negative")
    allow = np.ones(n, dtype=bool) if allowed is None else np.ascontiguousarray(allowed, dtype=bool)
    pre, pos, size = preorder(parent)
    depth, _, _ = _levels(pre, parent, plen)
    # nodes above capacity: full parts of their own, the remainder (1..capacity) stays
    over = load0 > capacity
    extra_node = np.flatnonzero(over)
    extra_count = (load0[over] - 1) // capacity
    lo = load0.copy()
    lo[over] -= extra_count * capacity
    w = w0.copy()
    w[over] = w0[over] * lo[over] / load0[over]
    cut = _greedy(parent, plen, lo, pre, capacity, reach)
    fw, iw = np.empty((9, n)), np.empty((5, n), dtype=np.int64)  # scratch space of the search
    passes = 0
    small = n <= MULTI_START_MAX_NODES
    if improve:
        passes = int(_improve(parent, plen, depth, lo, w, allow, pre, pos, size, cut, phi, float(penalty),
                              float(reach), fw, iw, int(max_passes), SMALL_SET if small else None))
        a = _parts(parent, plen, depth, lo, w, allow, pre, pos, size, cut, phi, float(penalty), float(reach), fw, iw)
        infeasible = bool((a[2] < 0).any())
        if multi_start or infeasible or (multi_start is None and small):
            # second start: every loaded node and branch point on its own, then merge (also the way
            # out when the first search is left with a part that has no allowed cabinet node)
            nkid = np.bincount(parent[parent >= 0], minlength=n)
            fine = (lo > 0) | (nkid >= 2)
            fine[parent < 0] = False
            p2 = int(_improve(parent, plen, depth, lo, w, allow, pre, pos, size, fine, phi, float(penalty),
                              float(reach), fw, iw, int(max_passes), SMALL_SET if small else None))
            b = _parts(parent, plen, depth, lo, w, allow, pre, pos, size, fine, phi, float(penalty), float(reach),
                       fw, iw)
            ca, cb = float(a[4].sum()), float(b[4].sum())
            if cb < ca and (not np.isfinite(ca) or cb < ca - 1e-9 * (1.0 + abs(ca))):
                cut, passes = fine, p2
    part, tops, cabs, loads, costs = _parts(parent, plen, depth, lo, w, allow, pre, pos, size, cut, phi,
                                            float(penalty), float(reach), fw, iw)
    if (cabs < 0).any():
        bad = tops[cabs < 0]
        raise ValueError(f"no allowed cabinet node within reach for {bad.size} part(s), first topped by node "
                         f"{int(bad[0])}")
    extra_cost = 0.0
    if extra_node.size:
        cab = cabs[part[extra_node]]
        unit = w0[extra_node] / load0[extra_node]
        extra_cost = float((extra_count * (capacity * unit * _tree_dist(extra_node, cab, parent, depth, pos, size)
                                           + phi[capacity] * depth[cab] + penalty)).sum())
    return Partition(part=part, top=tops, cabinet=cabs, load=loads, cost=costs, extra_node=extra_node,
                     extra_count=extra_count.astype(np.int64), extra_cost=extra_cost, passes=passes)


def _tree_dist(a: np.ndarray, b: np.ndarray, parent: np.ndarray, depth: np.ndarray, pos: np.ndarray,
               size: np.ndarray) -> np.ndarray:
    """Tree distance between node pairs (small arrays: walks up to the common ancestor)."""
    out = np.empty(a.size)
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        u = x
        while not (pos[u] <= pos[y] < pos[u] + size[u]):
            u = int(parent[u])
            if u < 0:
                raise ValueError("nodes in different trees")
        out[i] = depth[x] + depth[y] - 2.0 * depth[u]
    return out
