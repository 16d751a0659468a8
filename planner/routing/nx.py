"""networkx front end: :func:`steiner_tree` with the contract of networkx's ``steiner_tree``."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from itertools import chain, compress
from operator import itemgetter, methodcaller
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from planner.routing._jit import F64, I64
from planner.routing.steiner.tree import steiner_tree_edges

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = ["graph_to_edge_arrays", "steiner_tree"]


#: Integer node keys spread over at most this many times the node count are
#: mapped to positions by a lookup table, sparser ones by binary search. [A]
_TABLE_SPREAD = 4


_Positions = Callable[[Iterable[Hashable], int], I64]


def _int_positions(nodes: list[Hashable]) -> tuple[_Positions, I64] | None:
    """Positions of integer node keys, computed with numpy; None unless every node is a Python ``int``.

    Returns a function mapping ``count`` node keys (that are in the graph)
    to their positions in ``nodes``, and the keys as an ``int64`` array.
    """
    n = len(nodes)
    if n == 0 or set(map(type, nodes)) != {int}:
        return None
    try:
        keys = np.fromiter(nodes, dtype=np.int64, count=n)
    except OverflowError:  # ints beyond 64 bits
        return None
    lo, hi = int(keys.min()), int(keys.max())
    if lo == 0 and hi == n - 1 and bool(np.all(keys[1:] > keys[:-1])):  # 0 .. n-1 in order

        def identity(items: Iterable[Hashable], count: int) -> I64:
            return np.fromiter(cast(Iterable[int], items), dtype=np.int64, count=count)

        return identity, keys
    if hi - lo < _TABLE_SPREAD * n:
        shift = 0 if 0 <= lo <= n else lo  # keys from 0 (the usual case) index the table directly
        table = np.empty(hi - shift + 1, dtype=np.int64)
        table[keys - shift] = np.arange(n, dtype=np.int64)

        def lookup(items: Iterable[Hashable], count: int) -> I64:
            at = np.fromiter(cast(Iterable[int], items), dtype=np.int64, count=count)
            found: I64 = table[at - shift] if shift else table[at]
            return found

        return lookup, keys
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]

    def search(items: Iterable[Hashable], count: int) -> I64:
        at = np.searchsorted(ranked, np.fromiter(cast(Iterable[int], items), dtype=np.int64, count=count))
        found: I64 = order[at]
        return found

    return search, keys


def _node_positions(nodes: list[Hashable]) -> tuple[_Positions, I64 | None]:
    """A function mapping ``count`` node keys (that are in the graph) to their positions in ``nodes``.

    Also the keys as an ``int64`` array if they are all Python ints (else None).
    """
    fast = _int_positions(nodes)
    if fast is not None:
        return fast
    index = dict(zip(nodes, range(len(nodes))))

    def by_dict(items: Iterable[Hashable], count: int) -> I64:
        return np.fromiter(map(index.__getitem__, items), dtype=np.int64, count=count)

    return by_dict, None


def _flatten(G: nx.Graph, weight: str | None) -> tuple[list[Hashable], _Positions, I64 | None, I64, I64, F64]:
    """Nodes, node positions, integer node keys (or None) and ``(u, v, w)`` arrays, in ``G.edges`` order.

    Every edge appears in the adjacency at both ends; it is kept at the end
    that comes first in node order (a self-loop once), which is the order of
    ``G.edges``.  The loops run in C (``map``, ``itertools.chain``,
    ``itertools.compress``, ``numpy.fromiter``) over the graph's own
    dictionaries (``G._adj``, the structure networkx documents for
    subclasses; ``G.adj`` otherwise); integer node keys are mapped to
    positions with numpy (:func:`_int_positions`), other keys with one dict.
    """
    adj = getattr(G, "_adj", None)
    if not isinstance(adj, dict):  # a view or a custom class: the public (slower) adjacency
        adj = G.adj
    nodes = list(adj)
    positions, int_keys = _node_positions(nodes)
    deg = np.fromiter(map(len, adj.values()), dtype=np.int64, count=len(nodes))
    total = int(deg.sum())
    nbr = positions(chain.from_iterable(adj.values()), total)
    owner = np.repeat(np.arange(len(nodes), dtype=np.int64), deg)
    keep = nbr >= owner
    m = int(np.count_nonzero(keep))
    if weight is None:
        w = np.ones(m, dtype=np.float64)
    else:
        selected = keep.view(np.uint8).tobytes()  # iterates as ints in C

        def weights(get: Callable[[dict[str, Any]], Any], values: Callable[[Any], Iterable[Any]]) -> F64:
            datas = compress(chain.from_iterable(map(values, adj.values())), selected)
            return np.fromiter(map(get, datas), dtype=np.float64, count=m)

        try:  # the fast path: inner dicts are dicts and every edge has the attribute
            w = weights(itemgetter(weight), dict.values)
        except (KeyError, TypeError):  # a missing attribute weighs 1, like in networkx
            w = weights(methodcaller("get", weight, 1), methodcaller("values"))
    return nodes, positions, int_keys, owner[keep], nbr[keep], w


def _edge_subgraph(G: nx.Graph, ends_u: list[Hashable], ends_v: list[Hashable]) -> nx.Graph:
    """``G.edge_subgraph(zip(ends_u, ends_v))`` for a simple undirected graph, with the sets built in C.

    The same frozen view as :func:`networkx.edge_subgraph` (a
    :func:`networkx.subgraph_view` with node filter
    :class:`networkx.filters.show_nodes` and an edge filter equal to
    :func:`networkx.filters.show_edges`), nodes and edges iterated in the
    same order (a small view iterates its node set, so that set is filled in
    networkx's order: edge set order, both ends of each edge); a subclass
    that overrides ``edge_subgraph`` gets its own method.
    """
    import networkx as nx

    if type(G).edge_subgraph is not nx.Graph.edge_subgraph:
        return G.edge_subgraph(zip(ends_u, ends_v))
    edges = set(zip(ends_u, ends_v))
    nodes = set(chain.from_iterable(edges))  # inserted in networkx's order: the view iterates this set
    both_ways = edges.copy()
    both_ways.update(zip(ends_v, ends_u))

    def show_edge(u: Hashable, v: Hashable) -> bool:
        return (u, v) in both_ways

    return nx.subgraph_view(G, filter_node=nx.filters.show_nodes(nodes), filter_edge=show_edge)


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
        nodes, _, _, edge_u, edge_v, edge_w = _flatten(G, weight)
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
    node_dict = getattr(G, "_node", None)
    contains = node_dict.__contains__ if isinstance(node_dict, dict) else G.__contains__
    if not all(map(contains, terms)):  # a C loop; the message names the first missing terminal
        missing = next(t for t in terms if t not in G)
        raise nx.NodeNotFound(f"terminal node {missing!r} is not in the graph")
    if not terms:
        return G.edge_subgraph([])
    if G.is_multigraph():
        nodes, eu, ev, ew, keys = graph_to_edge_arrays(G, weight)
        index = {node: i for i, node in enumerate(nodes)}
        tid = np.fromiter(map(index.__getitem__, terms), dtype=np.int64, count=len(terms))
        chosen = steiner_tree_edges(len(nodes), eu, ev, ew, tid, root=int(tid[0]))
        return G.edge_subgraph([keys[i] for i in chosen.tolist()])
    nodes, positions, int_keys, eu, ev, ew = _flatten(G, weight)
    tid = positions(terms, len(terms))
    chosen = steiner_tree_edges(len(nodes), eu, ev, ew, tid, root=int(tid[0]))
    if int_keys is not None:  # integer keys: numpy gives the same ints
        return _edge_subgraph(G, int_keys[eu[chosen]].tolist(), int_keys[ev[chosen]].tolist())
    return _edge_subgraph(G, list(map(nodes.__getitem__, eu[chosen].tolist())),
                          list(map(nodes.__getitem__, ev[chosen].tolist())))
