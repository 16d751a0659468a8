"""Where the localities of a synthetic area lie, and the ``localities`` layer.

:func:`place_around` puts localities on a 200 m grid around a commune seat,
each as near its preferred point as it fits without overlapping another (with a
450 m gap between their extents); :func:`localities_layer` draws each
locality as the buffered hull of its nodes and houses.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.synthetic.network import Network

__all__ = ["place_around", "localities_layer", "layout_radius"]

#: Gap between the extents of two localities, metres. [A]
GAP_M = 450.0


def layout_radius(xy: list[tuple[float, float]], houses_xy: list[tuple[float, float]]) -> float:
    """Extent of a local layout around ``(0, 0)``: its farthest node or house, plus 60 m."""
    return max(float(np.max(np.linalg.norm(np.array(xy), axis=1))),
               max((math.hypot(x, y) for x, y in houses_xy), default=0.0)) + 60.0


def place_around(rng: np.random.Generator, centre: np.ndarray, order: list[str], radius: dict[str, float],
                 fixed: dict[str, np.ndarray], *, extent_m: float = 14_000.0, jitter_m: float = 700.0
                 ) -> dict[str, np.ndarray]:
    """Centres of localities around ``centre``, none overlapping another.

    Parameters
    ----------
    rng
        The random generator (consumed: one jitter per candidate).
    centre
        Commune seat (working CRS).
    order
        Localities to place, in placement order (larger ones first place better).
    radius
        Extent of each locality (:func:`layout_radius`).
    fixed
        Localities already placed (e.g. the seat at ``centre``).
    extent_m
        Half-width of the square searched around ``centre``.
    jitter_m
        Random score added to the distance to ``centre``, so the layout is not a ring.

    Returns
    -------
    dict
        SIMC -> centre, including ``fixed``.

    Raises
    ------
    RuntimeError
        No room for a locality within ``extent_m``.
    """
    g = np.arange(-extent_m, extent_m + 1.0, 200.0)
    gx, gy = np.meshgrid(g, g)
    cand = centre + np.column_stack([gx.ravel(), gy.ravel()])
    pos = dict(fixed)
    for s in order:
        ok = np.ones(len(cand), bool)
        for t, p in pos.items():
            ok &= np.linalg.norm(cand - p, axis=1) >= radius[s] + radius[t] + GAP_M
        idx = np.flatnonzero(ok)
        if not idx.size:
            raise RuntimeError(f"no room for locality {s} within {extent_m:.0f} m of the commune seat")
        score = np.linalg.norm(cand[idx] - centre, axis=1) + rng.uniform(0, jitter_m, idx.size)
        pos[s] = cand[idx[np.argmin(score)]]
    return pos


def localities_layer(net: Network, H: pd.DataFrame, simc: pd.DataFrame, crs: str) -> gpd.GeoDataFrame:
    """The ``localities`` layer: hull of each locality's nodes and houses, grown by 60 m.

    Parameters
    ----------
    net
        The network (nodes and their locality).
    H
        House table (``simc, x, y``).
    simc
        Localities: ``simc, terc, locality``, in layer order.
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    loc_polys = []
    for s in simc.simc:
        pts = np.vstack([net.node_xy[net.node_simc == s], H.loc[H.simc == s, ["x", "y"]].to_numpy()])
        loc_polys.append(shapely.convex_hull(shapely.multipoints(pts)).buffer(60.0).simplify(5.0))
    return gpd.GeoDataFrame({"simc": simc.simc.astype(object), "terc": simc.terc.astype(object),
                             "locality": simc.locality.astype(object)},
                            geometry=shapely.set_precision(loc_polys, 0.01), crs=crs)
