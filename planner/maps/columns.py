"""Columns of plan layers as map values: defaults for missing columns, numbers and dates as labels.

Plan layers written by older runs or by hand may lack optional columns; the map
draws them anyway.  :func:`col` and :func:`num` return a column or a constant
default, so the layer builders never branch on ``in gdf.columns``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "col", "dates", "fmt", "milestone_labels", "num", "truthy"]

#: Text values read as True / False in boolean columns (other values are errors where checked).
TRUE_WORDS: tuple[str, ...] = ("true", "1", "1.0", "t", "yes", "y", "tak")
FALSE_WORDS: tuple[str, ...] = ("false", "0", "0.0", "f", "no", "n", "nie", "", "nan", "none", "<na>")


def fmt(x: float, decimals: int, lang: str) -> str:
    r"""A number for labels: ``12 345,6`` (pl; 4-digit numbers are not grouped) or ``12,345.6`` (en).

    Parameters
    ----------
    x
        The number.
    decimals
        Decimal places.
    lang
        ``'pl'`` or ``'en'``.

    Returns
    -------
    str

    Examples
    --------
    >>> fmt(12345.67, 1, "pl")
    '12\\xa0345,7'
    >>> fmt(3600, 0, "pl")
    '3600'
    """
    if lang == "pl":
        s = f"{x:,.{decimals}f}" if abs(x) >= 10_000 else f"{x:.{decimals}f}"
        return s.replace(",", "\u00a0").replace(".", ",")
    return f"{x:,.{decimals}f}"


def col(gdf: pd.DataFrame, name: str, default: Any = "") -> pd.Series:
    """Column ``name`` or a constant default; with a string default, missing values become ``''``.

    Parameters
    ----------
    gdf
        A layer.
    name
        Column name.
    default
        Value of every row where the column is absent; its type decides the
        conversion (a ``str`` default gives a column of ``str``).

    Returns
    -------
    pandas.Series
        Indexed like ``gdf``.
    """
    if name not in gdf.columns:
        return pd.Series([default] * len(gdf), index=gdf.index)
    s = gdf[name]
    if isinstance(default, str):
        return s.astype(object).where(s.notna(), "").astype(str)
    return s


def num(gdf: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as float64 (NaN where absent or not a number).

    Parameters
    ----------
    gdf
        A layer.
    name
        Column name.

    Returns
    -------
    pandas.Series
    """
    return pd.to_numeric(col(gdf, name, np.nan), errors="coerce").astype("float64")


def dates(values: pd.Series, lang: str) -> pd.Series:
    """Dates as labels: ``31.07.2025`` (pl) or ``2025-07-31`` (en); ``''`` where missing.

    Parameters
    ----------
    values
        Dates, date strings or missing values.
    lang
        ``'pl'`` or ``'en'``.

    Returns
    -------
    pandas.Series
        Of ``str``.
    """
    if values.dtype.kind == "M":  # datetime64, with or without a time zone: already dates
        d = values
    else:
        d = pd.to_datetime(values.astype(object).where(values.notna() & (values.astype(str) != ""), None),
                           errors="coerce")
    # Few distinct dates (milestones, build days): each formatted once.
    codes, uniques = pd.factorize(d)
    text = np.asarray(pd.DatetimeIndex(uniques).strftime("%d.%m.%Y" if lang == "pl" else "%Y-%m-%d"), dtype=object)
    out = np.where(codes >= 0, text[codes] if len(text) else "", "")
    return pd.Series(out, index=values.index, dtype=object).astype(str)


def milestone_labels(name: pd.Series, date: pd.Series, t: dict[str, str]) -> pd.Series:
    """``'M1 – do 31.07.2025'`` where both are known, else whichever is.

    Parameters
    ----------
    name
        Milestone names (``''`` where none).
    date
        Deadlines as labels (see :func:`dates`).
    t
        Texts of one language (key ``milestone.due``).

    Returns
    -------
    pandas.Series
        Of ``str``.
    """
    has_d = date != ""
    joined = t["milestone.due"].replace("{name}", "\x00").replace("{date}", "\x01")
    pre, rest = joined.split("\x00")
    mid, post = rest.split("\x01")
    full = pre + name + mid + date + post
    return full.where(has_d & (name != ""), name.where(name != "", date))


def truthy(s: pd.Series) -> pd.Series:
    """Booleans from a bool or numeric column or from text (:data:`TRUE_WORDS`; anything else is False).

    Parameters
    ----------
    s
        A column.

    Returns
    -------
    pandas.Series
        Of ``bool``.
    """
    if s.dtype == bool:
        return s
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.notna() & (s != 0)
    return s.astype(str).str.strip().str.lower().isin(TRUE_WORDS)
