"""The shared tree: Steiner tree on the edge costs and repair of the reach limit."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from planner import routing
from planner._errors import Problem, UnreachableError
from planner.config import DesignConfig
from planner.design.graph import RoutingGraph, csr, downstream, orient, path_union

__all__ = [
    "steiner_options", "steiner", "prune", "graft", "violators", "graft_violators", "reach_tree",
    "REACH_LAMBDAS", "PathLadder",
]

logger = logging.getLogger("planner.design")


def steiner_options(dc: DesignConfig) -> routing.SteinerOptions:
    """The Steiner search settings of the ``[design]`` section."""
    return routing.SteinerOptions(starts=dc.steiner_starts, seed=dc.steiner_seed,
                                  time_limit=dc.steiner_time_limit_s or None, max_rounds=dc.steiner_max_rounds,
                                  rel_tol=dc.steiner_rel_tol)


def steiner(rg: RoutingGraph, terminals: np.ndarray, w: np.ndarray | None = None, *,
            opt: routing.SteinerOptions) -> tuple[np.ndarray, dict[str, np.ndarray], routing.SteinerResult]:
    """Steiner tree (:func:`planner.routing.steiner_tree_solve`) from the root, oriented, and the search's result.

    ``w`` overrides the edge weights (default: the edge costs ``rg.w``).
    """
    w = rg.w if w is None else w
    try:
        res = routing.steiner_tree_solve(rg.n_nodes, rg.u, rg.v, w, np.unique(terminals), root=rg.root, options=opt)
    except routing.DisconnectedTerminalsError as exc:  # the screen should have removed them
        raise UnreachableError(f"{exc.terminals.size} access node(s) are cut off from the POPs", [Problem(
            file="road network", message=str(exc),
            fix="check the roads and POPs of the study area (unreachable targets are normally reported "
                "as no_road_access)")]) from exc
    return res.edges, orient(rg, res.edges), res


def prune(rg: RoutingGraph, tree: dict[str, np.ndarray],
           terminals: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Drop the branches of ``tree`` that lead to no terminal."""
    down = downstream(tree, rg.n_nodes, terminals)
    child = np.flatnonzero((tree["pred_edge"] >= 0) & (down > 0))
    chosen = np.sort(tree["pred_edge"][child])
    return chosen, orient(rg, chosen)


def graft(rg: RoutingGraph, chosen: np.ndarray, tree: dict[str, np.ndarray], forced: np.ndarray,
           terminals: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Graft the shortest-length paths ``forced`` onto ``tree``.

    ``forced`` is a subtree of the shortest-length path tree that contains the
    root.  Every node on it takes its parent from ``forced`` and every other
    tree node keeps its parent, so the result is again a tree; each node's
    distance from the root can only shrink (it follows the tree to its first
    ancestor on ``forced`` and from there the shortest path), and the nodes on
    ``forced`` are at their shortest path length.  Branches left without a
    terminal are pruned.
    """
    fnodes = np.setdiff1d(np.r_[rg.u[forced], rg.v[forced]], [rg.root])
    old = tree["pred_edge"][fnodes]
    keep = np.setdiff1d(chosen, old[old >= 0])
    merged = np.union1d(keep, forced)
    return prune(rg, orient(rg, merged), terminals)


def violators(tree: dict[str, np.ndarray], terminals: np.ndarray, drop_len: np.ndarray,
               max_reach_m: float) -> np.ndarray:
    """Access nodes whose fibre distance along ``tree`` plus the drop exceeds the reach."""
    return np.unique(terminals[tree["dist"][terminals] + drop_len > max_reach_m])


def graft_violators(rg: RoutingGraph, chosen: np.ndarray, tree: dict[str, np.ndarray], terminals: np.ndarray,
                     drop_len: np.ndarray, sp_pred: np.ndarray,
                     max_reach_m: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Graft the shortest-length paths of the reach violators of ``tree`` onto it.

    Afterwards every terminal whose shortest path plus drop is within
    ``max_reach_m`` is within reach (see :func:`graft`: no path gets longer).
    """
    viol = violators(tree, terminals, drop_len, max_reach_m)
    if viol.size == 0:
        return chosen, tree
    return graft(rg, chosen, tree, path_union(rg, sp_pred, viol), terminals)


def reach_tree(rg: RoutingGraph, terminals: np.ndarray, drop_len: np.ndarray, sp_pred: np.ndarray,
               max_reach_m: float, rounds: int,
               opt: routing.SteinerOptions) -> tuple[np.ndarray, dict[str, np.ndarray], routing.SteinerResult]:
    """Cheapest tree found that keeps every terminal within ``max_reach_m``.

    Every terminal must satisfy ``shortest path length + drop <= max_reach_m``
    (screened before; ``sp_pred`` are the predecessors of the shortest-length
    paths).  The Steiner tree on the edge costs is checked and the paths of
    its violators are *forced* into the network: the forced paths come from
    one path tree on the weights ``cost + lam x length`` with the smallest
    ``lam`` of :data:`REACH_LAMBDAS` under which every violator met so far is
    within reach (the last step is the shortest-length tree, which always
    fits), so the union of the paths is a subtree that contains the root.  The
    Steiner tree is rebuilt with forced edges at ``1e-9`` PLN/m (nearly free;
    ties stay deterministic) and the forced paths are grafted onto it
    (:func:`graft`), for at most ``rounds`` rounds, each adding the violators
    of the last tree.  Violators left after that get their shortest-length
    paths grafted on (:func:`graft_violators`), which never lengthens any
    path, so the result has no violator.  The cheaper (by edge cost) of that
    tree and the first tree grafted with its violators' shortest paths is
    returned (ties: the latter).  The search's result of the first tree
    (cost and lower bound of the Steiner problem without the reach limit) is
    returned too; the rebuilds skip the local search and the lower bound.
    """
    chosen, tree, first = steiner(rg, terminals, opt=opt)
    viol = violators(tree, terminals, drop_len, max_reach_m)
    if viol.size == 0:
        return chosen, tree, first
    # rebuilds with forced paths: the reductions and the shortest-path heuristic with MST-prune (the
    # forced edges, nearly free, dominate the tree; local search would only compile kernels)
    rebuild = dataclasses.replace(opt, lower_bound=False, starts=1, strong=False, max_rounds=0)
    logger.info("design: %d access node(s) beyond reach along the cheapest tree (cost %.0f PLN); repairing",
                viol.size, routing.tree_cost(rg.w, chosen))
    best = graft_violators(rg, chosen, tree, terminals, drop_len, sp_pred, max_reach_m)
    best_cost = routing.tree_cost(rg.w, best[0])
    budget = np.full(rg.n_nodes, np.inf)
    np.minimum.at(budget, terminals, max_reach_m - drop_len)
    ladder = PathLadder(rg, sp_pred)
    seen = viol
    for i in range(rounds):
        forced = path_union(rg, ladder.pred_fitting(seen, budget[seen]), seen)
        w = rg.w.copy()
        w[forced] = 1e-9 * rg.length[forced]
        c0, t0, _ = steiner(rg, terminals, w, opt=rebuild)
        chosen, tree = graft(rg, c0, t0, forced, terminals)
        viol = violators(tree, terminals, drop_len, max_reach_m)
        logger.debug("design: reach repair round %d: %d forced edges, %d violators", i + 1, forced.size, viol.size)
        if viol.size == 0:
            break
        seen = np.union1d(seen, viol)
    chosen, tree = graft_violators(rg, chosen, tree, terminals, drop_len, sp_pred, max_reach_m)
    cost = routing.tree_cost(rg.w, chosen)
    logger.info("design: reach repair cost %.0f PLN (shortest-path graft alone: %.0f PLN)", cost, best_cost)
    if cost < best_cost:
        best = (chosen, tree)
    return best[0], best[1], first


# Length penalties (PLN/m) tried for the forced paths of reach violators, cheapest
# first; after the last one the shortest-length paths are used. [A]
REACH_LAMBDAS: tuple[float, ...] = (5.0, 20.0, 50.0, 150.0, 500.0)


class PathLadder:
    """Path trees on ``cost + lam x length`` for increasing ``lam``, computed lazily."""

    def __init__(self, rg: RoutingGraph, sp_pred: np.ndarray) -> None:
        self.rg = rg
        self.sp_pred = sp_pred
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _level(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Predecessors and path lengths of ladder step ``k``."""
        if k not in self._cache:
            rg = self.rg
            lam = REACH_LAMBDAS[k]
            _, pred = routing.dijkstra(csr(rg, rg.w + lam * rg.length), directed=False, indices=rg.root,
                                       return_predecessors=True)
            nodes = np.flatnonzero(pred >= 0)
            dist = orient(rg, path_union(rg, pred, nodes))["dist"]
            self._cache[k] = (pred, dist)
        return self._cache[k]

    def pred_fitting(self, nodes: np.ndarray, budget: np.ndarray) -> np.ndarray:
        """Predecessors of the first step whose paths to all ``nodes`` are within ``budget``."""
        for k in range(len(REACH_LAMBDAS)):
            pred, dist = self._level(k)
            if (dist[nodes] <= budget).all():
                return pred
        return self.sp_pred
