"""Who needs what: split homes and dedicated unsplit ("express") fibres.

An address gets an express fibre -- one unsplit fibre from the POP, on a
point-to-point OLT port, bypassing the splitters -- when its building is a
public institution (``use == "public"``: schools, offices; the Wierzbica
strategy's metro-Ethernet for public units) and ``express_public`` is on, or
when it is a business (``is_business``) in a building of one of
``express_business_building_uses`` with a footprint of at least
``express_business_min_floor_m2``.  The building of an address is the
one containing it, else the nearest within ``express_building_max_distance_m``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.config.network import NetworkConfig

__all__ = ["express_mask"]


def express_mask(addresses: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, config: NetworkConfig) -> np.ndarray:
    """Which addresses get a dedicated unsplit fibre.

    Parameters
    ----------
    addresses
        Address points (``is_business`` optional, default False).
    buildings
        Building footprints with ``use`` (the area's ``buildings`` layer).
    config
        The ``[network]`` section.

    Returns
    -------
    numpy.ndarray
        Boolean per address row.
    """
    n = len(addresses)
    out = np.zeros(n, dtype=bool)
    min_m2 = config.express_business_min_floor_m2
    if n == 0 or len(buildings) == 0 or (not config.express_public and min_m2 is None):
        return out
    pts = np.asarray(addresses.geometry.values, dtype=object)
    bgeom = np.asarray(buildings.geometry.values, dtype=object)
    use = buildings["use"].astype(str).to_numpy(dtype=object) if "use" in buildings else np.full(len(buildings), "")
    tree = shapely.STRtree(bgeom)
    # building of each address: containing, else nearest within the distance (ties: lowest row)
    bidx = np.full(n, -1, dtype=np.int64)
    inside = tree.query(pts, predicate="within")
    if inside.size:
        order = np.lexsort((inside[1], inside[0]))
        a, b = inside[0][order], inside[1][order]
        first = np.r_[True, a[1:] != a[:-1]]
        bidx[a[first]] = b[first]
    rest = np.flatnonzero(bidx < 0)
    if rest.size and config.express_building_max_distance_m > 0:
        near = tree.query_nearest(pts[rest], max_distance=config.express_building_max_distance_m, all_matches=True)
        if near.size:
            order = np.lexsort((near[1], near[0]))
            a, b = near[0][order], near[1][order]
            first = np.r_[True, a[1:] != a[:-1]]
            bidx[rest[a[first]]] = b[first]
    has = bidx >= 0
    buse = np.where(has, use[np.maximum(bidx, 0)], "")
    if config.express_public:
        out |= has & (buse == "public")
    if min_m2 is not None:
        business = (addresses["is_business"].fillna(False).astype(bool).to_numpy() if "is_business" in addresses
                    else np.zeros(n, dtype=bool))
        area = np.where(has, shapely.area(bgeom[np.maximum(bidx, 0)]), 0.0)
        out |= business & (area >= min_m2) & np.isin(buse, list(config.express_business_building_uses))
    return out
