"""Exact MILP of the capacitated cabinet partition (reference for small instances).

The same problem as :func:`planner.network.partition.partition_tree` with
``phi(L) = ceil(L / per_fibre)``, written as a mixed-integer programme and
solved by HiGHS (:func:`scipy.optimize.milp`).  It grows with the square of
the node count, so it serves tests and the benchmark on trees of up to about a
hundred nodes, not designs.

Formulation
-----------
``x[v, j] = 1`` when node ``v`` belongs to the part whose cabinet is node
``j`` (``x[j, j]`` opens a cabinet at ``j``), ``f[j]`` the feeder fibres of
that part::

    min  sum w_v d(v,j) x[v,j] + sum depth_j f[j] + lam sum x[j,j]
    s.t. sum_j x[v,j] = 1            (v loaded)      sum_j x[v,j] <= 1   (v empty)
         x[v,j] <= x[next(v,j), j]   (next: the neighbour of v towards j -- parts are connected)
         sum_v l_v x[v,j] <= H x[j,j]
         sum_v l_v x[v,j] <= per_fibre f[j]
         x[v,j] = 0 if v, j lie in different trees, j is not allowed, or v is loaded and d(v,j) > reach
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components, shortest_path

__all__ = ["MilpResult", "partition_milp", "random_instance"]


@dataclass(frozen=True)
class MilpResult:
    """Optimum of :func:`partition_milp`.

    Attributes
    ----------
    cost
        Objective value, fibre-metres (``nan`` if not solved).
    cabinet_of
        Cabinet node of each node's part (``-1`` for nodes in no part).
    status, message
        HiGHS status code (0: optimal) and message.
    mip_gap
        Relative gap HiGHS reports.
    """

    cost: float
    cabinet_of: np.ndarray
    status: int
    message: str
    mip_gap: float


def partition_milp(
    parent: np.ndarray,
    length: np.ndarray,
    load: np.ndarray,
    weight: np.ndarray,
    *,
    capacity: int,
    per_fibre: float,
    penalty: float = 0.0,
    reach: float = np.inf,
    allowed: np.ndarray | None = None,
    time_limit: float = 60.0,
) -> MilpResult:
    """Solve the capacitated connected partition exactly.

    Parameters
    ----------
    parent, length, load, weight, capacity, penalty, reach, allowed
        As :func:`planner.network.partition.partition_tree` (every node load
        must be at most ``capacity``).
    per_fibre
        Load per feeder fibre: ``phi(L) = ceil(L / per_fibre)``.
    time_limit
        Seconds HiGHS may run.

    Returns
    -------
    MilpResult
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = parent.size
    load = np.asarray(load, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    if (load > capacity).any():
        raise ValueError("a node load exceeds the capacity")
    allow = np.ones(n, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    child = np.flatnonzero(parent >= 0)
    adj = sparse.csr_matrix((np.asarray(length, dtype=float)[child] + 1e-12, (child, parent[child])), shape=(n, n))
    dist = shortest_path(adj, directed=False)
    _, tree_of = connected_components(adj, directed=False)
    roots = np.flatnonzero(parent < 0)
    depth = np.full(n, np.inf)
    for r in roots:
        mask = tree_of == tree_of[r]
        depth[mask] = dist[r, mask]
    # next node from v towards j: the neighbour u of v with d(u, j) = d(v, j) - len(v, u)
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for v in child.tolist():
        nbrs[v].append(int(parent[v]))
        nbrs[int(parent[v])].append(v)

    pairs: dict[tuple[int, int], int] = {}
    for j in np.flatnonzero(allow).tolist():
        for v in range(n):
            if tree_of[v] != tree_of[j] or not np.isfinite(dist[v, j]):
                continue
            if load[v] > 0 and dist[v, j] > reach:
                continue
            pairs[(v, j)] = len(pairs)
    cabs = sorted({j for (_, j) in pairs})
    nx = len(pairs)
    fcol = {j: nx + k for k, j in enumerate(cabs)}
    nvar = nx + len(cabs)
    c = np.zeros(nvar)
    lb = np.zeros(nvar)
    ub = np.ones(nvar)
    ub[nx:] = np.inf
    integrality = np.ones(nvar)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(cs: list[int], vs: list[float], low: float, high: float) -> None:
        rows.append(np.full(len(cs), len(lo)))
        cols.append(np.asarray(cs))
        vals.append(np.asarray(vs, dtype=float))
        lo.append(low)
        hi.append(high)

    for (v, j), k in pairs.items():
        c[k] = weight[v] * dist[v, j] + (penalty if v == j else 0.0)
        if v == j:
            continue
        nxt = min((u for u in nbrs[v]), key=lambda u: abs(dist[u, j] + dist[u, v] - dist[v, j]))
        if (nxt, j) in pairs:
            add([k, pairs[(nxt, j)]], [1.0, -1.0], -np.inf, 0.0)
        else:
            ub[k] = 0.0
    for j in cabs:
        c[fcol[j]] = depth[j]
    by_v: dict[int, list[int]] = {}
    by_j: dict[int, list[tuple[int, int]]] = {}
    for (v, j), k in pairs.items():
        by_v.setdefault(v, []).append(k)
        by_j.setdefault(j, []).append((v, k))
    for v in range(n):
        ks = by_v.get(v, [])
        if load[v] > 0:
            if not ks:
                return MilpResult(float("nan"), np.full(n, -1), 2, f"node {v} has no cabinet within reach", np.nan)
            add(ks, [1.0] * len(ks), 1.0, 1.0)
        elif ks:
            add(ks, [1.0] * len(ks), -np.inf, 1.0)
    for j in cabs:
        members = [(v, k) for v, k in by_j[j] if load[v] > 0]
        kj = pairs[(j, j)]
        cs = [k for _, k in members]
        ls = [float(load[v]) for v, _ in members]
        add(cs + [kj] if kj not in cs else cs, (ls + [-float(capacity)]) if kj not in cs
            else [x - (capacity if k == kj else 0.0) for x, k in zip(ls, cs)], -np.inf, 0.0)
        add(cs + [fcol[j]], ls + [-float(per_fibre)], -np.inf, 1e-9)
    a = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(len(lo), nvar))
    res = milp(c, integrality=integrality, bounds=Bounds(lb, ub),
               constraints=LinearConstraint(a, np.asarray(lo), np.asarray(hi)),
               options={"time_limit": float(time_limit), "mip_rel_gap": 1e-7, "disp": False})
    cab_of = np.full(n, -1, dtype=np.int64)
    if res.x is None:
        return MilpResult(float("nan"), cab_of, int(res.status), str(res.message), np.nan)
    for (v, j), k in pairs.items():
        if res.x[k] > 0.5:
            cab_of[v] = j
    gap = float(getattr(res, "mip_gap", np.nan) or 0.0)
    return MilpResult(float(res.fun), cab_of, int(res.status), str(res.message), gap)


def random_instance(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, float, float, float]:
    """A random small partition problem of the size the MILP solves quickly (tests, benchmark).

    A forest of 12-35 nodes (a second root for every third seed), 10-60 homes,
    capacity up to 23, 1 or 2 fibres per home, centralised or cascade feeder
    ratios, no/some/large cabinet penalty, and a reach limit for a third of the seeds.

    Parameters
    ----------
    seed
        Seed of the random draw.

    Returns
    -------
    tuple
        ``(parent, length, load, weight, capacity, per_fibre, penalty, reach)`` in the
        order of :func:`partition_milp`'s arguments.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(12, 36))
    parent = np.array([-1] + [int(rng.integers(max(0, i - 5), i)) for i in range(1, n)])
    if seed % 3 == 0:
        parent[n // 2] = -1                       # a second POP
    length = rng.uniform(20.0, 400.0, n)
    load = np.zeros(n, dtype=np.int64)
    np.add.at(load, rng.integers(1, n, int(rng.integers(10, 61))), 1)   # <= 60 targets
    cap = int(rng.integers(max(4, load.max()), 24))
    fd = int(rng.choice([1, 2]))
    per = float(rng.choice([32 / 1.1, 8 / 1.1, 4.0]))
    pen = float(rng.choice([0.0, 2000.0, 15000.0]))
    reach = float(rng.choice([np.inf, np.inf, 900.0]))
    return parent, length, load, fd * load.astype(float), cap, per, pen, reach
