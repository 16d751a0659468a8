"""Steiner search with a certified bound (issue #17), against independent optima.

Oracles: brute force over the Steiner-node subsets with a minimum spanning
tree each (small graphs), and a MILP (single-commodity flow formulation,
``scipy.optimize.milp`` / HiGHS) for larger ones.  Properties: the lower bound
never exceeds the optimum and the tree never beats it, the reductions keep
the optimum, the local-search moves never make a tree worse or invalid, and
the result is the same for a seed on any number of numba threads.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numba
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from planner import routing
from planner.routing.steiner.bounds import bound_test
from planner.routing.steiner.dual_ascent import dual_ascent
from planner.routing.steiner.graph import SteinerGraph, Voronoi
from planner.routing.steiner.local import key_vertices, local_search, mst_prune_tree, vertex_insertions
from planner.routing.steiner.reduce import reduce_instance
from planner.routing.steiner.sph import sph

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------
# oracles
# ---------------------------------------------------------------------------


def _mst_cost(nodes: list[int], u: np.ndarray, v: np.ndarray, w: np.ndarray) -> float:
    """Kruskal over the subgraph induced by ``nodes``; inf if it is disconnected."""
    inside = set(nodes)
    idx = sorted((i for i in range(len(u)) if u[i] in inside and v[i] in inside and u[i] != v[i]),
                 key=lambda i: (w[i], i))
    parent = {x: x for x in inside}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    cost, joined = 0.0, 0
    for i in idx:
        a, b = find(int(u[i])), find(int(v[i]))
        if a != b:
            parent[a] = b
            cost += float(w[i])
            joined += 1
    return cost if joined == len(inside) - 1 else np.inf


def brute_force(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, terminals: np.ndarray) -> float:
    """Optimum: the cheapest MST over the terminals plus any subset of the other nodes."""
    terms = sorted(set(np.asarray(terminals).tolist()))
    others = [x for x in range(n) if x not in set(terms)]
    best = np.inf
    for r in range(len(others) + 1):
        for sub in itertools.combinations(others, r):
            best = min(best, _mst_cost(terms + list(sub), u, v, w))
    return best


def milp_optimum(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, terminals: np.ndarray) -> float:
    """Optimum by a MILP: arcs x (binary), one flow commodity from the root (HiGHS)."""
    terms = np.unique(terminals)
    root, k = int(terms[0]), terms.size - 1
    m = u.size
    tail = np.r_[u, v]
    head = np.r_[v, u]
    # variables: x (2m arcs, binary), f (2m arcs, continuous)
    c = np.r_[np.r_[w, w], np.zeros(2 * m)]
    arcs = np.arange(2 * m)
    inc = sp.coo_matrix((np.r_[np.ones(2 * m), -np.ones(2 * m)], (np.r_[head, tail], np.r_[arcs, arcs])),
                        shape=(n, 2 * m)).tocsr()  # inflow - outflow per node
    demand = np.zeros(n)
    demand[terms] = 1.0
    demand[root] = -k
    flow = sp.hstack([sp.csr_matrix((n, 2 * m)), inc])
    cap = sp.hstack([-k * sp.identity(2 * m), sp.identity(2 * m)])
    cons = [LinearConstraint(flow, demand, demand), LinearConstraint(cap, -np.inf, 0.0)]
    res = milp(c, constraints=cons, integrality=np.r_[np.ones(2 * m), np.zeros(2 * m)],
               bounds=Bounds(np.zeros(4 * m), np.r_[np.ones(2 * m), np.full(2 * m, k)]))
    assert res.success
    return float(res.fun)


def test_oracles_agree_and_know_a_hand_made_optimum():
    # star: terminals 1, 2, 3 around a Steiner centre 0 (3.0), the terminal edges cost 1.9 each
    u, v = np.array([0, 0, 0, 1, 2, 1]), np.array([1, 2, 3, 2, 3, 3])
    w = np.array([1.0, 1.0, 1.0, 1.9, 1.9, 1.9])
    assert brute_force(4, u, v, w, np.array([1, 2, 3])) == pytest.approx(3.0)
    assert milp_optimum(4, u, v, w, np.array([1, 2, 3])) == pytest.approx(3.0)
    rng = np.random.default_rng(3)
    for _ in range(10):
        n, u, v, w, terms = _random_instance(rng, 8)
        assert milp_optimum(n, u, v, w, terms) == pytest.approx(brute_force(n, u, v, w, terms))


# ---------------------------------------------------------------------------
# instances
# ---------------------------------------------------------------------------


def _random_instance(rng: np.random.Generator, n_max: int, zero: bool = True):
    """Connected random multigraph with integer weights (exact sums) and 2..5 terminals."""
    n = int(rng.integers(3, n_max + 1))
    perm = rng.permutation(n)
    tu = perm[1:]
    tv = perm[rng.integers(0, np.arange(1, n))]  # a random spanning tree keeps it connected
    extra = int(rng.integers(0, 2 * n))
    u = np.r_[tu, rng.integers(0, n, extra)].astype(np.int64)
    v = np.r_[tv, rng.integers(0, n, extra)].astype(np.int64)
    w = rng.integers(0 if zero else 1, 10, u.size).astype(np.float64)
    k = int(rng.integers(2, min(5, n) + 1))
    terms = rng.choice(n, k, replace=False).astype(np.int64)
    return n, u, v, w, terms


@st.composite
def instances(draw: st.DrawFn, n_max: int = 9):
    return _random_instance(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), n_max)


def _assert_tree(n, u, v, terms, edges):
    """A tree over the terminals whose leaves are all terminals."""
    edges = np.asarray(edges)
    assert edges.dtype == np.int64 and np.all(np.diff(edges) > 0)
    need = set(np.asarray(terms).tolist())
    if len(need) <= 1:
        assert edges.size == 0
        return
    G = nx.MultiGraph()
    G.add_edges_from(zip(u[edges].tolist(), v[edges].tolist()))
    assert nx.is_tree(G) and need <= set(G.nodes)
    assert all(G.degree(x) > 1 for x in G.nodes if x not in need)


# ---------------------------------------------------------------------------
# the search: LB <= OPT <= cost
# ---------------------------------------------------------------------------

OPTIONS = {
    "defaults": routing.SteinerOptions(),
    "no reductions": routing.SteinerOptions(reduce=False),
    "one start, weak": routing.SteinerOptions(starts=1, strong=False),
    "multistart, combine every 2nd": routing.SteinerOptions(starts=6, combine_every=2, gap_tol=0.0),
}


@SETTINGS
@given(inst=instances(), which=st.sampled_from(sorted(OPTIONS)))
def test_lower_bound_optimum_and_tree_cost_are_ordered(inst, which):
    n, u, v, w, terms = inst
    opt = brute_force(n, u, v, w, terms)
    res = routing.steiner_tree_solve(n, u, v, w, terms, options=OPTIONS[which])
    _assert_tree(n, u, v, terms, res.edges)
    assert res.cost == pytest.approx(float(w[res.edges].sum()))
    assert res.lower_bound <= opt + 1e-9
    assert res.cost >= opt - 1e-9
    assert 0.0 <= res.gap and (res.gap == 0.0 or res.cost > res.lower_bound)


@pytest.mark.parametrize("seed", range(6))
def test_lower_bound_and_tree_against_milp_on_larger_graphs(seed):
    rng = np.random.default_rng(100 + seed)
    n, u, v, w, terms = _random_instance(rng, 26, zero=False)
    n = max(n, 18)
    opt = milp_optimum(n, u, v, w, terms) if routing.reachable_mask(n, u, v, int(terms[0]))[terms].all() else None
    if opt is None:
        pytest.skip("random instance not connected")  # cannot happen: the spanning tree covers range(n)
    res = routing.steiner_tree_solve(n, u, v, w, terms)
    _assert_tree(n, u, v, terms, res.edges)
    assert res.lower_bound <= opt + 1e-6 <= res.cost + 2e-6


def test_certified_gap_is_zero_when_the_bound_meets_the_tree():
    # a path: the tree is forced and dual ascent finds its cost
    u, v = np.arange(5), np.arange(1, 6)
    w = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    res = routing.steiner_tree_solve(6, u, v, w, np.array([0, 5]))
    assert res.cost == res.lower_bound == 14.0 and res.gap == 0.0
    assert res.edges.tolist() == [0, 1, 2, 3, 4]


def test_disconnected_terminals_raise_a_value_error():
    with pytest.raises(routing.DisconnectedTerminalsError) as info:
        routing.steiner_tree_solve(4, [0, 2], [1, 3], [1.0, 1.0], [0, 3])
    assert isinstance(info.value, ValueError) and info.value.terminals.tolist() == [3]


# ---------------------------------------------------------------------------
# reductions and bounds keep the optimum
# ---------------------------------------------------------------------------


@SETTINGS
@given(inst=instances())
def test_reductions_preserve_the_optimum(inst):
    n, u, v, w, terms = inst
    opt = brute_force(n, u, v, w, terms)
    is_term = np.zeros(n, bool)
    is_term[terms] = True
    red = reduce_instance(n, u, v, w, is_term, int(terms[0]))
    if red.n_terminals <= 1:
        reduced_opt = 0.0
        edges = red.expand(np.empty(0, np.int64))
    else:
        reduced_opt = brute_force(red.n, red.u, red.v, red.w, np.flatnonzero(red.is_term))
        # map an optimal reduced tree back: it is a tree of the original of the same cost
        res = routing.steiner_tree_solve(red.n, red.u, red.v, red.w, np.flatnonzero(red.is_term),
                                         root=red.root, options=routing.SteinerOptions(reduce=False))
        edges = red.expand(res.edges)
        assert float(w[edges].sum()) == pytest.approx(res.cost + red.offset)
    assert reduced_opt + red.offset == pytest.approx(opt)
    _assert_tree(n, u, v, terms, edges)


@SETTINGS
@given(inst=instances(), slack=st.sampled_from([0.0, 1.0, 5.0]))
def test_bound_test_keeps_an_optimal_tree(inst, slack):
    n, u, v, w, terms = inst
    opt = brute_force(n, u, v, w, terms)
    is_term = np.zeros(n, bool)
    is_term[terms] = True
    keep_uv = u != v
    g = SteinerGraph.build(n, u[keep_uv], v[keep_uv], w[keep_uv])
    rc = np.empty(2 * g.m)
    root = int(terms[0])
    lb = dual_ascent(g.indptr, g.adj, g.adj_e, g.u, g.v, g.w, is_term, root, rc)
    assert lb <= opt + 1e-9 and (rc >= 0).all()
    drop = bound_test(g.indptr, g.adj, g.adj_e, g.u, g.v, rc, lb, opt + slack, is_term, root,
                      np.zeros(g.m, bool))
    left = ~drop
    assert brute_force(n, g.u[left], g.v[left], g.w[left], terms) == pytest.approx(opt)


def test_dual_ascent_reduced_costs_certify_every_tree():
    """cost(T) >= LB + rc(T) for the arborescence of any tree T (here: every spanning tree of a 4-cycle)."""
    u, v = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0])
    w = np.array([2.0, 3.0, 1.0, 4.0])
    is_term = np.array([True, False, True, True])
    g = SteinerGraph.build(4, u, v, w)
    rc = np.empty(8)
    lb = dual_ascent(g.indptr, g.adj, g.adj_e, g.u, g.v, g.w, is_term, 0, rc)
    for drop in range(4):
        tree = [e for e in range(4) if e != drop]
        G = nx.Graph()
        G.add_edges_from((int(u[e]), int(v[e]), {"e": e}) for e in tree)
        arcs = []
        for a, b in nx.bfs_edges(G, 0):  # oriented away from the root
            e = G.edges[a, b]["e"]
            arcs.append(2 * e if u[e] == a else 2 * e + 1)
        assert w[tree].sum() >= lb + rc[arcs].sum() - 1e-9


# ---------------------------------------------------------------------------
# local search moves
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_key_vertex_elimination_and_insertion_never_worsen_a_tree(seed):
    rng = np.random.default_rng(seed)
    k = 18
    idx = np.arange(k * k).reshape(k, k)
    u = np.r_[idx[:-1, :].ravel(), idx[:, :-1].ravel(), idx[:-1, :-1].ravel()]
    v = np.r_[idx[1:, :].ravel(), idx[:, 1:].ravel(), idx[1:, 1:].ravel()]
    w = rng.uniform(1, 10, u.size).round(2)
    g = SteinerGraph.build(k * k, u, v, w)
    is_term = np.zeros(k * k, bool)
    is_term[rng.choice(k * k, 25, replace=False)] = True
    root = int(np.flatnonzero(is_term)[0])
    wp = g.w * (1 + rng.random(g.m))  # a poor tree: the heuristic on perturbed weights
    chosen = sph(g.indptr, g.adj, wp[g.adj_e], g.adj_e, is_term, root, g.m)[0]
    mst_prune_tree(g, is_term, chosen)
    terms = np.flatnonzero(is_term)
    for move in ("kve", "svi", "all"):
        c = chosen.copy()
        before = g.cost(c)
        vor = Voronoi.empty(g.n)
        vor.update(g, c)
        if move == "kve":
            gain = key_vertices(g, is_term, c, root, vor)
        elif move == "svi":
            gain = vertex_insertions(g, c, root)
        else:
            local_search(g, is_term, c, root, vor, 50, 0.0, strong=True)
            gain = before - g.cost(c)
        # the reported gain is a guarantee (overlapping link paths only save more)
        assert gain >= 0.0 and g.cost(c) <= before - gain + 1e-9
        G = nx.Graph()
        G.add_edges_from(zip(g.u[c].tolist(), g.v[c].tolist()))
        assert nx.is_tree(G) and set(terms.tolist()) <= set(G.nodes)


def test_steiner_vertex_insertion_finds_the_hub_of_a_star():
    # terminals 1..4 pairwise joined at 1.9, a hub 0 at 1.0 from each: the star at terminal 1 (5.7)
    # becomes the hub's star (4.0)
    n = 5
    pairs = [(a, b) for a in range(1, 5) for b in range(a + 1, 5)]
    u = np.array([0, 0, 0, 0] + [a for a, _ in pairs])
    v = np.array([1, 2, 3, 4] + [b for _, b in pairs])
    w = np.array([1.0] * 4 + [1.9] * len(pairs))
    g = SteinerGraph.build(n, u, v, w)
    chosen = np.zeros(g.m, bool)
    chosen[[4, 5, 6]] = True  # a path through the terminals: 1-2, 1-3, 1-4
    gain = vertex_insertions(g, chosen, 1)
    assert gain == pytest.approx(3 * 1.9 - 4.0) and np.flatnonzero(chosen).tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------


def _grid_instance(seed: int):
    """A street grid with diagonals and gaps, weights 5..13 (many ties), 61 terminals: not solved by the bound."""
    rng = np.random.default_rng(seed)
    k = 40
    idx = np.arange(k * k).reshape(k, k)
    u = np.r_[idx[:-1, :].ravel(), idx[:, :-1].ravel(), idx[:-1, :-1].ravel()]
    v = np.r_[idx[1:, :].ravel(), idx[:, 1:].ravel(), idx[1:, 1:].ravel()]
    keep = rng.random(u.size) > 0.3
    u, v = u[keep], v[keep]
    w = rng.integers(5, 14, u.size).astype(float)
    reach = np.flatnonzero(routing.reachable_mask(k * k, u, v, 0))
    terms = np.r_[0, rng.choice(reach[1:], 60, replace=False)]
    return k * k, u, v, w, terms


def assert_same_on_any_number_of_threads(n, u, v, w, terms, opt) -> list:
    """Solve twice on 1 and on all numba threads: the same edges, cost, bound and starts each time."""
    results = []
    saved = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            for _ in range(2):
                results.append(routing.steiner_tree_solve(n, u, v, w, terms, options=opt))
    finally:
        numba.set_num_threads(saved)
    for r in results[1:]:
        np.testing.assert_array_equal(r.edges, results[0].edges)
        assert r.cost == results[0].cost and r.lower_bound == results[0].lower_bound
        assert r.stats["starts"] == results[0].stats["starts"]
    return results


def test_same_seed_same_tree_on_any_number_of_threads():
    n, u, v, w, terms = _grid_instance(1)
    assert_same_on_any_number_of_threads(n, u, v, w, terms, routing.SteinerOptions(starts=12, seed=7, gap_tol=0.0))


def test_the_multistart_improves_on_one_start_and_seeds_vary_the_search():
    costs = {}
    for seed in range(3):
        n, u, v, w, terms = _grid_instance(seed)
        one = routing.steiner_tree_solve(n, u, v, w, terms, options=routing.SteinerOptions(starts=1, gap_tol=0.0))
        many = routing.steiner_tree_solve(n, u, v, w, terms, options=routing.SteinerOptions(starts=16, gap_tol=0.0))
        assert many.cost <= one.cost and many.lower_bound == one.lower_bound
        costs[seed] = (one.cost, many.cost)
    assert any(many < one for one, many in costs.values())  # the multistart pays somewhere


def test_time_limit_stops_the_multistart_with_a_warning(caplog):
    n, u, v, w, terms = _grid_instance(2)
    with caplog.at_level("WARNING", logger="planner.routing.steiner.solve"):
        res = routing.steiner_tree_solve(n, u, v, w, terms,
                                         options=routing.SteinerOptions(starts=50, gap_tol=0.0, time_limit=0.0))
    _assert_tree(n, u, v, terms, res.edges)
    assert res.stats["starts"] == 1 and "time limit" in caplog.text
