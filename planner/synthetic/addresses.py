"""Address points of a synthetic area: numbering, ids and the address layers.

Houses of the network (:class:`planner.synthetic.network.Network`) become a
house table (:func:`house_table`): numbered per address street (odd numbers on
one side, even on the other; a locality without street names numbers across
the locality), a few with a letter suffix, each with a random UUID.  Some houses
are held back as *new buildings* (built after the address register was drawn
up, :func:`pick_new_buildings`).  :func:`addresses_layer` and
:func:`new_buildings_layer` give the schema layers.
"""

from __future__ import annotations

import uuid

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.synthetic.network import Network

__all__ = ["house_table", "pick_new_buildings", "addresses_layer", "new_buildings_layer", "random_uuid"]


def random_uuid(rng: np.random.Generator) -> str:
    """A version-4 UUID from 16 bytes of ``rng``."""
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def house_table(net: Network, terc_of: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    """Every house with its address: number, suffix, id and unit (locality/street).

    Parameters
    ----------
    net
        The network (its houses and streets).
    terc_of
        SIMC -> TERC.
    rng
        The random generator (consumed: suffixes and ids).

    Returns
    -------
    pandas.DataFrame
        The houses (``simc, x, y, street, s, side, kind, angle, track``) plus
        ``simc_terc, street_name, ulic, role, number, house_number, id, unit``,
        sorted by locality, street, position and side.
    """
    H = pd.DataFrame(net.houses)
    H["simc_terc"] = H.simc.map(terc_of)
    # numbering: per address street; unnamed localities number across the locality
    st_df = pd.DataFrame(net.streets)
    H["street_name"] = H.street.map(st_df.street)
    H["ulic"] = H.street.map(st_df.ulic)
    H["role"] = H.street.map(st_df.role)
    H = H.sort_values(["simc", "street", "s", "side"]).reset_index(drop=True)
    nums = np.zeros(len(H), int)
    for (_sm, stn), g in H.groupby(["simc", "ulic"], sort=True):
        if stn == "":
            nums[g.index] = np.arange(1, len(g) + 1)
        else:
            odd = g.side == 1
            nums[g.index[odd.values]] = 2 * np.arange(len(g[odd])) + 1
            nums[g.index[~odd.values]] = 2 * np.arange(1, len(g[~odd]) + 1)
    H["number"] = nums
    suffix = rng.random(len(H)) < 0.03
    H["house_number"] = [f"{n}{'ABC'[int(rng.integers(3))]}" if sfx else str(n) for n, sfx in zip(nums, suffix)]
    H["id"] = [random_uuid(rng) for _ in range(len(H))]
    H["unit"] = H.simc + "/" + H.street.astype(str)
    return H


def pick_new_buildings(H: pd.DataFrame, rng: np.random.Generator, n: int, eligible: pd.Series) -> None:
    """Mark ``n`` houses as new buildings (column ``is_new``), not in the address register.

    The last house on one side of named side streets: each new building has a
    real street name and ULIC of its locality and a unique address key.

    Parameters
    ----------
    H
        House table (:func:`house_table`); gains the column ``is_new``.
    rng
        The random generator (consumed).
    n
        Number of new buildings.
    eligible
        Boolean mask of ``H``: houses that may become new buildings (e.g. rural ones).
    """
    rural_branch = H[eligible & H.role.isin(["branch", "side"]) & (H.kind == "house") & (H.ulic != "")]
    tails = rural_branch.sort_values(["s", "id"]).groupby(["street", "side"]).tail(1).sort_index()
    new_idx = rng.choice(tails.index.to_numpy(), size=min(n, len(tails)), replace=False)
    H["is_new"] = False
    H.loc[new_idx, "is_new"] = True


def addresses_layer(A: pd.DataFrame, terc_of: pd.Series, postcodes: dict[str, str], crs: str) -> gpd.GeoDataFrame:
    """The ``addresses`` layer of the address table ``A`` (in its row order).

    Parameters
    ----------
    A
        Addresses: ``id, simc, ulic, locality, street_name, house_number,
        is_business, status, x, y``.
    terc_of
        TERC of each row of ``A``.
    postcodes
        TERC -> postcode.
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    return gpd.GeoDataFrame({
        "id": A.id.astype(object), "terc": terc_of.astype(object), "simc": A.simc.astype(object),
        "ulic": A.ulic.astype(object), "locality": A.locality.astype(object),
        "street": A.street_name.astype(object), "house_number": A.house_number.astype(object),
        "postcode": terc_of.map(postcodes).astype(object), "is_business": A.is_business.astype(bool),
        "status": A.status.astype(object),
    }, geometry=gpd.points_from_xy(A.x.round(2), A.y.round(2)), crs=crs)


def new_buildings_layer(H: pd.DataFrame, loc_rows: pd.DataFrame, crs: str) -> gpd.GeoDataFrame:
    """The ``new_buildings`` layer: the houses of ``H`` marked ``is_new``, by id.

    Parameters
    ----------
    H
        House table with ``is_new``.
    loc_rows
        Localities indexed by SIMC with columns ``terc`` and ``locality``.
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    N = H[H.is_new].sort_values("id")
    new_buildings = gpd.GeoDataFrame({
        "id": ("NB-" + N.id.str[:8]).astype(object), "terc": N.simc.map(loc_rows.terc).astype(object),
        "simc": N.simc.astype(object), "ulic": N.ulic.astype(object),
        "locality": N.simc.map(loc_rows.locality).astype(object),
        "street": N.street_name.astype(object), "house_number": N.house_number.astype(object),
        "is_business": np.zeros(len(N), bool)}, geometry=gpd.points_from_xy(N.x.round(2), N.y.round(2)), crs=crs)
    return new_buildings.reset_index(drop=True)
