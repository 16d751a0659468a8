"""Routing kernels: numba shortest paths and Steiner trees on flat arrays.

Stage ``routing`` of the pipeline (``costgraph -> routing -> design``), a
kernel package: it takes and returns numpy arrays (or networkx graphs in the
networkx front end), raises plain built-in errors (:class:`ValueError` and
its subclass :class:`DisconnectedTerminalsError`) and never reads files.
Kernels are compiled with ``numba.njit(cache=True)`` on first call; nothing
compiles at import time (:func:`warmup` compiles them on tiny inputs).

Modules
-------
:mod:`~planner.routing.dijkstra`
    :func:`dijkstra`, a drop-in for :func:`scipy.sparse.csgraph.dijkstra`.
:mod:`~planner.routing.steiner`
    :func:`steiner_tree_solve`: near-optimal Steiner trees of undirected edge
    lists with a certified lower bound (reductions, dual ascent, local search,
    multistart; :class:`SteinerOptions`, :class:`SteinerResult`), and
    :func:`steiner_tree_edges`, the fast heuristic with local search.
:mod:`~planner.routing.nx`
    :func:`steiner_tree`, the contract of networkx's ``steiner_tree``.
:mod:`~planner.routing.csr`, :mod:`~planner.routing.edges`
    Graph conversions (:func:`csr_arrays`, :func:`edges_to_csr`,
    :func:`graph_to_edge_arrays`), :func:`reachable_mask`, :func:`tree_cost`,
    node renumbering for cache locality (:func:`locality_order`,
    :func:`permute_graph`).
:mod:`~planner.routing._heap`, :mod:`~planner.routing.sort`, :mod:`~planner.routing._jit`
    The indexed 4-ary heap, the radix argsort and the typed ``numba.njit``
    front end of the kernels.
"""

from __future__ import annotations

from planner.routing.csr import csr_arrays, edges_to_csr, locality_order, permute_graph
from planner.routing.dijkstra import NO_PRED, dijkstra
from planner.routing.edges import reachable_mask, tree_cost
from planner.routing.nx import graph_to_edge_arrays, steiner_tree
from planner.routing.steiner import (
    DisconnectedTerminalsError,
    SteinerOptions,
    SteinerResult,
    steiner_tree_edges,
    steiner_tree_solve,
)
from planner.routing.warm import warmup

__all__ = [
    "NO_PRED",
    "DisconnectedTerminalsError",
    "dijkstra",
    "steiner_tree_edges",
    "steiner_tree_solve",
    "SteinerOptions",
    "SteinerResult",
    "steiner_tree",
    "reachable_mask",
    "csr_arrays",
    "edges_to_csr",
    "graph_to_edge_arrays",
    "locality_order",
    "permute_graph",
    "tree_cost",
    "warmup",
]
