"""Excel workbooks: one way to fill a sheet and to serialise a workbook reproducibly.

Every workbook the planner writes (``bom.xlsx``, ``schedule.xlsx``, the
re-planning and multi-commune workbooks) is built by :func:`workbook_bytes`
from a ``{sheet name: table}`` dict: bold frozen header, auto-filter, typed
cells (dates as Excel dates), number formats chosen by column name (``km_*``
``0.00``, ``*pln*`` ``#,##0``, ``*pct*``/``%`` ``0.0``, ``*_m`` ``0.0``, other
integers ``0``, dates ``yyyy-mm-dd``) and fitted column widths.  The
document's and every zip entry's timestamps are fixed, so the same tables
give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["XLSX_TIMESTAMP", "number_format", "sheet_name", "workbook_bytes"]

#: Timestamp written into every workbook so that the same tables give the same bytes.
XLSX_TIMESTAMP = (2000, 1, 1, 0, 0, 0)

_KM_FMT, _PLN_FMT, _DATE_FMT, _PCT_FMT, _INT_FMT, _M_FMT = "0.00", "#,##0", "yyyy-mm-dd", "0.0", "0", "0.0"
_MAX_WIDTH = 60
#: Days from 1899-12-31 (Excel's day 0) to 1970-01-01.
_EXCEL_EPOCH_DAYS = 25568


def number_format(column: str) -> str | None:
    """Excel number format for a column, by the unit in its name (``None``: general).

    Examples
    --------
    >>> number_format("km_trench"), number_format("cost_total_pln"), number_format("drop_length_m")
    ('0.00', '#,##0', '0.0')
    """
    c = column.lower()
    if c.startswith("km_") or c.startswith("km "):
        return _KM_FMT
    if "pln" in c or "saving)" in c or "shared tree" in c or "naive union" in c:
        return _PLN_FMT
    if "pct" in c or "%" in c:
        return _PCT_FMT
    if c.endswith("_m"):
        return _M_FMT
    return None


def _cell(v: Any) -> Any:
    """A value stored as the right cell type (``None`` for every kind of missing)."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, np.generic):
        v = v.item()
        return None if isinstance(v, float) and v != v else v
    if isinstance(v, (str, bool, int, float, dt.date, dt.datetime)):
        return v
    return str(v)


def _is_date_column(s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    first = s.dropna()
    return bool(len(first)) and isinstance(first.iloc[0], dt.date)


def _column_format(s: pd.Series) -> str | None:
    """Excel number format of a column: dates, then :func:`number_format` by name, then integers (``0``)."""
    if _is_date_column(s):
        return _DATE_FMT
    fmt = number_format(str(s.name))
    if fmt is None and pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s):
        fmt = _INT_FMT
    return fmt


def _excel_days(s: pd.Series) -> tuple[list[float], np.ndarray]:
    """Excel date serials of a datetime column (the day; time of day dropped) and its missing mask.

    What XlsxWriter's ``write_datetime`` stores for a ``datetime.date``: days
    since 1899-12-31, plus one from 1900-03-01 on (Excel's 1900 leap-year bug).
    """
    values = s.to_numpy()  # datetime64 of the column's own unit
    missing = np.isnat(values)
    days = values.astype("datetime64[D]").astype(np.int64) + _EXCEL_EPOCH_DAYS
    days = np.where(days > 59, days + 1, days)
    return days.astype(float).tolist(), missing


def _column_cells(s: pd.Series) -> tuple[str, list[Any], np.ndarray | None]:
    """How a column is written: ``(kind, values, missing)``.

    ``kind`` is ``"date"`` (Excel serials), ``"number"``, ``"boolean"``,
    ``"string"`` or ``"any"`` (each value typed by :func:`_cell`); ``missing``
    marks the empty cells of typed columns (``None``: none missing).
    """
    if isinstance(s.dtype, pd.StringDtype):
        missing = s.isna().to_numpy()
        return "string", s.tolist(), missing if missing.any() else None
    kind = s.dtype.kind if isinstance(s.dtype, np.dtype) else ""  # numpy dtypes only
    if kind == "M":
        days, missing = _excel_days(s)
        return "date", days, missing if missing.any() else None
    if kind == "b":
        return "boolean", s.tolist(), None
    if kind in ("i", "u", "f"):
        values = s.to_numpy()
        nan = np.isnan(values) if kind == "f" else np.zeros(len(values), dtype=bool)
        return "number", values.tolist(), nan if nan.any() else None
    return "any", [_cell(v) for v in s.tolist()], None


def _write_sheet(wb: Any, ws: Any, df: pd.DataFrame, formats: dict[str | None, Any]) -> None:
    """Write ``df`` into an empty XlsxWriter worksheet: bold frozen header, typed cells, formats, filter, widths.

    Columns of one numpy dtype or of strings are converted as a whole (dates
    to Excel serials directly: the cells hold what ``write_datetime`` would
    store); other columns cell by cell (:func:`_cell`).
    """
    cols = [str(c) for c in df.columns]
    ws.write_row(0, 0, cols, formats["header"])
    for j, col in enumerate(df.columns):
        s = df[col]
        fmt_name = _column_format(s)
        if fmt_name not in formats:
            formats[fmt_name] = wb.add_format({"num_format": fmt_name})
        fmt = formats[fmt_name]
        kind, values, missing = _column_cells(s)
        width = len(cols[j])
        if kind == "any":
            width = max(width, _write_mixed(ws, j, values, fmt))
        else:
            write = {"boolean": ws.write_boolean, "string": ws.write_string}.get(kind, ws.write_number)
            present = range(len(values)) if missing is None else np.flatnonzero(~missing).tolist()
            for i in present:
                write(i + 1, j, values[i], fmt)
            if missing is not None and fmt is not None:
                for i in np.flatnonzero(missing).tolist():
                    ws.write_blank(i + 1, j, None, fmt)
            if present:
                # as wide as the longest value written: a date is shown as yyyy-mm-dd
                width = max(width, 10 if kind == "date" else max(len(str(values[i])) for i in present))
        ws.set_column(j, j, min(_MAX_WIDTH, max(8, width + 2)))
    ws.freeze_panes(1, 0)
    if cols:
        ws.autofilter(0, 0, len(df), len(cols) - 1)


def _write_mixed(ws: Any, j: int, values: list[Any], fmt: Any) -> int:
    """Write column ``j`` of cells typed one by one (:func:`_cell` values); the longest value's length."""
    width = 0
    for i, v in enumerate(values, start=1):
        if v is None:
            if fmt is not None:
                ws.write_blank(i, j, None, fmt)
            continue
        if isinstance(v, str):
            ws.write_string(i, j, v, fmt)
        elif isinstance(v, bool):
            ws.write_boolean(i, j, v, fmt)
        elif isinstance(v, (int, float)):
            ws.write_number(i, j, v, fmt)
        else:  # dates
            ws.write_datetime(i, j, v, fmt)
        width = max(width, len(str(v)))
    return width


def sheet_name(name: str, used: set[str]) -> str:
    r"""A valid, unique Excel sheet name for ``name`` (≤ 31 characters, no ``[]:*?/\``); records it in ``used``."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    out, i = base, 2
    while out.casefold() in used:
        out = f"{base[:28]}_{i}"
        i += 1
    used.add(out.casefold())
    return out


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An ``.xlsx`` file of one sheet per table, byte-reproducible.

    Written with XlsxWriter (a tenth of openpyxl's import time and a third of
    its writing time on the demo's workbooks; openpyxl stays for reading).

    Parameters
    ----------
    sheets
        Sheet name -> table, in sheet order (names are made valid and unique
        with :func:`sheet_name`).

    Returns
    -------
    bytes
        The workbook, the same bytes on every run: its created/modified
        properties are :data:`XLSX_TIMESTAMP`, and XlsxWriter's in-memory
        archive dates every entry 1980-01-01 (mode 0600).
    """
    import xlsxwriter

    raw = io.BytesIO()
    # strings stay strings: no formulas, URLs or numbers made of text cells
    wb = xlsxwriter.Workbook(raw, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": True})
    formats: dict[str | None, Any] = {None: None, "header": wb.add_format({"bold": True})}
    used: set[str] = set()
    for name, df in sheets.items():
        _write_sheet(wb, wb.add_worksheet(sheet_name(name, used)), df, formats)
    wb.set_properties({"author": "planner", "created": dt.datetime(*XLSX_TIMESTAMP)})
    wb.close()
    return raw.getvalue()
