"""The design stage: :func:`design_network`."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import routing
from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.config import Config
from planner.costgraph import build_cost_graph
from planner.design.bom import bill_of_quantities, summary_figures
from planner.design.graph import downstream, routing_graph
from planner.design.naive import naive_tree, unshared_cost
from planner.design.reasons import screen_targets
from planner.design.result import DesignResult
from planner.design.tables import address_columns, drops_table, segments_table
from planner.design.tree import reach_tree, steiner_options
from planner.schema import OUT_DROP_COLUMNS, OUT_SEGMENT_COLUMNS

__all__ = ["design_network"]

logger = logging.getLogger("planner.design")


def design_network(
    area: Area,
    config: Config,
    addresses: gpd.GeoDataFrame,
    *,
    progress: bool = False,
) -> DesignResult:
    """Design the fibre network that connects every target address.

    Prices the road graph (:func:`planner.costgraph.build_cost_graph`), marks
    the targets that cannot be connected (see :mod:`planner.design` for the
    rules), routes the shared tree within the reach limit, the naive
    alternative, and builds the segment, drop, address and BOM tables.

    Parameters
    ----------
    area
        Study area (roads, poles, ducts, parcels, POPs).
    config
        The whole configuration, because design needs two sections: prices
        (``config.costs``) and rules (``config.design``).  Like every stage
        it only reads its sections and never reads or writes files.
    addresses
        Classified addresses from the white-spot stage; rows with
        ``is_target`` are connected.
    progress
        Show progress bars.

    Returns
    -------
    DesignResult

    Raises
    ------
    InputDataError
        If ``addresses`` lacks the white-spot columns, or the area has no
        usable road or POP.
    """
    dc = config.design
    missing = [c for c in ("id", "simc", "locality", "is_target") if c not in addresses]
    if missing:
        raise InputDataError("addresses are not classified", [Problem(
            file="addresses", message=f"missing column(s) {', '.join(missing)}",
            fix="run the white-spot stage first (planner.whitespots) or add the columns")])
    is_target = addresses["is_target"].fillna(False).astype(bool).to_numpy()
    tpos = np.flatnonzero(is_target)
    targets = addresses.iloc[tpos].reset_index(drop=True)
    graph = build_cost_graph(area, config, targets, progress=progress)
    acc = graph.access
    n_t = len(targets)
    node = acc["access_node"].to_numpy()
    drop_len = acc["drop_length_m"].to_numpy(dtype=float)
    rg = routing_graph(graph, graph.edges["usable"].to_numpy())
    reason, detail, sp_pred = screen_targets(graph, rg, config)

    # -- naive alternative (routing without a cost model) and the shared tree, repaired until
    # every target is within reach --------------------------------------------------------
    conn = reason == ""
    term, tdrop = node[conn], drop_len[conn]
    unshared = unshared_cost(rg, term)
    naive = naive_tree(rg, term, tdrop, sp_pred, dc.max_reach_m)
    chosen, tree, search = reach_tree(rg, term, tdrop, sp_pred, dc.max_reach_m, dc.reach_repair_rounds,
                                      steiner_options(dc))
    if routing.tree_cost(rg.w, naive[0]) < routing.tree_cost(rg.w, chosen):
        logger.info("design: the reach-repaired tree costs more than the naive one; using the naive tree")
        chosen, tree = naive
    logger.info("design: %d of %d targets connected, tree of %d edges", int(conn.sum()), n_t, chosen.size)

    # -- tables ---------------------------------------------------------------------------
    ctg = targets.iloc[np.flatnonzero(conn)].reset_index(drop=True)
    cacc = acc.iloc[np.flatnonzero(conn)].reset_index(drop=True)
    down = downstream(tree, rg.n_nodes, node[conn])
    seg_i, seg_of_node = segments_table(graph, rg, tree, down, ctg)
    drops_i = drops_table(graph, config, cacc, ctg, seg_i, seg_of_node, tree["dist"])

    ntree = naive[1]
    nseg_i, nseg_of_node = segments_table(graph, rg, ntree, downstream(ntree, rg.n_nodes, node[conn]), ctg)
    ndrops_i = drops_table(graph, config, cacc, ctg, nseg_i, nseg_of_node, ntree["dist"])

    locs = targets[["simc", "locality"]].astype(str).sort_values("simc", kind="stable")
    bom = bill_of_quantities(seg_i, drops_i, locs)
    bom_naive = bill_of_quantities(nseg_i, ndrops_i, locs)

    segments = seg_i[list(OUT_SEGMENT_COLUMNS) + ["geometry"]]
    drops = drops_i[list(OUT_DROP_COLUMNS) + ["geometry"]]
    un = ~conn
    unconnected = pd.DataFrame({
        "address_id": acc["address_id"].to_numpy(dtype=object)[un],
        "simc": targets["simc"].astype(str).to_numpy(dtype=object)[un],
        "locality": targets["locality"].astype(str).to_numpy(dtype=object)[un],
        "reason": reason[un],
        "detail": detail[un],
    }).sort_values(["simc", "address_id"], kind="stable").reset_index(drop=True)

    out_addr = address_columns(addresses, tpos, conn, reason, drops_i)
    summary = summary_figures(bom, bom_naive, segments, reason, n_t, unshared, search)
    return DesignResult(segments=segments, drops=drops, unconnected=unconnected, addresses=out_addr,
                        bom=bom, bom_naive=bom_naive, summary=summary, graph=graph)
