"""Numbering values by first appearance in an in-cache hash table (numba).

:func:`table_codes` drives a compiled ``fill`` kernel that looks each row's
key (three 64-bit words) up in an open-addressing table small enough to stay
in the CPU cache -- the usual case for the columns it serves (operators,
technologies, media, statuses; the white-spot stage's distinct coverage
declarations).  :func:`factorize` is such a kernel for Arrow strings: it
numbers them as ``pyarrow.compute.dictionary_encode`` does, with one multiply
and an in-cache lookup per row.  :func:`find` and :func:`enter` are the table
operations for other ``fill`` kernels (compiled into them).

The kernels allocate nothing (the caller grows the table and calls again), so
they run without numba's reference counting (``_nrt=False``), which otherwise
made such a per-row loop several times slower.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
from numba import njit

from planner.kernels.text_hash import MULT_H, SEED_G, aligned_words, equal_bytes, string_buffers, word

__all__ = ["FACTORIZE_LIMIT", "enter", "factorize", "find", "slot_shift", "table_codes"]

#: :func:`factorize` gives up beyond this many distinct values (Arrow's hash table is then faster).
FACTORIZE_LIMIT = 1 << 12

Fill = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], None]


@njit(cache=True, nogil=True, inline="always")
def slot_shift(slots: np.ndarray) -> np.uint64:
    """The shift that takes a hash to its slot: 64 minus log2 of the table length (a power of two)."""
    bits = 0
    while (1 << bits) < slots.shape[0]:
        bits += 1
    return np.uint64(64 - bits)


@njit(cache=True, nogil=True, inline="always")
def find(table: np.ndarray, slots: np.ndarray, b: int | np.int64, key0: np.uint64, key1: np.uint64,
         key2: np.uint64) -> tuple[int, int | np.int64]:
    """From slot ``b`` on: the first value with these three key words and its slot, or -1 and the first empty slot."""
    mask = slots.shape[0] - 1
    c = slots[b]
    while c >= 0 and not (table[c, 0] == key0 and table[c, 1] == key1 and table[c, 2] == key2):
        b = (b + 1) & mask
        c = slots[b]
    return c, b


@njit(cache=True, nogil=True, inline="always")
def enter(table: np.ndarray, slots: np.ndarray, b: int | np.int64, k: int, key0: np.uint64, key1: np.uint64,
          key2: np.uint64, h: np.uint64, row: int) -> int:
    """Enter value ``k`` (key words, hash and first row) at slot ``b``; returns ``k + 1``."""
    table[k, 0], table[k, 1], table[k, 2], table[k, 3], table[k, 4] = key0, key1, key2, h, row
    slots[b] = k
    return k + 1


def _reindex(table: np.ndarray, k: int, slots: np.ndarray) -> None:
    """Enter the first ``k`` values of ``table`` into the empty ``slots``, each at the top bits of its hash.

    Plain Python: at most a few thousand values, once per growth of the table.
    """
    shift = 64 - (len(slots).bit_length() - 1)
    mask = len(slots) - 1
    for t, h in enumerate(table[:k, 3].tolist()):
        b = h >> shift
        while slots[b] >= 0:
            b = (b + 1) & mask
        slots[b] = t


def table_codes(n: int, fill: Fill, limit: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes of ``n`` rows in order of first appearance, by a compiled ``fill`` kernel.

    Parameters
    ----------
    n
        Number of rows.
    fill
        ``fill(codes, slots, table, state)`` looks up the rows from
        ``state[0]`` on: ``table`` holds per value three key words, its hash
        and its first row (:func:`enter`); ``slots`` (four times as long, a
        power of two) index it by the top bits of the hash
        (:func:`slot_shift`, :func:`find`); ``state`` is (next row, values so
        far), updated.  It stops when ``table`` is full and is called again
        on a table twice as long.
    limit
        Give up once there would be more than this many values.

    Returns
    -------
    tuple of numpy.ndarray or None
        The code of every row and each value's first row; ``None`` beyond ``limit``.
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


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False, error_model="numpy")  # type: ignore[call-overload, untyped-decorator]
def _factorize(data: np.ndarray, words: np.ndarray, offsets: np.ndarray, missing: np.ndarray, codes: np.ndarray,
               slots: np.ndarray, table: np.ndarray, state: np.ndarray) -> None:
    """The ``fill`` kernel of :func:`factorize` (missing values get -1).

    A value's key is its first two 8-byte words and its length.  Values up
    to 16 bytes are equal when their keys are; longer ones are then compared
    byte by byte from their 17th byte.
    """
    shift = slot_shift(slots)
    mask = slots.shape[0] - 1
    i, k = state[0], state[1]
    while i < codes.shape[0]:
        if missing[i]:
            codes[i] = -1
            i += 1
            continue
        s, e = offsets[i], offsets[i + 1]
        m = e - s
        w0 = word(data, words, s, e) if m > 0 else np.uint64(0)
        w1 = word(data, words, s + 8, e) if m > 8 else np.uint64(0)
        h = ((w0 * SEED_G) ^ (w1 + np.uint64(m))) * MULT_H
        j = s + 16
        while j < e:  # longer values: the rest too
            h = (h ^ word(data, words, j, e)) * MULT_H
            j += 8
        h ^= h >> np.uint64(29)
        b: int | np.int64 = np.int64(h >> shift)
        c, b = find(table, slots, b, w0, w1, np.uint64(m))
        while c >= 0 and m > 16 and not (table[c, 3] == h and equal_bytes(  # long values: the rest too
                data, words, offsets[table[c, 4]] + 16, s + 16, m - 16)):
            c, b = find(table, slots, (b + 1) & mask, w0, w1, np.uint64(m))
        if c < 0:  # a new value
            if k == table.shape[0]:
                break
            c = k
            k = enter(table, slots, b, k, w0, w1, np.uint64(m), h, i)
        codes[i] = c
        i += 1
    state[0], state[1] = i, k


def factorize(values: pa.Array | pa.ChunkedArray,
              limit: int = FACTORIZE_LIMIT) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer codes of an Arrow string array's values in order of first appearance.

    Parameters
    ----------
    values
        Arrow string array.
    limit
        Most distinct values before giving up.

    Returns
    -------
    tuple of numpy.ndarray or None
        The codes, as ``pyarrow.compute.dictionary_encode`` numbers them
        (missing values: -1), and the row of each value's first appearance
        (so ``values.take(first)`` is the dictionary); ``None`` if there are
        more than ``limit`` distinct values.
    """
    data, offsets, missing = string_buffers(values)
    words = aligned_words(data)
    return table_codes(len(missing), lambda codes, slots, table, state: _factorize(
        data, words, offsets, missing, codes, slots, table, state), limit)
