"""Output frames of the network layer: layers, tables, bom.xlsx sheets.

Everything here is data (GeoDataFrames and DataFrames, deterministic order);
writing is the output layer's business.  The hooks of the writers call
:func:`plan_layers`, :func:`plan_tables` and :func:`bom_sheets`.

Layers (``plan.gpkg``, working CRS)
    ``cabinets`` (points) and ``cabinet_areas`` (their service areas: the
    concave hull of the homes' address points and the cabinet, 20 m around),
    ``splitters`` (points), ``cables`` (one line per cable; ``cable_size``
    and ``fibres_used`` for the line width), ``closures`` (points), ``olt``
    (one point per POP with its ports and cards, ``proposed`` for a site the
    planner proposed).
Tables (CSV)
    ``cables``, ``cabinets``, ``splitters``, ``closures``, ``olt``,
    ``loss_budget`` (every connected address), ``segment_fibres`` (fibres per
    route segment) and ``network_bom`` (priced bill of materials).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.config import Config
from planner.schema import (
    OUT_ADDRESS_NETWORK_COLUMNS,
    OUT_CABINET_AREA_COLUMNS,
    OUT_CABINET_COLUMNS,
    OUT_CABLE_COLUMNS,
    OUT_CLOSURE_COLUMNS,
    OUT_SEGMENT_FIBRE_COLUMNS,
    OUT_SPLITTER_COLUMNS,
)

if TYPE_CHECKING:
    from planner.area import Area
    from planner.network.build import NetworkResult, _Core

__all__ = ["build_outputs", "plan_layers", "plan_tables", "bom_sheets", "NETWORK_LAYERS"]

#: Layers the network adds to ``plan.gpkg``, in order.
NETWORK_LAYERS: tuple[str, ...] = ("cabinet_areas", "cables", "closures", "splitters", "cabinets", "olt")

_AREA_BUFFER_M = 20.0     # service-area polygon margin around its homes [A]
_AREA_HULL_RATIO = 0.4    # shapely.concave_hull ratio (0: most concave, 1: convex hull) [A]


def _points(xy: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.points(xy.reshape(-1, 2)), dtype=object) if len(xy) else np.zeros(0, dtype=object)


def _service_areas(cab_xy: np.ndarray, home_cab: np.ndarray, home_xy: np.ndarray) -> np.ndarray:
    """Concave hull of each cabinet's homes and the cabinet itself, buffered."""
    k = cab_xy.shape[0]
    idx = np.r_[np.arange(k), home_cab]
    xy = np.vstack([cab_xy, home_xy]) if home_xy.size else cab_xy
    order = np.argsort(idx, kind="stable")
    mp = shapely.multipoints(xy[order], indices=idx[order])
    hull = shapely.concave_hull(mp, ratio=_AREA_HULL_RATIO)
    return np.asarray(shapely.buffer(hull, _AREA_BUFFER_M, quad_segs=4), dtype=object)


def build_outputs(*, core: _Core, segs: pd.DataFrame, drops: pd.DataFrame, addresses: gpd.GeoDataFrame,
                  loss: pd.DataFrame, area: Area, config: Config) -> dict[str, Any]:
    """The output frames of one network.

    Parameters
    ----------
    core
        The network computed on the shared tree.
    segs, drops
        The design's segments (sorted by id) and drops (sorted by address id;
        the home order of ``core``).
    addresses
        The design's addresses.
    loss
        The loss budget (sorted by address id, as the homes).
    area
        The study area (CRS).
    config
        The configuration.

    Returns
    -------
    dict
        ``cabinets``, ``cabinet_areas``, ``splitters``, ``cables``,
        ``closures``, ``olt``, ``segment_fibres``, ``addresses``.
    """
    nc = config.network
    tree, pl, ports = core.tree, core.placement, core.ports
    crs = area.crs
    sl = addresses[["simc", "locality"]].drop_duplicates("simc")
    loc_of = dict(zip(sl["simc"].astype(str).to_numpy(dtype=object), sl["locality"].astype(str).to_numpy(dtype=object)))
    gid = tree.node
    n_cab = pl.cabinet_node.size
    split = np.flatnonzero(~core.express)
    hc = pl.home_cabinet[split]
    home_dist = core.fibres.home_path_m[split] - tree.depth[pl.cabinet_node[hc]]
    homes = np.bincount(hc, minlength=n_cab)
    max_d = np.zeros(n_cab)
    np.maximum.at(max_d, hc, home_dist)
    fkm = np.bincount(hc, weights=home_dist * nc.fibres_per_drop, minlength=n_cab) / 1000.0
    spl = ports.splitters
    st1 = spl[spl["stage"] == 1]
    olt_ports = st1.groupby("cabinet_id", sort=False)["olt_port"].agg(";".join)
    n_closure = (np.bincount(pl.closure_cabinet, minlength=n_cab) if nc.architecture == "cascade"
                 else np.zeros(n_cab, dtype=np.int64))
    ratio1 = nc.ratios[0]
    provisioned = (n_closure * nc.cascade_ratios[1] if nc.architecture == "cascade"
                   else pl.cabinet_feeder * nc.split_ratio)
    simc = core.node_simc[pl.cabinet_node]
    cab_xy = tree.xy[pl.cabinet_node]
    cabinets = gpd.GeoDataFrame({
        "cabinet_id": ports.cabinet_id,
        "pop_id": np.array([core.pop_of_root[int(r)] for r in tree.root[pl.cabinet_node]], dtype=object),
        "site_id": pl.cabinet_site.astype(object),
        "node": gid[pl.cabinet_node].astype(np.int64),
        "simc": simc,
        "locality": np.array([loc_of.get(str(s), "") for s in simc], dtype=object),
        "homes": homes.astype(np.int64),
        "splitters": np.array([f"{k}x1:{ratio1}" for k in pl.cabinet_feeder], dtype=object),
        "ports_provisioned": np.asarray(provisioned, dtype=np.int64),
        "capacity_ports": np.full(n_cab, nc.cabinet_capacity_ports, dtype=np.int64),
        "feeder_fibres": pl.cabinet_feeder.astype(np.int64),
        "olt_ports": np.array([olt_ports.get(c, "") for c in ports.cabinet_id], dtype=object),
        "closure_splitters": n_closure.astype(np.int64),
        "max_distance_m": np.round(max_d, 1),
        "fibre_km": np.round(fkm, 3),
    }, geometry=_points(cab_xy), crs=crs)[list(OUT_CABINET_COLUMNS) + ["geometry"]]
    addr_xy = addresses.set_index(addresses["id"].astype(str)).geometry
    hid = drops["address_id"].astype(str).to_numpy()[split]
    hxy = shapely.get_coordinates(addr_xy.loc[hid].values) if split.size else np.zeros((0, 2))
    areas = gpd.GeoDataFrame({"cabinet_id": ports.cabinet_id, "homes": homes.astype(np.int64)},
                             geometry=_service_areas(cab_xy, hc, hxy) if n_cab else [],
                             crs=crs)[list(OUT_CABINET_AREA_COLUMNS) + ["geometry"]]
    sp = spl.copy()
    sp_nodes = sp["node"].to_numpy(dtype=np.int64)
    sp["node"] = gid[sp_nodes].astype(np.int64)
    splitters = gpd.GeoDataFrame(sp[list(OUT_SPLITTER_COLUMNS)], geometry=_points(tree.xy[sp_nodes]), crs=crs)
    cb = core.cabling.cables.copy()
    cb["from_node"] = gid[cb["from_node"].to_numpy(dtype=np.int64)].astype(np.int64)
    cb["to_node"] = gid[cb["to_node"].to_numpy(dtype=np.int64)].astype(np.int64)
    cb["length_m"] = cb["length_m"].round(2)
    geom = cb.pop("geometry").to_numpy() if "geometry" in cb else np.full(len(cb), None, dtype=object)
    cables = gpd.GeoDataFrame(cb[list(OUT_CABLE_COLUMNS)], geometry=gpd.GeoSeries(geom, crs=crs), crs=crs)
    cl = core.cabling.closures.copy()
    cl_nodes = cl["node"].to_numpy(dtype=np.int64)
    cl["node"] = gid[cl_nodes].astype(np.int64)
    cl["simc"] = core.node_simc[cl_nodes]
    closures = gpd.GeoDataFrame(cl[list(OUT_CLOSURE_COLUMNS)], geometry=_points(tree.xy[cl_nodes]), crs=crs)
    # fibres per segment
    on = tree.segment >= 0
    nodes = np.flatnonzero(on)
    nodes = nodes[np.argsort(tree.segment[nodes], kind="stable")]
    f = core.fibres
    cab_ids = cables["cable_id"].to_numpy(dtype=object)
    cidx = core.cabling.cable[nodes]
    segment_fibres = pd.DataFrame({
        "segment_id": segs["segment_id"].to_numpy(dtype=np.int64)[tree.segment[nodes]],
        "feeder": f.feeder[nodes].astype(np.int64),
        "distribution": f.distribution[nodes].astype(np.int64),
        "express": f.express[nodes].astype(np.int64),
        "fibres": f.total[nodes].astype(np.int64),
        "cable_id": np.where(cidx >= 0, cab_ids[np.maximum(cidx, 0)] if cab_ids.size else "", ""),
        "cable_size": core.cabling.size[nodes].astype(np.int64),
        "parallel": core.cabling.parallel[nodes].astype(np.int64),
    })[list(OUT_SEGMENT_FIBRE_COLUMNS)]
    return {"cabinets": cabinets, "cabinet_areas": areas, "splitters": splitters, "cables": cables,
            "closures": closures, "olt": core.olt, "segment_fibres": segment_fibres,
            "addresses": _address_columns(addresses, loss, ports.home_port, drops)}


def _address_columns(addresses: gpd.GeoDataFrame, loss: pd.DataFrame, home_port: np.ndarray,
                     drops: pd.DataFrame) -> gpd.GeoDataFrame:
    """The addresses with :data:`planner.schema.OUT_ADDRESS_NETWORK_COLUMNS` (connected ones filled)."""
    out = addresses.copy()
    n = len(out)
    pos = pd.Index(out["id"].astype(str)).get_indexer(loss["address_id"].astype(str))
    cols: dict[str, np.ndarray] = {
        "cabinet_id": np.full(n, "", dtype=object), "splitter_id": np.full(n, "", dtype=object),
        "splitter_port": np.zeros(n, dtype=np.int64), "olt_port": np.full(n, "", dtype=object),
        "loss_db_1310": np.full(n, np.nan), "loss_db_1490": np.full(n, np.nan),
        "express_fibre": np.zeros(n, dtype=bool),
    }
    for c in ("cabinet_id", "splitter_id", "olt_port", "loss_db_1310", "loss_db_1490", "express_fibre"):
        cols[c][pos] = loss[c].to_numpy()
    port = pd.Series(home_port, index=drops["address_id"].astype(str).to_numpy())
    cols["splitter_port"][pos] = port.loc[loss["address_id"].astype(str)].to_numpy(dtype=np.int64)
    for c in OUT_ADDRESS_NETWORK_COLUMNS:
        out[c] = cols[c]
    return out


def plan_layers(net: NetworkResult) -> dict[str, gpd.GeoDataFrame]:
    """Layers the network adds to ``plan.gpkg`` (:data:`NETWORK_LAYERS` order)."""
    return {"cabinet_areas": net.cabinet_areas, "cables": net.cables, "closures": net.closures,
            "splitters": net.splitters, "cabinets": net.cabinets, "olt": net.olt}


def plan_tables(net: NetworkResult) -> dict[str, pd.DataFrame]:
    """Tables the network adds to a plan directory (written as CSV)."""
    def plain(g: gpd.GeoDataFrame) -> pd.DataFrame:
        df = pd.DataFrame(g.drop(columns="geometry"))
        if len(g) and g.geom_type.eq("Point").all():
            df["x"], df["y"] = g.geometry.x.round(2).to_numpy(), g.geometry.y.round(2).to_numpy()
        return df

    return {"cables": plain(net.cables), "cabinets": plain(net.cabinets), "splitters": plain(net.splitters),
            "closures": plain(net.closures), "olt": plain(net.olt), "loss_budget": net.loss_budget,
            "segment_fibres": net.segment_fibres, "network_bom": net.bom_items}


def bom_sheets(net: NetworkResult) -> dict[str, pd.DataFrame]:
    """Sheets the network adds to ``bom.xlsx``: cables by size, cabinets, splitters, priced items."""
    cb = net.cables
    by_size = (pd.DataFrame({"cable_size": cb["cable_size"].to_numpy(),
                             "km_cable": cb["length_m"] * cb["parallel"] / 1000.0})
               .groupby("cable_size", sort=True)["km_cable"].agg(["count", "sum"]).reset_index()
               .rename(columns={"count": "cables", "sum": "km_cable"}))
    items = net.bom_items[net.bom_items["category"] == "cables"]
    by_size["cost_premium_pln"] = items["cost_pln"].to_numpy() if len(items) == len(by_size) else np.nan
    return {
        "cables": by_size,
        "cabinets": pd.DataFrame(net.cabinets.drop(columns="geometry")),
        "splitters": pd.DataFrame(net.splitters.drop(columns="geometry")),
        "optical BOM": net.bom_items,
    }
