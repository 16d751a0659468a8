"""Steiner trees in undirected graphs (numba kernels on edge arrays).

:func:`steiner_tree_edges` grows a tree with the shortest-path heuristic of
Takahashi and Matsuyama (:mod:`~planner.routing.steiner.sph`) and improves
it by local search (:mod:`~planner.routing.steiner.local`): key-path
exchange between Voronoi regions (:mod:`~planner.routing.steiner.keypath`,
:mod:`~planner.routing.steiner.voronoi`) and MST-prune
(:mod:`~planner.routing.steiner.mst`).

:func:`steiner_tree_solve` (:mod:`~planner.routing.steiner.solve`) adds
reductions (:mod:`~planner.routing.steiner.reduce`,
:mod:`~planner.routing.steiner.bounds`), a lower bound by dual ascent
(:mod:`~planner.routing.steiner.dual_ascent`), key-vertex elimination
(:mod:`~planner.routing.steiner.keyvertex`), Steiner-vertex insertion
(:mod:`~planner.routing.steiner.insertion`), node swaps on dense graphs
(:mod:`~planner.routing.steiner.swap`), the exact Dreyfus-Wagner programme
for reduced instances with few terminals (:mod:`~planner.routing.steiner.exact`)
and a multistart with combination of solutions.
"""

from __future__ import annotations

from planner.routing.steiner.solve import SteinerOptions, SteinerResult, steiner_tree_solve
from planner.routing.steiner.tree import DisconnectedTerminalsError, steiner_tree_edges

__all__ = ["DisconnectedTerminalsError", "steiner_tree_edges", "steiner_tree_solve", "SteinerOptions",
           "SteinerResult"]
