"""Compile (or load from numba's on-disk cache) the routing kernels ahead of use."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.routing.dijkstra import dijkstra
from planner.routing.edges import reachable_mask
from planner.routing.steiner.tree import steiner_tree_edges

__all__ = ["warmup"]


def warmup() -> None:
    """Compile (or load from the numba cache) every kernel on tiny inputs."""
    mat = sp.csr_matrix(
        (np.array([1.0, 2.0, 1.0]), (np.array([0, 1, 0]), np.array([1, 2, 2]))), shape=(3, 3)
    )
    for directed in (True, False):
        dijkstra(mat, directed=directed, indices=0, return_predecessors=True)
        dijkstra(mat, directed=directed, indices=[0, 1], return_predecessors=True)
        dijkstra(mat, directed=directed, indices=[0, 1])
        dijkstra(mat, directed=directed, indices=[0, 1], min_only=True, return_predecessors=True)
        dijkstra(mat, directed=directed, indices=[0, 1], min_only=True)
    # a star whose centre is a Steiner node: the first local-search round
    # improves the tree, so the second round (own Voronoi regions) compiles too
    u = np.array([0, 0, 0, 1, 2, 1])
    v = np.array([1, 2, 3, 2, 3, 3])
    w = np.array([1.0, 1.0, 1.0, 1.9, 1.9, 1.9])
    steiner_tree_edges(4, u, v, w, np.array([1, 2, 3]), rel_tol=0.0)
    steiner_tree_edges(4, u, v, w, np.array([1, 2, 3]), max_rounds=0)
    reachable_mask(4, u, v, 0)
