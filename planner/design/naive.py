"""The naive alternative: every target's shortest road path from the POP, shared where paths coincide.

Union of the shortest (by length) paths from the nearest POP to every
connected target -- routing without a cost model -- priced with the same
per-edge rules as the shared tree, so the saving of sharing the trench is the
difference of the two network costs.  The *unshared* cost is the sum of every
address's own cheapest path (each trench dug once per address).
"""

from __future__ import annotations

import numpy as np

from planner import routing
from planner.design.graph import RoutingGraph, csr, orient, path_union
from planner.design.tree import graft_violators

__all__ = ["naive_tree", "unshared_cost"]


def naive_tree(rg: RoutingGraph, terminals: np.ndarray, drop_len: np.ndarray, sp_pred: np.ndarray,
               max_reach_m: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Edges and orientation of the union of the shortest-length paths to ``terminals``.

    Shortest paths are within reach after the screen of
    :func:`planner.design.reasons.screen_targets`; grafting the violators'
    shortest paths is a no-op safeguard.
    """
    naive_edges = path_union(rg, sp_pred, np.unique(terminals))
    return graft_violators(rg, naive_edges, orient(rg, naive_edges), terminals, drop_len, sp_pred, max_reach_m)


def unshared_cost(rg: RoutingGraph, terminals: np.ndarray) -> float:
    """Sum of every terminal's own cheapest path cost from the root (nothing shared)."""
    dist_sp = routing.dijkstra(csr(rg, rg.w), directed=False, indices=rg.root)
    return float(dist_sp[terminals].sum())
