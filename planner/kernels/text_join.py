"""Joining and comparing rows by 128-bit key hashes (numba).

* :func:`join` finds the rows of one side with the key of each row of the
  other: a sort-merge join of the two sides' hashes (numpy sorts one 64-bit
  word per row: the top bits of its hash above its row number).  Keys are
  compared by their 128-bit hash (see :func:`join` for the odds).
* :func:`duplicated` finds repeated values of a string column, comparing the
  candidates byte by byte; :func:`shared_hashes` finds rows whose hash another
  row shares (the candidates for repeated rows).

The hashes come from :mod:`planner.kernels.text_hash`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

import planner.kernels
from planner._radix import bin_starts, sort_rows_u64
from planner.kernels.text_hash import hash_strings, mix, string_buffers
from planner.kernels.text_normalise import RAW
from planner.kernels.threads import readonly

__all__ = ["duplicated", "is_member", "join", "shared_hashes"]

_Hashes = tuple[np.ndarray, np.ndarray]


@njit(cache=True, nogil=True)
def _buckets(h: np.ndarray, g: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The rows in ``ok`` as ``(h, g, row)`` triples grouped by the top ``bits`` bits of ``h``.

    About one row per bucket; bucket ``b`` is ``rows[start[b]:start[b + 1]]``,
    its rows in ascending order (a stable radix sort that moves the hashes
    along, so that reading a bucket reads one contiguous run).  Returns
    ``rows``, ``start`` and ``bits``.
    """
    m = 0
    for r in range(h.shape[0]):
        m += ok[r]
    bits = 1
    while (1 << bits) < m and bits < 40:
        bits += 1
    shift = np.uint64(64 - bits)
    rows = np.empty((m, 3), np.uint64)
    t = 0
    for r in range(h.shape[0]):
        if ok[r]:
            rows[t, 0], rows[t, 1], rows[t, 2] = h[r], g[r], r
            t += 1
    rows = sort_rows_u64(rows, 64 - bits)
    return rows, bin_starts(rows[:, 0] >> shift, 1 << bits), bits


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload, untyped-decorator]
def _packed(h: np.ndarray, ok: np.ndarray, bits: int, out: np.ndarray) -> None:
    """For the rows in ``ok``, into ``out``: the top ``64 - bits`` bits of ``h`` above the row number."""
    sh = np.uint64(bits)
    t = np.uint64(0)
    for r in range(np.uint64(h.shape[0])):  # unsigned: no negative-index wraparound to check
        if ok[r]:
            out[t] = ((h[r] >> sh) << sh) | r
            t += np.uint64(1)


def _packed_keys(h: np.ndarray, ok: np.ndarray, bits: int) -> np.ndarray:
    """:func:`_packed` of the rows in ``ok``, sorted."""
    ok = readonly(ok, np.bool_)
    out = np.empty(int(np.count_nonzero(ok)), dtype=np.uint64)
    _packed(h, ok, bits, out)
    out.sort()  # numpy's sort releases the GIL
    return readonly(out, np.uint64)


@njit(cache=True, nogil=True, inline="always")
def _run_end(keys: np.ndarray, i: int, top: np.uint64, sh: np.uint64) -> int:
    """End of the run of ``keys`` from ``i`` whose top bits are ``top``."""
    while i < keys.shape[0] and keys[i] >> sh == top:
        i += 1
    return i


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload, untyped-decorator]
def _merge(kl: np.ndarray, kr: np.ndarray, bits: int, hl: np.ndarray, gl: np.ndarray, hr: np.ndarray,
           gr: np.ndarray, li: np.ndarray, rj: np.ndarray) -> int:
    """Pairs of rows with equal ``(h, g)`` from two sorted :func:`_packed` arrays.

    A merge of the runs with equal top bits, each candidate pair checked on
    the whole 128-bit hash.  With empty ``li``/``rj``, returns the number of candidate pairs (the
    caller allocates that many); else writes the pairs and returns how many.
    ``_nrt=False``: no allocation here, and no reference counting per run.
    """
    sh, mask = np.uint64(bits), np.uint64((1 << bits) - 1)
    fill = li.shape[0] > 0
    n = 0
    i = j = 0
    while i < kl.shape[0] and j < kr.shape[0]:
        a, b = kl[i] >> sh, kr[j] >> sh
        if a < b:
            i += 1
        elif a > b:
            j += 1
        else:
            i2, j2 = _run_end(kl, i, a, sh), _run_end(kr, j, a, sh)
            if not fill:
                n += (i2 - i) * (j2 - j)
            else:
                for x in range(i, i2):
                    p = np.int64(kl[x] & mask)
                    for y in range(j, j2):
                        q = np.int64(kr[y] & mask)
                        if hl[p] == hr[q] and gl[p] == gr[q]:
                            li[n], rj[n] = p, q
                            n += 1
            i, j = i2, j2
    return n


def _join_numpy(hl: np.ndarray, gl: np.ndarray, ok_left: np.ndarray, hr: np.ndarray, gr: np.ndarray,
                ok_right: np.ndarray, bits: int, ordered: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`join` in numpy (short inputs: nothing to compile), the pairs in the same order.

    Unordered, the merge of :func:`_merge` gives the pairs by (top ``64 - bits`` bits of the hash,
    left row, right row); ordered, by (left row, right row).
    """
    pl, pr = np.flatnonzero(ok_left), np.flatnonzero(ok_right)
    rs = pr[np.lexsort((gr[pr], hr[pr]))]  # the right rows by hash
    lo = np.searchsorted(hr[rs], hl[pl], "left")
    cnt = np.searchsorted(hr[rs], hl[pl], "right") - lo
    first = np.cumsum(cnt) - cnt
    li = np.repeat(pl, cnt)
    rj = rs[np.repeat(lo - first, cnt) + np.arange(li.size)]
    same = gl[li] == gr[rj]
    li, rj = li[same], rj[same]
    order = np.lexsort((rj, li)) if ordered else np.lexsort((rj, li, hl[li] >> np.uint64(bits)))
    return li[order].astype(np.int64), rj[order].astype(np.int64)


def join(left: tuple[np.ndarray, np.ndarray], ok_left: np.ndarray, right: tuple[np.ndarray, np.ndarray],
         ok_right: np.ndarray, *, ordered: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` of left row ``i`` and right row ``j`` with equal keys.

    Parameters
    ----------
    left, right
        The ``(h, g)`` hashes of the keys
        (:func:`~planner.kernels.text_hash.hash_column`,
        :func:`~planner.kernels.text_hash.combine`).
    ok_left, ok_right
        Rows outside these masks join nothing.
    ordered
        Order the pairs by ``i``, then ``j`` (as a sort-merge join gives
        them); without, in an order that depends only on the hashes and row
        numbers.

    Returns
    -------
    i, j : numpy.ndarray
        Positions (int64) of the pairs.

    Raises
    ------
    ValueError
        A side has 2**32 rows or more.

    Notes
    -----
    A sort-merge join: each row becomes one 64-bit word (the top bits of its
    ``h`` above its row number), both sides are sorted by numpy's vectorised
    sort of plain integers, then merged; probing a bucketed table of one side
    with the other missed the cache on every row and took about 2x as long.

    Keys are compared by their 128-bit hash rather than byte by byte:
    re-reading both rows of every candidate pair cost 3x the whole join in
    cache misses.  For two different keys the hashes agree with probability
    about 2**-128; among 10**7 x 10**7 key pairs that is below 10**-24.
    """
    if not len(left[0]) or not len(right[0]):
        e = np.empty(0, dtype=np.int64)
        return e, e
    n = max(len(left[0]), len(right[0]))
    bits = n.bit_length()  # row numbers < 2**bits; a pair of them fits in one word
    if 2 * bits > 64:
        raise ValueError(f"join of {n} rows: at most 2**32 - 1 rows per side")
    hl, gl = (readonly(a, np.uint64) for a in left)
    hr, gr = (readonly(a, np.uint64) for a in right)
    if n < planner.kernels.MIN_COMPILED_ROWS:
        return _join_numpy(hl, gl, ok_left, hr, gr, ok_right, bits, ordered)
    kl, kr = _packed_keys(hl, ok_left, bits), _packed_keys(hr, ok_right, bits)
    none = np.empty(0, np.int64)
    n_cand = _merge(kl, kr, bits, hl, gl, hr, gr, none, none)
    li, rj = np.empty(n_cand, np.int64), np.empty(n_cand, np.int64)
    k = _merge(kl, kr, bits, hl, gl, hr, gr, li, rj) if n_cand else 0
    li, rj = li[:k], rj[:k]
    if not ordered:
        return li, rj
    pair = (li.view(np.uint64) << np.uint64(bits)) | rj.view(np.uint64)
    pair.sort()
    return (pair >> np.uint64(bits)).view(np.int64), (pair & np.uint64((1 << bits) - 1)).view(np.int64)


@njit(cache=True, nogil=True)
def _same_bytes(data: np.ndarray, offsets: np.ndarray, missing: np.ndarray, i: int, j: int) -> bool:
    if missing[i] or missing[j]:
        both: bool = missing[i] and missing[j]
        return both
    a, b = offsets[i], offsets[j]
    m = offsets[i + 1] - a
    if offsets[j + 1] - b != m:
        return False
    for t in range(m):
        if data[a + t] != data[b + t]:
            return False
    return True


@njit(cache=True, nogil=True)
def _repeated(h: np.ndarray, g: np.ndarray, data: np.ndarray, offsets: np.ndarray, missing: np.ndarray,
              exact: bool, candidates: np.ndarray) -> np.ndarray:
    """Rows in ``candidates`` whose ``(h, g)`` hash equals another candidate's (and, if ``exact``, bytes)."""
    n = h.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    rows, start, _ = _buckets(h, g, candidates)
    done = np.zeros(rows.shape[0], dtype=np.bool_)
    for b in range(start.shape[0] - 1):
        # each not yet grouped row collects the later rows of its bucket equal to it:
        # linear in the bucket size times the number of distinct values in it (about 1)
        for t in range(start[b], start[b + 1]):
            if done[t]:
                continue
            for u in range(t + 1, start[b + 1]):
                if (not done[u] and rows[u, 0] == rows[t, 0] and rows[u, 1] == rows[t, 1]
                        and (not exact or _same_bytes(data, offsets, missing, rows[t, 2], rows[u, 2]))):
                    done[u] = True
                    out[rows[t, 2]] = True
                    out[rows[u, 2]] = True
    return out


def _shared_first_words(h: np.ndarray) -> np.ndarray:
    """Rows whose ``h`` equals another row's: the candidates for equal values.

    numpy's sort of plain integers (a vectorised quicksort) is several times
    faster than an argsort; only when some value repeats are the rows
    holding a repeated value looked up.
    """
    s = np.sort(h)
    same = s[1:] == s[:-1]
    if not same.any():
        return np.zeros(len(h), dtype=np.bool_)
    return is_member(h, np.unique(s[1:][same]))


def is_member(h: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each ``h`` is one of the distinct ``values``.

    Parameters
    ----------
    h
        uint64 values to look up.
    values
        Distinct uint64 values.

    Returns
    -------
    numpy.ndarray
        A boolean mask like ``np.isin(h, values)``, from an open-addressing
        set sized to stay in the cache.
    """
    return _member(readonly(h, np.uint64), readonly(values, np.uint64))


@njit(cache=True, nogil=True)
def _member(h: np.ndarray, values: np.ndarray) -> np.ndarray:
    bits = 4
    while (1 << bits) < 2 * values.shape[0]:
        bits += 1
    shift, mask = np.uint64(64 - bits), (1 << bits) - 1
    table = np.zeros(1 << bits, dtype=np.uint64)
    used = np.zeros(1 << bits, dtype=np.bool_)
    for v in values:
        b = np.int64(mix(v) >> shift)
        while used[b]:
            b = (b + 1) & mask
        table[b], used[b] = v, True
    out = np.zeros(h.shape[0], dtype=np.bool_)
    for i in range(h.shape[0]):
        b = np.int64(mix(h[i]) >> shift)
        while used[b]:
            if table[b] == h[i]:
                out[i] = True
                break
            b = (b + 1) & mask
    return out


def shared_hashes(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Rows whose ``(h, g)`` hash equals another row's: the candidates for duplicates.

    Parameters
    ----------
    h, g
        The two uint64 hashes of every row.

    Returns
    -------
    numpy.ndarray
        Boolean mask.
    """
    if not len(h):
        return np.zeros(0, dtype=bool)
    h, g = readonly(h, np.uint64), readonly(g, np.uint64)
    cand = _shared_first_words(h)
    if not cand.any():
        return cand
    no_bytes = readonly(np.zeros(1, np.uint8), np.uint8), readonly(np.zeros(1, np.int64), np.int64)
    return _repeated(h, g, *no_bytes, readonly(np.zeros(1, np.bool_), np.bool_), False, readonly(cand, np.bool_))


def duplicated(values: pa.Array, hashes: _Hashes | None = None) -> np.ndarray:
    """Rows whose value occurs more than once.

    Parameters
    ----------
    values
        Arrow string array.
    hashes
        The ``(h, g)`` of :func:`~planner.kernels.text_hash.hash_column` of
        ``values`` with ``RAW``, if already computed.

    Returns
    -------
    numpy.ndarray
        As ``pandas.Series.duplicated(keep=False)``: missing values are equal
        to each other, not to ``''``.  Candidates found by hash are compared
        byte by byte.
    """
    data, offsets, missing = string_buffers(values)
    h, g = hash_strings(data, offsets, missing, RAW)[:2] if hashes is None else hashes
    h, g = readonly(h, np.uint64), readonly(g, np.uint64)
    cand = _shared_first_words(h)
    if not cand.any():
        return cand
    return _repeated(h, g, data, offsets, missing, True, readonly(cand, np.bool_))
