"""Fibres on every route segment: feeder, distribution and express.

A fibre is laid along the tree path between its two ends; a segment carries
every fibre whose path runs through it:

* feeder: from the POP to each cabinet, one per first-stage splitter;
* distribution: centralised, from the cabinet to each home's access node
  (``fibres_per_drop`` each); cascade, from the cabinet to each closure
  splitter (one each) and from the closure to each home's access node
  (``fibres_per_drop``);
* express: from the POP to the access node of each home on a dedicated
  unsplit fibre (``fibres_per_drop``).

Paths may go up from a cabinet and down again (a cabinet below the top of
its area); :func:`planner.network.tree.walk_paths` counts them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.config.network import NetworkConfig
from planner.network.cabinets import Placement
from planner.network.tree import RouteTree, tree_distance, walk_paths

__all__ = ["Fibres", "count_fibres"]


@dataclass(frozen=True)
class Fibres:
    """Fibres per tree node (on the segment ending at the node; 0 at POPs).

    Attributes
    ----------
    feeder, distribution, express
        Fibres of each kind.
    home_path_m
        Fibre length of each home's path from the POP to its access node via
        its cabinet (and closure), metres -- longer than the route distance
        where a path turns back at a cabinet.
    """

    feeder: np.ndarray
    distribution: np.ndarray
    express: np.ndarray
    home_path_m: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """All fibres per node's segment."""
        out: np.ndarray = self.feeder + self.distribution + self.express
        return out


def count_fibres(tree: RouteTree, placement: Placement, home_node: np.ndarray, express: np.ndarray,
                 config: NetworkConfig) -> Fibres:
    """Count the fibres of every kind on every segment.

    Parameters
    ----------
    tree
        The route tree.
    placement
        Cabinets and closure splitters.
    home_node
        Access node of each home.
    express
        Homes on a dedicated unsplit fibre.
    config
        The ``[network]`` section.

    Returns
    -------
    Fibres
    """
    pl = placement
    fd = config.fibres_per_drop
    n = tree.n
    cab = pl.cabinet_node
    feeder, _, _ = walk_paths(tree, tree.root[cab], cab, pl.cabinet_feeder)
    dist = np.zeros(n, dtype=np.int64)
    split = np.flatnonzero(~express)
    hn = home_node[split]
    path = tree.depth[home_node].astype(float)
    if config.architecture == "cascade":
        cl = pl.closure_node
        ccab = cab[pl.closure_cabinet]
        walk_paths(tree, ccab, cl, counts=dist)
        hcl = cl[pl.home_closure[split]]
        walk_paths(tree, hcl, hn, np.full(hn.size, fd), counts=dist)
        hcab = cab[pl.home_cabinet[split]]
        path[split] = (tree.depth[hcab] + tree_distance(tree, hcab, hcl) + tree_distance(tree, hcl, hn))
    else:
        hcab = cab[pl.home_cabinet[split]]
        walk_paths(tree, hcab, hn, np.full(hn.size, fd), counts=dist)
        path[split] = tree.depth[hcab] + tree_distance(tree, hcab, hn)
    ex = np.flatnonzero(express)
    expr, _, _ = walk_paths(tree, tree.root[home_node[ex]], home_node[ex], np.full(ex.size, fd))
    return Fibres(feeder=feeder, distribution=dist, express=expr, home_path_m=path)

