"""The cost-graph stage: :func:`build_cost_graph`."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.config import Config
from planner.costgraph.access import access_table
from planner.costgraph.arrays import bool_col, geoms, str_col
from planner.costgraph.consents import consents
from planner.costgraph.ducts import duct, reusable_ducts
from planner.costgraph.graph import SRC_POP, SRC_TARGET, CostGraph
from planner.costgraph.lines import Cuts, point_cuts, road_lines, structural_cuts
from planner.costgraph.noding import merge_cuts, split_lines
from planner.costgraph.poles import aerial, pole_chains
from planner.costgraph.trench import trench
from planner.schema import DEPLOYMENT_TYPES

__all__ = ["build_cost_graph"]

logger = logging.getLogger("planner.costgraph")


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

    L = road_lines(area, config)
    cuts = Cuts()
    structural_cuts(L, cuts, dc.node_snap_m)
    P = pole_chains(area, config, L, cuts)
    ducts = reusable_ducts(area, config, L, cuts)
    pops = area.pops
    if len(pops) == 0:
        raise InputDataError("no POP in the study area", [Problem(
            file=src.get("pops", "pops"), message="the pops layer is empty",
            fix="add the point of presence (central office) the network starts from")])
    pop_line = point_cuts(geoms(pops), L, cuts, SRC_POP, dc.max_access_distance_m)
    if (pop_line < 0).any():
        raise InputDataError("a POP is far from every road", [Problem(
            file=src.get("pops", "pops"), row=str(pops["id"].iloc[k]),
            message=f"no road within {dc.max_access_distance_m:g} m of this POP",
            fix="move the POP next to a road or add the road leading to it") for k in np.flatnonzero(pop_line < 0)])
    tgt_geom = geoms(targets) if len(targets) else np.empty(0, dtype=object)
    tgt_line = point_cuts(tgt_geom, L, cuts, SRC_TARGET, dc.max_access_distance_m)
    bar.update()

    N = merge_cuts(L, cuts, config)
    E = split_lines(L, N)
    n_nodes = N.node_xy.shape[0]
    bar.update()

    highway = str_col(L.table, "highway", "unclassified")
    aer = aerial(config, P, N, E)
    cost_duct, duct_id = duct(config, ducts, E)
    cost_trench, surface, crossings = trench(config, highway, str_col(L.table, "surface", "paved"), n_nodes, E)
    consent, parcel = consents(config, area.layers["parcels"], bool_col(L.table, "private", False), E)
    bar.update()

    options = np.column_stack([aer["cost"], cost_duct, cost_trench])
    choice = np.argmin(options, axis=1)
    best = options[np.arange(choice.size), choice]
    penalty = np.where(consent == "pending", cc.consent_pending_penalty_pln, 0.0)
    is_aer, is_duct, is_tr = choice == 0, choice == 1, choice == 2
    cnt = np.where(is_aer[:, None], aer["owner_cnt"], 0)

    def obj(a: npt.ArrayLike) -> np.ndarray:
        return np.asarray(a, dtype=object)

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
            "road_id": obj(str_col(L.table, "id", "")[E.line]),
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

    is_t, is_p = N.cut_src == SRC_TARGET, N.cut_src == SRC_POP
    tgt_node = np.full(len(tgt_geom), -1, dtype=np.int64)
    tgt_node[N.cut_ref[is_t]] = N.cut_node[is_t]
    pop_nodes = np.full(len(pops), -1, dtype=np.int64)
    pop_nodes[N.cut_ref[is_p]] = N.cut_node[is_p]
    access = access_table(targets, tgt_geom, tgt_line, tgt_node, N.node_xy, L.geom, highway,
                           area.layers["parcels"], config)
    bar.update()
    bar.close()
    logger.info("cost graph: %d nodes, %d edges (%d unusable: consent refused), %d of %d targets on a road",
                n_nodes, len(edges), int((~edges["usable"]).sum()), int((tgt_node >= 0).sum()), len(tgt_node))
    return CostGraph(node_xy=N.node_xy, edges=edges, access=access, pop_nodes=pop_nodes,
                     pop_ids=pops["id"].astype(str).to_numpy(dtype=object), crs=area.crs)
