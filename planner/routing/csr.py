"""Graph conversions: scipy CSR matrices and undirected edge lists to flat CSR arrays.

The kernels work on flat arrays: ``indptr`` (``int64``, ``n + 1`` offsets),
``adj`` (``int32`` neighbour of each arc), ``adj_w`` (``float64`` weight) and,
for edge lists, ``adj_e`` (``int32`` index of the edge an arc belongs to).
Node renumbering for cache locality (:func:`locality_order`,
:func:`permute_graph`) is also here.

Zero-weight edges
-----------------
Like scipy, an entry *stored* in a sparse matrix is an edge even if its value
is ``0``; entries that are not stored are not edges.  Dense ``numpy`` input
follows scipy's dense convention (``0``, ``inf`` and ``nan`` mean "no edge").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import csgraph_from_dense, reverse_cuthill_mckee

from planner.routing._jit import F64, I32, I64, kernel

__all__ = ["csr_arrays", "symmetrize", "edges_to_csr", "build_adjacency", "locality_order", "permute_graph"]


@kernel()
def build_adjacency(n: int, edge_u: I64, edge_v: I64, edge_w: F64) -> tuple[I64, I32, F64, I32]:
    """Counting sort of an undirected edge list into symmetric CSR arrays.

    Parameters
    ----------
    n
        Number of nodes.
    edge_u, edge_v, edge_w
        End nodes (``int64``) and weight of each edge.

    Returns
    -------
    tuple
        ``indptr, adj, adj_w, adj_e`` (see :func:`edges_to_csr`).
    """
    m = edge_u.shape[0]
    indptr = np.zeros(n + 1, np.int64)
    for e in range(m):
        if edge_u[e] != edge_v[e]:
            indptr[edge_u[e] + 1] += 1
            indptr[edge_v[e] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    nnz = indptr[n]
    adj = np.empty(nnz, np.int32)
    adj_w = np.empty(nnz, np.float64)
    adj_e = np.empty(nnz, np.int32)
    cursor = indptr[:n].copy()
    for e in range(m):
        a = edge_u[e]
        b = edge_v[e]
        if a == b:
            continue
        k = cursor[a]
        adj[k] = b
        adj_w[k] = edge_w[e]
        adj_e[k] = e
        cursor[a] = k + 1
        k = cursor[b]
        adj[k] = a
        adj_w[k] = edge_w[e]
        adj_e[k] = e
        cursor[b] = k + 1
    return indptr, adj, adj_w, adj_e


def csr_arrays(csgraph: Any) -> tuple[I64, I32, F64, int]:
    """Return ``(indptr, indices, data, n)`` of a graph in scipy's conventions.

    Parameters
    ----------
    csgraph
        Square scipy sparse matrix/array (stored entries are edges, explicit
        zeros are zero-weight edges) or dense array (``0``/``inf``/``nan``
        mean no edge).

    Returns
    -------
    tuple
        ``indptr`` (int64), ``indices`` (int32), ``data`` (float64) and the
        number of nodes.  ``indices`` and ``data`` are not copied when they
        already have these dtypes.

    Raises
    ------
    ValueError
        If the graph is not a square 2-D matrix.
    """
    if sp.issparse(csgraph):
        mat = csgraph.tocsr()
    else:
        arr = np.asarray(csgraph, dtype=np.float64)
        if arr.ndim != 2:
            raise ValueError("compressed-sparse graph must be 2-D")
        mat = csgraph_from_dense(arr, null_value=0, infinity_null=True, nan_null=True)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1]:
        raise ValueError("compressed-sparse graph must be shape (N, N)")
    n = int(mat.shape[0])
    indptr = np.asarray(mat.indptr, dtype=np.int64)
    indices = np.asarray(mat.indices, dtype=np.int32)
    data = np.asarray(mat.data, dtype=np.float64)
    return indptr, indices, data, n


def symmetrize(indptr: I64, indices: I32, data: F64, n: int) -> tuple[I64, I32, F64]:
    """CSR arrays of ``A`` plus ``A.T`` (each edge usable both ways), O(nnz).

    Parameters
    ----------
    indptr, indices, data
        CSR arrays of ``A`` (:func:`csr_arrays`).
    n
        Number of nodes.

    Returns
    -------
    tuple
        ``indptr, indices, data`` of the symmetric graph; self-loops are
        dropped (they never shorten a path).
    """
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    new_ptr, adj, adj_w, _ = build_adjacency(
        n, rows, np.asarray(indices, dtype=np.int64), np.ascontiguousarray(data, dtype=np.float64)
    )
    return new_ptr, adj, adj_w


def edges_to_csr(n_nodes: int, edge_u: Any, edge_v: Any, edge_w: Any) -> tuple[I64, I32, F64, I32]:
    """Symmetric CSR adjacency of an undirected edge list.

    Parameters
    ----------
    n_nodes
        Number of nodes; node ids are ``0 .. n_nodes - 1``.
    edge_u, edge_v, edge_w
        End nodes and weight of each edge (parallel edges allowed).

    Returns
    -------
    tuple
        ``indptr`` (int64), ``adj`` (int32 neighbour), ``adj_w`` (float64
        weight), ``adj_e`` (int32 index of the original edge) -- each edge
        appears once from each end (arcs of a node in edge order);
        self-loops are dropped.
    """
    u = np.ascontiguousarray(edge_u, dtype=np.int64)
    v = np.ascontiguousarray(edge_v, dtype=np.int64)
    w = np.ascontiguousarray(edge_w, dtype=np.float64)
    return build_adjacency(int(n_nodes), u, v, w)


def locality_order(csgraph: Any) -> I64:
    """Node order that keeps neighbours close in memory (reverse Cuthill-McKee).

    Parameters
    ----------
    csgraph
        Square sparse matrix; treated as undirected.

    Returns
    -------
    numpy.ndarray
        ``order[i]`` is the old id of the node placed at new position ``i``;
        use with :func:`permute_graph`.
    """
    mat = sp.csr_matrix(csgraph)
    sym = (mat + mat.T).tocsr()
    return np.asarray(reverse_cuthill_mckee(sym, symmetric_mode=True), dtype=np.int64)


def permute_graph(csgraph: Any, order: I64) -> sp.csr_matrix:
    """Renumber the nodes of a sparse graph: new node ``i`` is old ``order[i]``.

    Parameters
    ----------
    csgraph
        Square sparse matrix.
    order
        Permutation from :func:`locality_order`.

    Returns
    -------
    scipy.sparse.csr_matrix
        The permuted matrix; explicit zeros are kept.  Map results back with
        ``result_old[order] = result_new``.
    """
    mat = sp.csr_matrix(csgraph)
    return mat[order][:, order].tocsr()
