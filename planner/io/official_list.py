"""Reading an official white-spot list (CSV, XLSX or GeoPackage).

The list the FERC programme publishes per commune comes as a spreadsheet or a
CSV export, sometimes as a GeoPackage; its columns are mapped onto canonical
names by :mod:`planner.validation.official_list` and the white-spot stage
compares it with its classes (:func:`planner.whitespots.official_list_diff`).

CSV files are read by :func:`planner.io.files.read_csv_text`, like every CSV
of the project: the separator is the most frequent of ``,``, ``;`` and tab in
the header line, **ties going to the comma**; UTF-8 (with or without BOM), else
Windows-1250 with a warning; every cell as text, so that TERYT codes keep
their leading zeros.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from planner._errors import InputDataError, InputFileNotFoundError, Problem
from planner.io.files import read_csv_text
from planner.validation import log_warnings
from planner.validation.official_list import official_list_table

__all__ = ["OFFICIAL_LIST_SUFFIXES", "read_official_list"]

#: File types an official list may come as.
OFFICIAL_LIST_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".xlsx", ".xlsm", ".gpkg")


def _unreadable(path: Path, exc: Exception, kind: str) -> InputDataError:
    return InputDataError(f"official list {path}: cannot read the file", [Problem(
        file=str(path), message=f"not a readable {kind} file: {exc}",
        fix=f"check that the file is complete and really a {kind} file (e.g. save it again from the spreadsheet)")])


def read_official_list(path: str | Path, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read an official white-spot list.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (comma, semicolon or tab separated, UTF-8 or CP1250),
        ``.xlsx``/``.xlsm`` (first sheet) or ``.gpkg`` (its only layer) file.
    columns
        Canonical name -> column name in the file, for ``id``, ``terc``,
        ``simc``, ``ulic``, ``street``, ``house_number``, ``lat``, ``lon`` (as
        :attr:`planner.config.WhiteSpotConfig.official_list_columns`).  Keys
        left out are looked up case-insensitively under common UKE/SIDUSIS
        spellings.

    Returns
    -------
    pandas.DataFrame
        One row per list entry with the canonical columns (strings; ``lat`` and
        ``lon`` floats, WGS84), ``list_row`` (0-based row in the file) and, for a
        GeoPackage, a ``geometry`` column
        (:func:`planner.validation.official_list.official_list_table`);
        ``attrs["source"]`` is the path.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    InputDataError
        Unknown format, an unreadable (truncated, empty, garbage) file or no
        recognisable address columns.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"official list not found: {p}",
                                     [Problem(file=str(p), message="no such file", fix="give an existing file")])
    suffix = p.suffix.lower()
    raw: pd.DataFrame
    if suffix in (".csv", ".txt"):
        try:
            raw, warnings = read_csv_text(p)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise _unreadable(p, exc, "CSV") from exc
        log_warnings(warnings)
    elif suffix in (".xlsx", ".xlsm"):
        try:
            raw = pd.read_excel(p, dtype=str).fillna("")
        except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
            raise _unreadable(p, exc, "XLSX") from exc
    elif suffix == ".gpkg":
        try:
            raw = gpd.read_file(p, engine="pyogrio")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise _unreadable(p, exc, "GeoPackage") from exc
    else:
        raise InputDataError(f"official list {p}: unsupported format",
                             [Problem(file=str(p), message=f"unsupported file type '{p.suffix}'",
                                      fix="give a " + ", ".join(OFFICIAL_LIST_SUFFIXES) + " file")])
    return official_list_table(raw, columns, str(p))
