"""Numba kernels of the cabinet partition: the greedy start, the local search, the parts.

Private to :mod:`planner.network.partition` (which documents the problem and
the method); the cost of one part and its re-cuts are in
:mod:`planner.network._partcost`.  Kernels raise plain ``ValueError``.
"""

from __future__ import annotations

import numpy as np

from planner.network._partcost import (
    SMALL_SET,
    _best_split,
    _best_split3,
    _block,
    _child_tops,
    _collect,
    _cost_of,
    _eval_part,
    _subtree_sums,
    _without_block,
)
from planner.routing._jit import kernel

__all__ = ["SMALL_SET", "_greedy", "_improve", "_parts"]

_INF = np.inf


# ---------------------------------------------------------------------------
# greedy start and local search
# ---------------------------------------------------------------------------


@kernel()
def _greedy(parent: np.ndarray, plen: np.ndarray, load: np.ndarray, pre: np.ndarray, cap: int,
            reach: float) -> np.ndarray:
    """Fewest connected parts within ``cap`` (and diameter ``reach``): cut flags per node."""
    n = parent.size
    cut = np.zeros(n, np.bool_)
    ol = load.copy()
    h = np.full(n, -_INF)
    for v in range(n):
        if load[v] > 0:
            h[v] = 0.0
    # children lists
    nchild = np.zeros(n + 1, np.int64)
    for v in range(n):
        if parent[v] >= 0:
            nchild[parent[v] + 1] += 1
    start = np.empty(n + 1, np.int64)  # a running sum (np.cumsum would compile one more kernel)
    acc = 0
    for v in range(n + 1):
        acc += nchild[v]
        start[v] = acc
    fill = start[:-1].copy()
    kids = np.empty(start[-1] if start[-1] > 0 else 1, np.int64)
    for v in range(n):
        p = parent[v]
        if p >= 0:
            kids[fill[p]] = v
            fill[p] += 1
    for i in range(n - 1, -1, -1):
        v = pre[i]
        a, b = start[v], start[v + 1]
        tot = load[v]
        for j in range(a, b):
            tot += ol[kids[j]]
        while tot > cap:  # cut the heaviest child part (ties: lowest id)
            bj = -1
            for j in range(a, b):
                c = kids[j]
                if not cut[c] and ol[c] > 0 and (bj < 0 or ol[c] > ol[kids[bj]]):
                    bj = j
            if bj < 0:
                raise ValueError("a node's own load exceeds the capacity")
            cut[kids[bj]] = True
            tot -= ol[kids[bj]]
        own = 0.0 if load[v] > 0 else -_INF
        while True:  # keep two loaded nodes at most `reach` apart: cut the farthest child part
            b1 = own
            b2 = -_INF
            cj = -1
            for j in range(a, b):
                c = kids[j]
                if cut[c] or h[c] == -_INF:
                    continue
                x = h[c] + plen[c]
                if cj < 0 or x > h[kids[cj]] + plen[kids[cj]]:
                    cj = j
                if x > b1:
                    b2 = b1
                    b1 = x
                elif x > b2:
                    b2 = x
            if cj < 0 or b2 == -_INF or b1 + b2 <= reach:
                break
            cut[kids[cj]] = True
            tot -= ol[kids[cj]]
        ol[v] = tot
        hv = own
        for j in range(a, b):
            c = kids[j]
            if not cut[c] and h[c] > -_INF and h[c] + plen[c] > hv:
                hv = h[c] + plen[c]
        h[v] = hv
    return cut


@kernel(helper=True)
def _better(new: float, now: float) -> bool:
    """``new`` improves on ``now`` by more than rounding (any finite cost improves on an infeasible one)."""
    if now == _INF:
        return new < _INF
    return new < now - 1e-9 * (1.0 + abs(now))


@kernel(helper=True)
def _top_of(v: int, parent: np.ndarray, cut: np.ndarray) -> int:
    while parent[v] >= 0 and not cut[v]:
        v = parent[v]
    return v


@kernel()
def _improve(parent: np.ndarray, plen: np.ndarray, depth: np.ndarray, load: np.ndarray, weight: np.ndarray,
             allowed: np.ndarray, pre: np.ndarray, pos: np.ndarray, size: np.ndarray, cut: np.ndarray, phi: np.ndarray,
             lam: float, reach: float, fw: np.ndarray, iw: np.ndarray, max_passes: int,
             small_set: int | None) -> int:
    """Local search over adjacent parts; updates ``cut``.

    ``small_set`` (an int) adds the re-cuts of pairs and triples of up to that
    many nodes into three parts (O(m^3) each) once the pair passes converge;
    with ``None`` numba prunes that code before typing, so the three-part
    search is compiled only for the runs that use it.  ``fw``, ``iw``: the
    scratch space (:func:`_eval_part`).
    """
    n = parent.size
    loc = np.zeros(n, np.int64)
    idx = np.empty(n, np.int64)
    lpar = np.empty(n, np.int64)
    prev = np.empty(n, np.bool_)   # nodes whose part changed in the last pass
    flag0 = np.zeros(n, np.bool_)
    since3 = np.empty(n, np.bool_)  # nodes whose part changed since the last pass over triples
    for i in range(n):
        prev[i] = since3[i] = True
    tops = np.empty(n, np.int64)
    cur = np.zeros(n, np.bool_)
    passes = 0
    while passes < max_passes:
        passes += 1
        moved = False
        for i in range(n):
            x = pre[i]
            if parent[x] < 0 or not cut[x]:
                continue
            ta = _top_of(parent[x], parent, cut)
            m, dirty = _collect(ta, x, pre, pos, size, parent, cut, loc, idx, lpar, prev, np.int64(-1))
            if not dirty:
                continue
            kx = loc[x]
            # current cost: part A (U without x's block) + part B (x's block)
            lsize, lload, sub_idx, sub_par = iw[1], iw[2], iw[3], iw[4]
            _subtree_sums(idx, lpar, m, load, lsize, lload)
            sb = lsize[kx]
            _block(idx, lpar, kx, sb, sub_idx, sub_par)
            cb, _ = _eval_part(sub_idx, sub_par, sb, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
            q = _without_block(idx, lpar, m, kx, sb, sub_idx, sub_par)
            ca, _ = _eval_part(sub_idx, sub_par, q, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
            now = ca + cb
            best, k = _best_split(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw,
                                  np.bool_(True))
            if k >= 0 and _better(best, now) and idx[k] != x:
                cut[x] = False
                if k > 0:
                    cut[idx[k]] = True
                for j in range(m):
                    cur[idx[j]] = True
                moved = True
        for i in range(n):  # split single parts
            t = pre[i]
            if parent[t] >= 0 and not cut[t]:
                continue
            m, dirty = _collect(t, np.int64(-1), pre, pos, size, parent, cut, loc, idx, lpar, prev, np.int64(-1))
            if not dirty or m < 2:
                continue
            now, _ = _eval_part(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
            best, k = _best_split(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw,
                                  np.bool_(False))
            if k > 0 and _better(best, now):
                cut[idx[k]] = True
                for j in range(m):
                    cur[idx[j]] = True
                moved = True
        if moved:
            for i in range(n):  # element-wise: array-to-array operations compile numba's
                since3[i] = since3[i] or cur[i]  # shape-error formatting (~1.6 s on a fresh cache)
                prev[i] = cur[i]
                cur[i] = False
            continue
        # converged on pairs: small pairs re-cut into three parts (two cuts) ...
        if small_set is not None:  # (`is None` tests on an argument: pruned by numba before typing)
            for i in range(n):
                x = pre[i]
                if parent[x] < 0 or not cut[x]:
                    continue
                ta = _top_of(parent[x], parent, cut)
                m, dirty = _collect(ta, x, pre, pos, size, parent, cut, loc, idx, lpar, since3, np.int64(-1))
                if not dirty or m > small_set:
                    continue
                now = (_cost_of(ta, pre, pos, size, parent, cut, loc, idx, lpar, flag0, plen, depth, load, weight,
                                allowed, phi, lam, reach, fw, iw)
                       + _cost_of(x, pre, pos, size, parent, cut, loc, idx, lpar, flag0, plen, depth, load, weight,
                                  allowed, phi, lam, reach, fw, iw))
                m, dirty = _collect(ta, x, pre, pos, size, parent, cut, loc, idx, lpar, since3, np.int64(-1))
                best, k1, k2 = _best_split3(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach,
                                            fw, iw)
                if k1 > 0 and _better(best, now):
                    cut[x] = False
                    cut[idx[k1]] = True
                    cut[idx[k2]] = True
                    for j in range(m):
                        cur[idx[j]] = True
                    moved = True
        # ... and three adjacent parts re-covered by at most two (one cut), or by three small ones --
        # fewer cabinets where a chain of pair moves would first have to pay for one more
        for i in range(n):
            x = pre[i]
            if parent[x] < 0 or not cut[x]:
                continue
            ta = _top_of(parent[x], parent, cut)
            k = _child_tops(ta, x, pre, pos, size, cut, tops)
            if parent[ta] >= 0:   # the part above A as the third one
                tops[k] = -2
                k += 1
            for j in range(k):
                y = tops[j]
                third = _top_of(parent[ta], parent, cut) if y == -2 else y
                if y != -2 and (third == x or not (pos[x] <= pos[y] < pos[x] + size[x]
                                                    or parent[y] >= 0 and _top_of(parent[y], parent, cut) == ta)):
                    continue
                now = (_cost_of(ta, pre, pos, size, parent, cut, loc, idx, lpar, flag0, plen, depth, load, weight,
                                allowed, phi, lam, reach, fw, iw)
                       + _cost_of(x, pre, pos, size, parent, cut, loc, idx, lpar, flag0, plen, depth, load, weight,
                                  allowed, phi, lam, reach, fw, iw)
                       + _cost_of(third, pre, pos, size, parent, cut, loc, idx, lpar, flag0, plen, depth, load,
                                  weight, allowed, phi, lam, reach, fw, iw))
                if y == -2:
                    m, dirty = _collect(third, ta, pre, pos, size, parent, cut, loc, idx, lpar, since3, x)
                else:
                    m, dirty = _collect(ta, x, pre, pos, size, parent, cut, loc, idx, lpar, since3, y)
                if not dirty:
                    continue
                best, kk = _best_split(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw,
                                       np.bool_(True))
                k2 = -1
                if small_set is not None:
                    if not (kk >= 0 and _better(best, now)) and m <= small_set:
                        best, kk, k2 = _best_split3(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam,
                                                    reach, fw, iw)
                if kk >= 0 and _better(best, now):
                    cut[x] = False
                    cut[ta if y == -2 else y] = False
                    if kk > 0:
                        cut[idx[kk]] = True
                    if k2 > 0:
                        cut[idx[k2]] = True
                    for jj in range(m):
                        cur[idx[jj]] = True
                    moved = True
                    break
        since3[:] = False
        if not moved:
            break
        for i in range(n):  # element-wise, as above
            since3[i] = since3[i] or cur[i]
            prev[i] = cur[i]
            cur[i] = False
    return passes


@kernel()
def _parts(parent: np.ndarray, plen: np.ndarray, depth: np.ndarray, load: np.ndarray, weight: np.ndarray,
           allowed: np.ndarray, pre: np.ndarray, pos: np.ndarray, size: np.ndarray, cut: np.ndarray, phi: np.ndarray,
           lam: float, reach: float, fw: np.ndarray, iw: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Part index per node (-1: no load), and per part its top, cabinet, load and cost.

    ``fw``, ``iw``: the scratch space (:func:`_eval_part`).
    """
    n = parent.size
    loc = np.zeros(n, np.int64)
    idx = np.empty(n, np.int64)
    lpar = np.empty(n, np.int64)
    flag = np.zeros(n, np.bool_)
    part = np.empty(n, np.int64)
    for i in range(n):
        part[i] = -1
    tops = np.empty(n, np.int64)
    cabs = np.empty(n, np.int64)
    loads = np.empty(n, np.int64)
    costs = np.empty(n, np.float64)
    k = 0
    for i in range(n):
        t = pre[i]
        if parent[t] >= 0 and not cut[t]:
            continue
        m, _ = _collect(t, np.int64(-1), pre, pos, size, parent, cut, loc, idx, lpar, flag, np.int64(-1))
        tot = 0
        for j in range(m):
            tot += load[idx[j]]
        if tot == 0:
            continue
        c, b = _eval_part(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
        for j in range(m):
            part[idx[j]] = k
        tops[k] = t
        cabs[k] = idx[b] if b >= 0 else -1
        loads[k] = tot
        costs[k] = c
        k += 1
    return part, tops[:k].copy(), cabs[:k].copy(), loads[:k].copy(), costs[:k].copy()
