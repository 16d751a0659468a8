"""Integer codes of columns: the white-spot stage compares rows by integers, not texts.

:func:`codes` numbers the normalised values of a text column (its few
distinct raw values normalised once), :func:`combine_codes` numbers tuples of
codes, :func:`first_positions` finds the first row of each code, and
:func:`str_series` turns codes back into a text column.  No per-row Python.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import planner.kernels
from planner.kernels.hash_table import factorize
from planner.whitespots.keys import Normaliser, to_arrow

__all__ = ["codes", "combine_codes", "first_positions", "floats", "str_series"]


def _to_arrow_concat(columns: list[pd.Series]) -> pa.Array:
    """:func:`~planner.whitespots.keys.to_arrow` of several columns, concatenated as one Arrow string array."""
    arrs = [to_arrow(c) for c in columns]
    if len({a.type for a in arrs}) > 1:
        arrs = [a.cast(pa.large_string()) for a in arrs]
    return pa.concat_arrays(arrs) if arrs else pa.array([], type=pa.string())


@overload
def codes(values: pd.Series | np.ndarray | list[pd.Series], norm: Normaliser | None, *,
          sort: bool = True, spellings: Literal[False] = False) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def codes(values: pd.Series | np.ndarray | list[pd.Series], norm: Normaliser | None, *,
          sort: bool = True, spellings: Literal[True]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...


def codes(values: pd.Series | np.ndarray | list[pd.Series], norm: Normaliser | None, *,
          sort: bool = True, spellings: bool = False) -> tuple[np.ndarray, ...]:
    """Integer codes of normalised values; missing values normalise as ``''``.

    Parameters
    ----------
    values
        A column, or a list of columns read as one (without a pandas concatenation).
    norm
        pyarrow normaliser, run once per *distinct* raw value (``None``: the values as they are).
    sort
        Number the codes in the order of the sorted normalised values (UTF-8
        order), so that they do not depend on row order.
    spellings
        Also return the distinct raw values that occur (stripped; missing as
        ``''``) and the code of each.

    Returns
    -------
    tuple of numpy.ndarray
        The code of every value (int64) and the normalised uniques they index
        (object); with ``spellings`` also the raw spellings and their codes.
    """
    arr = _to_arrow_concat(values) if isinstance(values, list) else to_arrow(values)
    # for long columns of few distinct values the compiled table beats Arrow's hash table
    few = factorize(arr) if len(arr) >= planner.kernels.MIN_COMPILED_ROWS else None
    if few is not None:
        idx, first = few
        raw = arr.take(pa.array(first))
        missing = idx < 0 if arr.null_count else None
    else:
        enc = pc.dictionary_encode(arr)
        raw = enc.dictionary
        idx = enc.indices.to_numpy(zero_copy_only=False)
        missing = np.isnan(idx) if enc.indices.null_count else None
        idx = idx.astype(np.int64) if missing is None else np.where(missing, -1, idx).astype(np.int64)
    if missing is not None:
        idx[missing] = len(raw)
    normed = norm(raw) if norm is not None else raw
    normed = pa.concat_arrays([normed, pa.array([""], type=normed.type)])
    enc2 = pc.dictionary_encode(normed)
    idx2 = enc2.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    uniq = enc2.dictionary
    if sort:
        order = pc.array_sort_indices(uniq).to_numpy(zero_copy_only=False)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        idx2 = rank[idx2]
        uniq = uniq.take(pa.array(order))
    uniq = uniq.to_numpy(zero_copy_only=False).astype(object)
    if not spellings:
        return idx2[idx], uniq
    occurs = np.r_[np.ones(len(raw), dtype=bool), missing is not None]  # '' for missing, if any
    raw_text = np.append(pc.utf8_trim_whitespace(raw).to_numpy(zero_copy_only=False).astype(object), "")
    return idx2[idx], uniq, raw_text[occurs], idx2[occurs]


def combine_codes(*columns: np.ndarray) -> np.ndarray:
    """One int64 code per distinct tuple of integer codes, numbered by first appearance.

    Parameters
    ----------
    *columns
        Integer codes (any values, e.g. -1 for missing), one array per tuple element.

    Returns
    -------
    numpy.ndarray
        The codes are packed into one integer (mixed radix) and factorized
        once; only when the packed value would overflow is the prefix
        factorized first.
    """
    out: np.ndarray = np.asarray(columns[0], dtype=np.int64)
    out = out - out.min(initial=0)
    if len(columns) == 1:
        return out
    span = int(out.max(initial=0)) + 1
    for c in columns[1:]:
        c = np.asarray(c, dtype=np.int64)
        c = c - c.min(initial=0)  # factorize's -1 (missing) must not collide
        m = int(c.max(initial=0)) + 1
        if span * m >= 2**62:  # renumber the prefix tuples densely first
            out, uniq = pd.factorize(out)
            out, span = out.astype(np.int64), max(len(uniq), 1)
        out = out * m + c
        span *= m
    out, _ = pd.factorize(out)
    return out.astype(np.int64)


def first_positions(values: np.ndarray) -> np.ndarray:
    """Position of the first row of each distinct code, in code order.

    Parameters
    ----------
    values
        Integer codes.

    Returns
    -------
    numpy.ndarray
        Equals ``np.unique(values, return_index=True)[1]``; linear time when
        the codes are numbered 0, 1, ... by first appearance (as
        :func:`combine_codes` numbers tuples), a sort otherwise.
    """
    if not len(values):
        return np.empty(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, values[1:] > np.maximum.accumulate(values)[:-1]])
    if values[0] == 0 and values.min() >= 0 and np.array_equal(values[first], np.arange(len(first))):
        return first
    return np.unique(values, return_index=True)[1]


def str_series(values: np.ndarray, categories: list[str] | np.ndarray, index: pd.Index) -> pd.Series:
    """A string column from integer codes into categories (an Arrow take, no per-row Python).

    Parameters
    ----------
    values
        Codes (indices into ``categories``).
    categories
        The texts.
    index
        Index of the result.

    Returns
    -------
    pandas.Series
        Arrow-backed strings (``NaN`` as missing value).
    """
    arr = pa.array([str(c) for c in categories], type=pa.large_string()).take(pa.array(values))
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=index)


def floats(values: pd.Series) -> np.ndarray:
    """Values as float64: NaN where missing or, in a text column, not a number.

    Parameters
    ----------
    values
        A numeric or text column.

    Returns
    -------
    numpy.ndarray
        Numeric columns are read as they are (``pd.to_numeric`` took 6x as
        long on a nullable ``Int64`` column).
    """
    numbers: np.ndarray
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    return numbers
