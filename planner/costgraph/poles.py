"""Aerial option: pole chains along the roads, their cuts, and the aerial price of every edge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from planner.area import Area
from planner.config import Config
from planner.costgraph.arrays import bool_col, geoms, nearest_line, prev_next
from planner.costgraph.graph import EPS, SRC_CHAIN
from planner.costgraph.lines import Cuts, Lines
from planner.costgraph.noding import Edges, Nodes
from planner.schema import POLE_OWNERS

__all__ = ["Poles", "pole_chains", "aerial"]


@dataclass
class Poles:
    """Usable poles, the chains they form and where each is charged."""

    table: pd.DataFrame
    owner_code: np.ndarray
    chain_line: np.ndarray
    chain_lo: np.ndarray   # covered from (first pole - span) ...
    chain_hi: np.ndarray   # ... to (last pole + span), along the line
    chain_owner: np.ndarray
    line: np.ndarray       # line each pole is charged on (-1: none)
    d: np.ndarray          # its position along that line


def pole_chains(area: Area, config: Config, L: Lines, cuts: Cuts) -> Poles:
    """Usable poles, the chains they form along road lines, and where a chain cuts its line."""
    dc = config.design
    poles = area.layers["poles"]
    if len(poles):
        ok = bool_col(poles, "usable", True) & poles["owner"].astype(object).isin(POLE_OWNERS).to_numpy()
        poles = poles.loc[ok].reset_index(drop=True)
    if not dc.allow_aerial:
        poles = poles.iloc[0:0]
    geom = geoms(poles) if len(poles) else np.empty(0, dtype=object)
    owner_code = pd.Categorical(poles["owner"].astype(object), categories=POLE_OWNERS).codes.astype(np.int64)
    span = dc.pole_span_max_m
    pi, li = L.tree.query(geom, predicate="dwithin", distance=dc.pole_offset_max_m)
    d = shapely.line_locate_point(L.geom[li], geom[pi])
    order = np.lexsort((pi, d, li))
    pi, li, d = pi[order], li[order], d[order]
    brk = np.r_[True, (li[1:] != li[:-1]) | (np.diff(d) > span + EPS)] if li.size else np.empty(0, bool)
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
    lo_cut = chain_lo > EPS
    hi_cut = chain_hi < L.length[chain_line] - EPS
    cuts.add(chain_line[lo_cut], chain_lo[lo_cut] + span, SRC_CHAIN)
    cuts.add(chain_line[hi_cut], chain_hi[hi_cut] - span, SRC_CHAIN)
    # each pole is charged on its nearest road line only
    line = nearest_line(L.tree, geom, dc.pole_offset_max_m)
    pd_ = np.full(len(geom), np.nan)
    has = line >= 0
    pd_[has] = shapely.line_locate_point(L.geom[line[has]], geom[has])
    chain_owner = np.argmax(owner_cnt[good], axis=1) if good.any() else np.empty(0, np.int64)
    return Poles(table=poles, owner_code=owner_code, chain_line=chain_line, chain_lo=chain_lo,
                 chain_hi=chain_hi, chain_owner=chain_owner, line=line, d=pd_)


def aerial(config: Config, P: Poles, N: Nodes, E: Edges) -> dict[str, np.ndarray]:
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
        prev, _ = prev_next(P.chain_line[co], P.chain_lo[co], E.line, E.d0 + EPS)
        ch = co[np.maximum(prev, 0)]
        covered = (prev >= 0) & (P.chain_lo[ch] <= E.d0 + EPS) & (P.chain_hi[ch] >= E.d1 - EPS)
        cover_chain = np.where(covered, ch, -1)
        pk = np.flatnonzero(P.line >= 0)
        pprev, _ = prev_next(N.rep_line, N.rep_d, P.line[pk], P.d[pk])
        ok = pprev >= 0
        pk, pprev = pk[ok], pprev[ok]
        pe = E.edge_of_start[pprev]
        pe_end = E.edge_of_end[pprev]
        pe = np.where(pe < 0, pe_end, pe)  # a pole at a line's far end
        # a pole right at a cut belongs to the aerial side (a chain's end pole)
        at_cut = (np.abs(P.d[pk] - N.rep_d[pprev]) < EPS) & (pe_end >= 0)
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
