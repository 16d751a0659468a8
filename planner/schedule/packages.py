"""Work packages: segments and drops cut into packages, and the package graph.

Segments of one deployment kind (``aerial``, ``duct``, ``trench_<surface>``) in
one locality that are connected in the tree form one package; runs longer than
``ScheduleConfig.max_package_days`` working days are cut into connected
subtrees (bottom-up, cutting off the largest child subtrees first) so that
several crews can share them.  Drops form one package per network package they
hang off, cut into ``max_package_days`` pieces.  A package depends on the
packages holding the parents of its segments, so the package graph is a tree
(acyclic) and "a segment is built only after the segments between it and the
POP" holds at package level.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner._errors import InputDataError, Problem
from planner.config import CrewConfig, ScheduleConfig

__all__ = [
    "KINDS",
    "CREW_TYPE",
    "CREW_FIELD",
    "CREW_TYPES",
    "PackageGraph",
    "prepare_segments",
    "build_packages",
    "package_graph",
]

logger = logging.getLogger(__name__)

#: Work-package kinds.
KINDS: tuple[str, ...] = ("aerial", "duct", "trench_unpaved", "trench_paved", "trench_carriageway", "drops")
#: Crew type that builds each kind.
CREW_TYPE: dict[str, str] = {
    "aerial": "aerial", "duct": "duct", "trench_unpaved": "trench", "trench_paved": "trench",
    "trench_carriageway": "trench", "drops": "drop",
}
#: Crew type -> field of :class:`~planner.config.CrewConfig` with its number of crews.
CREW_FIELD: dict[str, str] = {"aerial": "aerial_crews", "duct": "duct_crews", "trench": "trench_crews",
                              "drop": "drop_crews"}
#: Crew types, in table order.
CREW_TYPES: tuple[str, ...] = ("aerial", "duct", "trench", "drop")


@dataclass
class PackageGraph:
    """Arrays of the package graph the list scheduler works on (packages 0..n-1 in topological order)."""

    wp_id: list[str]
    kind: list[str]
    crew_type: list[str]
    cal: list[int]
    duration: list[float]
    deps: list[list[int]]
    succ: list[list[int]]
    consent_day: list[int]
    order: list[int]          # topological position (depth-first tree order)
    simc: list[str]
    quantity: np.ndarray
    n_segments: np.ndarray


def _kind_of(deployment: pd.Series, surface: pd.Series) -> np.ndarray:
    surf = surface.fillna("").astype(str)
    bad = (deployment == "trench") & ~surf.isin(["unpaved", "paved", "carriageway"])
    if bad.any():
        logger.warning("%d trench segments have no surface; scheduled as 'paved'", int(bad.sum()))
    surf = surf.where(~bad, "paved")
    kinds: np.ndarray = np.where(deployment == "trench", "trench_" + surf, deployment.astype(str)).astype(object)
    return kinds


def productivity(crews: CrewConfig, kind: str) -> float:
    return {
        "aerial": crews.aerial_m_per_day, "duct": crews.duct_m_per_day,
        "trench_unpaved": crews.trench_unpaved_m_per_day, "trench_paved": crews.trench_paved_m_per_day,
        "trench_carriageway": crews.trench_carriageway_m_per_day, "drops": crews.drops_per_day,
    }[kind]


def prepare_segments(segments: Any) -> pd.DataFrame:
    """Checked, sorted segment table with ``pidx`` (row of the parent), preorder and depth."""
    src = "segments"
    need = ["segment_id", "parent_id", "deployment", "length_m"]
    missing = [c for c in need if c not in segments.columns]
    if missing:
        raise InputDataError("segments table lacks columns", [Problem(
            file=src, message=f"missing columns {missing}", fix="pass the design stage's segments layer")])
    cols = [c for c in segments.columns if c != "geometry"]
    seg = pd.DataFrame(segments[cols]).copy()
    for c, default in (("surface", ""), ("consent", "not_needed"), ("simc", ""), ("locality", ""),
                       ("dist_from_pop_m", np.nan), ("cost_pln", 0.0)):
        if c not in seg:
            seg[c] = default
    seg["segment_id"] = seg["segment_id"].astype("int64")
    seg["parent_id"] = seg["parent_id"].astype("int64")
    seg["simc"] = seg["simc"].fillna("").astype(str)
    seg["locality"] = seg["locality"].fillna("").astype(str)
    seg["consent"] = seg["consent"].fillna("not_needed").astype(str)
    seg["length_m"] = seg["length_m"].astype(float)
    problems = []
    dup = seg["segment_id"].duplicated(keep=False)
    if dup.any():
        problems.append(Problem(file=src, row=int(seg.loc[dup, "segment_id"].iloc[0]),
                                message=f"{int(dup.sum())} rows share a segment_id", fix="make segment_id unique"))
    bad_dep = ~seg["deployment"].isin(["aerial", "duct", "trench"])
    if bad_dep.any():
        problems.append(Problem(file=src, row=int(seg.loc[bad_dep, "segment_id"].iloc[0]),
                                message=(f"deployment {seg.loc[bad_dep, 'deployment'].iloc[0]!r} "
                                         "is not aerial|duct|trench"),
                                fix="re-run the design stage"))
    if (seg["length_m"] < 0).any() or seg["length_m"].isna().any():
        problems.append(Problem(file=src, message="negative or missing length_m", fix="re-run the design stage"))
    if problems:
        raise InputDataError("invalid segments", problems)
    seg = seg.sort_values("segment_id", kind="stable").reset_index(drop=True)
    ids = seg["segment_id"].to_numpy()
    par = seg["parent_id"].to_numpy()
    pos = np.searchsorted(ids, par)
    pos_c = np.clip(pos, 0, max(len(ids) - 1, 0))
    found = (par >= 0) & (len(ids) > 0) & (ids[pos_c] == par) if len(ids) else np.zeros(0, bool)
    orphan = (par >= 0) & ~found
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        raise InputDataError("segments reference unknown parents", [Problem(
            file=src, row=int(ids[i]), message=f"parent_id {int(par[i])} of segment {int(ids[i])} does not exist "
            f"({int(orphan.sum())} such segments)", fix="parent_id must be a segment_id or -1 at the POP")])
    pidx = np.where(found, pos_c, -1)
    # depth-first preorder from the POP, children by segment_id
    n = len(seg)
    children: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(pidx.tolist()):
        if p >= 0:
            children[p].append(i)
    preorder = np.full(n, -1, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    k = 0
    stack = [int(i) for i in np.flatnonzero(pidx < 0)[::-1]]
    while stack:
        i = stack.pop()
        preorder[i] = k
        k += 1
        p = pidx[i]
        depth[i] = depth[p] + 1 if p >= 0 else 0
        stack.extend(reversed(children[i]))
    if k < n:
        i = int(np.flatnonzero(preorder < 0)[0])
        raise InputDataError("segment tree has a cycle", [Problem(
            file=src, row=int(ids[i]), message=f"{n - k} segments are not connected to the POP (parent_id cycle)",
            fix="the segments must form a tree rooted at the POP (parent_id -1)")])
    seg["pidx"] = pidx
    seg["preorder"] = preorder
    seg["depth"] = depth
    seg["kind"] = _kind_of(seg["deployment"], seg["surface"])
    return seg


def build_packages(seg: pd.DataFrame, drops: pd.DataFrame,
                   sc: ScheduleConfig) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Cut segments and drops into packages.

    Returns the package table (topological order), the package row of each
    segment, and the drops table with its package row.
    """
    crews = sc.crews
    n = len(seg)
    order = np.argsort(seg["preorder"].to_numpy(), kind="stable")
    pidx = seg["pidx"].to_numpy()
    key = (seg["simc"] + "|" + seg["kind"]).to_numpy()
    length = seg["length_m"].to_numpy()
    kinds = seg["kind"].to_numpy()
    # components: maximal connected runs of one kind in one locality
    comp_of = np.full(n, -1, dtype=np.int64)
    for i in order.tolist():
        p = pidx[i]
        comp_of[i] = comp_of[p] if p >= 0 and key[p] == key[i] else i
    # cut each component into connected subtrees of at most max_package_days of work
    # (bottom-up: at a node, cut off its largest child subtrees until it fits)
    cap = np.array([sc.max_package_days * productivity(crews, k) for k in kinds]) if n else np.zeros(0)
    children: list[list[int]] = [[] for _ in range(n)]
    for i in order.tolist():
        p = pidx[i]
        if p >= 0 and comp_of[p] == comp_of[i]:
            children[p].append(i)
    acc = length.astype(float).copy()
    is_root = np.zeros(n, dtype=bool)
    for i in order[::-1].tolist():
        kids = sorted(((acc[c], c) for c in children[i]), reverse=True)
        total = length[i] + sum(v for v, _ in kids)
        for v, c in kids:
            if total <= cap[i]:
                break
            is_root[c] = True
            total -= v
        acc[i] = total
        if comp_of[i] == i:
            is_root[i] = True
    chunk = np.full(n, -1, dtype=np.int64)
    n_chunks = 0
    for i in order.tolist():
        if is_root[i]:
            chunk[i] = n_chunks
            n_chunks += 1
        else:
            chunk[i] = chunk[pidx[i]]
    seg_pk = chunk
    s = seg.assign(pk=chunk, pending=(seg["consent"] == "pending"))
    g = s.groupby("pk", sort=True)
    net = pd.DataFrame({
        "simc": g["simc"].first(), "locality": g["locality"].first(), "kind": g["kind"].first(),
        "quantity": g["length_m"].sum(), "n_segments": g.size(), "pending": g["pending"].any(),
        "first": g["preorder"].min(),
    })
    net["unit"] = "m"
    # dependencies: packages of the parents of each segment
    has_p = pidx >= 0
    dep = pd.DataFrame({"pk": chunk[has_p], "dep": chunk[pidx[has_p]]})
    dep = dep[dep["pk"] != dep["dep"]].drop_duplicates()
    # drops: per network package, cut at max_package_days
    d = drops.copy()
    seg_ids = seg["segment_id"].to_numpy()
    sid = d["segment_id"].astype("int64").to_numpy()
    pos = np.clip(np.searchsorted(seg_ids, sid), 0, max(n - 1, 0))
    ok = (sid >= 0) & (n > 0) & (seg_ids[pos] == sid) if n else np.zeros(len(d), bool)
    unknown = (sid >= 0) & ~ok
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise InputDataError("drops reference unknown segments", [Problem(
            file="drops", row=str(d["address_id"].iloc[i]),
            message=f"segment_id {int(sid[i])} is not in the segments table ({int(unknown.sum())} drops)",
            fix="re-run the design stage")])
    d["net_pk"] = np.where(ok, chunk[pos] if n else -1, -1)
    d["net_first"] = np.where(d["net_pk"] >= 0, net["first"].reindex(d["net_pk"]).to_numpy(), -1)
    d = d.sort_values(["simc", "net_first", "address_id"], kind="stable").reset_index(drop=True)
    drop_cap = max(1, int(math.floor(sc.max_package_days * crews.drops_per_day)))
    d["part"] = d.groupby(["simc", "net_pk"], sort=False).cumcount() // drop_cap
    dg = d.groupby(["simc", "net_pk", "part"], sort=False)
    dp = pd.DataFrame({
        "simc": dg["simc"].first(), "locality": dg["locality"].first() if "locality" in d else "",
        "quantity": dg.size().astype(float), "n_segments": 0, "pending": False,
        "first": dg["net_first"].first(), "net_pk": dg["net_pk"].first(),
    }).reset_index(drop=True)
    dp["kind"] = "drops"
    dp["unit"] = "drops"
    dp_index = n_chunks + np.arange(len(dp))
    d["pk"] = dg.ngroup().to_numpy() + n_chunks
    dp.index = dp_index
    dep = pd.concat([dep, pd.DataFrame({"pk": dp_index[dp["net_pk"].to_numpy() >= 0],
                                        "dep": dp.loc[dp["net_pk"] >= 0, "net_pk"].to_numpy()})])
    pk = pd.concat([net, dp.drop(columns="net_pk")])
    pk["is_drop"] = pk["kind"] == "drops"
    # wp ids: per (simc, kind) in tree order
    pk = pk.sort_values(["first", "is_drop"], kind="stable")
    pk["num"] = pk.groupby(["simc", "kind"], sort=False).cumcount() + 1
    pk["wp_id"] = [f"{s or 'none'}-{k}-{i:03d}" for s, k, i in zip(pk["simc"], pk["kind"], pk["num"])]
    deps_of: dict[int, list[int]] = {}
    for a, b in sorted(zip(dep["pk"].tolist(), dep["dep"].tolist())):
        deps_of.setdefault(a, []).append(b)
    pk["deps"] = [deps_of.get(x, []) for x in pk.index.tolist()]
    pk["quantity"] = pk["quantity"].astype(float)
    pk["duration"] = [max(q / productivity(crews, k), 1e-3) for q, k in zip(pk["quantity"], pk["kind"])]
    return pk, seg_pk, d


def package_graph(pk: pd.DataFrame, consent_day: int) -> PackageGraph:
    """Index the packages 0..n-1 in topological order."""
    rows = {old: new for new, old in enumerate(pk.index.tolist())}
    deps = [[rows[x] for x in v] for v in pk["deps"]]
    succ: list[list[int]] = [[] for _ in deps]
    for i, v in enumerate(deps):
        for j in v:
            succ[j].append(i)
    return PackageGraph(
        wp_id=pk["wp_id"].tolist(), kind=pk["kind"].tolist(),
        crew_type=[CREW_TYPE[k] for k in pk["kind"]],
        cal=[1 if k.startswith("trench") else 0 for k in pk["kind"]],
        duration=[float(x) for x in pk["duration"]], deps=deps, succ=succ,
        consent_day=[consent_day if p else 0 for p in pk["pending"]],
        order=list(range(len(pk))), simc=pk["simc"].tolist(),
        quantity=pk["quantity"].to_numpy(), n_segments=pk["n_segments"].to_numpy(),
    )

