"""The rows of the UKE inventory layers (cable lines, flexibility points, services) of a planned network."""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    template_columns,
)
from planner.output.uke.text import LayerText, fixed, join_vertices, text_of

__all__ = ["UkeLayer", "uke_layers", "uke_tables"]


#: The columns of the plan's segments the export reads.
_SEGMENT_COLUMNS = ["segment_id", "parent_id", "u", "v", "deployment", "pole_owner", "pole_ids", "dist_from_pop_m",
                    "n_targets_downstream"]


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


def _tree_order(seg: pd.DataFrame) -> tuple[list[int], list[int]]:
    """Segment positions parents first (by distance from the POP, then id) and each one's parent position (-1)."""
    sid = seg["segment_id"].to_numpy(dtype=np.int64)
    order = np.lexsort((sid, seg["dist_from_pop_m"].to_numpy(dtype=float)))  # stable, like a stable sort_values
    parent = pd.Index(sid).get_indexer(seg["parent_id"].to_numpy(dtype=np.int64))
    return order.tolist(), parent.tolist()


def _break_runs(seg: pd.DataFrame, kind: np.ndarray, order: list[int], parent: list[int],
                extra: frozenset[int] = frozenset()) -> tuple[np.ndarray, set[int]]:
    """Run id per segment (chains between break nodes with one kind) and the break nodes (plus ``extra``).

    ``order`` and ``parent`` are those of :func:`_tree_order`.
    """
    u = seg["u"].to_numpy(dtype=np.int64)
    v = seg["v"].to_numpy(dtype=np.int64)
    par = np.asarray(parent, dtype=np.int64)
    roots = u[seg["parent_id"].to_numpy(dtype=np.int64) < 0]
    breaks = set(roots.tolist()) | set(extra)  # cabinets and closures of the optical network break lines
    nodes, n_child = np.unique(u, return_counts=True)
    children = dict(zip(nodes.tolist(), n_child.tolist()))
    breaks |= {x for x in v.tolist() if children.get(x, 0) != 1}  # branching node or cable end
    changed = (par >= 0) & (kind[np.maximum(par, 0)] != kind)  # the kind of line changes
    breaks |= set(u[changed].tolist())
    at_break = [x in breaks for x in u.tolist()]
    run = [-1] * len(u)
    next_run = 0
    for i in order:  # parents first
        p = parent[i]
        if p >= 0 and not at_break[i] and run[p] >= 0:
            run[i] = run[p]
        else:
            run[i] = next_run
            next_run += 1
    return np.array(run, dtype=np.int64), breaks


def _roots(seg: pd.DataFrame, order: list[int], parent: list[int]) -> np.ndarray:
    """The root node (POP side) each segment is served from, propagated down the tree."""
    u = seg["u"].to_numpy(dtype=np.int64).tolist()
    is_root = (seg["parent_id"].to_numpy(dtype=np.int64) < 0).tolist()
    root: list[int | None] = [None] * len(u)
    for i in order:  # parents first
        p = parent[i]
        r = root[p] if p >= 0 and not is_root[i] else None
        root[i] = u[i] if r is None else r
    return np.array(root, dtype=np.int64)


class _NodeXY:
    """Node -> coordinates: where the last segment ending there ends, else where the first one leaving it starts.

    Kept as one coordinate array and a node -> row dict (no tuple per node).
    """

    def __init__(self, seg: gpd.GeoDataFrame) -> None:
        xy, part = shapely.get_coordinates(seg.geometry.values, return_index=True)
        first = np.flatnonzero(np.r_[True, part[1:] != part[:-1]]) if len(xy) else np.zeros(0, dtype=np.int64)
        last = np.flatnonzero(np.r_[part[1:] != part[:-1], True]) if len(xy) else np.zeros(0, dtype=np.int64)
        has = np.zeros(len(seg), dtype=bool)
        has[part] = True
        u = seg["u"].to_numpy(dtype=np.int64)[has].tolist()
        v = seg["v"].to_numpy(dtype=np.int64)[has].tolist()
        self.xy = xy
        self.row = dict(zip(u[::-1], first[::-1].tolist()))
        self.row.update(zip(v, last.tolist()))

    def __getitem__(self, nodes: Iterable[int]) -> np.ndarray:
        """The ``(len(nodes), 2)`` coordinates of the nodes (KeyError for a node no segment touches)."""
        out: np.ndarray = self.xy[np.array([self.row[int(n)] for n in nodes], dtype=np.int64)].reshape(-1, 2)
        return out


def _as_str(s: pd.Series) -> np.ndarray:
    """``s.astype(str)`` as an object array (missing values stay NaN); no conversion when all are ``str``."""
    arr: np.ndarray = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=False) in ("string", "empty"):
        return arr
    out: np.ndarray = s.astype(str).to_numpy(dtype=object)
    return out


def _ulic(s: pd.Series) -> np.ndarray:
    """TERYT ULIC codes as text, ``99999`` (no street) where missing or empty."""
    arr = _as_str(s.fillna(""))
    out: np.ndarray = np.where(arr == "", "99999", arr).astype(object)
    return out


def _nearest_address(points: np.ndarray, addresses: gpd.GeoDataFrame) -> np.ndarray:
    """Row position of the nearest address point for each point (ties: lowest position)."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64)
    idx = addresses.sindex.nearest(points, return_all=False)
    out = np.zeros(len(points), dtype=np.int64)
    out[idx[0]] = idx[1]
    return out


@dataclass(frozen=True)
class UkeLayer:
    """One UKE layer before it becomes a table: its columns' values and its features' vertices.

    Attributes
    ----------
    columns
        Template column -> its values (an array, or one ``str`` for every row).
    xy
        ``(m, 2)``: the vertices (longitude, latitude; EPSG:4326) of every feature, feature after feature.
    counts
        Vertices per feature.
    points
        Whether the features are points (else line strings).
    """

    columns: dict[str, Any]
    xy: np.ndarray
    counts: np.ndarray
    points: bool

    @classmethod
    def of_points(cls, columns: dict[str, Any], lon: np.ndarray, lat: np.ndarray) -> UkeLayer:
        """A layer of points."""
        return cls(columns, np.column_stack([lon, lat]).reshape(-1, 2), np.ones(len(lon), dtype=np.int64), True)

    def geometry(self) -> np.ndarray:
        """The features' geometries (shapely)."""
        if len(self.counts) == 0:
            return np.zeros(0, dtype=object)
        if self.points:
            out: np.ndarray = shapely.points(self.xy)
            return out
        out = shapely.linestrings(self.xy, indices=np.repeat(np.arange(len(self.counts)), self.counts))
        return out

    def table(self, columns: list[str]) -> gpd.GeoDataFrame:
        """The layer as a GeoDataFrame with exactly ``columns`` (the template's) and its geometry."""
        return gpd.GeoDataFrame(pd.DataFrame(self.columns, columns=columns), geometry=self.geometry(),
                                crs="EPSG:4326")

    def text(self, columns: list[str]) -> LayerText:
        """The layer as text (see :func:`planner.output.uke.text.layer_text`), without making a table."""
        return text_of(self.columns, columns, self.xy, self.counts, np.full(len(self.counts), self.points))


def _cable_lines(seg: gpd.GeoDataFrame, node_id: dict[int, str], tf: Transformer, pre: str, project: str,
                 net: Any = None) -> UkeLayer:
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
    pairs = fixed(lon, 6) + " " + fixed(lat, 6)
    wkt = "LINESTRING(" + join_vertices(pairs, np.diff(np.r_[vstart, len(pairs)]), ",") + ")"
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
    columns = {
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
    }
    return UkeLayer(columns, np.column_stack([lon, lat]), np.bincount(vertex_run, minlength=len(runs)), False)


def uke_tables(plan_or_layers: Any, *, operator_id: str = "OP", project_number: str | None = None,
               trench_in_microduct: bool = True, uke_dir: str | Path | None = None
               ) -> dict[str, gpd.GeoDataFrame]:
    """The three UKE layers of a planned network as GeoDataFrames in EPSG:4326.

    Parameters
    ----------
    plan_or_layers, operator_id, project_number, trench_in_microduct, uke_dir
        See :func:`uke_layers`.

    Returns
    -------
    dict
        ``'lk'``, ``'pe'``, ``'ua'`` -> GeoDataFrame with exactly the template
        columns (all text) and a geometry in EPSG:4326.
    """
    layers = uke_layers(plan_or_layers, operator_id=operator_id, project_number=project_number,
                        trench_in_microduct=trench_in_microduct)
    return {key: layer.table(template_columns(key, uke_dir)) for key, layer in layers.items()}


def uke_layers(plan_or_layers: Any, *, operator_id: str = "OP", project_number: str | None = None,
               trench_in_microduct: bool = True) -> dict[str, UkeLayer]:
    """The three UKE layers of a planned network, as columns and geometries (EPSG:4326).

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

    Returns
    -------
    dict
        ``'lk'``, ``'pe'``, ``'ua'`` -> :class:`UkeLayer` (template columns -> values).
    """
    L = _layers_of(plan_or_layers)
    seg = L.segments[[*_SEGMENT_COLUMNS, L.segments.geometry.name]]  # only what is used: fewer columns to sort
    seg = seg.sort_values("segment_id", kind="stable").reset_index(drop=True)
    crs = seg.crs or L.addresses.crs
    tf = _to_wgs84(crs)
    project = project_number or ""
    pre = re.sub(r"[^A-Za-z0-9]+", "_", operator_id).strip("_") or "OP"
    addr = L.addresses.reset_index(drop=True)

    # --- cable lines -------------------------------------------------------
    kind = _kind(seg["deployment"].to_numpy(dtype=object), seg["pole_owner"].fillna("").to_numpy(dtype=object),
                 trench_in_microduct)
    net = uke_network(plan_or_layers)  # the real flexibility points and fibre counts (planner.network)
    order, parent = _tree_order(seg)
    run, breaks = _break_runs(seg, kind, order, parent, net.joints if net is not None else frozenset())
    seg = seg.assign(_run=run, _kind=kind)
    pops = L.pops.reset_index(drop=True)
    node_xy = _NodeXY(seg)
    root_nodes = sorted(int(x) for x in seg.loc[seg["parent_id"] < 0, "u"].unique())
    pop_of_root: dict[int, str] = {}
    if len(pops) and root_nodes:
        pts = shapely.points(node_xy[root_nodes])
        near = pops.sindex.nearest(pts, return_all=False)
        for i, j in zip(near[0], near[1]):
            pop_of_root[root_nodes[i]] = str(pops["id"].iloc[j])
    node_id = {n: (f"W_{pop_of_root.get(n, n)}" if n in pop_of_root else f"{pre}_PE_M{n}") for n in breaks}
    # the POP (węzeł) each segment is served from, propagated down the tree
    seg["_root"] = _roots(seg, order, parent)

    lk = _cable_lines(seg, node_id, tf, pre, project, net)

    # --- flexibility points ------------------------------------------------
    pole_root: dict[str, int] = {}
    for ids, rt in zip(_as_str(seg["pole_ids"].fillna("")).tolist(),
                       seg["_root"].tolist()):
        for pid in filter(None, ids.split(";")):
            pole_root.setdefault(pid, rt)
    poles = None
    if L.poles is not None:  # only the poles the cable hangs on (None if there are none)
        ids = _as_str(L.poles["id"]).tolist()
        used = L.poles[np.fromiter((i in pole_root for i in ids), dtype=bool, count=len(ids))]
        used = used.sort_values("id", kind="stable")
        poles = used if len(used) > 0 else None
    drop_start = shapely.get_point(L.drops.geometry.values, 0) if len(L.drops) else np.zeros(0, dtype=object)
    pole_ids = _as_str(poles["id"]) if poles is not None else np.zeros(0, dtype=object)
    default_root = root_nodes[0] if root_nodes else -1
    closure_nodes = np.array(sorted(n for n in breaks if n not in pop_of_root), dtype=np.int64)
    v_root = dict(zip(seg["v"].astype(int).tolist(), seg["_root"].tolist()))
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
                              shapely.points(node_xy[closure_nodes.tolist()])])
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
    a = addr[["terc", "simc", "ulic", "house_number"]].iloc[near_a]
    xy = shapely.get_coordinates(pe_geom).reshape(-1, 2)
    lon, lat = tf.transform(xy[:, 0], xy[:, 1]) if len(xy) else (np.zeros(0), np.zeros(0))
    pe = UkeLayer.of_points({
        "pe01_id_pe": pe_ids, "pe02_typ_pe": pe_types,
        "pe03_id_wezla": np.array([f"W_{pop_of_root.get(int(r), r)}" for r in pe_root], dtype=object),
        "pe04_pdu": pe_pdu,
        "pe05_terc": _as_str(a["terc"]),
        "pe06_simc": _as_str(a["simc"]),
        "pe07_ulic": _ulic(a["ulic"]),
        "pe08_nr_porzadkowy": _as_str(a["house_number"]),
        "pe09_szerokosc": fixed(lat, 6), "pe10_dlugosc": fixed(lon, 6),
        "pe11_medium_transmisyjne": MEDIUM, "pe12_technologia_dostepowa": TECHNOLOGY,
        "pe13_mozliwosc_swiadczenia_uslug": SERVICE_END_USERS, "pe14_finansowanie_publ": "Tak",
        "pe15_numery_projektow_publ": project,
    }, lon, lat)

    # --- services at address points ---------------------------------------
    pe_of_addr = dict(zip(_as_str(L.drops["address_id"]).tolist(), ua_pe.tolist()))
    status = addr["plan_status"].astype(str)
    served_a = addr.loc[status.isin(["connect", "connected"]).to_numpy(),
                        ["id", "terc", "simc", "ulic", "house_number", addr.geometry.name]]
    served_a = served_a.sort_values("id", kind="stable")
    xy = shapely.get_coordinates(served_a.geometry.values) if len(served_a) else np.zeros((0, 2))
    lon, lat = tf.transform(xy[:, 0], xy[:, 1]) if len(xy) else (np.zeros(0), np.zeros(0))
    ua = UkeLayer.of_points({
        "ua01_id_punktu_adresowego": _as_str(served_a["id"]),
        "ua02_id_pe": [pe_of_addr.get(str(i), "") for i in served_a["id"].to_numpy(dtype=object).tolist()],
        "ua03_id_po": "",
        "ua04_terc": _as_str(served_a["terc"]),
        "ua05_simc": _as_str(served_a["simc"]),
        "ua06_ulic": _ulic(served_a["ulic"]),
        "ua07_nr_porzadkowy": _as_str(served_a["house_number"]),
        "ua08_szerokosc": fixed(lat, 6), "ua09_dlugosc": fixed(lon, 6),
        "ua10_medium_dochodzace_do_pa": MEDIUM, "ua11_technologia_dostepowa": TECHNOLOGY,
        "ua12_instalacja_telekom": INSTALLATION, "ua13_medium_instalacji_budynku": MEDIUM,
        "ua14_technologia_dostepowa": TECHNOLOGY,
        "ua15_identyfikacja_uslugi": [f"{pre}_UA{i + 1:06d}" for i in range(len(served_a))],
        "ua16_dostep_stacjonarny": "Tak", "ua17_dostep_stacjonarny_bezprzewodowy": "Nie",
        "ua18_telewizja_cyfrowa": "Nie", "ua19_radio": "Nie", "ua20_usluga_telefoniczna": "Nie",
        "ua21_predkosc_uslugi_td": SPEED_CODE_1000, "ua22_liczba_uzytkownikow_uslugi_td": "0",
    }, lon, lat)
    return {"lk": lk, "pe": pe, "ua": ua}
