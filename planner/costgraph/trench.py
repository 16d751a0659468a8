"""Trench option: surface class, road crossings and the trench price of every edge."""

from __future__ import annotations

import numpy as np

from planner.config import Config
from planner.costgraph.noding import Edges

__all__ = ["trench"]


def trench(config: Config, highway: np.ndarray, surface: np.ndarray, n_nodes: int,
            E: Edges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
