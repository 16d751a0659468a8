"""Reallocation: newly built houses take the places freed by investment barriers.

Addresses with no building (empty plots, summer houses) are investment
barriers: flagged, and their funding moves to newly built houses, ranked by
how cheap they are to connect (distance to the planned network, or to the
nearest target white spot before the network is designed), so that the
contracted number of points stays constant.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.whitespots.codes import codes
from planner.whitespots.keys import arrow_code, column, key_pairs

__all__ = ["propose_reallocation"]

logger = logging.getLogger(__name__)


def propose_reallocation(addresses: gpd.GeoDataFrame, new_buildings: gpd.GeoDataFrame, *,
                         network: gpd.GeoDataFrame | None = None,
                         contracted_total: int | None = None) -> gpd.GeoDataFrame:
    """Propose which newly built houses take the places freed by barriers.

    Parameters
    ----------
    addresses
        Output of :func:`planner.whitespots.classify`.
    new_buildings
        New houses not on the list (layer ``new_buildings`` of the schema).
    network
        Planned network segments; when given, candidates are ranked by their
        distance to it (basis ``'network'``), otherwise by the distance to the
        nearest target white spot (basis ``'nearest_white_spot'``).
    contracted_total
        Contracted number of points; the number of places is then
        ``contracted_total - targets`` so that targets + accepted equals it
        (as far as there are candidates).  ``None``: one place per barrier.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per new building: ``new_building_id, terc, simc, ulic, locality,
        street, house_number, rank, distance_m, basis, accepted, reason,
        replaces`` and the geometry, sorted by ``rank``.  ``replaces`` is the
        barrier address id whose place an accepted house takes, paired by
        locality first (candidates in rank order, barriers by id), then across
        localities; ``''`` when no barrier is left (contracted total larger).
        New houses whose address key is already an address point are not
        eligible (reason says so).
    """
    nb = new_buildings.reset_index(drop=True)
    n = len(nb)
    crs = addresses.crs
    if nb.crs is not None and crs is not None and nb.crs != crs:
        nb = nb.to_crs(crs)
    barriers = addresses.loc[addresses["is_barrier"].to_numpy()]
    n_targets = int(addresses["is_target"].sum())
    places = len(barriers) if contracted_total is None else contracted_total - n_targets
    if places < 0:
        logger.warning("contracted total %d is below the %d target points: no place for new buildings",
                       contracted_total, n_targets)
        places = 0

    dist = np.full(n, np.inf)
    if network is not None and len(network):
        basis = "network"
        ref = network.to_crs(crs) if network.crs is not None and crs is not None and network.crs != crs else network
    else:
        basis = "nearest_white_spot"
        ref = addresses.loc[addresses["is_target"].to_numpy()]
    if n and len(ref):
        (qi, ri), d = ref.sindex.nearest(nb.geometry, return_all=False, return_distance=True)
        dist[qi] = d

    (li, _), _ = key_pairs(nb, addresses, street=False)
    existing = np.zeros(n, dtype=bool)
    existing[li] = True
    ids = column(nb, "id").astype(object).fillna("").astype(str).to_numpy(dtype=object)
    id_rank, _ = pd.factorize(pd.Series(ids, dtype=object), sort=True)
    eligible = ~existing & np.isfinite(dist)
    order = np.lexsort((id_rank, dist, ~eligible))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    accepted = eligible & (rank <= places)
    if places > eligible.sum():
        logger.warning("only %d eligible new buildings for %d freed places", int(eligible.sum()), places)

    dtxt = pd.Series(np.round(np.where(np.isfinite(dist), dist, 0)).astype(np.int64), dtype=object).astype(str)
    where = " m from the planned network" if basis == "network" else " m from the nearest target white spot"
    reason = np.where(
        existing, "already an address point (not a new building)",
        np.where(~np.isfinite(dist), "no network or target point to measure the distance to",
                 np.where(accepted, ("cheapest to connect: " + dtxt + where).to_numpy(dtype=object),
                          ("not needed: all " + str(places) + " freed places taken by cheaper buildings ("
                           + dtxt + where + ")").to_numpy(dtype=object))))

    # pair accepted buildings with barrier addresses: same locality first, then globally
    simc_codes = codes(pd.concat([column(nb, "simc").astype(object), column(barriers, "simc").astype(object)],
                                  ignore_index=True), arrow_code(7))[0]
    nb_simc, bar_simc = simc_codes[:n], simc_codes[n:]
    acc = np.flatnonzero(accepted)
    acc = acc[np.argsort(rank[acc], kind="stable")]
    bar_ids = barriers["id"].astype(object).astype(str).to_numpy(dtype=object)
    bar_order = np.lexsort((pd.factorize(pd.Series(bar_ids, dtype=object), sort=True)[0], bar_simc))
    replaces = np.full(n, "", dtype=object)
    cand = pd.DataFrame({"pos": acc, "simc": nb_simc[acc]})
    cand["k"] = cand.groupby("simc").cumcount()
    bars = pd.DataFrame({"bpos": bar_order, "simc": bar_simc[bar_order]})
    bars["k"] = bars.groupby("simc").cumcount()
    local = cand.merge(bars, on=["simc", "k"], how="inner")
    replaces[local["pos"].to_numpy()] = bar_ids[local["bpos"].to_numpy()]
    rest_c = cand.loc[~cand["pos"].isin(local["pos"]), "pos"].to_numpy()
    rest_b = bars.loc[~bars["bpos"].isin(local["bpos"]), "bpos"].to_numpy()
    k = min(len(rest_c), len(rest_b))
    replaces[rest_c[:k]] = bar_ids[rest_b[:k]]
    reason = reason.astype(object)
    fill = accepted & (replaces == "")
    reason[fill] = (pd.Series(reason[fill], dtype=object) + "; fills the contracted total").to_numpy(dtype=object)

    out = gpd.GeoDataFrame({
        "new_building_id": ids,
        **{c: column(nb, c).astype(object).fillna("").to_numpy(dtype=object)
           for c in ("terc", "simc", "ulic", "locality", "street", "house_number")},
        "rank": rank,
        "distance_m": dist,
        "basis": basis,
        "accepted": accepted,
        "reason": reason,
        "replaces": replaces,
    }, geometry=nb.geometry.to_numpy(), crs=crs)
    return out.sort_values("rank", kind="stable").reset_index(drop=True)
