"""The road network of a synthetic area: local layouts put in place, links, roads layer.

:func:`assemble` moves the local layouts (:mod:`planner.synthetic.layout`) of
every locality to its centre and numbers nodes, streets and houses globally;
:meth:`Network.add_link` adds an inter-village road decided by
:func:`planner.synthetic.links.plan_links`; :func:`finish_roads` cuts the
streets into one road row per edge (crossing roads share a node) and builds
the ``roads`` layer of :mod:`planner.schema`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from planner.synthetic.layout import LocalNet
from planner.synthetic.links import MAIN_ROLES

__all__ = ["Network", "assemble", "promote_main_streets", "node_crossings", "finish_roads", "road_stats"]

logger = logging.getLogger(__name__)

#: Road classes in increasing rank; a main street carrying a link takes the link's class.
_RANK = {"residential": 0, "unclassified": 1, "tertiary": 2, "secondary": 3}


@dataclass
class Network:
    """Nodes, streets and houses of a whole synthetic area (working CRS).

    Attributes
    ----------
    node_xy
        ``(n, 2)`` node coordinates.
    node_simc
        SIMC of the locality each node belongs to (``""`` for link nodes).
    streets
        One dict per street: ``simc, name, street, ulic, role, nodes, highway,
        lit, surface, private, telecom, alt``.
    houses
        One dict per house: ``simc, x, y, street, s, side, kind, angle, track``.
    corner_node
        Waypoint -> node, so links leaving one main-street end share its first stub.
    """

    node_xy: np.ndarray
    node_simc: np.ndarray
    streets: list[dict[str, Any]]
    houses: list[dict[str, Any]]
    corner_node: dict[tuple[float, float], int] = field(default_factory=dict)

    def add_link(self, a: int, b: int, highway: str, step: float, telecom: bool,
                 way: list[tuple[float, ...]] | None = None) -> None:
        """Add a road from node ``a`` to node ``b`` through ``way`` with vertices every ``step`` metres.

        Parameters
        ----------
        a, b
            End nodes.
        highway
            Road class.
        step
            Vertex spacing, metres.
        telecom
            Telecom poles line the road.
        way
            Waypoints; a waypoint reuses the node another link placed there.
        """
        corners = [self.node_xy[a]] + [np.asarray(w, float) for w in (way or [])] + [self.node_xy[b]]
        ids: list[int] = []
        for k, (pa, pb) in enumerate(zip(corners[:-1], corners[1:])):
            if k:  # a waypoint: reuse the node another link placed there
                key = (round(float(pa[0]), 2), round(float(pa[1]), 2))
                if key not in self.corner_node:
                    self.corner_node[key] = len(self.node_xy)
                    self.node_xy = np.vstack([self.node_xy, pa[None]])
                    self.node_simc = np.concatenate([self.node_simc, [""]])
                ids.append(self.corner_node[key])
            n = max(1, int(np.ceil(np.linalg.norm(pb - pa) / step)))
            mid = pa + (pb - pa) * (np.arange(1, n) / n)[:, None]
            ids += list(range(len(self.node_xy), len(self.node_xy) + len(mid)))
            self.node_xy = np.vstack([self.node_xy, mid]) if len(mid) else self.node_xy
            self.node_simc = np.concatenate([self.node_simc, [""] * len(mid)])
        self.streets.append(dict(simc="", name="", street="", ulic="", role="link", nodes=[a] + ids + [b],
                                 highway=highway, lit=False, surface="paved", private=False, telecom=telecom,
                                 alt=None))

    def public_mask(self) -> np.ndarray:
        """Nodes on a public road (not only on private or farm tracks)."""
        public_nodes = set()
        for st in self.streets:
            if st["role"] not in ("private_track", "farm_track"):
                public_nodes.update(st["nodes"])
        pub_mask = np.zeros(len(self.node_xy), bool)
        pub_mask[list(public_nodes)] = True
        return pub_mask


def assemble(nets: dict[str, LocalNet], pos: dict[str, np.ndarray], order: Iterable[str]) -> Network:
    """Put every local layout at its locality's centre and number everything globally.

    Parameters
    ----------
    nets
        SIMC -> local layout.
    pos
        SIMC -> centre (working CRS).
    order
        SIMC codes in the order they are numbered.

    Returns
    -------
    Network
    """
    node_xy: list[np.ndarray] = []
    node_simc: list[str] = []
    streets: list[dict[str, Any]] = []
    houses: list[dict[str, Any]] = []
    base = 0
    for s in order:
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
    return Network(node_xy=np.vstack(node_xy), node_simc=np.array(node_simc), streets=streets, houses=houses)


def promote_main_streets(net: Network, links: list[tuple[int, int, str, float, list[tuple[float, ...]]]]) -> None:
    """Main roads pass through the villages: a main street carrying a link takes the link's class."""
    main_of: dict[int, list[int]] = {}
    for k, st in enumerate(net.streets):
        if st["role"] in MAIN_ROLES:
            for n_ in st["nodes"]:
                main_of.setdefault(n_, []).append(k)
    for a, b, hw, _, _ in links:
        for end in (a, b):
            for k in main_of.get(end, []):
                if _RANK[hw] > _RANK[net.streets[k]["highway"]]:
                    net.streets[k]["highway"] = hw


def node_crossings(R: pd.DataFrame, node_xy: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Split road edges that cross without a shared node (a few links over village roads).

    Parameters
    ----------
    R
        Road edges: columns ``street, u, v``.
    node_xy
        Node coordinates.

    Returns
    -------
    R : pandas.DataFrame
        The edges, split at every crossing.
    node_xy : numpy.ndarray
        The nodes with the crossing nodes appended.
    """
    lines = shapely.linestrings(np.stack([node_xy[R.u], node_xy[R.v]], axis=1))
    i, j = shapely.STRtree(lines).query(lines, predicate="crosses")
    keep = i < j
    splits: dict[int, list[tuple[float, int]]] = {}
    new_xy: list[tuple[float, float]] = []
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


def finish_roads(net: Network, crs: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """The ``roads`` layer: one row per edge between consecutive nodes, crossings split.

    ``net.node_xy`` and ``net.node_simc`` gain the crossing nodes.

    Parameters
    ----------
    net
        The network, links added.
    crs
        CRS of the layer.

    Returns
    -------
    roads : geopandas.GeoDataFrame
        Schema columns ``id, highway, name, surface, lit, private``; ids ``r000000``...
    R : pandas.DataFrame
        Edge table ``street, u, v`` (row ``k`` is road ``k``).
    S : pandas.DataFrame
        The streets as a table.
    """
    road_rows = []
    for k, st in enumerate(net.streets):
        for a, b in zip(st["nodes"][:-1], st["nodes"][1:]):
            road_rows.append((k, a, b))
    R = pd.DataFrame(road_rows, columns=["street", "u", "v"])
    # one road per node pair (links sharing a stub): the first street keeps it
    R = R[~pd.DataFrame({"a": R[["u", "v"]].min(axis=1), "b": R[["u", "v"]].max(axis=1)}).duplicated()]
    R = R.reset_index(drop=True)
    R, net.node_xy = node_crossings(R, net.node_xy)
    net.node_simc = np.concatenate([net.node_simc, [""] * (len(net.node_xy) - len(net.node_simc))])
    S = pd.DataFrame(net.streets)
    node_xy = net.node_xy
    roads = gpd.GeoDataFrame({
        "id": pd.Series([f"r{k:06d}" for k in range(len(R))], dtype=object),
        "highway": R.street.map(S.highway).astype(object),
        "name": R.street.map(S.name).astype(object),
        "surface": R.street.map(S.surface).astype(object),
        "lit": R.street.map(S.lit).astype(bool),
        "private": R.street.map(S.private).astype(bool),
    }, geometry=shapely.linestrings(np.stack([node_xy[R.u].round(2), node_xy[R.v].round(2)], axis=1)), crs=crs)
    return roads, R, S


def road_stats(roads: gpd.GeoDataFrame, R: pd.DataFrame, node_xy: np.ndarray, addresses: gpd.GeoDataFrame,
               pops: gpd.GeoDataFrame) -> dict[str, float]:
    """Road distance of every address (nearest road edge + drop) from the POPs, for the README.

    Returns
    -------
    dict
        ``share_ratio_16`` (share of addresses at most 1.6 x their straight-line
        distance from the first POP by road), ``median_ratio``, ``max_reach_km``
        (nearest POP) and ``max_reach_pop0_km`` (first POP).
    """
    ln = roads.length.to_numpy()
    n = len(node_xy)
    G = coo_matrix((ln, (R.u, R.v)), shape=(n, n)).tocsr()  # one row per node pair (see finish_roads)
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
