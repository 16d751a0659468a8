"""Cables, closures and splices on the route tree.

Sizing
    A segment carrying ``f`` fibres needs ``ceil(f x (1 + cable_spare_ratio))``
    fibres, at least ``min_cable_size``; its size is the smallest size of the
    catalogue (``cable_sizes``) that holds them, raised to the largest size
    any segment further down its chain needs (sizes never grow downstream
    inside a cable, so a cable does not flip 96f-48f-96f).  Beyond the largest
    size, up to ``max_parallel_cables`` of it run side by side (near a POP); a
    segment that needs more is a configuration error (one message per
    segment).
Cable runs
    A cable starts at the POP, at a cabinet (every cable ends there) or at a
    closure, and runs down the tree: at a branch point it continues into the
    child segment with the most fibres (ties: the first in route order) while
    the other branches start new cables; with ``cable_sizing = "taper"`` it
    also ends where the size the segments need changes (a size-change
    closure), with ``"uniform"`` it keeps one size, the largest its segments
    need.
Closures
    A closure stands at every node other than a POP or a cabinet where a
    cable starts (a branch or a size change) and, in a cascade, at every
    closure splitter.  Closures within ``closure_merge_m`` along the route of
    the next joint upstream (closure, cabinet or POP) are merged into it.
Splices
    At a joint every fibre of the cables starting there is spliced; a cabinet
    also splices its feeder fibres to the splitter inputs; a closure splitter
    splices its input and its used outputs; every drop is spliced at its
    access node (``fibres_per_drop`` each, priced with the drop in [costs]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from planner._errors import ConfigError, Problem
from planner.config.network import NetworkConfig
from planner.network.fibres import Fibres
from planner.network.tree import RouteTree, marked_ancestor
from planner.schema import OUT_CLOSURE_COLUMNS

__all__ = ["Cabling", "lay_cables"]

@dataclass(frozen=True)
class Cabling:
    """Cables, closures and splices.

    Attributes
    ----------
    size, parallel
        Cable size on the segment ending at each node and how many such
        cables run side by side (1, or more of the largest size; 0 where no
        fibre).
    cable
        Cable index of each node's segment (``-1`` where none).
    start
        1 where the node's segment starts a new cable (a splice point on
        every fibre that passes).
    cables
        One row per cable, :data:`planner.schema.OUT_CABLE_COLUMNS` (``from_node``/``to_node`` are
        tree nodes), plus ``geometry`` (one line from the start to the end).
    closures
        One row per (merged) closure, :data:`planner.schema.OUT_CLOSURE_COLUMNS` (without ``simc``).
    joint_of
        Closure index (into ``closures``) each closure node was merged into,
        ``-1`` for nodes that are no closure or were merged into a cabinet/POP.
    splice_at
        Fusion splices made at each node (closures at the node they were
        merged into, cabinets, POPs; drops not included).
    splices_closures, splices_cabinets, splices_pop, splices_drops
        Fusion splices by place.
    """

    size: np.ndarray
    parallel: np.ndarray
    cable: np.ndarray
    start: np.ndarray
    cables: pd.DataFrame
    closures: pd.DataFrame
    joint_of: np.ndarray
    splice_at: np.ndarray
    splices_closures: int
    splices_cabinets: int
    splices_pop: int
    splices_drops: int


def _capacity(need: np.ndarray, config: NetworkConfig, segment_ids: np.ndarray) -> np.ndarray:
    """Fibres laid per segment: the smallest size that fits, or parallel cables of the largest size."""
    cat = np.asarray(config.cable_sizes, dtype=np.int64)
    want = np.where(need > 0, np.maximum(need, config.min_cable_size), 0)
    at = np.searchsorted(cat, want, side="left")
    count = np.where(at >= cat.size, -(-want // cat[-1]), 1)
    bad = np.flatnonzero(count > config.max_parallel_cables)
    if bad.size:
        order = bad[np.argsort(-want[bad], kind="stable")]
        most = config.max_parallel_cables * int(cat[-1])
        raise ConfigError("the cable catalogue is too small for the planned network", [Problem(
            file="[network] cable_sizes", row=int(segment_ids[i]),
            message=f"segment {int(segment_ids[i])} needs {int(want[i])} fibres (with "
                    f"{100 * config.cable_spare_ratio:g} % spare) but at most {config.max_parallel_cables} x "
                    f"{int(cat[-1])} = {most} fit",
            fix="add a larger size to [network] cable_sizes (e.g. 432 or 576), allow more max_parallel_cables, "
                "lower cable_spare_ratio, or use architecture = \"cascade\" to cut the feeder fibres")
            for i in order[:10]])
    return np.where(want > 0, np.where(count > 1, count * cat[-1], cat[np.minimum(at, cat.size - 1)]), 0)


def lay_cables(tree: RouteTree, fibres: Fibres, cabinet_node: np.ndarray, cabinet_feeder: np.ndarray,
               closure_splitters: pd.DataFrame | None, home_node: np.ndarray, segment_ids: np.ndarray,
               geometry: np.ndarray | None, config: NetworkConfig) -> Cabling:
    """Size the cables, lay the runs and place closures and splices.

    Parameters
    ----------
    tree
        The route tree.
    fibres
        Fibres per segment (:func:`planner.network.fibres.count_fibres`).
    cabinet_node, cabinet_feeder
        Node and feeder fibres of each cabinet.
    closure_splitters
        Cascade: ``node`` and ``ports_used`` of each closure splitter (``None``
        otherwise).
    home_node
        Access node of each home.
    segment_ids
        Segment id of each node's segment (for messages).
    geometry
        Segment line of each node (``None`` at POPs); ``None`` for no cable
        geometry.
    config
        The ``[network]`` section.

    Returns
    -------
    Cabling

    Raises
    ------
    ConfigError
        A segment needs more fibres than the largest cable size.
    """
    n = tree.n
    f = fibres.total
    par = tree.parent
    has = (par >= 0) & (f > 0)
    need = np.ceil(f * (1.0 + config.cable_spare_ratio) - 1e-9).astype(np.int64)
    size = _capacity(np.where(has, need, 0), config, segment_ids)   # fibres laid; decoded below
    is_cab = np.zeros(n, dtype=bool)
    is_cab[cabinet_node] = True
    is_root = par < 0
    # main child of every node: the most fibres, ties the first in route order
    kids = np.flatnonzero(has)
    order = np.lexsort((tree.pos[kids], -f[kids], par[kids]))
    k = kids[order]
    main = np.zeros(n, dtype=bool)
    main[k[np.r_[True, par[k][1:] != par[k][:-1]]] if k.size else k] = True
    pp = np.maximum(par, 0)
    cont = has & main & ~is_root[pp] & ~is_cab[pp] & (f[pp] > 0)
    # sizes never grow downstream along a chain of main children: suffix maximum from its end
    size = _suffix_max(tree, cont, size)
    if config.cable_sizing == "taper":
        cont &= size == size[pp]
    start = (has & ~cont).astype(np.int64)
    head = marked_ancestor(tree, start.astype(bool))
    heads = tree.pre[start[tree.pre].astype(bool)]          # cable heads in route order
    cid = np.full(n, -1, dtype=np.int64)
    cid[heads] = np.arange(heads.size)
    cable = np.where(has, cid[np.maximum(head, 0)], -1)
    nc = heads.size
    on = np.flatnonzero(cable >= 0)
    if config.cable_sizing == "uniform":
        run_size = np.zeros(nc, dtype=np.int64)
        np.maximum.at(run_size, cable[on], size[on])
        size = np.where(cable >= 0, run_size[np.maximum(cable, 0)], 0)
    # cable table: the head segment is the one with the most fibres used at its start
    length = np.bincount(cable[on], weights=tree.length[on], minlength=nc)
    nseg = np.bincount(cable[on], minlength=nc)
    used = np.zeros(nc, dtype=np.int64)
    np.maximum.at(used, cable[on], f[on])
    last = np.full(nc, -1, dtype=np.int64)
    np.maximum.at(last, cable[on], tree.pos[on])
    to_node = tree.pre[last]
    largest = int(config.cable_sizes[-1])
    parallel = np.where(size > largest, size // largest, np.where(size > 0, 1, 0)).astype(np.int64)
    size = np.where(size > largest, largest, size).astype(np.int64)
    csize = size[heads]
    kind = np.where(fibres.feeder[heads] == 0, "distribution",
                    np.where(fibres.distribution[heads] + fibres.express[heads] == 0, "feeder", "feeder+distribution"))
    cables = pd.DataFrame({
        "cable_id": [f"K-{i + 1:05d}" for i in range(nc)],
        "kind": kind.astype(object),
        "cable_size": csize.astype(np.int64),
        "parallel": parallel[heads],
        "fibres_used": used,
        "fibres_spare": (csize * parallel[heads] - used).astype(np.int64),
        "feeder_fibres": fibres.feeder[heads].astype(np.int64),
        "distribution_fibres": fibres.distribution[heads].astype(np.int64),
        "express_fibres": fibres.express[heads].astype(np.int64),
        "length_m": length,
        "segments": nseg.astype(np.int64),
        "from_node": par[heads].astype(np.int64),
        "to_node": to_node.astype(np.int64),
    })
    if geometry is not None:
        cables["geometry"] = _cable_lines(geometry, on, cable[on], tree.pos[on], nc)

    # --- joints, closures, splices ---------------------------------------------------------------
    starts = np.flatnonzero(start.astype(bool))
    new_at = par[starts]                                        # where each new cable starts
    spl_at = np.bincount(new_at, weights=f[starts], minlength=n).astype(np.int64)
    nchild = np.bincount(par[kids], minlength=n)
    spl_nodes = np.zeros(0, dtype=np.int64)
    spl_splices = np.zeros(n, dtype=np.int64)
    spl_count = np.zeros(n, dtype=np.int64)
    if closure_splitters is not None and len(closure_splitters):
        spl_nodes = closure_splitters["node"].to_numpy(dtype=np.int64)
        np.add.at(spl_splices, spl_nodes, 1 + closure_splitters["ports_used"].to_numpy(dtype=np.int64))
        np.add.at(spl_count, spl_nodes, 1)
    cab_splices = np.zeros(n, dtype=np.int64)
    np.add.at(cab_splices, cabinet_node, np.asarray(cabinet_feeder, dtype=np.int64))
    is_clo = np.zeros(n, dtype=bool)
    is_clo[new_at] = True
    is_clo[spl_nodes] = True
    is_clo &= ~is_root & ~is_cab
    joint = is_clo | is_cab | is_root
    up = marked_ancestor(tree, joint, self_included=False)
    group = _merge_groups(tree, is_clo, up, config.closure_merge_m)
    clo_nodes = np.flatnonzero(is_clo)
    g = group[clo_nodes]
    into_cab_or_pop = ~is_clo[g]
    reps = tree.pre[np.isin(tree.pre, np.unique(g[~into_cab_or_pop]))]   # representatives in route order
    rid = np.full(n, -1, dtype=np.int64)
    rid[reps] = np.arange(reps.size)
    joint_of = np.full(n, -1, dtype=np.int64)
    joint_of[clo_nodes] = rid[g]
    splices_node = spl_at + spl_splices
    kept = clo_nodes[~into_cab_or_pop]
    r = rid[group[kept]]
    nr = reps.size

    def per(values: np.ndarray) -> np.ndarray:
        return np.bincount(r, weights=values[kept].astype(float), minlength=nr).astype(np.int64)

    branch = per((nchild >= 2).astype(np.int64)) > 0
    size_change = per(((nchild == 1) & (spl_at > 0)).astype(np.int64)) > 0
    n_spl = per(spl_count)
    kind = np.full(nr, "", dtype=object)
    for flag, name in ((branch, "branch"), (size_change, "size_change"), (n_spl > 0, "splitter")):
        kind = np.where(flag, np.where(kind == "", name, kind + "+" + name), kind)
    cables_out = np.bincount(new_at[np.isin(new_at, kept)], minlength=n)
    closures = pd.DataFrame({
        "closure_id": [f"M-{k + 1:05d}" for k in range(nr)],
        "kind": np.where(kind == "", "joint", kind).astype(object),
        "node": reps.astype(np.int64),
        "splices": per(splices_node),
        "cables_out": per(cables_out),
        "merged_nodes": np.bincount(r, minlength=nr).astype(np.int64),
        "splitters": n_spl,
    })
    closures = closures[[c for c in OUT_CLOSURE_COLUMNS if c != "simc"]]
    splice_at = np.zeros(n, dtype=np.int64)                   # splices done at each joint node
    np.add.at(splice_at, group[clo_nodes], splices_node[clo_nodes])
    at_joint = is_cab | is_root
    splice_at[at_joint] += spl_at[at_joint] + cab_splices[at_joint]
    s_cab = int(splice_at[is_cab].sum())
    s_pop = int(splice_at[is_root & ~is_cab].sum())
    s_drop = int(home_node.size * config.fibres_per_drop)
    return Cabling(size=size, parallel=parallel, cable=cable, start=start, cables=cables, closures=closures,
                   joint_of=joint_of, splice_at=splice_at,
                   splices_closures=int(closures["splices"].sum()) if len(closures) else 0,
                   splices_cabinets=s_cab, splices_pop=s_pop, splices_drops=s_drop)


def _merge_groups(tree: RouteTree, is_clo: np.ndarray, up: np.ndarray, merge_m: float) -> np.ndarray:
    """Joint each closure node is merged into: the next joint upstream when within ``merge_m`` (chains merge)."""
    group = np.arange(tree.n)
    near = is_clo & (up >= 0) & (tree.depth - tree.depth[np.maximum(up, 0)] <= merge_m)
    group[near] = up[near]
    # follow merged chains upstream (parents first: a merged joint's own group is final when reached)
    for x in tree.pre[near[tree.pre]].tolist():
        group[x] = group[group[x]]
    return group


def _suffix_max(tree: RouteTree, cont: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Largest size from each node to the end of its chain of continuing segments."""
    head = marked_ancestor(tree, ~cont)
    order = np.lexsort((-tree.pos, tree.pos[head]))          # chain by chain, bottom first
    g = np.r_[0, np.cumsum(head[order][1:] != head[order][:-1])]
    big = float(size.max() + 1) if size.size else 1.0
    acc = np.maximum.accumulate(size[order] + g * big) - g * big
    out = np.empty_like(size)
    out[order] = acc.astype(size.dtype)
    return out


def _cable_lines(geometry: np.ndarray, nodes: np.ndarray, cable: np.ndarray, pos: np.ndarray, nc: int) -> np.ndarray:
    """One line per cable: its segments' coordinates joined in route order."""
    order = np.lexsort((pos, cable))
    geoms = np.asarray(geometry, dtype=object)[nodes[order]]
    cab = cable[order]
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    first_of_seg = np.r_[True, idx[1:] != idx[:-1]]
    seg_first_in_cable = np.r_[True, cab[1:] != cab[:-1]]
    drop = first_of_seg & ~seg_first_in_cable[idx]           # shared start vertex of a continuing segment
    coords, idx = coords[~drop], idx[~drop]
    out = np.asarray(shapely.linestrings(coords, indices=cab[idx]), dtype=object)
    if out.size != nc:
        raise ValueError("a cable without segments")
    return out
