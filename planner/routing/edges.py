"""Undirected edge lists: validation, connectivity, tree cost."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from planner.routing._jit import B1, F64, I64

__all__ = ["check_edges", "reachable_mask", "tree_cost"]


def check_edges(n_nodes: int, edge_u: Any, edge_v: Any, edge_w: Any = None) -> tuple[I64, I64, F64]:
    """Validate an undirected edge list and return it as contiguous arrays.

    Parameters
    ----------
    n_nodes
        Number of nodes; node ids are ``0 .. n_nodes - 1``.
    edge_u, edge_v
        End nodes of each edge.
    edge_w
        Weight of each edge (default: all 0).

    Returns
    -------
    tuple
        ``edge_u, edge_v`` (int64) and ``edge_w`` (float64).

    Raises
    ------
    ValueError
        If the arrays differ in length, a node id is out of range or a
        weight is negative or not finite.
    """
    u = np.ascontiguousarray(np.asarray(edge_u, dtype=np.int64).ravel())
    v = np.ascontiguousarray(np.asarray(edge_v, dtype=np.int64).ravel())
    w = (
        np.zeros(u.shape[0], dtype=np.float64)
        if edge_w is None
        else np.ascontiguousarray(np.asarray(edge_w, dtype=np.float64).ravel())
    )
    if not (u.shape == v.shape == w.shape):
        raise ValueError("edge_u, edge_v and edge_w must have the same length")
    if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n_nodes):
        raise ValueError(f"edge end nodes must lie in 0..{n_nodes - 1}")
    if w.size and not (np.all(np.isfinite(w)) and w.min() >= 0):
        raise ValueError("edge weights must be finite and >= 0")
    return u, v, w


def reachable_mask(n_nodes: int, edge_u: Any, edge_v: Any, root: int) -> B1:
    """Which nodes are connected to ``root`` in an undirected edge list.

    Parameters
    ----------
    n_nodes
        Number of nodes.
    edge_u, edge_v
        End nodes of each edge.
    root
        Start node.

    Returns
    -------
    numpy.ndarray
        Boolean array of length ``n_nodes``.
    """
    u, v, _ = check_edges(n_nodes, edge_u, edge_v)
    mat = sp.csr_matrix((np.ones(u.size, dtype=np.int8), (u, v)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(mat, directed=False)
    mask: B1 = labels == labels[int(root)]
    return mask


def tree_cost(edge_w: Any, edges: Any) -> float:
    """Total weight of the edges ``edges`` (indices into ``edge_w``).

    Parameters
    ----------
    edge_w
        Weight of every edge.
    edges
        Indices of the chosen edges.

    Returns
    -------
    float
        The sum.
    """
    return float(np.asarray(edge_w, dtype=np.float64)[np.asarray(edges, dtype=np.int64)].sum())
