"""The column-wise CSV writer gives the bytes of ``DataFrame.to_csv`` (the oracle), on random frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.output import csv_text as csv_module
from planner.output.csv_text import csv_text


def _pandas(df: pd.DataFrame, float_format: str) -> str:
    return df.to_csv(index=False, float_format=float_format, lineterminator="\n")


def _outcome(write, *args):
    """The text, or the type of the error raised (e.g. ``%d`` of an infinite float)."""
    try:
        return write(*args)
    except (ValueError, TypeError, OverflowError) as exc:
        return type(exc)


# ----------------------------------------------------------------------------- strategies

_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.0005, -0.0005, 0.125, 2.5, -2.5, 1e-300, 5e-324, 1e300, 1e16, 123456.7895,
                     float("nan"), float("inf"), float("-inf")]),
)
_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab ,;"\'\n\r\txąż€\\')), max_size=6),
    st.sampled_from(["", " ", '"', ",", "\n", "\r", "\r\n", "a,b", 'say "hi"', "NaN", "None"]),
)
_OBJECTS = st.one_of(
    st.none(), st.just(np.nan), st.just(pd.NA), st.just(pd.NaT), _TEXT, st.integers(-10**20, 10**20),
    st.floats(allow_nan=False), st.builds(np.float64, st.floats(allow_nan=False)), st.booleans(),
    st.dates(), st.lists(st.integers(0, 3), max_size=2), st.binary(max_size=3),
)
_DATES = st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31))


@st.composite
def _datetime_column(draw: st.DrawFn, n: int) -> pd.Series:
    kind = draw(st.sampled_from(["dates", "seconds", "ms", "us", "ns", "mixed"]))
    unit = draw(st.sampled_from(["ns", "us", "ms", "s"]))
    stamps = []
    for _ in range(n):
        if draw(st.integers(0, 5)) == 0:
            stamps.append(pd.NaT)
            continue
        t = pd.Timestamp(draw(_DATES))
        if kind == "dates":
            t = t.normalize()
        elif kind == "seconds":
            t = t.floor("s")
        elif kind == "ms":
            t = t.floor("ms")
        elif kind == "us":
            t = t.floor("us")
        elif kind == "ns":
            t = t + pd.Timedelta(draw(st.integers(0, 999)), "ns")
        stamps.append(t)
    s = pd.Series(pd.to_datetime(pd.Series(stamps, dtype="datetime64[ns]")))
    return s.astype(f"datetime64[{unit}]")


@st.composite
def _column(draw: st.DrawFn, n: int) -> pd.Series:
    kind = draw(st.sampled_from(["float", "float32", "int", "uint8", "bool", "Int64", "Float64", "boolean",
                                 "str", "object", "category", "datetime", "far_datetime", "tz", "timedelta"]))
    if kind == "float":
        return pd.Series(draw(st.lists(_FLOATS, min_size=n, max_size=n)), dtype="float64")
    if kind == "float32":
        return pd.Series(draw(st.lists(st.floats(width=32), min_size=n, max_size=n)), dtype="float32")
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=n, max_size=n)), dtype="int64")
    if kind == "uint8":
        return pd.Series(draw(st.lists(st.integers(0, 255), min_size=n, max_size=n)), dtype="uint8")
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "Int64":
        return pd.Series(draw(st.lists(st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)), min_size=n,
                                       max_size=n)), dtype="Int64")
    if kind == "Float64":
        return pd.Series(draw(st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), min_size=n, max_size=n)),
                         dtype="Float64")
    if kind == "boolean":
        return pd.Series(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
                         dtype="boolean")
    if kind == "str":
        vals = draw(st.lists(st.one_of(st.none(), _TEXT), min_size=n, max_size=n))
        return pd.Series(vals, dtype=draw(st.sampled_from(["str", "string", "object"])))
    if kind == "object":
        return pd.Series(draw(st.lists(_OBJECTS, min_size=n, max_size=n)), dtype=object)
    if kind == "category":
        return pd.Series(draw(st.lists(st.one_of(st.none(), _TEXT, st.floats(allow_nan=False)), min_size=n,
                                       max_size=n)), dtype=object).astype("category")
    if kind == "datetime":
        return draw(_datetime_column(n))
    if kind == "far_datetime":  # years pandas does not pad to 4 digits: written by pandas
        years = draw(st.lists(st.sampled_from([1, 999, 1000, 9999, 12000]), min_size=n, max_size=n))
        return pd.Series(np.array([f"{y:04d}-01-02" for y in years], dtype="datetime64[s]"))
    if kind == "tz":
        return draw(_datetime_column(n)).dt.tz_localize("Europe/Warsaw", ambiguous="NaT", nonexistent="NaT")
    return pd.Series(pd.to_timedelta(draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)), "ns"))


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 8))
    ncols = draw(st.integers(1, 4))
    names = draw(st.lists(st.one_of(_TEXT, st.integers(0, 3), st.none(), st.floats()), min_size=ncols,
                         max_size=ncols))
    cols = [draw(_column(n)) for _ in range(ncols)]
    df = pd.concat([c.reset_index(drop=True) for c in cols], axis=1)
    df.columns = names  # duplicate and empty names too
    return df


_FORMATS = st.sampled_from(["%.3f", "%.0f", "%.1f", "%g", "%.2e", "%+.2f", "x%.1f,", "%10.4f", "%s", "%d"])


# ----------------------------------------------------------------------------- properties


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(df=_frames(), float_format=_FORMATS)
def test_same_text_as_pandas(df, float_format):
    assert _outcome(csv_text, df, float_format) == _outcome(_pandas, df, float_format)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_FLOATS, max_size=30), decimals=st.integers(0, 6))
def test_floats_as_printf(values, decimals):
    """Rounding of the exact binary value, ties to even, signed zeros, inf: what ``%`` gives."""
    df = pd.DataFrame({"v": np.array(values, dtype="float64")})
    assert csv_text(df, f"%.{decimals}f") == _pandas(df, f"%.{decimals}f")


def test_supported_kinds_do_not_go_through_pandas(monkeypatch):
    """The fast path is what the properties test: the demo's column kinds never fall back to ``to_csv``."""
    df = pd.DataFrame({
        "f": [1.0005, np.nan, -0.0], "i": [1, -2, 3], "b": [True, False, True],
        "s": pd.Series(["a,b", None, 'q"'], dtype="str"), "o": ["x", None, 3],
        "d": pd.to_datetime(["2025-07-31", None, "2026-12-31"]),
        "t": pd.to_datetime(["2025-07-31 12:00:00.25", None, "2026-12-31"], format="ISO8601"),
        "n": pd.array([1, None, 3], dtype="Int64"), "c": pd.Series(["x", "y", None]).astype("category"),
    })
    expected = _pandas(df, "%.3f")
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda *a, **k: pytest.fail("fell back to pandas"))
    assert csv_text(df, "%.3f") == expected
    assert expected.splitlines()[1:] == [
        '1.000,1,True,"a,b",x,2025-07-31,2025-07-31 12:00:00.250,1,x',
        ',-2,False,,,,,,y',
        '-0.000,3,True,"q""",3,2026-12-31,2026-12-31 00:00:00.000,3,',
    ]


def test_unsupported_kinds_go_through_pandas():
    df = pd.DataFrame({"p": pd.period_range("2025-01", periods=2, freq="M"), "x": [1.5, 2.0]})
    assert csv_text(df) == "p,x\n2025-01,1.500\n2025-02,2.000\n"
    assert csv_module._column_fields(df["p"], "%.3f") is None


def test_single_column_empty_fields_are_quoted():
    df = pd.DataFrame({"": ["", "a", None]})
    assert csv_text(df) == _pandas(df, "%.3f") == '""\n""\na\n""\n'
