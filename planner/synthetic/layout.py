"""Local layout of one locality: streets, houses, farm tracks and private roads.

The geometry rules of the synthetic areas (:mod:`planner.synthetic`): a town is a
rotated street grid with cul-de-sacs and streets leading out of it
(:func:`layout_town`); a village is a street village with one or two main
streets, side streets, farmsteads on short public tracks and remote houses at
the end of ~0.5 km private internal roads (:func:`layout_village`).  Layouts are
in local coordinates around ``(0, 0)``; :mod:`planner.synthetic.network` moves
them into place.  Every random draw comes from the generator passed in, so a
layout is a pure function of the generator's state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point
from shapely.ops import substring

__all__ = ["Street", "House", "LocalNet", "layout_town", "layout_village", "NO_HOUSE_PREFIXES",
           "SPINE_PREFERENCE"]

#: Street names (prefixes) without houses: roundabouts, bridges, squares, boulevards.
NO_HOUSE_PREFIXES = ("Rondo", "Most", "Skwer", "Bulwar")
#: Street names preferred as a village's main street (through road), in order.
SPINE_PREFERENCE = ("Warszawska", "Główna", "Zegrzyńska", "Pułtuska", "Nasielska", "Jana Pawła II",
                    "Modlińska", "Legionowska", "Kolejowa")


@dataclass
class Street:
    """A street (or track) of a local layout: a chain of node ids and its attributes."""

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
class House:
    """A house of a local layout, on one side of its address street (or at the end of a track)."""

    x: float
    y: float
    street: int         # index into streets (address street)
    s: float            # arc position along that street (ordering)
    side: int
    kind: str = "house"  # house, farm, remote
    angle: float = 0.0
    track: int = -1     # private track index (remote houses)


@dataclass
class LocalNet:
    """Nodes, streets, houses and candidate alternative tracks of one locality (local coordinates)."""

    xy: list[tuple[float, float]] = field(default_factory=list)
    streets: list[Street] = field(default_factory=list)
    houses: list[House] = field(default_factory=list)
    alt: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # track street -> alt path pts

    def node(self, x: float, y: float) -> int:
        """Add a node and return its id."""
        self.xy.append((float(x), float(y)))
        return len(self.xy) - 1

    def chain(self, pts: np.ndarray, start: int | None = None) -> list[int]:
        """Node ids of a polyline; its first point is the existing node ``start`` when given."""
        ids = [start] if start is not None else [self.node(*pts[0])]
        ids += [self.node(*p) for p in pts[1:]]
        return ids

    def line(self, i: int) -> LineString:
        """Geometry of street ``i``."""
        return LineString([self.xy[n] for n in self.streets[i].nodes])

    def lines(self) -> list[LineString]:
        """Geometries of every street."""
        return [self.line(i) for i in range(len(self.streets))]


def _walk(rng: np.random.Generator, start: np.ndarray | tuple[float, float], angle: float, length: float, step: float,
          wiggle: float) -> np.ndarray:
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


def _tangent_angle(net: LocalNet, street: Street, k: int) -> float:
    a = np.array(net.xy[street.nodes[max(k - 1, 0)]])
    b = np.array(net.xy[street.nodes[min(k + 1, len(street.nodes) - 1)]])
    d = b - a
    return math.atan2(d[1], d[0])


def _add_branch(rng: np.random.Generator, net: LocalNet, parents: list[int], props: dict[str, Any],
                length: tuple[float, float], step: float, clearance: float = 30.0, tries: int = 40,
                at_end: bool = False) -> int | None:
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
        net.streets.append(Street(nodes=net.chain(pts, par.nodes[k]), **props))
        return len(net.streets) - 1
    return None


def _place_houses(rng: np.random.Generator, net: LocalNet, plots: bool = False) -> None:
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
                    net.houses.append(House(p[0], p[1], si, s, side, kind="plot" if deep else "house",
                                             angle=math.atan2(d[1], d[0])))
                s += 45.0 if deep else rng.uniform(*st.spacing)


def _filter_houses(net: LocalNet) -> None:
    """Drop houses too close to another street or to another house."""
    if not net.houses:
        return
    lines = np.array(net.lines(), dtype=object)
    pts = shapely.points([(h.x, h.y) for h in net.houses])
    tree = shapely.STRtree(lines)
    hi, li = tree.query(pts, predicate="dwithin", distance=10.0)
    bad = set()
    for h, ln in zip(hi.tolist(), li.tolist()):
        own = net.houses[h].street
        trk = net.houses[h].track
        if ln != own and ln != trk:
            bad.add(h)
    keep = [h for i, h in enumerate(net.houses) if i not in bad]
    xy = np.array([(h.x, h.y) for h in keep])
    kd = cKDTree(xy)
    drop = set()
    for i, j in sorted(kd.query_pairs(11.0)):
        if i not in drop and j not in drop:
            drop.add(j)
    net.houses = [h for i, h in enumerate(keep) if i not in drop]


def layout_town(rng: np.random.Generator, streets: list[tuple[str, str]]) -> LocalNet:
    """Serock town: a grid core with cul-de-sacs and streets leading out of it.

    Parameters
    ----------
    rng
        The random generator (consumed).
    streets
        ``(name, ULIC)`` of the town's streets; must include ul. Kochanowskiego
        (the N-S line through the centre), ul. Tuwima (a road without houses)
        and ul. Norwida (a street leading out, with a duct).

    Returns
    -------
    LocalNet
        The layout around ``(0, 0)``.
    """
    net = LocalNet()
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
            net.streets.append(Street(nm[0], nm[0], nm[1], "grid", nodes, "residential", True, "paved",
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
                net.streets.append(Street(nm[0], nm[0], nm[1], "culdesac", nodes, "residential", True, "paved",
                                           houses=has, spacing=(18.0, 26.0), offset=(11.0, 13.0)))
    perim = [norw] + cul[ci:]
    slots = []
    for a in range(-500, 701, 100):
        slots += [(-600, a, math.pi), (800, a, 0.0), (a, -600, -math.pi / 2), (a, 800, math.pi / 2)]
    order = rng.permutation(len(slots))
    for nm, j in zip(perim, order):
        x, y, ang = slots[j]
        start = nid(int(x), int(y))
        path = _walk(rng, net.xy[start], ang + rot, rng.uniform(180, 420), 50.0, 0.03)
        nodes = net.chain(path, start)
        net.streets.append(Street(nm[0], nm[0], nm[1], "perimeter", nodes, "residential",
                                   bool(rng.random() < 0.7), "paved", spacing=(24.0, 36.0), offset=(13.0, 16.0)))
    _place_houses(rng, net)
    _filter_houses(net)
    return net


def layout_village(rng: np.random.Generator, streets: list[tuple[str, str]], locality: str, rm: int,
                   n_private: int, n_farms: int) -> LocalNet:
    """A street village: one or two main streets, side streets, farmsteads, private tracks.

    Parameters
    ----------
    rng
        The random generator (consumed).
    streets
        ``(name, ULIC)`` of the village's streets; none for a village without
        street names (its houses are numbered across the locality).
    locality
        Locality name (for messages and unnamed streets).
    rm
        TERYT SIMC kind (1: village; other kinds get a smaller layout when unnamed).
    n_private
        Private internal roads (~0.5 km) to remote houses.
    n_farms
        Farmsteads on short public tracks.

    Returns
    -------
    LocalNet
        The layout around ``(0, 0)``.

    Raises
    ------
    RuntimeError
        No room for a street even after extending the main street six times.
    """
    net = LocalNet()
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
    net.streets.append(Street(spine[0], sp_street, spine[1], "spine", net.chain(pts), "unclassified",
                               lit_village, "paved", telecom=telecom_village and not lit_village,
                               spacing=(34.0, 60.0), offset=(15.0, 22.0)))
    spines = [0]
    if n > 8:
        nm = others.pop(0)
        mid = len(net.streets[0].nodes) // 2 + int(rng.integers(-2, 3))
        turn = 1 if rng.random() < 0.5 else -1
        ang2 = _tangent_angle(net, net.streets[0], mid) + turn * (math.pi / 2 + rng.normal(0, 0.2))
        p2 = _walk(rng, net.xy[net.streets[0].nodes[mid]], ang2, float(np.clip(300 + 30 * n, 500, 1500)), step, 0.03)
        net.streets.append(Street(nm[0], nm[0], nm[1], "spine", net.chain(p2, net.streets[0].nodes[mid]),
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
        net.houses.append(House(p[0], p[1], 0, 1e6 + k0, 1, kind="farm", angle=a, track=si))
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
            net.houses.append(House(p[0], p[1], 0, 2e6 + 10 * si + j, 1, kind="remote", angle=a, track=si))
        # candidate alternative public track from the far end to another node of the village
        tr_nodes = set(tr.nodes)
        endp = Point(end)
        others_ln = [net.line(i) for i in range(len(net.streets)) if i != si]
        cands = sorted((endp.distance(Point(net.xy[nn])), nn) for st in net.streets if st is not tr
                        for nn in st.nodes if nn not in tr_nodes)
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
