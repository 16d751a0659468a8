"""Inter-village roads: which localities a road links and where it joins them.

:func:`plan_links` decides the road network between the localities of one or
more communes (regional, county and local roads; a greedy spanner keeps the
network from being winding).  The nodes of each link are added by
:meth:`planner.synthetic.network.Network.add_link`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import minimum_spanning_tree
from shapely.geometry import LineString, Point
from shapely.ops import substring

__all__ = ["plan_links", "MAIN_ROLES", "RADIAL_M", "LINK_KNN", "KNN_MAX_M", "SPANNER_MAX_M", "SPANNER_STRETCH",
           "GATE_M"]

logger = logging.getLogger(__name__)

#: Streets a through road may join.
MAIN_ROLES = ("spine", "grid", "perimeter")
#: Radial roads from a hub (commune seat) to localities this near, centre to centre. [A]
RADIAL_M = 5_500.0
#: Each locality is linked to its nearest neighbours ... [A]
LINK_KNN = 2
#: ... up to this distance. [A]
KNN_MAX_M = 5_000.0
#: Locality pairs this near whose road distance exceeds SPANNER_STRETCH x ... [A]
SPANNER_MAX_M = 9_000.0
#: ... the straight line get a direct road (greedy spanner). [A]
SPANNER_STRETCH = 1.25
#: A link leaves a village continuing its main street this far. [A]
GATE_M = 100.0


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



def plan_links(locs: list[str], commune: dict[str, str], pos: dict[str, np.ndarray], streets: list[dict[str, Any]],
               houses: list[dict[str, Any]], node_xy: np.ndarray, node_simc: np.ndarray, pub_mask: np.ndarray, *,
               hubs: tuple[str, ...], secondary: tuple[tuple[str, str], ...] = ()
               ) -> list[tuple[int, int, str, float, list[tuple[float, ...]]]]:
    """Inter-village roads: ``(node_a, node_b, highway, vertex spacing, waypoints)`` of every link.

    Links, in order: the regional roads between the ``secondary`` pairs
    (``secondary``; in the demo Serock town - Wieliszew), the minimum spanning
    tree of each commune and radial roads from each hub to the localities of
    its commune within :data:`RADIAL_M` (``tertiary``, county roads), and each
    locality to its :data:`LINK_KNN` nearest neighbours within
    :data:`KNN_MAX_M` (``unclassified``) -- optional links stay within a commune
    (in the demo the Zegrze reservoir lies between them) -- then a greedy
    spanner: locality pairs within :data:`SPANNER_MAX_M` whose road distance
    over the links so far exceeds :data:`SPANNER_STRETCH` x their distance get
    a direct ``unclassified`` link.  A link joins main-street nodes of its two
    localities (so the main road passes through the village), preferably
    continuing a main street :data:`GATE_M` straight out of its end, else
    directly from a main-street node: the shortest candidate whose line keeps
    12 m from houses, 20 m from private tracks (60 m from their far ends; farm
    tracks may be crossed: a junction) and clear of every other locality; an
    optional link may cross an accepted one only at >= 30 degrees (a
    crossroads: :func:`planner.synthetic.network.node_crossings` later splits
    both at a shared node).

    Parameters
    ----------
    locs
        SIMC codes of the localities, in generation order.
    commune
        SIMC -> commune key; communes are linked in the sorted order of their keys.
    pos
        SIMC -> centre of the locality.
    streets, houses
        Streets and houses of the assembled network (:class:`~planner.synthetic.network.Network`).
    node_xy, node_simc, pub_mask
        Node coordinates, node locality and which nodes are on public roads.
    hubs
        Localities with radial county roads (the commune seats).
    secondary
        Locality pairs joined first by a regional road.

    Returns
    -------
    list of tuple
        One ``(node_a, node_b, highway, step_m, waypoints)`` per link.

    Raises
    ------
    RuntimeError
        A required link (regional road or spanning tree) finds no clean route.
    """
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
        if st["role"] in MAIN_ROLES:
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
        if st["role"] in MAIN_ROLES and len(st["nodes"]) >= 2:
            ns = st["nodes"]
            for end, prev in ((ns[-1], ns[-2]),) + (((ns[0], ns[1]),) if st["role"] != "perimeter" else ()):
                d = node_xy[end] - node_xy[prev]
                gates[st["simc"]].append((end, d / max(float(np.linalg.norm(d)), 1e-9)))

    def candidates(si: str, sj: str) -> list[list[tuple[float, int, int, list[tuple[float, ...]]]]]:
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
            cand: list[tuple[float, int, int, list[tuple[float, ...]]]] = []
            for a in pool_i[np.argsort(np.linalg.norm(node_xy[pool_i] - pos[sj], axis=1), kind="stable")[:na]]:
                dj = np.linalg.norm(node_xy[pool_j] - node_xy[a], axis=1)
                cand += [(float(dj[k]), int(a), int(pool_j[k]), []) for k in np.argsort(dj, kind="stable")[:nb]]
            groups.append(sorted(cand))
        return groups

    def best_pair(si: str, sj: str, optional: bool) -> tuple[int, int, list[tuple[float, ...]]] | None:
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

    spec: list[tuple[str, str, str, bool]] = [(a, b, "secondary", False) for a, b in secondary]
    for c in sorted(set(commune.values())):
        cl = [s for s in locs if commune[s] == c]
        P = np.array([pos[s] for s in cl])
        mst = minimum_spanning_tree(np.linalg.norm(P[:, None] - P[None], axis=2)).tocoo()
        spec += [(cl[i], cl[j], "tertiary", False) for i, j in sorted(zip(mst.row.tolist(), mst.col.tolist()))]
    for hub in hubs:
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
    seen: set[frozenset[str]] = set()
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
