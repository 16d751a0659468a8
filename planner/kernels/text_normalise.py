"""Byte-level normalisation of address-key texts (numba).

:func:`normalise_into` rewrites one value of an Arrow string buffer as the
pyarrow normalisers of :mod:`planner.whitespots.keys` (:func:`~planner.whitespots.keys.arrow_code`,
:func:`~planner.whitespots.keys.arrow_street`, :func:`~planner.whitespots.keys.arrow_house`)
do, for printable ASCII and the 18 Polish letters; any other byte (control
characters, other scripts and diacritics) marks the value as not handled, and
the caller normalises it with pyarrow instead -- so every value normalises
exactly as pyarrow would.  Compiled on first call (``cache=True``), never at
import time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["CODE", "HOUSE", "KINDS", "RAW", "STREET", "normalise_into"]

#: Kinds of normalisation (see :func:`normalise_into`).
RAW, CODE, STREET, HOUSE = 0, 1, 2, 3
#: Every kind, by name.
KINDS: dict[str, int] = {"raw": RAW, "code": CODE, "street": STREET, "house": HOUSE}


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
        plain: int = _POLISH[b0 - 0xC3, b1 - 0x80]
        return plain
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
    r"""``^(\d+)\.0$`` -> ``\1`` on ``out[:k]``; the new length."""
    if k < 3 or out[k - 1] != 48 or out[k - 2] != 46:
        return k
    for j in range(k - 2):
        if not _is_digit(out[j]):
            return k
    return k - 2


#: The street-name prefixes :func:`planner.whitespots.keys.arrow_street` drops.
_PREFIXES = ("ulica", "ul", "aleja", "aleje", "al", "plac", "pl", "osiedle", "os")
#: Each prefix as a little-endian word (at most 7 bytes), and its length.
_PREFIX_WORDS = np.array([int.from_bytes(p.encode(), "little") for p in _PREFIXES], dtype=np.uint64)
_PREFIX_LENGTHS = np.array([len(p) for p in _PREFIXES], dtype=np.int64)


def _street_table() -> np.ndarray:
    """What each byte of a street name becomes.

    A lower-case ASCII letter or digit (itself or lower-cased), 0 for other
    printable ASCII (a separator), 254 for a byte >= 0x80 (maybe a Polish
    letter), 255 for anything else (not handled).
    """
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
    """Length of the first word ``out[:w]`` if it is a street prefix, else 0.

    The prefixes are :data:`_PREFIXES` (``ul``/``ulica``/``al``/``aleja``/
    ``aleje``/``pl``/``plac``/``os``/``osiedle``); the word is followed by a space.
    """
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
    """Write the normalised form of ``data[s:e]`` to ``out``.

    Parameters
    ----------
    kind
        ``RAW``: the bytes as they are.  ``CODE``: a TERYT code
        (``keys.arrow_code(width)``): spaces trimmed, a trailing ``.0`` of a
        number dropped, digits left-padded with zeros to ``width``, anything
        else lower-cased.  ``STREET``: a street name (``keys.arrow_street``):
        folded to lower-case ASCII, runs of other characters as one space,
        trimmed, a leading ``ul``/``al``/``pl``/``os`` word (or its long form)
        dropped.  ``HOUSE``: a house number (``keys.arrow_house``): folded, cut
        at the first ``/``, spaces dropped, a trailing ``.0`` of a number
        dropped, leading zeros dropped before a digit.
    width
        Width of a ``CODE`` (7 for TERC/SIMC, 5 for ULIC); unused otherwise.
    data
        UTF-8 bytes (an Arrow string buffer).
    s, e
        The value is ``data[s:e]``.
    out
        At least ``max(e - s, width)`` bytes.

    Returns
    -------
    int
        Length of the normalised value in ``out``; -1 if a byte is not handled
        (the caller normalises the value with pyarrow).
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
