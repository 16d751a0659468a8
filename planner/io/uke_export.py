"""Export a planned network as the UKE inventory ("zestaw 7") layers.

The operator reports its network to the President of UKE every year
(Dz.U. 2022 poz. 2796).  This module writes the planned network in the
official template columns (``data/uke/zestaw7_csv``) as CSV and GeoJSON
(EPSG:4326), and checks every row against the XSD of the template
(``data/uke/zestaw7_xsd``, validated with :mod:`xmlschema`) and against the
code lists (``data/uke/slowniki_inwentaryzacja_uke.txt``).

Layers written
--------------
``z7_liniekablowe`` (cable lines, ``lk01``–``lk12``)
    One line per run of the tree between *break nodes* (the POP, branching
    nodes, cable ends, and nodes where the kind of line changes), so each
    line has one ``lk06`` kind.  ``lk03`` is the WKT ``LINESTRING(lon lat,
    ...)`` in EPSG:4326 (longitude first, as in the template).  ``lk06``:

    * aerial on commune lighting or power poles -> "Linia kablowa nadziemna na
      podbudowie elektroenergetycznej, oświetleniowej lub trakcyjnej";
    * aerial on telecom poles -> "Linia kablowa nadziemna na podbudowie
      słupowej telekomunikacyjnej";
    * reused duct (the ``ducts`` layer holds kanały technologiczne) -> "Linia
      kablowa umieszczona w kanale technologicznym";
    * trench -> "Linia kablowa umieszczona w kanalizacji kablowej (w tym w
      rurociągu kablowym, mikrokanalizacji)" because FTTH trenches lay a
      microduct the cable is blown into [A]; with
      ``trench_in_microduct=False`` "Linia kablowa podziemna (umieszczona
      bezpośrednio w ziemi)".

    ``lk07`` fibres: the smallest standard cable size (12, 24, 48, 72, 96,
    144, 288, 576) that holds one fibre per target point downstream plus 20 %
    reserve [A]; ``lk08`` the fibres used (points downstream); ``lk09`` 0.
    ``lk10`` = "Tak" (public funding, FERC) and ``lk11`` the project number.
``z7_punkty_elastycznosci`` (flexibility points, ``pe01``–``pe15``)
    Every pole the cable hangs on (``pe02`` "10" maszt oświetleniowy for
    commune street lamps, "12" słup for telecom and power poles) and a closure
    ("03" mufa kablowa) at every break node except the POP.  Address fields
    (TERC/SIMC/ULIC/number) are those of the nearest address point; ``pe04``
    (punkt dostępu użytkownika) is "Tak" for closures that serve drops.
``z7_uslugi_wadresach`` (services at address points, ``ua01``–``ua22``)
    The planned coverage: every connected target point, fibre ("światłowodowe"),
    GPON, 1000 Mb/s (speed code "20"), 0 users (not sold yet), the flexibility
    point nearest to where its drop leaves the network.

The POP is referenced as the node (węzeł) ``W_<pop id>``; the węzły layer
itself is not exported.

The XSDs import GML 3.2 from schemas.opengis.net, which is not reachable
offline; validation uses a local subset of GML 3.2 with the types the
templates use (feature collection, feature member, point and line-string
properties), see :data:`_GML32_SUBSET`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from planner._errors import InputDataError, Problem

__all__ = ["LK06", "export_uke", "uke_tables", "validate_uke", "template_columns", "code_lists",
           "UKE_LAYERS"]

logger = logging.getLogger(__name__)

#: Layer key -> template file stem (without extension).
UKE_LAYERS: dict[str, str] = {
    "lk": "z7_liniekablowe_2_szablon_20230131",
    "pe": "z7_punkty_elastycznosci_3_szablon_20230131",
    "ua": "z7_uslugi_wadresach_2_szablon_20230131",
}
#: Code list "Rodzaj linii kablowej" entries used (checked against the slowniki file).
LK06: dict[str, str] = {
    "aerial_power": "Linia kablowa nadziemna na podbudowie elektroenergetycznej, oświetleniowej lub trakcyjnej",
    "aerial_commune_lighting": "Linia kablowa nadziemna na podbudowie elektroenergetycznej, oświetleniowej lub trakcyjnej",
    "aerial_telecom": "Linia kablowa nadziemna na podbudowie słupowej telekomunikacyjnej",
    "duct": "Linia kablowa umieszczona w kanale technologicznym",
    "trench_microduct": "Linia kablowa umieszczona w kanalizacji kablowej (w tym w rurociągu kablowym, mikrokanalizacji)",
    "trench_ground": "Linia kablowa podziemna (umieszczona bezpośrednio w ziemi)",
}
#: pe02 codes (code list "Typ lokalizacji punktu elastyczności").
PE_CLOSURE, PE_LIGHTING_MAST, PE_POLE = "03", "10", "12"
MEDIUM = "światłowodowe"
TECHNOLOGY = "GPON"           # code list "Technologie dostępowe" [A: the planned FTTH is GPON]
SPEED_CODE_1000 = "20"        # code list "Prędkość łącza internetowego": 1000 Mb/s
SERVICE_END_USERS = "09"      # code list "Typ usługi": usługa świadczona dla użytkowników końcowych
#: ua12: the only value the UKE template shows; the FTTH drop ends in the building's own fibre [A].
INSTALLATION = "W budynku sprawozdawca posiada instalację telekomunikacyjną budynku"
CABLE_SIZES = (12, 24, 48, 72, 96, 144, 288, 576)
FIBRE_RESERVE = 0.2           # [A] spare fibres on top of one per point downstream

_GML = "http://www.opengis.net/gml/3.2"
_OGR = "http://ogr.maptools.org/"

#: The part of GML 3.2 the OGR-generated templates use (offline stand-in for gml.xsd).
_GML32_SUBSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema targetNamespace="{_GML}" xmlns:gml="{_GML}" xmlns:xs="http://www.w3.org/2001/XMLSchema"
  elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:attribute name="id" type="xs:ID"/>
  <xs:attributeGroup name="SRSReferenceGroup">
    <xs:attribute name="srsName" type="xs:anyURI"/>
    <xs:attribute name="srsDimension" type="xs:positiveInteger"/>
  </xs:attributeGroup>
  <xs:complexType name="AbstractGMLType" abstract="true">
    <xs:sequence/>
    <xs:attribute ref="gml:id" use="required"/>
  </xs:complexType>
  <xs:complexType name="AbstractFeatureType" abstract="true">
    <xs:complexContent><xs:extension base="gml:AbstractGMLType"><xs:sequence/></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="AbstractFeature" type="gml:AbstractFeatureType" abstract="true"/>
  <xs:complexType name="AbstractFeatureMemberType" abstract="true"><xs:sequence/></xs:complexType>
  <xs:simpleType name="doubleList"><xs:list itemType="xs:double"/></xs:simpleType>
  <xs:complexType name="DirectPositionType">
    <xs:simpleContent><xs:extension base="gml:doubleList"><xs:attributeGroup ref="gml:SRSReferenceGroup"/>
    </xs:extension></xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="DirectPositionListType">
    <xs:simpleContent><xs:extension base="gml:doubleList"><xs:attributeGroup ref="gml:SRSReferenceGroup"/>
    <xs:attribute name="count" type="xs:positiveInteger"/></xs:extension></xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="AbstractGeometryType" abstract="true">
    <xs:complexContent><xs:extension base="gml:AbstractGMLType">
      <xs:attributeGroup ref="gml:SRSReferenceGroup"/></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="AbstractGeometry" type="gml:AbstractGeometryType" abstract="true"/>
  <xs:element name="AbstractCurve" type="gml:AbstractGeometryType" abstract="true"
    substitutionGroup="gml:AbstractGeometry"/>
  <xs:complexType name="PointType">
    <xs:complexContent><xs:extension base="gml:AbstractGeometryType">
      <xs:sequence><xs:element name="pos" type="gml:DirectPositionType"/></xs:sequence>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="Point" type="gml:PointType" substitutionGroup="gml:AbstractGeometry"/>
  <xs:complexType name="LineStringType">
    <xs:complexContent><xs:extension base="gml:AbstractGeometryType">
      <xs:sequence><xs:element name="posList" type="gml:DirectPositionListType"/></xs:sequence>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="LineString" type="gml:LineStringType" substitutionGroup="gml:AbstractCurve"/>
  <xs:complexType name="PointPropertyType">
    <xs:sequence minOccurs="0"><xs:element ref="gml:Point"/></xs:sequence>
    <xs:attribute name="nilReason" type="xs:string"/>
  </xs:complexType>
  <xs:complexType name="CurvePropertyType">
    <xs:sequence minOccurs="0"><xs:element ref="gml:AbstractCurve"/></xs:sequence>
    <xs:attribute name="nilReason" type="xs:string"/>
  </xs:complexType>
</xs:schema>
"""
_GMLSF_SUBSET = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema targetNamespace="http://www.opengis.net/gmlsf/2.0" xmlns:xs="http://www.w3.org/2001/XMLSchema"
  elementFormDefault="qualified">
  <xs:element name="ComplianceLevel" type="xs:integer"/>
</xs:schema>
"""


# ---------------------------------------------------------------------------
# templates and code lists
# ---------------------------------------------------------------------------


def _uke_dir(uke_dir: str | Path | None = None) -> Path:
    if uke_dir is not None:
        return Path(uke_dir)
    from planner.datasets import DATA_DIR

    return DATA_DIR / "uke"


def template_columns(layer: str, uke_dir: str | Path | None = None) -> list[str]:
    """Column names of a template CSV (``layer``: ``'lk'``, ``'pe'`` or ``'ua'``), in order."""
    path = _uke_dir(uke_dir) / "zestaw7_csv" / f"{UKE_LAYERS[layer]}.csv"
    if not path.exists():
        raise InputDataError(f"UKE template {path} not found", [Problem(
            file=str(path), message="the UKE zestaw 7 CSV template is missing",
            fix="copy the templates into data/uke/zestaw7_csv (see data/SOURCES.md)")])
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    return [h.strip() for h in header]


@lru_cache(maxsize=4)
def _code_lists_cached(path: str) -> dict[str, tuple[str, ...]]:
    lists: dict[str, list[str]] = {}
    current = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n").strip()
            if line.startswith("## "):
                current = line[3:].strip()
                lists[current] = []
            elif line and current is not None:
                lists[current].append(line)
    out = {}
    for name, values in lists.items():
        if values and "|" in values[0]:  # a table: header row, then 'label | code'
            rows = [tuple(p.strip() for p in v.split("|")) for v in values[1:]]
            out[name] = tuple(r[-1] for r in rows)
            out[name + " (labels)"] = tuple(r[0] for r in rows)
        else:
            out[name] = tuple(values)
    return out


def code_lists(uke_dir: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """UKE code lists (słowniki) by heading; for coded tables the codes (and ``'<name> (labels)'``)."""
    return _code_lists_cached(str(_uke_dir(uke_dir) / "slowniki_inwentaryzacja_uke.txt"))


# ---------------------------------------------------------------------------
# building the rows
# ---------------------------------------------------------------------------


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
    from planner.report import plan_layers

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
    return np.maximum(sizes[idx], need)


def _break_runs(seg: pd.DataFrame, kind: np.ndarray,
                extra: frozenset[int] = frozenset()) -> tuple[np.ndarray, set[int]]:
    """Run id per segment (chains between break nodes with one kind) and the break nodes (plus ``extra``)."""
    n_child = seg.groupby("u").size()
    parent_of = dict(zip(seg["segment_id"], seg["parent_id"]))
    kind_of = dict(zip(seg["segment_id"], kind))
    v_of = dict(zip(seg["segment_id"], seg["v"]))
    u_of = dict(zip(seg["segment_id"], seg["u"]))
    roots = set(seg.loc[seg["parent_id"] < 0, "u"])
    breaks = set(int(x) for x in roots) | set(extra)  # issue #16: cabinets and closures break the lines
    for sid, v in v_of.items():
        if n_child.get(v, 0) != 1:  # branching node or cable end
            breaks.add(int(v))
    for sid in seg["segment_id"]:
        par = parent_of[sid]
        if par >= 0 and kind_of[par] != kind_of[sid]:
            breaks.add(int(u_of[sid]))
    run = {}
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
    from planner.network.uke import uke_network  # issue #16: real flexibility points and fibre counts
    net = uke_network(plan_or_layers)
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

    lk_rows, lk_geoms = [], []
    for r, g in seg.sort_values(["_run", "dist_from_pop_m", "segment_id"], kind="stable").groupby("_run", sort=True):
        coords = [shapely.get_coordinates(x) for x in g.geometry]
        xy = np.vstack([coords[0]] + [c[1:] for c in coords[1:]])
        lon, lat = tf.transform(xy[:, 0], xy[:, 1])
        first, last = g.iloc[0], g.iloc[-1]
        n_down = int(first["n_targets_downstream"])
        lk07, lk08 = (int(_cable_size(np.array([n_down]))[0]), n_down)
        if net is not None:  # issue #16
            lk07, lk08 = net.fibres(int(first["segment_id"]), (lk07, lk08))
        lk_rows.append({
            "lk01_id_lk": f"{pre}_LK{r + 1:05d}",
            "lk02_id_punktu_poczatkowego": node_id[int(first["u"])],
            "lk03_punkty_zalamania": "LINESTRING(" + ",".join(f"{a:.6f} {b:.6f}" for a, b in zip(lon, lat)) + ")",
            "lk04_id_punktu_koncowego": node_id[int(last["v"])],
            "lk05_medium_transmisyjne": MEDIUM,
            "lk06_rodzaj_linii_kablowej": LK06[first["_kind"]],
            "lk07_liczba_wlokien": str(lk07),
            "lk08_liczba_wlokien_wykorzystywanych": str(lk08),
            "lk09_liczba_wlokien_udostepnienia": "0",
            "lk10_finansowanie_publ": "Tak",
            "lk11_numery_projektow_publ": project,
            "lk12_infrastruktura_o_duzym_znaczeniu": "Nie",
        })
        lk_geoms.append(shapely.linestrings(np.column_stack([lon, lat])))
    lk = gpd.GeoDataFrame(pd.DataFrame(lk_rows, columns=cols["lk"]), geometry=lk_geoms, crs="EPSG:4326")

    # --- flexibility points ------------------------------------------------
    pole_root: dict[str, int] = {}
    for ids, rt in zip(seg["pole_ids"].fillna(""), seg["_root"]):
        for pid in filter(None, str(ids).split(";")):
            pole_root.setdefault(pid, rt)
    poles = None
    if L.poles is not None:  # only the poles the cable hangs on
        poles = L.poles[L.poles["id"].astype(str).isin(pole_root)].sort_values("id", kind="stable")
    drop_start = shapely.get_point(L.drops.geometry.values, 0) if len(L.drops) else np.zeros(0, dtype=object)
    has_poles = poles is not None and len(poles) > 0
    pole_ids = poles["id"].astype(str).to_numpy(dtype=object) if has_poles else np.zeros(0, dtype=object)
    default_root = root_nodes[0] if root_nodes else -1
    closure_nodes = np.array(sorted(n for n in breaks if n not in pop_of_root), dtype=np.int64)
    v_root = dict(zip(seg["v"].astype(int), seg["_root"]))
    pe_ids = np.concatenate([np.array([f"{pre}_PE_S{pid}" for pid in pole_ids], dtype=object),
                             np.array([node_id[int(n)] for n in closure_nodes], dtype=object)])
    pe_types = np.concatenate([
        np.where(poles["owner"].to_numpy(dtype=object) == "commune_lighting", PE_LIGHTING_MAST, PE_POLE)
        if has_poles else np.zeros(0, dtype=object),
        np.full(len(closure_nodes), PE_CLOSURE, dtype=object)]).astype(object)
    if net is not None:  # issue #16: a break node at a cabinet is a street cabinet (01)
        pe_types[len(pole_ids):] = net.pe_types(closure_nodes)
    pe_root = np.array([pole_root.get(pid, default_root) for pid in pole_ids]
                       + [v_root.get(int(n), default_root) for n in closure_nodes], dtype=np.int64)
    pe_geom = np.concatenate([poles.geometry.values.to_numpy() if has_poles else np.zeros(0, dtype=object),
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


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def _csv_text(df: pd.DataFrame, columns: list[str]) -> str:
    buf = io.StringIO()
    buf.write(",".join(columns) + "\n")
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for row in df[columns].itertuples(index=False, name=None):
        w.writerow(["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in row])
    return buf.getvalue()


def _geojson_text(gdf: gpd.GeoDataFrame, name: str, columns: list[str]) -> str:
    props_cols = [c for c in columns if c != "lk03_punkty_zalamania"]
    feats = []
    for i, (row, geom) in enumerate(zip(gdf[props_cols].itertuples(index=False, name=None), gdf.geometry), start=1):
        props = {"fid": i}
        props.update({c: (v if v != "" else None) for c, v in zip(props_cols, row)})
        coords = np.round(shapely.get_coordinates(geom), 7).tolist()
        g = ({"type": "Point", "coordinates": coords[0]} if geom.geom_type == "Point"
             else {"type": "LineString", "coordinates": coords})
        feats.append({"type": "Feature", "properties": props, "geometry": g})
    fc = {"type": "FeatureCollection", "name": name,
          "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": feats}
    return json.dumps(fc, ensure_ascii=False, indent=1) + "\n"


def export_uke(plan_or_layers: Any, out_dir: str | Path, *, operator_id: str = "OP",
               project_number: str | None = None, trench_in_microduct: bool = True,
               validate: bool = True, uke_dir: str | Path | None = None) -> dict[str, Path]:
    """Write the UKE inventory layers of a plan (CSV + GeoJSON) and validate them.

    Parameters
    ----------
    plan_or_layers
        A plan or its layers (see :func:`uke_tables`).
    out_dir
        Directory to write into (created).
    operator_id, project_number, trench_in_microduct, uke_dir
        See :func:`uke_tables`.
    validate
        Validate every row against the template XSD and the code lists
        (:func:`validate_uke`); an invalid export raises.

    Returns
    -------
    dict
        ``'lk_csv'``, ``'lk_geojson'``, ``'pe_csv'``, ... -> written path.

    Raises
    ------
    InputDataError
        A row fails the XSD or a code list.
    """
    from planner.io import files

    tables = uke_tables(plan_or_layers, operator_id=operator_id, project_number=project_number,
                        trench_in_microduct=trench_in_microduct, uke_dir=uke_dir)
    if validate:
        validate_uke(tables, uke_dir=uke_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for key, gdf in tables.items():
        stem = UKE_LAYERS[key].replace("_szablon_20230131", "")
        cols = template_columns(key, uke_dir)
        paths[f"{key}_csv"] = files.write_text(_csv_text(gdf, cols), out / f"{stem}.csv")
        paths[f"{key}_geojson"] = files.write_text(_geojson_text(gdf, stem, cols), out / f"{stem}.geojson")
    logger.info("UKE export: %d cable lines, %d flexibility points, %d address points",
                len(tables["lk"]), len(tables["pe"]), len(tables["ua"]))
    return paths


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _schema(xsd_path: str):
    import xmlschema

    text = Path(xsd_path).read_text(encoding="utf-8")
    tmp = Path(tempfile.mkdtemp(prefix="planner_uke_xsd_"))
    (tmp / "gml.xsd").write_text(_GML32_SUBSET, encoding="utf-8")
    (tmp / "gmlsfLevels.xsd").write_text(_GMLSF_SUBSET, encoding="utf-8")
    text = text.replace("http://schemas.opengis.net/gml/3.2.1/gml.xsd", "gml.xsd")
    text = text.replace("http://schemas.opengis.net/gmlsfProfile/2.0/gmlsfLevels.xsd", "gmlsfLevels.xsd")
    (tmp / "layer.xsd").write_text(text, encoding="utf-8")
    schema = xmlschema.XMLSchema(str(tmp / "layer.xsd"))
    m = re.search(r'<xs:element name="(z7_[^"]+)" type="ogr:', text)
    return schema, m.group(1) if m else ""


def _gml_geometry(geom: Any, gid: str) -> str:
    c = shapely.get_coordinates(geom)
    srs = 'srsName="urn:ogc:def:crs:EPSG::4326"'
    if geom.geom_type == "Point":  # EPSG:4326 in GML: latitude first
        return f'<gml:Point gml:id="{gid}" {srs}><gml:pos>{c[0, 1]:.7f} {c[0, 0]:.7f}</gml:pos></gml:Point>'
    pos = " ".join(f"{y:.7f} {x:.7f}" for x, y in c)
    return f'<gml:LineString gml:id="{gid}" {srs}><gml:posList>{pos}</gml:posList></gml:LineString>'


def to_gml(gdf: gpd.GeoDataFrame, element: str, columns: list[str]) -> str:
    """A GML 3.2 feature collection of the rows, as the OGR-generated template XSD describes."""
    props = [c for c in columns if c != "lk03_punkty_zalamania"]
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ogr:FeatureCollection xmlns:ogr="{_OGR}" '
             f'xmlns:gml="{_GML}" gml:id="fc">']
    for i, (row, geom) in enumerate(zip(gdf[props].itertuples(index=False, name=None), gdf.geometry)):
        body = "".join(f"<ogr:{c}>{escape(str(v))}</ogr:{c}>" for c, v in zip(props, row))
        parts.append(f'<ogr:featureMember><ogr:{element} gml:id="f{i}"><ogr:geometryProperty>'
                     f"{_gml_geometry(geom, f'g{i}')}</ogr:geometryProperty>{body}</ogr:{element}>"
                     "</ogr:featureMember>")
    parts.append("</ogr:FeatureCollection>\n")
    return "".join(parts)


#: column -> (code list heading, how): values must be in the list (empty allowed where noted).
_CODED: dict[str, str] = {
    "lk05_medium_transmisyjne": "Medium",
    "lk06_rodzaj_linii_kablowej": "Rodzaj linii kablowej",
    "pe02_typ_pe": "Arkusz13",
    "pe11_medium_transmisyjne": "Medium",
    "pe12_technologia_dostepowa": "Technologie dostępowe",
    "pe13_mozliwosc_swiadczenia_uslug": "Typ usługi",
    "ua10_medium_dochodzace_do_pa": "Medium",
    "ua11_technologia_dostepowa": "Technologie dostępowe",
    "ua13_medium_instalacji_budynku": "Medium",
    "ua14_technologia_dostepowa": "Technologie dostępowe",
    "ua21_predkosc_uslugi_td": "Prędkość łącza internetowego",
}
_YES_NO = ("lk10_finansowanie_publ", "lk12_infrastruktura_o_duzym_znaczeniu", "pe04_pdu", "pe14_finansowanie_publ",
           "ua16_dostep_stacjonarny", "ua17_dostep_stacjonarny_bezprzewodowy", "ua18_telewizja_cyfrowa",
           "ua19_radio", "ua20_usluga_telefoniczna")
#: Poland (lon, lat) bounds.
_PL_LONLAT = (14.07, 49.0, 24.15, 54.84)


def validate_uke(tables: dict[str, gpd.GeoDataFrame], *, uke_dir: str | Path | None = None) -> None:
    """Check UKE layers against the template columns, the XSD and the code lists.

    Raises
    ------
    InputDataError
        With one :class:`~planner._errors.Problem` per failing check (first
        failing row named).
    """
    problems: list[Problem] = []
    lists = code_lists(uke_dir)
    base = _uke_dir(uke_dir)
    for key, gdf in tables.items():
        stem = UKE_LAYERS[key]
        cols = template_columns(key, uke_dir)
        if list(gdf.columns.drop("geometry")) != cols:
            problems.append(Problem(file=stem, message="columns differ from the template",
                                    fix="report a bug: the export must use the template columns"))
            continue
        schema, element = _schema(str(base / "zestaw7_xsd" / f"{stem}.xsd"))
        errors = list(schema.iter_errors(to_gml(gdf, element, cols)))
        if errors:
            problems.append(Problem(file=stem, message=f"{len(errors)} XSD error(s), first: {errors[0].reason}",
                                    fix="report a bug in planner.io.uke_export"))
        for col, heading in _CODED.items():
            if col in gdf:
                bad = ~gdf[col].isin(lists[heading]) & (gdf[col] != "")
                if bad.any():
                    i = int(np.flatnonzero(bad.to_numpy())[0])
                    problems.append(Problem(file=stem, row=i + 1, message=f"{col}={gdf[col].iloc[i]!r} is not in "
                                            f"the UKE code list {heading!r}", fix="use a code-list value"))
        for col in _YES_NO:
            if col in gdf and (~gdf[col].isin(["Tak", "Nie"])).any():
                problems.append(Problem(file=stem, message=f"{col} must be Tak/Nie", fix="use Tak or Nie"))
        if len(gdf):
            xy = shapely.get_coordinates(gdf.geometry.values)
            inside = ((xy[:, 0] >= _PL_LONLAT[0]) & (xy[:, 0] <= _PL_LONLAT[2])
                      & (xy[:, 1] >= _PL_LONLAT[1]) & (xy[:, 1] <= _PL_LONLAT[3]))
            if not inside.all():
                problems.append(Problem(file=stem, message="coordinates outside Poland (lon/lat swapped or wrong CRS)",
                                        fix="give the plan layers in their true CRS"))
    if problems:
        raise InputDataError("UKE export does not validate", problems)
