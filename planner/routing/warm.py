"""Compile (or load from numba's on-disk cache) the routing kernels ahead of use."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.routing.dijkstra import dijkstra
from planner.routing.edges import reachable_mask
from planner.routing.steiner.solve import SteinerOptions, steiner_tree_solve
from planner.routing.steiner.tree import steiner_tree_edges

__all__ = ["warmup"]


def warmup() -> None:
    """Compile (or load from the numba cache) every kernel on small inputs.

    Not needed before use (every kernel compiles on its first call, and a
    plan compiles only the kernels it needs); useful before timing code.
    """
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
    # a 12 x 12 grid with diagonals that the bound does not solve: every stage of the search runs
    k = 12
    idx = np.arange(k * k).reshape(k, k)
    gu = np.r_[idx[:-1, :].ravel(), idx[:, :-1].ravel(), idx[:-1, :-1].ravel()]
    gv = np.r_[idx[1:, :].ravel(), idx[:, 1:].ravel(), idx[1:, 1:].ravel()]
    rng = np.random.default_rng(4)
    gw = rng.integers(5, 14, gu.size).astype(np.float64)
    terms = rng.choice(k * k, 12, replace=False)
    steiner_tree_solve(k * k, gu, gv, gw, terms, options=SteinerOptions(starts=3, combine_every=2, gap_tol=0.0))
