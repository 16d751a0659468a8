"""Dijkstra shortest paths on CSR arrays (numba), a drop-in for scipy's ``dijkstra``.

:func:`dijkstra` has the arguments, dtypes, shapes and conventions of
:func:`scipy.sparse.csgraph.dijkstra` (``-9999`` predecessors, ``inf`` for
unreachable nodes, same ``limit`` and ``min_only`` semantics), built on the
indexed 4-ary heap of :mod:`planner.routing._heap`.  Several sources run in
parallel with ``numba.prange``.  Negative weights raise :class:`ValueError`
(scipy only warns and may return wrong distances).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import get_num_threads, prange

from planner.routing._heap import pop, prefetch, prefetch_top, push_or_decrease
from planner.routing._jit import F64, I32, I64, kernel
from planner.routing.csr import csr_arrays, symmetrize

__all__ = ["NO_PRED", "dijkstra", "sssp", "sssp_many"]

NO_PRED = -9999  # scipy's marker for "no predecessor"


@kernel()
def sssp(indptr: I64, indices: I32, data: F64, seeds: I64, limit: float, dist: F64, pred: I32, src: I32,
         heap: I32, hkey: F64, pos: I32, want_pred: bool, want_src: bool) -> None:
    """Dijkstra from ``seeds`` (all at distance 0) into ``dist``/``pred``/``src``.

    ``pred`` is written only if ``want_pred``, ``src`` (nearest seed) only if
    ``want_src``.  ``heap``, ``hkey`` and ``pos`` are scratch buffers of
    length n; ``pos`` must be all -1 on entry and is all -1 again on exit.
    Arc ``k`` (from the node whose range holds ``k`` to ``indices[k]``) costs
    ``data[k]``; the graph may be directed.
    """
    n = dist.shape[0]
    for v in range(n):
        dist[v] = np.inf
    if want_pred:
        for v in range(n):
            pred[v] = -9999
    if want_src:
        for v in range(n):
            src[v] = -9999
    size = np.int64(0)
    for s in seeds:
        if dist[s] != 0.0:
            dist[s] = 0.0
            if want_src:
                src[s] = s
            size = push_or_decrease(heap, hkey, pos, size, np.int64(s), float(dist[s]))
    while size > 0:
        u, size = pop(heap, hkey, pos, size)
        if size > 0:
            prefetch(indptr, heap[0])  # likely the next node to settle
        du = dist[u]
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            nd = du + data[k]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                if want_pred:
                    pred[v] = u
                if want_src:
                    src[v] = src[u]
                size = push_or_decrease(heap, hkey, pos, size, np.int64(v), float(nd))
        prefetch_top(heap, size, indptr, indices, data, dist, pos)


@kernel(parallel=True)
def sssp_many(indptr: I64, indices: I32, data: F64, sources: I64, limit: float, dist: F64, pred: I32,
              want_pred: bool, n_chunks: int) -> None:
    """One Dijkstra per source (rows of ``dist``/``pred``), sources spread over threads."""
    n_src = sources.shape[0]
    n = dist.shape[1]
    for c in prange(n_chunks):
        heap = np.empty(n, np.int32)
        hkey = np.empty(n, np.float64)
        pos = np.full(n, -1, np.int32)
        scratch = np.empty(n, np.int32)
        seeds = np.empty(1, np.int64)
        for i in range(c, n_src, n_chunks):
            seeds[0] = sources[i]
            if want_pred:
                sssp(indptr, indices, data, seeds, limit, dist[i], pred[i], scratch,
                     heap, hkey, pos, True, False)
            else:
                sssp(indptr, indices, data, seeds, limit, dist[i], scratch, scratch,
                     heap, hkey, pos, False, False)


def _scratch(n: int) -> tuple[I32, F64, I32]:
    return np.empty(n, dtype=np.int32), np.empty(n, dtype=np.float64), np.full(n, -1, dtype=np.int32)


def dijkstra(
    csgraph: Any,
    directed: bool = True,
    indices: int | Sequence[int] | np.ndarray | None = None,
    return_predecessors: bool = False,
    limit: float = np.inf,
    min_only: bool = False,
) -> np.ndarray | tuple[np.ndarray, ...]:
    """Shortest paths from one or many sources, like scipy's ``dijkstra``.

    Parameters
    ----------
    csgraph
        ``(N, N)`` scipy sparse matrix (stored entries are edges, an explicit
        ``0`` is a zero-weight edge) or dense array (``0``/``inf``/``nan`` are
        no edge).  Weights must be non-negative.
    directed
        If False, every edge can be used in both directions (as scipy: the
        cheaper of ``A[i, j]`` and ``A[j, i]`` counts).
    indices
        Source node(s).  A scalar gives 1-D results of length N, a sequence
        gives ``(len(indices), N)``, None means every node.
    return_predecessors
        Also return the predecessor matrix (int32, ``-9999`` for no
        predecessor).
    limit
        Distances larger than ``limit`` are not computed and reported as
        ``inf`` (a distance equal to ``limit`` is kept).
    min_only
        Run one Dijkstra from all ``indices`` at once and return, per node,
        the distance to the nearest source; with ``return_predecessors`` also
        the predecessors and ``sources`` (the nearest source, ``-9999`` if
        none).

    Returns
    -------
    dist : numpy.ndarray
        float64 distances (``inf`` where unreachable).
    predecessors : numpy.ndarray
        int32, only if ``return_predecessors``.
    sources : numpy.ndarray
        int32, only if ``min_only`` and ``return_predecessors``.

    Raises
    ------
    ValueError
        On a non-square graph, negative weights, negative ``limit`` or a
        source index out of range.
    """
    indptr, idx, data, n = csr_arrays(csgraph)
    limit = float(limit)
    if limit < 0:
        raise ValueError("limit must be >= 0")
    if np.any(data < 0):
        raise ValueError(
            "Graph has negative weights: dijkstra needs non-negative weights "
            "(use scipy.sparse.csgraph.johnson or bellman_ford)."
        )
    if not directed:
        indptr, idx, data = symmetrize(indptr, idx, data, n)

    scalar = indices is not None and np.ndim(indices) == 0
    if indices is None:
        src = np.arange(n, dtype=np.int64)
    else:
        src = np.atleast_1d(np.asarray(indices)).astype(np.int64).ravel()
        if src.size and (src.min() < -n or src.max() >= n):
            raise ValueError("indices out of range 0...N")
        src = np.where(src < 0, src + n, src)

    if min_only or scalar:
        dist = np.empty(n, dtype=np.float64)
        pred = np.empty(n, dtype=np.int32)
        sources = np.empty(n, dtype=np.int32)
        want = bool(return_predecessors)
        sssp(indptr, idx, data, src, limit, dist, pred, sources, *_scratch(n), want, want and min_only)
        if not return_predecessors:
            return dist
        return (dist, pred, sources) if min_only else (dist, pred)

    dist2 = np.empty((src.size, n), dtype=np.float64)
    pred2 = np.empty((src.size, n) if return_predecessors else (0, 0), dtype=np.int32)
    if src.size:
        n_chunks = min(src.size, 4 * get_num_threads())
        sssp_many(indptr, idx, data, src, limit, dist2, pred2, bool(return_predecessors), n_chunks)
    return (dist2, pred2) if return_predecessors else dist2
