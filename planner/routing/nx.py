"""networkx front end: :func:`steiner_tree` with the contract of networkx's ``steiner_tree``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from itertools import chain
from operator import methodcaller
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from planner.routing._jit import F64, I64
from planner.routing.steiner.tree import steiner_tree_edges

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["graph_to_edge_arrays", "steiner_tree"]


class _Identity(dict):  # type: ignore[type-arg]
    """Node -> position for graphs whose nodes are ``0 .. n - 1`` in order."""

    def __getitem__(self, key: Hashable) -> int:
        return int(cast(int, key))


def _flatten(G: nx.Graph, weight: str | None) -> tuple[list[Hashable], dict[Hashable, int], I64, I64, F64]:
    """Nodes, node positions and ``(u, v, w)`` arrays of a simple graph, in ``G.edges`` order.

    Every edge appears in the adjacency at both ends; it is kept at the end
    that comes first in node order (a self-loop once), which is the order of
    ``G.edges``.  The loops run in C (``map``, ``itertools.chain``,
    ``numpy.fromiter``) over the graph's own dictionaries (``G._adj``, the
    structure networkx documents for subclasses; ``G.adj`` otherwise).
    """
    adj = getattr(G, "_adj", None)
    if not isinstance(adj, dict):  # a view or a custom class: the public (slower) adjacency
        adj = G.adj
    nodes = list(adj)
    deg = np.fromiter(map(len, adj.values()), dtype=np.int64, count=len(nodes))
    total = int(deg.sum())
    if nodes == list(range(len(nodes))):  # nodes 0 .. n-1 in order: a node is its own position
        index: dict[Hashable, int] = _Identity()
        nbr = np.fromiter(chain.from_iterable(adj.values()), dtype=np.int64, count=total)
    else:
        index = {node: i for i, node in enumerate(nodes)}
        nbr = np.fromiter(map(index.__getitem__, chain.from_iterable(adj.values())), dtype=np.int64, count=total)
    owner = np.repeat(np.arange(len(nodes), dtype=np.int64), deg)
    keep = np.flatnonzero(nbr >= owner)
    if weight is None:
        w = np.ones(keep.size, dtype=np.float64)
    else:
        datas = list(chain.from_iterable(nb.values() for nb in adj.values()))
        kept = map(datas.__getitem__, keep.tolist())
        w = np.fromiter(map(methodcaller("get", weight, 1), kept), dtype=np.float64, count=keep.size)
    return nodes, index, owner[keep], nbr[keep], w


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
        ``(u, v)`` or ``(u, v, key)`` per edge, in the same order (the order
        of ``G.edges``).
    """
    if not G.is_multigraph():
        nodes, _, edge_u, edge_v, edge_w = _flatten(G, weight)
        keys: list[tuple[Any, ...]] = list(zip([nodes[i] for i in edge_u.tolist()],
                                               [nodes[i] for i in edge_v.tolist()]))
        return nodes, edge_u, edge_v, edge_w, keys
    nodes = list(G.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    rows = list(G.edges(keys=True, data=weight, default=1)) if weight is not None else [
        (a, b, k, 1) for a, b, k in G.edges(keys=True)]
    keys = [r[:3] for r in rows]
    m = len(rows)
    edge_u = np.fromiter((index[r[0]] for r in rows), dtype=np.int64, count=m)
    edge_v = np.fromiter((index[r[1]] for r in rows), dtype=np.int64, count=m)
    edge_w = np.fromiter((r[3] for r in rows), dtype=np.float64, count=m)
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
    view of ``G`` induced by the chosen edges out (original node keys, node
    and edge attributes; frozen, like networkx's: ``.copy()`` it to modify;
    like networkx, a single terminal gives an empty graph).  For a
    ``MultiGraph`` the cheapest of parallel edges is used and the result
    keeps that edge's key, as networkx does.  The graph is flattened with
    one pass over its adjacency (see :func:`graph_to_edge_arrays`) and the tree found by
    :func:`~planner.routing.steiner_tree_edges` with its defaults.

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
        The tree, a frozen subgraph view of the same class as ``G``.

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
    if not terms:
        return G.edge_subgraph([])
    if G.is_multigraph():
        nodes, eu, ev, ew, keys = graph_to_edge_arrays(G, weight)
        index = {node: i for i, node in enumerate(nodes)}
    else:
        nodes, index, eu, ev, ew = _flatten(G, weight)
    tid = np.fromiter(map(index.__getitem__, terms), dtype=np.int64, count=len(terms))
    chosen = steiner_tree_edges(len(nodes), eu, ev, ew, tid, root=int(tid[0]))
    if G.is_multigraph():
        return G.edge_subgraph([keys[i] for i in chosen.tolist()])
    ends_u = map(nodes.__getitem__, eu[chosen].tolist())
    return G.edge_subgraph(zip(ends_u, map(nodes.__getitem__, ev[chosen].tolist())))
