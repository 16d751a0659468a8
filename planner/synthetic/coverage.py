"""Operator coverage of a synthetic area (one row per address point, operator and technology).

Every unit (a street of a locality) gets one offer category: white units a
category without fixed NGA (no offer, VDSL2 30 Mb/s, ADSL2+, FTTH planned beyond
the horizon, LTE only), covered units a grey or black one (GPON, DOCSIS, VDSL2
100 Mb/s, FTTH planned within the horizon, two operators).  Some points also
get an LTE offer, which never makes a point covered.  Operator names are invented.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["OFFERS", "WHITE_CATS", "WHITE_P", "COVERED_CATS", "COVERED_P", "EXTRA_LTE", "unit_categories",
           "coverage_layer"]

#: Offers of each category: ``(operator, medium, technology, down, up, status, year)``.
OFFERS: dict[str, list[tuple[str, str, str, float, float, str, int | None]]] = {
    # white categories (no fixed NGA now or within 2026)
    "none": [],
    "vdsl30": [("MiedzTel", "copper", "VDSL2", 30.0, 5.0, "existing", None)],
    "adsl": [("MiedzTel", "copper", "ADSL2+", 8.0, 1.0, "existing", None)],
    "ftth2027": [("FiberPlan", "fibre", "GPON", 1000.0, 300.0, "planned", 2027)],
    "lte_only": [("RadioLink", "radio", "LTE", 150.0, 50.0, "existing", None)],
    # covered categories
    "grey_gpon": [("ŚwiatłoNet", "fibre", "GPON", 1000.0, 300.0, "existing", None)],
    "grey_docsis": [("KabloNet", "coax", "(EURO)DOCSIS 3.x", 500.0, 50.0, "existing", None)],
    "grey_vdsl100": [("MiedzTel", "copper", "VDSL2", 100.0, 20.0, "existing", None)],
    "planned2025": [("FiberPlan", "fibre", "GPON", 1000.0, 300.0, "planned", 2025),
                    ("MiedzTel", "copper", "VDSL2", 30.0, 5.0, "existing", None)],
    "black": [("ŚwiatłoNet", "fibre", "GPON", 1000.0, 300.0, "existing", None),
              ("KabloNet", "coax", "(EURO)DOCSIS 3.x", 500.0, 50.0, "existing", None)],
}
#: White categories and their probabilities. [A]
WHITE_CATS = ("none", "vdsl30", "adsl", "ftth2027", "lte_only")
WHITE_P = (0.45, 0.2, 0.15, 0.1, 0.1)
#: Covered categories and their probabilities. [A]
COVERED_CATS = ("grey_gpon", "grey_docsis", "grey_vdsl100", "planned2025", "black")
COVERED_P = (0.35, 0.2, 0.1, 0.2, 0.15)
#: An extra LTE offer some points get.
EXTRA_LTE = ("RadioLink", "radio", "LTE", 150.0, 50.0, "existing", None)


def unit_categories(A: pd.DataFrame, rng: np.random.Generator, *,
                    forced: dict[tuple[str, str], str] | None = None,
                    black_simcs: frozenset[str] = frozenset()) -> dict[tuple[str, bool], str]:
    """The offer category of every unit (and white flag).

    Parameters
    ----------
    A
        Address table with ``unit, white, locality, street_name, simc, forced``.
    rng
        The random generator (consumed: one draw per unit that is not forced).
    forced
        ``(locality, street) -> category`` for hand-checkable cases; used where
        the category agrees with the unit's white flag.
    black_simcs
        Localities whose units forced ``"covered"`` are black (two operators).

    Returns
    -------
    dict
        ``(unit, white) -> category``.
    """
    forced = forced or {}
    unit_cat: dict[tuple[str, bool], str] = {}
    for (u, wflag), g in A.groupby(["unit", "white"], sort=True):
        key_loc = (g.locality.iloc[0], g.street_name.iloc[0])
        if key_loc in forced and (forced[key_loc] in WHITE_CATS) == wflag:
            cat = forced[key_loc]
        elif wflag:
            cat = WHITE_CATS[int(rng.choice(len(WHITE_CATS), p=WHITE_P))]
        elif g.forced.iloc[0] == "covered" and g.simc.iloc[0] in black_simcs:
            cat = "black"
        else:
            cat = COVERED_CATS[int(rng.choice(len(COVERED_CATS), p=COVERED_P))]
        unit_cat[(u, bool(wflag))] = cat
    return unit_cat


def coverage_layer(A: pd.DataFrame, terc_of: pd.Series, unit_cat: dict[tuple[str, bool], str],
                   rng: np.random.Generator, crs: str) -> gpd.GeoDataFrame:
    """The ``coverage`` layer: the offers of every address's category, sorted by address.

    Parameters
    ----------
    A
        Address table (``id, simc, ulic, street_name, house_number, unit,
        white, x, y``); gains the column ``cat``.
    terc_of
        TERC of each row of ``A``.
    unit_cat
        :func:`unit_categories`.
    rng
        The random generator (consumed: the extra LTE offers).
    crs
        CRS of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    A["cat"] = [unit_cat[(u, bool(wf))] for u, wf in zip(A.unit, A.white)]
    extra_lte = (rng.random(len(A)) < 0.15) & A.cat.isin(["none", "vdsl30", "adsl", "grey_gpon"]).values
    cov_rows = []
    for i, r in enumerate(A.itertuples()):
        offers = list(OFFERS[r.cat]) + ([EXTRA_LTE] if extra_lte[i] else [])
        for o in offers:
            cov_rows.append((r.id, terc_of.iloc[i], r.simc, r.ulic, r.street_name, r.house_number, *o, r.x, r.y))
    cov = pd.DataFrame(cov_rows, columns=["address_id", "terc", "simc", "ulic", "street", "house_number", "operator",
                                          "medium", "technology", "down_mbps", "up_mbps", "status", "year", "x", "y"])
    cov = cov.sort_values(["address_id", "operator", "technology"]).reset_index(drop=True)
    text_cols = ["address_id", "terc", "simc", "ulic", "street", "house_number", "operator", "medium", "technology"]
    coverage = gpd.GeoDataFrame({c: cov[c].astype(object) for c in text_cols},
                                geometry=gpd.points_from_xy(cov.x.round(2), cov.y.round(2)), crs=crs)
    coverage.insert(9, "down_mbps", cov.down_mbps.astype(float).values)
    coverage.insert(10, "up_mbps", cov.up_mbps.astype(float).values)
    coverage.insert(11, "status", cov.status.astype(object).values)
    coverage.insert(12, "year", pd.array(cov.year.tolist(), dtype="Int64"))
    return coverage
