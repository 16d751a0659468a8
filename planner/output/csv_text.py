r"""CSV text of a table, column by column: the bytes of :meth:`pandas.DataFrame.to_csv`, faster.

``DataFrame.to_csv`` formats every float in a Python loop (a null test, a
lambda and a ``%`` per value) and hands the rows to :mod:`csv` one by one; on
the demo plan's 22 tables that is most of the time the CSVs take.  Here each
column becomes a list of field strings at once (one ``%`` per float, ``str``
per integer, numpy's ISO formatting for dates), fields that need quotes get
them, and the rows are joined in C.  The text is the one ``to_csv`` writes with
``index=False``, ``na_rep=''``, ``float_format``, ``lineterminator='\n'`` and
the default minimal quoting, byte for byte (``tests/test_csv_text.py`` checks
it with hypothesis on random frames); frames with columns of other kinds
(time zones, periods, intervals, timedeltas, complex numbers, years outside
1000-9999, ...) are written by pandas itself.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

__all__ = ["csv_text"]

#: ``datetime64`` units and the fractional-second digits pandas shows for each.
_TICKS_PER_SECOND: dict[str, int] = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
#: Float formats written here: one printf conversion of a float (``%.3f``, ``%g``, ...); others go to pandas.
_FLOAT_FORMAT = re.compile(r"[^%]*%[-+ #0]*[0-9]*(?:\.[0-9]+)?[eEfFgG][^%]*")
#: Datetimes outside these years are written by pandas (it does not pad years to 4 digits as numpy does).
_YEARS = (np.datetime64("1000-01-01", "s"), np.datetime64("10000-01-01", "s"))


@cache
def _special_chars() -> str:
    r"""Characters that make :mod:`csv` quote a field (minimal quoting, ``lineterminator='\n'``).

    The delimiter, the quote character and ``\n`` always; ``\r`` depends on the
    Python version, so the :mod:`csv` module is asked once.
    """
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["\r", "x"])
    return ',"\n' + ("\r" if buf.getvalue().startswith('"') else "")


def _quoted(vals: list[str]) -> list[str]:
    """Fields with a delimiter, quote or line end enclosed in quotes (quotes doubled), as :mod:`csv` does."""
    special = _special_chars()
    joined = "\x00".join(vals)
    if not any(ch in joined for ch in special):
        return vals
    return ['"' + v.replace('"', '""') + '"' if any(ch in v for ch in special) else v for v in vals]


def _object_fields(values: np.ndarray) -> list[str]:
    """Fields of an object array: ``''`` where missing (:func:`pandas.isna`), else the text :mod:`csv` writes."""
    mask = pd.isna(values)
    vals: list[str] = values.tolist()
    if infer_dtype(values, skipna=True) in ("string", "empty"):
        for i in np.flatnonzero(mask).tolist():
            vals[i] = ""
        return vals
    return ["" if m else v if isinstance(v, str) else str(v) for v, m in zip(vals, mask.tolist())]


def _float_fields(values: np.ndarray, mask: np.ndarray, float_format: str) -> list[str]:
    """``float_format % value`` for each value, ``''`` where ``mask``."""
    vals = list(map(float_format.__mod__, values.tolist()))
    for i in np.flatnonzero(mask).tolist():
        vals[i] = ""
    return vals


def _datetime_fields(values: np.ndarray) -> list[str] | None:
    """Naive datetimes as pandas writes them, or ``None`` when only pandas can (years outside 1000-9999).

    Dates only (every value at midnight) as ``2025-07-31``; else
    ``2025-07-31 12:00:00`` with as many fractional digits as the finest
    value needs (3, 6 or 9).
    """
    unit, _ = np.datetime_data(values.dtype)
    if unit not in _TICKS_PER_SECOND:
        return None
    nat = np.isnat(values)
    given = values[~nat]
    seconds = given.astype("datetime64[s]")  # the bounds in ns would overflow
    if len(given) and (seconds.min() < _YEARS[0] or seconds.max() >= _YEARS[1]):
        return None
    ticks = given.view("i8")
    per_second = _TICKS_PER_SECOND[unit]
    if not (ticks % (86_400 * per_second)).any():
        text = np.datetime_as_string(values, unit="D")
    else:
        frac = ticks % per_second
        shown = "s"
        for coarse, fine in (("s", "ms"), ("ms", "us"), ("us", "ns")):
            if _TICKS_PER_SECOND[fine] <= per_second and (frac % (per_second // _TICKS_PER_SECOND[coarse])).any():
                shown = fine
        text = np.char.replace(np.datetime_as_string(values, unit=shown), "T", " ")  # type: ignore[call-overload]
    out: list[str] = text.tolist()
    for i in np.flatnonzero(nat).tolist():
        out[i] = ""
    return out


def _text_fields(s: pd.Series) -> list[str]:
    """Fields of a pandas string column (``''`` where missing), through its Arrow array."""
    fields: list[str] = pc.fill_null(pa.array(s.array), "").to_pylist()
    return fields


def _column_fields(s: pd.Series, float_format: str) -> tuple[list[str], bool] | None:
    """The fields of one column (unquoted) and whether they are text, or ``None`` for a kind left to pandas.

    Numbers, flags and dates never need quotes (floats: when ``float_format``'s
    own text has no delimiter, quote or line end, see :func:`csv_text`).
    """
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        values = s.to_numpy()
        if dtype.kind == "f":
            return _float_fields(values, np.isnan(values), float_format), False
        if dtype.kind in "iu":
            return list(map(str, values.tolist())), False
        if dtype.kind == "b":
            return np.where(values, "True", "False").tolist(), False
        if dtype.kind == "O":
            return _object_fields(values), True
        if dtype.kind == "M":
            dates = _datetime_fields(values)
            return None if dates is None else (dates, False)
        return None
    if isinstance(dtype, pd.CategoricalDtype):
        if dtype.categories.dtype.kind in "mM":
            return None
        return _object_fields(np.asarray(s.array.astype(object))), True
    if isinstance(dtype, pd.StringDtype):
        return _text_fields(s), True
    if isinstance(s.array, pd.arrays.FloatingArray):
        return _float_fields(s.to_numpy(dtype="float64", na_value=np.nan), s.isna().to_numpy(), float_format), False
    if isinstance(s.array, (pd.arrays.IntegerArray, pd.arrays.BooleanArray)):
        return _object_fields(s.to_numpy(dtype=object)), False
    return None


def csv_text(df: pd.DataFrame, float_format: str = "%.3f") -> str:
    r"""The CSV text ``df.to_csv(index=False, float_format=..., lineterminator='\n')`` gives.

    Parameters
    ----------
    df
        Table (no index written; a geometry column must already be text).
    float_format
        printf format of the floats (columns of a float dtype).

    Returns
    -------
    str
        Header and rows, each ending in ``\n``.
    """
    def pandas_csv() -> str:
        return str(df.to_csv(index=False, float_format=float_format, lineterminator="\n"))

    if df.shape[1] == 0 or isinstance(df.columns, pd.MultiIndex) or not _FLOAT_FORMAT.fullmatch(float_format):
        return pandas_csv()
    quote_numbers = any(ch in float_format for ch in _special_chars())
    columns: list[list[str]] = []
    for _, column in df.items():
        got = _column_fields(column, float_format)
        if got is None:
            return pandas_csv()
        fields, text = got
        columns.append(_quoted(fields) if text or quote_numbers else fields)
    labels = _column_fields(pd.Series(df.columns, dtype=df.columns.dtype), float_format)  # formatted as values
    if labels is None:
        return pandas_csv()
    header = _quoted(labels[0])
    if len(columns) == 1:  # csv quotes a row that would be empty: one empty field
        columns = [['""' if v == "" else v for v in columns[0]]]
        header = ['""' if v == "" else v for v in header]
    lines = [",".join(header), *map(",".join, zip(*columns))]
    return "\n".join(lines) + "\n"
