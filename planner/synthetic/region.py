"""A synthetic region of N communes, with the demo area's geometry rules.

Each commune is a real commune of the GUS TERC file (code and name, in code
order from a voivodeship on) placed on a 12 km grid in EPSG:2180; its
localities carry real locality and street names (SIMC/ULIC rows of
``data/teryt``) under synthetic SIMC codes ``9CCCCKK`` (commune ``CCCC``,
locality ``KK``; real SIMC codes stay below 2,000,000).  The localities are
street villages laid out by :func:`planner.synthetic.layout.layout_village`,
linked by :func:`planner.synthetic.links.plan_links` and given addresses,
buildings, coverage, poles, ducts, parcels and one POP on the seat's main
street by the same modules as the demo area.

Every commune draws from its own generator seeded with ``(seed, index)``, so a
commune is the same whatever ``N`` is, and communes can be generated in any
order or in parallel.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner.area import empty_layer
from planner.synthetic.addresses import addresses_layer, house_table, new_buildings_layer, pick_new_buildings
from planner.synthetic.buildings import buildings_layer
from planner.synthetic.calibration import CRS
from planner.synthetic.coverage import coverage_layer, unit_categories
from planner.synthetic.infrastructure import ducts_layer, poles_layer, pops_layer
from planner.synthetic.layout import LocalNet, layout_village
from planner.synthetic.links import plan_links
from planner.synthetic.localities import layout_radius, localities_layer, place_around
from planner.synthetic.network import assemble, finish_roads, promote_main_streets
from planner.synthetic.parcels import assign_consents, parcels_layer
from planner.synthetic.teryt import Commune, read_communes, read_simc_ulic

__all__ = ["RegionSpec", "RegionCommune", "region_communes", "build_commune", "iter_region", "REGION_SEED"]

#: Default seed of a synthetic region.
REGION_SEED = 20250725
#: Distance between commune seats, metres (a Polish commune averages ~125 km²). [A]
GRID_M = 12_000.0
#: South-west corner of the grid (EPSG:2180), inside Poland for up to 50 x 50 communes.
ORIGIN = (200_000.0, 150_000.0)


@dataclass(frozen=True)
class RegionSpec:
    """Size and make-up of the communes of a region.

    Attributes
    ----------
    villages
        ``(min, max)`` localities per commune.
    max_streets
        Street names kept per locality (a random subset of the real ones).
    p_white_seat, p_white_village
        Share of units (streets) that are white spots in the seat / other villages.
    p_business
        Share of address points that are businesses.
    p_new
        New buildings per address point.
    """

    villages: tuple[int, int] = (3, 5)
    max_streets: int = 6
    p_white_seat: float = 0.3
    p_white_village: float = 0.75
    p_business: float = 0.05
    p_new: float = 0.03


@dataclass
class RegionCommune:
    """One generated commune.

    Attributes
    ----------
    commune
        TERC code, name and kind.
    index
        Position in the region (grid cell and seed).
    layers
        Schema layer -> GeoDataFrame (EPSG:2180).
    boundary
        Commune polygon: hull of its localities grown by 1 km.
    bounds
        Study-area bounds (layers' extent grown by 1 km, rounded to km).
    """

    commune: Commune
    index: int
    layers: dict[str, gpd.GeoDataFrame]
    boundary: shapely.Polygon
    bounds: tuple[float, float, float, float] = field(default=(0.0, 0.0, 0.0, 0.0))


def region_communes(n: int, voivodeship: str = "14") -> list[Commune]:
    """The first ``n`` communes in TERC order from voivodeship ``voivodeship`` on.

    Raises
    ------
    ValueError
        ``n`` exceeds the communes from that voivodeship to the end of the list.
    """
    allc = read_communes()
    start = next((k for k, c in enumerate(allc) if c.terc.startswith(voivodeship)), None)
    if start is None:
        raise ValueError(f"no voivodeship {voivodeship!r} in the TERC file")
    chosen = allc[start:start + n]
    if len(chosen) < n:
        raise ValueError(f"only {len(chosen)} communes from voivodeship {voivodeship} on; asked for {n}")
    return chosen


def _address_terc(commune: Commune, seat: bool) -> str:
    """TERC of an address: urban-rural communes split into town (4) and rural area (5)."""
    if commune.kind == 3:
        return commune.terc[:6] + ("4" if seat else "5")
    return commune.terc


def _localities(rng: np.random.Generator, index: int, commune: Commune, simc: pd.DataFrame, ulic: pd.DataFrame,
                spec: RegionSpec) -> tuple[pd.DataFrame, dict[str, list[tuple[str, str]]]]:
    """The commune's localities (synthetic SIMC, real names) and their streets (real names and ULIC)."""
    villages = simc[simc.rm.astype(int) == 1].reset_index(drop=True)
    k = int(rng.integers(spec.villages[0], spec.villages[1] + 1))
    pick = sorted(rng.choice(len(villages), size=min(k, len(villages)), replace=False).tolist())
    rows, streets = [], {}
    for j, i in enumerate(pick):
        v = villages.iloc[i]
        code = f"9{index:04d}{j:02d}"
        st = ulic[ulic.simc == v.simc]
        if len(st) > spec.max_streets:
            st = st.iloc[sorted(rng.choice(len(st), size=spec.max_streets, replace=False).tolist())]
        streets[code] = [(r.name, r.ulic) for r in st.itertuples()]
        rows.append((_address_terc(commune, j == 0), commune.name, code, v.locality, "1", code))
    loc = pd.DataFrame(rows, columns=["terc", "commune", "simc", "locality", "rm", "sympod"])
    return loc, streets


def build_commune(commune: Commune, index: int, seed: int = REGION_SEED, spec: RegionSpec | None = None
                  ) -> RegionCommune:
    """Generate every layer of one commune of a region.

    Parameters
    ----------
    commune
        The commune (TERC code and name).
    index
        Its position in the region: grid cell and generator seed ``(seed, index)``.
    seed
        Seed of the region.
    spec
        Size and make-up; default :class:`RegionSpec`.

    Returns
    -------
    RegionCommune
    """
    spec = spec or RegionSpec()
    rng = np.random.default_rng([seed, index])
    simc_all, ulic_all = read_simc_ulic()
    loc, streets = _localities(rng, index, commune, simc_all, ulic_all, spec)
    loc_rows = loc.set_index("simc")
    seat = str(loc.simc.iloc[0])
    nets: dict[str, LocalNet] = {}
    for s in loc.simc:
        farms = int(rng.integers(1, 4))
        n_private = int(rng.integers(0, 2))
        nets[s] = layout_village(rng, streets[s], str(loc_rows.loc[s, "locality"]), 1, n_private, farms)
    radius = {s: layout_radius(n.xy, [(h.x, h.y) for h in n.houses]) for s, n in nets.items()}
    cols = 50
    centre = np.array([ORIGIN[0] + GRID_M * (index % cols), ORIGIN[1] + GRID_M * (index // cols)])
    others = sorted((s for s in loc.simc if s != seat), key=lambda s: (-radius[s], s))
    pos = place_around(rng, centre, others, radius, {seat: centre}, extent_m=5_000.0)
    net = assemble(nets, pos, loc.simc)
    links = plan_links(list(loc.simc), dict.fromkeys(loc.simc, commune.terc), pos, net.streets, net.houses,
                       net.node_xy, net.node_simc, net.public_mask(), hubs=(seat,))
    for a, b, hw, step, way in links:
        net.add_link(a, b, hw, step, hw == "tertiary" or bool(rng.random() < 0.5), way)
    promote_main_streets(net, links)

    H = house_table(net, loc_rows.terc, rng)
    pick_new_buildings(H, rng, int(round(spec.p_new * len(H))), pd.Series(True, index=H.index))
    consent, _, refused_noalt = assign_consents(net, H, rng, n_refused_alt=1, n_refused_noalt=1)
    A = H[~H.is_new].copy()
    A["locality"] = A.simc.map(loc_rows.locality)
    A["forced"] = ""
    units = sorted(A.unit.unique())
    p_unit = {u: spec.p_white_seat if u.startswith(seat + "/") else spec.p_white_village for u in units}
    white_units = {u for u, x in zip(units, rng.random(len(units))) if x < p_unit[u]}
    A["white"] = A.unit.isin(white_units) | A.track.isin(refused_noalt)
    A["is_business"] = rng.random(len(A)) < spec.p_business
    A["use"] = np.where(A.kind == "farm", "farm", np.where(A.is_business, "commercial", "residential"))
    A["status"] = "istniejacy"
    d2, _ = cKDTree(H[["x", "y"]].to_numpy()).query(A[["x", "y"]].to_numpy(), k=2)
    cand = np.flatnonzero(A.white.to_numpy() & (A.kind == "plot").to_numpy() & (d2[:, 1] > 45.0)
                          & ~A.is_business.to_numpy())
    A["has_building"] = True
    empty: np.ndarray | list[int] = (rng.choice(cand, size=min(cand.size, max(1, len(A) // 80)), replace=False)
                                     if cand.size else [])
    A.iloc[empty, A.columns.get_loc("has_building")] = False
    A = A.sort_values("id").reset_index(drop=True)
    terc_of = A.simc.map(loc_rows.terc)

    addresses = addresses_layer(A, terc_of, {}, CRS)
    addresses["postcode"] = ""
    unit_cat = unit_categories(A, rng)
    roads, _, _ = finish_roads(net, CRS)
    seat_spine = next(k for k, st in enumerate(net.streets) if st["simc"] == seat and st["role"] == "spine")
    spine_nodes = net.streets[seat_spine]["nodes"]
    pop_x, pop_y = (float(v) for v in net.node_xy[spine_nodes[len(spine_nodes) // 2]].round(2))
    pop_xy = (pop_x, pop_y)
    branches = [k for k, st in enumerate(net.streets) if st["simc"] == seat and st["role"] == "branch"]
    duct = [(f"d{commune.terc}", f"Gmina {commune.name}", 2, branches[int(rng.integers(len(branches)))])] \
        if branches and rng.random() < 0.5 else []
    layers = {
        "addresses": addresses,
        "buildings": buildings_layer(A, H[H.is_new], CRS),
        "coverage": coverage_layer(A, terc_of, unit_cat, rng, CRS),
        "poles": poles_layer(net, rng, CRS),
        "ducts": ducts_layer(net, duct, CRS) if duct else empty_layer("ducts", CRS),
        "roads": roads,
        "parcels": parcels_layer(net, roads, consent, {s: f"{t[:6]}_{t[6]}" for s, t in zip(loc.simc, loc.terc)},
                                 {s: k + 1 for k, s in enumerate(loc.simc)}, CRS),
        "pops": pops_layer([(f"POP-{commune.terc}-1", f"POP {commune.name}", pop_xy)], CRS),
        "localities": localities_layer(net, H, loc, CRS),
        "new_buildings": new_buildings_layer(H, loc_rows, CRS),
        "as_built": empty_layer("as_built", CRS),
    }
    boundary = shapely.convex_hull(shapely.union_all(layers["localities"].geometry.values)).buffer(1000.0)
    b = boundary.bounds
    bounds = (math.floor(b[0] / 1000) * 1000.0, math.floor(b[1] / 1000) * 1000.0,
              math.ceil(b[2] / 1000) * 1000.0, math.ceil(b[3] / 1000) * 1000.0)
    return RegionCommune(commune=commune, index=index, layers=layers, boundary=shapely.set_precision(boundary, 0.01),
                         bounds=bounds)


def iter_region(n: int, seed: int = REGION_SEED, *, voivodeship: str = "14", spec: RegionSpec | None = None
                ) -> Iterator[RegionCommune]:
    """Generate the communes of a region one at a time (constant memory).

    Parameters
    ----------
    n
        Number of communes.
    seed
        Seed of the region.
    voivodeship
        Two-digit code of the voivodeship the communes are taken from (in TERC order, on into the next ones).
    spec
        Size and make-up of the communes.

    Yields
    ------
    RegionCommune
    """
    for i, c in enumerate(region_communes(n, voivodeship)):
        yield build_commune(c, i, seed, spec)
