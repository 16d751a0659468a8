"""Splitters and ports: the path of every home from its OLT port.

Each cabinet holds its first-stage splitters (one OLT PON port and one feeder
fibre each).  Centralised: the cabinet's homes, in route order, are spread
evenly over its splitters (so every splitter keeps spare ports) and numbered
port by port.  Cascade: the cabinet's closure splitters are spread over its
first-stage splitters the same way (one first-stage output each) and each
closure splitter's homes take its ports in route order.  Homes on an express
fibre take a point-to-point OLT port instead.

Ids: cabinets ``CAB-0001`` ... in route order; first-stage splitters
``CAB-0001/S1``; closure splitters ``CAB-0001/S1.3`` (fed by port 3 of
``S1``); OLT ports ``<POP id>/<card>/<port>`` (PON) and
``<POP id>/P<card>/<port>`` (point-to-point), cards and ports from 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config.network import NetworkConfig
from planner.network.cabinets import Placement
from planner.network.tree import RouteTree
from planner.schema import OUT_SPLITTER_COLUMNS

__all__ = ["Ports", "assign_ports"]

@dataclass(frozen=True)
class Ports:
    """Splitters and the port path of every home.

    Attributes
    ----------
    cabinet_id
        Id of each cabinet (``CAB-0001``...).
    splitters
        One row per splitter, columns :data:`OUT_SPLITTER_COLUMNS` (``node`` is
        the tree node it stands at).
    home_splitter, home_port
        Last splitter on each home's path and its output port (``""`` / 0
        for express homes).
    home_olt_port
        OLT port of each home (PON or point-to-point).
    pop_pon_ports, pop_p2p_ports
        Used ports per POP id.
    """

    cabinet_id: np.ndarray
    splitters: pd.DataFrame
    home_splitter: np.ndarray
    home_port: np.ndarray
    home_olt_port: np.ndarray
    pop_pon_ports: dict[str, int]
    pop_p2p_ports: dict[str, int]


def _spread(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Items ``0..n-1`` over ``k`` bins evenly in order: bin and 1-based rank in it."""
    i = np.arange(n)
    b = (i * k) // max(n, 1)
    first = np.searchsorted(b, np.arange(k))
    return b, i - first[b] + 1


def _groups(key: np.ndarray, items: np.ndarray, k: int) -> list[np.ndarray]:
    """``items`` split by ``key`` (``0..k-1``; others dropped), each group in the given order."""
    order = np.argsort(key, kind="stable")
    srt = key[order]
    bounds = np.searchsorted(srt, np.arange(k + 1))
    return [items[order[bounds[i]:bounds[i + 1]]] for i in range(k)]


def _olt_port(pop: str, i: int, per_card: int, prefix: str = "") -> str:
    return f"{pop}/{prefix}{i // per_card + 1}/{i % per_card + 1}"


def assign_ports(tree: RouteTree, placement: Placement, home_node: np.ndarray, home_ids: np.ndarray,
                 express: np.ndarray, pop_of_root: dict[int, str], config: NetworkConfig) -> Ports:
    """Number splitters and ports from each OLT to every home.

    Parameters
    ----------
    tree
        The route tree.
    placement
        Cabinets and closure splitters (:func:`planner.network.cabinets.place`).
    home_node, home_ids
        Access node and address id of each home.
    express
        Homes on a dedicated unsplit fibre.
    pop_of_root
        POP id of each tree root node.
    config
        The ``[network]`` section.

    Returns
    -------
    Ports
    """
    pl = placement
    n_cab = pl.cabinet_node.size
    cab_id = np.array([f"CAB-{i + 1:04d}" for i in range(n_cab)], dtype=object)
    cab_pop = np.array([pop_of_root[int(r)] for r in tree.root[pl.cabinet_node]], dtype=object)
    n_home = home_node.size
    h_spl = np.full(n_home, "", dtype=object)
    h_port = np.zeros(n_home, dtype=np.int64)
    h_olt = np.full(n_home, "", dtype=object)
    rows: list[dict[str, object]] = []
    pon_next: dict[str, int] = {}
    ppc = config.olt_ports_per_card
    cascade = config.architecture == "cascade"
    ratio1 = config.cascade_ratios[0] if cascade else config.split_ratio
    # homes of each cabinet in route order (node preorder, then address id)
    horder = np.lexsort((home_ids.astype(str), tree.pos[home_node]))
    by_cab = _groups(pl.home_cabinet[horder], horder, n_cab)
    by_closure = _groups(pl.home_closure[horder], horder, pl.closure_node.size)
    for c in range(n_cab):
        k1 = int(pl.cabinet_feeder[c])
        pop = str(cab_pop[c])
        olt = []
        for _ in range(k1):
            i = pon_next.get(pop, 0)
            pon_next[pop] = i + 1
            olt.append(_olt_port(pop, i, ppc))
        node = int(pl.cabinet_node[c])
        if cascade:
            cl = np.flatnonzero(pl.closure_cabinet == c)
            cl = cl[np.argsort(tree.pos[pl.closure_node[cl]], kind="stable")]
            b, r = _spread(cl.size, k1)
            s1_homes = np.zeros(k1, dtype=np.int64)
            for q, j, port in zip(cl.tolist(), b.tolist(), r.tolist()):
                sid = f"{cab_id[c]}/S{j + 1}.{port}"
                hs = by_closure[q]
                h_spl[hs] = sid
                h_port[hs] = np.arange(1, hs.size + 1)
                h_olt[hs] = olt[j]
                s1_homes[j] += hs.size
                rows.append({"splitter_id": sid, "stage": 2, "ratio": config.cascade_ratios[1], "cabinet_id": cab_id[c],
                             "node": int(pl.closure_node[q]), "upstream_splitter_id": f"{cab_id[c]}/S{j + 1}",
                             "upstream_port": port, "olt_port": olt[j], "pop_id": pop, "homes": int(hs.size),
                             "ports_used": int(hs.size)})
            used = np.bincount(b, minlength=k1)
            for j in range(k1):
                rows.append({"splitter_id": f"{cab_id[c]}/S{j + 1}", "stage": 1, "ratio": ratio1,
                             "cabinet_id": cab_id[c], "node": node, "upstream_splitter_id": "", "upstream_port": 0,
                             "olt_port": olt[j], "pop_id": pop, "homes": int(s1_homes[j]),
                             "ports_used": int(used[j])})
        else:
            hs = by_cab[c]
            b, r = _spread(hs.size, k1)
            for j in range(k1):
                sid = f"{cab_id[c]}/S{j + 1}"
                m = b == j
                h_spl[hs[m]] = sid
                h_port[hs[m]] = r[m]
                h_olt[hs[m]] = olt[j]
                rows.append({"splitter_id": sid, "stage": 1, "ratio": ratio1, "cabinet_id": cab_id[c], "node": node,
                             "upstream_splitter_id": "", "upstream_port": 0, "olt_port": olt[j], "pop_id": pop,
                             "homes": int(m.sum()), "ports_used": int(m.sum())})
    # express homes: point-to-point ports, by POP in route order
    p2p_next: dict[str, int] = {}
    for h in horder[express[horder]].tolist():
        pop = pop_of_root[int(tree.root[home_node[h]])]
        i = p2p_next.get(pop, 0)
        p2p_next[pop] = i + 1
        h_olt[h] = _olt_port(pop, i, config.p2p_ports_per_card, "P")
    spl = pd.DataFrame(rows, columns=[c for c in OUT_SPLITTER_COLUMNS if c != "ports_free"])
    spl["ports_free"] = spl["ratio"] - spl["ports_used"]
    spl = spl.sort_values(["cabinet_id", "stage", "splitter_id"], kind="stable", key=_natural).reset_index(drop=True)
    for col in ("stage", "ratio", "node", "upstream_port", "homes", "ports_used", "ports_free"):
        spl[col] = spl[col].astype(np.int64)
    return Ports(cabinet_id=cab_id, splitters=spl[list(OUT_SPLITTER_COLUMNS)], home_splitter=h_spl, home_port=h_port,
                 home_olt_port=h_olt, pop_pon_ports=pon_next, pop_p2p_ports=p2p_next)


def _natural(col: pd.Series) -> pd.Series:
    """Sort key that orders ``S2`` before ``S10`` (numbers zero-padded)."""
    if col.dtype != object:
        return col
    return col.astype(str).str.replace(r"\d+", lambda m: m.group(0).zfill(6), regex=True)
