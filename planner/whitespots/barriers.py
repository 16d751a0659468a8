"""Investment barriers (bariery inwestycyjne): white spots that cannot be built.

Barriers (white spots only), first rule that applies: ``status_<status>``
(PRG status not in ``existing_statuses``, e.g. ``status_prognozowany``; an
empty status counts as existing), ``no_building`` (no building within
``barrier_building_distance_m``), ``summer_house`` (the nearest building's use
is in ``barrier_building_uses``; equidistant buildings: smallest id, then the
first in the layer).  An empty buildings layer disables the two building rules
with a warning instead of making every point a barrier.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config import WhiteSpotConfig
from planner.whitespots.codes import codes
from planner.whitespots.keys import arrow_strip, column, fold
from planner.whitespots.matching import nearest_first, within

__all__ = ["BARRIER_REASONS", "barriers", "building_flags"]

#: Barrier reasons before the ``status_<status>`` ones (index = reason code).
BARRIER_REASONS: tuple[str, ...] = ("", "no_building", "summer_house")


def building_flags(points: gpd.GeoSeries, bounds: np.ndarray, buildings: gpd.GeoDataFrame,
                   config: WhiteSpotConfig) -> tuple[np.ndarray, np.ndarray]:
    """For every point: is a building within reach, and is the nearest one a summer house.

    Parameters
    ----------
    points
        Address points.
    bounds
        :func:`shapely.bounds` of the points.
    buildings
        The buildings layer (``id``, ``use``).
    config
        White-spot rules (``barrier_building_distance_m``, ``barrier_building_uses``).

    Returns
    -------
    has_building, summer : numpy.ndarray
        A building within ``barrier_building_distance_m``; the nearest one's
        use in ``barrier_building_uses``.

    Notes
    -----
    Computed for all points, not only the white spots, so that it can run
    while the coverage is matched; a point's answer does not depend on the
    other points.
    """
    n = len(points)
    has, summer = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if not n or not len(buildings):
        return has, summer
    if buildings.crs is not None and points.crs is not None and buildings.crs != points.crs:
        buildings = buildings.to_crs(points.crs)
    qi, bi, dist = within(points, buildings, config.barrier_building_distance_m, points_bounds=bounds)
    has[qi] = True
    if len(qi):
        # nearest building; equidistant buildings: the smallest building id, then the first
        # building of the layer decides, whatever the order (ids are ranked only where there is a tie)
        ids = buildings["id"] if "id" in buildings.columns else pd.Series(np.arange(len(buildings)))
        q1, k1 = nearest_first(qi, dist, lambda sel: ids.iloc[bi[sel]].to_numpy(dtype=object), bi)
        use_codes, use_u = codes(column(buildings, "use", "residential"), arrow_strip)
        is_summer = np.isin(use_u, list(config.barrier_building_uses))[use_codes[bi[k1]]]
        summer[q1[is_summer]] = True
    return has, summer


def barriers(white: np.ndarray, statuses: tuple[np.ndarray, np.ndarray],
             buildings: tuple[np.ndarray, np.ndarray] | None,
             config: WhiteSpotConfig, warnings: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Barrier flag, reason code and reason texts of every address.

    Parameters
    ----------
    white
        Which addresses are white spots (only they can be barriers).
    statuses
        :func:`planner.whitespots.codes.codes` of the addresses' PRG statuses.
    buildings
        :func:`building_flags` of every address; ``None`` when the buildings
        layer is empty (the building rules are then skipped, with a warning).
    config
        White-spot rules (``existing_statuses``).
    warnings
        Warnings are appended.

    Returns
    -------
    is_barrier, code : numpy.ndarray
        The flag, and the reason code of every address.
    texts : list of str
        The reasons the codes index: :data:`BARRIER_REASONS`, then ``'status_<status>'`` of each status.
    """
    st_codes, st_u = statuses
    existing = {fold(s) for s in config.existing_statuses}
    ok = np.array([s == "" or fold(s) in existing for s in st_u], dtype=bool)
    bad_status = ~ok[st_codes]
    if buildings is None:
        if white.any():
            warnings.append(
                "the buildings layer is empty: the 'no_building' and 'summer_house' barrier rules were skipped "
                "-> fix: give a buildings layer (EGiB/BDOT10k/OSM) to find investment barriers")
        no_building = summer = np.zeros(len(white), dtype=bool)
    else:
        has, summer = buildings
        no_building = ~has
    texts = list(BARRIER_REASONS) + ["status_" + s for s in st_u]
    code = np.where(bad_status, 3 + st_codes, np.where(no_building, 1, np.where(summer, 2, 0)))
    code[~white] = 0
    return code != 0, code, texts
