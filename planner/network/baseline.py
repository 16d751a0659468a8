"""Baseline the tree placement must beat: size-constrained Euclidean k-means.

What open FTTH planners do (``ChrisMolanus/ftth_planner``: size-constrained
k-means, <= 48 homes per cabinet; Softelnet GNI: k-means): cluster the home
points in the plane into ``k = ceil(homes / capacity)`` groups of at most
``capacity`` homes -- Lloyd iterations whose assignment step gives each home,
in order of decreasing regret (second-nearest minus nearest centre), the
nearest centre with room left -- and put each cabinet at the route node
nearest its centroid.  The fibres then follow the same route tree
(:func:`planner.network.fibres.count_fibres`), so the two placements are
compared on the same fibre-km.  Used by the benchmark and the tests; not a
planning method.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from planner.config.network import NetworkConfig
from planner.network.cabinets import Placement
from planner.network.tree import RouteTree

__all__ = ["kmeans_placement", "fibre_m"]


def _assign(xy: np.ndarray, centres: np.ndarray, cap: int, near: int = 8) -> np.ndarray:
    k = centres.shape[0]
    kk = min(near, k)
    d, j = cKDTree(centres).query(xy, k=kk)
    d, j = d.reshape(len(xy), kk), j.reshape(len(xy), kk)
    regret = (d[:, 1] - d[:, 0]) if kk > 1 else np.zeros(len(xy))
    order = np.lexsort((np.arange(len(xy)), -regret))
    room = np.full(k, cap, dtype=np.int64)
    out = np.full(len(xy), -1, dtype=np.int64)
    for i in order.tolist():
        for c in j[i].tolist():
            if room[c] > 0:
                out[i] = c
                room[c] -= 1
                break
        if out[i] < 0:  # all near centres full: the nearest one with room
            free = np.flatnonzero(room > 0)
            c = int(free[np.argmin(np.hypot(*(centres[free] - xy[i]).T))])
            out[i] = c
            room[c] -= 1
    return out


def kmeans_placement(tree: RouteTree, home_node: np.ndarray, home_xy: np.ndarray, express: np.ndarray,
                     config: NetworkConfig, *, k: int | None = None, iterations: int = 25,
                     seed: int = 0) -> Placement:
    """Cabinets of size-constrained Euclidean k-means, snapped to the route (centralised).

    Parameters
    ----------
    tree
        The route tree (cabinets go to its node nearest each centroid, in
        the tree of the homes' POP).
    home_node, home_xy
        Access node and address point of each home.
    express
        Homes on express fibres (not clustered).
    config
        The ``[network]`` section (capacity, spare, split).
    k
        Number of cabinets (default and minimum: ``ceil(homes / capacity)``).
    iterations
        Lloyd iterations.
    seed
        Seed of the k-means++ start.

    Returns
    -------
    Placement
    """
    cap = config.cabinet_homes
    split = np.flatnonzero(~express)
    xy = home_xy[split]
    n = split.size
    k = max(int(np.ceil(n / cap)), k or 0)
    rng = np.random.default_rng(seed)
    centres = [xy[rng.integers(n)]]
    for _ in range(1, k):  # k-means++
        d2 = np.min(np.stack([np.sum((xy - c) ** 2, axis=1) for c in centres]), axis=0)
        centres.append(xy[rng.choice(n, p=d2 / d2.sum())] if d2.sum() > 0 else xy[rng.integers(n)])
    c = np.array(centres, dtype=float)
    lab = _assign(xy, c, cap)
    for _ in range(iterations):
        c_new = np.array([xy[lab == i].mean(axis=0) if (lab == i).any() else c[i] for i in range(k)])
        lab_new = _assign(xy, c_new, cap)
        c = c_new
        if np.array_equal(lab_new, lab):
            break
        lab = lab_new
    # each cabinet at the route node nearest its centroid, within the tree of the cluster's first home
    fin = np.flatnonzero(np.isfinite(tree.xy).all(axis=1))
    roots = tree.root[home_node[split]]
    cab = np.empty(k, dtype=np.int64)
    for i in range(k):
        members = np.flatnonzero(lab == i)
        r = roots[members[0]] if members.size else tree.root[fin[0]]
        cand = fin[tree.root[fin] == r]
        cab[i] = cand[np.argmin(np.hypot(*(tree.xy[cand] - c[i]).T))]
    homes = np.bincount(lab, minlength=k)
    home_cabinet = np.full(home_node.size, -1, dtype=np.int64)
    home_cabinet[split] = lab
    return Placement(cabinet_node=cab, cabinet_site=np.full(k, "", dtype=object),
                     cabinet_feeder=np.ceil(homes * config.port_spare_ratio / config.split_ratio - 1e-9)
                     .astype(np.int64), home_cabinet=home_cabinet, closure_node=np.zeros(0, np.int64),
                     closure_cabinet=np.zeros(0, np.int64), home_closure=np.full(home_node.size, -1, np.int64),
                     passes=0)


def fibre_m(tree: RouteTree, feeder: np.ndarray, distribution: np.ndarray) -> tuple[float, float]:
    """Feeder and distribution fibre-metres of per-segment counts."""
    on = tree.parent >= 0
    return float((feeder[on] * tree.length[on]).sum()), float((distribution[on] * tree.length[on]).sum())
