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
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["XLSX_TIMESTAMP", "fill_sheet", "number_format", "sheet_name", "workbook_bytes"]

#: Timestamp written into every workbook so that the same tables give the same bytes.
XLSX_TIMESTAMP = (2000, 1, 1, 0, 0, 0)

_KM_FMT, _PLN_FMT, _DATE_FMT, _PCT_FMT, _INT_FMT, _M_FMT = "0.00", "#,##0", "yyyy-mm-dd", "0.0", "0", "0.0"
_MAX_WIDTH = 60


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
    """A value openpyxl stores as the right cell type (``None`` for every kind of missing)."""
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


def fill_sheet(ws: Any, df: pd.DataFrame) -> None:
    """Write ``df`` into an openpyxl worksheet: header, typed cells, formats, frozen header, filter, widths.

    Parameters
    ----------
    ws
        ``openpyxl`` worksheet (empty).
    df
        The table; its column names are the header.
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    cols = [str(c) for c in df.columns]
    ws.append(cols)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(c) for c in cols]
    for row in df.itertuples(index=False, name=None):
        values = [_cell(v) for v in row]
        for j, v in enumerate(values):
            if v is not None:
                widths[j] = max(widths[j], len(str(v)))
        ws.append(values)
    for j, col in enumerate(df.columns):
        letter = get_column_letter(j + 1)
        s = df[col]
        fmt = _DATE_FMT if _is_date_column(s) else number_format(str(col))
        if fmt is None and pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s):
            fmt = _INT_FMT
        if fmt is not None:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        ws.column_dimensions[letter].width = min(_MAX_WIDTH, max(8, widths[j] + 2))
    ws.freeze_panes = "A2"
    if len(cols):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(ws.max_row, 1)}"


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

    Parameters
    ----------
    sheets
        Sheet name -> table, in sheet order (names are made valid and unique
        with :func:`sheet_name`).

    Returns
    -------
    bytes
        The workbook; its created/modified properties and every zip entry's time
        are :data:`XLSX_TIMESTAMP`.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, df in sheets.items():
        fill_sheet(wb.create_sheet(title=sheet_name(name, used)), df)
    stamp_dt = dt.datetime(*XLSX_TIMESTAMP)
    wb.properties.creator = "planner"
    wb.properties.created = stamp_dt
    wb.properties.modified = stamp_dt
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    stamp = stamp_dt.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp + rb"\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=XLSX_TIMESTAMP)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    return out.getvalue()
