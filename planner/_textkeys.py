"""Compiled normalisation, hashing and joining of text keys (numba).

The white-spot matcher joins a million address points to a million coverage
rows on text keys: the address id, and SIMC + ULIC (or street name) + house
number written in many ways (``'ul. Księżycowa'`` / ``'KSIEZYCOWA'``, ``'12 a'``
/ ``'12A'`` / ``'012/3'``).  Dictionary-encoding each column with Arrow and
normalising its distinct values costs about 1 s per million rows, most of it
in hash tables far larger than the CPU caches.  This module reads the Arrow
string buffers directly:

* :func:`normalise_into` rewrites one value as :mod:`planner.whitespots`'
  pyarrow normalisers (``_a_code``, ``_a_street``, ``_a_house``) do, for
  printable ASCII and the 18 Polish letters; any other byte (control
  characters, other scripts and diacritics) marks the value for the pyarrow
  normaliser, whose result is then used verbatim -- so every value normalises
  exactly as before.
* :func:`hash_rows` hashes the normalised values of several columns of a row
  into two independent 64-bit keys (FNV-1a and a polynomial hash over the
  bytes, a separator between columns, a splitmix64 finaliser each).
* :func:`join_rows` finds the rows of one side with the key of each row of the
  other: the right side is bucketed by a radix sort on the top bits of its
  hash (about one row per bucket), and each left row reads its bucket.  Keys
  are compared by a 128-bit hash (see :func:`join_rows` for the odds).
* :func:`duplicated` finds rows with repeated keys, and does compare the
  candidates byte by byte.

Compiled on first call (``cache=True``), never at import time.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
import pyarrow as pa
from numba import njit, prange

from planner._radix import argsort_u64

#: Kinds of normalisation (see :func:`normalise_into`).
RAW, CODE, STREET, HOUSE = 0, 1, 2, 3

_MODE_NORMALISE, _MODE_VERBATIM, _MODE_EMPTY = 0, 1, 2

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_POLY_SEED = np.uint64(0x9E3779B97F4A7C15)
_POLY_MULT = np.uint64(0xD6E8FEB86659FD93)


class TextColumn(NamedTuple):
    """Bytes of one text column, one ``data[starts[i]:ends[i]]`` per row.

    ``mode[i]`` is 0 (normalise the bytes), 1 (the bytes are already the
    normalised value) or 2 (missing: normalises as ``''``).
    """

    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    mode: np.ndarray


# --------------------------------------------------------------------------
# one value


@njit(cache=True, nogil=True, inline="always")
def _polish(b0: int, b1: int) -> int:
    """ASCII lower-case letter of a two-byte Polish letter (either case), 0 if none."""
    if b0 == 0xC4:
        if b1 == 0x84 or b1 == 0x85:
            return 97  # ą
        if b1 == 0x86 or b1 == 0x87:
            return 99  # ć
        if b1 == 0x98 or b1 == 0x99:
            return 101  # ę
    elif b0 == 0xC5:
        if b1 == 0x81 or b1 == 0x82:
            return 108  # ł
        if b1 == 0x83 or b1 == 0x84:
            return 110  # ń
        if b1 == 0x9A or b1 == 0x9B:
            return 115  # ś
        if b1 == 0xB9 or b1 == 0xBA or b1 == 0xBB or b1 == 0xBC:
            return 122  # ź ż
    elif b0 == 0xC3:
        if b1 == 0x93 or b1 == 0xB3:
            return 111  # ó
    return 0


@njit(cache=True, nogil=True)
def _fold(data: np.ndarray, s: int, e: int, out: np.ndarray) -> int:
    """Lower-case ASCII form of ``data[s:e]`` into ``out``; -1 if a byte is not handled."""
    k = 0
    i = s
    while i < e:
        b = data[i]
        if 0x20 <= b <= 0x7E:
            out[k] = b + 32 if 65 <= b <= 90 else b
            i += 1
        elif i + 1 < e and _polish(b, data[i + 1]):
            out[k] = _polish(b, data[i + 1])
            i += 2
        else:
            return -1
        k += 1
    return k


@njit(cache=True, nogil=True, inline="always")
def _is_digit(b: int) -> bool:
    return 48 <= b <= 57


@njit(cache=True, nogil=True)
def _strip_dot_zero(out: np.ndarray, k: int) -> int:
    """``^(\\d+)\\.0$`` -> ``\\1`` on ``out[:k]``; the new length."""
    if k < 3 or out[k - 1] != 48 or out[k - 2] != 46:
        return k
    for j in range(k - 2):
        if not _is_digit(out[j]):
            return k
    return k - 2


#: The street-name prefixes ``whitespots._a_street`` drops, space-separated.
_PREFIXES = np.frombuffer(b"ulica ul aleja aleje al plac pl osiedle os ", dtype=np.uint8)


@njit(cache=True, nogil=True)
def _prefix_length(out: np.ndarray, k: int) -> int:
    """Length of a leading ``ul``/``ulica``/``al``/``aleja``/``aleje``/``pl``/``plac``/
    ``os``/``osiedle`` word followed by a space in ``out[:k]`` (the space included), else 0."""
    w = 0
    while w < k and out[w] != 32:
        w += 1
    if w == k:
        return 0
    p = 0
    while p < _PREFIXES.shape[0]:
        q = p
        while _PREFIXES[q] != 32:
            q += 1
        if q - p == w:
            same = True
            for j in range(w):
                if out[j] != _PREFIXES[p + j]:
                    same = False
                    break
            if same:
                return w + 1
        p = q + 1
    return 0


@njit(cache=True, nogil=True)
def normalise_into(kind: int, width: int, data: np.ndarray, s: int, e: int, out: np.ndarray) -> int:
    """Normalised form of ``data[s:e]`` written to ``out``; its length, or -1 if not handled.

    ``out`` must hold ``max(e - s, width)`` bytes.  Kinds:

    * ``RAW``: the bytes as they are.
    * ``CODE``: a TERYT code (``whitespots._a_code(width)``): spaces trimmed,
      a trailing ``.0`` of a number dropped, digits left-padded with zeros to
      ``width``, anything else lower-cased.
    * ``STREET``: a street name (``whitespots._a_street``): folded to lower-case
      ASCII, runs of other characters as one space, trimmed, a leading
      ``ul``/``al``/``pl``/``os`` word (or its long form) dropped.
    * ``HOUSE``: a house number (``whitespots._a_house``): folded, cut at the
      first ``/``, spaces dropped, a trailing ``.0`` of a number dropped, leading
      zeros dropped before a digit.
    """
    if kind == RAW:
        for i in range(s, e):
            out[i - s] = data[i]
        return e - s
    if kind == CODE:
        for i in range(s, e):
            if not 0x20 <= data[i] <= 0x7E:
                return -1
        while s < e and data[s] == 32:
            s += 1
        while e > s and data[e - 1] == 32:
            e -= 1
        k = 0
        for i in range(s, e):
            b = data[i]
            out[k] = b + 32 if 65 <= b <= 90 else b
            k += 1
        k = _strip_dot_zero(out, k)
        digits = k > 0
        for j in range(k):
            if not _is_digit(out[j]):
                digits = False
                break
        if digits and k < width:
            pad = width - k
            for j in range(k - 1, -1, -1):
                out[j + pad] = out[j]
            for j in range(pad):
                out[j] = 48
            k = width
        return k
    k = _fold(data, s, e, out)
    if k < 0:
        return -1
    if kind == STREET:
        m = 0
        gap = False
        for j in range(k):
            b = out[j]
            if _is_digit(b) or 97 <= b <= 122:
                if gap and m > 0:
                    out[m] = 32
                    m += 1
                out[m] = b
                m += 1
                gap = False
            else:
                gap = True
        p = _prefix_length(out, m)
        if p:
            while p < m and out[p] == 32:
                p += 1
            for j in range(p, m):
                out[j - p] = out[j]
            m -= p
        return m
    # HOUSE
    m = 0
    for j in range(k):
        b = out[j]
        if b == 47:  # '/': the flat number and anything after it go
            break
        if b != 32:
            out[m] = b
            m += 1
    m = _strip_dot_zero(out, m)
    z = 0
    while z < m and out[z] == 48:
        z += 1
    cut = 0
    if z > 0 and z < m and _is_digit(out[z]):
        cut = z
    elif z >= 2:
        cut = z - 1
    if cut:
        for j in range(cut, m):
            out[j - cut] = out[j]
        m -= cut
    return m


@njit(cache=True, nogil=True, inline="always")
def _normalised(kind: int, width: int, data: np.ndarray, s: int, e: int, mode: int, out: np.ndarray) -> int:
    """:func:`normalise_into` honouring a row's mode (verbatim / missing)."""
    if mode == _MODE_EMPTY:
        return 0
    if mode == _MODE_VERBATIM:
        return normalise_into(RAW, 0, data, s, e, out)
    return normalise_into(kind, width, data, s, e, out)


# --------------------------------------------------------------------------
# columns


@njit(cache=True, nogil=True, parallel=True)
def _unhandled(kind: int, width: int, data: np.ndarray, starts: np.ndarray, ends: np.ndarray,
               mode: np.ndarray) -> np.ndarray:
    n = starts.shape[0]
    bad = np.zeros(n, dtype=np.bool_)
    n_chunks = min(n, 256)
    for c in prange(n_chunks):
        lo, hi = c * n // n_chunks, (c + 1) * n // n_chunks
        longest = width
        for i in range(lo, hi):
            longest = max(longest, ends[i] - starts[i])
        buf = np.empty(longest, dtype=np.uint8)
        for i in range(lo, hi):
            if mode[i] == _MODE_NORMALISE and normalise_into(kind, width, data, starts[i], ends[i], buf) < 0:
                bad[i] = True
    return bad


def text_column(values: pa.Array, kind: int, width: int = 0,
                fallback: Callable[[pa.Array], pa.Array] | None = None) -> TextColumn:
    """The bytes of an Arrow string array, ready for :func:`hash_rows`.

    Values the kernel does not handle (see :func:`normalise_into`) are
    normalised by ``fallback`` (the pyarrow normaliser of the same kind) and
    marked verbatim; missing values are marked empty.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = values.cast(pa.large_string())
    n = len(values)
    _, off_buf, data_buf = values.buffers()
    off_type = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(off_buf, dtype=off_type, count=n + 1, offset=values.offset * np.dtype(off_type).itemsize) \
        if n else np.zeros(1, dtype=off_type)
    offsets = offsets.astype(np.int64, copy=False)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None and data_buf.size else np.zeros(1, np.uint8)
    mode = np.zeros(n, dtype=np.uint8)
    if values.null_count:
        mode[values.is_null().to_numpy(zero_copy_only=False)] = _MODE_EMPTY
    starts, ends = offsets[:-1], offsets[1:]
    if kind != RAW:
        bad = np.flatnonzero(_unhandled(kind, width, data, starts, ends, mode))
        if len(bad):
            if fallback is None:
                raise ValueError("values outside printable ASCII and Polish letters need a fallback normaliser")
            fixed = fallback(values.take(pa.array(bad))).cast(pa.large_string())
            _, fo, fd = fixed.buffers()
            f_off = np.frombuffer(fo, dtype=np.int64, count=len(bad) + 1, offset=fixed.offset * 8)
            f_data = np.frombuffer(fd, dtype=np.uint8) if fd is not None and fd.size else np.zeros(0, np.uint8)
            base = len(data)
            data = np.concatenate([data, f_data])
            starts, ends = starts.copy(), ends.copy()
            starts[bad] = base + f_off[:-1]
            ends[bad] = base + f_off[1:]
            mode[bad] = np.where(fixed.is_null().to_numpy(zero_copy_only=False), _MODE_EMPTY, _MODE_VERBATIM)
    for a in (data, starts, ends):
        a.flags.writeable = False  # one numba type for every column (Arrow buffers are read-only)
    return TextColumn(data, starts, ends, mode)


@njit(cache=True, nogil=True, inline="always")
def _mix(h: np.uint64) -> np.uint64:
    """splitmix64 finaliser."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@njit(cache=True, nogil=True, parallel=True)
def _hash_rows(kinds: np.ndarray, widths: np.ndarray, datas, starts, ends, modes,
               required: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = len(kinds)
    n = starts[0].shape[0]
    h_out = np.empty(n, dtype=np.uint64)
    g_out = np.empty(n, dtype=np.uint64)
    ok_out = np.ones(n, dtype=np.bool_)
    n_chunks = min(n, 256)
    for c in prange(n_chunks):
        lo, hi = c * n // n_chunks, (c + 1) * n // n_chunks
        longest = 0
        for col in range(k):
            longest = max(longest, widths[col])
            for i in range(lo, hi):
                longest = max(longest, ends[col][i] - starts[col][i])
        buf = np.empty(longest, dtype=np.uint8)
        for i in range(lo, hi):
            h = _FNV_OFFSET
            g = _POLY_SEED
            for col in range(k):
                m = _normalised(kinds[col], widths[col], datas[col], starts[col][i], ends[col][i], modes[col][i], buf)
                if m == 0 and required[col]:
                    ok_out[i] = False
                for j in range(m):
                    h = (h ^ np.uint64(buf[j])) * _FNV_PRIME
                    g = (g + np.uint64(buf[j]) + np.uint64(1)) * _POLY_MULT
                h = (h ^ np.uint64(0xFF)) * _FNV_PRIME  # separator: never a UTF-8 byte
                g = (g + np.uint64(0x100)) * _POLY_MULT
            h_out[i] = _mix(h)
            g_out[i] = _mix(g)
    return h_out, g_out, ok_out


def _pack(columns: list[TextColumn]) -> tuple:
    return (tuple(c.data for c in columns), tuple(c.starts for c in columns),
            tuple(c.ends for c in columns), tuple(c.mode for c in columns))


def hash_rows(columns: list[TextColumn], kinds: list[int], widths: list[int] | None = None,
              required: list[bool] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of the normalised values of each row, and
    whether every required value is non-empty.

    Rows with equal normalised values (column by column) get equal hashes.
    """
    k = len(columns)
    kinds_a = np.asarray(kinds, dtype=np.int64)
    widths_a = np.asarray(widths if widths is not None else [0] * k, dtype=np.int64)
    req = np.asarray(required if required is not None else [False] * k, dtype=np.bool_)
    if not len(columns[0].starts):
        e = np.empty(0, dtype=np.uint64)
        return e, e, np.empty(0, dtype=np.bool_)
    return _hash_rows(kinds_a, widths_a, *_pack(columns), req)


@njit(cache=True, nogil=True)
def _same(kinds, widths, datas, starts, ends, modes, i: int, j: int, buf_i: np.ndarray, buf_j: np.ndarray) -> bool:
    for col in range(len(kinds)):
        a = _normalised(kinds[col], widths[col], datas[col], starts[col][i], ends[col][i], modes[col][i], buf_i)
        b = _normalised(kinds[col], widths[col], datas[col], starts[col][j], ends[col][j], modes[col][j], buf_j)
        if a != b:
            return False
        for t in range(a):
            if buf_i[t] != buf_j[t]:
                return False
    return True


@njit(cache=True, nogil=True)
def _buckets(h: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows grouped by the top ``bits`` bits of their hash (about one row per bucket).

    Returns the row order (ascending rows within a bucket: a stable radix
    sort) and ``start``, where bucket ``b`` holds ``order[start[b]:start[b + 1]]``.
    """
    n = h.shape[0]
    bits = 1
    while (1 << bits) < n and bits < 40:
        bits += 1
    shift = np.uint64(64 - bits)
    top = h >> shift
    order = argsort_u64(top)
    start = np.empty((1 << bits) + 1, dtype=np.int64)
    b = 0
    for e in range(n):
        t = top[order[e]]
        while b <= t:
            start[b] = e
            b += 1
    while b <= (1 << bits):
        start[b] = n
        b += 1
    return order, start, bits


@njit(cache=True, nogil=True, parallel=True)
def _join(h_left: np.ndarray, g_left: np.ndarray, ok_left: np.ndarray, h_right: np.ndarray,
          g_right: np.ndarray, ok_right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order, bstart, bits = _buckets(h_right)
    shift = np.uint64(64 - bits)
    m = h_right.shape[0]
    # the right side in bucket order, so that a probe reads one contiguous run
    sh, sg, sok = np.empty(m, np.uint64), np.empty(m, np.uint64), np.empty(m, np.bool_)
    for t in prange(m):
        r = order[t]
        sh[t], sg[t], sok[t] = h_right[r], g_right[r], ok_right[r]
    n = h_left.shape[0]
    count = np.zeros(n, dtype=np.int64)
    for i in prange(n):
        if ok_left[i]:
            b = h_left[i] >> shift
            for t in range(bstart[b], bstart[b + 1]):
                if sh[t] == h_left[i] and sg[t] == g_left[i] and sok[t]:
                    count[i] += 1
    offset = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        offset[i + 1] = offset[i] + count[i]
    li = np.empty(offset[n], dtype=np.int64)
    rj = np.empty(offset[n], dtype=np.int64)
    for i in prange(n):
        if count[i]:
            at = offset[i]
            b = h_left[i] >> shift
            for t in range(bstart[b], bstart[b + 1]):
                if sh[t] == h_left[i] and sg[t] == g_left[i] and sok[t]:
                    li[at] = i
                    rj[at] = order[t]
                    at += 1
    return li, rj


def join_rows(columns: list[TextColumn], kinds: list[int], widths: list[int] | None, n_left: int,
              required: list[bool] | None = None,
              left_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` of left row ``i`` and right row ``j`` with equal normalised keys.

    ``columns`` hold the left rows (``0..n_left - 1``) followed by the right
    rows.  Rows with an empty required value, and left rows outside
    ``left_mask`` (when given), join nothing.  Pairs are ordered by ``i``, then
    ``j`` (as a sort-merge join would give them).

    Keys are compared by their 128-bit hash (two independent 64-bit hashes of
    the normalised bytes) rather than byte by byte: re-reading both rows of
    every candidate pair cost 3x the whole join in cache misses.  For two
    different keys the hashes agree with probability about 2**-128; among
    10**7 x 10**7 key pairs that is below 10**-24.
    """
    h, g, ok = hash_rows(columns, kinds, widths, required)
    if n_left == 0 or n_left == len(h):
        e = np.empty(0, dtype=np.int64)
        return e, e
    ok_left = ok[:n_left] if left_mask is None else ok[:n_left] & left_mask
    return _join(h[:n_left], g[:n_left], ok_left, h[n_left:], g[n_left:], ok[n_left:])


@njit(cache=True, nogil=True)
def _duplicated(kinds, widths, datas, starts, ends, modes, h: np.ndarray) -> np.ndarray:
    n = h.shape[0]
    dup = np.zeros(n, dtype=np.bool_)
    order = argsort_u64(h)
    longest = 0
    for col in range(len(kinds)):
        longest = max(longest, widths[col])
        for i in range(n):
            longest = max(longest, ends[col][i] - starts[col][i])
    buf_i = np.empty(longest, dtype=np.uint8)
    buf_j = np.empty(longest, dtype=np.uint8)
    a = 0
    while a < n:
        b = a + 1
        while b < n and h[order[b]] == h[order[a]]:
            b += 1
        if b - a == 1:
            a = b
            continue
        # rows a..b-1 share a hash: split them into groups of equal keys
        left = b - a
        done = np.zeros(b - a, dtype=np.bool_)
        while left > 1:
            t = 0
            while done[t]:
                t += 1
            done[t] = True
            left -= 1
            group = 1
            for u in range(t + 1, b - a):
                if not done[u] and _same(kinds, widths, datas, starts, ends, modes, order[a + t], order[a + u],
                                         buf_i, buf_j):
                    done[u] = True
                    dup[order[a + u]] = True
                    left -= 1
                    group += 1
            if group > 1:
                dup[order[a + t]] = True
        a = b
    return dup


def duplicated(columns: list[TextColumn], kinds: list[int], widths: list[int] | None = None) -> np.ndarray:
    """Rows whose normalised key equals another row's (``pandas.Series.duplicated(keep=False)``)."""
    k = len(columns)
    widths = widths if widths is not None else [0] * k
    h, _, _ = hash_rows(columns, kinds, widths)
    if not len(h):
        return np.zeros(0, dtype=bool)
    return _duplicated(np.asarray(kinds, dtype=np.int64), np.asarray(widths, dtype=np.int64), *_pack(columns), h)


def concat(arrays: list[pa.Array]) -> pa.Array:
    """Arrow string arrays as one (large_string) array."""
    arrs = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    arrs = [a if pa.types.is_large_string(a.type) else a.cast(pa.large_string()) for a in arrs]
    return pa.concat_arrays(arrs) if arrs else pa.array([], type=pa.large_string())


