"""Routing core: numba shortest paths and Steiner trees.

Stage ``routing`` of the pipeline (``costgraph -> routing -> design``).  Two
families of kernels live here, all compiled with ``numba.njit(cache=True)`` on
first call (nothing is compiled at import time; :func:`warmup` compiles them
on tiny inputs so that the first real call is fast):

* :func:`dijkstra` -- a drop-in for :func:`scipy.sparse.csgraph.dijkstra` on
  CSR matrices (same arguments, dtypes, shapes, ``-9999`` predecessors,
  ``inf`` for unreachable nodes, same ``limit`` and ``min_only`` semantics),
  built on an indexed 4-ary heap with decrease-key.  Several sources run in
  parallel with ``numba.prange``.
* :func:`steiner_tree_edges` -- a Steiner tree heuristic on an undirected edge
  list: the shortest-path heuristic of Takahashi and Matsuyama grown from a
  root with *incremental repair* of the distance-to-tree labels, followed by
  local search (minimum spanning tree over the tree's nodes with removal of
  non-terminal leaves, and key-path exchange) until no move improves the
  tree.  :func:`steiner_tree` wraps it with the contract of
  :func:`networkx.algorithms.approximation.steiner_tree`.

Graph conversions (networkx or scipy CSR to flat arrays) are small Python
helpers of this module; node renumbering for cache locality
(:func:`locality_order`, :func:`permute_graph`) is kept outside the kernels.

Zero-weight edges
-----------------
Like scipy, an entry *stored* in a sparse matrix is an edge even if its value
is ``0`` (a zero-weight edge); entries that are not stored are not edges.
Dense ``numpy`` input follows scipy's dense convention (``0``, ``inf`` and
``nan`` mean "no edge").  Negative weights raise :class:`ValueError` (scipy
only warns and may return wrong distances).

References
----------
H. Takahashi, A. Matsuyama (1980), "An approximate solution for the Steiner
problem in graphs", Math. Japonica 24, 573-577.
E. Uchoa, R. F. Werneck (2012), "Fast local search for Steiner trees in
graphs", ALENEX 2010, 1-10 (key-path exchange, MST-prune).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit, prange

from planner._errors import Problem, UnreachableError

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    import scipy.sparse

logger = logging.getLogger(__name__)

__all__ = [
    "dijkstra",
    "steiner_tree_edges",
    "steiner_tree",
    "reachable_mask",
    "csr_arrays",
    "edges_to_csr",
    "graph_to_edge_arrays",
    "locality_order",
    "permute_graph",
    "tree_cost",
    "warmup",
]

NO_PRED = -9999  # scipy's marker for "no predecessor"



# ---------------------------------------------------------------------------
# kernels (compiled on first call, cached on disk; nothing compiles at import)
# ---------------------------------------------------------------------------


# -- indexed 4-ary min-heap keyed by an external ``key`` array -----------
# ``heap[0:size]`` holds node ids, ``pos[node]`` its slot or -1.

@njit(cache=True, inline="always")
def _sift_up(heap, pos, key, i):
    node = heap[i]
    k = key[node]
    while i > 0:
        p = (i - 1) >> 2
        pn = heap[p]
        if key[pn] <= k:
            break
        heap[i] = pn
        pos[pn] = i
        i = p
    heap[i] = node
    pos[node] = i

@njit(cache=True, inline="always")
def _sift_down(heap, pos, key, size, i):
    node = heap[i]
    k = key[node]
    while True:
        c = 4 * i + 1
        if c >= size:
            break
        best = c
        bk = key[heap[c]]
        end = c + 4
        if end > size:
            end = size
        for j in range(c + 1, end):
            jk = key[heap[j]]
            if jk < bk:
                best = j
                bk = jk
        if bk >= k:
            break
        bn = heap[best]
        heap[i] = bn
        pos[bn] = i
        i = best
    heap[i] = node
    pos[node] = i

@njit(cache=True, inline="always")
def _push_or_decrease(heap, pos, key, size, node):
    """Insert ``node`` or restore order after its key decreased."""
    p = pos[node]
    if p < 0:
        heap[size] = node
        pos[node] = size
        _sift_up(heap, pos, key, size)
        return size + 1
    _sift_up(heap, pos, key, p)
    return size

@njit(cache=True, inline="always")
def _pop(heap, pos, key, size):
    node = heap[0]
    pos[node] = -1
    size -= 1
    if size > 0:
        last = heap[size]
        heap[0] = last
        pos[last] = 0
        _sift_down(heap, pos, key, size, 0)
    return node, size

# -- Dijkstra ------------------------------------------------------------

@njit(cache=True, nogil=True)
def _sssp(indptr, indices, data, seeds, limit, dist, pred, src, heap, pos, want_src):
    """Dijkstra from ``seeds`` (all at distance 0) into ``dist``/``pred``.

    ``heap`` and ``pos`` are scratch buffers of length n; ``pos`` must be
    all -1 on entry and is all -1 again on exit.
    """
    n = dist.shape[0]
    for v in range(n):
        dist[v] = np.inf
        pred[v] = -9999
    if want_src:
        for v in range(n):
            src[v] = -9999
    size = 0
    for s in seeds:
        if dist[s] != 0.0:
            dist[s] = 0.0
            if want_src:
                src[s] = s
            size = _push_or_decrease(heap, pos, dist, size, s)
    while size > 0:
        u, size = _pop(heap, pos, dist, size)
        du = dist[u]
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            nd = du + data[k]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                pred[v] = u
                if want_src:
                    src[v] = src[u]
                size = _push_or_decrease(heap, pos, dist, size, v)

@njit(cache=True, parallel=True, nogil=True)
def _sssp_many(indptr, indices, data, sources, limit, dist, pred, want_pred, n_chunks):
    """One Dijkstra per source, sources spread over threads."""
    n_src = sources.shape[0]
    n = dist.shape[1]
    for c in prange(n_chunks):
        heap = np.empty(n, np.int32)
        pos = np.full(n, -1, np.int32)
        scratch = np.empty(n, np.int32)
        seeds = np.empty(1, np.int64)
        for i in range(c, n_src, n_chunks):
            seeds[0] = sources[i]
            if want_pred:
                _sssp(indptr, indices, data, seeds, limit, dist[i], pred[i], scratch,
                      heap, pos, False)
            else:
                _sssp(indptr, indices, data, seeds, limit, dist[i], scratch, scratch,
                      heap, pos, False)

# -- Steiner tree: shortest-path heuristic with incremental repair ---------

@njit(cache=True, nogil=True)
def _sph(indptr, adj, adj_w, adj_e, is_term, root, n_edges):
    """Takahashi-Matsuyama from ``root``; returns a boolean edge mask.

    ``d`` is an upper bound of the distance to the current tree.  After a
    path is attached its nodes get label 0 and enter the node heap; the
    repair Dijkstra relaxes only strict improvements and is *lazy*: it pops
    nodes only while their label is not above the nearest unconnected
    terminal's, which makes every label up to that bound exact (so the
    terminal is truly the nearest) while far-away labels stay pending in
    the heap.  Unconnected terminals sit in a second indexed heap keyed by
    the same labels.
    """
    n = indptr.shape[0] - 1
    d = np.full(n, np.inf)
    pred_n = np.full(n, -1, np.int32)
    pred_e = np.full(n, -1, np.int32)
    in_tree = np.zeros(n, np.bool_)
    chosen = np.zeros(n_edges, np.bool_)
    heap = np.empty(n, np.int32)
    pos = np.full(n, -1, np.int32)
    theap = np.empty(n, np.int32)
    tpos = np.full(n, -1, np.int32)
    new_nodes = np.empty(n, np.int32)
    tsize = 0
    in_tree[root] = True
    d[root] = 0.0
    size = 1
    heap[0] = root
    pos[root] = 0
    while True:
        # drop terminals that joined the tree as part of an earlier path
        while tsize > 0 and in_tree[theap[0]]:
            _, tsize = _pop(theap, tpos, d, tsize)
        bound = d[theap[0]] if tsize > 0 else np.inf
        if size > 0 and d[heap[0]] <= bound:
            # lazy repair: settle labels only up to the nearest terminal
            u, size = _pop(heap, pos, d, size)
            du = d[u]
            for k in range(indptr[u], indptr[u + 1]):
                v = adj[k]
                nd = du + adj_w[k]
                if nd < d[v]:
                    d[v] = nd
                    pred_n[v] = u
                    pred_e[v] = adj_e[k]
                    size = _push_or_decrease(heap, pos, d, size, v)
                    if is_term[v] and not in_tree[v]:
                        tsize = _push_or_decrease(theap, tpos, d, tsize, v)
            continue
        if tsize == 0:
            break
        # every label <= bound is exact: attach the nearest terminal
        t, tsize = _pop(theap, tpos, d, tsize)
        n_new = 0
        v = t
        while not in_tree[v]:
            in_tree[v] = True
            chosen[pred_e[v]] = True
            new_nodes[n_new] = v
            n_new += 1
            v = pred_n[v]
        for i in range(n_new):
            v = new_nodes[i]
            d[v] = 0.0
            pred_n[v] = -1
            pred_e[v] = -1
            if tpos[v] >= 0:  # keep the terminal heap ordered; skipped when on top
                _sift_up(theap, tpos, d, tpos[v])
            size = _push_or_decrease(heap, pos, d, size, v)
    return chosen, in_tree


# -- Steiner tree: local search ---------------------------------------------


@njit(cache=True, nogil=True)
def _tree_degrees(edge_u, edge_v, chosen, n):
    deg = np.zeros(n, np.int32)
    for e in range(chosen.shape[0]):
        if chosen[e]:
            deg[edge_u[e]] += 1
            deg[edge_v[e]] += 1
    return deg


@njit(cache=True, nogil=True)
def _prune_leaves(indptr, adj, adj_e, is_term, chosen, deg):
    """Repeatedly drop non-terminal leaves; returns the weight-free count removed."""
    n = deg.shape[0]
    stack = np.empty(n, np.int32)
    top = 0
    for v in range(n):
        if deg[v] == 1 and not is_term[v]:
            stack[top] = v
            top += 1
    removed = 0
    while top > 0:
        top -= 1
        v = stack[top]
        if deg[v] != 1:
            continue
        for k in range(indptr[v], indptr[v + 1]):
            e = adj_e[k]
            if chosen[e]:
                chosen[e] = False
                removed += 1
                deg[v] -= 1
                x = adj[k]
                deg[x] -= 1
                if deg[x] == 1 and not is_term[x]:
                    stack[top] = x
                    top += 1
                break
    return removed


@njit(cache=True, nogil=True)
def _find(parent, x):
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        nxt = parent[x]
        parent[x] = root
        x = nxt
    return root


@njit(cache=True, nogil=True)
def _mst_prune(indptr, adj, adj_e, edge_u, edge_v, edge_w, is_term, chosen):
    """Replace the tree by the MST of the subgraph induced by its nodes, then
    drop non-terminal leaves.  Works in place on ``chosen``."""
    n = indptr.shape[0] - 1
    m = chosen.shape[0]
    deg = _tree_degrees(edge_u, edge_v, chosen, n)
    n_cand = 0
    cand = np.empty(m, np.int64)
    for e in range(m):
        a = edge_u[e]
        b = edge_v[e]
        if a != b and deg[a] > 0 and deg[b] > 0:
            cand[n_cand] = e
            n_cand += 1
    cand = cand[:n_cand]
    order = np.argsort(edge_w[cand], kind="mergesort")
    parent = np.arange(n).astype(np.int32)
    for e in range(m):
        chosen[e] = False
    for i in range(n_cand):
        e = cand[order[i]]
        ra = _find(parent, edge_u[e])
        rb = _find(parent, edge_v[e])
        if ra != rb:
            parent[ra] = rb
            chosen[e] = True
    deg = _tree_degrees(edge_u, edge_v, chosen, n)
    _prune_leaves(indptr, adj, adj_e, is_term, chosen, deg)


@njit(cache=True, nogil=True)
def _key_path_exchange(indptr, adj, adj_w, adj_e, edge_u, edge_v, edge_w, is_term, chosen):
    """One pass of key-path exchange; returns the total cost saved.

    A key path joins two key nodes (terminals or tree nodes of degree >= 3)
    through non-terminal nodes of degree 2.  Each is removed in turn (most
    expensive first); the smaller of the two resulting components is found
    by a breadth-first search run alternately from both ends, and a
    Dijkstra seeded from it (distance 0), bounded by the path's cost, looks
    for the cheapest way back to the other component.  If one is cheaper
    the tree is reconnected through it, otherwise the path is restored.
    """
    n = indptr.shape[0] - 1
    deg = _tree_degrees(edge_u, edge_v, chosen, n)
    in_tree = deg > 0
    n_tree_edges = 0
    for e in range(chosen.shape[0]):
        if chosen[e]:
            n_tree_edges += 1
    # -- enumerate key paths (each once, from its smaller end) --
    p_edges = np.empty(n_tree_edges, np.int32)
    p_ptr = np.zeros(n_tree_edges + 1, np.int64)
    p_a = np.empty(n_tree_edges, np.int32)
    p_b = np.empty(n_tree_edges, np.int32)
    p_cost = np.empty(n_tree_edges, np.float64)
    n_paths = 0
    n_pe = 0
    buf = np.empty(n_tree_edges, np.int32)
    for s in range(n):
        if not in_tree[s] or not (is_term[s] or deg[s] >= 3):
            continue
        for k0 in range(indptr[s], indptr[s + 1]):
            e0 = adj_e[k0]
            if not chosen[e0]:
                continue
            nb = 0
            buf[nb] = e0
            nb += 1
            cost = edge_w[e0]
            prev_e = e0
            cur = adj[k0]
            while not (is_term[cur] or deg[cur] >= 3):
                # degree-2 non-terminal: follow the other tree edge
                for k in range(indptr[cur], indptr[cur + 1]):
                    e = adj_e[k]
                    if chosen[e] and e != prev_e:
                        buf[nb] = e
                        nb += 1
                        cost += edge_w[e]
                        prev_e = e
                        cur = adj[k]
                        break
            if s < cur:
                for i in range(nb):
                    p_edges[n_pe + i] = buf[i]
                n_pe += nb
                p_a[n_paths] = s
                p_b[n_paths] = cur
                p_cost[n_paths] = cost
                n_paths += 1
                p_ptr[n_paths] = n_pe
    order = np.argsort(-p_cost[:n_paths], kind="mergesort")
    # -- scratch for the searches --
    dd = np.full(n, np.inf)
    pred_n = np.full(n, -1, np.int32)
    pred_e = np.full(n, -1, np.int32)
    heap = np.empty(n, np.int32)
    pos = np.full(n, -1, np.int32)
    touched = np.empty(n, np.int32)
    side = np.zeros(n, np.int32)  # +stamp: reached from a, -stamp: from b
    qa = np.empty(n, np.int32)
    qb = np.empty(n, np.int32)
    gained = 0.0
    stamp = 0
    for oi in range(n_paths):
        p = order[oi]
        a = p_a[p]
        b = p_b[p]
        L = p_cost[p]
        if L <= 0.0:
            continue
        lo = p_ptr[p]
        hi = p_ptr[p + 1]
        # still a chain of tree edges through unbranched non-terminals?
        ok = in_tree[a] and in_tree[b]
        for i in range(lo, hi):
            if not chosen[p_edges[i]]:
                ok = False
                break
        if not ok:
            continue
        x = a
        for i in range(lo, hi - 1):
            e = p_edges[i]
            x = edge_v[e] if edge_u[e] == x else edge_u[e]
            if deg[x] != 2 or is_term[x]:
                ok = False
                break
        if not ok:
            continue
        # remove the path
        x = a
        for i in range(lo, hi):
            e = p_edges[i]
            chosen[e] = False
            deg[edge_u[e]] -= 1
            deg[edge_v[e]] -= 1
            x = edge_v[e] if edge_u[e] == x else edge_u[e]
            if i < hi - 1:
                in_tree[x] = False
        # smaller component: alternate BFS from a and b
        stamp += 1
        ha = 0
        ta = 1
        hb = 0
        tb = 1
        qa[0] = a
        qb[0] = b
        side[a] = stamp
        side[b] = -stamp
        small_is_a = True
        while True:
            if ha == ta:
                small_is_a = True
                break
            if hb == tb:
                small_is_a = False
                break
            u = qa[ha]
            ha += 1
            for k in range(indptr[u], indptr[u + 1]):
                if chosen[adj_e[k]]:
                    v = adj[k]
                    if side[v] != stamp:
                        side[v] = stamp
                        qa[ta] = v
                        ta += 1
            u = qb[hb]
            hb += 1
            for k in range(indptr[u], indptr[u + 1]):
                if chosen[adj_e[k]]:
                    v = adj[k]
                    if side[v] != -stamp:
                        side[v] = -stamp
                        qb[tb] = v
                        tb += 1
        if small_is_a:
            q = qa
            nq = ta
            mark = stamp
        else:
            q = qb
            nq = tb
            mark = -stamp
        bound = L - 1e-12 * L
        # bounded Dijkstra from the small side (all at distance 0)
        n_t = 0
        size = 0
        for i in range(nq):
            s = q[i]
            for k in range(indptr[s], indptr[s + 1]):
                v = adj[k]
                if side[v] == mark:
                    continue
                nd = adj_w[k]
                if nd < dd[v] and nd < bound:
                    if dd[v] == np.inf:
                        touched[n_t] = v
                        n_t += 1
                    dd[v] = nd
                    pred_n[v] = s
                    pred_e[v] = adj_e[k]
                    size = _push_or_decrease(heap, pos, dd, size, v)
        target = -1
        while size > 0:
            u, size = _pop(heap, pos, dd, size)
            if in_tree[u]:  # a tree node outside the small side: other component
                target = u
                break
            du = dd[u]
            for k in range(indptr[u], indptr[u + 1]):
                v = adj[k]
                if side[v] == mark:
                    continue
                nd = du + adj_w[k]
                if nd < dd[v] and nd < bound:
                    if dd[v] == np.inf:
                        touched[n_t] = v
                        n_t += 1
                    dd[v] = nd
                    pred_n[v] = u
                    pred_e[v] = adj_e[k]
                    size = _push_or_decrease(heap, pos, dd, size, v)
        for i in range(size):
            pos[heap[i]] = -1
        if target >= 0:
            gained += L - dd[target]
            v = target
            while side[v] != mark:
                e = pred_e[v]
                chosen[e] = True
                deg[edge_u[e]] += 1
                deg[edge_v[e]] += 1
                in_tree[v] = True
                v = pred_n[v]
        else:  # restore the path
            x = a
            for i in range(lo, hi):
                e = p_edges[i]
                chosen[e] = True
                deg[edge_u[e]] += 1
                deg[edge_v[e]] += 1
                x = edge_v[e] if edge_u[e] == x else edge_u[e]
                in_tree[x] = True
        for i in range(n_t):
            dd[touched[i]] = np.inf
    return gained


@njit(cache=True, nogil=True)
def _local_search(indptr, adj, adj_w, adj_e, edge_u, edge_v, edge_w, is_term, chosen,
                  max_rounds):
    """MST-prune and key-path exchange, repeated until no round saves cost."""
    for _ in range(max_rounds):
        before = 0.0
        for e in range(chosen.shape[0]):
            if chosen[e]:
                before += edge_w[e]
        _mst_prune(indptr, adj, adj_e, edge_u, edge_v, edge_w, is_term, chosen)
        gain = _key_path_exchange(indptr, adj, adj_w, adj_e, edge_u, edge_v, edge_w,
                                  is_term, chosen)
        after = 0.0
        for e in range(chosen.shape[0]):
            if chosen[e]:
                after += edge_w[e]
        if gain <= 1e-12 * before and after >= before - 1e-12 * before:
            break
    _mst_prune(indptr, adj, adj_e, edge_u, edge_v, edge_w, is_term, chosen)



# ---------------------------------------------------------------------------
# graph conversion helpers
# ---------------------------------------------------------------------------


def csr_arrays(csgraph: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
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
        ``indptr`` (int32 or int64), ``indices`` (int32), ``data`` (float64)
        and the number of nodes.  Arrays are not copied when they already
        have these dtypes.
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import csgraph_from_dense

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
    indptr = np.asarray(mat.indptr)
    if indptr.dtype not in (np.int32, np.int64):
        indptr = indptr.astype(np.int64)
    indices = np.asarray(mat.indices, dtype=np.int32)
    data = np.asarray(mat.data, dtype=np.float64)
    return indptr, indices, data, n


def _symmetrize(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays of ``A`` plus ``A.T`` (each edge usable both ways)."""
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(indptr))
    src = np.concatenate([rows, indices])
    dst = np.concatenate([indices, rows])
    w = np.concatenate([data, data])
    order = np.argsort(src, kind="stable")
    new_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=new_ptr[1:])
    return new_ptr, dst[order].astype(np.int32), w[order]


def edges_to_csr(
    n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
        appears once from each end; self-loops are dropped.
    """
    u = np.asarray(edge_u, dtype=np.int64)
    v = np.asarray(edge_v, dtype=np.int64)
    w = np.asarray(edge_w, dtype=np.float64)
    eid = np.arange(u.shape[0], dtype=np.int32)
    keep = u != v
    u, v, w, eid = u[keep], v[keep], w[keep], eid[keep]
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n_nodes), out=indptr[1:])
    return (
        indptr,
        dst[order].astype(np.int32),
        np.concatenate([w, w])[order],
        np.concatenate([eid, eid])[order],
    )


def locality_order(csgraph: Any) -> np.ndarray:
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
    import scipy.sparse as sp
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    mat = sp.csr_matrix(csgraph)
    sym = (mat + mat.T).tocsr()
    return np.asarray(reverse_cuthill_mckee(sym, symmetric_mode=True), dtype=np.int64)


def permute_graph(csgraph: Any, order: np.ndarray) -> scipy.sparse.csr_matrix:
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
    import scipy.sparse as sp

    mat = sp.csr_matrix(csgraph)
    return mat[order][:, order].tocsr()


# ---------------------------------------------------------------------------
# Dijkstra
# ---------------------------------------------------------------------------


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
    if data.size and np.nanmin(data) < 0:
        raise ValueError(
            "Graph has negative weights: dijkstra needs non-negative weights "
            "(use scipy.sparse.csgraph.johnson or bellman_ford)."
        )
    if not directed:
        indptr, idx, data = _symmetrize(indptr, idx, data, n)

    scalar = indices is not None and np.ndim(indices) == 0
    if indices is None:
        src = np.arange(n, dtype=np.int64)
    else:
        src = np.atleast_1d(np.asarray(indices)).astype(np.int64).ravel()
        if src.size and (src.min() < -n or src.max() >= n):
            raise ValueError("indices out of range 0...N")
        src = np.where(src < 0, src + n, src)

    if min_only:
        dist = np.empty(n, dtype=np.float64)
        pred = np.empty(n, dtype=np.int32)
        sources = np.empty(n, dtype=np.int32)
        heap = np.empty(n, dtype=np.int32)
        pos = np.full(n, -1, dtype=np.int32)
        _sssp(indptr, idx, data, src, limit, dist, pred, sources, heap, pos, True)
        if return_predecessors:
            return dist, pred, sources
        return dist

    if scalar:
        dist = np.empty(n, dtype=np.float64)
        pred = np.empty(n, dtype=np.int32)
        heap = np.empty(n, dtype=np.int32)
        pos = np.full(n, -1, dtype=np.int32)
        _sssp(indptr, idx, data, src, limit, dist, pred, pred, heap, pos, False)
        return (dist, pred) if return_predecessors else dist

    dist = np.empty((src.size, n), dtype=np.float64)
    pred = np.empty((src.size, n) if return_predecessors else (0, 0), dtype=np.int32)
    if src.size:
        import numba

        n_chunks = min(src.size, 4 * numba.get_num_threads())
        _sssp_many(
            indptr, idx, data, src, limit, dist, pred, bool(return_predecessors), n_chunks
        )
    return (dist, pred) if return_predecessors else dist


# ---------------------------------------------------------------------------
# Steiner trees
# ---------------------------------------------------------------------------


def _check_edges(
    n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, edge_w: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = np.asarray(edge_u, dtype=np.int64).ravel()
    v = np.asarray(edge_v, dtype=np.int64).ravel()
    w = (
        np.zeros(u.shape[0], dtype=np.float64)
        if edge_w is None
        else np.asarray(edge_w, dtype=np.float64).ravel()
    )
    if not (u.shape == v.shape == w.shape):
        raise ValueError("edge_u, edge_v and edge_w must have the same length")
    if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n_nodes):
        raise ValueError(f"edge end nodes must lie in 0..{n_nodes - 1}")
    if w.size and not (np.all(np.isfinite(w)) and w.min() >= 0):
        raise ValueError("edge weights must be finite and >= 0")
    return u, v, w


def reachable_mask(n_nodes: int, edge_u: np.ndarray, edge_v: np.ndarray, root: int) -> np.ndarray:
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
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    u, v, _ = _check_edges(n_nodes, edge_u, edge_v)
    mat = sp.csr_matrix((np.ones(u.size, dtype=np.int8), (u, v)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(mat, directed=False)
    return labels == labels[int(root)]


def tree_cost(edge_w: np.ndarray, edges: np.ndarray) -> float:
    """Total weight of the edges ``edges`` (indices into ``edge_w``)."""
    return float(np.asarray(edge_w, dtype=np.float64)[np.asarray(edges, dtype=np.int64)].sum())


def steiner_tree_edges(
    n_nodes: int,
    edge_u: np.ndarray,
    edge_v: np.ndarray,
    edge_w: np.ndarray,
    terminals: np.ndarray,
    root: int | None = None,
    local_search: bool = True,
    max_rounds: int = 20,
) -> np.ndarray:
    """Approximate minimum Steiner tree of an undirected edge list.

    Parameters
    ----------
    n_nodes
        Number of nodes; node ids are ``0 .. n_nodes - 1``.
    edge_u, edge_v, edge_w
        End nodes and non-negative weight of each edge; parallel edges are
        allowed, self-loops are ignored.
    terminals
        Node ids the tree must connect.
    root
        Node the tree grows from (it is always part of the tree); defaults to
        ``terminals[0]``.
    local_search
        Improve the shortest-path-heuristic tree by local search (MST over
        the tree's nodes with leaf pruning, key-path exchange).
    max_rounds
        Upper bound on local-search rounds (it stops earlier when a round
        saves nothing).

    Returns
    -------
    numpy.ndarray
        Sorted int64 indices of the chosen edges; they form a tree that
        spans all terminals and whose leaves are all terminals (or the
        root).  Empty if there is only one distinct terminal.

    Raises
    ------
    UnreachableError
        If some terminals are not connected to the root; the error lists
        them (remove them first, see :func:`reachable_mask`).
    ValueError
        On malformed input (ids out of range, negative weights).
    """
    u, v, w = _check_edges(n_nodes, edge_u, edge_v, edge_w)
    terms = np.unique(np.asarray(terminals, dtype=np.int64).ravel())
    if terms.size == 0 and root is None:
        return np.empty(0, dtype=np.int64)
    if terms.size and (terms.min() < 0 or terms.max() >= n_nodes):
        raise ValueError(f"terminal ids must lie in 0..{n_nodes - 1}")
    r = int(terms[0] if root is None else root)
    if not 0 <= r < n_nodes:
        raise ValueError(f"root must lie in 0..{n_nodes - 1}")
    reach = reachable_mask(n_nodes, u, v, r)
    bad = terms[~reach[terms]]
    if bad.size:
        shown = ", ".join(str(int(t)) for t in bad[:20])
        more = f" (and {bad.size - 20} more)" if bad.size > 20 else ""
        raise UnreachableError(
            f"{bad.size} terminal(s) are not connected to the root {r}",
            [
                Problem(
                    file="routing graph",
                    row=None,
                    message=f"terminals not connected to root {r}: {shown}{more}",
                    fix="remove unreachable terminals first (see planner.routing.reachable_mask)",
                )
            ],
        )
    is_term = np.zeros(n_nodes, dtype=np.bool_)
    is_term[terms] = True
    is_term[r] = True
    if int(is_term.sum()) <= 1:
        return np.empty(0, dtype=np.int64)
    indptr, adj, adj_w, adj_e = edges_to_csr(n_nodes, u, v, w)
    chosen, _ = _sph(indptr, adj, adj_w, adj_e, is_term, r, u.shape[0])
    if local_search:
        _local_search(indptr, adj, adj_w, adj_e, u, v, w, is_term, chosen, max_rounds)
    return np.flatnonzero(chosen).astype(np.int64)


def graph_to_edge_arrays(
    G: nx.Graph, weight: str | None = "weight"
) -> tuple[list[Hashable], np.ndarray, np.ndarray, np.ndarray, list[tuple]]:
    """Flatten a networkx graph into node list and edge arrays.

    Parameters
    ----------
    G
        Undirected networkx ``Graph`` or ``MultiGraph``.
    weight
        Edge attribute holding the weight; missing attributes (and
        ``weight=None``) count as 1, like networkx.

    Returns
    -------
    nodes : list
        Node keys in ``G.nodes`` order (position = integer id).
    edge_u, edge_v : numpy.ndarray
        int64 ids of the edge ends.
    edge_w : numpy.ndarray
        float64 weights.
    keys : list of tuple
        ``(u, v)`` or ``(u, v, key)`` per edge, in the same order.
    """
    nodes = list(G.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    if G.is_multigraph():
        keys = [(a, b, kk) for a, b, kk in G.edges(keys=True)]
        datas = [G.edges[a, b, kk] for a, b, kk in keys]
    else:
        keys = [(a, b) for a, b in G.edges()]
        datas = [G.edges[a, b] for a, b in keys]
    m = len(keys)
    edge_u = np.fromiter((index[e[0]] for e in keys), dtype=np.int64, count=m)
    edge_v = np.fromiter((index[e[1]] for e in keys), dtype=np.int64, count=m)
    if weight is None:
        edge_w = np.ones(m, dtype=np.float64)
    else:
        edge_w = np.fromiter((d.get(weight, 1) for d in datas), dtype=np.float64, count=m)
    return nodes, edge_u, edge_v, edge_w, keys


def steiner_tree(
    G: nx.Graph, terminal_nodes: Iterable[Hashable], weight: str = "weight"
) -> nx.Graph:
    """Approximate minimum Steiner tree, like networkx's ``steiner_tree``.

    Same contract as :func:`networkx.algorithms.approximation.steiner_tree`:
    an undirected graph and terminal node keys in, the tree as a subgraph
    view-free copy of ``G`` out (original node keys, node and edge
    attributes).  For a ``MultiGraph`` the cheapest of parallel edges is
    used and the result keeps that edge's key, as networkx does.

    Parameters
    ----------
    G
        Undirected, connected (between the terminals) networkx graph.
    terminal_nodes
        Nodes the tree must connect.
    weight
        Edge attribute holding the weight (missing -> 1).

    Returns
    -------
    networkx.Graph
        The tree, of the same class as ``G``.

    Raises
    ------
    networkx.NetworkXNotImplemented
        If ``G`` is directed.
    UnreachableError
        If the terminals are not all in one connected component.
    """
    import networkx as nx

    if G.is_directed():
        raise nx.NetworkXNotImplemented("not implemented for directed type")
    terms = list(dict.fromkeys(terminal_nodes))
    for t in terms:
        if t not in G:
            raise nx.NodeNotFound(f"terminal node {t!r} is not in the graph")
    nodes, eu, ev, ew, keys = graph_to_edge_arrays(G, weight)
    if not terms:
        return G.edge_subgraph([]).copy()
    index = {node: i for i, node in enumerate(nodes)}
    tid = np.array([index[t] for t in terms], dtype=np.int64)
    chosen = steiner_tree_edges(len(nodes), eu, ev, ew, tid, root=int(tid[0]))
    if chosen.size == 0:
        return G.subgraph(terms[:1]).copy()
    return G.edge_subgraph([keys[i] for i in chosen]).copy()


# ---------------------------------------------------------------------------
# warm-up
# ---------------------------------------------------------------------------


def warmup() -> None:
    """Compile (or load from the numba cache) every kernel on tiny inputs."""
    import scipy.sparse as sp

    mat = sp.csr_matrix(
        (np.array([1.0, 2.0, 1.0]), (np.array([0, 1, 0]), np.array([1, 2, 2]))), shape=(3, 3)
    )
    dijkstra(mat, indices=0, return_predecessors=True)
    dijkstra(mat, indices=[0, 1], return_predecessors=True)
    dijkstra(mat, indices=[0, 1])
    dijkstra(mat, indices=[0, 1], min_only=True, return_predecessors=True)
    steiner_tree_edges(
        4,
        np.array([0, 1, 2, 0]),
        np.array([1, 2, 3, 3]),
        np.array([1.0, 1.0, 1.0, 5.0]),
        np.array([0, 3]),
    )
