"""Existing infrastructure of a synthetic area: poles, ducts and POPs.

Commune lighting poles stand every ~35 m along lit streets (4 m to the left),
telecom poles every ~45 m along roads marked ``telecom`` (3.5 m to the right),
power poles every ~60 m along half of the farm tracks; ~4 % of all poles
cannot take a cable.  Ducts follow given streets; POPs stand at given points.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from planner.synthetic.network import Network

__all__ = ["poles_layer", "ducts_layer", "pops_layer"]


def poles_layer(net: Network, rng: np.random.Generator, crs: str) -> gpd.GeoDataFrame:
    """The ``poles`` layer along the streets of ``net``.

    Parameters
    ----------
    net
        The network.
    rng
        The random generator (consumed: power lines, pole positions, usability).
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id`` (``p000000``...), ``owner``, ``usable``.
    """
    pole_rows = []
    for st in net.streets:
        line = LineString(net.node_xy[st["nodes"]])
        kinds = []
        if st["lit"]:
            kinds.append(("commune_lighting", 35.0, 4.0))
        if st["telecom"]:
            kinds.append(("telecom", 45.0, -3.5))
        if st["role"] in ("farm_track",) and rng.random() < 0.5:
            kinds.append(("power", 60.0, 3.0))
        for owner, spacing, off in kinds:
            par = line.offset_curve(off)
            if par.is_empty or par.geom_type != "LineString":
                par = line
            n = int(par.length // spacing)
            for j in range(n + 1):
                s_ = min(j * spacing + rng.uniform(-3, 3), par.length) if 0 < j < n else j * spacing
                p = par.interpolate(min(max(s_, 0.0), par.length))
                pole_rows.append((owner, round(p.x, 2), round(p.y, 2)))
    P = pd.DataFrame(pole_rows, columns=["owner", "x", "y"]).drop_duplicates(["x", "y"]).reset_index(drop=True)
    usable = rng.random(len(P)) >= 0.04
    return gpd.GeoDataFrame({"id": pd.Series([f"p{k:06d}" for k in range(len(P))], dtype=object),
                             "owner": P.owner.astype(object), "usable": usable},
                            geometry=gpd.points_from_xy(P.x, P.y), crs=crs)


def ducts_layer(net: Network, ducts: list[tuple[str, str, int, int]], crs: str) -> gpd.GeoDataFrame:
    """The ``ducts`` layer: one duct along each given street.

    Parameters
    ----------
    net
        The network.
    ducts
        ``(id, owner, free_subducts, street index)`` per duct.
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    return gpd.GeoDataFrame({"id": pd.Series([d[0] for d in ducts], dtype=object),
                             "owner": pd.Series([d[1] for d in ducts], dtype=object),
                             "free_subducts": np.array([d[2] for d in ducts], dtype="int64")},
                            geometry=[LineString(net.node_xy[net.streets[d[3]]["nodes"]].round(2)) for d in ducts],
                            crs=crs)


def pops_layer(pops: list[tuple[str, str, tuple[float, float]]], crs: str) -> gpd.GeoDataFrame:
    """The ``pops`` layer.

    Parameters
    ----------
    pops
        ``(id, name, (x, y))`` per POP.
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    return gpd.GeoDataFrame({"id": pd.Series([p[0] for p in pops], dtype=object),
                             "name": pd.Series([p[1] for p in pops], dtype=object)},
                            geometry=[Point(*p[2]) for p in pops], crs=crs)
