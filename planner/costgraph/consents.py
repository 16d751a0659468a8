"""Consents: the parcel of every edge and the consent it needs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.config import Config
from planner.costgraph.arrays import first_per_group, geoms, str_col
from planner.costgraph.graph import EPS
from planner.costgraph.noding import Edges

__all__ = ["consents"]


def consents(config: Config, parcels: gpd.GeoDataFrame, private_road: np.ndarray,
              E: Edges) -> tuple[np.ndarray, np.ndarray]:
    """Consent status and private parcel of every edge."""
    dc = config.design
    consent = np.full(E.line.size, "not_needed", dtype=object)
    consent[private_road[E.line]] = dc.private_road_consent
    parcel = np.full(E.line.size, "", dtype=object)
    if len(parcels) == 0 or E.line.size == 0:
        return consent, parcel
    pg = geoms(parcels)
    ei, pi = parcels.sindex.query(E.geom, predicate="intersects")
    share = shapely.length(shapely.intersection(E.geom[ei], pg[pi])) / np.maximum(E.length[ei], EPS)
    best = first_per_group(ei, -share, pi)
    ei, pi, share = ei[best], pi[best], share[best]
    ok = share >= dc.parcel_min_share - 1e-9
    ei, pi = ei[ok], pi[ok]
    private = str_col(parcels, "ownership", "private")[pi] == "private"
    consent[ei] = np.where(private, str_col(parcels, "consent", "not_needed")[pi], "not_needed")
    parcel[ei] = np.where(private, parcels["id"].astype(str).to_numpy(dtype=object)[pi], "")
    return consent, parcel
