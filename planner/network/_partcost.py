"""Numba kernels of the cabinet partition: the cost of one part and its best re-cuts.

Private to :mod:`planner.network._search` (the search) and
:mod:`planner.network.partition` (which documents the problem and the
method).  A *part* is given as its nodes in preorder (``idx[:m]``) with local
parent indices (``lpar``, ``-1`` at its top); the partition as a cut flag per
node (the edge to its parent is cut; roots always count as cut).  The scratch
space ``fw``/``iw`` is allocated once by the caller (:func:`_eval_part`).
"""

from __future__ import annotations

import numpy as np

from planner.routing._jit import kernel

_INF = np.inf


# ---------------------------------------------------------------------------
# cost of one part
# ---------------------------------------------------------------------------


@kernel(helper=True)
def _eval_part(idx: np.ndarray, lpar: np.ndarray, m: int | np.int64, plen: np.ndarray, depth: np.ndarray,
               load: np.ndarray, weight: np.ndarray, allowed: np.ndarray, phi: np.ndarray, lam: float,
               reach: float, fw: np.ndarray, iw: np.ndarray) -> tuple[float, int]:
    """Cost and best cabinet (local index) of the part ``idx[:m]`` (preorder, ``lpar`` local parents).

    ``fw`` (``(9, n)`` floats) and ``iw`` (``(5, n)`` ints) are the search's scratch space,
    allocated once by the caller rather than on every call (numba compiles each allocation in
    every kernel): ``fw[:8]`` and ``iw[0]`` are this function's.
    """
    total = 0
    wtot = 0.0
    for i in range(m):
        total += load[idx[i]]
        wtot += weight[idx[i]]
    if total == 0:
        return 0.0, -1
    if total >= phi.size:
        return _INF, -1
    wsub, dsub, s, ecc = fw[0], fw[1], fw[2], fw[3]
    for i in range(m):
        wsub[i] = weight[idx[i]]
        dsub[i] = 0.0
    for i in range(m - 1, 0, -1):
        p = lpar[i]
        ln = plen[idx[i]]
        wsub[p] += wsub[i]
        dsub[p] += dsub[i] + wsub[i] * ln
    s[0] = dsub[0]
    for i in range(1, m):
        s[i] = s[lpar[i]] + plen[idx[i]] * (wtot - 2.0 * wsub[i])
    use_reach = reach < _INF
    if use_reach:  # ecc is read only then
        h, b1, b2, up, b1c = fw[4], fw[5], fw[6], fw[7], iw[0]
        for i in range(m):
            h[i] = 0.0 if load[idx[i]] > 0 else -_INF
            b1[i] = -_INF
            b1c[i] = -1
            b2[i] = -_INF
        for i in range(m - 1, 0, -1):  # children come after parents: h[i] is final here
            if b1[i] > h[i]:
                h[i] = b1[i]
            p = lpar[i]
            c = h[i] + plen[idx[i]]
            if c > b1[p]:
                b2[p] = b1[p]
                b1[p] = c
                b1c[p] = i
            elif c > b2[p]:
                b2[p] = c
        if b1[0] > h[0]:
            h[0] = b1[0]
        up[0] = -_INF
        for i in range(1, m):
            p = lpar[i]
            via = up[p]
            if load[idx[p]] > 0 and via < 0.0:
                via = 0.0
            sib = b2[p] if b1c[p] == i else b1[p]
            if sib > via:
                via = sib
            up[i] = via + plen[idx[i]]
        for i in range(m):
            ecc[i] = h[i] if h[i] > up[i] else up[i]
    f = phi[total]
    best = _INF
    bi = -1
    for i in range(m):
        if not allowed[idx[i]]:
            continue
        if use_reach and ecc[i] > reach:
            continue
        c = s[i] + f * depth[idx[i]]
        if c < best:
            best = c
            bi = i
    if bi < 0:
        return _INF, -1
    return best + lam, bi


@kernel(helper=True)
def _collect(t: int, include: int | np.int64, pre: np.ndarray, pos: np.ndarray, size: np.ndarray,
             parent: np.ndarray, cut: np.ndarray, loc: np.ndarray, idx: np.ndarray, lpar: np.ndarray,
             flag: np.ndarray, include2: int | np.int64 = -1) -> tuple[int, bool]:
    """Nodes of the part topped by ``t`` plus the parts topped by ``include``/``include2``, in preorder.

    Fills ``idx[:m]`` and the local parents ``lpar[:m]``; returns ``m`` and
    whether any of the nodes is flagged.
    """
    m = 0
    i = pos[t]
    end = pos[t] + size[t]
    anyflag = False
    while i < end:
        v = pre[i]
        if i != pos[t] and cut[v] and v != include and v != include2:
            i += size[v]
            continue
        loc[v] = m
        idx[m] = v
        lpar[m] = -1 if i == pos[t] else loc[parent[v]]
        if flag[v]:
            anyflag = True
        m += 1
        i += 1
    return m, anyflag


@kernel(helper=True)
def _child_tops(t: int, include: int, pre: np.ndarray, pos: np.ndarray, size: np.ndarray, cut: np.ndarray,
                out: np.ndarray) -> int:
    """Tops of the parts hanging directly below the part of ``t`` (with ``include``'s part); count."""
    k = 0
    i = pos[t] + 1
    end = pos[t] + size[t]
    while i < end:
        v = pre[i]
        if cut[v] and v != include:
            out[k] = v
            k += 1
            i += size[v]
            continue
        i += 1
    return k


@kernel(helper=True)
def _cost_of(t: int, pre: np.ndarray, pos: np.ndarray, size: np.ndarray, parent: np.ndarray, cut: np.ndarray,
             loc: np.ndarray, idx: np.ndarray, lpar: np.ndarray, flag: np.ndarray, plen: np.ndarray,
             depth: np.ndarray, load: np.ndarray, weight: np.ndarray, allowed: np.ndarray, phi: np.ndarray,
             lam: float, reach: float, fw: np.ndarray, iw: np.ndarray) -> float:
    m, _ = _collect(t, np.int64(-1), pre, pos, size, parent, cut, loc, idx, lpar, flag, np.int64(-1))
    c, _ = _eval_part(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
    return c


@kernel(helper=True)
def _diameter(idx: np.ndarray, lpar: np.ndarray, m: int, plen: np.ndarray, load: np.ndarray, h: np.ndarray
              ) -> float:
    """Longest distance between two loaded nodes of ``idx[:m]`` (``-inf`` for fewer than one); ``h``: scratch."""
    for i in range(m):
        h[i] = 0.0 if load[idx[i]] > 0 else -_INF
    best = -_INF
    for i in range(m):
        if h[i] > best:
            best = h[i]
    for i in range(m - 1, 0, -1):  # children first: h[i] is the farthest loaded node below i
        p = lpar[i]
        c = h[i] + plen[idx[i]]
        if h[p] + c > best:
            best = h[p] + c
        if c > h[p]:
            h[p] = c
    return best


@kernel(helper=True)
def _subtree_sums(idx: np.ndarray, lpar: np.ndarray, m: int | np.int64, load: np.ndarray, lsize: np.ndarray,
                  lload: np.ndarray) -> None:
    """Size (nodes) and load (homes) of the subtree of each local node of ``idx[:m]`` (preorder).

    Into ``lsize[:m]`` and ``lload[:m]``.
    """
    for i in range(m):
        lsize[i] = 1
        lload[i] = load[idx[i]]
    for i in range(m - 1, 0, -1):
        lsize[lpar[i]] += lsize[i]
        lload[lpar[i]] += lload[i]


@kernel(helper=True)
def _block(idx: np.ndarray, lpar: np.ndarray, k: int | np.int64, s: int | np.int64, out_idx: np.ndarray,
           out_par: np.ndarray) -> None:
    """Copy the subtree block ``[k, k + s)`` of a part as a part of its own (local parents re-numbered)."""
    for j in range(s):
        out_idx[j] = idx[k + j]
        out_par[j] = -1 if j == 0 else lpar[k + j] - k


@kernel(helper=True)
def _without_block(idx: np.ndarray, lpar: np.ndarray, m: int, k: int, s: int, out_idx: np.ndarray,
                   out_par: np.ndarray) -> int:
    """Copy the part ``idx[:m]`` (parents ``lpar``, local) without the subtree block ``[k, k + s)``.

    Writes the remaining nodes and their re-numbered local parents to ``out_idx``/``out_par``
    and returns how many there are.
    """
    q = 0
    for j in range(m):
        if k <= j < k + s:
            continue
        out_idx[q] = idx[j]
        p = lpar[j]
        out_par[q] = p if p < k else p - s
        q += 1
    return q


@kernel(helper=True)
def _best_split(idx: np.ndarray, lpar: np.ndarray, m: int, plen: np.ndarray, depth: np.ndarray, load: np.ndarray,
                weight: np.ndarray, allowed: np.ndarray, phi: np.ndarray, lam: float, reach: float,
                fw: np.ndarray, iw: np.ndarray, allow_whole: bool | np.bool_) -> tuple[float, int]:
    """Best way to cover ``idx[:m]`` by one part (if ``allow_whole``) or two (one cut).

    Returns ``(cost, k)``: ``k == 0`` keeps it whole, ``k > 0`` cuts above local node ``k``.
    """
    cap = phi.size - 1
    lsize, lload, sub_idx, sub_par = iw[1], iw[2], iw[3], iw[4]
    _subtree_sums(idx, lpar, m, load, lsize, lload)
    total = lload[0]
    best = _INF
    bk = -1
    if reach < _INF and _diameter(idx, lpar, m, plen, load, fw[8]) <= reach:
        reach = _INF  # no part of this set can break the reach: skip the eccentricities
    if allow_whole and total <= cap:
        best, _ = _eval_part(idx, lpar, m, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
        bk = 0
    for k in range(1, m):
        lo = lload[k]
        if lo > cap or total - lo > cap:
            continue
        s = lsize[k]
        _block(idx, lpar, k, s, sub_idx, sub_par)
        c1, _ = _eval_part(sub_idx, sub_par, s, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
        if c1 >= best:
            continue
        q = _without_block(idx, lpar, m, k, s, sub_idx, sub_par)
        c2, _ = _eval_part(sub_idx, sub_par, q, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
        if c1 + c2 < best:
            best = c1 + c2
            bk = k
    return best, bk


#: Sets of up to this many nodes are also tried re-cut into three parts (two cuts, O(m^3)). [A]
SMALL_SET = 64


@kernel(helper=True)
def _eval_labeled(idx: np.ndarray, lpar: np.ndarray, m: int, label: np.ndarray, which: int, sub_idx: np.ndarray,
                  sub_par: np.ndarray, where: np.ndarray, plen: np.ndarray, depth: np.ndarray, load: np.ndarray,
                  weight: np.ndarray, allowed: np.ndarray, phi: np.ndarray, lam: float,
                  reach: float, fw: np.ndarray, iw: np.ndarray) -> float:
    """Cost of the nodes of ``idx[:m]`` labelled ``which`` (a connected subset, in preorder)."""
    q = np.int64(0)  # not a literal 0: numba would compile _eval_part once more for it
    for j in range(m):
        if label[j] != which:
            continue
        where[j] = q
        sub_idx[q] = idx[j]
        p = lpar[j]
        sub_par[q] = where[p] if p >= 0 and label[p] == which else -1
        q += 1
    if q == 0:
        return 0.0
    c, _ = _eval_part(sub_idx, sub_par, q, plen, depth, load, weight, allowed, phi, lam, reach, fw, iw)
    return c


@kernel(helper=True)
def _best_split3(idx: np.ndarray, lpar: np.ndarray, m: int, plen: np.ndarray, depth: np.ndarray,
                 load: np.ndarray, weight: np.ndarray, allowed: np.ndarray, phi: np.ndarray, lam: float,
                 reach: float, fw: np.ndarray, iw: np.ndarray) -> tuple[float, int, int]:
    """Best cover of ``idx[:m]`` by three connected parts (cuts above local nodes ``k1 < k2``)."""
    cap = phi.size - 1
    lsize, lload, sub_idx, sub_par = iw[1], iw[2], iw[3], iw[4]
    _subtree_sums(idx, lpar, m, load, lsize, lload)
    label = np.zeros(m, np.int64)
    where = np.empty(m, np.int64)
    best = _INF
    b1 = -1
    b2 = -1
    for k1 in range(1, m):
        for k2 in range(k1 + 1, m):
            nested = k2 < k1 + lsize[k1]
            l2 = lload[k2]
            l1 = lload[k1] - l2 if nested else lload[k1]
            l0 = lload[0] - lload[k1] - (0 if nested else l2)
            if l0 > cap or l1 > cap or l2 > cap:
                continue
            for j in range(m):
                label[j] = 2 if k2 <= j < k2 + lsize[k2] else (1 if k1 <= j < k1 + lsize[k1] else 0)
            c = 0.0
            for w in range(3):
                c += _eval_labeled(idx, lpar, m, label, w, sub_idx, sub_par, where, plen, depth, load, weight,
                                   allowed, phi, lam, reach, fw, iw)
                if c >= best:
                    break
            if c < best:
                best = c
                b1 = k1
                b2 = k2
    return best, b1, b2
