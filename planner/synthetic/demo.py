"""The embedded demo area: synthetic Serock + Wieliszew (Legionowo county).

:func:`build_demo_area` generates every layer of :mod:`planner.schema` in
memory from one seeded :func:`numpy.random.default_rng`, calibrated to the
public figures of the 2025 Serock/Wieliszew FERC rollout
(:mod:`planner.synthetic.calibration`), with hand-checkable planted cases
(Stasi Las, the milestone villages, refused consents, an official list with
differences).  ``scripts/make_demo_area.py`` writes it to ``data/demo``
(:func:`planner.synthetic.files.write_demo_area`).  The output is
deterministic: the same seed gives the same layer contents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner.synthetic.addresses import addresses_layer, house_table, new_buildings_layer, pick_new_buildings
from planner.synthetic.as_built import as_built_layer
from planner.synthetic.buildings import buildings_layer, check_empty_plots
from planner.synthetic.calibration import (
    CRS,
    EGIB_UNIT,
    FORCED_CATS,
    M1_VILLAGES,
    MILESTONE_VILLAGES,
    N_NEW_BUILDINGS,
    N_WHITE_BUSINESS,
    N_WHITE_SEROCK,
    N_WHITE_WIELISZEW,
    POP_WIELISZEW_XY,
    POP_XY,
    SEED,
    SEROCK_CENTRE,
    SEROCK_TOWN_SIMC,
    STASI_LAS,
    STASI_LAS_WHITE,
    SUMMER_LOCALITIES,
    TERC_SEROCK_TOWN,
    TERC_WIELISZEW,
    WIELISZEW_CENTRE,
    WIELISZEW_SIMC,
)
from planner.synthetic.calibration import POSTCODES as _POSTCODES
from planner.synthetic.coverage import coverage_layer, unit_categories
from planner.synthetic.infrastructure import ducts_layer, poles_layer, pops_layer
from planner.synthetic.layout import LocalNet, layout_town, layout_village
from planner.synthetic.links import plan_links
from planner.synthetic.localities import layout_radius, localities_layer
from planner.synthetic.network import Network, assemble, finish_roads, promote_main_streets, road_stats
from planner.synthetic.official import official_list
from planner.synthetic.parcels import assign_consents, parcels_layer
from planner.synthetic.teryt import read_simc_ulic

__all__ = ["DemoArea", "build_demo_area", "SEED"]


@dataclass
class DemoArea:
    """Result of :func:`build_demo_area`.

    Attributes
    ----------
    layers
        Schema layer name -> GeoDataFrame in EPSG:2180.
    metadata
        Key/value table (``name``, ``bounds``, ``crs``, ``seed``, ``generator``).
    official_list
        The official white-spot list with planted differences.
    facts
        Figures and planted cases for the README and the tests.
    """

    layers: dict[str, gpd.GeoDataFrame]
    metadata: pd.DataFrame
    official_list: pd.DataFrame
    facts: dict[str, Any]


def _place_localities(rng: np.random.Generator, simc: pd.DataFrame, radius: dict[str, float]
                      ) -> dict[str, np.ndarray]:
    """Non-overlapping centres: Serock to the N/E of its town, Wieliszew to the S/W."""
    u = (SEROCK_CENTRE - WIELISZEW_CENTRE) / np.linalg.norm(SEROCK_CENTRE - WIELISZEW_CENTRE)
    gx, gy = np.meshgrid(np.arange(-14_000, 14_001, 200.0), np.arange(-14_000, 14_001, 200.0))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    pos: dict[str, np.ndarray] = {}
    by_simc = simc.set_index("simc")
    fixed = {SEROCK_TOWN_SIMC: SEROCK_CENTRE, WIELISZEW_SIMC: WIELISZEW_CENTRE}
    pos.update(fixed)
    reservoir = SEROCK_CENTRE - 3000.0 * u + 1500.0 * np.array([-u[1], u[0]])
    order = sorted((s for s in simc.simc if s not in fixed),
                   key=lambda s: (by_simc.loc[s, "sympod"] != s, by_simc.loc[s, "locality"] not in M1_VILLAGES,
                                  -radius[s], s))
    for s in order:
        row = by_simc.loc[s]
        serock = row.terc != TERC_WIELISZEW
        centre = SEROCK_CENTRE if serock else WIELISZEW_CENTRE
        cand = centre + grid
        proj = (cand - (SEROCK_CENTRE if serock else WIELISZEW_CENTRE)) @ u
        ok = proj >= -2500.0 if serock else proj <= 1500.0
        if row.locality in SUMMER_LOCALITIES:
            pref = reservoir
            ok &= proj >= -4200.0
        elif row.sympod != s and row.sympod in pos:
            pref = pos[row.sympod]
        else:
            pref = centre
        if serock:
            ok &= np.linalg.norm(cand - WIELISZEW_CENTRE, axis=1) > 5000.0
        else:
            ok &= np.linalg.norm(cand - SEROCK_CENTRE, axis=1) > 5000.0
        for t, p in pos.items():
            ok &= np.linalg.norm(cand - p, axis=1) >= radius[s] + radius[t] + 450.0
        idx = np.flatnonzero(ok)
        score = np.linalg.norm(cand[idx] - pref, axis=1) + rng.uniform(0, 700, idx.size)
        pos[s] = cand[idx[np.argmin(score)]]
    return pos


def _layouts(rng: np.random.Generator, simc: pd.DataFrame, ulic: pd.DataFrame, loc_rows: pd.DataFrame
             ) -> dict[str, LocalNet]:
    """Local layout of every locality: the town grid for Serock, street villages elsewhere."""
    rural = [s for s in simc.simc if s != SEROCK_TOWN_SIMC and int(loc_rows.loc[s, "rm"]) == 1
             and loc_rows.loc[s, "locality"] != STASI_LAS]
    n_private = dict.fromkeys(simc.simc, 0)
    for s in rng.choice(rural, size=34, replace=True):
        n_private[s] += 1
    nets: dict[str, LocalNet] = {}
    for s in simc.simc:
        row = loc_rows.loc[s]
        st = [(r.name, r.ulic) for r in ulic[ulic.simc == s].itertuples()]
        if s == SEROCK_TOWN_SIMC:
            nets[s] = layout_town(rng, st)
        else:
            rm = int(row.rm)
            farms = int(rng.integers(2, 7)) if rm == 1 else int(rng.integers(0, 3))
            nets[s] = layout_village(rng, st, row.locality, rm, n_private[s], farms)
    return nets


def _select_white(rng: np.random.Generator, A: pd.DataFrame, summer_units: list[str],
                  noalt_houses: pd.Series) -> None:
    """White spots: the planted cases, then whole units at random up to the calibrated counts."""
    loc_name = A.locality
    forced = pd.Series("", index=A.index)
    town = A.simc == SEROCK_TOWN_SIMC
    forced[town & A.role.isin(["grid", "culdesac"])] = "covered"
    stasi = loc_name == STASI_LAS
    forced[stasi] = np.where(A.street_name[stasi].isin(STASI_LAS_WHITE), "white", "covered")
    forced[loc_name.isin(MILESTONE_VILLAGES)] = "white"
    forced[(A.simc == WIELISZEW_SIMC) & (A.role == "spine")] = "covered"
    forced[A.unit.isin(summer_units)] = "white"
    forced[noalt_houses] = "white"
    A["forced"] = forced
    white = pd.Series(False, index=A.index)
    white[forced == "white"] = True
    serock_mask = A.simc_terc != TERC_WIELISZEW
    for mask, target in ((serock_mask, N_WHITE_SEROCK), (~serock_mask, N_WHITE_WIELISZEW)):
        have = int((white & mask).sum())
        free = A[mask & (forced == "")]
        units = free.unit.unique().tolist()
        rng.shuffle(units)
        for u in units:
            if have == target:
                break
            g = free[free.unit == u].sort_values(["s", "side"])
            k = min(len(g), target - have)
            white[g.index[:k]] = True
            have += k
        if have != target:
            raise RuntimeError(f"cannot reach {target} white spots (got {have})")
    A["white"] = white


def _businesses(rng: np.random.Generator, A: pd.DataFrame) -> None:
    """Exactly N_WHITE_BUSINESS businesses among the white spots, ~7 % elsewhere; main streets preferred."""
    w = np.where(A.role.isin(["spine", "grid"]), 3.0, 1.0)
    wi = np.flatnonzero(A.white.values)
    pw = w[wi] / w[wi].sum()
    bw = rng.choice(wi, size=N_WHITE_BUSINESS, replace=False, p=pw)
    ci = np.flatnonzero(~A.white.values)
    pc = w[ci] / w[ci].sum()
    bc = rng.choice(ci, size=int(0.07 * len(ci)), replace=False, p=pc)
    isb = np.zeros(len(A), bool)
    isb[bw] = True
    isb[bc] = True
    A["is_business"] = isb


def _barriers(rng: np.random.Generator, A: pd.DataFrame, H: pd.DataFrame, summer: pd.Series,
              noalt_houses: pd.Series) -> None:
    """Investment barriers: summer houses, 150 empty plots, 22 points with another PRG status."""
    A["use"] = np.where(A.kind == "farm", "farm", np.where(A.is_business, "commercial", "residential"))
    A.loc[summer, "use"] = "summer_house"
    A["status"] = "istniejacy"
    all_xy = H[["x", "y"]].to_numpy()
    kd = cKDTree(all_xy)
    d2, _ = kd.query(A[["x", "y"]].to_numpy(), k=2)
    isolated = d2[:, 1] > 45.0
    cand = np.flatnonzero(A.white.values & ~summer.values & isolated & ~A.is_business.values & (A.kind == "plot").values
                          & ~noalt_houses.values & ~A.simc.isin([SEROCK_TOWN_SIMC]).values)
    empty = rng.choice(cand, size=min(150, cand.size), replace=False)
    A["has_building"] = True
    A.iloc[empty, A.columns.get_loc("has_building")] = False
    rest_white = np.setdiff1d(np.flatnonzero(A.white.values & ~summer.values & ~noalt_houses.values), empty)
    stat = rng.choice(rest_white, size=22, replace=False)
    A.iloc[stat[:12], A.columns.get_loc("status")] = "wTrakcieBudowy"
    A.iloc[stat[12:], A.columns.get_loc("status")] = "prognozowany"
    A.iloc[stat[12:], A.columns.get_loc("has_building")] = False
    nonwhite_stat = rng.choice(np.flatnonzero(~A.white.values), size=5, replace=False)
    A.iloc[nonwhite_stat, A.columns.get_loc("status")] = "wTrakcieBudowy"


def _network(rng: np.random.Generator, simc: pd.DataFrame, nets: dict[str, LocalNet],
             pos: dict[str, np.ndarray]) -> tuple[Network, int]:
    """The assembled network with its inter-village roads; also the number of links."""
    net = assemble(nets, pos, simc.simc)
    commune = {s: ("W" if t == TERC_WIELISZEW else "S") for s, t in zip(simc.simc, simc.terc)}
    links = plan_links(list(simc.simc), commune, pos, net.streets, net.houses, net.node_xy, net.node_simc,
                       net.public_mask(), hubs=(SEROCK_TOWN_SIMC, WIELISZEW_SIMC),
                       secondary=((SEROCK_TOWN_SIMC, WIELISZEW_SIMC),))
    for a, b, hw, step, way in links:
        # telecom poles: along every county road, along some local roads, none along the regional road
        net.add_link(a, b, hw, step, hw == "tertiary" or (hw == "unclassified" and bool(rng.random() < 0.5)), way)
    promote_main_streets(net, links)
    return net, len(links)


def build_demo_area(seed: int = SEED) -> DemoArea:
    """Generate every layer of the demo area in memory.

    Parameters
    ----------
    seed
        Seed of the single random generator everything derives from.

    Returns
    -------
    DemoArea
        ``layers`` (schema layer name -> GeoDataFrame in EPSG:2180), ``metadata``
        (key/value table), ``official_list`` and ``facts`` (figures and planted
        cases for the README and the tests).
    """
    rng = np.random.default_rng(seed)
    simc, ulic = read_simc_ulic()
    loc_rows = simc.set_index("simc")

    # ---- 1. local layouts, 2. the network ----------------------------------
    nets = _layouts(rng, simc, ulic, loc_rows)
    radius = {s: layout_radius(n.xy, [(h.x, h.y) for h in n.houses]) for s, n in nets.items()}
    pos = _place_localities(rng, simc, radius)
    net, n_links = _network(rng, simc, nets, pos)

    # ---- 3. addresses (before white selection), new buildings ----------------
    H = house_table(net, loc_rows.terc, rng)
    # more new buildings than barrier points, so every barrier place can be refilled
    pick_new_buildings(H, rng, N_NEW_BUILDINGS, H.simc_terc != TERC_SEROCK_TOWN)

    # ---- 4. consents on private tracks ---------------------------------------
    consent, refused_alt, refused_noalt = assign_consents(net, H, rng)

    # ---- 5. white selection, 6. businesses and barriers ---------------------
    A = H[~H.is_new].copy()
    A["locality"] = A.simc.map(loc_rows.locality)
    summer_units = []
    for ln in SUMMER_LOCALITIES:
        units = A[(A.locality == ln) & A.role.isin(["branch", "side"])].unit.unique()
        summer_units += sorted(units)[:3]
    noalt_houses = A.track.isin(refused_noalt)
    _select_white(rng, A, summer_units, noalt_houses)
    _businesses(rng, A)
    _barriers(rng, A, H, A.unit.isin(summer_units), noalt_houses)

    # ---- 7. layers -----------------------------------------------------------
    A = A.sort_values("id").reset_index(drop=True)
    terc_of = A.simc.map(loc_rows.terc)
    addresses = addresses_layer(A, terc_of, _POSTCODES, CRS)
    buildings = buildings_layer(A, H[H.is_new], CRS)
    check_empty_plots(addresses, ~A.has_building.values & (A.status.values == "istniejacy"), buildings)
    unit_cat = unit_categories(A, rng, forced=FORCED_CATS, black_simcs=frozenset({SEROCK_TOWN_SIMC}))
    coverage = coverage_layer(A, terc_of, unit_cat, rng, CRS)
    roads, R, S = finish_roads(net, CRS)
    poles = poles_layer(net, rng, CRS)
    # ducts: ul. Norwida in Serock and one new street in Wieliszew
    norw = next(k for k, st in enumerate(net.streets) if st["simc"] == SEROCK_TOWN_SIMC and "Norwida" in st["name"])
    wiel = [k for k, st in enumerate(net.streets) if st["simc"] == WIELISZEW_SIMC and st["role"] == "branch"]
    second = wiel[int(rng.integers(len(wiel)))]
    ducts = ducts_layer(net, [("d0001", "Gmina Serock", 2, norw), ("d0002", "Gmina Wieliszew", 1, second)], CRS)
    egib = {s: EGIB_UNIT[t] for s, t in zip(simc.simc, simc.terc)}
    obreb = {s: k + 1 for k, s in enumerate(simc.simc)}
    parcels = parcels_layer(net, roads, consent, egib, obreb, CRS)
    # one OLT per commune: Serock centre and a node of the Wieliszew main street
    if np.min(np.linalg.norm(net.node_xy - POP_WIELISZEW_XY, axis=1)) > 0.01:
        raise RuntimeError("POP-WIELISZEW-1 is not on a road node")
    pops = pops_layer([("POP-SEROCK-1", "POP Serock (centrala)", tuple(POP_XY)),
                       ("POP-WIELISZEW-1", "POP Wieliszew", tuple(POP_WIELISZEW_XY))], CRS)
    localities = localities_layer(net, H, simc, CRS)
    new_buildings = new_buildings_layer(H, loc_rows, CRS)

    # ---- 8. as-built (progress by March 2025) --------------------------------
    as_built, ab_facts = as_built_layer(rng, roads, R, S, net.node_xy, net.node_simc, addresses, A, loc_rows, ducts)

    layers = {"addresses": addresses, "buildings": buildings, "coverage": coverage, "poles": poles, "ducts": ducts,
              "roads": roads, "parcels": parcels, "pops": pops, "localities": localities,
              "new_buildings": new_buildings, "as_built": as_built}
    allb = np.array([g.total_bounds for g in layers.values() if len(g)])
    bounds = (math.floor(allb[:, 0].min() / 1000 - 1) * 1000.0, math.floor(allb[:, 1].min() / 1000 - 1) * 1000.0,
              math.ceil(allb[:, 2].max() / 1000 + 1) * 1000.0, math.ceil(allb[:, 3].max() / 1000 + 1) * 1000.0)
    metadata = pd.DataFrame({"key": ["name", "bounds", "crs", "seed", "generator"],
                             "value": ["serock_wieliszew", ",".join(f"{b:.0f}" for b in bounds), CRS, str(seed),
                                       "scripts/make_demo_area.py"]})

    # ---- 9. official list with planted differences ---------------------------
    official, planted = official_list(rng, addresses, A)

    noalt_pts = addresses.geometry[addresses.id.isin(A.loc[A.track.isin(refused_noalt), "id"])]
    pub_union = shapely.union_all(roads.geometry.values[~roads.private.to_numpy()])
    noalt_d = shapely.distance(noalt_pts.values, pub_union)
    facts = dict(bounds=bounds, noalt_min_public_m=float(noalt_d.min()), noalt_max_public_m=float(noalt_d.max()),
                 planted=planted, refused_noalt=sorted(A.loc[A.track.isin(refused_noalt), "id"].tolist()),
                 refused_alt_tracks=len(refused_alt), consent_counts=parcels.consent.value_counts().to_dict(),
                 summer_units=summer_units, n_summer_white=int((A.white & (A.use == "summer_house")).sum()),
                 n_empty=int((~A.has_building & (A.status == "istniejacy")).sum()),
                 n_barriers=int((A.white & (~A.has_building | (A.use == "summer_house")
                                            | (A.status != "istniejacy"))).sum()),
                 second_duct=net.streets[second]["name"], n_links=n_links,
                 road=road_stats(roads, R, net.node_xy, addresses, pops), **ab_facts)
    return DemoArea(layers=layers, metadata=metadata, official_list=official, facts=facts)
