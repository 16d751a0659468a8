"""Local search on a Steiner tree: rounds of key-path exchange and MST-prune (numba).

References
----------
E. Uchoa, R. F. Werneck (2012), "Fast local search for Steiner trees in
graphs", ALENEX 2010, 1-10 (key-path exchange, MST-prune).
"""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, F64, I32, I64, kernel
from planner.routing.steiner.keypath import key_path_exchange
from planner.routing.steiner.mst import mst_prune, tree_degrees, tree_weight
from planner.routing.steiner.voronoi import voronoi_from_labels, voronoi_update

__all__ = ["local_search"]


@kernel()
def local_search(indptr: I64, adj: I32, adj_w: F64, adj_e: I32, edge_u: I64, edge_v: I64, edge_w: F64,
                 is_term: B1, chosen: B1, root: int, sph_d: F64, sph_pred_n: I32, sph_pred_e: I32,
                 max_rounds: int, rel_tol: float) -> None:
    """Local search on the SPH tree in ``chosen`` (modified in place).

    Each round runs key-path exchange and MST-prune; rounds repeat until
    one saves no more than ``rel_tol`` of the cost, or ``max_rounds`` were
    run.  A final MST-prune with Steiner node insertion follows (once: on
    road graphs it rarely pays, on star-like cases it does).  The first
    round takes its Voronoi regions from the SPH labels ``sph_*``; later
    rounds update them locally (:func:`voronoi_update`).  The result has
    no non-terminal leaf.
    """
    if max_rounds <= 0:
        mst_prune(indptr, adj, adj_e, edge_u, edge_v, edge_w, is_term, chosen, np.bool_(False))
        return
    n = indptr.shape[0] - 1
    vor_tree = tree_degrees(edge_u, edge_v, chosen, n) > 0
    vd, base, vpred_n, vpred_e = voronoi_from_labels(sph_d, sph_pred_n, sph_pred_e, vor_tree)
    for rnd in range(max_rounds):
        before = tree_weight(edge_w, chosen)
        if rnd > 0:  # relabel only around what the last round changed
            tree = tree_degrees(edge_u, edge_v, chosen, n) > 0
            voronoi_update(indptr, adj, adj_w, adj_e, vd, base, vpred_n, vpred_e, vor_tree, tree)
            vor_tree = tree
        key_path_exchange(indptr, adj, adj_w, adj_e, edge_u, edge_v, edge_w, is_term,
                          chosen, root, vd, base, vpred_n, vpred_e)
        mst_prune(indptr, adj, adj_e, edge_u, edge_v, edge_w, is_term, chosen, np.bool_(False))
        after = tree_weight(edge_w, chosen)
        if before - after <= rel_tol * before:
            break
    mst_prune(indptr, adj, adj_e, edge_u, edge_v, edge_w, is_term, chosen, np.bool_(True))
