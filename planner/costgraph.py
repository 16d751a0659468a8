"""Cost graph: the road network as an undirected graph priced per deployment.

Stage ``costgraph`` of the pipeline (``whitespots -> costgraph -> routing ->
design``).  :func:`build_cost_graph` turns the road layer of an
:class:`~planner.area.Area` into an undirected graph in metres whose edges
carry the price of every way of laying fibre along them, and maps every target
address and POP onto it.  All prices and rules come from
:class:`planner.config.CostConfig` and :class:`planner.config.DesignConfig`.

Rules (all vectorised with shapely 2 / geopandas' STRtree / numpy)
------------------------------------------------------------------
Noding
    Road lines (multi-parts exploded; ``DesignConfig.excluded_highways``
    dropped) are cut at their ends, at vertices shared with another road
    (within ``node_snap_m``; OSM ways share nodes at junctions) and where a
    road end lies on another road's interior (T-junction digitised without a
    shared vertex).  Roads that cross *without* a shared vertex (bridges,
    tunnels) are not connected.  Cut points closer than ``node_snap_m`` are
    one node.
Soft cuts
    Lines are further cut where a pole chain starts/ends, where a reusable
    duct starts/ends, at the access point of every target and at every POP.
    A soft cut within ``access_snap_m`` (along the road) of a junction or of
    another soft cut is merged into it instead of creating a new node (duct
    ends: within ``duct_follow_distance_m`` of a junction).
Aerial
    Usable poles within ``pole_offset_max_m`` of a road line are projected on
    it; a *chain* is a maximal run of at least ``min_chain_poles`` poles whose
    consecutive spans are <= ``pole_span_max_m``.  A chain covers the road from
    ``first - span`` to ``last + span`` (a span may reach from an edge end to
    the first pole).  Where a chain does not reach the road's end the road is
    cut at the chain's first/last pole, so a partly poled road gets an aerial
    part and an underground part.  An edge is aerial-feasible if one chain
    covers it.  Its price is ``aerial_pln_per_m`` x length plus the attachment
    fee of every pole on it, each by its own owner; a pole is charged on the
    one road it is nearest to (junction poles are not charged twice).  The
    edge's ``pole_owner`` is the majority owner of its poles (ties in the order
    of :data:`planner.schema.POLE_OWNERS`), or the chain's majority owner when
    the edge is a short hop between poles.
Duct reuse
    A duct with ``free_subducts >= 1`` follows an edge if at least
    ``duct_follow_min_share`` of the edge lies within ``duct_follow_distance_m``
    of it; price ``duct_reuse_pln_per_m`` x length.  The duct with the
    largest share is used.
Trench
    Always feasible.  Surface: ``carriageway`` along the classes of
    ``carriageway_highways`` (no free verge assumed), otherwise the road's
    ``surface`` (``unpaved``/``paved``).  Road crossings: a trench edge of a
    road *not* in ``crossing_highways`` counts one crossing at each of its end
    nodes through which a road of those classes passes (two or more of its
    edges meet there), since the side street must reach the other side of the
    main road in general (conservative: an X junction is charged on both side
    streets).  Price: per metre by surface plus ``road_crossing_pln`` per
    crossing.
Consents
    The parcel of an edge is the parcel holding the largest share of it, if
    that share is >= ``parcel_min_share``.  In a *private* parcel the edge
    takes the parcel's consent; in a public one it needs none.  A private road
    in no parcel takes ``private_road_consent`` (default ``pending``).  Refused
    edges stay in :attr:`CostGraph.edges` with ``usable=False`` (the design
    removes them and uses them only to tell ``consent_refused`` from
    ``no_road_access``); pending edges get ``consent_pending_penalty_pln``
    added once per edge.
Choice
    The cheapest feasible option is recorded in ``deployment`` (ties in the
    order aerial, duct, trench) and ``cost_pln`` (plus the pending penalty).
    ``DesignConfig.allow_aerial`` / ``allow_duct_reuse`` switch options off.
Access and drops
    Each target is projected onto the nearest road line within
    ``max_access_distance_m`` (ties: lowest road row).  The drop runs from
    that access node to the *fence*: the first point where the straight line
    to the address enters the parcel that contains the address, or the address
    point itself when no parcel contains it (or the access node already lies
    inside that parcel).  A drop from a road in ``crossing_highways`` is
    assumed to cross it when the address lies on the left of the road's
    digitised direction (the underground network is assumed on the right
    verge) -- ``crossing_if_underground``; the design charges it only when the
    segment the drop hangs off is not aerial.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from tqdm import tqdm

from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.config import Config
from planner.schema import DEPLOYMENT_TYPES, POLE_OWNERS

__all__ = ["CostGraph", "build_cost_graph", "EDGE_COLUMNS", "ACCESS_COLUMNS"]

logger = logging.getLogger(__name__)

#: Columns of :attr:`CostGraph.edges` (plus ``geometry``).
EDGE_COLUMNS: tuple[str, ...] = (
    "u", "v", "length_m", "deployment", "cost_pln",
    "pole_owner", "pole_ids", "n_poles", "duct_id", "surface", "road_crossings",
    "consent", "parcel_id", "road_id", "highway",
    "cost_aerial", "cost_duct", "cost_trench",
    "poles_commune_lighting", "poles_telecom", "poles_power",
    "usable", "road_index", "road_from_m", "road_to_m",
)

#: Columns of :attr:`CostGraph.access` (plus ``geometry``, the drop line).
ACCESS_COLUMNS: tuple[str, ...] = (
    "address_id", "access_node", "access_distance_m", "drop_length_m",
    "fence_parcel_id", "crossing_if_underground", "reason",
)

_EPS = 1e-6
_SRC_STRUCT, _SRC_CHAIN, _SRC_DUCT, _SRC_TARGET, _SRC_POP = 0, 1, 2, 3, 4


@dataclass
class CostGraph:
    """The priced road graph of one study area.

    Attributes
    ----------
    node_xy
        ``(n_nodes, 2)`` float array of node coordinates (easting, northing).
    edges
        One row per undirected edge, columns :data:`EDGE_COLUMNS` and the edge
        ``geometry`` (digitised in the direction of its road, from ``u`` to
        ``v``).  ``cost_aerial``/``cost_duct``/``cost_trench`` are ``inf`` where
        the option is infeasible or switched off; ``usable`` is ``False`` for
        edges in a parcel whose consent is refused.
    access
        One row per target address (in the order given), columns
        :data:`ACCESS_COLUMNS`; ``geometry`` is the drop line from the access
        node to the fence (``None`` and ``access_node == -1`` with ``reason ==
        'no_road_access'`` if no road is within ``max_access_distance_m``).
    pop_nodes
        Node of each POP (in the order of the ``pops`` layer).
    pop_ids
        Ids of the POPs.
    crs
        CRS of all geometries.
    """

    node_xy: np.ndarray
    edges: gpd.GeoDataFrame
    access: gpd.GeoDataFrame
    pop_nodes: np.ndarray
    pop_ids: np.ndarray
    crs: str

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _first_per_group(group: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each ``group`` value after sorting by ``keys``.

    Rows are ordered by ``group`` then ``keys`` (earlier keys more significant);
    the first row of every group is returned, so ties are broken by the keys
    and finally by the original position (stable).
    """
    if group.size == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort(tuple(reversed((group,) + keys)))
    g = group[order]
    first = np.r_[True, g[1:] != g[:-1]]
    return order[first]


def _prev_next(line_a: np.ndarray, d_a: np.ndarray, line_q: np.ndarray, d_q: np.ndarray,
               q_after: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """For query positions on lines, the previous and next anchor on the same line.

    Anchors (``line_a``, ``d_a``) and queries are merged in the exact order
    (line, distance, kind); with ``q_after`` a query at the same distance as an
    anchor sorts after it.  Returns anchor indices (``-1`` where there is none on
    the same line).
    """
    na, nq = line_a.size, line_q.size
    if na == 0:
        return np.full(nq, -1, dtype=np.int64), np.full(nq, -1, dtype=np.int64)
    line = np.concatenate([line_a, line_q])
    d = np.concatenate([d_a, d_q])
    kind = np.concatenate([np.zeros(na, np.int8), np.full(nq, 1 if q_after else -1, np.int8)])
    ident = np.concatenate([np.arange(na), -np.ones(nq, dtype=np.int64)])
    order = np.lexsort((kind, d, line))
    is_anchor = ident[order] >= 0
    pos = np.arange(order.size)
    last = np.maximum.accumulate(np.where(is_anchor, pos, -1))
    nxt = np.minimum.accumulate(np.where(is_anchor, pos, order.size)[::-1])[::-1]
    q_pos = np.flatnonzero(~is_anchor)
    q_ids = order[q_pos] - na
    prev = np.full(nq, -1, dtype=np.int64)
    nextr = np.full(nq, -1, dtype=np.int64)
    lp = last[q_pos]
    ok = lp >= 0
    prev[q_ids[ok]] = ident[order[lp[ok]]]
    np_ = nxt[q_pos]
    ok = np_ < order.size
    nextr[q_ids[ok]] = ident[order[np_[ok]]]
    # only anchors on the same line count
    prev[(prev >= 0) & (line_a[np.maximum(prev, 0)] != line_q)] = -1
    nextr[(nextr >= 0) & (line_a[np.maximum(nextr, 0)] != line_q)] = -1
    return prev, nextr


def _str_col(df: pd.DataFrame, name: str, default: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), default, dtype=object)
    s = df[name].astype(object)
    return s.where(s.notna() & (s != ""), default).astype(str).to_numpy(dtype=object)


def _bool_col(df: pd.DataFrame, name: str, default: bool) -> np.ndarray:
    if name not in df:
        return np.full(len(df), default, dtype=bool)
    return df[name].fillna(default).astype(bool).to_numpy()


def _geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(gdf.geometry.values, dtype=object)


def _nearest_line(tree: Any, pts: np.ndarray, max_distance: float | None) -> np.ndarray:
    """Index of the nearest line for each point (``-1`` beyond ``max_distance``); ties -> lowest index."""
    out = np.full(len(pts), -1, dtype=np.int64)
    if len(pts) == 0:
        return out
    idx = tree.nearest(pts, return_all=True, max_distance=max_distance)
    if idx.shape[1]:
        first = _first_per_group(idx[0], idx[1])
        out[idx[0, first]] = idx[1, first]
    return out


# ---------------------------------------------------------------------------
# construction steps
# ---------------------------------------------------------------------------


@dataclass
class _Lines:
    """Road lines (one LineString per row) and their vertices with distances along them."""

    table: pd.DataFrame
    geom: np.ndarray
    length: np.ndarray
    tree: Any
    coords: np.ndarray  # vertex coordinates
    vidx: np.ndarray    # line of each vertex
    vd: np.ndarray      # distance of each vertex along its line
    is_end: np.ndarray  # first or last vertex of its line


class _Cuts:
    """Accumulates the positions where road lines are cut (later: graph nodes)."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray | None, int, np.ndarray | None]] = []

    def add(self, line: np.ndarray, d: np.ndarray, src: int, xy: np.ndarray | None = None,
            ref: np.ndarray | None = None) -> None:
        self._parts.append((np.asarray(line, np.int64), np.asarray(d, float), xy, src, ref))

    def arrays(self, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``line, d, xy, src, ref`` of all cuts; missing coordinates are interpolated."""
        line = np.concatenate([p[0] for p in self._parts])
        d = np.concatenate([p[1] for p in self._parts])
        src = np.concatenate([np.full(p[0].size, p[3], np.int64) for p in self._parts])
        ref = np.concatenate([p[4] if p[4] is not None else -np.ones(p[0].size, np.int64) for p in self._parts])
        xy = np.empty((line.size, 2))
        pos = 0
        for ln, dd, pxy, _, _ in self._parts:
            k = ln.size
            if k:
                xy[pos:pos + k] = pxy if pxy is not None else shapely.get_coordinates(
                    shapely.line_interpolate_point(lines[ln], dd))
            pos += k
        return line, d, xy, src, ref


def _road_lines(area: Area, config: Config) -> _Lines:
    dc = config.design
    roads = area.roads
    r = roads
    if "highway" in roads:
        r = roads.loc[~roads["highway"].astype(object).isin(list(dc.excluded_highways)).to_numpy()]
    r = r[~r.geometry.is_empty & r.geometry.notna()]
    r = r.explode(index_parts=False)
    r = r[r.geometry.geom_type == "LineString"]
    r = r[r.geometry.length > _EPS].reset_index(drop=True)
    if len(r) == 0:
        raise InputDataError("no usable roads in the study area", [Problem(
            file=area.sources.get("roads", "roads"), message="the roads layer has no usable line",
            fix="give a roads layer with LineStrings (excluded classes: " + ", ".join(dc.excluded_highways) + ")")])
    geom = _geoms(r)
    length = shapely.length(geom)
    coords, vidx = shapely.get_coordinates(geom, return_index=True)
    same = vidx[1:] == vidx[:-1]
    seg = np.where(same, np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1])), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    starts = np.r_[0, np.flatnonzero(~same) + 1]
    ends = np.r_[starts[1:] - 1, len(vidx) - 1]
    vd = cum - cum[starts][vidx]
    vd[ends] = length  # exact line ends
    is_end = np.zeros(len(vidx), dtype=bool)
    is_end[starts] = True
    is_end[ends] = True
    return _Lines(table=r, geom=geom, length=length, tree=gpd.GeoSeries(geom, crs=area.crs).sindex,
                  coords=coords, vidx=vidx, vd=vd, is_end=is_end)


def _structural_cuts(L: _Lines, cuts: _Cuts, snap: float) -> None:
    """Road ends, vertices shared with another road, and T-junctions."""
    shared = np.zeros(len(L.vidx), dtype=bool)
    pairs = cKDTree(L.coords).query_pairs(snap, output_type="ndarray")
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        ok = (L.vidx[i] != L.vidx[j]) | (np.abs(L.vd[i] - L.vd[j]) > 2 * snap)
        shared[i[ok]] = True
        shared[j[ok]] = True
    hv = np.flatnonzero(L.is_end | shared)
    cuts.add(L.vidx[hv], L.vd[hv], _SRC_STRUCT, xy=L.coords[hv])
    # a road end on another road's interior (T-junction without a shared vertex)
    end_pts = shapely.points(L.coords[L.is_end])
    end_line = L.vidx[L.is_end]
    pi, li = L.tree.query(end_pts, predicate="dwithin", distance=snap)
    ok = li != end_line[pi]
    pi, li = pi[ok], li[ok]
    d = shapely.line_locate_point(L.geom[li], end_pts[pi])
    ok = (d > snap) & (d < L.length[li] - snap)
    cuts.add(li[ok], d[ok], _SRC_STRUCT, xy=shapely.get_coordinates(end_pts[pi[ok]]))


@dataclass
class _Poles:
    """Usable poles, the chains they form and where each is charged."""

    table: pd.DataFrame
    owner_code: np.ndarray
    chain_line: np.ndarray
    chain_lo: np.ndarray   # covered from (first pole - span) ...
    chain_hi: np.ndarray   # ... to (last pole + span), along the line
    chain_owner: np.ndarray
    line: np.ndarray       # line each pole is charged on (-1: none)
    d: np.ndarray          # its position along that line


def _pole_chains(area: Area, config: Config, L: _Lines, cuts: _Cuts) -> _Poles:
    dc = config.design
    poles = area.layers["poles"]
    if len(poles):
        ok = _bool_col(poles, "usable", True) & poles["owner"].astype(object).isin(POLE_OWNERS).to_numpy()
        poles = poles.loc[ok].reset_index(drop=True)
    if not dc.allow_aerial:
        poles = poles.iloc[0:0]
    geom = _geoms(poles) if len(poles) else np.empty(0, dtype=object)
    owner_code = pd.Categorical(poles["owner"].astype(object), categories=POLE_OWNERS).codes.astype(np.int64)
    span = dc.pole_span_max_m
    pi, li = L.tree.query(geom, predicate="dwithin", distance=dc.pole_offset_max_m)
    d = shapely.line_locate_point(L.geom[li], geom[pi])
    order = np.lexsort((pi, d, li))
    pi, li, d = pi[order], li[order], d[order]
    brk = np.r_[True, (li[1:] != li[:-1]) | (np.diff(d) > span + _EPS)] if li.size else np.empty(0, bool)
    cid = np.cumsum(brk) - 1
    n_ch = int(cid[-1] + 1) if cid.size else 0
    first = np.flatnonzero(brk)
    last = np.r_[first[1:] - 1, li.size - 1] if n_ch else np.empty(0, np.int64)
    owner_cnt = np.zeros((n_ch, len(POLE_OWNERS)), dtype=np.int64)
    np.add.at(owner_cnt, (cid, owner_code[pi]), 1)
    good = np.bincount(cid, minlength=n_ch) >= dc.min_chain_poles
    chain_line = li[first][good]
    chain_lo = d[first][good] - span
    chain_hi = d[last][good] + span
    # cut where a chain stops short of the road's end, at its first / last pole
    lo_cut = chain_lo > _EPS
    hi_cut = chain_hi < L.length[chain_line] - _EPS
    cuts.add(chain_line[lo_cut], chain_lo[lo_cut] + span, _SRC_CHAIN)
    cuts.add(chain_line[hi_cut], chain_hi[hi_cut] - span, _SRC_CHAIN)
    # each pole is charged on its nearest road line only
    line = _nearest_line(L.tree, geom, dc.pole_offset_max_m)
    pd_ = np.full(len(geom), np.nan)
    has = line >= 0
    pd_[has] = shapely.line_locate_point(L.geom[line[has]], geom[has])
    return _Poles(table=poles, owner_code=owner_code, chain_line=chain_line, chain_lo=chain_lo,
                  chain_hi=chain_hi, chain_owner=np.argmax(owner_cnt[good], axis=1) if good.any() else np.empty(0, np.int64),
                  line=line, d=pd_)


def _reusable_ducts(area: Area, config: Config, L: _Lines, cuts: _Cuts) -> gpd.GeoDataFrame:
    """Ducts with a free sub-duct; cut the roads where such a duct starts or ends."""
    dc = config.design
    ducts = area.layers["ducts"]
    if not dc.allow_duct_reuse or len(ducts) == 0:
        return ducts.iloc[0:0]
    free = pd.to_numeric(ducts["free_subducts"], errors="coerce").fillna(0).to_numpy()
    ducts = ducts.loc[free >= 1].reset_index(drop=True)
    parts = shapely.get_parts(_geoms(ducts))
    ends = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
    pi, li = L.tree.query(ends, predicate="dwithin", distance=dc.duct_follow_distance_m)
    d = shapely.line_locate_point(L.geom[li], ends[pi])
    ok = (d > _EPS) & (d < L.length[li] - _EPS)
    cuts.add(li[ok], d[ok], _SRC_DUCT)
    return ducts


def _point_cuts(pts: np.ndarray, L: _Lines, cuts: _Cuts, src: int, max_distance: float) -> np.ndarray:
    """Cut the nearest road line at the projection of each point; returns the line (-1: none)."""
    line = _nearest_line(L.tree, pts, max_distance)
    ok = np.flatnonzero(line >= 0)
    d = shapely.line_locate_point(L.geom[line[ok]], pts[ok]) if ok.size else np.empty(0)
    cuts.add(line[ok], np.clip(d, 0.0, L.length[line[ok]]), src, ref=ok.astype(np.int64))
    return line


@dataclass
class _Nodes:
    node_xy: np.ndarray
    rep_line: np.ndarray   # the distinct cuts, sorted by (line, distance)
    rep_d: np.ndarray
    rep_node: np.ndarray
    cut_node: np.ndarray   # node of every cut
    cut_src: np.ndarray
    cut_ref: np.ndarray


def _merge_cuts(L: _Lines, cuts: _Cuts, config: Config) -> _Nodes:
    """Merge nearby cuts and number the nodes (deterministically)."""
    dc = config.design
    c_line, c_d, c_xy, c_src, c_ref = cuts.arrays(L.geom)
    rep = np.arange(c_line.size)
    h_idx = np.flatnonzero(c_src == _SRC_STRUCT)
    s_idx = np.flatnonzero(c_src != _SRC_STRUCT)
    if s_idx.size:
        # a soft cut close to a junction along its road joins it ...
        prev, nxt = _prev_next(c_line[h_idx], c_d[h_idx], c_line[s_idx], c_d[s_idx])
        dp = np.where(prev >= 0, c_d[s_idx] - c_d[h_idx[np.maximum(prev, 0)]], np.inf)
        dn = np.where(nxt >= 0, c_d[h_idx[np.maximum(nxt, 0)]] - c_d[s_idx], np.inf)
        # duct ends snap as far as the duct may lie from the road; others by access_snap_m
        tol = np.where(c_src[s_idx] == _SRC_DUCT, max(dc.access_snap_m, dc.duct_follow_distance_m), dc.access_snap_m)
        to_prev = (dp <= dn) & (dp <= tol)
        to_next = ~to_prev & (dn <= tol)
        rep[s_idx[to_prev]] = h_idx[prev[to_prev]]
        rep[s_idx[to_next]] = h_idx[nxt[to_next]]
        # ... and runs of soft cuts closer than access_snap_m become one
        free_s = s_idx[~(to_prev | to_next)]
        if free_s.size:
            o = free_s[np.lexsort((c_src[free_s], c_d[free_s], c_line[free_s]))]
            new = np.r_[True, (c_line[o][1:] != c_line[o][:-1]) | (np.diff(c_d[o]) > dc.access_snap_m)]
            rep[o] = o[np.flatnonzero(new)][np.cumsum(new) - 1]
    reps = np.unique(rep)
    reps = reps[np.lexsort((c_d[reps], c_line[reps]))]
    # cuts of different roads closer than node_snap_m are one node
    rxy = c_xy[reps]
    pairs = cKDTree(rxy).query_pairs(dc.node_snap_m, output_type="ndarray")
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(reps.size, reps.size))
    _, label = connected_components(adj, directed=False)
    _, first = np.unique(label, return_index=True)
    renum = np.empty(first.size, dtype=np.int64)
    renum[np.argsort(first, kind="stable")] = np.arange(first.size)  # order of first appearance
    rep_node = renum[label]
    rep_pos = np.full(c_line.size, -1, dtype=np.int64)
    rep_pos[reps] = np.arange(reps.size)
    return _Nodes(node_xy=rxy[np.sort(first)], rep_line=c_line[reps], rep_d=c_d[reps], rep_node=rep_node,
                  cut_node=rep_node[rep_pos[rep]], cut_src=c_src, cut_ref=c_ref)


@dataclass
class _Edges:
    line: np.ndarray
    u: np.ndarray
    v: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    geom: np.ndarray
    length: np.ndarray
    edge_of_start: np.ndarray  # edge starting at each distinct cut (-1: none)
    edge_of_end: np.ndarray    # edge ending at each distinct cut (-1: none)


def _split_lines(L: _Lines, N: _Nodes) -> _Edges:
    """Edges between consecutive cuts of each line, with the line's vertices in between."""
    ea = np.flatnonzero(N.rep_line[1:] == N.rep_line[:-1])
    eb = ea + 1
    n_e = ea.size
    u, v = N.rep_node[ea], N.rep_node[eb]
    d0, d1 = N.rep_d[ea], N.rep_d[eb]
    edge_of_start = np.full(N.rep_line.size, -1, dtype=np.int64)
    edge_of_start[ea] = np.arange(n_e)
    edge_of_end = np.full(N.rep_line.size, -1, dtype=np.int64)
    edge_of_end[eb] = np.arange(n_e)
    prev, nxt = _prev_next(N.rep_line, N.rep_d, L.vidx, L.vd)
    inside = (prev >= 0) & (nxt >= 0)
    inside &= L.vd > N.rep_d[np.maximum(prev, 0)] + _EPS
    inside &= L.vd < N.rep_d[np.maximum(nxt, 0)] - _EPS
    iv = np.flatnonzero(inside)
    part_edge = np.concatenate([np.arange(n_e), edge_of_start[prev[iv]], np.arange(n_e)])
    part_seq = np.concatenate([np.zeros(n_e), np.ones(iv.size), np.full(n_e, 2.0)])
    part_d = np.concatenate([d0, L.vd[iv], d1])
    part_xy = np.concatenate([N.node_xy[u], L.coords[iv], N.node_xy[v]])
    o = np.lexsort((part_d, part_seq, part_edge))
    geom = shapely.linestrings(part_xy[o], indices=part_edge[o]) if n_e else np.empty(0, dtype=object)
    return _Edges(line=N.rep_line[ea], u=u, v=v, d0=d0, d1=d1, geom=geom, length=shapely.length(geom),
                  edge_of_start=edge_of_start, edge_of_end=edge_of_end)


def _aerial(config: Config, P: _Poles, N: _Nodes, E: _Edges) -> dict[str, np.ndarray]:
    """Aerial cost, poles and owner of every edge."""
    cc = config.costs
    n_e = E.line.size
    owner_cnt = np.zeros((n_e, len(POLE_OWNERS)), dtype=np.int64)
    pole_ids = np.full(n_e, "", dtype=object)
    covered = np.zeros(n_e, dtype=bool)
    cover_chain = np.full(n_e, -1, dtype=np.int64)
    if P.chain_line.size and n_e:
        # the chain with the largest start at or before the edge start must reach its end
        co = np.lexsort((P.chain_lo, P.chain_line))
        prev, _ = _prev_next(P.chain_line[co], P.chain_lo[co], E.line, E.d0 + _EPS)
        ch = co[np.maximum(prev, 0)]
        covered = (prev >= 0) & (P.chain_lo[ch] <= E.d0 + _EPS) & (P.chain_hi[ch] >= E.d1 - _EPS)
        cover_chain = np.where(covered, ch, -1)
        pk = np.flatnonzero(P.line >= 0)
        pprev, _ = _prev_next(N.rep_line, N.rep_d, P.line[pk], P.d[pk])
        ok = pprev >= 0
        pk, pprev = pk[ok], pprev[ok]
        pe = E.edge_of_start[pprev]
        pe_end = E.edge_of_end[pprev]
        pe = np.where(pe < 0, pe_end, pe)  # a pole at a line's far end
        # a pole right at a cut belongs to the aerial side (a chain's end pole)
        at_cut = (np.abs(P.d[pk] - N.rep_d[pprev]) < _EPS) & (pe_end >= 0)
        swap = at_cut & ~covered[pe] & covered[np.maximum(pe_end, 0)]
        pe[swap] = pe_end[swap]
        np.add.at(owner_cnt, (pe, P.owner_code[pk]), 1)
        pid = P.table["id"].astype(str).to_numpy(dtype=object)[pk]
        df = pd.DataFrame({"e": pe, "d": P.d[pk], "id": pid}).sort_values(["e", "d", "id"], kind="stable")
        joined = df.groupby("e", sort=True)["id"].agg(";".join)
        pole_ids[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    fees = owner_cnt @ np.array([cc.pole_fee(o) for o in POLE_OWNERS], dtype=float)
    n_poles = owner_cnt.sum(axis=1)
    chain_owner = P.chain_owner[np.maximum(cover_chain, 0)] if P.chain_owner.size else np.zeros(n_e, np.int64)
    code = np.where(n_poles > 0, np.argmax(owner_cnt, axis=1), np.where(cover_chain >= 0, chain_owner, -1))
    owners = np.array(POLE_OWNERS + ("",), dtype=object)
    return {
        "cost": np.where(covered, cc.aerial_pln_per_m * E.length + fees, np.inf),
        "owner": owners[np.where(code >= 0, code, len(POLE_OWNERS))],
        "pole_ids": pole_ids,
        "owner_cnt": owner_cnt,
    }


def _duct(config: Config, ducts: gpd.GeoDataFrame, E: _Edges) -> tuple[np.ndarray, np.ndarray]:
    """Duct-reuse cost and duct id of every edge."""
    dc, cc = config.design, config.costs
    cost = np.full(E.line.size, np.inf)
    duct_id = np.full(E.line.size, "", dtype=object)
    if len(ducts) == 0 or E.line.size == 0:
        return cost, duct_id
    dg = _geoms(ducts)
    ei, di = gpd.GeoSeries(dg, crs=ducts.crs).sindex.query(E.geom, predicate="dwithin",
                                                            distance=dc.duct_follow_distance_m)
    buf = shapely.buffer(dg, dc.duct_follow_distance_m, quad_segs=4)
    share = shapely.length(shapely.intersection(E.geom[ei], buf[di])) / np.maximum(E.length[ei], _EPS)
    best = _first_per_group(ei, -share, di)
    ei, di, share = ei[best], di[best], share[best]
    ok = share >= dc.duct_follow_min_share - 1e-9
    cost[ei[ok]] = cc.duct_reuse_pln_per_m * E.length[ei[ok]]
    duct_id[ei[ok]] = ducts["id"].astype(str).to_numpy(dtype=object)[di[ok]]
    return cost, duct_id


def _trench(config: Config, highway: np.ndarray, surface: np.ndarray, n_nodes: int,
            E: _Edges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trench cost, surface class and road crossings of every edge."""
    dc, cc = config.design, config.costs
    hw = highway[E.line]
    sur = np.where(np.isin(hw, list(dc.carriageway_highways)), "carriageway",
                   np.where(surface[E.line] == "unpaved", "unpaved", "paved")).astype(object)
    major = np.isin(hw, list(dc.crossing_highways))
    mdeg = np.bincount(E.u[major], minlength=n_nodes) + np.bincount(E.v[major], minlength=n_nodes)
    cross = np.where(major, 0, (mdeg[E.u] >= 2).astype(np.int64) + (mdeg[E.v] >= 2).astype(np.int64))
    price = {s: cc.trench_pln_per_m(s) for s in ("unpaved", "paved", "carriageway")}
    per_m = np.select([sur == "unpaved", sur == "paved"], [price["unpaved"], price["paved"]], price["carriageway"])
    return per_m * E.length + cross * cc.road_crossing_pln, sur, cross


def _consents(config: Config, parcels: gpd.GeoDataFrame, private_road: np.ndarray,
              E: _Edges) -> tuple[np.ndarray, np.ndarray]:
    """Consent status and private parcel of every edge."""
    dc = config.design
    consent = np.full(E.line.size, "not_needed", dtype=object)
    consent[private_road[E.line]] = dc.private_road_consent
    parcel = np.full(E.line.size, "", dtype=object)
    if len(parcels) == 0 or E.line.size == 0:
        return consent, parcel
    pg = _geoms(parcels)
    ei, pi = parcels.sindex.query(E.geom, predicate="intersects")
    share = shapely.length(shapely.intersection(E.geom[ei], pg[pi])) / np.maximum(E.length[ei], _EPS)
    best = _first_per_group(ei, -share, pi)
    ei, pi, share = ei[best], pi[best], share[best]
    ok = share >= dc.parcel_min_share - 1e-9
    ei, pi = ei[ok], pi[ok]
    private = _str_col(parcels, "ownership", "private")[pi] == "private"
    consent[ei] = np.where(private, _str_col(parcels, "consent", "not_needed")[pi], "not_needed")
    parcel[ei] = np.where(private, parcels["id"].astype(str).to_numpy(dtype=object)[pi], "")
    return consent, parcel


# ---------------------------------------------------------------------------
# main entry point
# ---------------------------------------------------------------------------


def build_cost_graph(
    area: Area,
    config: Config,
    targets: gpd.GeoDataFrame,
    *,
    progress: bool = False,
) -> CostGraph:
    """Build the priced road graph and map targets and POPs onto it.

    Parameters
    ----------
    area
        Study area; uses the ``roads``, ``poles``, ``ducts``, ``parcels`` and
        ``pops`` layers (EPSG:2180 metres).
    config
        Prices (``config.costs``) and rules (``config.design``).
    targets
        Address points to connect (column ``id`` and point geometry), in the
        area's CRS.
    progress
        Show a progress bar over the construction steps.

    Returns
    -------
    CostGraph

    Raises
    ------
    InputDataError
        If there are no roads, no POP, or a POP lies farther than
        ``max_access_distance_m`` from every road.
    """
    dc, cc = config.design, config.costs
    src = area.sources
    bar = tqdm(total=5, desc="cost graph", disable=not progress)

    L = _road_lines(area, config)
    cuts = _Cuts()
    _structural_cuts(L, cuts, dc.node_snap_m)
    P = _pole_chains(area, config, L, cuts)
    ducts = _reusable_ducts(area, config, L, cuts)
    pops = area.pops
    if len(pops) == 0:
        raise InputDataError("no POP in the study area", [Problem(
            file=src.get("pops", "pops"), message="the pops layer is empty",
            fix="add the point of presence (central office) the network starts from")])
    pop_line = _point_cuts(_geoms(pops), L, cuts, _SRC_POP, dc.max_access_distance_m)
    if (pop_line < 0).any():
        raise InputDataError("a POP is far from every road", [Problem(
            file=src.get("pops", "pops"), row=str(pops["id"].iloc[k]),
            message=f"no road within {dc.max_access_distance_m:g} m of this POP",
            fix="move the POP next to a road or add the road leading to it") for k in np.flatnonzero(pop_line < 0)])
    tgt_geom = _geoms(targets) if len(targets) else np.empty(0, dtype=object)
    tgt_line = _point_cuts(tgt_geom, L, cuts, _SRC_TARGET, dc.max_access_distance_m)
    bar.update()

    N = _merge_cuts(L, cuts, config)
    E = _split_lines(L, N)
    n_nodes = N.node_xy.shape[0]
    bar.update()

    highway = _str_col(L.table, "highway", "unclassified")
    aer = _aerial(config, P, N, E)
    cost_duct, duct_id = _duct(config, ducts, E)
    cost_trench, surface, crossings = _trench(config, highway, _str_col(L.table, "surface", "paved"), n_nodes, E)
    consent, parcel = _consents(config, area.layers["parcels"], _bool_col(L.table, "private", False), E)
    bar.update()

    options = np.column_stack([aer["cost"], cost_duct, cost_trench])
    choice = np.argmin(options, axis=1)
    best = options[np.arange(choice.size), choice]
    penalty = np.where(consent == "pending", cc.consent_pending_penalty_pln, 0.0)
    is_aer, is_duct, is_tr = choice == 0, choice == 1, choice == 2
    cnt = np.where(is_aer[:, None], aer["owner_cnt"], 0)
    obj = lambda a: np.asarray(a, dtype=object)  # noqa: E731
    edges = gpd.GeoDataFrame(
        {
            "u": E.u.astype(np.int64),
            "v": E.v.astype(np.int64),
            "length_m": E.length,
            "deployment": obj(np.array(DEPLOYMENT_TYPES, dtype=object)[choice]),
            "cost_pln": best + penalty,
            "pole_owner": obj(np.where(is_aer, aer["owner"], "")),
            "pole_ids": obj(np.where(is_aer, aer["pole_ids"], "")),
            "n_poles": cnt.sum(axis=1).astype(np.int64),
            "duct_id": obj(np.where(is_duct, duct_id, "")),
            "surface": obj(np.where(is_tr, surface, "")),
            "road_crossings": np.where(is_tr, crossings, 0).astype(np.int64),
            "consent": obj(consent),
            "parcel_id": obj(parcel),
            "road_id": obj(_str_col(L.table, "id", "")[E.line]),
            "highway": obj(highway[E.line]),
            "cost_aerial": aer["cost"],
            "cost_duct": cost_duct,
            "cost_trench": cost_trench,
            "poles_commune_lighting": cnt[:, 0].astype(np.int64),
            "poles_telecom": cnt[:, 1].astype(np.int64),
            "poles_power": cnt[:, 2].astype(np.int64),
            "usable": consent != "refused",
            "road_index": E.line.astype(np.int64),
            "road_from_m": E.d0,
            "road_to_m": E.d1,
        },
        geometry=gpd.GeoSeries(E.geom, crs=area.crs),
        crs=area.crs,
    )
    # cuts snapped onto one node leave zero-length loops that carry nothing
    edges = edges[edges["u"] != edges["v"]].reset_index(drop=True)
    bar.update()

    is_t, is_p = N.cut_src == _SRC_TARGET, N.cut_src == _SRC_POP
    tgt_node = np.full(len(tgt_geom), -1, dtype=np.int64)
    tgt_node[N.cut_ref[is_t]] = N.cut_node[is_t]
    pop_nodes = np.full(len(pops), -1, dtype=np.int64)
    pop_nodes[N.cut_ref[is_p]] = N.cut_node[is_p]
    access = _access_table(targets, tgt_geom, tgt_line, tgt_node, N.node_xy, L.geom, highway,
                           area.layers["parcels"], config)
    bar.update()
    bar.close()
    logger.info("cost graph: %d nodes, %d edges (%d unusable: consent refused), %d of %d targets on a road",
                n_nodes, len(edges), int((~edges["usable"]).sum()), int((tgt_node >= 0).sum()), len(tgt_node))
    return CostGraph(node_xy=N.node_xy, edges=edges, access=access, pop_nodes=pop_nodes,
                     pop_ids=pops["id"].astype(str).to_numpy(dtype=object), crs=area.crs)


def _access_table(
    targets: gpd.GeoDataFrame,
    tgt_geom: np.ndarray,
    tgt_line: np.ndarray,
    tgt_node: np.ndarray,
    node_xy: np.ndarray,
    lines: np.ndarray,
    highway: np.ndarray,
    parcels: gpd.GeoDataFrame,
    config: Config,
) -> gpd.GeoDataFrame:
    """Drops of the targets: access node -> fence, and their crossing flag."""
    dc = config.design
    n = len(tgt_geom)
    ok = tgt_node >= 0
    k = np.flatnonzero(ok)
    start = shapely.points(node_xy[tgt_node[k]]) if k.size else np.empty(0, dtype=object)
    addr = tgt_geom[k]
    fence = addr.copy()
    fence_parcel = np.full(n, "", dtype=object)
    access_dist = np.full(n, np.nan)
    if k.size:
        access_dist[k] = shapely.distance(lines[tgt_line[k]], addr)
    if len(parcels) and k.size:
        pg = _geoms(parcels)
        q = parcels.sindex.query(addr, predicate="within")
        if q.shape[1]:
            first = _first_per_group(q[0], q[1])
            ai, pi = q[0, first], q[1, first]
            fence_parcel[k[ai]] = parcels["id"].astype(str).to_numpy(dtype=object)[pi]
            outside = ~shapely.contains(pg[pi], start[ai])
            ai, pi = ai[outside], pi[outside]
            if ai.size:
                seg = shapely.linestrings(
                    np.stack([shapely.get_coordinates(start[ai]), shapely.get_coordinates(addr[ai])], axis=1))
                inter = shapely.intersection(seg, pg[pi])
                cxy, cix = shapely.get_coordinates(inter, return_index=True)
                if cix.size:
                    dl = shapely.line_locate_point(seg[cix], shapely.points(cxy))
                    m = _first_per_group(cix, dl)
                    fence[ai[cix[m]]] = shapely.points(cxy[m])
    drop = np.full(n, None, dtype=object)
    if k.size:
        drop[k] = shapely.linestrings(
            np.stack([shapely.get_coordinates(start), shapely.get_coordinates(fence)], axis=1))
    length = np.full(n, np.nan)
    length[k] = shapely.length(drop[k]) if k.size else 0.0
    # side of the road: left of the digitised direction -> crossing if underground
    cross = np.zeros(n, dtype=np.int64)
    if k.size:
        ln = lines[tgt_line[k]]
        major = np.isin(highway[tgt_line[k]], list(dc.crossing_highways))
        d = shapely.line_locate_point(ln, addr)
        a = shapely.get_coordinates(shapely.line_interpolate_point(ln, np.maximum(d - 0.5, 0.0)))
        b = shapely.get_coordinates(shapely.line_interpolate_point(ln, d + 0.5))
        p = shapely.get_coordinates(addr)
        side = (b[:, 0] - a[:, 0]) * (p[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (p[:, 0] - a[:, 0])
        cross[k] = (major & (side > 0)).astype(np.int64)
    ids = targets["id"].astype(str).to_numpy(dtype=object) if "id" in targets else np.arange(n).astype(str).astype(object)
    return gpd.GeoDataFrame(
        {
            "address_id": ids,
            "access_node": tgt_node,
            "access_distance_m": access_dist,
            "drop_length_m": length,
            "fence_parcel_id": fence_parcel,
            "crossing_if_underground": cross,
            "reason": np.where(ok, "", "no_road_access").astype(object),
        },
        geometry=gpd.GeoSeries(drop, crs=targets.crs),
        crs=targets.crs,
    )
