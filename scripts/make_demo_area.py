"""Generate the embedded demo area: synthetic Serock + Wieliszew (Legionowo county).

Writes ``data/demo/serock_wieliszew.gpkg`` (every layer of :mod:`planner.schema`
plus a non-spatial ``metadata`` table), ``data/demo/official_white_spots.csv``
(the "official" white-spot list with planted differences) and
``data/demo/README.md``.

The geometry is synthetic.  Locality and street names and TERYT codes are real
(``data/teryt``).  Volumes are calibrated to the public figures of the 2025
Serock/Wieliszew FERC rollout: 7,614 white-spot address points, 438 of them
businesses, about 2/3 in Serock; ~59 km built by March 2025, ~17 km of it
underground, ~26 % of the Serock points done.

The output is deterministic: everything derives from one seeded
``numpy.random.default_rng``; running the script twice gives identical layer
contents (the GeoPackage bytes differ only by its timestamps).

Usage::

    python scripts/make_demo_area.py [--out-dir data/demo] [--seed 20250324]
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import substring

from planner.area import empty_layer

logger = logging.getLogger("make_demo_area")

REPO = Path(__file__).resolve().parent.parent
TERYT_DIR = REPO / "data" / "teryt"
CRS = "EPSG:2180"
SEED = 20250324

# --- calibration (public figures of the Serock/Wieliszew FERC rollout) -------
N_WHITE = 7_614
N_WHITE_BUSINESS = 438
N_WHITE_SEROCK = 5_076  # 2/3 of 7,614
N_WHITE_WIELISZEW = N_WHITE - N_WHITE_SEROCK
AS_BUILT_KM = 59.0
AS_BUILT_UNDERGROUND_KM = 17.0
AS_BUILT_SEROCK_SHARE = 0.26
N_NEW_BUILDINGS = 330  # > the ~257 barrier points, so the reallocation can refill every one [A]

SEROCK_CENTRE = np.array([640_340.0, 518_062.0])
WIELISZEW_CENTRE = np.array([633_147.0, 511_441.0])
POP_XY = SEROCK_CENTRE + np.array([14.0, 11.0])

TERC_SEROCK_TOWN, TERC_SEROCK_RURAL, TERC_WIELISZEW = "1408044", "1408045", "1408052"
SEROCK_TOWN_SIMC = "0921645"
POSTCODES = {TERC_SEROCK_TOWN: "05-140", TERC_SEROCK_RURAL: "05-140", TERC_WIELISZEW: "05-135"}
EGIB_UNIT = {TERC_SEROCK_TOWN: "140804_4", TERC_SEROCK_RURAL: "140804_5", TERC_WIELISZEW: "140805_2"}

STASI_LAS = "Stasi Las"
STASI_LAS_WHITE = ("Jutrzenki", "Księżycowa", "Pałacowa", "Pogodna", "Prosta", "Radosna", "Tęczowa",
                   "Warszawska", "Helenki")
MILESTONE_VILLAGES = ("Zarzecze", "Dębinki", "Wola Kiełpińska", "Wola Smolana", "Szadki",
                      "Ludwinowo Dębskie", "Guty", "Bolesławowo", "Marynino", "Karolino")
M1_VILLAGES = ("Dębinki", "Wola Kiełpińska", "Wola Smolana", "Szadki")
SUMMER_LOCALITIES = ("Jachranka", "Zegrze", "Wierzbica")  # on the Zegrze reservoir shore
NO_HOUSE_PREFIXES = ("Rondo", "Most", "Skwer", "Bulwar")
SPINE_PREFERENCE = ("Warszawska", "Główna", "Zegrzyńska", "Pułtuska", "Nasielska", "Jana Pawła II",
                    "Modlińska", "Legionowska", "Kolejowa")
SECOND_DUCT_LOCALITY = "Wieliszew"
WIELISZEW_SIMC = "0008639"
POP_WIELISZEW_XY = WIELISZEW_CENTRE.copy()  # a node of the Wieliszew main street
# inter-village road network
_MAIN_ROLES = ("spine", "grid", "perimeter")  # streets a through road may join
RADIAL_M = 5_500.0  # radial roads from Serock town / Wieliszew to localities this near (centre to centre)
LINK_KNN = 2  # each locality linked to its nearest neighbours ...
KNN_MAX_M = 5_000.0  # ... up to this distance
SPANNER_MAX_M = 9_000.0  # locality pairs this near whose road distance exceeds SPANNER_STRETCH x
SPANNER_STRETCH = 1.25  # ... the straight line get a direct road (greedy spanner) [A]
GATE_M = 100.0  # a link leaves a village continuing its main street this far

# Operators (invented names) and their offers: (operator, medium, technology, down, up, status, year)
OFFERS: dict[str, list[tuple]] = {
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
WHITE_CATS = ("none", "vdsl30", "adsl", "ftth2027", "lte_only")
WHITE_P = (0.45, 0.2, 0.15, 0.1, 0.1)
COVERED_CATS = ("grey_gpon", "grey_docsis", "grey_vdsl100", "planned2025", "black")
COVERED_P = (0.35, 0.2, 0.1, 0.2, 0.15)
EXTRA_LTE = ("RadioLink", "radio", "LTE", 150.0, 50.0, "existing", None)
FORCED_CATS = {  # (locality, street) -> category, hand-checkable cases (README)
    (STASI_LAS, "Jutrzenki"): "vdsl30", (STASI_LAS, "Księżycowa"): "adsl",
    (STASI_LAS, "Pałacowa"): "ftth2027", (STASI_LAS, "Pogodna"): "lte_only",
    (STASI_LAS, "Prosta"): "none", (STASI_LAS, "Główna"): "black",
    (STASI_LAS, "Słoneczna"): "planned2025", (STASI_LAS, "Cicha"): "grey_docsis",
    (STASI_LAS, "Długa"): "grey_gpon", (STASI_LAS, "Nasielska"): "grey_vdsl100",
}


# =============================================================================
# Local layout of one locality
# =============================================================================

@dataclass
class _Street:
    name: str           # road name ('' for unnamed links/tracks)
    street: str         # address street ('' where addresses have none)
    ulic: str
    role: str           # spine, branch, grid, culdesac, perimeter, side, farm_track, private_track, alt_track, link
    nodes: list[int]
    highway: str = "residential"
    lit: bool = False
    surface: str = "paved"
    private: bool = False
    houses: bool = True
    spacing: tuple[float, float] = (30.0, 45.0)
    offset: tuple[float, float] = (15.0, 22.0)
    telecom: bool = False


@dataclass
class _House:
    x: float
    y: float
    street: int         # index into streets (address street)
    s: float            # arc position along that street (ordering)
    side: int
    kind: str = "house"  # house, farm, remote
    angle: float = 0.0
    track: int = -1     # private track index (remote houses)


@dataclass
class _Net:
    xy: list[tuple[float, float]] = field(default_factory=list)
    streets: list[_Street] = field(default_factory=list)
    houses: list[_House] = field(default_factory=list)
    alt: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # track street -> alt path pts

    def node(self, x: float, y: float) -> int:
        self.xy.append((float(x), float(y)))
        return len(self.xy) - 1

    def chain(self, pts: np.ndarray, start: int | None = None) -> list[int]:
        ids = [start] if start is not None else [self.node(*pts[0])]
        ids += [self.node(*p) for p in pts[1:]]
        return ids

    def line(self, i: int) -> LineString:
        return LineString([self.xy[n] for n in self.streets[i].nodes])

    def lines(self) -> list[LineString]:
        return [self.line(i) for i in range(len(self.streets))]


def _walk(rng: np.random.Generator, start, angle: float, length: float, step: float, wiggle: float) -> np.ndarray:
    """Points from ``start`` along ``angle`` with a gentle random bend."""
    n = max(1, int(round(length / step)))
    pts = [np.asarray(start, float)]
    a = angle
    for _ in range(n):
        a += rng.normal(0.0, wiggle)
        pts.append(pts[-1] + step * np.array([math.cos(a), math.sin(a)]))
    return np.array(pts)


def _free(line: LineString, others: list[LineString], clearance: float, skip: float) -> bool:
    """True if ``line`` (after its first ``skip`` metres) keeps ``clearance`` from ``others``."""
    if line.length <= skip + 1:
        return True
    part = substring(line, skip, line.length).buffer(clearance)
    return not any(part.intersects(o) for o in others)


def _tangent_angle(net: _Net, street: _Street, k: int) -> float:
    a = np.array(net.xy[street.nodes[max(k - 1, 0)]])
    b = np.array(net.xy[street.nodes[min(k + 1, len(street.nodes) - 1)]])
    d = b - a
    return math.atan2(d[1], d[0])


def _add_branch(rng, net: _Net, parents: list[int], props: dict, length: tuple[float, float],
                step: float, clearance: float = 30.0, tries: int = 40, at_end: bool = False) -> int | None:
    """Attach a street to a node of one of ``parents``; None if no room.

    Side streets leave perpendicular from an inner node; with ``at_end`` the new
    street continues outwards from an end node (farm tracks, private roads).
    """
    lines = net.lines()
    for t in range(tries):
        pi = parents[int(rng.integers(len(parents)))]
        par = net.streets[pi]
        if len(par.nodes) < 3:
            continue
        if at_end:
            first = par.role == "spine" and rng.random() < 0.5
            k = 0 if first else len(par.nodes) - 1
            ang = _tangent_angle(net, par, k) + (math.pi if first else 0.0) + rng.normal(0, 0.7)
        else:
            k = int(rng.integers(1, len(par.nodes) - 1)) if t % 5 else len(par.nodes) - 1
            side = 1 if rng.random() < 0.5 else -1
            ang = _tangent_angle(net, par, k) + side * math.pi / 2 + rng.normal(0, 0.12)
        ln = rng.uniform(*length) * (0.6 if t > tries // 2 and not at_end else 1.0)
        pts = _walk(rng, net.xy[par.nodes[k]], ang, ln, step, 0.04)
        cand = LineString(pts)
        if not _free(cand, lines, clearance, clearance + 20.0):
            continue
        net.streets.append(_Street(nodes=net.chain(pts, par.nodes[k]), **props))
        return len(net.streets) - 1
    return None


def _place_houses(rng, net: _Net, plots: bool = False) -> None:
    """Houses along every street with houses, both sides, away from junctions.

    With ``plots``, about 3 % of the slots are deep plots set 40 m back with
    45 m gaps on both sides: candidates for empty plots (no building within 30 m).
    """
    node_use: dict[int, int] = {}
    for st in net.streets:
        for n in st.nodes:
            node_use[n] = node_use.get(n, 0) + 1
    for si, st in enumerate(net.streets):
        if not st.houses:
            continue
        line = net.line(si)
        L = line.length
        junc = [line.project(Point(net.xy[n])) for n in st.nodes if node_use[n] > 1]
        for side in (1, -1):
            s = rng.uniform(18.0, 18.0 + st.spacing[0])
            while s < L - 12.0:
                deep = (plots and rng.random() < 0.035 and s + 60.0 < L - 12.0
                        and all(abs(s + 45.0 - j) > 60.0 for j in junc))
                if deep:
                    s += 45.0
                if deep or all(abs(s - j) > 20.0 for j in junc):
                    p0 = np.array(line.interpolate(max(s - 1, 0)).coords[0])
                    p1 = np.array(line.interpolate(min(s + 1, L)).coords[0])
                    d = p1 - p0
                    d /= np.linalg.norm(d)
                    nrm = np.array([-d[1], d[0]])
                    off = 40.0 if deep else rng.uniform(*st.offset)
                    p = np.array(line.interpolate(s).coords[0]) + side * off * nrm
                    net.houses.append(_House(p[0], p[1], si, s, side, kind="plot" if deep else "house",
                                             angle=math.atan2(d[1], d[0])))
                s += 45.0 if deep else rng.uniform(*st.spacing)


def _filter_houses(net: _Net) -> None:
    """Drop houses too close to another street or to another house."""
    if not net.houses:
        return
    lines = np.array(net.lines(), dtype=object)
    pts = shapely.points([(h.x, h.y) for h in net.houses])
    tree = shapely.STRtree(lines)
    hi, li = tree.query(pts, predicate="dwithin", distance=10.0)
    bad = set()
    for h, l in zip(hi.tolist(), li.tolist()):
        own = net.houses[h].street
        trk = net.houses[h].track
        if l != own and l != trk:
            bad.add(h)
    keep = [h for i, h in enumerate(net.houses) if i not in bad]
    xy = np.array([(h.x, h.y) for h in keep])
    kd = cKDTree(xy)
    drop = set()
    for i, j in sorted(kd.query_pairs(11.0)):
        if i not in drop and j not in drop:
            drop.add(j)
    net.houses = [h for i, h in enumerate(keep) if i not in drop]


def _layout_town(rng, streets: list[tuple[str, str]]) -> _Net:
    """Serock town: a grid core with cul-de-sacs and streets leading out of it."""
    net = _Net()
    names = list(streets)
    rng.shuffle(names)
    koch = next(s for s in names if "Kochanowskiego" in s[0])
    tuw = next(s for s in names if "Tuwima" in s[0])
    norw = next(s for s in names if "Norwida" in s[0])
    nohouse = [s for s in names if s[0].startswith(NO_HOUSE_PREFIXES)]
    rest = [s for s in names if s not in (koch, tuw, norw) and s not in nohouse]
    coords = np.arange(-600, 801, 200)
    lattice: dict[tuple[int, int], int] = {}
    rot = math.radians(8.0)
    c, s_ = math.cos(rot), math.sin(rot)

    def nid(ix: int, iy: int) -> int:
        if (ix, iy) not in lattice:
            lattice[(ix, iy)] = net.node(ix * c - iy * s_, ix * s_ + iy * c)
        return lattice[(ix, iy)]

    grid_names = rest[:3] + [koch] + rest[3:15]  # Kochanowskiego: the N-S line through the centre (x = 0)
    rest = rest[15:]
    gi = 0
    for orient in ("ns", "ew"):
        for k in coords:
            along = range(-600, 801, 50)
            nodes = [nid(int(k), a) if orient == "ns" else nid(a, int(k)) for a in along]
            nm = grid_names[gi]
            gi += 1
            net.streets.append(_Street(nm[0], nm[0], nm[1], "grid", nodes, "residential", True, "paved",
                                       spacing=(22.0, 32.0), offset=(11.0, 15.0)))
    cul = [tuw] + nohouse + rest
    ci = 0
    for bx in coords[:-1]:
        for by in coords[:-1]:
            for base, sign in ((by, 1), (by + 200, -1)):
                if ci >= len(cul) - 33:
                    break
                nm = cul[ci]
                ci += 1
                x = int(bx + 100)
                pts = [net.xy[nid(x, int(base))]]
                for d in (35, 70):
                    yy = base + sign * d
                    pts.append((x * c - yy * s_, x * s_ + yy * c))
                nodes = net.chain(np.array(pts), nid(x, int(base)))
                has = nm not in [tuw] + nohouse
                net.streets.append(_Street(nm[0], nm[0], nm[1], "culdesac", nodes, "residential", True, "paved",
                                           houses=has, spacing=(18.0, 26.0), offset=(11.0, 13.0)))
    perim = [norw] + cul[ci:]
    slots = []
    for a in range(-500, 701, 100):
        slots += [(-600, a, math.pi), (800, a, 0.0), (a, -600, -math.pi / 2), (a, 800, math.pi / 2)]
    order = rng.permutation(len(slots))
    for nm, j in zip(perim, order):
        x, y, ang = slots[j]
        start = nid(int(x), int(y))
        pts = _walk(rng, net.xy[start], ang + rot, rng.uniform(180, 420), 50.0, 0.03)
        nodes = net.chain(pts, start)
        net.streets.append(_Street(nm[0], nm[0], nm[1], "perimeter", nodes, "residential",
                                   bool(rng.random() < 0.7), "paved", spacing=(24.0, 36.0), offset=(13.0, 16.0)))
    _place_houses(rng, net)
    _filter_houses(net)
    return net


def _layout_village(rng, streets: list[tuple[str, str]], locality: str, rm: int, n_private: int,
                    n_farms: int) -> _Net:
    """A street village: one or two main streets, side streets, farmsteads, private tracks."""
    net = _Net()
    names = list(streets)
    lit_village = bool(rng.random() < 0.75)
    telecom_village = bool(rng.random() < 0.5)
    angle = rng.uniform(0, math.pi)
    if names:
        names.sort(key=lambda s: (0 if any(p in s[0] for p in SPINE_PREFERENCE) else 1, rng.random()))
        n = len(names)
        spine_len = float(np.clip(500 + 55 * n, 600, 2300))
        spine = names[0]
        others = names[1:]
    else:
        n = 0
        spine_len = rng.uniform(900, 1500) if rm == 1 else rng.uniform(350, 650)
        spine = (locality, "")
        others = []
    step = 60.0
    half = _walk(rng, (0, 0), angle, spine_len / 2, step, 0.03)
    other_half = _walk(rng, (0, 0), angle + math.pi, spine_len / 2, step, 0.03)
    pts = np.vstack([other_half[::-1], half[1:]])
    sp_street = spine[0] if spine[1] else ""
    net.streets.append(_Street(spine[0], sp_street, spine[1], "spine", net.chain(pts), "unclassified",
                               lit_village, "paved", telecom=telecom_village and not lit_village,
                               spacing=(34.0, 60.0), offset=(15.0, 22.0)))
    spines = [0]
    if n > 8:
        nm = others.pop(0)
        mid = len(net.streets[0].nodes) // 2 + int(rng.integers(-2, 3))
        turn = 1 if rng.random() < 0.5 else -1
        ang2 = _tangent_angle(net, net.streets[0], mid) + turn * (math.pi / 2 + rng.normal(0, 0.2))
        p2 = _walk(rng, net.xy[net.streets[0].nodes[mid]], ang2, float(np.clip(300 + 30 * n, 500, 1500)), step, 0.03)
        net.streets.append(_Street(nm[0], nm[0], nm[1], "spine", net.chain(p2, net.streets[0].nodes[mid]),
                                   "unclassified", lit_village, "paved", spacing=(34.0, 58.0), offset=(15.0, 22.0)))
        spines.append(1)
    if not names:
        n_side = int(rng.integers(1, 4)) if rm == 1 else int(rng.integers(0, 2))
        others = [(locality, "")] * n_side
    for nm in others:
        props = dict(name=nm[0], street=nm[0] if nm[1] else "", ulic=nm[1], role="branch" if nm[1] else "side",
                     highway="residential", lit=bool(lit_village and rng.random() < 0.6),
                     surface="paved" if rng.random() < 0.6 else "unpaved",
                     houses=not nm[0].startswith(NO_HOUSE_PREFIXES), spacing=(32.0, 52.0), offset=(14.0, 20.0))
        parents = spines if len(net.streets) < 4 or rng.random() < 0.8 else list(range(len(net.streets)))
        for _ in range(6):
            if _add_branch(rng, net, parents, props, (150.0, 380.0), 60.0) is not None:
                break
            # no room: extend the first spine and retry
            sp = net.streets[0]
            a = _tangent_angle(net, sp, len(sp.nodes) - 1)
            ext = _walk(rng, net.xy[sp.nodes[-1]], a, 300.0, step, 0.02)
            sp.nodes += net.chain(ext, sp.nodes[-1])[1:]
        else:
            raise RuntimeError(f"no room for street {nm} in {locality}")
    _place_houses(rng, net, plots=True)
    # farmsteads: short public tracks off the main street
    for _ in range(n_farms):
        k0 = len(net.streets)
        props = dict(name="", street="", ulic="", role="farm_track", highway="track", lit=False,
                     surface="unpaved", houses=False)
        si = _add_branch(rng, net, list(range(len(net.streets))), props, (120.0, 280.0), 70.0,
                         clearance=45.0, tries=30, at_end=True)
        if si is None:
            continue
        tr = net.streets[si]
        end = np.array(net.xy[tr.nodes[-1]])
        a = _tangent_angle(net, tr, len(tr.nodes) - 1)
        p = end + 16.0 * np.array([-math.sin(a), math.cos(a)])
        net.houses.append(_House(p[0], p[1], 0, 1e6 + k0, 1, kind="farm", angle=a, track=si))
    # private internal roads (~500 m) to remote houses
    for _ in range(n_private):
        props = dict(name="", street="", ulic="", role="private_track", highway="service", lit=False,
                     surface="unpaved", private=True, houses=False)
        si = _add_branch(rng, net, list(range(len(net.streets))), props, (430.0, 620.0), 62.0,
                         clearance=60.0, tries=60, at_end=True)
        if si is None:
            continue
        tr = net.streets[si]
        end = np.array(net.xy[tr.nodes[-1]])
        a = _tangent_angle(net, tr, len(tr.nodes) - 1)
        for j in range(int(rng.integers(1, 4))):
            off = np.array([-math.sin(a), math.cos(a)]) * (15.0 if j % 2 == 0 else -15.0)
            p = end + off + (j // 2) * 28.0 * np.array([math.cos(a), math.sin(a)])
            net.houses.append(_House(p[0], p[1], 0, 2e6 + 10 * si + j, 1, kind="remote", angle=a, track=si))
        # candidate alternative public track from the far end to another node of the village
        tr_nodes = set(tr.nodes)
        endp = Point(end)
        others_ln = [net.line(i) for i in range(len(net.streets)) if i != si]
        cands = sorted(((endp.distance(Point(net.xy[nn])), nn) for st in net.streets if st is not tr
                        for nn in st.nodes if nn not in tr_nodes))
        start_xy = np.array(net.xy[tr.nodes[0]])
        for dist, nn in cands:
            if dist > 900:
                break
            if np.linalg.norm(np.array(net.xy[nn]) - start_xy) < 250:
                continue
            alt = LineString([tuple(end), net.xy[nn]])
            if alt.length < 60:
                continue
            core = substring(alt, 50.0, alt.length - 50.0) if alt.length > 110 else None
            clear_of_track = substring(alt, 20.0, alt.length).distance(net.line(si)) > 12.0
            if clear_of_track and (core is None or not any(core.buffer(25.0).intersects(o) for o in others_ln)):
                net.alt[si] = [tuple(end), net.xy[nn]]
                break
    _filter_houses(net)
    return net


# =============================================================================
# Whole area
# =============================================================================

@dataclass
class DemoArea:
    """Result of :func:`build_demo_area`."""

    layers: dict[str, gpd.GeoDataFrame]
    metadata: pd.DataFrame
    official_list: pd.DataFrame
    facts: dict


def _read_teryt() -> tuple[pd.DataFrame, pd.DataFrame]:
    simc = pd.read_csv(TERYT_DIR / "simc_serock_wieliszew.csv", dtype=str)
    simc.columns = ["terc", "commune", "simc", "locality", "rm", "sympod"]
    ulic = pd.read_csv(TERYT_DIR / "ulic_serock_wieliszew.csv", dtype=str)
    ulic.columns = ["simc", "ulic", "full"]
    ulic["name"] = ulic["full"].str.replace(r"^(ul\.|al\.)\s+", "", regex=True)
    return simc.sort_values("simc").reset_index(drop=True), ulic.sort_values(["simc", "ulic"]).reset_index(drop=True)


def _place_localities(rng, simc: pd.DataFrame, radius: dict[str, float]) -> dict[str, np.ndarray]:
    """Non-overlapping centres: Serock to the N/E of its town, Wieliszew to the S/W."""
    u = (SEROCK_CENTRE - WIELISZEW_CENTRE) / np.linalg.norm(SEROCK_CENTRE - WIELISZEW_CENTRE)
    gx, gy = np.meshgrid(np.arange(-14_000, 14_001, 200.0), np.arange(-14_000, 14_001, 200.0))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    pos: dict[str, np.ndarray] = {}
    by_simc = simc.set_index("simc")
    fixed = {SEROCK_TOWN_SIMC: SEROCK_CENTRE, "0008639": WIELISZEW_CENTRE}
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


def _node_crossings(R: pd.DataFrame, node_xy: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Split road edges that cross without a shared node (a few links over village roads)."""
    lines = shapely.linestrings(np.stack([node_xy[R.u], node_xy[R.v]], axis=1))
    i, j = shapely.STRtree(lines).query(lines, predicate="crosses")
    keep = i < j
    splits: dict[int, list[tuple[float, int]]] = {}
    new_xy = []
    for a, b in sorted(zip(i[keep].tolist(), j[keep].tolist())):
        p = shapely.intersection(lines[a], lines[b])
        if p.geom_type != "Point":
            continue
        # several roads crossing at one point (or at a vertex) share one node
        ends = [R.u.iat[a], R.v.iat[a], R.u.iat[b], R.v.iat[b]]
        same = [m for m in ends if math.dist(node_xy[m], (p.x, p.y)) < 0.05]
        same += [len(node_xy) + k for k, q in enumerate(new_xy) if math.dist(q, (p.x, p.y)) < 0.05]
        if same:
            n = int(same[0])
        else:
            n = len(node_xy) + len(new_xy)
            new_xy.append((p.x, p.y))
        for e in (a, b):
            splits.setdefault(e, []).append((shapely.line_locate_point(lines[e], p), n))
    if not splits:
        return R, node_xy
    rows = []
    for e, r in enumerate(R.itertuples(index=False)):
        chain = [r.u] + [n for _, n in sorted(splits.get(e, []))] + [r.v]
        chain = [n for k, n in enumerate(chain) if k == 0 or n != chain[k - 1]]
        rows += [(r.street, x, y) for x, y in zip(chain[:-1], chain[1:])]
    return pd.DataFrame(rows, columns=["street", "u", "v"]), np.vstack([node_xy, np.array(new_xy)])


def _bad_crossing(seg: LineString, others: list[LineString], min_angle_deg: float = 30.0) -> bool:
    """True if ``seg`` crosses one of ``others`` at a flat angle (a crossroads needs a clear angle)."""
    for o in others:
        if not seg.crosses(o):
            continue
        p = seg.intersection(o)
        if p.geom_type != "Point":
            return True
        dirs = []
        for ln in (seg, o):
            d = ln.project(p)
            a, b = ln.interpolate(max(d - 1.0, 0.0)), ln.interpolate(min(d + 1.0, ln.length))
            v = np.array([b.x - a.x, b.y - a.y])
            dirs.append(v / max(float(np.linalg.norm(v)), 1e-9))
        if abs(float(dirs[0] @ dirs[1])) > math.cos(math.radians(min_angle_deg)):
            return True
    return False


def _plan_links(simc: pd.DataFrame, pos: dict[str, np.ndarray], streets: list[dict], houses: list[dict],
                node_xy: np.ndarray, node_simc: np.ndarray,
                pub_mask: np.ndarray) -> list[tuple[int, int, str, float, list]]:
    """Inter-village roads: ``(node_a, node_b, highway, vertex spacing, waypoints)`` of every link.

    Links, in order: the regional road Serock town - Wieliszew (``secondary``),
    the minimum spanning tree of each commune and radial roads from Serock town
    and Wieliszew to the localities within ``RADIAL_M`` (``tertiary``, county
    roads), and each locality to its ``LINK_KNN`` nearest neighbours within
    ``KNN_MAX_M`` (``unclassified``) -- optional links stay within a commune
    (the Zegrze reservoir lies between them) -- then a greedy spanner: locality pairs
    within ``SPANNER_MAX_M`` whose road distance over the links so far exceeds
    ``SPANNER_STRETCH`` x their distance get a direct ``unclassified`` link.  A link joins main-street nodes of its two
    localities (so the main road passes through the village), preferably
    continuing a main street ``GATE_M`` straight out of its end, else directly
    from a main-street node: the shortest candidate whose line keeps 12 m from
    houses, 20 m from private tracks (60 m from their far ends; farm tracks may
    be crossed: a junction) and clear of every other locality; an optional
    link may cross an accepted one only at >= 30 degrees (a crossroads:
    :func:`_node_crossings` later splits both at a shared node).
    """
    locs = list(simc.simc)
    commune = {s: ("W" if t == TERC_WIELISZEW else "S") for s, t in zip(simc.simc, simc.terc)}
    tracks = [LineString(node_xy[st["nodes"]]) for st in streets if st["role"] == "private_track"]
    zone = [substring(t, 50.0, t.length).buffer(20.0) for t in tracks] + [Point(t.coords[-1]).buffer(60.0)
                                                                            for t in tracks]
    track_zone = shapely.union_all(zone)
    shapely.prepare(track_zone)
    hx = np.array([(h["x"], h["y"]) for h in houses])
    hs = np.array([h["simc"] for h in houses])
    house_tree = shapely.STRtree(shapely.points(hx))
    hulls = [shapely.convex_hull(shapely.multipoints(np.vstack([node_xy[node_simc == s], hx[hs == s]]))).buffer(40.0)
             for s in locs]
    hull_tree = shapely.STRtree(hulls)
    main: dict[str, list[int]] = {s: [] for s in locs}
    for st in streets:
        if st["role"] in _MAIN_ROLES:
            main[st["simc"]] += st["nodes"]
    main_n = {s: np.unique(np.array(main[s], dtype=np.int64)) for s in locs}
    public_n = {s: np.flatnonzero((node_simc == s) & pub_mask) for s in locs}
    accepted: list[LineString] = []

    def clean(seg: LineString, si: str, sj: str, through: bool) -> bool:
        if track_zone.intersects(seg) or house_tree.query(seg, predicate="dwithin", distance=12.0).size:
            return False
        return through or all(locs[h] in (si, sj) for h in hull_tree.query(seg, predicate="intersects").tolist())

    gates: dict[str, list[tuple[int, np.ndarray]]] = {s: [] for s in locs}  # main-street ends, outward direction
    for st in streets:
        if st["role"] in _MAIN_ROLES and len(st["nodes"]) >= 2:
            ns = st["nodes"]
            for end, prev in ((ns[-1], ns[-2]),) + (((ns[0], ns[1]),) if st["role"] != "perimeter" else ()):
                d = node_xy[end] - node_xy[prev]
                gates[st["simc"]].append((end, d / max(float(np.linalg.norm(d)), 1e-9)))

    def candidates(si: str, sj: str) -> list[list[tuple[float, int, int, list]]]:
        """Candidate links in order of preference: through a main-street end, then direct."""
        via = []
        for a, da in gates[si]:
            for b, db in gates[sj]:
                for bend in (0.0, 0.6, -0.6):  # straight on, or bending after GATE_M
                    pa, pb = node_xy[a] + GATE_M * da, node_xy[b] + GATE_M * db
                    c, s_ = math.cos(bend), math.sin(bend)
                    ra = np.array([c * da[0] - s_ * da[1], s_ * da[0] + c * da[1]])
                    pa2 = pa + GATE_M * ra
                    d = pb - pa2
                    L = float(np.linalg.norm(d))
                    if L < 1.0 or d @ ra / L < -0.2 or -d @ db / L < -0.2:
                        continue
                    way = [tuple(pa), tuple(pa2), tuple(pb)] if bend else [tuple(pa), tuple(pb)]
                    via.append((L + (3 if bend else 2) * GATE_M + 50.0 * abs(bend), int(a), int(b), way))
        groups = [sorted(via)]
        for pool_i, pool_j, na, nb in ((main_n[si], main_n[sj], 12, 6), (public_n[si], public_n[sj], 40, 12)):
            cand = []
            for a in pool_i[np.argsort(np.linalg.norm(node_xy[pool_i] - pos[sj], axis=1), kind="stable")[:na]]:
                dj = np.linalg.norm(node_xy[pool_j] - node_xy[a], axis=1)
                cand += [(float(dj[k]), int(a), int(pool_j[k]), []) for k in np.argsort(dj, kind="stable")[:nb]]
            groups.append(sorted(cand))
        return groups

    def best_pair(si: str, sj: str, optional: bool) -> tuple[int, int, list] | None:
        # a required link may, as a last resort, pass through a third village (split into junctions there)
        groups = candidates(si, sj)
        for through in ((False,) if optional else (False, True)):
            for cand in groups:
                for _, a, b, way in cand:
                    seg = LineString([tuple(node_xy[a])] + way + [tuple(node_xy[b])])
                    if clean(seg, si, sj, through) and not (optional and _bad_crossing(seg, accepted)):
                        accepted.append(seg)
                        return a, b, way
        return None

    spec: list[tuple[str, str, str, bool]] = [(SEROCK_TOWN_SIMC, WIELISZEW_SIMC, "secondary", False)]
    for c in ("S", "W"):
        cl = [s for s in locs if commune[s] == c]
        P = np.array([pos[s] for s in cl])
        mst = minimum_spanning_tree(np.linalg.norm(P[:, None] - P[None], axis=2)).tocoo()
        spec += [(cl[i], cl[j], "tertiary", False) for i, j in sorted(zip(mst.row.tolist(), mst.col.tolist()))]
    for hub in (SEROCK_TOWN_SIMC, WIELISZEW_SIMC):
        near = sorted((float(np.linalg.norm(pos[s] - pos[hub])), s) for s in locs if s != hub)
        spec += [(hub, s, "tertiary", True) for d, s in near if d <= RADIAL_M and commune[s] == commune[hub]]
    knn = set()
    P = np.array([pos[s] for s in locs])
    # the Zegrze reservoir lies between the communes: only the regional road crosses
    C = np.array([commune[s] for s in locs])
    D = np.where(C[:, None] == C[None], np.linalg.norm(P[:, None] - P[None], axis=2), np.inf)
    for i in range(len(locs)):
        for j in np.argsort(D[i], kind="stable")[1:LINK_KNN + 1].tolist():
            if D[i, j] <= KNN_MAX_M:
                knn.add((D[i, j], min(i, j), max(i, j)))
    spec += [(locs[i], locs[j], "unclassified", True) for _, i, j in sorted(knn)]
    seen: set[frozenset] = set()
    out = []
    g = nx.Graph()
    g.add_nodes_from(locs)

    def try_link(si: str, sj: str, hw: str, optional: bool) -> None:
        key = frozenset((si, sj))
        if key in seen:
            return
        seen.add(key)
        pair = best_pair(si, sj, optional)
        if pair is None and not optional:
            raise RuntimeError(f"no clean road link between localities {si} and {sj}")
        if pair is not None:
            out.append((pair[0], pair[1], hw, 200.0 if hw == "secondary" else 150.0, pair[2]))
            g.add_edge(si, sj, w=accepted[-1].length)

    for si, sj, hw, optional in spec:
        try_link(si, sj, hw, optional)
    # greedy spanner: a pair still far apart by road gets a direct link (shortest pairs first)
    pairs = sorted((D[i, j], i, j) for i, j in zip(*np.nonzero(np.triu(D <= SPANNER_MAX_M, 1))))
    for d, i, j in pairs:
        try:
            via = nx.dijkstra_path_length(g, locs[i], locs[j], weight="w")
        except nx.NetworkXNoPath:
            via = math.inf
        if via > SPANNER_STRETCH * d:
            try_link(locs[i], locs[j], "unclassified", True)
    logger.info("inter-village links: %d (%s)", len(out), pd.Series([o[2] for o in out]).value_counts().to_dict())
    return out


def _road_stats(roads: gpd.GeoDataFrame, R: pd.DataFrame, node_xy: np.ndarray, addresses: gpd.GeoDataFrame,
                pops: gpd.GeoDataFrame) -> dict:
    """Road distance of every address (nearest road edge + drop) from the POPs, for the README."""
    ln = roads.length.to_numpy()
    n = len(node_xy)
    G = coo_matrix((ln, (R.u, R.v)), shape=(n, n)).tocsr()  # one row per node pair (see build_demo_area)
    pxy = shapely.get_coordinates(pops.geometry.values)
    pop_nodes = [int(np.argmin(np.linalg.norm(node_xy - p, axis=1))) for p in pxy]
    dist = dijkstra(G, directed=False, indices=pop_nodes)
    pts = addresses.geometry.values
    _, near = roads.sindex.nearest(pts, return_all=False)
    geo = roads.geometry.values[near]
    along = shapely.line_locate_point(geo, pts)
    drop = shapely.distance(geo, pts)
    u, v = R.u.to_numpy()[near], R.v.to_numpy()[near]
    road = np.minimum(dist[:, u] + along, dist[:, v] + ln[near] - along) + drop  # (pop, address)
    straight = np.linalg.norm(shapely.get_coordinates(pts)[None] - pxy[:, None], axis=2)
    ratio0 = road[0] / np.maximum(straight[0], 1.0)
    return dict(share_ratio_16=float((ratio0 <= 1.6).mean()), median_ratio=float(np.median(ratio0)),
                max_reach_km=float(road.min(axis=0).max() / 1000), max_reach_pop0_km=float(road[0].max() / 1000))


def _uuid(rng) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


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
    simc, ulic = _read_teryt()
    loc_rows = simc.set_index("simc")

    # ---- 1. local layouts ---------------------------------------------------
    rural = [s for s in simc.simc if s != SEROCK_TOWN_SIMC and int(loc_rows.loc[s, "rm"]) == 1
             and loc_rows.loc[s, "locality"] != STASI_LAS]
    n_private = dict.fromkeys(simc.simc, 0)
    for s in rng.choice(rural, size=34, replace=True):
        n_private[s] += 1
    nets: dict[str, _Net] = {}
    for s in simc.simc:
        row = loc_rows.loc[s]
        st = [(r.name, r.ulic) for r in ulic[ulic.simc == s].itertuples()]
        if s == SEROCK_TOWN_SIMC:
            nets[s] = _layout_town(rng, st)
        else:
            rm = int(row.rm)
            farms = int(rng.integers(2, 7)) if rm == 1 else int(rng.integers(0, 3))
            nets[s] = _layout_village(rng, st, row.locality, rm, n_private[s], farms)
    radius = {s: max(float(np.max(np.linalg.norm(np.array(n.xy), axis=1))),
                     max((math.hypot(h.x, h.y) for h in n.houses), default=0.0)) + 60.0
              for s, n in nets.items()}
    pos = _place_localities(rng, simc, radius)

    # ---- 2. global network --------------------------------------------------
    node_xy: list[np.ndarray] = []
    node_simc: list[str] = []
    streets: list[dict] = []
    houses: list[dict] = []
    base = 0
    for s in simc.simc:
        net = nets[s]
        xy = np.array(net.xy) + pos[s]
        node_xy.append(xy)
        node_simc += [s] * len(xy)
        sbase = len(streets)
        for st in net.streets:
            streets.append(dict(simc=s, name=st.name, street=st.street, ulic=st.ulic, role=st.role,
                                nodes=[base + n for n in st.nodes], highway=st.highway, lit=st.lit,
                                surface=st.surface, private=st.private, telecom=st.telecom, alt=None))
        for si, pts in net.alt.items():
            streets[sbase + si]["alt"] = np.array(pts) + pos[s]
        for h in net.houses:
            houses.append(dict(simc=s, x=h.x + pos[s][0], y=h.y + pos[s][1], street=sbase + h.street,
                               s=h.s, side=h.side, kind=h.kind, angle=h.angle,
                               track=sbase + h.track if h.track >= 0 else -1))
        base += len(xy)
    node_xy = np.vstack(node_xy)
    node_simc = np.array(node_simc)

    corner_node: dict[tuple[float, float], int] = {}  # links leaving one main-street end share its first stub

    def add_link(a: int, b: int, highway: str, step: float, telecom: bool, way: list | None = None) -> None:
        nonlocal node_xy, node_simc
        corners = [node_xy[a]] + [np.asarray(w, float) for w in (way or [])] + [node_xy[b]]
        ids: list[int] = []
        for k, (pa, pb) in enumerate(zip(corners[:-1], corners[1:])):
            if k:  # a waypoint: reuse the node another link placed there
                key = (round(float(pa[0]), 2), round(float(pa[1]), 2))
                if key not in corner_node:
                    corner_node[key] = len(node_xy)
                    node_xy = np.vstack([node_xy, pa[None]])
                    node_simc = np.concatenate([node_simc, [""]])
                ids.append(corner_node[key])
            n = max(1, int(np.ceil(np.linalg.norm(pb - pa) / step)))
            mid = pa + (pb - pa) * (np.arange(1, n) / n)[:, None]
            ids += list(range(len(node_xy), len(node_xy) + len(mid)))
            node_xy = np.vstack([node_xy, mid]) if len(mid) else node_xy
            node_simc = np.concatenate([node_simc, [""] * len(mid)])
        streets.append(dict(simc="", name="", street="", ulic="", role="link", nodes=[a] + ids + [b],
                            highway=highway, lit=False, surface="paved", private=False, telecom=telecom, alt=None))

    public_nodes = set()
    for st in streets:
        if st["role"] not in ("private_track", "farm_track"):
            public_nodes.update(st["nodes"])
    pub_mask = np.zeros(len(node_xy), bool)
    pub_mask[list(public_nodes)] = True

    links = _plan_links(simc, pos, streets, houses, node_xy, node_simc, pub_mask)
    for a, b, hw, step, way in links:
        # telecom poles: along every county road, along some local roads, none along the regional road
        add_link(a, b, hw, step, hw == "tertiary" or (hw == "unclassified" and bool(rng.random() < 0.5)), way)
    # main roads pass through the villages: a main street carrying a link takes the link's class
    rank = {"residential": 0, "unclassified": 1, "tertiary": 2, "secondary": 3}
    main_of: dict[int, list[int]] = {}
    for k, st in enumerate(streets):
        if st["role"] in _MAIN_ROLES:
            for n_ in st["nodes"]:
                main_of.setdefault(n_, []).append(k)
    for a, b, hw, _, _ in links:
        for end in (a, b):
            for k in main_of.get(end, []):
                if rank[hw] > rank[streets[k]["highway"]]:
                    streets[k]["highway"] = hw
    # alternatives for private tracks are decided with the consents below

    # ---- 3. addresses (before white selection) -------------------------------
    H = pd.DataFrame(houses)
    H["simc_terc"] = H.simc.map(loc_rows.terc)
    # numbering: per address street; unnamed localities number across the locality
    st_df = pd.DataFrame(streets)
    H["street_name"] = H.street.map(st_df.street)
    H["ulic"] = H.street.map(st_df.ulic)
    H["role"] = H.street.map(st_df.role)
    H = H.sort_values(["simc", "street", "s", "side"]).reset_index(drop=True)
    nums = np.zeros(len(H), int)
    for (sm, stn), g in H.groupby(["simc", "ulic"], sort=True):
        if stn == "":
            nums[g.index] = np.arange(1, len(g) + 1)
        else:
            odd = g.side == 1
            nums[g.index[odd.values]] = 2 * np.arange(len(g[odd])) + 1
            nums[g.index[~odd.values]] = 2 * np.arange(1, len(g[~odd]) + 1)
    H["number"] = nums
    suffix = rng.random(len(H)) < 0.03
    H["house_number"] = [f"{n}{'ABC'[int(rng.integers(3))]}" if sfx else str(n) for n, sfx in zip(nums, suffix)]
    H["id"] = [_uuid(rng) for _ in range(len(H))]
    H["unit"] = H.simc + "/" + H.street.astype(str)

    # new buildings: last house on one side of some rural named side streets (not in addresses);
    # more than the barrier points, so every barrier place can be refilled
    rural_branch = H[(H.simc_terc != TERC_SEROCK_TOWN) & H.role.isin(["branch", "side"]) & (H.kind == "house")
                     & (H.ulic != "")]
    tails = rural_branch.sort_values(["s", "id"]).groupby(["street", "side"]).tail(1).sort_index()
    new_idx = rng.choice(tails.index.to_numpy(), size=N_NEW_BUILDINGS, replace=False)
    H["is_new"] = False
    H.loc[new_idx, "is_new"] = True

    # ---- 4. consents on private tracks ---------------------------------------
    tracks = [i for i, st in enumerate(streets) if st["role"] == "private_track"]
    tracks = [t for t in tracks if (H.track == t).any()]
    perm = rng.permutation(tracks).tolist()
    with_alt = [t for t in perm if streets[t]["alt"] is not None]
    without_alt = [t for t in perm if streets[t]["alt"] is None]
    # the two refused tracks without an alternative: single-house tracks whose house lies farthest from
    # a public road (so exactly two address points are reachable only through a refused parcel)
    pub_lines = shapely.union_all([LineString(node_xy[st["nodes"]]) for st in streets
                                   if st["role"] not in ("private_track",)])
    far = {t: float(shapely.distance(shapely.multipoints(H.loc[H.track == t, ["x", "y"]].to_numpy()), pub_lines))
           for t in without_alt}
    without_alt.sort(key=lambda t: (int((H.track == t).sum()) != 1, -round(far[t], 3)))
    refused_alt = with_alt[:5]
    refused_noalt = without_alt[:2]
    rest = [t for t in perm if t not in refused_alt + refused_noalt]
    consent = {t: "refused" for t in refused_alt + refused_noalt}
    for k, t in enumerate(rest):
        consent[t] = "pending" if k % 3 == 0 else "granted"
    for t in refused_alt:
        pts = streets[t]["alt"]
        a_end = streets[t]["nodes"][-1]
        b_node = int(np.argmin(np.linalg.norm(node_xy - pts[1], axis=1)))
        add_link(a_end, b_node, "track", 70.0, False)
        streets[-1].update(role="alt_track", surface="unpaved", simc=streets[t]["simc"])

    # ---- 5. white selection --------------------------------------------------
    A = H[~H.is_new].copy()
    loc_name = A.simc.map(loc_rows.locality)
    A["locality"] = loc_name
    forced = pd.Series("", index=A.index)
    town = A.simc == SEROCK_TOWN_SIMC
    forced[town & A.role.isin(["grid", "culdesac"])] = "covered"
    stasi = loc_name == STASI_LAS
    forced[stasi] = np.where(A.street_name[stasi].isin(STASI_LAS_WHITE), "white", "covered")
    forced[loc_name.isin(MILESTONE_VILLAGES)] = "white"
    forced[(A.simc == "0008639") & (A.role == "spine")] = "covered"
    summer_units = []
    for ln in SUMMER_LOCALITIES:
        units = A[(loc_name == ln) & A.role.isin(["branch", "side"])].unit.unique()
        summer_units += sorted(units)[:3]
    forced[A.unit.isin(summer_units)] = "white"
    noalt_houses = A.track.isin(refused_noalt)
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

    # businesses: exactly N_WHITE_BUSINESS among whites, main streets preferred
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

    # ---- 6. barriers: summer houses, empty plots, PRG status -----------------
    A["use"] = np.where(A.kind == "farm", "farm", np.where(A.is_business, "commercial", "residential"))
    summer = A.unit.isin(summer_units)
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

    # ---- 7. layers -----------------------------------------------------------
    A = A.sort_values("id").reset_index(drop=True)
    terc_of = A.simc.map(loc_rows.terc)
    addresses = gpd.GeoDataFrame({
        "id": A.id.astype(object), "terc": terc_of.astype(object), "simc": A.simc.astype(object),
        "ulic": A.ulic.astype(object), "locality": A.locality.astype(object),
        "street": A.street_name.astype(object), "house_number": A.house_number.astype(object),
        "postcode": terc_of.map(POSTCODES).astype(object), "is_business": A.is_business.astype(bool),
        "status": A.status.astype(object),
    }, geometry=gpd.points_from_xy(A.x.round(2), A.y.round(2)), crs=CRS)

    # buildings
    def rect(cx, cy, ang, w_, d_):
        c, s_ = math.cos(ang), math.sin(ang)
        pts = [(-w_ / 2, -d_ / 2), (w_ / 2, -d_ / 2), (w_ / 2, d_ / 2), (-w_ / 2, d_ / 2)]
        return Polygon([(round(cx + x * c - y * s_, 2), round(cy + x * s_ + y * c, 2)) for x, y in pts])

    B_rows = []
    Hb = pd.concat([A.assign(src="a"), H[H.is_new].assign(src="n", use="residential", has_building=True)])
    for r in Hb.itertuples():
        if not r.has_building:
            continue
        back = np.array([-math.sin(r.angle), math.cos(r.angle)]) * r.side * 3.0
        big = r.use in ("commercial", "farm")
        B_rows.append((r.x + back[0], r.y + back[1], r.angle, 16.0 if big else 10.0, 18.0 if big else 12.0,
                       r.use, r.id))
        if r.use == "farm":
            B_rows.append((r.x + 6 * back[0] + 10 * math.cos(r.angle), r.y + 6 * back[1] + 10 * math.sin(r.angle),
                           r.angle, 12.0, 24.0, "farm", r.id + "-b"))
    bid = [f"b{k:06d}" for k in range(len(B_rows))]
    buildings = gpd.GeoDataFrame({"id": pd.Series(bid, dtype=object),
                                  "use": pd.Series([b[5] for b in B_rows], dtype=object)},
                                 geometry=[rect(*b[:5]) for b in B_rows], crs=CRS)
    # empty plots must have no building within 30 m (farm barns may be near)
    emp = addresses.geometry[~A.has_building.values & (A.status.values == "istniejacy")]
    near = buildings.sindex.query(emp.values, predicate="dwithin", distance=30.0)
    if near.shape[1]:
        raise RuntimeError(f"{near.shape[1]} empty plots have a building within 30 m")

    # coverage
    unit_cat: dict[tuple[str, bool], str] = {}
    for (u, wflag), g in A.groupby(["unit", "white"], sort=True):
        key_loc = (g.locality.iloc[0], g.street_name.iloc[0])
        if key_loc in FORCED_CATS and (FORCED_CATS[key_loc] in WHITE_CATS) == wflag:
            cat = FORCED_CATS[key_loc]
        elif wflag:
            cat = WHITE_CATS[int(rng.choice(len(WHITE_CATS), p=WHITE_P))]
        elif g.forced.iloc[0] == "covered" and g.simc.iloc[0] == SEROCK_TOWN_SIMC:
            cat = "black"
        else:
            cat = COVERED_CATS[int(rng.choice(len(COVERED_CATS), p=COVERED_P))]
        unit_cat[(u, bool(wflag))] = cat
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
    coverage = gpd.GeoDataFrame({c: cov[c].astype(object) for c in ["address_id", "terc", "simc", "ulic", "street",
                                                                     "house_number", "operator", "medium", "technology"]},
                                geometry=gpd.points_from_xy(cov.x.round(2), cov.y.round(2)), crs=CRS)
    coverage.insert(9, "down_mbps", cov.down_mbps.astype(float).values)
    coverage.insert(10, "up_mbps", cov.up_mbps.astype(float).values)
    coverage.insert(11, "status", cov.status.astype(object).values)
    coverage.insert(12, "year", pd.array(cov.year.tolist(), dtype="Int64"))

    # roads (one row per edge between consecutive nodes)
    road_rows = []
    for k, st in enumerate(streets):
        for a, b in zip(st["nodes"][:-1], st["nodes"][1:]):
            road_rows.append((k, a, b))
    R = pd.DataFrame(road_rows, columns=["street", "u", "v"])
    # one road per node pair (links sharing a stub): the first street keeps it
    R = R[~pd.DataFrame({"a": R[["u", "v"]].min(axis=1), "b": R[["u", "v"]].max(axis=1)}).duplicated()]
    R = R.reset_index(drop=True)
    R, node_xy = _node_crossings(R, node_xy)
    node_simc = np.concatenate([node_simc, [""] * (len(node_xy) - len(node_simc))])
    S = pd.DataFrame(streets)
    roads = gpd.GeoDataFrame({
        "id": pd.Series([f"r{k:06d}" for k in range(len(R))], dtype=object),
        "highway": R.street.map(S.highway).astype(object),
        "name": R.street.map(S.name).astype(object),
        "surface": R.street.map(S.surface).astype(object),
        "lit": R.street.map(S.lit).astype(bool),
        "private": R.street.map(S.private).astype(bool),
    }, geometry=shapely.linestrings(np.stack([node_xy[R.u].round(2), node_xy[R.v].round(2)], axis=1)), crs=CRS)

    # poles
    pole_rows = []
    for k, st in enumerate(streets):
        line = LineString(node_xy[st["nodes"]])
        kinds = []
        if st["lit"]:
            kinds.append(("commune_lighting", 35.0, 4.0))
        if st["telecom"]:
            kinds.append(("telecom", 45.0, -3.5))
        if st["role"] in ("farm_track",) and rng.random() < 0.5:
            kinds.append(("power", 60.0, 3.0))
        for owner, spacing, off in kinds:
            par = line.offset_curve(off)
            if par.is_empty or par.geom_type != "LineString":
                par = line
            n = int(par.length // spacing)
            for j in range(n + 1):
                s_ = min(j * spacing + rng.uniform(-3, 3), par.length) if 0 < j < n else j * spacing
                p = par.interpolate(min(max(s_, 0.0), par.length))
                pole_rows.append((owner, round(p.x, 2), round(p.y, 2)))
    P = pd.DataFrame(pole_rows, columns=["owner", "x", "y"]).drop_duplicates(["x", "y"]).reset_index(drop=True)
    usable = rng.random(len(P)) >= 0.04
    poles = gpd.GeoDataFrame({"id": pd.Series([f"p{k:06d}" for k in range(len(P))], dtype=object),
                              "owner": P.owner.astype(object), "usable": usable},
                             geometry=gpd.points_from_xy(P.x, P.y), crs=CRS)

    # ducts: ul. Norwida in Serock and one new street in Wieliszew
    norw = next(k for k, st in enumerate(streets) if st["simc"] == SEROCK_TOWN_SIMC and "Norwida" in st["name"])
    wiel = [k for k, st in enumerate(streets) if st["simc"] == "0008639" and st["role"] == "branch"]
    second = wiel[int(rng.integers(len(wiel)))]
    ducts = gpd.GeoDataFrame({"id": pd.Series(["d0001", "d0002"], dtype=object),
                              "owner": pd.Series(["Gmina Serock", "Gmina Wieliszew"], dtype=object),
                              "free_subducts": np.array([2, 1], dtype="int64")},
                             geometry=[LineString(node_xy[streets[k]["nodes"]].round(2)) for k in (norw, second)],
                             crs=CRS)

    # parcels around private tracks
    pub_roads = roads[~roads.private]
    par_rows = []
    for n_, t in enumerate(sorted(consent)):
        line = LineString(node_xy[streets[t]["nodes"]])
        poly = substring(line, 15.0, line.length - 15.0).buffer(7.0, cap_style="flat").simplify(0.5)
        near = pub_roads.sindex.query(poly, predicate="dwithin", distance=5.0)
        if near.size:  # a public road crossing the strip stays public
            poly = poly.difference(shapely.union_all(pub_roads.geometry.values[near]).buffer(4.0))
        terc = loc_rows.loc[streets[t]["simc"], "terc"]
        obr = list(simc.simc).index(streets[t]["simc"]) + 1
        par_rows.append((f"{EGIB_UNIT[terc]}.{obr:04d}.{300 + n_}/{1 + n_ % 4}", "private", consent[t], poly))
    parcels = gpd.GeoDataFrame({"id": pd.Series([r[0] for r in par_rows], dtype=object),
                                "ownership": pd.Series([r[1] for r in par_rows], dtype=object),
                                "consent": pd.Series([r[2] for r in par_rows], dtype=object)},
                               geometry=shapely.set_precision([r[3] for r in par_rows], 0.01), crs=CRS)

    # one OLT per commune: Serock centre and a node of the Wieliszew main street
    if np.min(np.linalg.norm(node_xy - POP_WIELISZEW_XY, axis=1)) > 0.01:
        raise RuntimeError("POP-WIELISZEW-1 is not on a road node")
    pops = gpd.GeoDataFrame({"id": pd.Series(["POP-SEROCK-1", "POP-WIELISZEW-1"], dtype=object),
                             "name": pd.Series(["POP Serock (centrala)", "POP Wieliszew"], dtype=object)},
                            geometry=[Point(*POP_XY), Point(*POP_WIELISZEW_XY)], crs=CRS)

    # localities: hull of the locality's nodes and houses
    loc_polys = []
    for s in simc.simc:
        pts = np.vstack([node_xy[node_simc == s], H.loc[H.simc == s, ["x", "y"]].to_numpy()])
        loc_polys.append(shapely.convex_hull(shapely.multipoints(pts)).buffer(60.0).simplify(5.0))
    localities = gpd.GeoDataFrame({"simc": simc.simc.astype(object), "terc": simc.terc.astype(object),
                                   "locality": simc.locality.astype(object)},
                                  geometry=shapely.set_precision(loc_polys, 0.01), crs=CRS)

    N = H[H.is_new].sort_values("id")
    new_buildings = gpd.GeoDataFrame({
        "id": ("NB-" + N.id.str[:8]).astype(object), "terc": N.simc.map(loc_rows.terc).astype(object),
        "simc": N.simc.astype(object), "ulic": N.ulic.astype(object),
        "locality": N.simc.map(loc_rows.locality).astype(object),
        "street": N.street_name.astype(object), "house_number": N.house_number.astype(object),
        "is_business": np.zeros(len(N), bool)}, geometry=gpd.points_from_xy(N.x.round(2), N.y.round(2)), crs=CRS)
    new_buildings = new_buildings.reset_index(drop=True)

    # ---- 8. as-built (progress by March 2025) --------------------------------
    as_built, ab_facts = _as_built(rng, roads, R, S, node_xy, node_simc, addresses, A, loc_rows, ducts)

    layers = {"addresses": addresses, "buildings": buildings, "coverage": coverage, "poles": poles, "ducts": ducts,
              "roads": roads, "parcels": parcels, "pops": pops, "localities": localities,
              "new_buildings": new_buildings, "as_built": as_built,
              "cabinet_sites": empty_layer("cabinet_sites", CRS)}  # issue #16: optional layer, none in the demo
    allb = np.array([g.total_bounds for g in layers.values() if len(g)])
    bounds = (math.floor(allb[:, 0].min() / 1000 - 1) * 1000.0, math.floor(allb[:, 1].min() / 1000 - 1) * 1000.0,
              math.ceil(allb[:, 2].max() / 1000 + 1) * 1000.0, math.ceil(allb[:, 3].max() / 1000 + 1) * 1000.0)
    metadata = pd.DataFrame({"key": ["name", "bounds", "crs", "seed", "generator"],
                             "value": ["serock_wieliszew", ",".join(f"{b:.0f}" for b in bounds), CRS, str(seed),
                                       "scripts/make_demo_area.py"]})

    # ---- 9. official list with planted differences ---------------------------
    official, planted = _official_list(rng, addresses, A)

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
                 second_duct=streets[second]["name"], n_links=len(links),
                 road=_road_stats(roads, R, node_xy, addresses, pops), **ab_facts)
    return DemoArea(layers=layers, metadata=metadata, official_list=official, facts=facts)


def _as_built(rng: np.random.Generator, roads: gpd.GeoDataFrame, R: pd.DataFrame, S: pd.DataFrame,
              node_xy: np.ndarray, node_simc: np.ndarray, addresses: gpd.GeoDataFrame, A: pd.DataFrame,
              loc_rows: pd.DataFrame, ducts: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    """The as-built example: what was built by March 2025.

    Segments grow as a tree from the POP along the shortest-path tree: first to
    the M1 villages, then greedily where they pass the most eligible white
    points per metre, within the reported budgets (aerial where the road has
    poles, duct along a duct, trench elsewhere).  Connections are eligible
    Serock white points within 200 m of a built segment, dated after it.
    """
    G = nx.Graph()
    length = roads.length.to_numpy()
    for k, (u, v) in enumerate(zip(R.u, R.v)):
        if not roads.private.iat[k]:
            G.add_edge(int(u), int(v), k=k, w=float(length[k]))
    pop_node = int(np.argmin(np.linalg.norm(node_xy - POP_XY, axis=1)))
    dist, paths = nx.single_source_dijkstra(G, pop_node, weight="w")
    # deployment of each edge: duct where a duct runs, aerial where poles line it, else trench
    mids = shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True)
    has_pole = (R.street.map(S.lit) | R.street.map(S.telecom)).to_numpy(bool)
    in_duct = np.zeros(len(roads), bool)
    di = ducts.sindex.query(mids, predicate="dwithin", distance=1.0)
    in_duct[np.unique(di[0])] = True
    dep = np.where(in_duct, "duct", np.where(has_pole, "aerial", "trench"))
    # priority localities: M1 villages, then Serock rural by distance from the POP
    serock_simcs = [s for s in loc_rows.index if loc_rows.loc[s, "terc"] != "1408052"]

    def loc_dist(s: str) -> float:
        ns = np.flatnonzero(node_simc == s)
        return min(dist.get(int(n), 1e12) for n in ns)
    # build towards the roads that serve eligible white points (non-barrier, existing)
    ok = (A.white & A.has_building & (A.use != "summer_house") & (A.status == "istniejacy")
          & (A.simc_terc != "1408052")).to_numpy()
    ids = A.id.to_numpy()
    pts = addresses.set_index("id").loc[ids].geometry.values
    _, near = roads.sindex.nearest(pts[ok], return_all=False)
    want_nodes = set(R.u.to_numpy()[near].tolist()) | set(R.v.to_numpy()[near].tolist())
    m1 = sorted([s for s in serock_simcs if loc_rows.loc[s, "locality"] in M1_VILLAGES], key=loc_dist)
    budget = {"aerial": (AS_BUILT_KM - AS_BUILT_UNDERGROUND_KM) * 1000, "under": AS_BUILT_UNDERGROUND_KM * 1000}
    used = {"aerial": 0.0, "under": 0.0}
    built: dict[int, int] = {}  # edge -> order
    built_nodes = {pop_node}

    def build_path(path: list[int]) -> None:
        for a, b in zip(path[:-1], path[1:]):
            k = G[a][b]["k"]
            if k in built:
                continue
            if a not in built_nodes:
                return
            kind = "aerial" if dep[k] == "aerial" else "under"
            if used[kind] + length[k] > budget[kind]:
                return
            used[kind] += length[k]
            built[k] = len(built)
            built_nodes.add(b)

    # phase 1: the M1 villages (first milestone) from the POP
    for s in m1:
        for t in sorted((n for n in want_nodes if node_simc[n] == s and n in dist), key=lambda n: dist[n]):
            build_path(paths[t])
    # phase 2: grow the shortest-path tree where it serves most white points per metre
    tree_nodes = sorted(dist, key=lambda n: (dist[n], len(paths[n]), n))  # parents first, also on 0-length edges
    parent = {n: paths[n][-2] for n in tree_nodes if n != pop_node}
    pedge = {n: G[parent[n]][n]["k"] for n in parent}
    w_edge = np.bincount(near, minlength=len(roads)).astype(float)
    serock_node = {n: (node_simc[n] in serock_simcs) or node_simc[n] == "" for n in tree_nodes}
    while True:
        cost, gain, cu = {pop_node: 0.0}, {pop_node: 0.0}, {pop_node: (0.0, 0.0)}
        best, best_score = None, 0.0
        for n in tree_nodes[1:]:
            k = pedge[n]
            p_ = parent[n]
            if k in built:
                cost[n], gain[n], cu[n] = cost[p_], gain[p_], cu[p_]
                continue
            ca, cun = cu[p_]
            if dep[k] == "aerial":
                ca += length[k]
            else:
                cun += length[k]
            cu[n] = (ca, cun)
            cost[n] = cost[p_] + length[k]
            gain[n] = gain[p_] + w_edge[k]
            if (serock_node[n] and gain[n] > 0 and used["aerial"] + ca <= budget["aerial"]
                    and used["under"] + cun <= budget["under"]):
                score = gain[n] / cost[n]
                if score > best_score:
                    best, best_score = n, score
        if best is None:
            break
        build_path(paths[best])
    order = sorted(built, key=lambda k: built[k])
    start, end = np.datetime64("2024-04-02"), np.datetime64("2025-03-14")
    span = (end - start).astype(int)
    seg_dates = {k: start + np.timedelta64(int(span * i / max(len(order) - 1, 1)), "D") for i, k in enumerate(order)}
    # connections: Serock white, non-barrier points whose nearest road edge is built
    built_geom = gpd.GeoSeries([roads.geometry.iat[k] for k in order], crs=roads.crs)
    built_date = np.array([seg_dates[k] for k in order])
    qi, qj = built_geom.sindex.query(pts, predicate="dwithin", distance=200.0)
    first = pd.Series(built_date[qj]).groupby(qi).min() if len(qi) else pd.Series(dtype="datetime64[ns]")
    conn_date = dict(zip(first.index.tolist(), first.to_numpy()))
    cand = [i for i in np.flatnonzero(ok) if i in conn_date]
    cand.sort(key=lambda i: (conn_date[i], ids[i]))
    n_serock_white = int((A.white & (A.simc_terc != "1408052")).sum())
    n_conn = min(len(cand), int(round(AS_BUILT_SEROCK_SHARE * n_serock_white)))
    conn = cand[:n_conn]
    last = np.datetime64("2025-03-28")
    rows = []
    for j, k in enumerate(order):
        rows.append((f"ab-s{j + 1:05d}", "segment", str(dep[k]), "", seg_dates[k], roads.geometry.iat[k]))
    for j, i in enumerate(sorted(conn, key=lambda i: ids[i])):
        d = min(np.datetime64(conn_date[i], "D") + np.timedelta64(int(rng.integers(7, 45)), "D"), last)
        rows.append((f"ab-c{j + 1:05d}", "connection", "", ids[i], d, pts[i]))
    ab = gpd.GeoDataFrame({"id": pd.Series([r[0] for r in rows], dtype=object),
                           "kind": pd.Series([r[1] for r in rows], dtype=object),
                           "deployment": pd.Series([r[2] for r in rows], dtype=object),
                           "address_id": pd.Series([r[3] for r in rows], dtype=object),
                           "built_on": pd.to_datetime(pd.Series([r[4] for r in rows])).astype("datetime64[ns]")},
                          geometry=[r[5] for r in rows], crs=CRS)
    km = sum(length[k] for k in order) / 1000
    km_u = sum(length[k] for k in order if dep[k] != "aerial") / 1000
    facts = dict(as_built_km=round(km, 2), as_built_underground_km=round(km_u, 2), as_built_connections=n_conn,
                 as_built_serock_share=round(n_conn / n_serock_white, 4), n_serock_white=n_serock_white,
                 as_built_localities=sorted({loc_rows.loc[s, "locality"]
                                             for s in node_simc[[int(R.u[k]) for k in order]] if s}))
    return ab, facts


def _official_list(rng, addresses: gpd.GeoDataFrame, A: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The 'official' white-spot list: the white points with planted differences."""
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

    def desc(i):
        r = addr.loc[i]
        return dict(id=i, terc=r.terc, simc=r.simc, ulic=r.ulic, locality=r.locality, street=r.street,
                    house_number=r.house_number)
    return out, {"covered_on_list": [desc(i) for i in extra], "white_missing": [desc(i) for i in missing]}


# =============================================================================
# Writing
# =============================================================================

def write_demo_area(out_dir: Path | str, seed: int = SEED, demo: DemoArea | None = None) -> Path:
    """Generate the demo area and write gpkg, official list and README into ``out_dir``.

    Files are written to temporary names and renamed, so a failure leaves no
    partial output.  ``demo`` writes an already built area instead (``seed`` is
    then ignored).

    Returns
    -------
    pathlib.Path
        Path of the GeoPackage.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    demo = demo if demo is not None else build_demo_area(seed)
    gpkg = out_dir / "serock_wieliszew.gpkg"
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        tmp_gpkg = Path(tmp) / gpkg.name
        for name, gdf in demo.layers.items():
            pyogrio.write_dataframe(gdf, tmp_gpkg, layer=name, driver="GPKG",
                                    layer_options={"SPATIAL_INDEX": "NO"})
        pyogrio.write_dataframe(demo.metadata, tmp_gpkg, layer="metadata", driver="GPKG")
        tmp_csv = Path(tmp) / "official_white_spots.csv"
        demo.official_list.to_csv(tmp_csv, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        tmp_md = Path(tmp) / "README.md"
        tmp_md.write_text(_readme(demo, tmp_gpkg), encoding="utf-8")
        os.replace(tmp_gpkg, gpkg)
        os.replace(tmp_csv, out_dir / "official_white_spots.csv")
        os.replace(tmp_md, out_dir / "README.md")
    return gpkg


def _readme(demo: DemoArea, gpkg: Path) -> str:
    L = demo.layers
    f = demo.facts
    a = L["addresses"]
    cov = L["coverage"]
    b = f["bounds"]
    sizes = "\n".join(f"| `{k}` | {len(v):,} |" for k, v in L.items())
    pl = f["planted"]

    def rows(items):
        return "\n".join(f"| `{d['id']}` | {d['terc']} | {d['simc']} | {d['ulic'] or '—'} | {d['locality']} | "
                         f"{d['street'] or '—'} | {d['house_number']} |" for d in items)
    serock = a.terc.isin([TERC_SEROCK_TOWN, TERC_SEROCK_RURAL])
    noalt = "\n".join(f"- `{i}`" for i in f["refused_noalt"])
    return f"""# Demo area: Serock + Wieliszew (synthetic)

**The geometry is synthetic.** Locality and street names and TERYT codes are real
(`data/teryt/`: the 55 localities and 919 streets of Serock — TERC 1408043 / 1408044 town /
1408045 rural — and Wieliszew 1408052). Address points, buildings, roads, poles, ducts, parcels,
operator coverage and operator names are invented; the volumes are calibrated to the public
figures of the 2025 Serock/Wieliszew FERC rollout (7,614 white-spot address points, 438 of them
businesses, about 2/3 in Serock; ~59 km built by March 2025, ~17 km of it underground, ~26 % of
the Serock points done). Do not use it for any real decision.

Generated by `scripts/make_demo_area.py` (seed in the `metadata` table) — deterministic: running
it again gives the same layer contents. Regenerate with `make demo-data`.

## Files

- `serock_wieliszew.gpkg` — every layer of `planner/schema.py` with exactly its columns, EPSG:2180
  (easting = x, northing = y), plus a non-spatial table `metadata` (`key`, `value`):
  `name` = `serock_wieliszew`, `bounds` = `minx,miny,maxx,maxy`.
- `official_white_spots.csv` — the "official" white-spot list (columns `TERC, SIMC, ULIC, NR, lat,
  lon`; WGS84; house numbers partly written `12 a` / `12a` instead of `12A`) with planted differences.

## Study-area bounds (EPSG:2180, easting/northing)

`{b[0]:.0f},{b[1]:.0f},{b[2]:.0f},{b[3]:.0f}` (minx, miny, maxx, maxy). Serock town centre
E 640 340 / N 518 062; Wieliszew E 633 147 / N 511 441. POPs (one OLT per commune):
`POP-SEROCK-1` at E {POP_XY[0]:.0f} / N {POP_XY[1]:.0f} and `POP-WIELISZEW-1` at
E {POP_WIELISZEW_XY[0]:.0f} / N {POP_WIELISZEW_XY[1]:.0f} (a node of the Wieliszew main street).

## Layer sizes

| layer | rows |
|---|---|
{sizes}

## Morphology

Serock town (SIMC 0921645) is a grid with cul-de-sacs and streets leading out; villages are
street villages (one or two main streets with side streets), with farmsteads on short tracks,
houses ~0.5 km down private internal roads (parcels with consent granted / pending / refused)
and a summer-house zone on the Zegrze reservoir shore ({', '.join(SUMMER_LOCALITIES)}).
Serock localities lie N/E of the town, Wieliszew localities S/W of Wieliszew; a regional road
(`highway=secondary`) links the two, so the road network is one connected component.
{f['n_links']} inter-village roads: county roads (`tertiary`: the minimum spanning tree of each
commune and radial roads from Serock and Wieliszew to the localities within {RADIAL_M / 1000:g} km),
local roads (`unclassified`: each locality to its {LINK_KNN} nearest neighbours within
{KNN_MAX_M / 1000:g} km, and a greedy spanner: locality pairs within {SPANNER_MAX_M / 1000:g} km more
than {SPANNER_STRETCH:g} x their distance apart by road get a direct road). Roads leave a village
continuing its main street, and that main street takes the road's class, so the through road passes
along it and side streets meet it at junctions; crossing roads share a node.
From `POP-SEROCK-1`, {100 * f['road']['share_ratio_16']:.1f} % of the address points are at most
1.6 x their straight-line distance away by road (median {f['road']['median_ratio']:.2f}); every address
is within {f['road']['max_reach_km']:.1f} km by road (+ drop) of its nearest POP
({f['road']['max_reach_pop0_km']:.1f} km from `POP-SEROCK-1` alone).
Commune lighting poles stand every ~35 m along lit roads, telecom poles every ~45 m along every
county road between villages, half of the local ones and some unlit village streets (none along
the regional road), power poles along some farm tracks (~4 % of poles `usable = False`).
Technological ducts: ul. Cypriana Kamila Norwida in Serock and ul. {f['second_duct']} in Wieliszew.

`new_buildings`: {len(L['new_buildings'])} new houses (not in `addresses`; real street names and ULIC of
their locality, unique address keys) at the ends of rural side streets, more than the
{f['n_barriers']} barrier points, so the reallocation can refill every barrier place.

## White spots

Rule: white = no fixed (fibre / coax / copper) offer ≥ 100 Mb/s downlink existing, nor planned
with year ≤ 2026 (analysis date 2023-06-30 + 3 years); radio never counts.


- address points: {len(a):,}; white spots: {N_WHITE:,}, of them businesses {N_WHITE_BUSINESS};
  Serock (1408044 + 1408045) {N_WHITE_SEROCK:,}, Wieliszew {N_WHITE_WIELISZEW:,}.
  All address points in Serock: {int(serock.sum()):,}; in Wieliszew: {int((~serock).sum()):,}.
- Serock town grid streets are covered by two operators (black), e.g. ul. Jana Kochanowskiego;
  ul. Juliana Tuwima is a road with no address points.
- Stasi Las (SIMC 0008361): white spots are exactly the points on ul. Jutrzenki, Księżycowa,
  Pałacowa, Pogodna, Prosta, Radosna, Tęczowa, Warszawska and Helenki (the TERYT spelling is
  `Helenki`). Hand-checkable cases there: Jutrzenki only VDSL2 30 Mb/s; Księżycowa only ADSL2+;
  Pałacowa FTTH planned 2027 (beyond the horizon); Pogodna only LTE radio 150 Mb/s;
  Prosta no offer; Główna black (GPON + DOCSIS); Słoneczna FTTH planned 2025 (grey);
  Cicha DOCSIS 3.x (grey); Długa GPON (grey); Nasielska VDSL2 100 Mb/s (grey).
- Milestone villages with white spots: {', '.join(v for v in MILESTONE_VILLAGES if v != 'Zarzecze')}.
  **Zarzecze is not in the TERYT list of Serock/Wieliszew** and has no points.
- Investment barriers among white spots: {f['n_empty']} empty plots (no building within 30 m),
  {f['n_summer_white']} summer houses in the zone above, 12 `wTrakcieBudowy` and 10 `prognozowany` points.
- Private tracks: consents {f['consent_counts']}. Five refused tracks have an alternative public
  track; two have none, so these address points are reachable only through a refused parcel
  (by road; they lie {f['noalt_min_public_m']:.0f}–{f['noalt_max_public_m']:.0f} m from the nearest public road):
{noalt}

## Official list: planted differences

On the list but covered (5):

| id | TERC | SIMC | ULIC | locality | street | nr |
|---|---|---|---|---|---|---|
{rows(pl['covered_on_list'])}

White spots missing from the list (7):

| id | TERC | SIMC | ULIC | locality | street | nr |
|---|---|---|---|---|---|---|
{rows(pl['white_missing'])}

## As built (progress reported in March 2025)

Layer `as_built`: {f['as_built_km']} km of dated segments (2024-04-02 … 2025-03-14), of which
{f['as_built_underground_km']} km underground (trench + duct); {f['as_built_connections']:,} connected address
points = {100 * f['as_built_serock_share']:.1f} % of the {f['n_serock_white']:,} Serock white spots.
Localities touched: {', '.join(f['as_built_localities'])}.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=str(REPO / "data" / "demo"))
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    path = write_demo_area(args.out_dir, args.seed)
    logger.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
