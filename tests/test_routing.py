"""Tests of planner.routing against independent oracles (scipy, networkx, brute force)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from networkx.algorithms.approximation import steiner_tree as nx_steiner_tree
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from planner import routing
from planner.routing.csr import edges_to_csr
from planner.routing.edges import check_edges
from planner.routing.sort import argsort_f64
from planner.routing.steiner.voronoi import voronoi_update

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    routing.warmup()


# ---------------------------------------------------------------------------
# random graphs
# ---------------------------------------------------------------------------


@st.composite
def csr_graphs(draw: st.DrawFn) -> sp.csr_matrix:
    """Small CSR graphs with integer weights (exact sums), zeros stored explicitly."""
    n = draw(st.integers(1, 14))
    m = draw(st.integers(0, 3 * n))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    w = np.array(draw(st.lists(st.integers(0, 6), min_size=m, max_size=m)), dtype=np.float64)
    mat = sp.coo_matrix((w, (u, v)), shape=(n, n)).tocsr()  # duplicates summed, zeros stored
    return mat


def _edge_weight(mat: sp.csr_matrix, a: int, b: int, directed: bool) -> float:
    """Cheapest stored entry a->b (or b->a if undirected)."""
    best = np.inf
    for x, y in [(a, b)] + ([] if directed else [(b, a)]):
        lo, hi = mat.indptr[x], mat.indptr[x + 1]
        hit = mat.indices[lo:hi] == y
        if hit.any():
            best = min(best, float(mat.data[lo:hi][hit].min()))
    return best


def _check_predecessors(mat, dist, pred, sources, directed):
    """Each finite node is reached from its predecessor by an edge of the right weight."""
    for row_dist, row_pred, s in zip(dist, pred, sources):
        assert row_pred[s] == routing.NO_PRED
        for j in range(mat.shape[0]):
            p = row_pred[j]
            if np.isinf(row_dist[j]) or j == s:
                assert p == routing.NO_PRED
                continue
            assert p != routing.NO_PRED
            assert row_dist[j] == row_dist[p] + _edge_weight(mat, int(p), j, directed)


@SETTINGS
@given(
    mat=csr_graphs(),
    directed=st.booleans(),
    limit=st.sampled_from([np.inf, 0.0, 2.0, 5.0]),
    kind=st.sampled_from(["int", "list", "none"]),
    data=st.data(),
)
def test_dijkstra_equals_scipy(mat, directed, limit, kind, data):
    n = mat.shape[0]
    if kind == "int":
        indices = data.draw(st.integers(0, n - 1))
    elif kind == "list":
        indices = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))
    else:
        indices = None
    ours = routing.dijkstra(mat, directed=directed, indices=indices, limit=limit)
    ref = scipy_dijkstra(mat, directed=directed, indices=indices, limit=limit)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)

    dist, pred = routing.dijkstra(
        mat, directed=directed, indices=indices, limit=limit, return_predecessors=True
    )
    _, ref_pred = scipy_dijkstra(
        mat, directed=directed, indices=indices, limit=limit, return_predecessors=True
    )
    np.testing.assert_array_equal(dist, ref)
    assert pred.dtype == ref_pred.dtype == np.int32 and pred.shape == ref_pred.shape
    sources = np.arange(n) if indices is None else np.atleast_1d(indices)
    _check_predecessors(mat, np.atleast_2d(dist), np.atleast_2d(pred), sources, directed)


@SETTINGS
@given(
    mat=csr_graphs(),
    directed=st.booleans(),
    limit=st.sampled_from([np.inf, 3.0]),
    data=st.data(),
)
def test_dijkstra_min_only_equals_scipy(mat, directed, limit, data):
    n = mat.shape[0]
    indices = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))
    dist, pred, src = routing.dijkstra(
        mat, directed=directed, indices=indices, limit=limit, min_only=True,
        return_predecessors=True,
    )
    ref, ref_pred, ref_src = scipy_dijkstra(
        mat, directed=directed, indices=indices, limit=limit, min_only=True,
        return_predecessors=True,
    )
    np.testing.assert_array_equal(dist, ref)
    assert dist.shape == (n,) and pred.dtype == src.dtype == np.int32
    np.testing.assert_array_equal(src == routing.NO_PRED, ref_src == routing.NO_PRED)
    np.testing.assert_array_equal(
        routing.dijkstra(mat, directed=directed, indices=indices, limit=limit, min_only=True), ref
    )
    # following predecessors leads to the recorded source, with matching distances
    for j in range(n):
        if np.isinf(dist[j]):
            assert pred[j] == src[j] == routing.NO_PRED
            continue
        x = j
        while pred[x] != routing.NO_PRED:
            p = int(pred[x])
            assert dist[x] == dist[p] + _edge_weight(mat, p, x, directed)
            x = p
        assert x == src[j] and x in indices and dist[x] == 0


def test_dijkstra_explicit_zero_is_an_edge_like_scipy():
    mat = sp.csr_matrix(
        (np.array([0.0, 2.0]), (np.array([0, 1]), np.array([1, 2]))), shape=(3, 3)
    )
    assert mat.nnz == 2  # the zero is stored
    dist, pred = routing.dijkstra(mat, indices=0, return_predecessors=True)
    np.testing.assert_array_equal(dist, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(pred, [routing.NO_PRED, 0, 1])
    np.testing.assert_array_equal(dist, scipy_dijkstra(mat, indices=0))


def test_dijkstra_dense_input_like_scipy():
    dense = np.array([[0, 1, 0], [0, 0, 3], [np.inf, 0, 0]], dtype=float)
    np.testing.assert_array_equal(routing.dijkstra(dense), scipy_dijkstra(dense))


def test_dijkstra_limit_keeps_equal_distance():
    mat = sp.csr_matrix(np.array([[0, 2.0, 0], [0, 0, 1.0], [0, 0, 0]]))
    np.testing.assert_array_equal(routing.dijkstra(mat, indices=0, limit=2.0), [0, 2, np.inf])


def test_dijkstra_rejects_bad_input():
    mat = sp.csr_matrix(np.array([[0, -1.0], [0, 0]]))
    with pytest.raises(ValueError, match="negative"):
        routing.dijkstra(mat, indices=0)
    ok = sp.csr_matrix(np.array([[0, 1.0], [0, 0]]))
    with pytest.raises(ValueError, match="limit"):
        routing.dijkstra(ok, indices=0, limit=-1)
    with pytest.raises(ValueError, match="out of range"):
        routing.dijkstra(ok, indices=5)
    with pytest.raises(ValueError, match="shape"):
        routing.dijkstra(sp.csr_matrix(np.ones((2, 3))))


def test_dijkstra_many_sources_parallel_path():
    rng = np.random.default_rng(3)
    n = 400
    mat = sp.random(n, n, density=0.01, random_state=4, format="csr")
    mat.data = np.round(mat.data * 10)
    src = rng.choice(n, 40, replace=False)
    np.testing.assert_array_equal(
        routing.dijkstra(mat, indices=src, directed=False),
        scipy_dijkstra(mat, indices=src, directed=False),
    )


def test_locality_order_round_trip():
    mat = sp.random(50, 50, density=0.08, random_state=1, format="csr")
    order = routing.locality_order(mat)
    assert sorted(order.tolist()) == list(range(50))
    permuted = routing.permute_graph(mat, order)
    dist_new = routing.dijkstra(permuted, directed=False)
    dist_old = np.empty_like(dist_new)
    dist_old[np.ix_(order, order)] = dist_new
    np.testing.assert_allclose(dist_old, scipy_dijkstra(mat, directed=False))


# ---------------------------------------------------------------------------
# Steiner trees
# ---------------------------------------------------------------------------


def _assert_valid_tree(n, u, v, w, terminals, edges, root=None):
    """Connected, acyclic, spans terminals, every leaf a terminal (or the root)."""
    edges = np.asarray(edges)
    assert edges.dtype == np.int64
    assert np.all(np.diff(edges) > 0)  # sorted, unique
    G = nx.MultiGraph()
    G.add_edges_from(zip(u[edges].tolist(), v[edges].tolist()))
    need = set(np.asarray(terminals).tolist()) | ({root} if root is not None else set())
    if len(need) <= 1:
        assert edges.size == 0
        return
    assert nx.is_tree(G)
    assert need <= set(G.nodes)
    leaves = {x for x in G.nodes if G.degree(x) == 1}
    assert leaves <= need


@st.composite
def steiner_instances(draw: st.DrawFn):
    n = draw(st.integers(2, 16))
    m = draw(st.integers(1, 40))
    u = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    v = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    w = np.array(draw(st.lists(st.integers(0, 9), min_size=m, max_size=m)), dtype=float)
    root = draw(st.integers(0, n - 1))
    reach = np.flatnonzero(routing.reachable_mask(n, u, v, root))
    terms = draw(st.lists(st.sampled_from(reach.tolist()), min_size=1, max_size=8))
    return n, u, v, w, np.array([root] + terms)


@SETTINGS
@given(inst=steiner_instances(), local=st.booleans())
def test_steiner_tree_edges_valid_on_random_instances(inst, local):
    n, u, v, w, terms = inst
    edges = routing.steiner_tree_edges(n, u, v, w, terms, local_search=local)
    _assert_valid_tree(n, u, v, w, terms, edges)
    if local:  # local search never makes the tree worse
        sph = routing.steiner_tree_edges(n, u, v, w, terms, local_search=False)
        assert w[edges].sum() <= w[sph].sum() + 1e-9


def _brute_force_optimum(n, u, v, w, terminals) -> float:
    """Cheapest edge subset connecting all terminals (enumerates all subsets)."""
    terms = set(np.asarray(terminals).tolist())
    best = np.inf
    m = len(u)
    for mask in range(1 << m):
        idx = [i for i in range(m) if mask >> i & 1]
        cost = float(w[idx].sum())
        if cost >= best:
            continue
        G = nx.Graph()
        G.add_nodes_from(terms)
        G.add_edges_from((int(u[i]), int(v[i])) for i in idx)
        comp = nx.node_connected_component(G, next(iter(terms)))
        if terms <= comp:
            best = cost
    return best


HAND_MADE = {
    # star: terminals 1, 2, 3 around a Steiner centre 0; terminal-terminal edges 1.9
    "star": (4, [0, 0, 0, 1, 2, 1], [1, 2, 3, 2, 3, 3], [1, 1, 1, 1.9, 1.9, 1.9], [1, 2, 3], 3.0),
    # square 0-1-2-3 with a cheap diagonal 0-2; terminals at opposite corners 1 and 3
    "square with diagonal": (
        4, [0, 1, 2, 3, 0], [1, 2, 3, 0, 2], [2, 2, 2, 2, 1], [0, 1, 2, 3], 5.0,
    ),
    # two parallel edges: the cheaper one
    "parallel edges": (3, [0, 0, 1], [1, 1, 2], [5, 2, 1], [0, 2], 3.0),
    # ladder: the optimum 0-1-4-{3,5} uses the rung 1-4 (Steiner nodes 1 and 4)
    "ladder": (
        6, [0, 1, 2, 3, 4, 0, 2, 1], [1, 2, 3, 4, 5, 5, 5, 4], [1, 1, 1, 1, 1, 4, 2.5, 1.2],
        [0, 3, 5], 4.2,
    ),
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_steiner_tree_edges_hand_made_optimum(name):
    n, u, v, w, terms, optimum = HAND_MADE[name]
    u, v, w, terms = np.array(u), np.array(v), np.array(w, dtype=float), np.array(terms)
    assert _brute_force_optimum(n, u, v, w, terms) == pytest.approx(optimum)
    edges = routing.steiner_tree_edges(n, u, v, w, terms)
    _assert_valid_tree(n, u, v, w, terms, edges)
    assert w[edges].sum() == pytest.approx(optimum)


def test_steiner_tree_edges_near_optimum_on_small_random_graphs():
    rng = np.random.default_rng(11)
    ratios = []
    for _ in range(25):
        n = int(rng.integers(5, 9))
        m = int(rng.integers(n, 13))
        u = rng.integers(0, n, m)
        v = rng.integers(0, n, m)
        w = rng.integers(1, 10, m).astype(float)
        reach = np.flatnonzero(routing.reachable_mask(n, u, v, 0))
        if reach.size < 3:
            continue
        terms = np.r_[0, rng.choice(reach[1:], min(3, reach.size - 1), replace=False)]
        edges = routing.steiner_tree_edges(n, u, v, w, terms)
        _assert_valid_tree(n, u, v, w, terms, edges)
        opt = _brute_force_optimum(n, u, v, w, terms)
        assert w[edges].sum() >= opt - 1e-9
        ratios.append(w[edges].sum() / opt)
    assert len(ratios) >= 15
    assert np.mean(ratios) <= 1.02  # heuristic, but close to optimal on tiny graphs


def test_steiner_not_worse_than_mehlhorn_on_average():
    rng = np.random.default_rng(7)
    ratios = []
    for seed in range(12):
        G = nx.connected_watts_strogatz_graph(150, 4, 0.2, seed=seed)
        for a, b in G.edges:
            G.edges[a, b]["weight"] = float(rng.integers(1, 20))
        terms = rng.choice(150, 25, replace=False).tolist()
        ours = routing.steiner_tree(G, terms)
        ref = nx_steiner_tree(G, terms, method="mehlhorn")
        ratios.append(ours.size(weight="weight") / ref.size(weight="weight"))
    assert np.mean(ratios) <= 1.0


def test_steiner_unreachable_terminals_raise_and_are_listed():
    u, v, w = np.array([0, 2]), np.array([1, 3]), np.array([1.0, 1.0])
    with pytest.raises(routing.DisconnectedTerminalsError) as info:
        routing.steiner_tree_edges(5, u, v, w, np.array([0, 1, 3, 4]))
    assert isinstance(info.value, ValueError)  # a kernel package raises built-in errors
    text = str(info.value)
    assert "3, 4" in text and info.value.terminals.tolist() == [3, 4] and info.value.root == 0
    mask = routing.reachable_mask(5, u, v, 0)
    np.testing.assert_array_equal(mask, [True, True, False, False, False])
    edges = routing.steiner_tree_edges(5, u, v, w, np.array([0, 1, 3, 4])[mask[[0, 1, 3, 4]]])
    np.testing.assert_array_equal(edges, [0])


def test_steiner_root_and_trivial_cases():
    u, v, w = np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 1.0, 1.0])
    assert routing.steiner_tree_edges(4, u, v, w, np.array([2])).size == 0
    rooted = routing.steiner_tree_edges(4, u, v, w, np.array([2]), root=0)
    np.testing.assert_array_equal(rooted, [0, 1])
    with pytest.raises(ValueError, match="negative|>= 0"):
        routing.steiner_tree_edges(4, u, v, -w, np.array([0, 3]))
    with pytest.raises(ValueError, match="terminal"):
        routing.steiner_tree_edges(4, u, v, w, np.array([0, 9]))


# ---------------------------------------------------------------------------
# networkx wrapper
# ---------------------------------------------------------------------------


def test_steiner_tree_networkx_wrapper_keys_and_attributes():
    G = nx.Graph()
    G.add_edge("a", "hub", weight=1.0, kind="trench")
    G.add_edge("b", "hub", weight=1.0, kind="aerial")
    G.add_edge("c", "hub", weight=1.0, kind="duct")
    G.add_edge("a", "b", weight=1.9, kind="trench")
    G.add_edge("b", "c", weight=1.9, kind="trench")
    G.nodes["hub"]["x"] = 5.0
    T = routing.steiner_tree(G, ["a", "b", "c"])
    assert type(T) is nx.Graph and nx.is_tree(T)
    assert set(T.nodes) == {"a", "b", "c", "hub"}
    assert T.nodes["hub"]["x"] == 5.0
    assert T.edges["a", "hub"] == {"weight": 1.0, "kind": "trench"}
    assert T.size(weight="weight") == pytest.approx(3.0)
    ref = nx_steiner_tree(G, ["a", "b", "c"])
    assert T.size(weight="weight") <= ref.size(weight="weight")


def test_steiner_tree_networkx_wrapper_multigraph_and_errors():
    M = nx.MultiGraph()
    M.add_edge(0, 1, key="slow", weight=5.0)
    M.add_edge(0, 1, key="fast", weight=1.0)
    M.add_edge(1, 2, key="x", weight=2.0)
    T = routing.steiner_tree(M, [0, 2])
    assert T.is_multigraph() and set(T.edges(keys=True)) == {(0, 1, "fast"), (1, 2, "x")}
    with pytest.raises(nx.NetworkXNotImplemented):
        routing.steiner_tree(nx.DiGraph([(0, 1)]), [0, 1])
    with pytest.raises(nx.NodeNotFound):
        routing.steiner_tree(nx.path_graph(3), [0, 7])
    single = routing.steiner_tree(nx.path_graph(3), [1])
    assert list(single.nodes) == list(nx_steiner_tree(nx.path_graph(3), [1]).nodes) == []


@SETTINGS
@given(seed=st.integers(0, 10_000), k=st.integers(2, 12))
def test_steiner_tree_wrapper_matches_networkx_checks(seed, k):
    G = nx.gnm_random_graph(30, 60, seed=seed)
    rng = np.random.default_rng(seed)
    for a, b in G.edges:
        G.edges[a, b]["weight"] = float(rng.integers(0, 10))
    comp = max(nx.connected_components(G), key=len)
    terms = rng.choice(sorted(comp), min(k, len(comp)), replace=False).tolist()
    T = routing.steiner_tree(G, terms)
    if len(terms) == 1:
        assert T.number_of_nodes() == 0  # networkx's contract
        return
    assert nx.is_tree(T) and set(terms) <= set(T.nodes)
    assert all(G.has_edge(a, b) and T.edges[a, b] == G.edges[a, b] for a, b in T.edges)
    assert all(T.degree(x) > 1 for x in T.nodes if x not in terms)


def test_bruteforce_oracle_itself():
    # path 0-1-2 plus a long direct edge: the oracle must find 2, not 10
    u, v, w = np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([1.0, 1.0, 10.0])
    assert _brute_force_optimum(3, u, v, w, [0, 2]) == 2.0


def test_dijkstra_int64_indptr_and_duplicate_entries():
    # non-canonical CSR: unsorted indices, duplicate (parallel) entries, int64 index arrays
    indptr = np.array([0, 3, 4, 4], dtype=np.int64)
    indices = np.array([2, 1, 1, 2], dtype=np.int64)
    data = np.array([9.0, 4.0, 1.0, 1.0])
    mat = sp.csr_matrix((data, indices, indptr), shape=(3, 3))
    assert not mat.has_canonical_format
    ours = routing.dijkstra(mat, indices=[0, 1, 2])
    np.testing.assert_array_equal(ours, scipy_dijkstra(mat, indices=[0, 1, 2]))
    np.testing.assert_array_equal(ours[0], [0.0, 1.0, 2.0])


def _grid(k: int, seed: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """k x k street grid with random gaps and integer-ish lengths."""
    rng = np.random.default_rng(seed)
    idx = np.arange(k * k).reshape(k, k)
    u = np.r_[idx[:-1, :].ravel(), idx[:, :-1].ravel()]
    v = np.r_[idx[1:, :].ravel(), idx[:, 1:].ravel()]
    keep = rng.random(u.size) > 0.15
    u, v = u[keep], v[keep]
    return k * k, u, v, rng.uniform(50, 150, u.size).round(1)


@pytest.mark.parametrize("seed", range(4))
def test_steiner_on_grids_valid_deterministic_and_better_than_mehlhorn(seed):
    n, u, v, w = _grid(30, seed)
    rng = np.random.default_rng(seed)
    reach = np.flatnonzero(routing.reachable_mask(n, u, v, 0))
    terms = np.r_[0, rng.choice(reach[1:], 120, replace=False)]
    sph = routing.steiner_tree_edges(n, u, v, w, terms, local_search=False)
    results = {}
    for kw in ({}, {"max_rounds": 50, "rel_tol": 0.0}, {"max_rounds": 0}, {"max_rounds": 2}):
        edges = routing.steiner_tree_edges(n, u, v, w, terms, **kw)
        _assert_valid_tree(n, u, v, w, terms, edges)
        assert w[edges].sum() <= w[sph].sum() + 1e-6
        results[str(kw)] = edges
    np.testing.assert_array_equal(results["{}"], routing.steiner_tree_edges(n, u, v, w, terms))
    full = w[results["{'max_rounds': 50, 'rel_tol': 0.0}"]].sum()
    assert full <= w[results["{'max_rounds': 2}"]].sum() + 1e-6 and full <= w[results["{}"]].sum() + 1e-6
    G = nx.Graph()
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()))
    G = G.subgraph(nx.node_connected_component(G, 0))  # mehlhorn needs a connected graph
    ref = nx_steiner_tree(G, terms.tolist(), method="mehlhorn")
    assert w[results["{}"]].sum() < ref.size(weight="weight")


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.sampled_from([0, 1, 7, 4095, 4096, 9000]),
    kind=st.sampled_from(["uniform", "ties", "signed", "zeros"]),
    descending=st.booleans(),
)
def test_argsort_stable_equals_numpy_mergesort(seed, size, kind, descending):
    """The radix argsort of the local search orders exactly like numpy's stable sort (of -x: descending)."""
    rng = np.random.default_rng(seed)
    x = {
        "uniform": lambda: rng.uniform(0, 1e4, size),
        "ties": lambda: rng.integers(0, 30, size).astype(np.float64),  # many equal keys
        "signed": lambda: rng.normal(0, 1e6, size),
        "zeros": lambda: np.where(rng.random(size) < 0.5, -0.0, 0.0) + rng.integers(0, 2, size),
    }[kind]()
    expected = np.argsort(-x if descending else x, kind="mergesort")
    np.testing.assert_array_equal(argsort_f64(-x if descending else x), expected)


@pytest.mark.parametrize("seed", range(6))
def test_voronoi_update_equals_full_recomputation(seed):
    """Updating the Voronoi regions locally gives the distances of a full multi-source Dijkstra."""
    n, u, v, w = _grid(25, seed)
    uu, vv, ww = check_edges(n, u, v, w)
    indptr, adj, adj_w, adj_e = edges_to_csr(n, uu, vv, ww)
    rng = np.random.default_rng(seed)
    old_tree = rng.random(n) < 0.15
    new_tree = old_tree.copy()
    flip = rng.choice(n, n // 10, replace=False)  # some tree nodes leave, others join
    new_tree[flip] = ~new_tree[flip]
    # full regions of the old tree: an update from no tree at all
    vd, base = np.full(n, np.inf), np.full(n, -1, np.int32)
    pn, pe = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    voronoi_update(indptr, adj, adj_w, adj_e, vd, base, pn, pe, np.zeros(n, bool), old_tree)
    np.testing.assert_allclose(vd, scipy_dijkstra(sp.csr_matrix((adj_w, adj, indptr), shape=(n, n)),
                                                  indices=np.flatnonzero(old_tree), min_only=True))
    voronoi_update(indptr, adj, adj_w, adj_e, vd, base, pn, pe, old_tree, new_tree)
    sources = np.flatnonzero(new_tree)
    A = sp.csr_matrix((adj_w, adj, indptr), shape=(n, n))
    ref = scipy_dijkstra(A, indices=sources, min_only=True)
    np.testing.assert_allclose(vd, ref, rtol=1e-12)
    # every labelled node's chain runs outside the tree to its base with length vd
    for x in np.flatnonzero(np.isfinite(vd)):
        length, y = 0.0, x
        while not new_tree[y]:
            length += ww[pe[y]]
            y = pn[y]
        assert y == base[x] and length == pytest.approx(vd[x])
