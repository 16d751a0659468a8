"""The layout of an official white-spot list: its columns mapped onto canonical names.

No layout of the FERC 1.1 list is published (see ``data/SOURCES.md``), so the
address columns are found from an explicit mapping
(:attr:`planner.config.WhiteSpotConfig.official_list_columns`), then under
common UKE/SIDUSIS spellings (:data:`OFFICIAL_LIST_ALIASES`), compared without
case and Polish diacritics.  :func:`official_list_table` turns a table read by
:func:`planner.io.official_list.read_official_list` into the canonical one the
white-spot stage compares with its classes
(:func:`planner.whitespots.official_list_diff`).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputDataError, Problem
from planner.validation.text import fold_text

__all__ = ["OFFICIAL_LIST_ALIASES", "OFFICIAL_LIST_COLUMNS", "official_list_table", "resolve_official_columns"]

#: Canonical column -> spellings recognised (folded: lower case, no Polish diacritics).
OFFICIAL_LIST_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "identyfikator", "id_punktu_adresowego", "ua01_id_punktu_adresowego", "idiip", "lokalnyid"),
    "terc": ("terc", "kod_terc", "teryt", "ua04_terc", "terc_gminy"),
    "simc": ("simc", "kod_simc", "ua05_simc", "simc_id"),
    "ulic": ("ulic", "kod_ulic", "sym_ul", "kod_sym_ul", "ua06_ulic", "ulic_id"),
    "street": ("street", "ulica", "nazwa_ulicy", "ulic_nazwa"),
    "house_number": ("house_number", "nr", "numer", "nr_domu", "numer_budynku", "nr_porzadkowy",
                     "numer_porzadkowy", "ua07_nr_porzadkowy"),
    "lat": ("lat", "latitude", "szerokosc", "ua08_szerokosc", "y"),
    "lon": ("lon", "lng", "longitude", "dlugosc", "ua09_dlugosc", "x"),
}

#: Text columns of the canonical table, then the coordinate columns (WGS84).
OFFICIAL_LIST_COLUMNS: tuple[str, ...] = ("id", "terc", "simc", "ulic", "street", "house_number", "lat", "lon")


def resolve_official_columns(available: list[str], columns: Mapping[str, str] | None,
                             source: str) -> dict[str, str]:
    """Canonical name -> column of the table, from the mapping, then from known spellings.

    Parameters
    ----------
    available
        Column names of the table.
    columns
        Canonical name -> column name (as ``official_list_columns``); a name
        not among ``available`` is looked up without case and diacritics,
        then the key falls back on :data:`OFFICIAL_LIST_ALIASES`.
    source
        File named in the error.

    Returns
    -------
    dict
        The canonical names found.

    Raises
    ------
    InputDataError
        Neither an id, nor SIMC and house number, nor lat/lon can be found.
    """
    folded = {fold_text(c): c for c in available}
    mapping: dict[str, str] = {}
    explicit = dict(columns or {})
    for key, aliases in OFFICIAL_LIST_ALIASES.items():
        if key in explicit:
            name = explicit[key]
            if name in available:
                mapping[key] = name
                continue
            if fold_text(name) in folded:
                mapping[key] = folded[fold_text(name)]
                continue
        for alias in aliases:
            if alias in folded:
                mapping[key] = folded[alias]
                break
    has_key = {"simc", "house_number"} <= set(mapping)
    has_xy = {"lat", "lon"} <= set(mapping)
    if not (has_key or has_xy or "id" in mapping):
        raise InputDataError(f"official white-spot list {source}: unknown column layout", [Problem(
            file=source,
            message=f"cannot find the address columns (SIMC and house number, or lat/lon) among {available}",
            fix="set [whitespots] official_list_columns, e.g. {simc = 'KOD_SIMC', house_number = 'NR'}")])
    return mapping


def official_list_table(raw: pd.DataFrame, columns: Mapping[str, str] | None, source: str) -> pd.DataFrame:
    """The canonical official list from a table as read.

    Parameters
    ----------
    raw
        The list as read (text cells; a GeoDataFrame keeps its geometry).
    columns
        Canonical name -> column name (:func:`resolve_official_columns`).
    source
        File named in messages (kept in ``attrs["source"]``).

    Returns
    -------
    pandas.DataFrame
        One row per entry: ``list_row`` (0-based row of the file), the text
        columns of :data:`OFFICIAL_LIST_COLUMNS` (stripped; ``''`` when
        absent), ``lat`` and ``lon`` as floats (WGS84; a decimal comma is
        read; NaN when absent or unreadable) and, for a layer, its ``geometry``.

    Raises
    ------
    InputDataError
        No recognisable address columns.
    """
    mapping = resolve_official_columns([str(c) for c in raw.columns if c != "geometry"], columns, source)
    out = pd.DataFrame({"list_row": np.arange(len(raw), dtype=np.int64)})
    for key in OFFICIAL_LIST_COLUMNS[:-2]:
        vals = raw[mapping[key]] if key in mapping else pd.Series([""] * len(raw))
        out[key] = vals.astype(object).fillna("").astype(str).str.strip().to_numpy(dtype=object)
    for key in OFFICIAL_LIST_COLUMNS[-2:]:
        vals = raw[mapping[key]] if key in mapping else pd.Series([np.nan] * len(raw))
        vals = vals.astype(object).astype(str).str.replace(",", ".", regex=False)
        out[key] = pd.to_numeric(vals, errors="coerce").to_numpy(dtype=float)
    if isinstance(raw, gpd.GeoDataFrame) and raw.active_geometry_name is not None:
        out = gpd.GeoDataFrame(out, geometry=raw.geometry.to_numpy(), crs=raw.crs)
    out.attrs["source"] = source
    return out
