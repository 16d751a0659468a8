"""Local search on a Steiner tree: rounds of key-path exchange, key-vertex elimination and MST-prune.

The moves are numba kernels; this module only sequences them (a flat call
structure keeps numba's compile time down: kernels do not call each other).

References
----------
E. Uchoa, R. F. Werneck (2012), "Fast local search for Steiner trees in
graphs", ALENEX 2010, 1-10 (key-path exchange, key-vertex elimination,
MST-prune).
"""

from __future__ import annotations

from planner.routing._jit import B1
from planner.routing.sort import argsort_f64
from planner.routing.steiner.dfs import tree_dfs
from planner.routing.steiner.graph import SteinerGraph, Voronoi
from planner.routing.steiner.insertion import steiner_vertex_insertion
from planner.routing.steiner.keypath import key_path_apply, key_path_candidates, key_path_links
from planner.routing.steiner.keyvertex import key_vertex_elimination
from planner.routing.steiner.mst import mst_prune_induced

__all__ = ["local_search", "mst_prune_tree", "key_paths", "key_vertices", "vertex_insertions"]


def mst_prune_tree(g: SteinerGraph, is_term: B1, chosen: B1, insert: bool = False) -> float:
    """MST over the tree's nodes, then removal of non-terminal leaves (in place); returns the saving.

    This never costs more.  With ``insert`` the node set also gets every
    non-tree node adjacent to two or more tree nodes (Steiner-node insertion
    in one batch, e.g. the centre of a star), and the result is kept only if
    it is cheaper.  Kruskal takes the edges induced by the node set, sorted
    stably by weight (ties keep edge order).
    """
    # the whole move in numba (node set, induced edges, sort, Kruskal)
    return mst_prune_induced(g.indptr, g.adj, g.adj_e, g.u, g.v, g.w, is_term, chosen, insert)


def key_paths(g: SteinerGraph, is_term: B1, chosen: B1, root: int, vor: Voronoi) -> float:
    """One round of key-path exchange (in place; ``vor`` must describe the tree); returns the saving."""
    deg = g.degrees(chosen)
    if deg[root] == 0:
        return 0.0
    parent, parent_e, tin, tout, preorder, n_seen = tree_dfs(g.indptr, g.adj, g.adj_e, chosen, root)
    key, anc_key, low_key, up_cost, path_cost, link, link_cost = key_path_links(
        g.u, g.v, g.w, is_term, chosen, root, deg, parent, parent_e, preorder, n_seen, vor.vd, vor.base)
    order = argsort_f64(link_cost)
    c_lo, c_hi, c_key, c_link, c_gain = key_path_candidates(
        g.u, g.v, tin, tout, preorder, n_seen, vor.base, key, anc_key, low_key, up_cost, path_cost, link,
        link_cost, order)
    corder = argsort_f64(-c_gain)
    return float(key_path_apply(g.u, g.v, is_term, chosen, deg, parent, parent_e, tin, tout, vor.base,
                                vor.pred_n, vor.pred_e, key, anc_key, low_key, link, c_lo, c_hi, c_key, c_link,
                                c_gain, corder))


def key_vertices(g: SteinerGraph, is_term: B1, chosen: B1, root: int, vor: Voronoi) -> float:
    """Key-vertex elimination over the whole tree (in place; ``vor`` is kept up to date); returns the saving."""
    gained = 0.0
    start = 0
    deg = g.degrees(chosen)  # the kernel keeps it up to date
    while deg[root] > 0:
        parent, parent_e, tin, tout, preorder, n_seen = tree_dfs(g.indptr, g.adj, g.adj_e, chosen, root)
        gain, start = key_vertex_elimination(g.indptr, g.adj, g.adj_w, g.adj_e, g.u, g.v, g.w, is_term, chosen,
                                             root, deg, parent, parent_e, tin, tout, preorder, n_seen,
                                             vor.vd, vor.base, vor.pred_n, vor.pred_e, start)
        if gain <= 0.0:
            break
        gained += gain
        vor.update(g, chosen, deg > 0)
    return gained


def vertex_insertions(g: SteinerGraph, chosen: B1, root: int) -> float:
    """Steiner-vertex insertion over all non-tree nodes, until none pays (in place); returns the saving."""
    gained = 0.0
    deg = g.degrees(chosen)  # the kernel keeps it up to date
    while deg[root] > 0:
        parent, parent_e, tin, tout, preorder, n_seen = tree_dfs(g.indptr, g.adj, g.adj_e, chosen, root)
        gain = steiner_vertex_insertion(g.indptr, g.adj, g.adj_e, g.u, g.v, g.w, chosen, deg, parent, parent_e,
                                        tin, tout, preorder, n_seen)
        if gain <= 0.0:
            break
        gained += gain
    return gained


def local_search(g: SteinerGraph, is_term: B1, chosen: B1, root: int, vor: Voronoi, max_rounds: int,
                 rel_tol: float, strong: bool = False, insertion: bool = True) -> int:
    """Local search on the tree ``chosen`` (modified in place).

    Each round runs key-path exchange, with ``strong`` also MST-prune and
    key-vertex elimination, then MST-prune; rounds repeat until one saves no
    more than ``rel_tol`` of the cost, or ``max_rounds`` were run.  With
    ``strong``, Steiner-vertex insertion runs when the rounds have stopped
    paying, and if it improves the tree the rounds resume (insertion is the
    most expensive move; once per local optimum keeps its cost down).  A
    final MST-prune with Steiner node insertion follows (once: on road graphs
    it rarely pays, on star-like cases it does).  ``vor`` holds the Voronoi
    regions of the tree (e.g. from the shortest-path heuristic's labels)
    and is kept up to date.  The tree must have no non-terminal leaf (key
    paths end at key nodes); neither has the result.  Returns the number of
    rounds run.
    """
    if max_rounds <= 0:
        mst_prune_tree(g, is_term, chosen)
        return 0
    rounds = 0
    for rnd in range(max_rounds):
        rounds += 1
        before = g.cost(chosen)
        if rnd > 0:  # relabel only around what the last round changed
            vor.update(g, chosen)
        key_paths(g, is_term, chosen, root, vor)
        if strong:
            mst_prune_tree(g, is_term, chosen)
            vor.update(g, chosen)
            key_vertices(g, is_term, chosen, root, vor)
        mst_prune_tree(g, is_term, chosen)
        after = g.cost(chosen)
        if before - after <= rel_tol * before:
            if strong and insertion and vertex_insertions(g, chosen, root) > 0.0:
                mst_prune_tree(g, is_term, chosen)
                continue
            break
    mst_prune_tree(g, is_term, chosen, insert=True)
    return rounds
