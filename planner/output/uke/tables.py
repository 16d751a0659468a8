"""The rows of the UKE inventory layers (cable lines, flexibility points, services) of a planned network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from planner._errors import InputDataError, Problem
from planner.network.uke import uke_network
from planner.output.uke.templates import (
    CABLE_SIZES,
    FIBRE_RESERVE,
    INSTALLATION,
    LK06,
    MEDIUM,
    PE_CLOSURE,
    PE_LIGHTING_MAST,
    PE_POLE,
    SERVICE_END_USERS,
    SPEED_CODE_1000,
    TECHNOLOGY,
    UKE_LAYERS,
    template_columns,
)

__all__ = ["uke_tables"]


@dataclass
class _Layers:
    segments: gpd.GeoDataFrame
    drops: gpd.GeoDataFrame
    addresses: gpd.GeoDataFrame
    poles: gpd.GeoDataFrame
    pops: gpd.GeoDataFrame


def _layers_of(plan_or_layers: Any) -> _Layers:
    if isinstance(plan_or_layers, dict):
        d = plan_or_layers
        poles = d.get("poles_used", d.get("poles"))
        return _Layers(d["segments"], d["drops"], d["addresses"], poles, d["pops"])
    p = plan_or_layers
    if p.design is None:
        raise InputDataError("the plan has no designed network to export", [Problem(file="plan",
            message="UKE export needs the design stage", fix="run the plan with the design stage")])
    from planner.output.tables import plan_layers

    lay = plan_layers(p)
    return _Layers(lay["segments"], lay["drops"], lay["addresses"], lay["poles_used"], lay["pops"])


def _to_wgs84(crs: Any) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _kind(dep: np.ndarray, owner: np.ndarray, trench_in_microduct: bool) -> np.ndarray:
    kind = np.where(dep == "aerial", "aerial_" + owner.astype(str), dep.astype(str)).astype(object)
    kind[dep == "trench"] = "trench_microduct" if trench_in_microduct else "trench_ground"
    return kind


def _cable_size(n: np.ndarray) -> np.ndarray:
    need = np.ceil(np.asarray(n, dtype=float) * (1.0 + FIBRE_RESERVE)).astype(np.int64)
    sizes = np.asarray(CABLE_SIZES)
    idx = np.minimum(np.searchsorted(sizes, need, side="left"), len(sizes) - 1)
    fibres: np.ndarray = np.maximum(sizes[idx], need)
    return fibres


def _break_runs(seg: pd.DataFrame, kind: np.ndarray,
                extra: frozenset[int] = frozenset()) -> tuple[np.ndarray, set[int]]:
    """Run id per segment (chains between break nodes with one kind) and the break nodes (plus ``extra``)."""
    n_child = seg.groupby("u").size()
    parent_of = dict(zip(seg["segment_id"], seg["parent_id"]))
    kind_of = dict(zip(seg["segment_id"], kind))
    v_of = dict(zip(seg["segment_id"], seg["v"]))
    u_of = dict(zip(seg["segment_id"], seg["u"]))
    roots = set(seg.loc[seg["parent_id"] < 0, "u"])
    breaks = set(int(x) for x in roots) | set(extra)  # cabinets and closures of the optical network break lines
    for v in v_of.values():
        if n_child.get(v, 0) != 1:  # branching node or cable end
            breaks.add(int(v))
    for sid in seg["segment_id"]:
        par = parent_of[sid]
        if par >= 0 and kind_of[par] != kind_of[sid]:
            breaks.add(int(u_of[sid]))
    run: dict[int, int] = {}
    # segments in tree order: parents first (sort by distance from the POP)
    order = seg.sort_values(["dist_from_pop_m", "segment_id"], kind="stable")["segment_id"]
    next_run = 0
    for sid in order:
        par = parent_of[sid]
        if par >= 0 and int(u_of[sid]) not in breaks and par in run:
            run[sid] = run[par]
        else:
            run[sid] = next_run
            next_run += 1
    return np.array([run[s] for s in seg["segment_id"]], dtype=np.int64), breaks


def _nearest_address(points: np.ndarray, addresses: gpd.GeoDataFrame) -> np.ndarray:
    """Row position of the nearest address point for each point (ties: lowest position)."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    idx = addresses.sindex.nearest(points, return_all=False)
    out = np.zeros(len(points), dtype=np.int64)
    out[idx[0]] = idx[1]
    return out


def _fmt(values: np.ndarray, decimals: int = 6) -> list[str]:
    return [f"{v:.{decimals}f}" for v in values]


def _cable_lines(seg: gpd.GeoDataFrame, node_id: dict[int, str], tf: Transformer, pre: str, project: str,
                 columns: list[str], net: Any = None) -> gpd.GeoDataFrame:
    """One cable line (lk) per run of segments: the runs' vertices chained in tree order, in EPSG:4326."""
    o = seg.sort_values(["_run", "dist_from_pop_m", "segment_id"], kind="stable")
    run = o["_run"].to_numpy(dtype=np.int64)
    xy, seg_of = shapely.get_coordinates(o.geometry.values, return_index=True)
    # a segment after the first of its run starts where the previous one ended: drop that vertex
    first_vertex = np.r_[True, seg_of[1:] != seg_of[:-1]]
    first_of_run = np.r_[True, run[1:] != run[:-1]]
    keep = ~(first_vertex & ~first_of_run[seg_of])
    xy, vertex_run = xy[keep], run[seg_of[keep]]
    lon, lat = tf.transform(xy[:, 0], xy[:, 1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    runs, start = np.unique(run, return_index=True)
    end = np.r_[start[1:], len(run)] - 1
    vstart = np.searchsorted(vertex_run, runs)
    pairs = np.char.add(np.char.add(np.char.mod("%.6f", lon), " "), np.char.mod("%.6f", lat)).astype(object)
    wkt = ["LINESTRING(" + ",".join(p) + ")" for p in np.split(pairs, vstart[1:])]
    n_down = o["n_targets_downstream"].to_numpy(dtype=np.int64)[start]
    u = o["u"].to_numpy(dtype=np.int64)[start]
    v = o["v"].to_numpy(dtype=np.int64)[end]
    kind = o["_kind"].to_numpy(dtype=object)[start]
    lk07, lk08 = _cable_size(n_down), n_down
    if net is not None:  # the cables of the optical network: their size and the fibres used
        first_seg = o["segment_id"].to_numpy(dtype=np.int64)[start]
        fibres = [net.fibres(int(sid), (int(a), int(b))) for sid, a, b in zip(first_seg, lk07, lk08)]
        lk07 = np.array([a for a, _ in fibres], dtype=np.int64)
        lk08 = np.array([b for _, b in fibres], dtype=np.int64)
    rows = pd.DataFrame({
        "lk01_id_lk": [f"{pre}_LK{r + 1:05d}" for r in runs],
        "lk02_id_punktu_poczatkowego": [node_id[int(n)] for n in u],
        "lk03_punkty_zalamania": wkt,
        "lk04_id_punktu_koncowego": [node_id[int(n)] for n in v],
        "lk05_medium_transmisyjne": MEDIUM,
        "lk06_rodzaj_linii_kablowej": [LK06[k] for k in kind],
        "lk07_liczba_wlokien": np.asarray(lk07).astype(str).astype(object),
        "lk08_liczba_wlokien_wykorzystywanych": np.asarray(lk08).astype(str).astype(object),
        "lk09_liczba_wlokien_udostepnienia": "0",
        "lk10_finansowanie_publ": "Tak",
        "lk11_numery_projektow_publ": project,
        "lk12_infrastruktura_o_duzym_znaczeniu": "Nie",
    }, columns=columns)
    geoms = shapely.linestrings(np.column_stack([lon, lat]), indices=vertex_run)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def uke_tables(plan_or_layers: Any, *, operator_id: str = "OP", project_number: str | None = None,
               trench_in_microduct: bool = True, uke_dir: str | Path | None = None
               ) -> dict[str, gpd.GeoDataFrame]:
    """The three UKE layers of a planned network as GeoDataFrames in EPSG:4326.

    Parameters
    ----------
    plan_or_layers
        A :class:`~planner.pipeline.Plan` or the dict of
        :func:`planner.report.plan_layers` (needs ``segments``, ``drops``,
        ``addresses``, ``poles_used``, ``pops``).
    operator_id
        Prefix of every id (the operator's short name).
    project_number
        Public funding project number (``lk11``/``pe15``), e.g. the FERC
        contract number; empty when ``None``.
    trench_in_microduct
        Report trench lines as "w kanalizacji kablowej (...mikrokanalizacji)"
        (default) or as "podziemna (bezpośrednio w ziemi)".
    uke_dir
        Directory with the templates (default ``data/uke``).

    Returns
    -------
    dict
        ``'lk'``, ``'pe'``, ``'ua'`` -> GeoDataFrame with exactly the template
        columns (all text) and a geometry in EPSG:4326.
    """
    L = _layers_of(plan_or_layers)
    seg = L.segments.sort_values("segment_id", kind="stable").reset_index(drop=True)
    crs = seg.crs or L.addresses.crs
    tf = _to_wgs84(crs)
    project = project_number or ""
    cols = {k: template_columns(k, uke_dir) for k in UKE_LAYERS}
    pre = re.sub(r"[^A-Za-z0-9]+", "_", operator_id).strip("_") or "OP"
    addr = L.addresses.reset_index(drop=True)

    # --- cable lines -------------------------------------------------------
    kind = _kind(seg["deployment"].to_numpy(dtype=object), seg["pole_owner"].fillna("").to_numpy(dtype=object),
                 trench_in_microduct)
    net = uke_network(plan_or_layers)  # the real flexibility points and fibre counts (planner.network)
    run, breaks = _break_runs(seg, kind, net.joints if net is not None else frozenset())
    seg = seg.assign(_run=run, _kind=kind)
    pops = L.pops.reset_index(drop=True)
    node_xy: dict[int, tuple[float, float]] = {}
    for g, u, v in zip(seg.geometry, seg["u"], seg["v"]):
        c = shapely.get_coordinates(g)
        node_xy.setdefault(int(u), tuple(c[0]))
        node_xy[int(v)] = tuple(c[-1])
    root_nodes = sorted(int(x) for x in seg.loc[seg["parent_id"] < 0, "u"].unique())
    pop_of_root: dict[int, str] = {}
    if len(pops) and root_nodes:
        pts = shapely.points(np.array([node_xy[n] for n in root_nodes]))
        near = pops.sindex.nearest(pts, return_all=False)
        for i, j in zip(near[0], near[1]):
            pop_of_root[root_nodes[i]] = str(pops["id"].iloc[j])
    node_id = {n: (f"W_{pop_of_root.get(n, n)}" if n in pop_of_root else f"{pre}_PE_M{n}") for n in breaks}
    # the POP (węzeł) each segment is served from, propagated down the tree
    root_of: dict[int, int] = {}
    tree_order = seg.sort_values(["dist_from_pop_m", "segment_id"], kind="stable")
    for sid, par, u in zip(tree_order["segment_id"], tree_order["parent_id"], tree_order["u"]):
        root_of[sid] = int(u) if par < 0 else root_of.get(par, int(u))
    seg["_root"] = seg["segment_id"].map(root_of)

    lk = _cable_lines(seg, node_id, tf, pre, project, cols["lk"], net)

    # --- flexibility points ------------------------------------------------
    pole_root: dict[str, int] = {}
    for ids, rt in zip(seg["pole_ids"].fillna(""), seg["_root"]):
        for pid in filter(None, str(ids).split(";")):
            pole_root.setdefault(pid, rt)
    poles = None
    if L.poles is not None:  # only the poles the cable hangs on (None if there are none)
        used = L.poles[L.poles["id"].astype(str).isin(pole_root)].sort_values("id", kind="stable")
        poles = used if len(used) > 0 else None
    drop_start = shapely.get_point(L.drops.geometry.values, 0) if len(L.drops) else np.zeros(0, dtype=object)
    pole_ids = poles["id"].astype(str).to_numpy(dtype=object) if poles is not None else np.zeros(0, dtype=object)
    default_root = root_nodes[0] if root_nodes else -1
    closure_nodes = np.array(sorted(n for n in breaks if n not in pop_of_root), dtype=np.int64)
    v_root = dict(zip(seg["v"].astype(int), seg["_root"]))
    pe_ids = np.concatenate([np.array([f"{pre}_PE_S{pid}" for pid in pole_ids], dtype=object),
                             np.array([node_id[int(n)] for n in closure_nodes], dtype=object)])
    pe_types = np.concatenate([
        np.where(poles["owner"].to_numpy(dtype=object) == "commune_lighting", PE_LIGHTING_MAST, PE_POLE)
        if poles is not None else np.zeros(0, dtype=object),
        np.full(len(closure_nodes), PE_CLOSURE, dtype=object)]).astype(object)
    if net is not None:  # a break node at a cabinet is a street cabinet (01)
        pe_types[len(pole_ids):] = net.pe_types(closure_nodes)
    pe_root = np.array([pole_root.get(pid, default_root) for pid in pole_ids]
                       + [v_root.get(int(n), default_root) for n in closure_nodes], dtype=np.int64)
    pe_geom = np.concatenate([poles.geometry.values.to_numpy() if poles is not None else np.zeros(0, dtype=object),
                              shapely.points(np.array([node_xy[int(n)] for n in closure_nodes]).reshape(-1, 2))])
    is_closure = np.r_[np.zeros(len(pole_ids), dtype=bool), np.ones(len(closure_nodes), dtype=bool)]
    pe_pdu = np.full(len(pe_ids), "Nie", dtype=object)
    # where does each drop leave the network -> nearest flexibility point
    ua_pe = np.full(len(L.drops), "", dtype=object)
    if len(pe_geom) and len(L.drops):
        near = gpd.GeoSeries(pe_geom, crs=crs).sindex.nearest(drop_start, return_all=False)
        ua_pe[near[0]] = pe_ids[near[1]]
        served = np.zeros(len(pe_ids), dtype=bool)
        served[near[1]] = True
        pe_pdu[served & is_closure] = "Tak"
    near_a = _nearest_address(pe_geom, addr)
    a = addr.iloc[near_a]
    xy = shapely.get_coordinates(pe_geom).reshape(-1, 2)
    lon, lat = tf.transform(xy[:, 0], xy[:, 1]) if len(xy) else (np.zeros(0), np.zeros(0))
    pe = pd.DataFrame({
        "pe01_id_pe": pe_ids, "pe02_typ_pe": pe_types,
        "pe03_id_wezla": np.array([f"W_{pop_of_root.get(int(r), r)}" for r in pe_root], dtype=object),
        "pe04_pdu": pe_pdu,
        "pe05_terc": a["terc"].astype(str).to_numpy(dtype=object),
        "pe06_simc": a["simc"].astype(str).to_numpy(dtype=object),
        "pe07_ulic": a["ulic"].fillna("").astype(str).replace("", "99999").to_numpy(dtype=object),
        "pe08_nr_porzadkowy": a["house_number"].astype(str).to_numpy(dtype=object),
        "pe09_szerokosc": _fmt(np.asarray(lat)), "pe10_dlugosc": _fmt(np.asarray(lon)),
        "pe11_medium_transmisyjne": MEDIUM, "pe12_technologia_dostepowa": TECHNOLOGY,
        "pe13_mozliwosc_swiadczenia_uslug": SERVICE_END_USERS, "pe14_finansowanie_publ": "Tak",
        "pe15_numery_projektow_publ": project,
    }, columns=cols["pe"])
    pe = gpd.GeoDataFrame(pe, geometry=shapely.points(np.column_stack([lon, lat])) if len(xy) else [],
                          crs="EPSG:4326")

    # --- services at address points ---------------------------------------
    pe_of_addr = dict(zip(L.drops["address_id"].astype(str), ua_pe))
    status = addr["plan_status"].astype(str)
    served_a = addr[status.isin(["connect", "connected"])].sort_values("id", kind="stable")
    xy = shapely.get_coordinates(served_a.geometry.values) if len(served_a) else np.zeros((0, 2))
    lon, lat = tf.transform(xy[:, 0], xy[:, 1]) if len(xy) else (np.zeros(0), np.zeros(0))
    ua = pd.DataFrame({
        "ua01_id_punktu_adresowego": served_a["id"].astype(str).to_numpy(dtype=object),
        "ua02_id_pe": [pe_of_addr.get(str(i), "") for i in served_a["id"]],
        "ua03_id_po": "",
        "ua04_terc": served_a["terc"].astype(str).to_numpy(dtype=object),
        "ua05_simc": served_a["simc"].astype(str).to_numpy(dtype=object),
        "ua06_ulic": served_a["ulic"].fillna("").astype(str).replace("", "99999").to_numpy(dtype=object),
        "ua07_nr_porzadkowy": served_a["house_number"].astype(str).to_numpy(dtype=object),
        "ua08_szerokosc": _fmt(np.asarray(lat)), "ua09_dlugosc": _fmt(np.asarray(lon)),
        "ua10_medium_dochodzace_do_pa": MEDIUM, "ua11_technologia_dostepowa": TECHNOLOGY,
        "ua12_instalacja_telekom": INSTALLATION, "ua13_medium_instalacji_budynku": MEDIUM,
        "ua14_technologia_dostepowa": TECHNOLOGY,
        "ua15_identyfikacja_uslugi": [f"{pre}_UA{i + 1:06d}" for i in range(len(served_a))],
        "ua16_dostep_stacjonarny": "Tak", "ua17_dostep_stacjonarny_bezprzewodowy": "Nie",
        "ua18_telewizja_cyfrowa": "Nie", "ua19_radio": "Nie", "ua20_usluga_telefoniczna": "Nie",
        "ua21_predkosc_uslugi_td": SPEED_CODE_1000, "ua22_liczba_uzytkownikow_uslugi_td": "0",
    })
    ua = gpd.GeoDataFrame(ua.reindex(columns=cols["ua"]),
                          geometry=shapely.points(np.column_stack([lon, lat])) if len(xy) else [],
                          crs="EPSG:4326")
    return {"lk": lk, "pe": pe, "ua": ua}
