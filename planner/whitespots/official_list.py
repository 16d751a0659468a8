"""The official white-spot list against the classified addresses.

The list itself is read by :func:`planner.io.official_list.read_official_list`
(CSV, XLSX or GeoPackage; the columns mapped by
:mod:`planner.validation.official_list`); this module only compares tables.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from planner.validation.official_list import resolve_official_columns
from planner.whitespots.coverage import MAX_EXAMPLES
from planner.whitespots.keys import column, id_positions, key_pairs

__all__ = ["DIFF_SETS", "official_list_diff"]

logger = logging.getLogger(__name__)

#: Values of the diff's ``set`` column.
DIFF_SETS: tuple[str, ...] = ("on_list_white", "on_list_covered", "white_not_on_list", "on_list_not_found")

_ADDRESS_COLUMNS = (("address_id", "id"), ("terc", "terc"), ("simc", "simc"), ("ulic", "ulic"),
                    ("locality", "locality"), ("street", "street"), ("house_number", "house_number"))


def _matches(addresses: gpd.GeoDataFrame, off: pd.DataFrame, match_distance_m: float) -> np.ndarray:
    """Position of the address point each list entry matches (-1: none).

    By id, then SIMC+ULIC+number, then SIMC+street+number, then by
    coordinates (``lat``/``lon`` WGS84 or a point geometry) to the nearest
    address point within ``match_distance_m``.
    """
    matched = id_positions(addresses["id"], column(off, "id"))
    for oi, ai in key_pairs(off, addresses, matched < 0):
        # one address per entry: the smallest position (keys are unique in valid PRG data)
        first = np.r_[True, oi[1:] != oi[:-1]] if len(oi) else np.empty(0, dtype=bool)
        matched[oi[first]] = ai[first]

    todo = np.flatnonzero(matched < 0)
    if len(todo) and len(addresses):
        pts, ok = None, None
        if isinstance(off, gpd.GeoDataFrame) and off.active_geometry_name is not None:
            pts = off.geometry.to_crs(addresses.crs) if off.crs is not None else off.geometry
            ok = (~pts.isna() & ~pts.is_empty).to_numpy() & (pts.geom_type == "Point").to_numpy()
        elif {"lat", "lon"} <= set(off.columns):
            tr = pyproj.Transformer.from_crs("EPSG:4326", addresses.crs, always_xy=True)
            x, y = tr.transform(off["lon"].to_numpy(dtype=float), off["lat"].to_numpy(dtype=float))
            pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=addresses.crs)
            ok = np.isfinite(x) & np.isfinite(y)
        if pts is not None and ok is not None:
            sub = pts.iloc[todo]
            ok = ok[todo]
            if ok.any():
                qi, ai = addresses.sindex.nearest(sub[ok], max_distance=match_distance_m, return_all=False)
                matched[todo[ok][qi]] = ai
    return matched


def official_list_diff(addresses: gpd.GeoDataFrame, official: pd.DataFrame, *,
                       columns: Mapping[str, str] | None = None, match_distance_m: float = 25.0) -> pd.DataFrame:
    """Compare an official white-spot list with the classified addresses.

    Entries are matched to address points by id, then SIMC+ULIC+number, then
    SIMC+street+number (as coverage rows), then, with coordinates (``lat``/
    ``lon`` WGS84 or a point geometry), to the nearest address point within
    ``match_distance_m``.

    Parameters
    ----------
    addresses
        Output of :func:`planner.whitespots.classify`.
    official
        The list, e.g. from :func:`planner.io.official_list.read_official_list`;
        other tables are renamed with ``columns`` (canonical name -> column name).
    columns
        Column mapping for a table not read by ``read_official_list``.
    match_distance_m
        Fallback distance for entries located by coordinates.

    Returns
    -------
    pandas.DataFrame
        Columns ``set, list_row, address_id, terc, simc, ulic, locality, street,
        house_number, ws_class, covering_operators``.  ``set`` is
        ``'on_list_white'`` (on the list and white by our analysis),
        ``'on_list_covered'`` (on the list but grey/black; ``covering_operators``
        names the NGA operators), ``'white_not_on_list'`` (white, missing from
        the list) or ``'on_list_not_found'`` (a list entry that matches no
        address point; also warned about).  Sorted by set, TERC, SIMC, street,
        house number and id.
    """
    source = official.attrs.get("source", "official list")
    if columns:
        mapping = resolve_official_columns([str(c) for c in official.columns], columns, source)
        official = official.rename(columns={v: k for k, v in mapping.items()})
    off = official.reset_index(drop=True)
    if "list_row" not in off.columns:
        off = off.assign(list_row=np.arange(len(off), dtype=np.int64))
    matched = _matches(addresses, off, match_distance_m)

    a_cls = addresses["ws_class"].to_numpy(dtype=object)
    found = matched >= 0
    cls = np.where(found, a_cls[np.maximum(matched, 0)], "")
    sets = np.where(~found, "on_list_not_found", np.where(cls == "white", "on_list_white", "on_list_covered"))
    if (~found).any():
        rows = off["list_row"].to_numpy()[~found]
        logger.warning("%d entries of %s match no address point (e.g. rows %s) -> fix: check their TERYT codes "
                       "and house numbers", len(rows), source, rows[:MAX_EXAMPLES].tolist())

    def addr_cols(pos: np.ndarray) -> dict[str, np.ndarray]:
        res = {}
        for col, src in _ADDRESS_COLUMNS:
            vals = column(addresses, src).astype(object).fillna("").to_numpy(dtype=object)
            res[col] = vals[pos] if len(vals) else np.empty(0, dtype=object)
        return res

    pos = np.maximum(matched, 0)
    on_list = pd.DataFrame({"set": sets, "list_row": off["list_row"].to_numpy(dtype=np.int64), **addr_cols(pos)})
    for col in ("terc", "simc", "ulic", "street", "house_number"):
        on_list.loc[~found, col] = column(off, col).astype(object).fillna("").to_numpy(dtype=object)[~found]
    on_list.loc[~found, ["address_id", "locality"]] = ""
    on_list["ws_class"] = cls
    ops = column(addresses, "nga_operators").astype(object).fillna("").to_numpy(dtype=object)
    on_list["covering_operators"] = np.where(sets == "on_list_covered", ops[pos] if len(ops) else "", "")

    listed = np.zeros(len(addresses), dtype=bool)
    listed[matched[found]] = True
    missing = np.flatnonzero((a_cls == "white") & ~listed)
    extra = pd.DataFrame({"set": "white_not_on_list", "list_row": np.full(len(missing), -1, dtype=np.int64),
                          **addr_cols(missing), "ws_class": "white", "covering_operators": ""})
    res = pd.concat([on_list, extra], ignore_index=True)
    return res.sort_values(["set", "terc", "simc", "street", "house_number", "address_id", "list_row"],
                           kind="stable").reset_index(drop=True)
