"""Private internal roads, their owners' consents and the ``parcels`` layer.

Each private track with houses lies on a private parcel whose owner's consent
is granted, pending or refused.  Some refused tracks have an alternative: a
public track from the far end of the private road to another node of the
village (added to the network as an ``alt_track``); the others leave their
houses reachable only through the refused parcel.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.ops import substring

from planner.synthetic.network import Network

__all__ = ["assign_consents", "parcels_layer"]


def assign_consents(net: Network, H: pd.DataFrame, rng: np.random.Generator, *, n_refused_alt: int = 5,
                    n_refused_noalt: int = 2) -> tuple[dict[int, str], list[int], list[int]]:
    """Consent of each private track; refused tracks with an alternative get their alternative track.

    Parameters
    ----------
    net
        The network (gains one ``alt_track`` street per refused track with an alternative).
    H
        House table (column ``track``: the private track of remote houses).
    rng
        The random generator (consumed: one permutation).
    n_refused_alt
        Refused tracks among those with an alternative public track.
    n_refused_noalt
        Refused tracks without one: the single-house tracks whose house lies
        farthest from a public road, so that exactly their points are
        reachable only through a refused parcel.

    Returns
    -------
    consent : dict
        Track street index -> ``"granted"``, ``"pending"`` or ``"refused"``.
    refused_alt, refused_noalt : list of int
        The refused tracks with and without an alternative.
    """
    streets, node_xy = net.streets, net.node_xy
    tracks = [i for i, st in enumerate(streets) if st["role"] == "private_track"]
    tracks = [t for t in tracks if (H.track == t).any()]
    perm = rng.permutation(tracks).tolist()
    with_alt = [t for t in perm if streets[t]["alt"] is not None]
    without_alt = [t for t in perm if streets[t]["alt"] is None]
    # the refused tracks without an alternative: single-house tracks whose house lies farthest from
    # a public road (so exactly those address points are reachable only through a refused parcel)
    pub_lines = shapely.union_all([LineString(node_xy[st["nodes"]]) for st in streets
                                   if st["role"] not in ("private_track",)])
    far = {t: float(shapely.distance(shapely.multipoints(H.loc[H.track == t, ["x", "y"]].to_numpy()), pub_lines))
           for t in without_alt}
    without_alt.sort(key=lambda t: (int((H.track == t).sum()) != 1, -round(far[t], 3)))
    refused_alt = with_alt[:n_refused_alt]
    refused_noalt = without_alt[:n_refused_noalt]
    rest = [t for t in perm if t not in refused_alt + refused_noalt]
    consent = {t: "refused" for t in refused_alt + refused_noalt}
    for k, t in enumerate(rest):
        consent[t] = "pending" if k % 3 == 0 else "granted"
    for t in refused_alt:
        pts = streets[t]["alt"]
        a_end = streets[t]["nodes"][-1]
        b_node = int(np.argmin(np.linalg.norm(net.node_xy - pts[1], axis=1)))
        net.add_link(a_end, b_node, "track", 70.0, False)
        net.streets[-1].update(role="alt_track", surface="unpaved", simc=streets[t]["simc"])
    return consent, refused_alt, refused_noalt


def parcels_layer(net: Network, roads: gpd.GeoDataFrame, consent: dict[int, str], egib_unit: dict[str, str],
                  obreb: dict[str, int], crs: str) -> gpd.GeoDataFrame:
    """The ``parcels`` layer: a 14 m strip along each private track (public roads crossing it stay public).

    Parameters
    ----------
    net
        The network.
    roads
        The roads layer (to cut public roads out of the strips).
    consent
        :func:`assign_consents`.
    egib_unit
        SIMC -> EGiB cadastral unit (``140804_5``).
    obreb
        SIMC -> cadastral district number within the unit.
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
        EGiB-style ids ``<unit>.<district>.<number>``, ownership ``private``, consent.
    """
    pub_roads = roads[~roads.private]
    par_rows = []
    for n_, t in enumerate(sorted(consent)):
        line = LineString(net.node_xy[net.streets[t]["nodes"]])
        poly = substring(line, 15.0, line.length - 15.0).buffer(7.0, cap_style="flat").simplify(0.5)
        near = pub_roads.sindex.query(poly, predicate="dwithin", distance=5.0)
        if near.size:  # a public road crossing the strip stays public
            poly = poly.difference(shapely.union_all(pub_roads.geometry.values[near]).buffer(4.0))
        simc = net.streets[t]["simc"]
        par_rows.append((f"{egib_unit[simc]}.{obreb[simc]:04d}.{300 + n_}/{1 + n_ % 4}", "private", consent[t], poly))
    return gpd.GeoDataFrame({"id": pd.Series([r[0] for r in par_rows], dtype=object),
                             "ownership": pd.Series([r[1] for r in par_rows], dtype=object),
                             "consent": pd.Series([r[2] for r in par_rows], dtype=object)},
                            geometry=shapely.set_precision([r[3] for r in par_rows], 0.01), crs=crs)
