"""Key-path exchange: replace key paths of a Steiner tree by cheaper links (numba).

A *key path* joins two key nodes (terminals, the root or tree nodes of
degree >= 3) through non-terminal nodes of degree 2.  Every graph edge whose
ends lie in the Voronoi regions (:mod:`planner.routing.steiner.voronoi`) of
two different tree nodes ``p`` and ``q`` is a *link* of cost
``vd[x] + w + vd[y]`` that could replace any key path lying on the tree path
between ``p`` and ``q``.  Links are taken in increasing cost and paint, with
a union-find over the key tree, the key paths they cover that are not
painted yet, so each key path learns its cheapest replacement in
``O(m log m)``; links ending inside a key path also offer to replace a
segment of it.  The improving exchanges are then applied, largest saving
first, each after checking that it is still valid on the current tree (its
key path and link chains intact, and no key path on the tree path between
the link's ends exchanged already).

One round is three kernels (:func:`key_path_links`,
:func:`key_path_candidates`, :func:`key_path_apply`); the two sorts between
them run in Python (:func:`planner.routing.sort.argsort_f64`).

References
----------
E. Uchoa, R. F. Werneck (2012), "Fast local search for Steiner trees in
graphs", ALENEX 2010, 1-10.
"""

from __future__ import annotations

import numpy as np

from planner.routing._jit import B1, F64, I32, I64, kernel
from planner.routing.steiner.mst import find

__all__ = ["key_path_links", "key_path_candidates", "key_path_apply", "static_path_intact"]


@kernel()
def key_path_links(edge_u: I64, edge_v: I64, edge_w: F64, is_term: B1, chosen: B1, root: int, deg: I32,
                   parent: I32, parent_e: I32, preorder: I32, n_seen: int, vd: F64,
                   base: I32) -> tuple[B1, I32, I32, F64, F64, I32, F64]:
    """Key structure of the tree and the links that could replace a key path.

    Parameters
    ----------
    edge_u, edge_v, edge_w
        Edges.
    is_term, chosen, root
        Terminals, the tree's edge mask and its root.
    deg, parent, parent_e, preorder, n_seen
        Tree degrees and DFS (:func:`planner.routing.steiner.dfs.tree_dfs`).
    vd, base
        Voronoi regions of the tree's nodes.

    Returns
    -------
    tuple
        ``key`` (key-node mask), ``anc_key`` (nearest key node strictly
        above), ``low_key`` (for inner nodes of a key path: its key node
        below), ``up_cost`` (cost up to the next key node), ``path_cost``
        (cost of the key path a key node is the lower end of), ``link`` and
        ``link_cost`` (edges between two regions cheaper than the longest key
        path, and their cost through the regions).
    """
    n = deg.shape[0]
    m = chosen.shape[0]
    key = np.zeros(n, np.bool_)
    for i in range(n_seen):
        v = preorder[i]
        key[v] = is_term[v] or deg[v] >= 3 or v == root
    anc_key = np.full(n, -1, np.int32)  # nearest key node strictly above
    for i in range(1, n_seen):
        v = preorder[i]
        p = parent[v]
        anc_key[v] = p if key[p] else anc_key[p]
    low_key = np.full(n, -1, np.int32)  # for inner nodes: key node below
    for i in range(n_seen - 1, 0, -1):
        v = preorder[i]
        p = parent[v]
        if not key[p]:
            low_key[p] = v if key[v] else low_key[v]
    # up_cost[v]: cost from v up to the next key node; for a key node that is
    # the cost of the key path it is the lower end of
    up_cost = np.zeros(n, np.float64)
    for i in range(1, n_seen):
        v = preorder[i]
        p = parent[v]
        up_cost[v] = edge_w[parent_e[v]] + (0.0 if key[p] else up_cost[p])
    path_cost = np.zeros(n, np.float64)
    for i in range(1, n_seen):
        v = preorder[i]
        if key[v]:
            path_cost[v] = up_cost[v]
    # -- links between Voronoi regions, cheapest first --
    max_path = 0.0
    for i in range(n_seen):
        if path_cost[preorder[i]] > max_path:
            max_path = path_cost[preorder[i]]
    link = np.empty(m, np.int32)
    link_cost = np.empty(m, np.float64)
    n_links = 0
    for e in range(m):
        if chosen[e]:
            continue
        x = edge_u[e]
        y = edge_v[e]
        if base[x] < 0 or base[y] < 0 or base[x] == base[y]:
            continue
        c = vd[x] + edge_w[e] + vd[y]
        if c >= max_path:  # cannot replace any key path
            continue
        link[n_links] = e
        link_cost[n_links] = c
        n_links += 1
    link = link[:n_links]
    link_cost = link_cost[:n_links]
    return key, anc_key, low_key, up_cost, path_cost, link, link_cost


@kernel()
def key_path_candidates(edge_u: I64, edge_v: I64, tin: I32, tout: I32, preorder: I32, n_seen: int, base: I32,
                        key: B1, anc_key: I32, low_key: I32, up_cost: F64, path_cost: F64, link: I32,
                        link_cost: F64, order: I64) -> tuple[I32, I32, I32, I32, F64]:
    """Improving exchanges: whole key paths (by painting in link order ``order``) and key-path segments.

    Returns ``(lo, hi, key, link, gain)`` per candidate: the tree segment
    from ``lo`` up to ``hi`` of the key path with lower key node ``key`` is
    replaced by link ``link`` (an index into ``link``), saving ``gain``.
    """
    n = key.shape[0]
    n_links = link.shape[0]
    dsu = np.empty(n, np.int32)
    info = np.empty((n, 4), np.int32)  # tin, tout, anc_key, low_key: one cache line per node
    for x in range(n):
        dsu[x] = x
        info[x, 0] = tin[x]
        info[x, 1] = tout[x]
        info[x, 2] = anc_key[x]
        info[x, 3] = low_key[x]
    lp = np.empty(n_links, np.int32)  # regions of the link ends, gathered in edge order
    lq = np.empty(n_links, np.int32)
    for li in range(n_links):
        e = link[li]
        lp[li] = base[edge_u[e]]
        lq[li] = base[edge_v[e]]
    best = np.full(n, -1, np.int32)  # best link index per lower key node
    for oi in range(n_links):  # random order: the packed arrays above save cache misses
        li = order[oi]
        p = lp[li]
        q = lq[li]
        for side in range(2):
            if side == 1:
                p, q = q, p
            tq = info[q, 0]
            if not key[p] and info[p, 0] < tq and tq <= info[p, 1]:
                # p is inside a key path and the link goes down from it:
                # paint from q's key node up to (excluding) the key node below p
                c = info[p, 3]
                tc = info[c, 0]
                oc = info[c, 1]
                kq = q if key[q] else info[q, 2]
                y = find(dsu, int(kq))
                while y != c and tc < info[y, 0] and info[y, 0] <= oc:
                    best[y] = li
                    a = info[y, 2]
                    dsu[y] = a
                    y = find(dsu, int(a))
                break
        else:
            for side in range(2):
                if side == 1:
                    p, q = q, p
                tq = info[q, 0]
                kp = p if key[p] else info[p, 2]
                x = find(dsu, int(kp))
                while not (info[x, 0] <= tq and tq <= info[x, 1]):
                    best[x] = li
                    a = info[x, 2]
                    dsu[x] = a
                    x = find(dsu, int(a))
    # -- candidate exchanges: a segment (lo up to hi along the tree) of one key
    # path (lower key node ck) replaced by a link --
    max_c = n_seen + 2 * n_links
    c_lo = np.empty(max_c, np.int32)
    c_hi = np.empty(max_c, np.int32)
    c_key = np.empty(max_c, np.int32)
    c_link = np.empty(max_c, np.int32)
    c_gain = np.empty(max_c, np.float64)
    n_cand = 0
    for i in range(1, n_seen):  # whole key paths (from the painting)
        v = preorder[i]
        if key[v] and best[v] >= 0:
            g = path_cost[v] - link_cost[best[v]]
            if g > 1e-9 * path_cost[v]:
                c_lo[n_cand] = v
                c_hi[n_cand] = anc_key[v]
                c_key[n_cand] = v
                c_link[n_cand] = best[v]
                c_gain[n_cand] = g
                n_cand += 1
    for li in range(n_links):  # part of a key path, for links ending inside one
        for side in range(2):
            p = lp[li] if side == 0 else lq[li]
            q = lq[li] if side == 0 else lp[li]
            if key[p]:
                continue
            ck = low_key[p]
            if tin[p] < tin[q] and tin[q] <= tout[p]:  # the link leaves p downwards
                lo = q if (not key[q] and low_key[q] == ck) else ck
                hi = p
            else:
                if not key[q] and low_key[q] == ck:
                    continue  # q above p on the same key path: found from q's side
                lo = p
                hi = anc_key[p]
            seg = up_cost[lo] - (0.0 if key[hi] else up_cost[hi])
            g = seg - link_cost[li]
            if g > 1e-9 * seg:
                c_lo[n_cand] = lo
                c_hi[n_cand] = hi
                c_key[n_cand] = ck
                c_link[n_cand] = li
                c_gain[n_cand] = g
                n_cand += 1
    return c_lo[:n_cand], c_hi[:n_cand], c_key[:n_cand], c_link[:n_cand], c_gain[:n_cand]


@kernel()
def key_path_apply(edge_u: I64, edge_v: I64, is_term: B1, chosen: B1, deg: I32, parent: I32, parent_e: I32,
                   tin: I32, tout: I32, base: I32, vpred_n: I32, vpred_e: I32, key: B1, anc_key: I32,
                   low_key: I32, link: I32, c_lo: I32, c_hi: I32, c_key: I32, c_link: I32, c_gain: F64,
                   corder: I64) -> float:
    """Apply the candidate exchanges in the order ``corder`` (largest gain first) while still valid.

    ``chosen`` and ``deg`` are updated; returns the total cost saved.
    """
    # -- apply them, largest saving first, while still valid --
    n = deg.shape[0]
    in_tree = deg > 0
    n_cand = c_lo.shape[0]
    removed = np.zeros(n, np.bool_)  # key paths (by lower key node) already cut
    gained = 0.0
    for ci in range(n_cand):
        j = corder[ci]
        lo = c_lo[j]
        hi = c_hi[j]
        li = c_link[j]
        e_link = link[li]
        lx = edge_u[e_link]
        ly = edge_v[e_link]
        p = base[lx]
        q = base[ly]
        ok = not removed[c_key[j]] and in_tree[p] and in_tree[q]
        ok = ok and (key[p] or not removed[low_key[p]])
        ok = ok and (key[q] or not removed[low_key[q]])
        # segment still a chain of tree edges through unbranched non-terminals?
        x = lo
        while ok:
            if not chosen[parent_e[x]]:
                ok = False
                break
            x = parent[x]
            if x == hi:
                break
            if deg[x] != 2 or is_term[x] or x == p or x == q:
                ok = False
        # the rest of the tree path p..q is unchanged if none of its key paths
        # was cut (then the link still closes a cycle through the segment)
        ok = ok and static_path_intact(p, q, key, anc_key, low_key, tin, tout, removed)
        # link chains still outside the tree?
        for start in (lx, ly):
            x = start
            while ok and not (x == p or x == q):
                if in_tree[x]:
                    ok = False
                x = vpred_n[x]
        if not ok:
            continue
        x = lo
        while x != hi:
            e = parent_e[x]
            chosen[e] = False
            deg[edge_u[e]] -= 1
            deg[edge_v[e]] -= 1
            if x != lo:
                in_tree[x] = False
            x = parent[x]
        removed[c_key[j]] = True
        gained += c_gain[j]
        chosen[e_link] = True
        deg[lx] += 1
        deg[ly] += 1
        for start in (lx, ly):
            x = start
            while not in_tree[x]:
                in_tree[x] = True
                e = vpred_e[x]
                chosen[e] = True
                deg[edge_u[e]] += 1
                deg[edge_v[e]] += 1
                x = vpred_n[x]
    return gained


@kernel(helper=True)
def static_path_intact(p: int, q: int, key: B1, anc_key: I32, low_key: I32, tin: I32, tout: I32,
                       removed: B1) -> bool:
    """True if no key path on the (pre-round) tree path ``p``..``q`` is removed."""
    for side in range(2):
        if side == 1:
            p, q = q, p
        if not key[p] and tin[p] < tin[q] and tin[q] <= tout[p]:
            c = low_key[p]
            y = q if key[q] else anc_key[q]
            while y != c and tin[c] < tin[y] and tin[y] <= tout[c]:
                if removed[y]:
                    return False
                y = anc_key[y]
            return True
    for side in range(2):
        if side == 1:
            p, q = q, p
        x = p if key[p] else anc_key[p]
        while not (tin[x] <= tin[q] and tin[q] <= tout[x]):
            if removed[x]:
                return False
            x = anc_key[x]
    return True
