"""Rooted structure of a Steiner tree: DFS order, parents and subtree intervals (numba)."""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, I32, I64, kernel

__all__ = ["tree_dfs"]


@kernel()
def tree_dfs(indptr: I64, adj: I32, adj_e: I32, chosen: B1, root: int) -> tuple[I32, I32, I32, I32, I32, int]:
    """Depth-first search of the tree ``chosen`` (edge mask) from ``root``.

    Parameters
    ----------
    indptr, adj, adj_e
        CSR arrays of the graph (:func:`planner.routing.csr.edges_to_csr`).
    chosen
        Edge mask of the tree.
    root
        Start node.

    Returns
    -------
    tuple
        ``parent`` and ``parent_e`` (node and edge above each node, ``-1``
        at the root and off the tree), ``tin``/``tout`` (pre-order number of
        each node and the last pre-order number in its subtree, ``-1`` off
        the tree), ``preorder`` (nodes in pre-order, first ``n_seen``
        entries) and ``n_seen`` (number of tree nodes reached).
    """
    n = indptr.shape[0] - 1
    parent = np.full(n, -1, np.int32)
    parent_e = np.full(n, -1, np.int32)
    tin = np.full(n, -1, np.int32)
    tout = np.full(n, -1, np.int32)
    preorder = np.empty(n, np.int32)
    stack = np.empty(n, np.int32)
    sk = np.empty(n, np.int64)
    top = 0
    stack[0] = root
    sk[0] = indptr[root]
    tin[root] = 0
    preorder[0] = root
    n_seen = 1
    while top >= 0:
        u = stack[top]
        k = sk[top]
        pushed = False
        while k < indptr[u + 1]:
            e = adj_e[k]
            v = adj[k]
            k += 1
            if chosen[e] and v != parent[u] and tin[v] < 0:
                sk[top] = k
                parent[v] = u
                parent_e[v] = e
                tin[v] = n_seen
                preorder[n_seen] = v
                n_seen += 1
                top += 1
                stack[top] = v
                sk[top] = indptr[v]
                pushed = True
                break
        if not pushed:
            tout[u] = n_seen - 1
            top -= 1
    return parent, parent_e, tin, tout, preorder, n_seen
