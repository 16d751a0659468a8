"""Compiled normalisation, hashing and joining of text keys (numba).

The white-spot matcher joins a million address points to a million coverage
rows on text keys: the address id, and SIMC + ULIC (or street name) + house
number written in many ways (``'ul. Księżycowa'`` / ``'KSIEZYCOWA'``, ``'12 a'``
/ ``'12A'`` / ``'012/3'``).  Dictionary-encoding each column with Arrow and
normalising its distinct values cost about 1 s per million rows, most of it
in hash tables far larger than the CPU caches.  This module reads the Arrow
string buffers directly:

* :func:`normalise_into` rewrites one value as :mod:`planner.whitespots`'
  pyarrow normalisers (``_a_code``, ``_a_street``, ``_a_house``) do, for
  printable ASCII and the 18 Polish letters; any other byte (control
  characters, other scripts and diacritics) marks the value for the pyarrow
  normaliser, whose result is then hashed instead -- so every value
  normalises exactly as before.
* :func:`hash_column` hashes the normalised value of every row into two
  independent 64-bit hashes (two multiply chains over its 8-byte words, with
  different seeds and steps, each finished with the length and a splitmix64
  finaliser); :func:`combine` chains the hashes of several columns into the
  hash of a multi-column key.
* :func:`join` finds the rows of one side with the key of each row of the
  other: a sort-merge join of the two sides' hashes (numpy sorts one 64-bit
  word per row: the top bits of its hash above its row number).  Keys are
  compared by their 128-bit hash (see :func:`join` for the odds).
* :func:`duplicated` finds repeated values, comparing candidates byte by byte.
* :func:`factorize` dictionary-encodes a column of few distinct values
  (technologies, media, operators, statuses) as Arrow does, with an
  in-cache table keyed by a value's first two words and its length.

Compiled on first call (``cache=True``), never at import time.  Serial
kernels that loop over millions of rows take their scratch arrays from the
caller and are compiled with ``_nrt=False``: numba otherwise counts
references to the arrays passed to helpers inside the loop (atomic
increments on every row), which made such loops several times slower;
``prange`` loops do not suffer from it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa
from numba import njit, prange

from planner._radix import bin_starts, sort_rows_u64

#: Kinds of normalisation (see :func:`normalise_into`).
RAW, CODE, STREET, HOUSE = 0, 1, 2, 3

_SEED_H = np.uint64(0xCBF29CE484222325)
_SEED_G = np.uint64(0x9E3779B97F4A7C15)
_MULT_H = np.uint64(0xFF51AFD7ED558CCD)
_MULT_G = np.uint64(0xD6E8FEB86659FD93)


# --------------------------------------------------------------------------
# one value


def _polish_table() -> np.ndarray:
    """ASCII lower-case letter of each two-byte UTF-8 Polish letter, by (lead byte - 0xC3, next byte - 0x80)."""
    table = np.zeros((3, 64), dtype=np.uint8)
    for letter, plain in zip("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzacelnoszz"):
        b0, b1 = letter.encode()
        table[b0 - 0xC3, b1 - 0x80] = ord(plain)
    return table


_POLISH = _polish_table()


@njit(cache=True, nogil=True, inline="always")
def _polish(b0: int, b1: int) -> int:
    """ASCII lower-case letter of a two-byte Polish letter (either case), 0 if none."""
    if 0xC3 <= b0 <= 0xC5 and 0x80 <= b1 <= 0xBF:
        return _POLISH[b0 - 0xC3, b1 - 0x80]
    return 0


@njit(cache=True, nogil=True, inline="always")
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


@njit(cache=True, nogil=True, inline="always")
def _strip_dot_zero(out: np.ndarray, k: int) -> int:
    """``^(\\d+)\\.0$`` -> ``\\1`` on ``out[:k]``; the new length."""
    if k < 3 or out[k - 1] != 48 or out[k - 2] != 46:
        return k
    for j in range(k - 2):
        if not _is_digit(out[j]):
            return k
    return k - 2


#: The street-name prefixes ``whitespots._a_street`` drops.
_PREFIXES = ("ulica", "ul", "aleja", "aleje", "al", "plac", "pl", "osiedle", "os")
#: Each prefix as a little-endian word (at most 7 bytes), and its length.
_PREFIX_WORDS = np.array([int.from_bytes(p.encode(), "little") for p in _PREFIXES], dtype=np.uint64)
_PREFIX_LENGTHS = np.array([len(p) for p in _PREFIXES], dtype=np.int64)


def _street_table() -> np.ndarray:
    """What each byte of a street name becomes: a lower-case ASCII letter or digit (itself or
    lower-cased), 0 for other printable ASCII (a separator), 254 for a byte >= 0x80 (maybe a
    Polish letter), 255 for anything else (not handled)."""
    table = np.full(256, 255, dtype=np.uint8)
    table[0x20:0x7F] = 0
    table[0x80:] = 254
    for c in b"abcdefghijklmnopqrstuvwxyz0123456789":
        table[c] = c
    for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[c] = c + 32
    return table


_STREET = _street_table()


@njit(cache=True, nogil=True, inline="always")
def _prefix_length(out: np.ndarray, w: int) -> int:
    """Length of ``out[:w]`` (the first word, followed by a space) if it is one of :data:`_PREFIXES`
    (``ul``/``ulica``/``al``/``aleja``/``aleje``/``pl``/``plac``/``os``/``osiedle``), else 0."""
    if w > 7:
        return 0
    word = np.uint64(0)
    for j in range(w):
        word |= np.uint64(out[j]) << np.uint64(8 * j)
    for p in range(_PREFIX_WORDS.shape[0]):
        if _PREFIX_LENGTHS[p] == w and _PREFIX_WORDS[p] == word:
            return w
    return 0


@njit(cache=True, nogil=True, inline="always")
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
    if kind == STREET:  # folded (as by _fold) and reduced in one pass over the bytes, by table
        m = 0
        first_space = -1
        gap = False
        i = s
        while i < e:
            b = _STREET[data[i]]
            i += 1
            if b == 0:
                gap = True
                continue
            if b >= 254:
                b = _polish(data[i - 1], data[i]) if b == 254 and i < e else 0
                if not b:
                    return -1
                i += 1
            if gap and m > 0:
                if first_space < 0:
                    first_space = m
                out[m] = 32
                m += 1
            out[m] = b
            m += 1
            gap = False
        if first_space > 0 and _prefix_length(out, first_space):
            p = first_space + 1
            for j in range(p, m):
                out[j - p] = out[j]
            m -= p
        return m
    # HOUSE
    k = _fold(data, s, e, out)
    if k < 0:
        return -1
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


# --------------------------------------------------------------------------
# columns


def _buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data bytes, int64 offsets and missing-value mask of an Arrow string array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    n = len(values)
    _, off_buf, data_buf = values.buffers()
    offsets = (np.frombuffer(off_buf, dtype=np.int64, count=n + 1, offset=values.offset * 8)
               if n else np.zeros(1, dtype=np.int64))
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None and data_buf.size else np.zeros(1, np.uint8)
    missing = (values.is_null().to_numpy(zero_copy_only=False) if values.null_count
               else np.zeros(n, dtype=np.bool_))
    return data, offsets, missing


@njit(cache=True, nogil=True, inline="always")
def _mix(h: np.uint64) -> np.uint64:
    """splitmix64 finaliser."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@njit(cache=True, nogil=True, inline="always")
def _word(data: np.ndarray, words: np.ndarray, j: int, e: int) -> np.uint64:
    """The bytes ``data[j:min(e, j + 8)]`` as a little-endian word, zero-padded.

    ``words`` is ``data``'s 8-byte-aligned prefix seen as uint64 (empty when
    ``data`` is not aligned): an unaligned word is two aligned loads and two
    shifts, masked to its length; near the end of the buffer, and without
    ``words``, it is put together byte by byte.
    """
    k = min(e - j, 8)
    q = j >> 3
    if q + 1 < words.shape[0]:
        o = np.uint64((j & 7) * 8)
        w = words[q] >> o
        if o:
            w |= words[q + 1] << (np.uint64(64) - o)
        if k < 8:
            w &= (np.uint64(1) << np.uint64(8 * k)) - np.uint64(1)
        return w
    w = np.uint64(0)
    for t in range(k):
        w |= np.uint64(data[j + t]) << np.uint64(8 * t)
    return w


def _aligned_words(data: np.ndarray) -> np.ndarray:
    """``data``'s 8-byte-aligned prefix as uint64 words for :func:`_word` (empty if ``data`` is not aligned)."""
    if data.ctypes.data % 8:
        return np.zeros(0, dtype=np.uint64)
    return data[: len(data) // 8 * 8].view(np.uint64)


@njit(cache=True, nogil=True, inline="always")
def _hash_bytes(data: np.ndarray, words: np.ndarray, s: int, e: int) -> tuple[np.uint64, np.uint64]:
    """The two hashes of ``data[s:e]``: one multiply per 8-byte word and chain, the mixing last."""
    hh = _SEED_H
    gg = _SEED_G
    for j in range(s, e, 8):
        w = _word(data, words, j, e)
        hh = (hh ^ w) * _MULT_H
        gg = (gg + w) * _MULT_G
    return _mix(hh ^ np.uint64(e - s)), _mix(gg + np.uint64(e - s))


@njit(cache=True, nogil=True, inline="always")
def _equal_bytes(data: np.ndarray, words: np.ndarray, a: int, b: int, m: int) -> bool:
    """Whether ``data[a:a + m] == data[b:b + m]``, compared 8 bytes at a time."""
    for t in range(0, m, 8):
        if _word(data, words, a + t, a + m) != _word(data, words, b + t, b + m):
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _is_code(data: np.ndarray, s: int, e: int, width: int) -> bool:
    """Whether ``data[s:e]`` is ``width`` digits: a ``CODE`` that normalises as it is."""
    if e - s != width:
        return False
    for i in range(s, e):
        if not _is_digit(data[i]):
            return False
    return True


@njit(cache=True, nogil=True, parallel=True)
def _hash_raw(data: np.ndarray, words: np.ndarray, offsets: np.ndarray, missing: np.ndarray, h: np.ndarray,
              g: np.ndarray, empty: np.ndarray, n_chunks: int) -> None:
    """:func:`_hash_column` of ``RAW`` values: the words are read straight from ``data`` (the same
    little-endian words, zero-padded, as through the copy), which halves the time."""
    n = h.shape[0]
    for c in prange(n_chunks):
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            s = offsets[i]
            e = s if missing[i] else offsets[i + 1]
            h[i], g[i] = _hash_bytes(data, words, s, e)
            empty[i] = e == s


@njit(cache=True, nogil=True, parallel=True)
def _hash_column(kind: int, width: int, data: np.ndarray, words: np.ndarray, offsets: np.ndarray,
                 missing: np.ndarray, h: np.ndarray, g: np.ndarray, empty: np.ndarray, bad: np.ndarray) -> None:
    """Hashes of every row into ``h``/``g``; rows :func:`normalise_into` does not handle flagged in ``bad``.

    ``words``: :func:`_aligned_words` of ``data``.  A ``CODE`` already in its
    normal form (``width`` digits, as TERYT codes mostly are) is hashed from
    ``data`` without the copy.
    """
    n = h.shape[0]
    n_chunks = min(n, 256)
    for c in prange(n_chunks):
        lo, hi = c * n // n_chunks, (c + 1) * n // n_chunks
        longest = width
        for i in range(lo, hi):
            longest = max(longest, offsets[i + 1] - offsets[i])
        out_words = np.zeros(longest // 8 + 2, dtype=np.uint64)
        buf = out_words.view(np.uint8)  # the normalised bytes, read back 8 at a time
        for i in range(lo, hi):
            s, e = offsets[i], offsets[i + 1]
            if kind == CODE and not missing[i] and _is_code(data, s, e, width):
                h[i], g[i] = _hash_bytes(data, words, s, e)
                empty[i] = e == s
                continue
            m = 0 if missing[i] else normalise_into(kind, width, data, s, e, buf)
            if m < 0:
                bad[i] = True
                continue
            h[i], g[i] = _hash_bytes(buf, out_words, 0, m)
            empty[i] = m == 0


def _hash_buffers(data: np.ndarray, offsets: np.ndarray, missing: np.ndarray, kind: int,
                  width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_hash_column` of the buffers of one column: ``h``, ``g``, ``empty``, ``bad``."""
    n = len(missing)
    h, g = np.empty(n, np.uint64), np.empty(n, np.uint64)
    empty, bad = np.zeros(n, np.bool_), np.zeros(n, np.bool_)
    if n and kind == RAW:
        _hash_raw(data, _aligned_words(data), offsets, missing, h, g, empty, min(n, 256))
    elif n:
        _hash_column(kind, width, data, _aligned_words(data), offsets, missing, h, g, empty, bad)
    return h, g, empty, bad


def hash_column(values: pa.Array, kind: int, width: int = 0,
                fallback: Callable[[pa.Array], pa.Array] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of the normalised value of every row, and whether it is empty.

    Equal normalised values get equal hashes; missing values normalise as
    ``''``.  Values :func:`normalise_into` does not handle are normalised by
    ``fallback`` (the pyarrow normaliser of the same kind) and hashed as they
    come out of it.
    """
    h, g, empty, bad = _hash_buffers(*_buffers(values), kind, width)
    if kind != RAW and bad.any():
        rows = np.flatnonzero(bad)
        if fallback is None:
            raise ValueError("values outside printable ASCII and Polish letters need a fallback normaliser")
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        fixed = fallback(values.take(pa.array(rows)))
        fh, fg, fe = hash_column(fixed, RAW)
        h[rows], g[rows], empty[rows] = fh, fg, fe
    return h, g, empty


@njit(cache=True, nogil=True, parallel=True)
def _chain(h: np.ndarray, g: np.ndarray, h_next: np.ndarray, g_next: np.ndarray) -> None:
    for i in prange(h.shape[0]):
        h[i] = _mix(h[i] ^ h_next[i])
        g[i] = _mix((g[i] + g_next[i]) * _MULT_G)


@njit(cache=True, nogil=True, parallel=True)
def _combine(hs: tuple, gs: tuple, h: np.ndarray, g: np.ndarray) -> None:
    """:func:`combine` into ``h``/``g``, all columns of a row at once."""
    for i in prange(h.shape[0]):
        hh, gg = _SEED_H, _SEED_G
        for k in range(len(hs)):
            hh = _mix(hh ^ hs[k][i])
            gg = _mix((gg + gs[k][i]) * _MULT_G)
        h[i], g[i] = hh, gg


def _readonly(a: np.ndarray) -> np.ndarray:
    """``a`` as a C-contiguous read-only uint64 array: the columns of a tuple then share one numba
    type (so a tuple of them compiles once, whatever each one came from)."""
    v = np.ascontiguousarray(a, dtype=np.uint64).view()
    v.flags.writeable = False
    return v


def combine(*hashes: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The 128-bit hash of a multi-column key from its columns' ``(h, g)`` hashes (order matters):
    from two seeds, each column chained in by ``h = mix(h ^ h_col)``, ``g = mix((g + g_col) * M)``."""
    n = len(hashes[0][0])
    h, g = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
    _combine(tuple(_readonly(hc) for hc, _ in hashes), tuple(_readonly(gc) for _, gc in hashes), h, g)
    return h, g


# --------------------------------------------------------------------------
# join and duplicates


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


@njit(cache=True, nogil=True)
def _packed(h: np.ndarray, ok: np.ndarray, bits: int) -> np.ndarray:
    """For the rows in ``ok``: the top ``64 - bits`` bits of ``h`` above the row number (``< 2**bits``)."""
    m = 0
    for r in range(h.shape[0]):
        m += ok[r]
    out = np.empty(m, np.uint64)
    sh = np.uint64(bits)
    t = 0
    for r in range(h.shape[0]):
        if ok[r]:
            out[t] = ((h[r] >> sh) << sh) | np.uint64(r)
            t += 1
    return out


@njit(cache=True, nogil=True, inline="always")
def _run_end(keys: np.ndarray, i: int, top: np.uint64, sh: np.uint64) -> int:
    """End of the run of ``keys`` from ``i`` whose top bits are ``top``."""
    while i < keys.shape[0] and keys[i] >> sh == top:
        i += 1
    return i


@njit(cache=True, nogil=True, _nrt=False)
def _merge(kl: np.ndarray, kr: np.ndarray, bits: int, hl: np.ndarray, gl: np.ndarray, hr: np.ndarray,
           gr: np.ndarray, li: np.ndarray, rj: np.ndarray) -> int:
    """Pairs of rows with equal ``(h, g)`` from two sorted :func:`_packed` arrays: a merge of the runs
    with equal top bits, each candidate pair checked on the whole 128-bit hash.

    With empty ``li``/``rj``, returns the number of candidate pairs (the
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


def join(left: tuple[np.ndarray, np.ndarray], ok_left: np.ndarray, right: tuple[np.ndarray, np.ndarray],
         ok_right: np.ndarray, *, ordered: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` of left row ``i`` and right row ``j`` with equal keys.

    ``left`` and ``right`` are the ``(h, g)`` hashes of the keys
    (:func:`hash_column`, :func:`combine`); rows outside ``ok_left`` /
    ``ok_right`` join nothing.  With ``ordered`` the pairs are ordered by
    ``i``, then ``j`` (as a sort-merge join gives them); without, in an order
    that depends only on the hashes and row numbers.

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
    hl, gl = (np.ascontiguousarray(a, dtype=np.uint64) for a in left)
    hr, gr = (np.ascontiguousarray(a, dtype=np.uint64) for a in right)
    kl = _packed(hl, np.asarray(ok_left, dtype=np.bool_), bits)
    kr = _packed(hr, np.asarray(ok_right, dtype=np.bool_), bits)
    kl.sort()  # numpy's sort releases the GIL
    kr.sort()
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
        return missing[i] and missing[j]
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
    """Rows in ``candidates`` whose ``(h, g)`` hash -- and, if ``exact``, whose bytes -- equal another
    candidate's."""
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
    return _member(h, np.unique(s[1:][same]))


@njit(cache=True, nogil=True)
def _member(h: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each ``h`` is one of the distinct ``values`` (an open-addressing set, sized to stay in cache)."""
    bits = 4
    while (1 << bits) < 2 * values.shape[0]:
        bits += 1
    shift, mask = np.uint64(64 - bits), (1 << bits) - 1
    table = np.zeros(1 << bits, dtype=np.uint64)
    used = np.zeros(1 << bits, dtype=np.bool_)
    for v in values:
        b = np.int64(_mix(v) >> shift)
        while used[b]:
            b = (b + 1) & mask
        table[b], used[b] = v, True
    out = np.zeros(h.shape[0], dtype=np.bool_)
    for i in range(h.shape[0]):
        b = np.int64(_mix(h[i]) >> shift)
        while used[b]:
            if table[b] == h[i]:
                out[i] = True
                break
            b = (b + 1) & mask
    return out


def shared_hashes(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Rows whose ``(h, g)`` hash equals another row's: the candidates for duplicates."""
    if not len(h):
        return np.zeros(0, dtype=bool)
    h, g = np.ascontiguousarray(h, dtype=np.uint64), np.ascontiguousarray(g, dtype=np.uint64)
    cand = _shared_first_words(h)
    if not cand.any():
        return cand
    no_bytes = np.zeros(1, dtype=np.uint8), np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.bool_)
    return _repeated(h, g, *no_bytes, False, cand)


def duplicated(values: pa.Array, hashes: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Rows whose value occurs more than once (``pandas.Series.duplicated(keep=False)``; missing
    values are equal to each other, not to ``''``).  Candidates found by hash are compared byte by byte.

    ``hashes``: the ``(h, g)`` of :func:`hash_column` of ``values`` with ``RAW``, if already computed.
    """
    data, offsets, missing = _buffers(values)
    h, g = _hash_buffers(data, offsets, missing, RAW, 0)[:2] if hashes is None else hashes
    cand = _shared_first_words(h)
    if not cand.any():
        return cand
    return _repeated(h, g, data, offsets, missing, True, cand)


#: :func:`factorize` gives up beyond this many distinct values (Arrow's hash table is then faster).
FACTORIZE_LIMIT = 1 << 12


@njit(cache=True, nogil=True, _nrt=False, error_model="numpy")
def _factorize(data: np.ndarray, words: np.ndarray, offsets: np.ndarray, missing: np.ndarray, codes: np.ndarray,
               slots: np.ndarray, table: np.ndarray, state: np.ndarray) -> None:
    """Codes of the rows from ``state[0]`` on into ``codes`` (-1 if missing), in order of first appearance
    after the ``state[1]`` values in ``table``; stops when ``table`` is full.  Updates ``state``.

    A value's key is its first two 8-byte words and its length; ``slots``
    (a power of two long, at least twice ``table``) is an open-addressing
    index into ``table``, whose rows hold per value its key, hash and first
    row.  Values up to 16 bytes are equal when their keys are; longer ones
    are then compared byte by byte from their 17th byte.  With few distinct
    values all of it stays in the L1 cache.  ``_nrt=False``: no allocation
    here (the caller grows the arrays), so numba counts no references in the
    loop -- which made such a loop several times slower.
    """
    shift = _slot_shift(slots)
    mask = slots.shape[0] - 1
    i, k = state[0], state[1]
    while i < codes.shape[0]:
        if missing[i]:
            codes[i] = -1
            i += 1
            continue
        s, e = offsets[i], offsets[i + 1]
        m = e - s
        w0 = _word(data, words, s, e) if m > 0 else np.uint64(0)
        w1 = _word(data, words, s + 8, e) if m > 8 else np.uint64(0)
        h = ((w0 * _SEED_G) ^ (w1 + np.uint64(m))) * _MULT_H
        j = s + 16
        while j < e:  # longer values: the rest too
            h = (h ^ _word(data, words, j, e)) * _MULT_H
            j += 8
        h ^= h >> np.uint64(29)
        b = np.int64(h >> shift)
        c, b = _find(table, slots, b, w0, w1, np.uint64(m))
        while c >= 0 and m > 16 and not (table[c, 3] == h and _equal_bytes(  # long values: the rest too
                data, words, offsets[table[c, 4]] + 16, s + 16, m - 16)):
            c, b = _find(table, slots, (b + 1) & mask, w0, w1, np.uint64(m))
        if c < 0:  # a new value
            if k == table.shape[0]:
                break
            c = k
            k = _enter(table, slots, b, k, w0, w1, np.uint64(m), h, i)
        codes[i] = c
        i += 1
    state[0], state[1] = i, k


@njit(cache=True, nogil=True, inline="always")
def _slot_shift(slots: np.ndarray) -> np.uint64:
    """The shift that takes a hash to its slot in a :func:`table_codes` table: 64 minus log2 of its
    length (a power of two)."""
    bits = 0
    while (1 << bits) < slots.shape[0]:
        bits += 1
    return np.uint64(64 - bits)


@njit(cache=True, nogil=True, inline="always")
def _find(table: np.ndarray, slots: np.ndarray, b: int, key0: np.uint64, key1: np.uint64,
          key2: np.uint64) -> tuple[int, int]:
    """From slot ``b`` of a :func:`table_codes` table on: the first value with these three key words
    and its slot, or -1 and the first empty slot."""
    mask = slots.shape[0] - 1
    c = slots[b]
    while c >= 0 and not (table[c, 0] == key0 and table[c, 1] == key1 and table[c, 2] == key2):
        b = (b + 1) & mask
        c = slots[b]
    return c, b


@njit(cache=True, nogil=True, inline="always")
def _enter(table: np.ndarray, slots: np.ndarray, b: int, k: int, key0: np.uint64, key1: np.uint64,
           key2: np.uint64, h: np.uint64, row: int) -> int:
    """Enter value ``k`` (its three key words, hash and first row) into a :func:`table_codes` table at
    slot ``b``; returns ``k + 1``."""
    table[k, 0], table[k, 1], table[k, 2], table[k, 3], table[k, 4] = key0, key1, key2, h, row
    slots[b] = k
    return k + 1


@njit(cache=True, nogil=True, _nrt=False)
def _reindex(table: np.ndarray, k: int, slots: np.ndarray) -> None:
    """Enter the first ``k`` values of a :func:`table_codes` table into the empty ``slots``, each at the
    top bits of its hash."""
    shift = _slot_shift(slots)
    mask = slots.shape[0] - 1
    for t in range(k):
        b = np.int64(table[t, 3] >> shift)
        while slots[b] >= 0:
            b = (b + 1) & mask
        slots[b] = t


def table_codes(n: int, fill: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None],
                limit: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes of ``n`` rows in order of first appearance, by a compiled kernel ``fill(codes, slots,
    table, state)`` that looks each row's value up in an open-addressing table.

    ``table`` holds per value three key words, its hash and its first row;
    ``slots`` (four times as long, a power of two) index it by the top bits
    of the hash (:func:`_reindex`); ``state`` is (next row, values so far).
    The kernel stops when ``table`` is full and is called again on a table
    twice as long (it allocates nothing itself, so it can run with
    ``_nrt=False``).  Returns the codes and each value's first row; ``None``
    once there would be more than ``limit`` values.
    """
    codes = np.empty(n, dtype=np.int64)
    table = np.empty((16, 5), dtype=np.uint64)
    state = np.zeros(2, dtype=np.int64)
    while True:
        slots = np.full(4 * len(table), -1, dtype=np.int64)
        _reindex(table, int(state[1]), slots)
        fill(codes, slots, table, state)
        if state[0] == n:
            return codes, table[: state[1], 4].astype(np.int64)
        if limit is not None and 2 * len(table) > limit:
            return None
        table = np.concatenate((table, np.empty_like(table)))


def factorize(values: pa.Array, limit: int = FACTORIZE_LIMIT) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer codes of an Arrow string array's values in order of first appearance, as
    ``pyarrow.compute.dictionary_encode`` numbers them (missing values: -1).

    Returns the codes and the row of each value's first appearance (so
    ``values.take(first)`` is the dictionary); ``None`` if there are more than
    ``limit`` distinct values.  For a few distinct values faster than Arrow:
    one multiply and an in-cache lookup per row (:func:`_factorize`).
    """
    data, offsets, missing = _buffers(values)
    words = _aligned_words(data)
    return table_codes(len(missing), lambda codes, slots, table, state: _factorize(
        data, words, offsets, missing, codes, slots, table, state), limit)


@njit(cache=True, nogil=True, parallel=True)
def _chain_numbers(h: np.ndarray, g: np.ndarray, x: np.ndarray, bits: np.ndarray) -> None:
    """Chain the float column ``x`` (``bits``: the same memory as uint64) into ``(h, g)``."""
    for i in prange(h.shape[0]):
        if x[i] != x[i]:
            v = np.uint64(0x7FF8000000000000)  # every NaN alike
        elif x[i] == 0.0:
            v = np.uint64(0)  # -0.0 as 0.0
        else:
            v = bits[i]
        h[i] = _mix(h[i] ^ _mix(v ^ _SEED_H))
        g[i] = _mix((g[i] + _mix(v + _SEED_G)) * _MULT_G)


def row_hashes(columns: list[pa.Array | np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The 128-bit hash of each of ``n`` rows over several columns (a filter for equal rows).

    Arrow string columns hash their bytes (missing as ``''``); numpy numeric
    columns their value as a float (``1`` as ``1.0``, ``-0.0`` as ``0.0``,
    every NaN alike).  Rows that compare equal hash alike.
    """
    h, g = np.full(n, _SEED_H, dtype=np.uint64), np.full(n, _SEED_G, dtype=np.uint64)
    for values in columns:
        if isinstance(values, np.ndarray):
            x = np.ascontiguousarray(values, dtype=np.float64)
            _chain_numbers(h, g, x, x.view(np.uint64))
        else:
            hc, gc, _ = hash_column(values, RAW)
            _chain(h, g, hc, gc)
    return h, g
