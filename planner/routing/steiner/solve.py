"""Near-optimal Steiner trees with a certified lower bound: :func:`steiner_tree_solve`.

The search, on arrays throughout (numba kernels for every graph algorithm,
numpy for the bookkeeping):

1. *Reduce* the instance (:mod:`~planner.routing.steiner.reduce`), keeping
   the mapping back to the original edges.
2. If the reduced instance is small enough (``exact_work``): solve it
   *exactly* by the Dreyfus-Wagner programme
   (:mod:`~planner.routing.steiner.exact`) and stop (bound = tree).
3. A first tree: shortest-path heuristic from the root and a few other
   terminals (:mod:`~planner.routing.steiner.sph`, MST-prune).
4. *Lower bound* by dual ascent (:mod:`~planner.routing.steiner.dual_ascent`)
   and a second tree from the arcs it saturated.  If the better tree is not
   within ``gap_tol`` of the bound, local search on it first
   (key-path exchange, key-vertex elimination, MST-prune,
   Steiner-vertex insertion, and on dense graphs node swaps,
   :mod:`~planner.routing.steiner.swap`): the *bound-based reduction*
   (:mod:`~planner.routing.steiner.bounds`) deletes far more edges with a
   good upper bound.  Then the exact reductions again, and back to 2 (at
   most three bounds; another only if the last one cut deep).
5. If the tree is still not within ``gap_tol`` of the bound: a
   *multistart* from the best tree so far (mapped into the reduced
   instance): the shortest-path heuristic from a random terminal or node
   on randomly perturbed weights, followed by local search on the true
   weights; every few starts, and as the last one, a *combination*
   instead: the search (reduced, a few starts, the pool's best tree as
   incumbent) on the subgraph of the union of the elite trees, then local
   search on the whole graph.  The best distinct trees form the elite
   pool.  (Road graphs mostly stop after step 2 or 4, so a plan compiles
   the kernels of step 5 only when it needs them.)

The random choices come from ``numpy.random.default_rng(seed)``, and every
kernel is sequential, so the result is the same for a given seed on any
machine and any number of numba threads -- unless ``time_limit`` stops the
multistart early (then it depends on the machine's speed; a warning says so).

References
----------
T. Pajor, E. Uchoa, R. F. Werneck (2018), "A robust and scalable algorithm
for the Steiner problem in graphs", Mathematical Programming Computation
10, 69-118 (multistart with perturbation, combination of solutions, local
search).  E. Uchoa, R. F. Werneck (2012), "Fast local search for Steiner
trees in graphs", ALENEX 2010.  T. Polzin, S. Vahdati Daneshmand (2001),
"Improved algorithms for the Steiner problem in networks", Discrete Applied
Mathematics 112, 263-300 (reductions with dual-ascent reduced costs).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from planner.routing._jit import B1, F64, I64
from planner.routing.edges import check_edges, reachable_mask
from planner.routing.steiner.bounds import bound_test
from planner.routing.steiner.dual_ascent import dual_ascent
from planner.routing.steiner.exact import dreyfus_wagner, dreyfus_wagner_work
from planner.routing.steiner.graph import SteinerGraph, Voronoi
from planner.routing.steiner.local import local_search, mst_prune_tree
from planner.routing.steiner.mst import prune_leaves
from planner.routing.steiner.reduce import Reduced, identity, reduce_instance
from planner.routing.steiner.sph import sph
from planner.routing.steiner.swap import node_swap
from planner.routing.steiner.tree import DisconnectedTerminalsError

__all__ = ["SteinerOptions", "SteinerResult", "steiner_tree_solve"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SteinerOptions:
    """Settings of :func:`steiner_tree_solve`.

    Attributes
    ----------
    starts
        Starts of the multistart (the first is the heuristic from the root on
        the true weights); ``1`` is a single heuristic tree with local search.
    roots
        Besides the root, the first tree tries the shortest-path heuristic
        from up to this many other terminals (with MST-prune; fewer on
        graphs of more than 12,500 edges) and keeps the best.
    elite
        Size of the pool of best distinct trees.
    combine_every
        Every this many starts is a combination of the elite trees (``0``:
        none).
    combine_starts
        Starts of the search on the union of the elite trees.
    perturbation
        Each start multiplies every weight by a factor drawn uniformly from
        ``[1, 1 + perturbation]``.
    seed
        Seed of the random choices.
    time_limit
        Stop the multistart after this many seconds (``None``: no limit).
    reduce
        Apply the reductions (exact and bound-based).
    lower_bound
        Compute the dual-ascent lower bound.
    strong
        Local search with key-vertex elimination (else key-path exchange and
        MST-prune only).
    max_rounds, rel_tol
        Local-search rounds (see :func:`planner.routing.steiner_tree_edges`)
        of the first tree and of the final polish of the best one.
    start_rel_tol
        ``rel_tol`` of the local search after each start and combination
        (rounds that save less are not worth their time there).
    gap_tol
        Stop the multistart when the tree is within this fraction of the
        lower bound (``0``: only when it meets the bound).
    swap_work
        Budget (edge scans) of each node-swap local search
        (:mod:`~planner.routing.steiner.swap`; trees of at most 256 nodes
        with ``strong``); ``0``: no node swaps.
    exact_work
        Solve a reduced instance exactly (Dreyfus-Wagner,
        :mod:`~planner.routing.steiner.exact`) when its operation count
        ``3^(k-1) n + 2^k m`` (``k`` terminals) is at most this; ``0``: never.
        Needs ``reduce``.
    """

    starts: int = 8  # = DesignConfig.steiner_starts (see its source note)
    roots: int = 16
    elite: int = 6
    combine_every: int = 4
    combine_starts: int = 8  # [A: PACE 2018: 4 left LIN instance114 at 2.22 % with seed 3, 8 at <= 1.85 % on seeds 0-3]
    perturbation: float = 0.25
    seed: int = 0
    time_limit: float | None = None
    reduce: bool = True
    lower_bound: bool = True
    strong: bool = True
    max_rounds: int = 50
    rel_tol: float = 0.0
    start_rel_tol: float = 1e-3
    gap_tol: float = 1e-4
    swap_work: int = 5_000_000
    exact_work: float = 3e7


@dataclass(frozen=True)
class SteinerResult:
    """A Steiner tree and what is known about its quality.

    Attributes
    ----------
    edges
        Sorted int64 indices of the tree's edges.
    cost
        Its total weight.
    lower_bound
        A lower bound of the optimum (``-inf`` if not computed): ``lower_bound
        <= optimum <= cost``.
    stats
        Sizes of the reduced instance, starts run, local-search rounds on the first tree
        (``local_rounds``), seconds.
    """

    edges: I64
    cost: float
    lower_bound: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Certified relative gap ``(cost - lower_bound) / lower_bound`` (``inf`` without a bound)."""
        if not np.isfinite(self.lower_bound):
            return np.inf
        if self.cost - self.lower_bound <= 1e-9 * abs(self.lower_bound):
            return 0.0  # proven optimal (up to rounding)
        if self.lower_bound <= 0.0:
            return np.inf
        return (self.cost - self.lower_bound) / self.lower_bound


def _perturbed_tree(g: SteinerGraph, is_term: B1, root: int, weights: F64) -> B1:
    """Shortest-path heuristic tree on ``weights`` (per edge)."""
    adj_w = weights[g.adj_e]
    chosen: B1 = sph(g.indptr, g.adj, adj_w, g.adj_e, is_term, root, g.m)[0]
    return chosen


def _improve(g: SteinerGraph, is_term: B1, root: int, chosen: B1, opt: SteinerOptions, rel_tol: float,
             strong: bool = True) -> int:
    """Local search on the true weights from scratch regions (after pruning non-terminal leaves); its rounds."""
    prune_leaves(g.indptr, g.adj, g.adj_e, is_term, chosen, g.degrees(chosen))
    vor = Voronoi.empty(g.n)
    vor.update(g, chosen)
    strong = strong and opt.strong
    swaps = strong and opt.swap_work > 0 and 2 * g.m >= _SWAP_MIN_MEAN_DEGREE * g.n
    rounds = local_search(g, is_term, chosen, root, vor, opt.max_rounds, rel_tol, strong, insertion=not swaps)
    if not swaps:
        return rounds
    for _ in range(_SWAP_ROUNDS):  # node swaps, then the path moves again while the swaps pay
        if int(np.count_nonzero(g.degrees(chosen))) > _SWAP_MAX_NODES:
            return rounds
        before = g.cost(chosen)
        gain = node_swap(g.indptr, g.adj, g.adj_e, g.u, g.v, g.w, is_term, chosen, opt.swap_work)
        if gain <= rel_tol * before or gain <= 1e-9 * before:
            return rounds
        vor.update(g, chosen)
        rounds += local_search(g, is_term, chosen, root, vor, opt.max_rounds, rel_tol, strong, insertion=False)
    return rounds


#: Trees with more nodes than this get no node swaps (each evaluation is a Kruskal over the
#: tree's induced edges). [A: the I640 trees have 10-60 nodes; road trees thousands]
_SWAP_MAX_NODES = 256
#: Graphs of a lower mean degree get no node swaps: on sparse graphs (grids, roads) trees run
#: along chains of degree-2 Steiner nodes that one node swap cannot move. [A: PACE 2018 benchmark:
#: no gain on the LIN/VLSI grids (mean degree ~3.5), 1-4 % on I640 (mean degree 13-640)]
_SWAP_MIN_MEAN_DEGREE = 6.0
#: Alternations of node swaps and path moves per local search. [A]
_SWAP_ROUNDS = 3


def _first_tree(g: SteinerGraph, is_term: B1, root: int, opt: SteinerOptions) -> B1:
    """Cheapest of the shortest-path heuristic's trees from the root and from ``opt.roots`` other terminals.

    Each tree gets MST-prune with Steiner-node insertion; no local search yet
    (on road graphs this often meets the lower bound already, and the local
    search's kernels need not be compiled).  The other roots are terminals
    evenly spaced in id order (deterministic).
    """
    terms = np.flatnonzero(is_term)
    others = terms[terms != root]
    k = min(opt.roots, _ROOTS_EDGE_BUDGET // max(g.m, 1))  # on large graphs fewer: the multistart follows
    others = others[np.linspace(0, others.size - 1, k).astype(np.int64)] if others.size > k else others
    best: B1 = np.empty(0, dtype=np.bool_)
    best_cost = np.inf
    for r in [root, *others.tolist()]:
        chosen: B1 = sph(g.indptr, g.adj, g.adj_w, g.adj_e, is_term, int(r), g.m)[0]
        mst_prune_tree(g, is_term, chosen, insert=True)
        if g.cost(chosen) < best_cost:
            best, best_cost = chosen, g.cost(chosen)
    return best


#: Edges the extra roots of the first tree may visit in total. [A: the demo's reduced graph (~130
#: edges) gets all 16 roots; a 200 k-edge graph gets one]
_ROOTS_EDGE_BUDGET = 200_000


class _Pool:
    """The best distinct trees found (edge masks), cheapest first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[tuple[float, bytes, B1]] = []

    def add(self, cost: float, chosen: B1) -> None:
        key = np.packbits(chosen).tobytes()
        if any(k == key for _, k, _ in self.items):
            return
        self.items.append((cost, key, chosen.copy()))
        self.items.sort(key=lambda it: it[0])
        del self.items[self.size:]

    @property
    def best(self) -> tuple[float, B1]:
        return self.items[0][0], self.items[0][2]


def _combine(g: SteinerGraph, is_term: B1, root: int, trees: list[B1], rng: np.random.Generator,
             opt: SteinerOptions) -> B1:
    """Solve the subgraph of the union of ``trees`` (cheapest first; reduced, a few starts), then local search."""
    union = np.zeros(g.m, dtype=np.bool_)
    for t in trees:
        union |= t
    sub = np.flatnonzero(union)
    inner = replace(opt, starts=opt.combine_starts, combine_every=0, seed=int(rng.integers(2**31)), time_limit=None,
                    reduce=True, lower_bound=True, rel_tol=opt.start_rel_tol)
    # the best tree (the first) is the incumbent: its cost is the bound-based test's upper bound there
    start = np.flatnonzero(trees[0][sub])
    res = steiner_tree_solve(g.n, g.u[sub], g.v[sub], g.w[sub], np.flatnonzero(is_term), root, inner, initial=start)
    chosen = np.zeros(g.m, dtype=np.bool_)
    chosen[sub[res.edges]] = True
    _improve(g, is_term, root, chosen, opt, opt.start_rel_tol)
    return chosen


def _multistart(g: SteinerGraph, is_term: B1, root: int, first: B1, opt: SteinerOptions,
                deadline: float, target: float) -> tuple[B1, int]:
    """Best tree of the multistart (see the module docstring) and the number of starts run.

    Stops early when a tree costs no more than ``target`` (the lower bound).
    """
    pool = _Pool(max(opt.elite, 1))
    pool.add(g.cost(first), first)
    rng = np.random.default_rng(opt.seed)
    terms = np.flatnonzero(is_term)
    run = 1
    for s in range(1, opt.starts):
        if pool.best[0] <= target:
            break
        if time.perf_counter() > deadline:
            logger.warning("Steiner multistart stopped by its time limit after %d of %d starts: the tree now "
                           "depends on the machine's speed", run, opt.starts)
            break
        combine = s % opt.combine_every == 0 or s == opt.starts - 1 if opt.combine_every > 0 else False
        if combine and len(pool.items) >= 2:
            chosen = _combine(g, is_term, root, [it[2] for it in pool.items], rng, opt)
        else:
            # the heuristic from a terminal, or from any node: a root among Steiner nodes lets it
            # find shared hubs that it never reaches from a terminal (incidence weights)
            r0 = int(terms[rng.integers(terms.size)]) if s % 2 else int(rng.integers(g.n))
            wp = g.w * (1.0 + opt.perturbation * rng.random(g.m))
            chosen = _perturbed_tree(g, is_term, r0, wp)
            if g.degrees(chosen)[is_term].min() == 0:  # cannot happen on a connected reduced graph
                continue
            _improve(g, is_term, root, chosen, opt, opt.start_rel_tol)
        pool.add(g.cost(chosen), chosen)
        run += 1
    best = pool.best[1].copy()
    if opt.start_rel_tol > opt.rel_tol:  # polish the best tree to a local optimum
        _improve(g, is_term, root, best, opt, opt.rel_tol)
    return best, run


def _saturated_tree(g: SteinerGraph, is_term: B1, root: int, rc: F64) -> B1:
    """Heuristic tree on the edges a dual ascent saturated (an arc of reduced cost 0), with local search.

    The saturated arcs connect every terminal to the root, and on instances
    where the shortest-path heuristic misses shared Steiner nodes (incidence
    weights) they often hold a much better tree.
    """
    sub = np.flatnonzero(np.minimum(rc[0::2], rc[1::2]) <= 0.0)
    sg = SteinerGraph.build(g.n, g.u[sub], g.v[sub], g.w[sub])
    local = _perturbed_tree(sg, is_term, root, sg.w)
    chosen = np.zeros(g.m, dtype=np.bool_)
    chosen[sub[local]] = True
    mst_prune_tree(g, is_term, chosen, insert=True)
    return chosen


def _dual_bound(red: Reduced, g: SteinerGraph, incumbent: B1) -> tuple[float, F64, B1]:
    """Dual-ascent bound of ``red`` (without its offset), the reduced costs, and the better tree.

    The tree from the saturated arcs replaces ``incumbent`` if cheaper.
    """
    rc = np.empty(2 * g.m, dtype=np.float64)
    lb = float(dual_ascent(g.indptr, g.adj, g.adj_e, g.u, g.v, g.w, red.is_term, red.root, rc))
    alt = _saturated_tree(g, red.is_term, red.root, rc)
    if g.degrees(alt)[red.is_term].min() > 0 and g.cost(alt) < g.cost(incumbent):
        incumbent = alt
    return lb, rc, incumbent


def _bound_reduce(red: Reduced, g: SteinerGraph, rc: F64, lb: float, upper: float, keep: B1) -> Reduced | None:
    """``red`` further reduced by the bound-based test with upper bound ``upper`` (``None``: nothing deleted).

    ``upper`` must be the cost of some tree of ``red`` (or more); the edges
    of ``keep`` are never deleted.
    """
    drop = bound_test(g.indptr, g.adj, g.adj_e, g.u, g.v, rc, lb, upper, red.is_term, red.root, keep)
    if not drop.any():
        return None
    keep = ~drop
    inner = reduce_instance(red.n, g.u[keep], g.v[keep], g.w[keep], red.is_term, red.root)
    # inner's paths index the kept edges: re-index them to red's edges before composing
    kept = np.flatnonzero(keep)
    inner = Reduced(n=inner.n, u=inner.u, v=inner.v, w=inner.w, is_term=inner.is_term, root=inner.root,
                    node_orig=inner.node_orig, path_ptr=inner.path_ptr, path_edges=kept[inner.path_edges],
                    fixed=kept[inner.fixed], offset=inner.offset)
    return red.compose(inner)


def _image(red: Reduced, g: SteinerGraph, tree: I64, n_orig_edges: int) -> B1 | None:
    """The original tree ``tree`` in the reduced instance (MST-pruned), ``None`` if it does not map."""
    if tree.size == 0:
        return None
    chosen = red.restrict(tree, n_orig_edges)
    if not reachable_mask(g.n, g.u[chosen], g.v[chosen], red.root)[red.is_term].all():
        return None
    mst_prune_tree(g, red.is_term, chosen)
    return chosen


def _exact_fits(red: Reduced, opt: SteinerOptions) -> bool:
    """Whether the Dreyfus-Wagner programme solves ``red`` within ``opt.exact_work``."""
    return 2 <= red.n_terminals <= _EXACT_MAX_TERMINALS and (
        dreyfus_wagner_work(red.n, int(red.u.size), red.n_terminals) <= opt.exact_work)


#: Another dual ascent follows a bound-based reduction only if that kept at most this share of the
#: edges. [A]
_SHRINK = 0.5

#: The exact programme's memory grows as 2^(terminals - 1) times the nodes. [A: 2^13 rows]
_EXACT_MAX_TERMINALS = 14


def _exact_tree(red: Reduced, g: SteinerGraph) -> tuple[B1, float]:
    """Optimal tree of ``red`` (edge mask) and its cost, by the Dreyfus-Wagner programme."""
    terms = np.flatnonzero(red.is_term)
    terms = np.r_[terms[terms != red.root], red.root].astype(np.int64)
    chosen = np.zeros(g.m, dtype=np.bool_)
    value = float(dreyfus_wagner(g.indptr, g.adj, g.adj_w, g.adj_e, g.u, g.v, terms, chosen))
    mst_prune_tree(g, red.is_term, chosen)  # the back-tracked paths may share edges: never dearer
    return chosen, value


def steiner_tree_solve(
    n_nodes: int,
    edge_u: Any,
    edge_v: Any,
    edge_w: Any,
    terminals: Any,
    root: int | None = None,
    options: SteinerOptions | None = None,
    *,
    initial: Any = None,
) -> SteinerResult:
    """Near-optimal Steiner tree of an undirected edge list, with a lower bound.

    Parameters
    ----------
    n_nodes
        Number of nodes; node ids are ``0 .. n_nodes - 1``.
    edge_u, edge_v, edge_w
        End nodes and non-negative weight of each edge; parallel edges and
        self-loops are allowed.
    terminals
        Node ids the tree must connect.
    root
        A node the tree must contain (the lower bound is taken from it);
        defaults to ``terminals[0]``.
    options
        Search settings (:class:`SteinerOptions`; defaults if ``None``).
    initial
        Edge indices of a known tree connecting the terminals (e.g. from an
        earlier run): the result costs no more, and its cost is the upper
        bound of the first bound-based test.

    Returns
    -------
    SteinerResult
        The tree (sorted edge indices; every leaf a terminal or the root),
        its cost and the lower bound.

    Raises
    ------
    DisconnectedTerminalsError
        A :class:`ValueError`: some terminals are not connected to the root.
    ValueError
        On malformed input (ids out of range, negative weights).
    """
    t0 = time.perf_counter()
    opt = options or SteinerOptions()
    u, v, w = check_edges(n_nodes, edge_u, edge_v, edge_w)
    given = np.asarray(terminals, dtype=np.int64).ravel()
    if given.size and (given.min() < 0 or given.max() >= n_nodes):
        raise ValueError(f"terminal ids must lie in 0..{n_nodes - 1}")
    if given.size == 0 and root is None:
        return SteinerResult(np.empty(0, dtype=np.int64), 0.0, 0.0)
    r = int(given[0] if root is None else root)
    if not 0 <= r < n_nodes:
        raise ValueError(f"root must lie in 0..{n_nodes - 1}")
    is_term = np.zeros(n_nodes, dtype=np.bool_)
    is_term[given] = True
    is_term[r] = True
    bad = np.flatnonzero(is_term & ~reachable_mask(n_nodes, u, v, r))
    if bad.size:
        raise DisconnectedTerminalsError(bad.astype(np.int64), r)
    init = None
    if initial is not None:
        init = np.unique(np.asarray(initial, dtype=np.int64))
        if init.size and (init.min() < 0 or init.max() >= w.size):
            raise ValueError(f"initial tree edge ids must lie in 0..{w.size - 1}")
        if not reachable_mask(n_nodes, u[init], v[init], r)[is_term].all():
            raise ValueError("the initial tree does not connect the terminals")
    red = reduce_instance(n_nodes, u, v, w, is_term, r) if opt.reduce else identity(n_nodes, u, v, w, is_term, r)
    stats: dict[str, Any] = {"nodes": n_nodes, "edges": int(u.size), "terminals": int(is_term.sum())}
    lb = -np.inf
    best = red.expand(np.empty(0, dtype=np.int64))  # the tree if the reductions solve the instance
    best_cost = float(w[best].sum()) if red.n_terminals <= 1 else np.inf
    if init is not None and red.n_terminals > 1:
        best, best_cost = init, float(w[init].sum())
    g: SteinerGraph | None = None
    first = np.empty(0, dtype=np.bool_)
    polished = False  # `first` has had its local search
    exact = False
    rounds = 0  # local-search rounds on the first tree (before the multistart)

    def slack_of(bound: float) -> float:
        return max(opt.gap_tol * abs(bound), 1e-9 * max(abs(bound), 1.0)) if np.isfinite(bound) else 0.0

    def keep_best(chosen: B1) -> None:
        nonlocal best, best_cost
        cand = red.expand(np.flatnonzero(chosen))
        cost = float(w[cand].sum())
        if cost < best_cost:
            best, best_cost = cand, cost

    for _ in range(3):  # bound, local search, bound-based reduction, exact reductions again
        if red.n_terminals <= 1:
            lb = max(lb, red.offset)  # solved by the reductions
            break
        g = SteinerGraph.build(red.n, red.u, red.v, red.w)
        polished = False
        exact = opt.reduce and _exact_fits(red, opt)
        if exact:  # small enough for the exact programme: no bound needed
            break
        first = _first_tree(g, red.is_term, red.root, opt)
        inner = None
        if opt.lower_bound or opt.reduce:
            bound, rc, first = _dual_bound(red, g, first)
            lb = max(lb, red.offset + bound)
            keep_best(first)
            if opt.reduce and best_cost > lb + 1e-9 * max(abs(lb), 1.0):
                if best_cost > lb + slack_of(lb):
                    # a better upper bound first: the test deletes far more with it
                    rounds += _improve(g, red.is_term, red.root, first, opt, opt.rel_tol, strong=False)
                    if opt.strong and g.cost(first) + red.offset > lb + slack_of(lb):
                        rounds += _improve(g, red.is_term, red.root, first, opt, opt.rel_tol)
                    polished = True
                    keep_best(first)
                upper = min(g.cost(first), best_cost - red.offset)
                inner = _bound_reduce(red, g, rc, bound, upper, first)
        else:
            keep_best(first)
        if inner is None:
            break
        shrunk = inner.u.size <= _SHRINK * red.u.size  # another bound pays only if this one cut deep
        red, g = inner, None
        if not shrunk:
            break
    stats.update(reduced_nodes=red.n, reduced_edges=int(red.u.size), reduced_terminals=red.n_terminals)
    starts = 0
    slack = slack_of(lb)
    proven = best_cost <= lb + slack

    def target_cost(bound: float) -> float:
        return bound + slack
    if red.n_terminals > 1 and (exact or not proven):  # the exact programme is cheap: always run
        if g is None:
            g = SteinerGraph.build(red.n, red.u, red.v, red.w)
            exact = opt.reduce and _exact_fits(red, opt)
            polished = False
        if exact:
            chosen, value = _exact_tree(red, g)
            keep_best(chosen)
            lb = max(lb, min(red.offset + value, best_cost))  # the optimum
            stats.update(exact=True)
        else:
            # the bound leaves room: local search, then the stronger moves and the multistart
            # (each compiled only when a run needs it)
            if not polished:  # a new reduced instance: start from the best tree so far if it maps into it
                image = _image(red, g, best, w.size)
                first = image if image is not None else _first_tree(g, red.is_term, red.root, opt)
            chosen = first.copy()
            if not polished:
                rounds += _improve(g, red.is_term, red.root, chosen, opt, opt.rel_tol, strong=False)
                if opt.strong and g.cost(chosen) > target_cost(lb - red.offset):
                    rounds += _improve(g, red.is_term, red.root, chosen, opt, opt.rel_tol)
            if opt.starts > 1 and g.cost(chosen) > target_cost(lb - red.offset):
                deadline = t0 + opt.time_limit if opt.time_limit is not None else np.inf
                target = lb - red.offset + slack  # stop when the tree is (nearly) at the bound
                chosen, starts = _multistart(g, red.is_term, red.root, chosen, opt, deadline, target)
            keep_best(chosen)
    if not opt.lower_bound:
        lb = -np.inf
    stats.update(starts=starts, local_rounds=rounds, seconds=time.perf_counter() - t0)
    logger.debug("Steiner tree: %s, cost %.1f, lower bound %.1f", stats, best_cost, lb)
    return SteinerResult(best.astype(np.int64), best_cost, float(lb), stats)
