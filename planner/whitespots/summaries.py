"""What every address point's matched coverage rows say, in one compiled pass per address.

``n_nga_now`` / ``n_nga_planned`` count distinct operators (operator names
compared case- and whitespace-insensitively).  The class uses the number of
distinct operators over **both** sets: an operator that offers NGA now and
also plans it is one network.  0 -> white, 1 -> grey, >= 2 -> black.

:func:`summarise` groups the (coverage row, address, method) pairs by address
(a counting sort) and runs one compiled pass over each address's few pairs
(:func:`_summaries`, on address ranges in threads); the texts (reason, list
of NGA operators) are then built once per distinct tuple of codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from planner.kernels.threads import readonly, run_chunks
from planner.routing._jit import Int, kernel
from planner.whitespots.codes import combine_codes, first_positions
from planner.whitespots.coverage import CAT_NGA_NOW, CAT_NGA_PLANNED, CAT_NOT_FIXED, CAT_PLANNED_SLOW
from planner.whitespots.matching import NO_MATCH
from planner.whitespots.reasons import factorize_texts

__all__ = ["CODE_LIMIT", "Summary", "nga_operators", "summarise"]

# columns of the coverage rows in _summaries, and rows of its output
_CAT, _SLOWER, _OP, _DESC = range(4)
_N_ANY, _N_NOW, _N_PLANNED, _OPS_CODE, _REASON, _D1, _C1, _D2, _COUNT = range(9)

#: Largest mixed-radix code of :func:`summarise` (beyond it, the slower general path is taken).
CODE_LIMIT = 2**62


@kernel(helper=True, forceinline=True)
def _before(rows: np.ndarray, i: Int, j: Int, k1: Int, k2: Int, k3: Int, k4: Int) -> bool:
    """Whether row ``i`` sorts strictly before row ``j`` by the columns ``k1``, ``k2``, ... (first decides)."""
    for k in (k1, k2, k3, k4):
        if rows[i, k] != rows[j, k]:
            before: bool = rows[i, k] < rows[j, k]
            return before
    return False


@kernel(helper=True, forceinline=True)
def _insertion_sort(rows: np.ndarray, run: np.ndarray, k: Int, k1: Int, k2: Int, k3: Int, k4: Int) -> None:
    """Stable sort of the row positions ``run[:k]`` by the columns (a few rows per address)."""
    for t in range(1, k):
        p = run[t]
        u = t
        while u > 0 and _before(rows, p, run[u - 1], k1, k2, k3, k4):
            run[u] = run[u - 1]
            u -= 1
        run[u] = p


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload, untyped-decorator]
def _by_address(paddr: np.ndarray, start: np.ndarray, order: np.ndarray, at: np.ndarray) -> int:
    """CSR of the pairs by address, into ``start`` and ``order`` (a counting sort).

    ``start``: zeros, one more than the addresses; address ``a``'s pairs are
    ``order[start[a]:start[a + 1]]``, in pair order.  ``at``: scratch, one
    per address.  Returns the most pairs of one address.
    """
    n = start.shape[0] - 1
    for t in range(paddr.shape[0]):
        start[paddr[t] + 1] += 1
    longest = 0
    for a in range(n):
        if start[a + 1] > longest:  # not the builtin max: one compiled implementation fewer
            longest = start[a + 1]
        start[a + 1] += start[a]
        at[a] = start[a]
    for t in range(paddr.shape[0]):
        order[at[paddr[t]]] = t
        at[paddr[t]] += 1
    return longest


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False, error_model="numpy")  # type: ignore[call-overload, untyped-decorator]
def _summaries(prow: np.ndarray, method: np.ndarray, rows: np.ndarray, no_match: int, n_ops: int, n_desc: int,
               limit: int, start: np.ndarray, order: np.ndarray, pairs: np.ndarray, pair_method: np.ndarray,
               scratch: np.ndarray, best: np.ndarray, out: np.ndarray, lo: int, hi: int) -> None:
    """What the pairs of the addresses ``lo..hi - 1`` say.

    The pairs are (coverage row ``prow``, match ``method``), grouped by
    address by :func:`_by_address` (``start``, ``order``); ``rows`` holds, per
    coverage row, the uint64 columns (category, speed descending, operator,
    fragment).  Per address, into ``best`` and the rows of ``out``
    (``_N_ANY``, ``_N_NOW``, ... ``_COUNT``):

    * its best (smallest) match method (``no_match`` without pairs);
    * the distinct NGA operators (category now or planned): how many, how many
      with a "now" row, how many with a "planned" row, and their ascending
      list as a mixed-radix code ``sum (op + 1) * (n_ops + 1) ** i``
      (``-1`` without NGA operators; ``-2`` if it would exceed ``limit``);
    * its listing: the rows that count (the NGA ones if there are any, else
      all) by (category, speed descending, operator, fragment), the first of
      each operator kept, then re-sorted by (category, fragment): the first
      fragment and its category, the second fragment (-1: none) and the
      number of fragments (0: no pairs); and those four as one mixed-radix
      code (``-1`` without pairs; ``-2`` for all if it could exceed ``limit``).

    ``pairs`` and ``pair_method`` (one row per pair) and ``scratch`` (``(3,
    most pairs of an address)``) are scratch space.  All arrays come from
    numpy, so that the kernel runs without numba's reference counting
    (``_nrt=False``), which it otherwise paid in every per-address call.
    """
    # the pairs' rows in address order, gathered first: a tight loop overlaps its cache misses,
    # the listing's branchy loop did not (3x slower reading them in place)
    for t in range(np.uint64(start[lo]), np.uint64(start[hi])):  # unsigned: no negative-index wraparound
        p = order[t]
        r = prow[p]
        pairs[t, 0], pairs[t, 1], pairs[t, 2], pairs[t, 3] = rows[r, 0], rows[r, 1], rows[r, 2], rows[r, 3]
        pair_method[t] = method[p]
    n_any, n_now, n_planned, ops_code = out[_N_ANY], out[_N_NOW], out[_N_PLANNED], out[_OPS_CODE]
    reason, d1, c1, d2, count = out[_REASON], out[_D1], out[_C1], out[_D2], out[_COUNT]
    base = n_ops + 1
    fits = 0  # how many operators a code within the limit holds
    cap = 1
    while cap <= (limit - 1) // base:
        cap *= base
        fits += 1
    reason_fits = (CAT_PLANNED_SLOW + 1.0) * n_desc * (n_desc + 1) * base < limit  # count <= n_ops < base
    run, ops, flags = scratch[0], scratch[1], scratch[2]
    for a in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no negative-index wraparound to check
        s, e = start[a], start[a + np.uint64(1)]
        k = e - s
        if k == 0:
            best[a], n_any[a], n_now[a], n_planned[a], ops_code[a] = no_match, 0, 0, 0, -1
            reason[a], d1[a], c1[a], d2[a], count[a] = -1, -1, -1, -1, 0
            continue
        m_best = no_match
        n_op = 0
        for t in range(k):
            r = s + t
            if pair_method[r] < m_best:  # not the builtin min: one compiled implementation fewer
                m_best = pair_method[r]
            run[t] = r
            cat = pairs[r, _CAT]
            if cat <= CAT_NGA_PLANNED:  # distinct NGA operators, kept ascending
                op = np.int64(pairs[r, _OP])
                u = n_op
                while u > 0 and ops[u - 1] > op:
                    u -= 1
                bit = 1 if cat == CAT_NGA_NOW else 2
                if u > 0 and ops[u - 1] == op:
                    flags[u - 1] |= bit
                else:
                    for v in range(n_op, u, -1):
                        ops[v], flags[v] = ops[v - 1], flags[v - 1]
                    ops[u], flags[u] = op, bit
                    n_op += 1
        best[a] = m_best
        n_any[a] = n_op
        code = n_with_now = n_with_planned = 0
        for u in range(n_op):
            n_with_now += flags[u] & 1
            n_with_planned += flags[u] >> 1
            code = code * base + ops[u] + 1
        n_now[a], n_planned[a] = n_with_now, n_with_planned
        ops_code[a] = (code if n_op <= fits else -2) if n_op else -1
        kk = np.int64(0)  # not a literal 0: _insertion_sort would compile once more for it
        for t in range(k):  # the rows that count
            if (pairs[run[t], _CAT] <= CAT_NGA_PLANNED) == (n_op > 0):
                run[kk] = run[t]
                kk += 1
        _insertion_sort(pairs, run, kk, np.int64(_CAT), np.int64(_SLOWER), np.int64(_OP), np.int64(_DESC))
        kept = np.int64(0)
        for t in range(kk):  # one fragment per operator: its first
            seen = False
            for u in range(kept):
                if pairs[run[u], _OP] == pairs[run[t], _OP]:
                    seen = True
                    break
            if not seen:
                run[kept] = run[t]
                kept += 1
        _insertion_sort(pairs, run, kept, np.int64(_CAT), np.int64(_DESC), np.int64(_DESC), np.int64(_DESC))
        c1[a], d1[a], count[a] = pairs[run[0], _CAT], pairs[run[0], _DESC], kept
        d2[a] = pairs[run[1], _DESC] if kept >= 2 else -1
        reason[a] = (((c1[a] * n_desc + d1[a]) * (n_desc + 1) + d2[a] + 1) * base + kept) if reason_fits else -2


@dataclass
class Summary:
    """Per-address results of :func:`summarise`.

    Attributes
    ----------
    method
        Best match method (index into :data:`planner.whitespots.matching.METHODS`), int8.
    n_any, n_now, n_planned
        Distinct NGA operators: all, with an existing row, with a planned row.
    reasons
        Code of each address's reason, and the texts.
    operators
        Code of each address's ``'; '``-joined NGA operators, and the texts.
    """

    method: np.ndarray
    n_any: np.ndarray
    n_now: np.ndarray
    n_planned: np.ndarray
    reasons: tuple[np.ndarray, list[str]]
    operators: tuple[np.ndarray, list[str]]


def summarise(n: int, prow: np.ndarray, paddr: np.ndarray, pm: np.ndarray, cov: pd.DataFrame,
              descriptions: tuple[np.ndarray, np.ndarray], *, code_limit: int = CODE_LIMIT) -> Summary:
    """Match method, NGA operator counts, reason and NGA operator list of every address.

    Parameters
    ----------
    n
        Number of address points.
    prow, paddr, pm
        The pairs: coverage row, address position, match method.
    cov
        Output of :func:`planner.whitespots.coverage.prepare_coverage`.
    descriptions
        :func:`planner.whitespots.reasons.row_descriptions` of ``cov``.
    code_limit
        Largest mixed-radix code of an address's reason or operator list;
        beyond it the texts are numbered by a slower general path (same result).

    Returns
    -------
    Summary

    Notes
    -----
    An address with NGA lists its NGA rows; a white spot lists what it has
    instead.  Each address gets a tuple (first fragment, second fragment,
    number of further operators) from a compiled pass over its few pairs
    (:func:`_summaries`); the text is built once per distinct tuple, as is
    the ``'; '``-joined list of NGA operators (display names, ordered by
    operator code, i.e. by normalised name).
    """
    names = cov.attrs["op_display"]
    n_ops = max(len(names), 1)
    frag_codes, texts = descriptions
    rows = np.empty((len(cov), 4), dtype=np.uint64)
    rows[:, _CAT] = cov["cat"].to_numpy()
    rows[:, _SLOWER] = ~(cov["down"].to_numpy(dtype=np.float64) + 0.0).view(np.uint64)  # the faster sorts first
    rows[:, _OP] = cov["op"].to_numpy()
    rows[:, _DESC] = frag_codes
    rows = readonly(rows, np.uint64)
    m = len(prow)
    best, out = np.empty(n, dtype=np.int8), np.empty((9, n), dtype=np.int64)
    start, order = np.zeros(n + 1, dtype=np.int64), np.empty(m, dtype=np.int64)
    longest = _by_address(readonly(paddr, np.int64), start, order, np.empty(n, dtype=np.int64))
    prow_, pm_ = readonly(prow, np.int64), readonly(pm, np.int8)
    start_, order_ = readonly(start, np.int64), readonly(order, np.int64)
    pairs, pair_method = np.empty((m, 4), dtype=np.uint64), np.empty(m, dtype=np.int8)
    n_desc = max(len(texts), 1)
    run_chunks(lambda lo, hi: _summaries(
        prow_, pm_, rows, NO_MATCH, n_ops, n_desc, code_limit, start_, order_, pairs, pair_method,
        np.empty((3, max(longest, 1)), dtype=np.int64), best, out, lo, hi), n, min_rows=1 << 12)
    n_any, n_now, n_planned, ops_code, reason, d1, c1, d2, count = out

    def wording(c: int) -> str:
        return "NGA: " if c <= CAT_NGA_PLANNED else "only " if c <= CAT_NOT_FIXED else ""

    if (reason == -2).any():  # too many fragments for one code
        reason = combine_codes(c1, d1, d2, count)
        reason[count == 0] = -1
    reasons = factorize_texts(reason, lambda a: (
        wording(c1[a]) + texts[d1[a]] + (f"; {texts[d2[a]]}" if d2[a] >= 0 else "")
        + (f"; +{count[a] - 2} more" if count[a] > 2 else "")), "no offer")

    if (ops_code == -2).any():  # too many operators for one code
        nga = rows[prow, _CAT] <= CAT_NGA_PLANNED
        keys = np.unique(paddr[nga].astype(np.int64) * n_ops + rows[prow[nga], _OP].astype(np.int64))
        operators = nga_operators(n, keys, names)
    else:
        def listing(a: int) -> str:
            c, ops = int(ops_code[a]), []
            while c:
                c, d = divmod(c, n_ops + 1)
                ops.append(str(names[d - 1]))
            return "; ".join(reversed(ops))

        operators = factorize_texts(ops_code, listing, "")
    return Summary(best, n_any, n_now, n_planned, reasons, operators)


def nga_operators(n: int, keys: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """``'; '``-joined display names of the NGA operators (now or planned) of every address.

    Parameters
    ----------
    n
        Number of address points.
    keys
        The sorted distinct ``address * len(names) + operator`` codes of the NGA rows.
    names
        Display name of each operator code.

    Returns
    -------
    codes : numpy.ndarray
        Index of each address's text.
    texts : list of str
        ``''`` first.  Vectorised: the sorted operator lists are encoded as one
        code per address and the names are joined once per distinct list.
    """
    out = np.zeros(n, dtype=np.int64)
    if not len(keys):
        return out, [""]
    n_ops = len(names)
    # op codes are sorted by normalised name, so the listing is stable
    a, op = keys // n_ops, keys % n_ops
    start = np.r_[True, a[1:] != a[:-1]]
    grp = np.cumsum(start) - 1
    rank = np.arange(len(a)) - np.flatnonzero(start)[grp]
    mat = np.full((int(start.sum()), int(rank.max()) + 1), -1, dtype=np.int64)
    mat[grp, rank] = op
    combo = combine_codes(*mat.T)
    first = first_positions(combo)
    texts = [""] + ["; ".join(names[c] for c in row if c >= 0) for row in mat[first]]
    lookup = np.zeros(int(combo.max()) + 1, dtype=np.int64)
    lookup[combo[first]] = np.arange(1, len(first) + 1)
    out[a[start]] = lookup[combo]
    return out, texts
