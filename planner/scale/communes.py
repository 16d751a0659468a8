"""Communes: TERC codes, names and boundaries.

A commune (gmina) is identified by its 7-digit TERC code ``WWPPGGR``.  Address
points of an urban-rural commune carry the code of its town (``R`` = 4) or
rural area (5); :func:`commune_codes` maps every code to its commune's
(``R`` = 3) with the GUS TERC dictionary of ``data/teryt``.  Boundaries come
from a layer (:func:`read_boundaries`, e.g. PRG ``gminy`` with ``JPT_KOD_JE``)
or from the address points themselves (their convex hull, grown).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from planner._errors import InputDataError, Problem
from planner.schema import WORKING_CRS

__all__ = ["TERC_COLUMNS", "find_terc_column", "commune_codes", "commune_names", "read_boundaries"]

logger = logging.getLogger(__name__)

#: Column names holding a TERC code, in order of preference (matched case-insensitively;
#: ``ua04_*`` is the TERC column of the UKE inventory).
TERC_COLUMNS = ("terc", "jpt_kod_je", "teryt_gmi", "terytgminy", "teryt_gminy", "kod_terc", "teryt", "ua04")
_NAME_COLUMNS = ("name", "nazwa", "jpt_nazwa_", "commune", "gmina")


def find_terc_column(columns: Iterable[str]) -> str | None:
    """The column of ``columns`` that holds TERC codes (see :data:`TERC_COLUMNS`), or ``None``."""
    cols = [str(c) for c in columns]
    lower = {c.lower(): c for c in cols}
    for cand in TERC_COLUMNS:
        if cand in lower:
            return lower[cand]
    for c in cols:
        if re.match(r"ua04(_|$)", c.lower()):
            return c
    return None


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, tuple[str, str]]:
    """6-digit ``WWPPGG`` -> (commune TERC, commune name), from the GUS TERC file."""
    from planner.synthetic.teryt import read_communes

    try:
        return {c.terc[:6]: (c.terc, c.name) for c in read_communes()}
    except (OSError, FileNotFoundError):  # a checkout without data/teryt: codes stay as given
        logger.warning("no TERC dictionary (data/teryt); commune codes are taken as given")
        return {}


def commune_codes(terc: pd.Series) -> pd.Series:
    """The commune's TERC code for each TERC code (town/rural parts -> the whole commune).

    Parameters
    ----------
    terc
        TERC codes (text; 6 or 7 digits; leading zeros kept).

    Returns
    -------
    pandas.Series
        7-digit codes of the communes; codes not in the dictionary are kept as
        given (stripped); empty where ``terc`` is empty.
    """
    t = terc.astype(object).fillna("").astype(str).str.strip()
    d = _dictionary()
    mapped = t.str[:6].map({k: v[0] for k, v in d.items()})
    return mapped.where(mapped.notna() & (t.str.len() >= 6), t).astype(object)


def commune_names(codes: Iterable[str]) -> dict[str, str]:
    """Commune TERC code -> name from the TERC dictionary (the code itself where unknown)."""
    d = _dictionary()
    return {c: d.get(str(c)[:6], (c, str(c)))[1] for c in codes}


def read_boundaries(path: str | Path, crs: str = WORKING_CRS) -> gpd.GeoDataFrame:
    """Commune boundaries from a polygon layer with a TERC column.

    Parameters
    ----------
    path
        Any vector file (GeoPackage, GeoParquet, SHP, ...): e.g. the PRG
        ``gminy`` layer (``JPT_KOD_JE``, ``JPT_NAZWA_``).
    crs
        Working CRS (``always_xy``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``terc`` (commune code), ``name``, polygon; parts of one commune dissolved.

    Raises
    ------
    InputDataError
        Unreadable file, no TERC column, no CRS, or no polygons.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, engine="pyogrio")
    except (OSError, ValueError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputDataError(f"cannot read the commune boundaries {path}", [Problem(
            file=str(path), message=f"not a readable vector file: {exc}",
            fix="give a GeoPackage/GeoParquet/SHP of commune polygons with a TERC column")]) from None
    col = find_terc_column(gdf.columns)
    problems = []
    if col is None:
        problems.append(Problem(file=str(path), message=f"no TERC column among {list(gdf.columns)}",
                                fix=f"name the commune code column one of: {', '.join(TERC_COLUMNS)}"))
    if gdf.crs is None:
        problems.append(Problem(file=str(path), message="the layer has no CRS", fix="store the CRS in the file"))
    if len(gdf) == 0 or not gdf.geom_type.isin(["Polygon", "MultiPolygon"]).any():
        problems.append(Problem(file=str(path), message="no polygons", fix="give commune polygons"))
    if problems:
        raise InputDataError(f"cannot use the commune boundaries {path}", problems)
    gdf = gdf.to_crs(crs)
    lower = {str(c).lower(): c for c in gdf.columns}
    name_col = next((lower[c] for c in _NAME_COLUMNS if c in lower), None)
    codes = commune_codes(gdf[col].astype(str))
    names = gdf[name_col].astype(str) if name_col is not None else codes.map(commune_names(codes))
    frame = gpd.GeoDataFrame({"terc": codes.to_numpy(), "name": names.to_numpy()},
                             geometry=shapely.make_valid(gdf.geometry.to_numpy()), crs=crs)
    out = frame.dissolve(by="terc", aggfunc="first", sort=True).reset_index()
    return out[["terc", "name", "geometry"]]
