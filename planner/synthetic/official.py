"""The demo's "official" white-spot list, with planted differences.

7 white points are left out, 5 covered points are put on it, and house numbers
with a letter are spelt as in real lists (``12 a``, ``12a``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from planner.synthetic.calibration import CRS

__all__ = ["official_list"]


def official_list(rng: np.random.Generator, addresses: gpd.GeoDataFrame, A: pd.DataFrame
                  ) -> tuple[pd.DataFrame, dict[str, list[dict[str, str]]]]:
    """The 'official' white-spot list: the white points with planted differences.

    Parameters
    ----------
    rng
        The random generator (consumed).
    addresses
        The addresses layer.
    A
        Address table with ``id`` and ``white``.

    Returns
    -------
    official : pandas.DataFrame
        Columns ``TERC, SIMC, ULIC, NR, lat, lon`` (WGS84), sorted.
    planted : dict
        ``covered_on_list`` (5 covered points on the list) and
        ``white_missing`` (7 white points missing from it), each a list of
        address descriptions.
    """
    white_ids = set(A.id[A.white])
    addr = addresses.set_index("id")
    wl = sorted(white_ids)
    missing = sorted(rng.choice(wl, size=7, replace=False).tolist())
    covered_pool = sorted(set(addr.index) - white_ids)
    extra = sorted(rng.choice(covered_pool, size=5, replace=False).tolist())
    ids = sorted((white_ids - set(missing)) | set(extra))
    sub = addr.loc[ids]
    tr = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(sub.geometry.x.to_numpy(), sub.geometry.y.to_numpy())
    nr = sub.house_number.to_numpy().astype(object)
    # spelling variants as found in real lists: '12 a', '12a'
    for i in range(len(nr)):
        v = nr[i]
        if v[-1].isalpha():
            r = rng.random()
            nr[i] = f"{v[:-1]} {v[-1].lower()}" if r < 0.4 else (v.lower() if r < 0.8 else v)
    out = pd.DataFrame({"TERC": sub.terc.to_numpy(), "SIMC": sub.simc.to_numpy(), "ULIC": sub.ulic.to_numpy(),
                        "NR": nr, "lat": np.round(lat, 6), "lon": np.round(lon, 6)})
    out = out.sort_values(["TERC", "SIMC", "ULIC", "NR"]).reset_index(drop=True)

    def desc(i: str) -> dict[str, str]:
        r = addr.loc[i]
        return dict(id=i, terc=r.terc, simc=r.simc, ulic=r.ulic, locality=r.locality, street=r.street,
                    house_number=r.house_number)
    return out, {"covered_on_list": [desc(i) for i in extra], "white_missing": [desc(i) for i in missing]}
