"""Output tables of a design: segments, drops and the address columns."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.config import Config
from planner.costgraph import CostGraph
from planner.costgraph.arrays import first_per_group
from planner.design.graph import RoutingGraph

__all__ = ["segments_table", "drops_table", "address_columns"]


def segments_table(graph: CostGraph, rg: RoutingGraph, tree: dict[str, np.ndarray], down: np.ndarray,
              targets: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Segment table (internal: with pole counts per owner) and node -> segment id."""
    e = graph.edges
    order, pred, pred_edge = tree["order"], tree["pred"], tree["pred_edge"]
    child = order[1:]
    child = child[rg.edge_row[pred_edge[child]] >= 0]  # skip virtual root edges
    rows = rg.edge_row[pred_edge[child]]
    parent = pred[child]
    seg_of_node = np.full(rg.n_nodes, -1, dtype=np.int64)
    seg_of_node[child] = np.arange(child.size)
    seg = e.iloc[rows].reset_index(drop=True)
    flip = seg["u"].to_numpy() != parent
    geom = np.asarray(seg.geometry.values, dtype=object)
    if flip.any():
        geom[flip] = shapely.reverse(geom[flip])
    seg["u"], seg["v"] = parent.astype(np.int64), child.astype(np.int64)
    seg["segment_id"] = np.arange(child.size, dtype=np.int64)
    seg["parent_id"] = seg_of_node[parent]
    seg["dist_from_pop_m"] = tree["dist"][child]
    seg["n_targets_downstream"] = down[child]
    seg = gpd.GeoDataFrame(seg, geometry=gpd.GeoSeries(geom, crs=graph.crs), crs=graph.crs)
    simc = np.full(len(seg), "", dtype=object)
    loc = np.full(len(seg), "", dtype=object)
    if len(seg) and len(targets):
        idx = targets.sindex.nearest(seg.geometry.values, return_all=True)
        first = first_per_group(idx[0], idx[1])
        si, ti = idx[0, first], idx[1, first]
        simc[si] = targets["simc"].astype(str).to_numpy(dtype=object)[ti]
        loc[si] = targets["locality"].astype(str).to_numpy(dtype=object)[ti]
    seg["simc"], seg["locality"] = simc, loc
    return seg, seg_of_node


def drops_table(graph: CostGraph, config: Config, acc: pd.DataFrame, tgt: gpd.GeoDataFrame,
           seg: gpd.GeoDataFrame, seg_of_node: np.ndarray, dist: np.ndarray) -> gpd.GeoDataFrame:
    """Drop table (internal: with ``road_crossings``) of the connected targets ``acc``."""
    dc, cc = config.design, config.costs
    node = acc["access_node"].to_numpy()
    length = acc["drop_length_m"].to_numpy(dtype=float)
    sid = seg_of_node[node]
    dep = np.where(sid >= 0, seg["deployment"].to_numpy(dtype=object)[np.maximum(sid, 0)] if len(seg) else "", "")
    cross = np.where(dep == "aerial", 0, acc["crossing_if_underground"].to_numpy()).astype(np.int64)
    over = np.maximum(length - dc.drop_contract_max_m, 0.0)
    fee = over * cc.drop_distance_fee_pln_per_m
    slack = np.full(len(acc), dc.drop_slack_m)
    cost = (cc.drop_fixed_pln + cc.drop_pln_per_m * length + cc.slack_pln_per_m * slack + fee
            + cross * cc.road_crossing_pln)
    return gpd.GeoDataFrame(
        {
            "address_id": acc["address_id"].to_numpy(dtype=object),
            "simc": tgt["simc"].astype(str).to_numpy(dtype=object),
            "locality": tgt["locality"].astype(str).to_numpy(dtype=object),
            "segment_id": sid.astype(np.int64),
            "access_node": node.astype(np.int64),
            "length_m": length,
            "slack_m": slack,
            "over_limit_m": over,
            "fee_pln": fee,
            "cost_pln": cost,
            "fibre_distance_m": dist[node] + length,
            "road_crossings": cross,
        },
        geometry=gpd.GeoSeries(acc.geometry.values, crs=graph.crs),
        crs=graph.crs,
    )


def address_columns(addresses: gpd.GeoDataFrame, tpos: np.ndarray, conn: np.ndarray, reason: np.ndarray,
                     drops: pd.DataFrame) -> gpd.GeoDataFrame:
    """The addresses with the design's columns of :data:`planner.schema.OUT_ADDRESS_COLUMNS`."""
    out = addresses.copy()
    n = len(out)
    ws = out["ws_class"].astype(object).to_numpy() if "ws_class" in out else np.full(n, "white", dtype=object)
    barrier = out["is_barrier"].fillna(False).astype(bool).to_numpy() if "is_barrier" in out else np.zeros(n, bool)
    status = np.where(barrier, "barrier", ws).astype(object)
    status[tpos] = np.where(conn, "connect", "unconnected")
    ureason = np.full(n, "", dtype=object)
    ureason[tpos] = np.where(conn, "", reason)
    dlen = np.full(n, np.nan)
    dfee = np.full(n, np.nan)
    dlen[tpos[conn]] = drops["length_m"].to_numpy(dtype=float)
    dfee[tpos[conn]] = drops["fee_pln"].to_numpy(dtype=float)
    out["plan_status"] = status
    out["unconnected_reason"] = ureason
    out["drop_length_m"] = dlen
    out["drop_fee_pln"] = dfee
    out["milestone"] = np.full(n, "", dtype=object)
    out["milestone_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["passed_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    for c in ("plan_status", "unconnected_reason", "milestone"):
        out[c] = out[c].astype(object)
    return out
