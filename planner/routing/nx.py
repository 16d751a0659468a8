"""networkx front end: :func:`steiner_tree` with the contract of networkx's ``steiner_tree``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.routing._jit import F64, I64
from planner.routing.steiner.tree import steiner_tree_edges

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["graph_to_edge_arrays", "steiner_tree"]


def graph_to_edge_arrays(
    G: nx.Graph, weight: str | None = "weight"
) -> tuple[list[Hashable], I64, I64, F64, list[tuple[Any, ...]]]:
    """Flatten a networkx graph into node list and edge arrays.

    Parameters
    ----------
    G
        Undirected networkx ``Graph`` or ``MultiGraph``.
    weight
        Edge attribute holding the weight; missing attributes (and
        ``weight=None``) count as 1, like networkx.

    Returns
    -------
    nodes : list
        Node keys in ``G.nodes`` order (position = integer id).
    edge_u, edge_v : numpy.ndarray
        int64 ids of the edge ends.
    edge_w : numpy.ndarray
        float64 weights.
    keys : list of tuple
        ``(u, v)`` or ``(u, v, key)`` per edge, in the same order.
    """
    nodes = list(G.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    keys: list[tuple[Any, ...]]
    if G.is_multigraph():
        keys = [(a, b, kk) for a, b, kk in G.edges(keys=True)]
        datas = [G.edges[a, b, kk] for a, b, kk in keys]
    else:
        keys = [(a, b) for a, b in G.edges()]
        datas = [G.edges[a, b] for a, b in keys]
    m = len(keys)
    edge_u = np.fromiter((index[e[0]] for e in keys), dtype=np.int64, count=m)
    edge_v = np.fromiter((index[e[1]] for e in keys), dtype=np.int64, count=m)
    if weight is None:
        edge_w = np.ones(m, dtype=np.float64)
    else:
        edge_w = np.fromiter((d.get(weight, 1) for d in datas), dtype=np.float64, count=m)
    return nodes, edge_u, edge_v, edge_w, keys


def steiner_tree(
    G: nx.Graph,
    terminal_nodes: Iterable[Hashable],
    weight: str = "weight",
    method: str | None = None,
) -> nx.Graph:
    """Approximate minimum Steiner tree, like networkx's ``steiner_tree``.

    Same contract as :func:`networkx.algorithms.approximation.steiner_tree`:
    an undirected graph and terminal node keys in, the tree as the subgraph
    of ``G`` induced by the chosen edges out (original node keys, node and
    edge attributes; like networkx, a single terminal gives an empty graph).
    Unlike networkx the result is a mutable copy, not a frozen view.  For a
    ``MultiGraph`` the cheapest of parallel edges is used and the result
    keeps that edge's key, as networkx does.

    Parameters
    ----------
    G
        Undirected, connected (between the terminals) networkx graph.
    terminal_nodes
        Nodes the tree must connect.
    weight
        Edge attribute holding the weight (missing -> 1).
    method
        Accepted for drop-in compatibility with networkx and ignored: the
        tree always comes from :func:`~planner.routing.steiner_tree_edges`.

    Returns
    -------
    networkx.Graph
        The tree, of the same class as ``G``.

    Raises
    ------
    networkx.NetworkXNotImplemented
        If ``G`` is directed.
    networkx.NodeNotFound
        If a terminal is not in ``G``.
    DisconnectedTerminalsError
        A :class:`ValueError`: the terminals are not all in one connected
        component.
    """
    import networkx as nx

    if G.is_directed():
        raise nx.NetworkXNotImplemented("not implemented for directed type")
    terms = list(dict.fromkeys(terminal_nodes))
    for t in terms:
        if t not in G:
            raise nx.NodeNotFound(f"terminal node {t!r} is not in the graph")
    nodes, eu, ev, ew, keys = graph_to_edge_arrays(G, weight)
    if not terms:
        return G.edge_subgraph([]).copy()
    index = {node: i for i, node in enumerate(nodes)}
    tid = np.array([index[t] for t in terms], dtype=np.int64)
    chosen = steiner_tree_edges(len(nodes), eu, ev, ew, tid, root=int(tid[0]))
    return G.edge_subgraph([keys[i] for i in chosen]).copy()
