"""Address keys: normalised codes, street names and house numbers, and their hashes.

Normalisation: codes lose surrounding spaces and a trailing ``.0`` and get
their leading zeros back (TERC/SIMC 7 digits, ULIC 5); street names are
compared without case, Polish diacritics, punctuation and the prefixes
``ul./al./pl./os.`` (and ``ulica/aleja/plac/osiedle``); house numbers without
case, spaces and leading zeros, and **only the building part before a slash**
(``'12/3'``, building 12 flat 3, matches the building-level address ``'12'``).

The ``arrow_*`` normalisers apply these rules to an Arrow string array with
:mod:`pyarrow.compute` (vectorised, applied to distinct values);
:func:`key_hashes` hashes the keys of every row with the compiled
normalisers of :mod:`planner.kernels.text_normalise` (which fall back on the
``arrow_*`` ones for texts they do not handle), and :func:`key_pairs` joins
two frames on them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planner.kernels import text_hash, text_join
from planner.kernels.text_normalise import CODE, HOUSE, RAW, STREET

__all__ = [
    "KeyHashes",
    "arrow_code",
    "arrow_fold",
    "arrow_house",
    "arrow_lower",
    "arrow_operator",
    "arrow_strip",
    "arrow_street",
    "arrow_technology",
    "arrow_terc6",
    "column",
    "fold",
    "id_positions",
    "key_hashes",
    "key_pairs",
    "normalise_house_number",
    "normalise_street",
    "raw_hashes",
    "to_arrow",
]

Normaliser = Callable[[pa.Array], pa.Array]
Pairs = tuple[np.ndarray, np.ndarray]
Hashes = tuple[np.ndarray, np.ndarray]

_PL_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_PL_LOWER = (("ą", "a"), ("ć", "c"), ("ę", "e"), ("ł", "l"), ("ń", "n"), ("ó", "o"), ("ś", "s"), ("ź", "z"),
             ("ż", "z"))


def fold(text: str) -> str:
    """Lower-case ASCII form of a Polish text (``'Łódź'`` -> ``'lodz'``).

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        Polish letters without diacritics, other Latin diacritics dropped, case-folded.
    """
    text = text.translate(_PL_FOLD)
    if not text.isascii():  # other Latin diacritics (rare): decompose and drop the marks
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text.casefold()


def _any(mask: pa.Array) -> bool:
    return bool(len(mask)) and bool(pc.any(mask).as_py())


def arrow_fold(a: pa.Array) -> pa.Array:
    """:func:`fold` of every string of an Arrow array (vectorised with :mod:`pyarrow.compute`)."""
    a = pc.utf8_lower(a)
    if not len(a) or pc.all(pc.string_is_ascii(a)).as_py():
        return a
    for old, new in _PL_LOWER:
        a = pc.replace_substring(a, old, new)
    ascii_ = pc.string_is_ascii(a)
    if len(a) and not pc.all(ascii_).as_py():  # rare: other diacritics, one by one
        vals = a.to_pylist()
        mask = ascii_.to_pylist()
        a = pa.array([v if ok or v is None else fold(v) for v, ok in zip(vals, mask)], type=pa.string())
    return a


def arrow_street(a: pa.Array) -> pa.Array:
    """Comparable street names: folded, punctuation as single spaces, ``ul.``/``al.``/``pl.``/``os.`` dropped."""
    a = pc.replace_substring_regex(arrow_fold(a), r"[^0-9a-z]+", " ")
    a = pc.utf8_trim_whitespace(a)
    return pc.replace_substring_regex(a, r"^(?:ul|ulica|al|aleja|aleje|pl|plac|os|osiedle) +", "")


def arrow_house(a: pa.Array) -> pa.Array:
    """Comparable house numbers: folded, cut at ``/``, no spaces, no trailing ``.0``, no leading zeros."""
    a = arrow_fold(a)
    if _any(pc.match_substring(a, "/")):
        a = pc.replace_substring_regex(a, r"/.*$", "")
    a = pc.replace_substring_regex(a, r"\s+", "")
    if _any(pc.match_substring(a, ".0")):
        a = pc.replace_substring_regex(a, r"^(\d+)\.0$", r"\1")  # a number read as float
    if _any(pc.starts_with(a, "0")):
        a = pc.replace_substring_regex(a, r"^0+(\d)", r"\1")
    return a


def arrow_code(width: int) -> Normaliser:
    """The normaliser of TERYT codes of ``width`` digits (7: TERC, SIMC; 5: ULIC).

    Parameters
    ----------
    width
        Number of digits.

    Returns
    -------
    callable
        Arrow array -> Arrow array: spaces trimmed, a trailing ``.0`` of a
        number dropped, digits left-padded with zeros, anything else lower-cased.
    """
    def norm(a: pa.Array) -> pa.Array:
        a = pc.utf8_trim_whitespace(a)
        if _any(pc.match_substring(a, ".0")):
            a = pc.replace_substring_regex(a, r"^(\d+)\.0$", r"\1")
        return pc.if_else(pc.utf8_is_digit(a), pc.utf8_lpad(a, width=width, padding="0"), pc.utf8_lower(a))

    return norm


def arrow_terc6(a: pa.Array) -> pa.Array:
    """The first 6 digits of normalised TERC codes (the commune without its rodzaj digit)."""
    return pc.utf8_slice_codeunits(arrow_code(7)(a), 0, 6)


def arrow_strip(a: pa.Array) -> pa.Array:
    """Texts without surrounding white space."""
    return pc.utf8_trim_whitespace(a)


def arrow_lower(a: pa.Array) -> pa.Array:
    """Texts stripped and lower-cased."""
    return pc.utf8_lower(pc.utf8_trim_whitespace(a))


def arrow_operator(a: pa.Array) -> pa.Array:
    """Comparable operator names: runs of white space as one space, stripped, lower-cased."""
    return pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"\s+", " ")))


def arrow_technology(a: pa.Array) -> pa.Array:
    """Comparable technology names: lower-cased, without white space."""
    return pc.utf8_lower(pc.replace_substring_regex(a, r"\s+", ""))


def _scalar(norm: Normaliser, value: object) -> str:
    return str(norm(pa.array([str(value)], type=pa.string()))[0].as_py())


def normalise_street(name: str) -> str:
    """Comparable form of a street name.

    Case, Polish diacritics, punctuation and a leading ``ul.``/``al.``/``pl.``/
    ``os.`` (or ``ulica``/``aleja``/``plac``/``osiedle``) are dropped.

    Parameters
    ----------
    name
        Street name as written.

    Returns
    -------
    str
        The normalised name.

    Examples
    --------
    >>> normalise_street("ul. Księżycowa")
    'ksiezycowa'
    >>> normalise_street("KSIEZYCOWA")
    'ksiezycowa'
    """
    return _scalar(arrow_street, name)


def normalise_house_number(number: str) -> str:
    """Comparable form of a house number (numer porządkowy) of a building.

    Case and spaces are dropped, leading zeros removed, and only the building
    part before a ``/`` is kept: ``'12/3'`` (building 12, flat 3) is building
    ``'12'``, so a flat-level coverage row matches the building-level address.

    Parameters
    ----------
    number
        House number as written.

    Returns
    -------
    str
        The normalised number.

    Examples
    --------
    >>> [normalise_house_number(x) for x in ("12A", "12 a", "12a", "12/3", "012")]
    ['12a', '12a', '12a', '12', '12']
    """
    return _scalar(arrow_house, number)


def to_arrow(values: pd.Series | np.ndarray) -> pa.Array:
    """Values as an Arrow string array (missing values null), without per-row Python.

    Parameters
    ----------
    values
        Strings, or numbers / booleans / mixed objects (then the text of each value).

    Returns
    -------
    pyarrow.Array
        ``string`` or ``large_string``.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        try:
            arr = pa.array(s.array if s.dtype != object else s.to_numpy(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = None
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return arr
        if arr is not None and pa.types.is_null(arr.type):
            return arr.cast(pa.string())
    # numbers, booleans or mixed objects: the text of each value
    obj = s.astype(object)
    mask = obj.isna().to_numpy()
    text = np.where(mask, None, obj.astype(str).to_numpy(dtype=object))
    return pa.array(text, type=pa.string(), from_pandas=True)


def column(df: pd.DataFrame, name: str, default: object = "") -> pd.Series:
    """``df[name]``, or a column of ``default`` when the frame has none.

    Parameters
    ----------
    df
        Any frame.
    name
        Column name.
    default
        Value of every row when the column is absent.

    Returns
    -------
    pandas.Series
    """
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)


def raw_hashes(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes of the values as they are (no normalisation).

    Parameters
    ----------
    values
        Any column (numbers as their text).

    Returns
    -------
    h, g, empty : numpy.ndarray
        :func:`planner.kernels.text_hash.hash_column` with ``RAW``.
    """
    return text_hash.hash_column(to_arrow(values), RAW)


def id_positions(address_ids: pd.Series, ids: pd.Series,
                 id_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 address_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Position of each id among the (unique) address ids.

    Parameters
    ----------
    address_ids
        Ids of the address points (unique).
    ids
        Ids to look up.
    id_hashes, address_hashes
        :func:`raw_hashes` of ``ids`` / ``address_ids``, if already computed.

    Returns
    -------
    numpy.ndarray
        int64; -1 where the id is absent, empty or missing.
    """
    h, g, empty = raw_hashes(ids) if id_hashes is None else id_hashes
    ha, ga, empty_a = raw_hashes(address_ids) if address_hashes is None else address_hashes
    li, rj = text_join.join((h, g), ~empty, (ha, ga), ~empty_a, ordered=False)
    pos = np.full(len(ids), -1, dtype=np.int64)
    pos[li] = rj
    return pos


@dataclass
class KeyHashes:
    """The 128-bit hashes of the address keys of every row of a frame (:func:`key_hashes`).

    Attributes
    ----------
    ok
        SIMC and house number given.
    ulic
        ``(h, g)`` of SIMC + ULIC + house number.
    street
        ``(h, g)`` of SIMC + street name + house number (``None`` if not computed).
    """

    ok: np.ndarray
    ulic: Hashes
    street: Hashes | None


def key_hashes(frame: pd.DataFrame, street: bool = True) -> KeyHashes:
    """The address keys of every row of ``frame``, hashed from their normalised forms.

    Parameters
    ----------
    frame
        Columns ``simc``, ``ulic``, ``street``, ``house_number`` (absent ones empty).
    street
        Also hash the street key.

    Returns
    -------
    KeyHashes
    """
    def hashes(name: str, kind: int, width: int, norm: Normaliser) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return text_hash.hash_column(to_arrow(column(frame, name)), kind, width, norm)

    simc_h, simc_g, simc_empty = hashes("simc", CODE, 7, arrow_code(7))
    hn_h, hn_g, hn_empty = hashes("house_number", HOUSE, 0, arrow_house)
    base = text_hash.combine((simc_h, simc_g), (hn_h, hn_g))  # the part both keys share
    return KeyHashes(
        ok=~simc_empty & ~hn_empty,
        ulic=text_hash.combine(base, hashes("ulic", CODE, 5, arrow_code(5))[:2]),
        street=text_hash.combine(base, hashes("street", STREET, 0, arrow_street)[:2]) if street else None)


@overload
def key_pairs(left: pd.DataFrame | KeyHashes, right: pd.DataFrame | KeyHashes,
              left_mask: np.ndarray | None = None, *, street: Literal[True] = True) -> tuple[Pairs, Pairs]: ...


@overload
def key_pairs(left: pd.DataFrame | KeyHashes, right: pd.DataFrame | KeyHashes,
              left_mask: np.ndarray | None = None, *, street: bool) -> tuple[Pairs, Pairs | None]: ...


def key_pairs(left: pd.DataFrame | KeyHashes, right: pd.DataFrame | KeyHashes,
              left_mask: np.ndarray | None = None, *, street: bool = True) -> tuple[Pairs, Pairs | None]:
    """Pairs (left row, right row) with the same address key.

    Parameters
    ----------
    left, right
        Frames with the key columns, or their :func:`key_hashes` (with the
        street key when ``street``), computed beforehand.
    left_mask
        Left rows to match (all when ``None``).
    street
        Also match by the street key the left rows the ULIC key did not match.

    Returns
    -------
    by_ulic : tuple of numpy.ndarray
        ``(left positions, right positions)`` of the pairs with the same SIMC +
        ULIC + house number, ordered by left, then right position.
    by_street : tuple of numpy.ndarray or None
        Likewise for SIMC + street name + house number, for the left rows the
        ULIC key did not match; ``None`` without ``street``.

    Notes
    -----
    Values compare in their normalised forms (:func:`arrow_code`,
    :func:`arrow_street`, :func:`arrow_house`); rows without SIMC or house
    number match nothing.
    """
    lk, rk = (f if isinstance(f, KeyHashes) else key_hashes(f, street) for f in (left, right))
    todo = lk.ok if left_mask is None else lk.ok & left_mask
    by_ulic = text_join.join(lk.ulic, todo, rk.ulic, rk.ok)
    if not street:
        return by_ulic, None
    assert lk.street is not None and rk.street is not None
    todo = todo.copy()
    todo[by_ulic[0]] = False
    return by_ulic, text_join.join(lk.street, todo, rk.street, rk.ok)
