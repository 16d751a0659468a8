"""Stage ``network``: the optical network on the designed route.

:func:`design_optical_network` takes the study area, the configuration and
the design stage's result (its segments, drops and addresses) and returns a
:class:`NetworkResult` -- cabinets, splitters, fibre counts, cables,
closures, OLTs, the loss budget of every address, the priced bill of
materials and the bills of quantities with the optical cost added -- without
touching the disk.  The naive alternative of the design is priced with the
same rules (:mod:`planner.network.naive`).

Order of the work: route tree (:mod:`.tree`) -> express fibres
(:mod:`.demand`) -> cabinets and closure splitters (:mod:`.cabinets`,
:mod:`.partition`) -> splitters and ports (:mod:`.ports`) -> fibres per segment
(:mod:`.fibres`) -> cables, closures, splices (:mod:`.cables`) -> loss budget
(:mod:`.loss`) -> OLTs (:mod:`.pop`) -> prices (:mod:`.costs`) -> output
frames (:mod:`.tables`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.area import Area
from planner.config import Config
from planner.network import summary as summary_mod
from planner.network import tables
from planner.network.cabinets import Placement, allowed_nodes, place, snap_sites
from planner.network.cables import Cabling, lay_cables
from planner.network.costs import Bom, add_to_bom, price_network
from planner.network.demand import express_mask
from planner.network.fibres import Fibres, count_fibres
from planner.network.loss import LossInputs, loss_budget
from planner.network.naive import naive_segments
from planner.network.pop import olt_table, pop_of_roots
from planner.network.ports import Ports, assign_ports
from planner.network.tree import RouteTree, route_tree, walk_paths

__all__ = ["NetworkResult", "design_optical_network"]

logger = logging.getLogger(__name__)


@dataclass
class NetworkResult:
    """The optical network of one study area.

    Attributes
    ----------
    cabinets, cabinet_areas, splitters, cables, closures, olt
        Output layers (EPSG of the area): cabinet points, their service-area
        polygons, splitter points, cable lines, closure points, OLT (POP)
        points; columns in :mod:`planner.schema` (``OUT_*_COLUMNS``).
    loss_budget
        One row per connected address (:data:`planner.schema.OUT_LOSS_BUDGET_COLUMNS`).
    segment_fibres
        Fibres per route segment: ``segment_id, feeder, distribution,
        express, fibres, cable_id, cable_size``.
    addresses
        The design's addresses with the network columns
        (:data:`planner.schema.OUT_ADDRESS_NETWORK_COLUMNS`).
    bom_items
        Priced bill of materials of the optical network (with a TOTAL row).
    bom, bom_naive
        The design's bills of quantities with ``cost_optical_pln`` added
        (the naive one unchanged when its tree cannot be rebuilt).
    summary
        Key figures (JSON-serialisable).
    """

    cabinets: gpd.GeoDataFrame
    cabinet_areas: gpd.GeoDataFrame
    splitters: gpd.GeoDataFrame
    cables: gpd.GeoDataFrame
    closures: gpd.GeoDataFrame
    olt: gpd.GeoDataFrame
    loss_budget: pd.DataFrame
    segment_fibres: pd.DataFrame
    addresses: gpd.GeoDataFrame
    bom_items: pd.DataFrame
    bom: pd.DataFrame
    bom_naive: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Core:
    """Everything computed on one route tree (the shared one or the naive one)."""

    tree: RouteTree
    home_node: np.ndarray
    express: np.ndarray
    placement: Placement
    ports: Ports
    fibres: Fibres
    cabling: Cabling
    pop_of_root: dict[int, str]
    node_simc: np.ndarray
    olt: gpd.GeoDataFrame
    bom: Bom
    cable_changes: np.ndarray


def _node_simc(tree: RouteTree, seg_simc: np.ndarray) -> np.ndarray:
    """Locality of each node: that of the segment ending there; at a POP, that of its first segment."""
    out = np.full(tree.n, "", dtype=object)
    has = tree.segment >= 0
    out[has] = seg_simc[tree.segment[has]]
    kids = tree.pre[tree.parent[tree.pre] >= 0]
    first: dict[int, int] = {}
    for v in kids.tolist():
        first.setdefault(int(tree.parent[v]), v)
    for r, v in first.items():
        if tree.parent[r] < 0:
            out[r] = out[v]
    return out


def _core(tree: RouteTree, seg_simc: np.ndarray, seg_ids: np.ndarray, home_node: np.ndarray, home_ids: np.ndarray,
          express: np.ndarray, area: Area, config: Config, geometry: np.ndarray | None) -> _Core:
    nc = config.network
    allowed = allowed_nodes(tree, area.layers["parcels"], nc)
    sites_layer = area.layers.get("cabinet_sites")
    sites = snap_sites(tree, sites_layer, nc) if sites_layer is not None and len(sites_layer) else None
    placement = place(tree, home_node, express, nc, allowed=allowed, sites=sites, home_ids=home_ids)
    roots = np.flatnonzero(tree.parent < 0)
    pop_of_root = pop_of_roots(tree.xy[roots], roots, area.pops)
    ports = assign_ports(tree, placement, home_node, home_ids, express, pop_of_root, nc)
    fibres = count_fibres(tree, placement, home_node, express, nc)
    stage2 = ports.splitters[ports.splitters["stage"] == 2] if nc.architecture == "cascade" else None
    node_seg_ids = np.where(tree.segment >= 0, seg_ids[np.maximum(tree.segment, 0)], -1)
    cabling = lay_cables(tree, fibres, placement.cabinet_node, placement.cabinet_feeder, stage2, home_node,
                         node_seg_ids, geometry, nc)
    changes = _cable_changes(tree, placement, home_node, express, cabling.start, nc.architecture == "cascade")
    node_simc = _node_simc(tree, seg_simc)
    # OLTs
    cab_pop = np.array([pop_of_root[int(r)] for r in tree.root[placement.cabinet_node]], dtype=object)
    home_pop = np.array([pop_of_root[int(r)] for r in tree.root[home_node]], dtype=object)
    def count(arr: np.ndarray) -> dict[str, int]:
        return {str(k): int(v) for k, v in pd.Series(arr, dtype=object).value_counts().items()}

    olt = olt_table(area.pops, area.sources.get("pops", ""), count(home_pop[~express]), count(home_pop[express]),
                    count(cab_pop), ports.pop_pon_ports, ports.pop_p2p_ports, nc)
    pop_simc = {pop_of_root[int(r)]: node_simc[r] for r in roots}
    # prices
    spl = ports.splitters
    cab_patch = (np.bincount(placement.closure_cabinet, minlength=placement.cabinet_node.size)
                 if nc.architecture == "cascade"
                 else np.bincount(placement.home_cabinet[placement.home_cabinet >= 0],
                                  minlength=placement.cabinet_node.size))
    on = tree.segment >= 0
    clo_nodes = cabling.closures["node"].to_numpy(dtype=np.int64)
    is_cab = np.zeros(tree.n, dtype=bool)
    is_cab[placement.cabinet_node] = True
    is_root = tree.parent < 0
    is_clo = np.zeros(tree.n, dtype=bool)
    is_clo[clo_nodes] = True
    sp = cabling.splice_at
    splices = {"closures": (node_simc[is_clo], sp[is_clo]), "cabinets": (node_simc[is_cab], sp[is_cab]),
               "POP": (node_simc[is_root & ~is_cab], sp[is_root & ~is_cab])}
    bom = price_network(config=nc, cabinet_simc=node_simc[placement.cabinet_node], splitters=spl,
                        splitter_simc=node_simc[spl["node"].to_numpy(dtype=np.int64)], olt=olt, pop_simc=pop_simc,
                        cable_size=cabling.size[on], cable_len_m=tree.length[on] * cabling.parallel[on],
                        cable_simc=node_simc[on],
                        closure_simc=node_simc[clo_nodes], splices=splices, cabinet_patch=cab_patch)
    return _Core(tree=tree, home_node=home_node, express=express, placement=placement, ports=ports, fibres=fibres,
                 cabling=cabling, pop_of_root=pop_of_root, node_simc=node_simc, olt=olt, bom=bom,
                 cable_changes=changes)


def _cable_changes(tree: RouteTree, pl: Placement, home_node: np.ndarray, express: np.ndarray, start: np.ndarray,
                   cascade: bool) -> np.ndarray:
    """Cable changes on each home's fibre path, outside the cabinet and the closure splitter."""
    out = np.zeros(home_node.size, dtype=np.int64)
    scratch = np.zeros(tree.n, dtype=np.int64)
    cab = pl.cabinet_node
    _, feed, _ = walk_paths(tree, tree.root[cab], cab, flag=start, counts=scratch)
    split = np.flatnonzero(~express)
    hc = pl.home_cabinet[split]
    out[split] = feed[hc]
    if cascade:
        cl = pl.closure_node
        _, c1, _ = walk_paths(tree, cab[pl.closure_cabinet], cl, flag=start, counts=scratch)
        q = pl.home_closure[split]
        _, c2, _ = walk_paths(tree, cl[q], home_node[split], flag=start, counts=scratch)
        out[split] += c1[q] + c2
    else:
        _, c2, _ = walk_paths(tree, cab[hc], home_node[split], flag=start, counts=scratch)
        out[split] += c2
    ex = np.flatnonzero(express)
    _, ce, _ = walk_paths(tree, tree.root[home_node[ex]], home_node[ex], flag=start, counts=scratch)
    out[ex] = ce
    return out


def design_optical_network(area: Area, config: Config, design: Any) -> NetworkResult:
    """Design the optical network on the design stage's route.

    Parameters
    ----------
    area
        The study area (POPs, buildings, parcels, optional ``cabinet_sites``).
    config
        The whole configuration (``[network]``; ``[design] max_reach_m`` as the
        secondary reach check).
    design
        The design stage's result: ``segments`` (``segment_id, parent_id, u, v,
        length_m, simc, geometry``), ``drops`` (``address_id, simc,
        access_node, length_m``), ``addresses``, ``bom``, ``bom_naive`` and,
        to price the naive alternative, ``graph``.

    Returns
    -------
    NetworkResult

    Raises
    ------
    planner._errors.ConfigError
        A segment needs more fibres than the largest cable (exit 2).
    planner._errors.InputDataError
        No allowed cabinet site within reach of some addresses (exit 1).
    """
    segs = design.segments.sort_values("segment_id", kind="stable").reset_index(drop=True)
    drops = design.drops.sort_values("address_id", kind="stable").reset_index(drop=True)
    geom = np.asarray(segs.geometry.values, dtype=object)
    tree = route_tree(segs["u"].to_numpy(), segs["v"].to_numpy(), segs["length_m"].to_numpy(dtype=float), geom)
    home_ids = drops["address_id"].astype(str).to_numpy(dtype=object)
    home_node = tree.index_of(drops["access_node"].to_numpy(dtype=np.int64))
    if (home_node < 0).any():
        raise ValueError("a drop hangs off a node that is not on the route tree")
    addr = design.addresses
    by_id = addr.set_index(addr["id"].astype(str))
    homes_addr = by_id.loc[home_ids]
    express = express_mask(gpd.GeoDataFrame(homes_addr, geometry="geometry", crs=addr.crs),
                           area.layers["buildings"], config.network)
    node_geom = np.full(tree.n, None, dtype=object)
    node_geom[tree.segment >= 0] = geom[tree.segment[tree.segment >= 0]]
    core = _core(tree, segs["simc"].astype(str).to_numpy(dtype=object), segs["segment_id"].to_numpy(dtype=np.int64),
                 home_node, home_ids, express, area, config, node_geom)
    loss = loss_budget(LossInputs(
        address_id=home_ids,
        cabinet_id=np.where(core.placement.home_cabinet >= 0,
                            core.ports.cabinet_id[np.maximum(core.placement.home_cabinet, 0)], ""),
        splitter_id=core.ports.home_splitter, olt_port=core.ports.home_olt_port, express=express,
        path_m=core.fibres.home_path_m, route_m=tree.depth[home_node],
        drop_m=drops["length_m"].to_numpy(dtype=float), cable_changes=core.cable_changes),
        config.network, config.design.max_reach_m)
    bom = add_to_bom(design.bom, core.bom.by_simc)
    bom_naive, naive_total = design.bom_naive, float("nan")
    nseg = naive_segments(getattr(design, "graph", None), drops)
    if nseg is not None and len(nseg):
        ntree = route_tree(nseg["u"].to_numpy(), nseg["v"].to_numpy(), nseg["length_m"].to_numpy(dtype=float))
        ntree = replace(ntree, xy=np.asarray(design.graph.node_xy, dtype=float)[ntree.node])
        ncore = _core(ntree, nseg["simc"].to_numpy(dtype=object), nseg["segment_id"].to_numpy(dtype=np.int64),
                      ntree.index_of(drops["access_node"].to_numpy(dtype=np.int64)), home_ids, express, area,
                      config, None)
        bom_naive = add_to_bom(design.bom_naive, ncore.bom.by_simc)
        naive_total = ncore.bom.total_pln
    else:
        logger.info("network: the design carries no cost graph; the naive alternative is priced without optics")
    out = tables.build_outputs(core=core, segs=segs, drops=drops, addresses=addr, loss=loss, area=area,
                               config=config)
    summary = summary_mod.summary(core=core, loss=loss, bom=bom, bom_naive=bom_naive, naive_optical_pln=naive_total,
                             addresses=addr, config=config, olt=out["olt"])
    logger.info("network: %d cabinets, %d PON ports, %d closures, worst loss %.1f dB",
                core.placement.cabinet_node.size, int(core.olt["pon_ports"].sum()) if len(core.olt) else 0,
                len(core.cabling.closures), summary.get("worst_loss_db", float("nan")))
    return NetworkResult(cabinets=out["cabinets"], cabinet_areas=out["cabinet_areas"], splitters=out["splitters"],
                         cables=out["cables"], closures=out["closures"], olt=out["olt"], loss_budget=loss,
                         segment_fibres=out["segment_fibres"], addresses=out["addresses"],
                         bom_items=core.bom.items, bom=bom, bom_naive=bom_naive, summary=summary)
