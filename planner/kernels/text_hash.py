"""128-bit hashes of text columns and multi-column keys (numba).

The white-spot matcher joins a million address points to a million coverage
rows on text keys: the address id, and SIMC + ULIC (or street name) + house
number written in many ways (``'ul. Księżycowa'`` / ``'KSIEZYCOWA'``, ``'12 a'``
/ ``'12A'`` / ``'012/3'``).  Dictionary-encoding each column with Arrow and
normalising its distinct values cost about 1 s per million rows, most of it
in hash tables far larger than the CPU caches.  This module reads the Arrow
string buffers directly (:func:`string_buffers`):

* :func:`hash_column` hashes the normalised value of every row
  (:func:`planner.kernels.text_normalise.normalise_into`) into two
  independent 64-bit hashes (two multiply chains over its 8-byte words, with
  different seeds and steps, each finished with the length and a splitmix64
  finaliser, :func:`hash_bytes`); values the kernel does not handle are
  normalised by a pyarrow fallback and hashed as they come out of it;
* :func:`combine` chains the hashes of several columns into the hash of a
  multi-column key; :func:`row_hashes` hashes whole rows of text and number
  columns (a filter for equal rows).

The small helpers (:func:`mix`, :func:`word`, :func:`hash_bytes`,
:func:`equal_bytes`) are compiled into the kernels that call them
(``inline="always"``); :mod:`planner.kernels.hash_table` uses them too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
from numba import njit

import planner.kernels
from planner.kernels.text_normalise import CODE, RAW, normalise_into
from planner.kernels.threads import readonly, run_chunks

__all__ = [
    "MULT_G",
    "MULT_H",
    "SEED_G",
    "SEED_H",
    "aligned_words",
    "combine",
    "equal_bytes",
    "hash_bytes",
    "hash_column",
    "hash_strings",
    "mix",
    "row_hashes",
    "string_buffers",
    "word",
]

#: Seeds of the two hash chains.
SEED_H = np.uint64(0xCBF29CE484222325)
SEED_G = np.uint64(0x9E3779B97F4A7C15)
#: Multipliers of the two hash chains.
MULT_H = np.uint64(0xFF51AFD7ED558CCD)
MULT_G = np.uint64(0xD6E8FEB86659FD93)

_Hashes = tuple[np.ndarray, np.ndarray]


def string_buffers(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Data bytes, int64 offsets and missing-value mask of an Arrow string array.

    Parameters
    ----------
    values
        Arrow ``string`` or ``large_string`` array (chunks are combined).

    Returns
    -------
    data, offsets, missing : numpy.ndarray
        Read-only views where possible: value ``i`` is
        ``data[offsets[i]:offsets[i + 1]]`` unless ``missing[i]``.
    """
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
    return readonly(data, np.uint8), readonly(offsets, np.int64), readonly(missing, np.bool_)


@njit(cache=True, nogil=True, inline="always")
def mix(h: np.uint64) -> np.uint64:
    """Splitmix64 finaliser of ``h``."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _mix_array(h: np.ndarray) -> np.ndarray:
    """:func:`mix` of every element of a uint64 array (numpy; wraps like the kernel)."""
    h = h ^ (h >> np.uint64(30))
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@njit(cache=True, nogil=True, inline="always")
def word(data: np.ndarray, words: np.ndarray, j: int, e: int) -> np.uint64:
    """The bytes ``data[j:min(e, j + 8)]`` as a little-endian word, zero-padded.

    ``words`` is ``data``'s 8-byte-aligned prefix seen as uint64 (empty when
    ``data`` is not aligned, :func:`aligned_words`): an unaligned word is two
    aligned loads and two shifts, masked to its length; near the end of the
    buffer, and without ``words``, it is put together byte by byte.
    """
    k = min(e - j, 8)
    q = j >> 3
    if q + 1 < words.shape[0]:
        o = np.uint64((j & 7) * 8)
        w: np.uint64 = words[q] >> o
        if o:
            w |= words[q + 1] << (np.uint64(64) - o)
        if k < 8:
            w &= (np.uint64(1) << np.uint64(8 * k)) - np.uint64(1)
        return w
    w = np.uint64(0)
    for t in range(k):
        w |= np.uint64(data[j + t]) << np.uint64(8 * t)
    return w


def aligned_words(data: np.ndarray) -> np.ndarray:
    """``data``'s 8-byte-aligned prefix as read-only uint64 words for :func:`word`.

    Parameters
    ----------
    data
        Bytes.

    Returns
    -------
    numpy.ndarray
        Empty if ``data`` does not start at an 8-byte boundary.
    """
    if data.ctypes.data % 8:
        return readonly(np.zeros(0, dtype=np.uint64), np.uint64)
    return readonly(data[: len(data) // 8 * 8].view(np.uint64), np.uint64)


@njit(cache=True, nogil=True, inline="always")
def hash_bytes(data: np.ndarray, words: np.ndarray, s: int, e: int) -> tuple[np.uint64, np.uint64]:
    """The two hashes of ``data[s:e]``: one multiply per 8-byte word and chain, the mixing last."""
    hh = SEED_H
    gg = SEED_G
    for j in range(s, e, 8):
        w = word(data, words, j, e)
        hh = (hh ^ w) * MULT_H
        gg = (gg + w) * MULT_G
    return mix(hh ^ np.uint64(e - s)), mix(gg + np.uint64(e - s))


@njit(cache=True, nogil=True, inline="always")
def equal_bytes(data: np.ndarray, words: np.ndarray, a: int, b: int, m: int) -> bool:
    """Whether ``data[a:a + m] == data[b:b + m]``, compared 8 bytes at a time."""
    for t in range(0, m, 8):
        if word(data, words, a + t, a + m) != word(data, words, b + t, b + m):
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _is_code(data: np.ndarray, s: int, e: int, width: int) -> bool:
    """Whether ``data[s:e]`` is ``width`` digits: a ``CODE`` that normalises as it is."""
    if e - s != width:
        return False
    for i in range(s, e):
        if not 48 <= data[i] <= 57:
            return False
    return True


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload, untyped-decorator]
def _hash_raw(data: np.ndarray, words: np.ndarray, offsets: np.ndarray, missing: np.ndarray, h: np.ndarray,
              g: np.ndarray, empty: np.ndarray, lo: int, hi: int) -> None:
    """Hashes of the values of rows ``lo..hi - 1`` as they are, read straight from ``data``."""
    for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no negative-index wraparound to check
        s = offsets[i]
        e = s if missing[i] else offsets[i + np.uint64(1)]
        h[i], g[i] = hash_bytes(data, words, s, e)
        empty[i] = e == s


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False, error_model="numpy")  # type: ignore[call-overload, untyped-decorator]
def _hash_normalised(kind: int, width: int, data: np.ndarray, words: np.ndarray, offsets: np.ndarray,
                     missing: np.ndarray, h: np.ndarray, g: np.ndarray, empty: np.ndarray, bad: np.ndarray,
                     out_words: np.ndarray, buf: np.ndarray, lo: int, hi: int) -> int | np.int64:
    """Hashes of the normalised values of rows ``lo..hi - 1``; rows :func:`normalise_into` does not handle in ``bad``.

    ``words``: :func:`aligned_words` of ``data``.  A ``CODE`` already in its
    normal form (``width`` digits, as TERYT codes mostly are) is hashed
    straight from ``data``; other values from their normalised copy in
    ``buf``, which is ``out_words`` seen as bytes.  Returns the first row
    whose value (or ``width``) would not fit in ``buf`` with a word to spare
    (``hi`` when all are done): the caller gives a longer one and goes on.
    """
    room = buf.shape[0] - 8
    for row in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no negative-index wraparound to check
        i = row
        s = offsets[i]
        e = s if missing[i] else offsets[i + np.uint64(1)]
        if kind == CODE and _is_code(data, s, e, width):
            h[i], g[i] = hash_bytes(data, words, s, e)
            empty[i] = e == s
            continue
        if max(e - s, width) > room:
            return np.int64(i)
        m = 0 if missing[i] else normalise_into(kind, width, data, s, e, buf)
        if m < 0:
            bad[i] = True
            continue
        h[i], g[i] = hash_bytes(buf, out_words, 0, m)
        empty[i] = m == 0
    return hi


def _hash_raw_numpy(data: np.ndarray, offsets: np.ndarray, missing: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`_hash_raw` of every row in numpy, word ``k`` of all rows at a time (short columns, no compiling)."""
    start = offsets[:-1]
    length = np.where(missing, 0, offsets[1:] - start)
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    lane = np.arange(8)
    hh, gg = np.full(length.size, SEED_H), np.full(length.size, SEED_G)
    for k in range(int(-(-length.max() // 8))):
        rows = np.flatnonzero(length > 8 * k)
        left = length[rows] - 8 * k  # bytes of the value from word k on
        b = padded[(start[rows] + 8 * k)[:, None] + lane]
        b[lane >= left[:, None]] = 0  # zero-padded, as `word` reads the last word
        w = np.ascontiguousarray(b).view("<u8")[:, 0]
        hh[rows] = (hh[rows] ^ w) * MULT_H
        gg[rows] = (gg[rows] + w) * MULT_G
    n_bytes = length.astype(np.uint64)
    return _mix_array(hh ^ n_bytes), _mix_array(gg + n_bytes), length == 0


def hash_strings(data: np.ndarray, offsets: np.ndarray, missing: np.ndarray, kind: int,
                 width: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hashes of the values in :func:`string_buffers`, normalised by the kernel only.

    Raw hashes (``kind`` ``RAW``) of fewer than :data:`planner.kernels.MIN_COMPILED_ROWS` rows
    are computed in numpy (the same hashes, without compiling the kernel).

    Parameters
    ----------
    data, offsets, missing
        :func:`string_buffers` of a column.
    kind, width
        Normalisation (:func:`~planner.kernels.text_normalise.normalise_into`).

    Returns
    -------
    h, g : numpy.ndarray
        The two uint64 hashes of every row.
    empty : numpy.ndarray
        Whether the normalised value is empty (missing values are).
    bad : numpy.ndarray
        Rows the kernel does not handle (their hashes are not set).
    """
    n = len(missing)
    h, g = np.empty(n, np.uint64), np.empty(n, np.uint64)
    empty, bad = np.zeros(n, np.bool_), np.zeros(n, np.bool_)
    if not n:
        return h, g, empty, bad
    data, offsets, missing = readonly(data, np.uint8), readonly(offsets, np.int64), readonly(missing, np.bool_)
    if kind == RAW and n < planner.kernels.MIN_COMPILED_ROWS:
        h, g, empty = _hash_raw_numpy(data, offsets, missing)
        return h, g, empty, bad
    words = aligned_words(data)
    if kind == RAW:
        run_chunks(lambda lo, hi: _hash_raw(data, words, offsets, missing, h, g, empty, lo, hi), n)
        return h, g, empty, bad

    def rows(lo: int, hi: int) -> None:
        size = 64  # the normalised bytes, read back 8 at a time; longer for longer values
        while lo < hi:
            out_words = np.zeros(size // 8 + 1, dtype=np.uint64)
            lo = _hash_normalised(kind, width, data, words, offsets, missing, h, g, empty, bad, out_words,
                                  out_words.view(np.uint8), lo, hi)
            if lo < hi:
                size = 2 * max(size, int(offsets[lo + 1] - offsets[lo]), width)

    run_chunks(rows, n)
    return h, g, empty, bad


def hash_column(values: pa.Array | pa.ChunkedArray, kind: int, width: int = 0,
                fallback: Callable[[pa.Array], pa.Array] | None = None, *,
                min_rows: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes of the normalised value of every row, and whether it is empty.

    Parameters
    ----------
    values
        Arrow string array.
    kind, width
        Normalisation (:func:`~planner.kernels.text_normalise.normalise_into`).
    fallback
        The pyarrow normaliser of the same kind, for values the kernel does
        not handle (needed unless ``kind`` is ``RAW``).
    min_rows
        Shorter columns are normalised by ``fallback`` (Arrow compute) and
        their results hashed: the same hashes, without compiling the
        normalising kernel.  ``None``: :data:`planner.kernels.MIN_COMPILED_ROWS`.

    Returns
    -------
    h, g : numpy.ndarray
        uint64 hashes; equal normalised values get equal hashes, missing
        values normalise as ``''``.
    empty : numpy.ndarray
        Whether the normalised value is empty.

    Raises
    ------
    ValueError
        A value needs the fallback and none was given.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if min_rows is None:
        min_rows = planner.kernels.MIN_COMPILED_ROWS
    if kind != RAW and fallback is not None and len(values) < min_rows:
        return hash_column(fallback(values), RAW)
    h, g, empty, bad = hash_strings(*string_buffers(values), kind, width)
    if kind != RAW and bad.any():
        rows = np.flatnonzero(bad)
        if fallback is None:
            raise ValueError("values outside printable ASCII and Polish letters need a fallback normaliser")
        fixed = fallback(values.take(pa.array(rows)))
        fh, fg, fe = hash_column(fixed, RAW)
        h[rows], g[rows], empty[rows] = fh, fg, fe
    return h, g, empty


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload, untyped-decorator]
def _chain(h: np.ndarray, g: np.ndarray, h1: np.ndarray, g1: np.ndarray, h2: np.ndarray, g2: np.ndarray,
           first: bool, two: bool, lo: int, hi: int) -> None:
    """Chain one column's hashes (``h1``, ``g1``), or two in one pass, into ``h``/``g`` (rows ``lo..hi - 1``).

    With ``first``, ``h``/``g`` are not read: the chains start from the seeds.
    """
    for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no wraparound checks, so the loop vectorises
        hh = mix((SEED_H if first else h[i]) ^ h1[i])
        gg = mix(((SEED_G if first else g[i]) + g1[i]) * MULT_G)
        if two:
            hh = mix(hh ^ h2[i])
            gg = mix((gg + g2[i]) * MULT_G)
        h[i], g[i] = hh, gg


def _chained(columns: list[_Hashes], n: int) -> _Hashes:
    """The hashes of ``n`` rows chained from the seeds through the columns' hashes, two at a time."""
    h, g = np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
    if not columns or n < planner.kernels.MIN_COMPILED_ROWS:  # numpy: the same chain without compiling _chain
        h[:], g[:] = SEED_H, SEED_G
        for hc, gc in columns:
            h, g = _mix_array(h ^ np.asarray(hc, np.uint64)), _mix_array((g + np.asarray(gc, np.uint64)) * MULT_G)
        return h, g
    for k in range(0, len(columns), 2):
        h1, g1 = (readonly(a, np.uint64) for a in columns[k])
        two = k + 1 < len(columns)
        h2, g2 = (readonly(a, np.uint64) for a in columns[k + 1]) if two else (h1, g1)
        first = k == 0
        run_chunks(lambda lo, hi: _chain(h, g, h1, g1, h2, g2, first, two, lo, hi), n)  # noqa: B023 -- run at once
    return h, g


def combine(*hashes: _Hashes) -> _Hashes:
    """The 128-bit hash of a multi-column key from its columns' hashes.

    Parameters
    ----------
    *hashes
        ``(h, g)`` of each column (:func:`hash_column`), in key order (order matters).

    Returns
    -------
    h, g : numpy.ndarray
        From two seeds, each column chained in by ``h = mix(h ^ h_col)``,
        ``g = mix((g + g_col) * MULT_G)``.
    """
    return _chained(list(hashes), len(hashes[0][0]))


def row_hashes(columns: list[pa.Array | np.ndarray], n: int) -> _Hashes:
    """The 128-bit hash of each of ``n`` rows over several columns (a filter for equal rows).

    Parameters
    ----------
    columns
        Arrow string columns hash their bytes (missing as ``''``); numpy
        numeric columns their value as a float (``1`` as ``1.0``, ``-0.0`` as
        ``0.0``, every NaN alike).
    n
        Number of rows.

    Returns
    -------
    h, g : numpy.ndarray
        Rows that compare equal hash alike.
    """
    hashed: list[_Hashes] = []
    for values in columns:
        if isinstance(values, np.ndarray):
            x = np.ascontiguousarray(values, dtype=np.float64)
            v = x.view(np.uint64).copy()
            v[x == 0.0] = 0  # -0.0 as 0.0
            v[np.isnan(x)] = np.uint64(0x7FF8000000000000)  # every NaN alike
            hashed.append((_mix_array(v ^ SEED_H), _mix_array(v + SEED_G)))
        else:
            hashed.append(hash_column(values, RAW)[:2])
    return _chained(hashed, n)
