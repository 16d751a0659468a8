"""Noding: nearby cuts merged into graph nodes, road lines split into edges between them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from planner.config import Config
from planner.costgraph.arrays import prev_next
from planner.costgraph.graph import EPS, SRC_DUCT, SRC_STRUCT
from planner.costgraph.lines import Cuts, Lines

__all__ = ["Nodes", "merge_cuts", "Edges", "split_lines"]


@dataclass
class Nodes:
    """Graph nodes: the distinct (merged) cuts and the node of every cut."""

    node_xy: np.ndarray
    rep_line: np.ndarray   # the distinct cuts, sorted by (line, distance)
    rep_d: np.ndarray
    rep_node: np.ndarray
    cut_node: np.ndarray   # node of every cut
    cut_src: np.ndarray
    cut_ref: np.ndarray


def merge_cuts(L: Lines, cuts: Cuts, config: Config) -> Nodes:
    """Merge nearby cuts and number the nodes (deterministically)."""
    dc = config.design
    c_line, c_d, c_xy, c_src, c_ref = cuts.arrays(L.geom)
    rep = np.arange(c_line.size)
    h_idx = np.flatnonzero(c_src == SRC_STRUCT)
    s_idx = np.flatnonzero(c_src != SRC_STRUCT)
    if s_idx.size:
        # a soft cut close to a junction along its road joins it ...
        prev, nxt = prev_next(c_line[h_idx], c_d[h_idx], c_line[s_idx], c_d[s_idx])
        dp = np.where(prev >= 0, c_d[s_idx] - c_d[h_idx[np.maximum(prev, 0)]], np.inf)
        dn = np.where(nxt >= 0, c_d[h_idx[np.maximum(nxt, 0)]] - c_d[s_idx], np.inf)
        # duct ends snap as far as the duct may lie from the road; others by access_snap_m
        tol = np.where(c_src[s_idx] == SRC_DUCT, max(dc.access_snap_m, dc.duct_follow_distance_m), dc.access_snap_m)
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
    return Nodes(node_xy=rxy[np.sort(first)], rep_line=c_line[reps], rep_d=c_d[reps], rep_node=rep_node,
                  cut_node=rep_node[rep_pos[rep]], cut_src=c_src, cut_ref=c_ref)


@dataclass
class Edges:
    """Edges between consecutive cuts of a line, with geometry and positions along it."""

    line: np.ndarray
    u: np.ndarray
    v: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    geom: np.ndarray
    length: np.ndarray
    edge_of_start: np.ndarray  # edge starting at each distinct cut (-1: none)
    edge_of_end: np.ndarray    # edge ending at each distinct cut (-1: none)


def split_lines(L: Lines, N: Nodes) -> Edges:
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
    prev, nxt = prev_next(N.rep_line, N.rep_d, L.vidx, L.vd)
    inside = (prev >= 0) & (nxt >= 0)
    inside &= L.vd > N.rep_d[np.maximum(prev, 0)] + EPS
    inside &= L.vd < N.rep_d[np.maximum(nxt, 0)] - EPS
    iv = np.flatnonzero(inside)
    part_edge = np.concatenate([np.arange(n_e), edge_of_start[prev[iv]], np.arange(n_e)])
    part_seq = np.concatenate([np.zeros(n_e), np.ones(iv.size), np.full(n_e, 2.0)])
    part_d = np.concatenate([d0, L.vd[iv], d1])
    part_xy = np.concatenate([N.node_xy[u], L.coords[iv], N.node_xy[v]])
    o = np.lexsort((part_d, part_seq, part_edge))
    geom = shapely.linestrings(part_xy[o], indices=part_edge[o]) if n_e else np.empty(0, dtype=object)
    return Edges(line=N.rep_line[ea], u=u, v=v, d0=d0, d1=d1, geom=geom, length=shapely.length(geom),
                  edge_of_start=edge_of_start, edge_of_end=edge_of_end)
