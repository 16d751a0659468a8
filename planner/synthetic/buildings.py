"""Building footprints of a synthetic area.

One rectangle per address point with a building, 3 m behind the point and
aligned with its street (10 x 12 m; 16 x 18 m for businesses and farms), a barn
beside every farmhouse, and a house for every new building.  Empty plots and
``prognozowany`` points have none.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Polygon

__all__ = ["buildings_layer", "check_empty_plots"]


def _rect(cx: float, cy: float, ang: float, w_: float, d_: float) -> Polygon:
    c, s_ = math.cos(ang), math.sin(ang)
    pts = [(-w_ / 2, -d_ / 2), (w_ / 2, -d_ / 2), (w_ / 2, d_ / 2), (-w_ / 2, d_ / 2)]
    return Polygon([(round(cx + x * c - y * s_, 2), round(cy + x * s_ + y * c, 2)) for x, y in pts])


def buildings_layer(A: pd.DataFrame, new: pd.DataFrame, crs: str) -> gpd.GeoDataFrame:
    """The ``buildings`` layer.

    Parameters
    ----------
    A
        Address table with ``x, y, angle, side, use, has_building, id``.
    new
        New buildings (house table rows); each gets a residential house.
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id`` (``b000000``...) and ``use``.
    """
    B_rows = []
    Hb = pd.concat([A.assign(src="a"), new.assign(src="n", use="residential", has_building=True)])
    for r in Hb.itertuples():
        if not r.has_building:
            continue
        back = np.array([-math.sin(r.angle), math.cos(r.angle)]) * r.side * 3.0
        big = r.use in ("commercial", "farm")
        B_rows.append((r.x + back[0], r.y + back[1], r.angle, 16.0 if big else 10.0, 18.0 if big else 12.0,
                       r.use, r.id))
        if r.use == "farm":
            B_rows.append((r.x + 6 * back[0] + 10 * math.cos(r.angle), r.y + 6 * back[1] + 10 * math.sin(r.angle),
                           r.angle, 12.0, 24.0, "farm", r.id + "-b"))
    bid = [f"b{k:06d}" for k in range(len(B_rows))]
    return gpd.GeoDataFrame({"id": pd.Series(bid, dtype=object),
                             "use": pd.Series([b[5] for b in B_rows], dtype=object)},
                            geometry=[_rect(*b[:5]) for b in B_rows], crs=crs)


def check_empty_plots(addresses: gpd.GeoDataFrame, empty: np.ndarray, buildings: gpd.GeoDataFrame) -> None:
    """Raise if an empty plot has a building within 30 m (farm barns may be near other points).

    Parameters
    ----------
    addresses
        The addresses layer.
    empty
        Boolean mask of ``addresses``: empty plots.
    buildings
        The buildings layer.

    Raises
    ------
    RuntimeError
        Some empty plot has a building within 30 m.
    """
    emp = addresses.geometry[empty]
    near = buildings.sindex.query(emp.values, predicate="dwithin", distance=30.0)
    if near.shape[1]:
        raise RuntimeError(f"{near.shape[1]} empty plots have a building within 30 m")
