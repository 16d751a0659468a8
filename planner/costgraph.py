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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from tqdm.auto import tqdm

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


def _nearest_line(tree: "gpd.sindex.SpatialIndex", pts: np.ndarray, max_distance: float | None) -> np.ndarray:
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
    bar = tqdm(total=6, desc="cost graph", disable=not progress)
    src = area.sources

    # -- road lines ---------------------------------------------------------
    roads = area.roads
    keep = ~roads["highway"].astype(object).isin(list(dc.excluded_highways)).to_numpy() if "highway" in roads else None
    r = roads if keep is None else roads.loc[keep]
    r = r[~r.geometry.is_empty & r.geometry.notna()]
    r = r.explode(index_parts=False)
    r = r[r.geometry.geom_type == "LineString"]
    r = r[r.geometry.length > _EPS].reset_index(drop=True)
    if len(r) == 0:
        raise InputDataError(
            "no usable roads in the study area",
            [Problem(file=src.get("roads", "roads"), message="the roads layer has no usable line",
                     fix="give a roads layer with LineStrings (excluded classes: "
                     + ", ".join(dc.excluded_highways) + ")")],
        )
    lines = _geoms(r)
    n_lines = len(lines)
    line_len = shapely.length(lines)
    road_id = _str_col(r, "id", "")
    highway = _str_col(r, "highway", "unclassified")
    surface_road = _str_col(r, "surface", "paved")
    private_road = _bool_col(r, "private", False)
    line_tree = gpd.GeoSeries(lines, crs=area.crs).sindex

    # -- structural (hard) cuts ----------------------------------------------
    coords, vidx = shapely.get_coordinates(lines, return_index=True)
    same = vidx[1:] == vidx[:-1]
    seg = np.where(same, np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1])), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    starts = np.r_[0, np.flatnonzero(~same) + 1]
    ends_v = np.r_[starts[1:] - 1, len(vidx) - 1]
    vd = cum - cum[starts][vidx]
    vd[ends_v] = line_len  # exact line ends
    is_end = np.zeros(len(vidx), dtype=bool)
    is_end[starts] = True
    is_end[ends_v] = True
    shared = np.zeros(len(vidx), dtype=bool)
    pairs = cKDTree(coords).query_pairs(dc.node_snap_m, output_type="ndarray")
    if len(pairs):
        i, j = pairs[:, 0], pairs[:, 1]
        ok = (vidx[i] != vidx[j]) | (np.abs(vd[i] - vd[j]) > 2 * dc.node_snap_m)
        shared[i[ok]] = True
        shared[j[ok]] = True
    hv = np.flatnonzero(is_end | shared)
    cut_line = [vidx[hv]]
    cut_d = [vd[hv]]
    cut_xy = [coords[hv]]
    cut_src = [np.full(hv.size, _SRC_STRUCT)]
    cut_ref = [-np.ones(hv.size, dtype=np.int64)]

    # T-junctions: a road end on another road's interior
    end_pts = shapely.points(coords[np.flatnonzero(is_end)])
    end_line = vidx[is_end]
    q = line_tree.query(end_pts, predicate="dwithin", distance=dc.node_snap_m)
    if q.shape[1]:
        pi, li = q
        ok = li != end_line[pi]
        pi, li = pi[ok], li[ok]
        d = shapely.line_locate_point(lines[li], end_pts[pi])
        ok = (d > dc.node_snap_m) & (d < line_len[li] - dc.node_snap_m)
        cut_line.append(li[ok])
        cut_d.append(d[ok])
        cut_xy.append(shapely.get_coordinates(end_pts[pi[ok]]))
        cut_src.append(np.full(int(ok.sum()), _SRC_STRUCT))
        cut_ref.append(-np.ones(int(ok.sum()), dtype=np.int64))
    bar.update()

    # -- poles: chains (feasibility) and charged poles ---------------------------
    poles = area.layers["poles"]
    if len(poles):
        pmask = _bool_col(poles, "usable", True) & poles["owner"].astype(object).isin(POLE_OWNERS).to_numpy()
        poles = poles.loc[pmask].reset_index(drop=True)
    pole_geom = _geoms(poles) if len(poles) else np.empty(0, dtype=object)
    pole_owner_code = (
        pd.Categorical(poles["owner"].astype(object), categories=POLE_OWNERS).codes.astype(np.int64)
        if len(poles) else np.empty(0, dtype=np.int64)
    )
    chain_line = np.empty(0, np.int64)
    chain_lo = np.empty(0)
    chain_hi = np.empty(0)
    chain_owner = np.empty(0, np.int64)
    span = dc.pole_span_max_m
    if dc.allow_aerial and len(poles):
        q = line_tree.query(pole_geom, predicate="dwithin", distance=dc.pole_offset_max_m)
        pi, li = q
        d = shapely.line_locate_point(lines[li], pole_geom[pi])
        order = np.lexsort((pi, d, li))
        pi, li, d = pi[order], li[order], d[order]
        brk = np.r_[True, (li[1:] != li[:-1]) | (np.diff(d) > span + _EPS)] if li.size else np.empty(0, bool)
        cid = np.cumsum(brk) - 1
        n_ch = int(cid[-1] + 1) if cid.size else 0
        cnt = np.bincount(cid, minlength=n_ch)
        first = np.flatnonzero(brk)
        last = np.r_[first[1:] - 1, li.size - 1] if n_ch else np.empty(0, np.int64)
        owner_cnt = np.zeros((n_ch, len(POLE_OWNERS)), dtype=np.int64)
        np.add.at(owner_cnt, (cid, pole_owner_code[pi]), 1)
        good = cnt >= dc.min_chain_poles
        chain_line = li[first][good]
        chain_lo = d[first][good] - span
        chain_hi = d[last][good] + span
        chain_owner = np.argmax(owner_cnt[good], axis=1)
        # soft cuts where a chain stops short of the road's end
        lo_cut = chain_lo > _EPS
        hi_cut = chain_hi < line_len[chain_line] - _EPS
        for m, dd in ((lo_cut, chain_lo + span), (hi_cut, chain_hi - span)):
            cut_line.append(chain_line[m])
            cut_d.append(dd[m])
            cut_xy.append(None)
            cut_src.append(np.full(int(m.sum()), _SRC_CHAIN))
            cut_ref.append(-np.ones(int(m.sum()), dtype=np.int64))
    # charged poles: each on its nearest road line
    pole_line = _nearest_line(line_tree, pole_geom, dc.pole_offset_max_m) if dc.allow_aerial else np.full(len(pole_geom), -1)
    has_line = pole_line >= 0
    pole_d = np.full(len(pole_geom), np.nan)
    if has_line.any():
        pole_d[has_line] = shapely.line_locate_point(lines[pole_line[has_line]], pole_geom[has_line])

    # -- ducts ---------------------------------------------------------------------
    ducts = area.layers["ducts"]
    if dc.allow_duct_reuse and len(ducts):
        free = pd.to_numeric(ducts["free_subducts"], errors="coerce").fillna(0).to_numpy() if "free_subducts" in ducts else np.ones(len(ducts))
        ducts = ducts.loc[free >= 1].reset_index(drop=True)
    else:
        ducts = ducts.iloc[0:0]
    duct_geom = _geoms(ducts) if len(ducts) else np.empty(0, dtype=object)
    if len(duct_geom):
        parts = shapely.get_parts(duct_geom)
        dend = np.concatenate([shapely.get_point(parts, 0), shapely.get_point(parts, -1)])
        q = line_tree.query(dend, predicate="dwithin", distance=dc.duct_follow_distance_m)
        if q.shape[1]:
            pi, li = q
            d = shapely.line_locate_point(lines[li], dend[pi])
            ok = (d > _EPS) & (d < line_len[li] - _EPS)
            cut_line.append(li[ok])
            cut_d.append(d[ok])
            cut_xy.append(None)
            cut_src.append(np.full(int(ok.sum()), _SRC_DUCT))
            cut_ref.append(-np.ones(int(ok.sum()), dtype=np.int64))

    # -- targets and POPs ----------------------------------------------------------
    pops = area.pops
    pop_geom = _geoms(pops) if len(pops) else np.empty(0, dtype=object)
    if len(pop_geom) == 0:
        raise InputDataError("no POP in the study area", [Problem(
            file=src.get("pops", "pops"), message="the pops layer is empty",
            fix="add the point of presence (central office) the network starts from")])
    pop_line = _nearest_line(line_tree, pop_geom, dc.max_access_distance_m)
    if (pop_line < 0).any():
        bad = np.flatnonzero(pop_line < 0)
        raise InputDataError("a POP is far from every road", [Problem(
            file=src.get("pops", "pops"), row=str(pops["id"].iloc[k]) if "id" in pops else int(k),
            message=f"no road within {dc.max_access_distance_m:g} m of this POP",
            fix="move the POP next to a road or add the road leading to it") for k in bad])
    tgt_geom = _geoms(targets) if len(targets) else np.empty(0, dtype=object)
    tgt_line = _nearest_line(line_tree, tgt_geom, dc.max_access_distance_m)
    for geom_arr, line_arr, code in ((tgt_geom, tgt_line, _SRC_TARGET), (pop_geom, pop_line, _SRC_POP)):
        ok = np.flatnonzero(line_arr >= 0)
        d = shapely.line_locate_point(lines[line_arr[ok]], geom_arr[ok]) if ok.size else np.empty(0)
        cut_line.append(line_arr[ok])
        cut_d.append(np.clip(d, 0.0, line_len[line_arr[ok]]))
        cut_xy.append(None)
        cut_src.append(np.full(ok.size, code))
        cut_ref.append(ok.astype(np.int64))
    bar.update()

    # -- merge cuts into nodes -------------------------------------------------------
    c_line = np.concatenate(cut_line).astype(np.int64)
    c_d = np.concatenate(cut_d).astype(float)
    c_src = np.concatenate(cut_src).astype(np.int64)
    c_ref = np.concatenate(cut_ref).astype(np.int64)
    c_xy = np.empty((c_line.size, 2))
    pos = 0
    for xy, ln in zip(cut_xy, cut_line):
        k = len(ln)
        if xy is None:
            if k:
                c_xy[pos:pos + k] = shapely.get_coordinates(shapely.line_interpolate_point(lines[ln], c_d[pos:pos + k]))
        else:
            c_xy[pos:pos + k] = xy
        pos += k
    hard = c_src == _SRC_STRUCT
    rep = np.arange(c_line.size)
    h_idx = np.flatnonzero(hard)
    s_idx = np.flatnonzero(~hard)
    if s_idx.size:
        prev, nxt = _prev_next(c_line[h_idx], c_d[h_idx], c_line[s_idx], c_d[s_idx])
        dp = np.where(prev >= 0, c_d[s_idx] - c_d[h_idx[np.maximum(prev, 0)]], np.inf)
        dn = np.where(nxt >= 0, c_d[h_idx[np.maximum(nxt, 0)]] - c_d[s_idx], np.inf)
        # duct ends snap as far as the duct may lie from the road; others by access_snap_m
        tol = np.where(c_src[s_idx] == _SRC_DUCT, max(dc.access_snap_m, dc.duct_follow_distance_m), dc.access_snap_m)
        to_prev = (dp <= dn) & (dp <= tol)
        to_next = ~to_prev & (dn <= tol)
        rep[s_idx[to_prev]] = h_idx[prev[to_prev]]
        rep[s_idx[to_next]] = h_idx[nxt[to_next]]
        free_s = s_idx[~(to_prev | to_next)]
        if free_s.size:
            o = free_s[np.lexsort((c_src[free_s], c_d[free_s], c_line[free_s]))]
            new = np.r_[True, (c_line[o][1:] != c_line[o][:-1]) | (np.diff(c_d[o]) > dc.access_snap_m)]
            grp = np.cumsum(new) - 1
            rep[o] = o[np.flatnonzero(new)][grp]
    reps = np.unique(rep)
    reps = reps[np.lexsort((c_d[reps], c_line[reps]))]
    # cluster rep coordinates across lines -> node ids
    rxy = c_xy[reps]
    pairs = cKDTree(rxy).query_pairs(dc.node_snap_m, output_type="ndarray")
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])) if len(pairs) else ([], ([], [])),
                     shape=(reps.size, reps.size))
    _, label = connected_components(adj, directed=False)
    _, first = np.unique(label, return_index=True)
    # number nodes in order of first appearance (deterministic)
    order_nodes = np.argsort(first, kind="stable")
    renum = np.empty_like(order_nodes)
    renum[order_nodes] = np.arange(order_nodes.size)
    rep_node = renum[label]
    node_xy = rxy[np.sort(first)]
    rep_pos = np.full(c_line.size, -1, dtype=np.int64)
    rep_pos[reps] = np.arange(reps.size)
    cut_node = rep_node[rep_pos[rep]]
    r_line, r_d = c_line[reps], c_d[reps]
    bar.update()

    # -- edges between consecutive cuts of a line ------------------------------------
    ea = np.flatnonzero(r_line[1:] == r_line[:-1])
    eb = ea + 1
    n_e = ea.size
    e_line = r_line[ea]
    e_u, e_v = rep_node[ea], rep_node[eb]
    e_d0, e_d1 = r_d[ea], r_d[eb]
    edge_of_start = np.full(reps.size, -1, dtype=np.int64)
    edge_of_start[ea] = np.arange(n_e)
    edge_of_end = np.full(reps.size, -1, dtype=np.int64)
    edge_of_end[eb] = np.arange(n_e)
    # interior vertices
    prev, nxt = _prev_next(r_line, r_d, vidx, vd)
    inside = (prev >= 0) & (nxt >= 0)
    inside &= vd > r_d[np.maximum(prev, 0)] + _EPS
    inside &= vd < r_d[np.maximum(nxt, 0)] - _EPS
    iv = np.flatnonzero(inside)
    iv_edge = edge_of_start[prev[iv]]
    part_edge = np.concatenate([np.arange(n_e), iv_edge, np.arange(n_e)])
    part_seq = np.concatenate([np.zeros(n_e), np.ones(iv.size), np.full(n_e, 2.0)])
    part_d = np.concatenate([e_d0, vd[iv], e_d1])
    part_xy = np.concatenate([node_xy[e_u], coords[iv], node_xy[e_v]])
    o = np.lexsort((part_d, part_seq, part_edge))
    e_geom = shapely.linestrings(part_xy[o], indices=part_edge[o]) if n_e else np.empty(0, dtype=object)
    e_len = shapely.length(e_geom)

    # -- aerial ----------------------------------------------------------------------
    cost_aerial = np.full(n_e, np.inf)
    e_owner_cnt = np.zeros((n_e, len(POLE_OWNERS)), dtype=np.int64)
    e_fee = np.zeros(n_e)
    e_pole_ids = np.full(n_e, "", dtype=object)
    covered = np.zeros(n_e, dtype=bool)
    cover_chain = np.full(n_e, -1, dtype=np.int64)
    if chain_line.size and n_e:
        co = np.lexsort((chain_lo, chain_line))
        prev, _ = _prev_next(chain_line[co], chain_lo[co], e_line, e_d0 + _EPS)
        okc = prev >= 0
        ch = co[np.maximum(prev, 0)]
        covered = okc & (chain_lo[ch] <= e_d0 + _EPS) & (chain_hi[ch] >= e_d1 - _EPS)
        cover_chain = np.where(covered, ch, -1)
        # charged poles on their nearest line's edge
        pk = np.flatnonzero(has_line)
        if pk.size:
            pprev, _ = _prev_next(r_line, r_d, pole_line[pk], pole_d[pk])
            pe = np.where(pprev >= 0, edge_of_start[np.maximum(pprev, 0)], -1)
            at_end = (pe < 0) & (pprev >= 0)
            pe[at_end] = edge_of_end[pprev[at_end]]
            okp = pe >= 0
            pk, pe = pk[okp], pe[okp]
            np.add.at(e_owner_cnt, (pe, pole_owner_code[pk]), 1)
            fees = np.array([cc.pole_fee(o) for o in POLE_OWNERS])
            e_fee = e_owner_cnt @ fees
            pid = poles["id"].astype(str).to_numpy(dtype=object)[pk]
            df = pd.DataFrame({"e": pe, "d": pole_d[pk], "id": pid}).sort_values(["e", "d", "id"], kind="stable")
            joined = df.groupby("e", sort=True)["id"].agg(";".join)
            e_pole_ids[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
        cost_aerial = np.where(covered, cc.aerial_pln_per_m * e_len + e_fee, np.inf)
    e_npoles = e_owner_cnt.sum(axis=1)
    maj = np.argmax(e_owner_cnt, axis=1)
    owner_code = np.where(e_npoles > 0, maj, np.where(cover_chain >= 0, chain_owner[np.maximum(cover_chain, 0)] if chain_owner.size else 0, -1))
    owners = np.array(POLE_OWNERS + ("",), dtype=object)
    e_pole_owner = owners[np.where(owner_code >= 0, owner_code, len(POLE_OWNERS))]
    bar.update()

    # -- duct reuse --------------------------------------------------------------------
    cost_duct = np.full(n_e, np.inf)
    e_duct = np.full(n_e, "", dtype=object)
    if len(duct_geom) and n_e:
        dtree = gpd.GeoSeries(duct_geom, crs=area.crs).sindex
        q = dtree.query(e_geom, predicate="dwithin", distance=dc.duct_follow_distance_m)
        if q.shape[1]:
            ei, di = q
            buf = shapely.buffer(duct_geom, dc.duct_follow_distance_m, quad_segs=4)
            share = shapely.length(shapely.intersection(e_geom[ei], buf[di])) / np.maximum(e_len[ei], _EPS)
            best = _first_per_group(ei, -share, di)
            ei, di, share = ei[best], di[best], share[best]
            ok = share >= dc.duct_follow_min_share - 1e-9
            cost_duct[ei[ok]] = cc.duct_reuse_pln_per_m * e_len[ei[ok]]
            e_duct[ei[ok]] = ducts["id"].astype(str).to_numpy(dtype=object)[di[ok]]

    # -- trench ------------------------------------------------------------------------
    e_hw = highway[e_line]
    e_surface = np.where(np.isin(e_hw, list(dc.carriageway_highways)), "carriageway",
                         np.where(surface_road[e_line] == "unpaved", "unpaved", "paved")).astype(object)
    major = np.isin(e_hw, list(dc.crossing_highways))
    n_nodes = node_xy.shape[0]
    mdeg = np.bincount(e_u[major], minlength=n_nodes) + np.bincount(e_v[major], minlength=n_nodes)
    e_cross = np.where(major, 0, (mdeg[e_u] >= 2).astype(np.int64) + (mdeg[e_v] >= 2).astype(np.int64))
    per_m = np.array([cc.trench_pln_per_m(s) for s in e_surface]) if n_e else np.empty(0)
    cost_trench = per_m * e_len + e_cross * cc.road_crossing_pln

    # -- consents ------------------------------------------------------------------------
    parcels = area.layers["parcels"]
    e_consent = np.full(n_e, "not_needed", dtype=object)
    e_consent[private_road[e_line]] = dc.private_road_consent
    e_parcel = np.full(n_e, "", dtype=object)
    if len(parcels) and n_e:
        pg = _geoms(parcels)
        q = parcels.sindex.query(e_geom, predicate="intersects")
        if q.shape[1]:
            ei, pi = q
            share = shapely.length(shapely.intersection(e_geom[ei], pg[pi])) / np.maximum(e_len[ei], _EPS)
            best = _first_per_group(ei, -share, pi)
            ei, pi, share = ei[best], pi[best], share[best]
            ok = share >= dc.parcel_min_share - 1e-9
            ei, pi = ei[ok], pi[ok]
            private = _str_col(parcels, "ownership", "private")[pi] == "private"
            consent = _str_col(parcels, "consent", "not_needed")[pi]
            e_consent[ei] = np.where(private, consent, "not_needed")
            e_parcel[ei] = np.where(private, parcels["id"].astype(str).to_numpy(dtype=object)[pi], "")
    usable = e_consent != "refused"
    bar.update()

    # -- choice ----------------------------------------------------------------------------
    options = np.column_stack([cost_aerial, cost_duct, cost_trench]) if n_e else np.empty((0, 3))
    choice = np.argmin(options, axis=1)
    best_cost = options[np.arange(n_e), choice]
    penalty = np.where(e_consent == "pending", cc.consent_pending_penalty_pln, 0.0)
    deployment = np.array(DEPLOYMENT_TYPES, dtype=object)[choice]
    is_aer, is_duct, is_tr = choice == 0, choice == 1, choice == 2
    edges = gpd.GeoDataFrame(
        {
            "u": e_u.astype(np.int64),
            "v": e_v.astype(np.int64),
            "length_m": e_len,
            "deployment": deployment,
            "cost_pln": best_cost + penalty,
            "pole_owner": np.where(is_aer, e_pole_owner, ""),
            "pole_ids": np.where(is_aer, e_pole_ids, ""),
            "n_poles": np.where(is_aer, e_npoles, 0).astype(np.int64),
            "duct_id": np.where(is_duct, e_duct, ""),
            "surface": np.where(is_tr, e_surface, ""),
            "road_crossings": np.where(is_tr, e_cross, 0).astype(np.int64),
            "consent": e_consent,
            "parcel_id": e_parcel,
            "road_id": road_id[e_line],
            "highway": e_hw,
            "cost_aerial": cost_aerial,
            "cost_duct": cost_duct,
            "cost_trench": cost_trench,
            "poles_commune_lighting": np.where(is_aer, e_owner_cnt[:, 0], 0).astype(np.int64),
            "poles_telecom": np.where(is_aer, e_owner_cnt[:, 1], 0).astype(np.int64),
            "poles_power": np.where(is_aer, e_owner_cnt[:, 2], 0).astype(np.int64),
            "usable": usable,
            "road_index": e_line.astype(np.int64),
            "road_from_m": e_d0,
            "road_to_m": e_d1,
        },
        geometry=gpd.GeoSeries(e_geom, crs=area.crs),
        crs=area.crs,
    )
    for col in ("deployment", "pole_owner", "pole_ids", "duct_id", "surface", "consent", "parcel_id", "road_id", "highway"):
        edges[col] = edges[col].astype(object)
    # zero-length loops (cuts snapped onto one node) carry nothing
    edges = edges[edges["u"] != edges["v"]].reset_index(drop=True)
    bar.update()

    # -- access of targets and POPs ------------------------------------------------------
    src_is = c_src[:, None] == np.array([_SRC_TARGET, _SRC_POP])[None, :]
    tgt_node = np.full(len(tgt_geom), -1, dtype=np.int64)
    tgt_node[c_ref[src_is[:, 0]]] = cut_node[src_is[:, 0]]
    pop_nodes = np.full(len(pop_geom), -1, dtype=np.int64)
    pop_nodes[c_ref[src_is[:, 1]]] = cut_node[src_is[:, 1]]
    access = _access_table(targets, tgt_geom, tgt_line, tgt_node, node_xy, lines, highway, parcels, config)
    bar.update()
    bar.close()
    logger.info("cost graph: %d nodes, %d edges (%d unusable: consent refused), %d targets mapped",
                n_nodes, len(edges), int((~edges["usable"]).sum()), int((tgt_node >= 0).sum()))
    return CostGraph(node_xy=node_xy, edges=edges, access=access, pop_nodes=pop_nodes,
                     pop_ids=pops["id"].astype(str).to_numpy(dtype=object) if "id" in pops else np.arange(len(pops)).astype(str),
                     crs=area.crs)


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
