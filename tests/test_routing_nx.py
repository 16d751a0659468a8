"""The networkx front end of planner.routing (issue #17): graph flattening and the result view.

Oracles: networkx itself -- ``G.edges(data=...)`` for the flattened arrays
(order, ends, weights with networkx's default of 1 for a missing attribute),
:func:`networkx.edge_subgraph` for the returned view -- on every kind of
node key the conversion handles separately (integers 0..n-1 in order,
shuffled, sparse, negative or beyond 64 bits; strings; mixed keys).
"""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import routing

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LABELS = ["ordered", "shuffled", "from_one", "offset", "sparse", "negative", "huge", "strings", "mixed"]


def _label(kind: str, i: int, n: int) -> Hashable:
    """Node key of position ``i`` for each kind of key."""
    return {
        "ordered": i,
        "shuffled": (i * 7919) % n,  # a permutation of 0..n-1 (n is not a multiple of 7919)
        "from_one": i + 1,  # lookup table indexed by the key
        "offset": i + 1000,  # lookup table indexed by key - 1000
        "sparse": i * 1_000_003 + 5,  # spread far beyond the lookup table: binary search
        "negative": i - n // 2,
        "huge": 2**70 + i,  # beyond int64: the dict path
        "strings": f"n{i}",
        "mixed": i if i % 2 else f"s{i}",
    }[kind]


def _random_graph(seed: int, kind: str, n: int, m: int, missing: float) -> nx.Graph:
    rng = np.random.default_rng(seed)
    G = nx.Graph()
    order = range(n) if kind == "ordered" else rng.permutation(n).tolist()  # else node order != key order
    G.add_nodes_from(_label(kind, i, n) for i in order)
    for _ in range(m):
        a, b = rng.integers(0, n, 2).tolist()
        data = {} if rng.random() < missing else {"weight": float(rng.integers(0, 9))}
        G.add_edge(_label(kind, a, n), _label(kind, b, n), **data)  # self-loops included
    return G


@SETTINGS
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(LABELS), n=st.integers(1, 40),
       m=st.integers(0, 90), missing=st.sampled_from([0.0, 0.3]), weight=st.sampled_from(["weight", None]))
def test_graph_to_edge_arrays_matches_networkx_edges(seed, kind, n, m, missing, weight):
    G = _random_graph(seed, kind, n, m, missing)
    nodes, eu, ev, ew, keys = routing.graph_to_edge_arrays(G, weight=weight)
    assert nodes == list(G.nodes)
    ref = list(G.edges(data=weight, default=1)) if weight else [(a, b, 1) for a, b in G.edges]
    assert keys == [(a, b) for a, b, _ in ref]
    assert [(nodes[i], nodes[j]) for i, j in zip(eu.tolist(), ev.tolist())] == keys
    assert ew.dtype == np.float64 and ew.tolist() == [float(d) for *_, d in ref]
    assert eu.dtype == ev.dtype == np.int64


@SETTINGS
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(LABELS), k=st.integers(1, 10))
def test_steiner_tree_same_tree_for_any_node_keys_and_view_like_networkx(seed, kind, k):
    n = 36
    base = _random_graph(seed, "ordered", n, 110, 0.0)
    base.remove_edges_from(list(nx.selfloop_edges(base)))
    comp = sorted(max(nx.connected_components(base), key=len))
    rng = np.random.default_rng(seed)
    terms = rng.choice(comp, min(k, len(comp)), replace=False).tolist()
    G = nx.relabel_nodes(base, {i: _label(kind, i, n) for i in base})  # same node and edge order
    T0 = routing.steiner_tree(base, terms)
    T = routing.steiner_tree(G, [_label(kind, t, n) for t in terms])
    back = {_label(kind, i, n): i for i in base}
    assert sorted(tuple(sorted((back[a], back[b]))) for a, b in T.edges) == sorted(
        tuple(sorted(e)) for e in T0.edges)
    # what networkx's steiner_tree returns for these edges, listed in G.edges order (as the wrapper does)
    ref = nx.edge_subgraph(G, [e for e in G.edges if T.has_edge(*e)])
    assert type(T) is type(ref) and nx.is_frozen(T) and T.graph is G.graph
    assert list(T.nodes(data=True)) == list(ref.nodes(data=True))
    assert list(T.edges(data=True)) == list(ref.edges(data=True))
    assert len(T) == len(ref) and T.number_of_edges() == ref.number_of_edges()
    if len(terms) > 1:
        assert nx.is_tree(T) and {_label(kind, t, n) for t in terms} <= set(T.nodes)
        u0, v0 = next(iter(T.edges))
        assert T.has_edge(v0, u0) and not any(T.has_edge(a, b) for a, b in G.edges if (a, b) not in ref.edges)


def test_steiner_tree_missing_weight_counts_one_and_bool_like_keys():
    G = nx.Graph()
    G.add_edge(0, 1)  # no weight: 1, as in networkx
    G.add_edge(1, 2, weight=5.0)
    G.add_edge(0, 3, weight=0.5)
    G.add_edge(3, 2, weight=0.5)
    T = routing.steiner_tree(G, [True, 2])  # True is node 1's key in a dict
    assert sorted(map(sorted, T.edges)) == [[0, 1], [0, 3], [2, 3]]
    assert T.size(weight="weight") == pytest.approx(2.0)
    with pytest.raises(nx.NodeNotFound):
        routing.steiner_tree(G, [0, 2.5])


def test_steiner_tree_subclass_with_own_edge_subgraph_is_respected():
    class Tagged(nx.Graph):  # type: ignore[type-arg]
        def edge_subgraph(self, edges):  # type: ignore[no-untyped-def]
            view = super().edge_subgraph(edges)
            view.graph = {"tagged": True}
            return view

    G = Tagged(nx.path_graph(5))
    T = routing.steiner_tree(G, [0, 4])
    assert T.graph == {"tagged": True} and sorted(T.nodes) == [0, 1, 2, 3, 4]
