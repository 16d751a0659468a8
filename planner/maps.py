"""Councillor map: one self-contained HTML file of a plan.

The map is a Folium/Leaflet page a councillor opens from an e-mail or the
commune website.  It answers "is my street in, when, and how": address points
coloured by plan status (białe plamy, bariery inwestycyjne, grey and black
points, connected points), the planned network by deployment type, drops
(with the distance fee of drops beyond the contract length), the POP, the poles
used, existing ducts, and localities coloured by their milestone (kamień
milowy), each with a popup.

Design
------
* Every layer is one ``folium.FeatureGroup`` (listed in the layer control).
  Its features are written as one compact, column-oriented JSON object that
  the bundled runtime ``assets/planner_map.js`` turns into canvas
  ``L.circleMarker``/``L.polyline``/``L.polygon`` objects with lazily built
  popups.  Repeated strings are dictionary-encoded and numbers are formatted
  in the browser, so ~12 k address points stay a few MB and load in well
  under a second.
* Leaflet and the runtime are always inlined from :mod:`planner.assets`
  (vendored from the npm registry, see ``assets/README.md``); folium's default
  jQuery/Bootstrap/Font Awesome links are dropped.  ``offline=True`` adds no
  base tiles, so the page makes no network request at all; ``offline=False``
  adds OpenStreetMap tiles.
* Output is deterministic: folium's random element ids are renumbered from a
  counter, so the same plan gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from planner._errors import InputDataError, InputFileNotFoundError, Problem, UsageError
from planner.config import DesignConfig, MapConfig
from planner.io.plan_dir import read_plan_layers
from planner.output.files import write_bytes
from planner.schema import DEPLOYMENT_TYPES, PLAN_LAYERS, PLAN_STATUSES, POLAND_BOUNDS_2180, WORKING_CRS
from planner.whitespots import localize_reasons

logger = logging.getLogger(__name__)

__all__ = [
    "CHROMIUM_ARGS",
    "PLAN_LAYERS",
    "PLAN_STATUSES",
    "build_map",
    "find_chromium",
    "layer_names",
    "read_plan_layers",
    "screenshot",
    "write_map",
]

#: Network classes: deployment, or ``aerial_<pole owner>``.
_NETWORK_CLASSES: tuple[str, ...] = ("aerial_commune_lighting", "aerial_telecom", "aerial_power", "duct", "trench")

#: Chromium switches for headless use in containers and CI (no sandbox, no background traffic).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

_OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"

# --- texts -----------------------------------------------------------------

_TEXT: dict[str, dict[str, str]] = {
    "pl": {
        "title": "Sieć światłowodowa w białych plamach",
        "status.connect": "Biała plama – do podłączenia",
        "status.connected": "Podłączony (powykonawczo)",
        "status.unconnected": "Biała plama – niepodłączona",
        "status.barrier": "Bariera inwestycyjna",
        "status.grey": "Punkt szary (zasięg NGA jednego operatora)",
        "status.black": "Punkt czarny (już pokryty siecią NGA)",
        "net.aerial_commune_lighting": "Sieć napowietrzna – słupy oświetleniowe gminy",
        "net.aerial_telecom": "Sieć napowietrzna – słupy telekomunikacyjne",
        "net.aerial_power": "Sieć napowietrzna – słupy energetyczne",
        "net.duct": "Sieć w istniejącej kanalizacji",
        "net.trench": "Sieć doziemna (nowy wykop)",
        "layer.drops": "Przyłącza do ogrodzenia",
        "layer.long_drops": "Przyłącza ponad {limit} m (opłata dystansowa)",
        "layer.poles": "Wykorzystane słupy",
        "layer.ducts": "Istniejące kanały technologiczne",
        "layer.localities": "Miejscowości – kamienie milowe",
        "layer.pops": "Punkt dostępowy (POP)",
        "legend.addresses": "Punkty adresowe",
        "legend.network": "Sieć planowana",
        "legend.drops": "Przyłącza",
        "legend.other": "Inne",
        "legend.milestones": "Kamienie milowe",
        "legend.no_milestone": "bez kamienia milowego",
        "col.reason": "Powód",
        "col.milestone": "Kamień milowy",
        "col.passed": "Planowane doprowadzenie sieci",
        "col.drop": "Przyłącze",
        "col.fee": "Opłata dystansowa",
        "col.over": "Ponad limit umowy",
        "col.business": "Przedsiębiorca",
        "col.length": "Długość",
        "col.poles": "Liczba słupów",
        "col.duct": "Kanał",
        "col.surface": "Nawierzchnia",
        "col.crossings": "Przejścia pod drogą",
        "col.consent": "Zgoda właściciela",
        "col.locality": "Miejscowość",
        "col.commune": "Gmina",
        "col.points": "Punkty adresowe",
        "col.white": "Białe plamy",
        "col.targets": "Do podłączenia",
        "col.barriers": "Bariery inwestycyjne",
        "col.connected": "Podłączone",
        "col.unconnected": "Niepodłączone",
        "col.pct": "Punkty z siecią do terminu",
        "col.km_aerial": "Sieć napowietrzna",
        "col.km_duct": "Sieć w kanalizacji",
        "col.km_trench": "Sieć doziemna",
        "col.id": "Identyfikator",
        "col.owner": "Właściciel",
        "col.free_subducts": "Wolne mikrorurki",
        "col.name": "Nazwa",
        "yes": "tak",
        "unit.pln": " zł",
        "owner.commune_lighting": "gmina (oświetlenie)",
        "owner.telecom": "operator telekomunikacyjny",
        "owner.power": "zakład energetyczny",
        "surface.unpaved": "grunt nieutwardzony",
        "surface.paved": "chodnik / nawierzchnia utwardzona",
        "surface.carriageway": "jezdnia",
        "consent.granted": "udzielona",
        "consent.pending": "oczekuje",
        "barrier.no_building": "brak budynku (pusta działka)",
        "barrier.summer_house": "zabudowa letniskowa",
        "barrier.status": "status w PRG: {status}",
        "unconnected.consent_refused": "brak zgody właściciela działki",
        "unconnected.no_road_access": "brak dostępu od drogi",
        "unconnected.reach": "poza zasięgiem sieci (zbyt daleko od POP)",
        "unconnected.long_drop_excluded": "przyłącze dłuższe niż limit umowy – wyłączone",
        "locality": "Miejscowość",
        "milestone.due": "{name} – do {date}",
        "drop.long": "Przyłącze ponad {limit} m – opłata dystansowa",
        "drop": "Przyłącze",
        "search": "Szukaj adresu, np. Warszawska 12",
        "search.none": "Nie znaleziono adresu",
        "sub": ("Punkty adresowe: {points} · białe plamy do podłączenia: {targets} · "
                "sieć: {km} km (pod ziemią {km_under} km)"),
        "howto": "Jak czytać tę mapę?",
        "note": (
            "Kropki to punkty adresowe. Białe kropki z granatową obwódką to białe plamy, do których "
            "zostanie doprowadzony światłowód; zielone – już podłączone; czerwone – białe plamy, których "
            "nie da się podłączyć (powód w opisie punktu, np. brak zgody właściciela działki); "
            "pomarańczowe – bariery inwestycyjne (np. brak budynku); szare i czarne – adresy, które mają "
            "lub będą miały szybki internet od innego operatora. Linie to planowana sieć: przerywane – "
            "kabel na istniejących słupach, ciągłe – pod ziemią (w istniejącej kanalizacji lub w nowym "
            "wykopie); czerwone przerywane – przyłącza ponad limit umowy z opłatą dystansową. Kolor tła "
            "miejscowości oznacza kamień milowy, w którym zostanie ona objęta siecią. Kliknij punkt, "
            "linię lub miejscowość, aby zobaczyć szczegóły; wpisz adres w polu wyszukiwania; warstwy "
            "włączysz i wyłączysz w prawym górnym rogu."
        ),
        "note.offline": "Mapa działa bez internetu, dlatego nie ma podkładu mapowego (ulic i budynków).",
        "note.online": "Podkład mapy: OpenStreetMap (wymaga internetu).",
        "attribution": ("Dane: © <a href=\"{osm}\">OpenStreetMap</a> contributors (ODbL) · "
                        "PRG: GUGiK · TERYT: GUS"),
    },
    "en": {
        "title": "Fibre network in broadband white spots",
        "status.connect": "White spot – to be connected",
        "status.connected": "Connected (as built)",
        "status.unconnected": "White spot – not connected",
        "status.barrier": "Investment barrier",
        "status.grey": "Grey point (one operator's NGA coverage)",
        "status.black": "Black point (already covered by NGA)",
        "net.aerial_commune_lighting": "Aerial network – commune lighting poles",
        "net.aerial_telecom": "Aerial network – telecom poles",
        "net.aerial_power": "Aerial network – power poles",
        "net.duct": "Network in existing ducts",
        "net.trench": "Underground network (new trench)",
        "layer.drops": "Drops to the fence",
        "layer.long_drops": "Drops over {limit} m (distance fee)",
        "layer.poles": "Poles used",
        "layer.ducts": "Existing technological ducts",
        "layer.localities": "Localities – milestones",
        "layer.pops": "Point of presence (POP)",
        "legend.addresses": "Address points",
        "legend.network": "Planned network",
        "legend.drops": "Drops",
        "legend.other": "Other",
        "legend.milestones": "Milestones",
        "legend.no_milestone": "no milestone",
        "col.reason": "Reason",
        "col.milestone": "Milestone",
        "col.passed": "Network planned to arrive",
        "col.drop": "Drop",
        "col.fee": "Distance fee",
        "col.over": "Beyond contract length",
        "col.business": "Business",
        "col.length": "Length",
        "col.poles": "Poles",
        "col.duct": "Duct",
        "col.surface": "Surface",
        "col.crossings": "Road crossings",
        "col.consent": "Owner's consent",
        "col.locality": "Locality",
        "col.commune": "Commune",
        "col.points": "Address points",
        "col.white": "White spots",
        "col.targets": "To be connected",
        "col.barriers": "Investment barriers",
        "col.connected": "Connected",
        "col.unconnected": "Not connected",
        "col.pct": "Points passed by the deadline",
        "col.km_aerial": "Aerial network",
        "col.km_duct": "Network in ducts",
        "col.km_trench": "Underground network",
        "col.id": "Id",
        "col.owner": "Owner",
        "col.free_subducts": "Free subducts",
        "col.name": "Name",
        "yes": "yes",
        "unit.pln": " PLN",
        "owner.commune_lighting": "commune (street lighting)",
        "owner.telecom": "telecom operator",
        "owner.power": "power utility",
        "surface.unpaved": "unpaved verge",
        "surface.paved": "pavement / paved surface",
        "surface.carriageway": "carriageway",
        "consent.granted": "granted",
        "consent.pending": "pending",
        "barrier.no_building": "no building (empty plot)",
        "barrier.summer_house": "summer house",
        "barrier.status": "PRG status: {status}",
        "unconnected.consent_refused": "landowner's consent refused",
        "unconnected.no_road_access": "no access from a road",
        "unconnected.reach": "out of reach (too far from the POP)",
        "unconnected.long_drop_excluded": "drop longer than the contract length – excluded",
        "locality": "Locality",
        "milestone.due": "{name} – due {date}",
        "drop.long": "Drop over {limit} m – distance fee",
        "drop": "Drop",
        "search": "Find an address, e.g. Warszawska 12",
        "search.none": "No address found",
        "sub": ("Address points: {points} · white spots to connect: {targets} · "
                "network: {km} km ({km_under} km underground)"),
        "howto": "How to read this map",
        "note": (
            "Dots are address points. White dots with a navy ring are white spots that will get fibre; "
            "green ones are already connected; red ones are white spots that cannot be connected (the "
            "reason is in the point's popup, e.g. a landowner's consent refused); orange ones are "
            "investment barriers (e.g. no building); grey and black ones already have, or will get, fast "
            "internet from another operator. Lines are the planned network: dashed on existing poles, solid "
            "underground (in existing ducts or a new trench); red dashed lines are drops beyond the "
            "contract length that pay a distance fee. A locality's colour is the milestone in which it gets "
            "the network. Click a point, line or locality for details; type an address in the search box; "
            "switch layers on and off at the top right."
        ),
        "note.offline": "The map works without internet, so it has no base map (streets, buildings).",
        "note.online": "Base map: OpenStreetMap (needs internet).",
        "attribution": ("Data: © <a href=\"{osm}\">OpenStreetMap</a> contributors (ODbL) · "
                        "PRG: GUGiK · TERYT: GUS"),
    },
}

# --- styles (Leaflet path options) ------------------------------------------

_STATUS_STYLE: dict[str, dict[str, Any]] = {
    "connect": {"radius": 4.5, "color": "#1f4e9c", "weight": 1.5, "fillColor": "#ffffff", "fillOpacity": 1.0},
    "connected": {"radius": 4, "color": "#0b5d1e", "weight": 1, "fillColor": "#1a9641", "fillOpacity": 1.0},
    "unconnected": {"radius": 4.5, "color": "#7f0000", "weight": 1, "fillColor": "#e31a1c", "fillOpacity": 1.0},
    "barrier": {"radius": 4, "color": "#8c3b00", "weight": 1, "fillColor": "#ff7f00", "fillOpacity": 1.0},
    "grey": {"radius": 3.5, "color": "#595959", "weight": 1, "fillColor": "#a6a6a6", "fillOpacity": 0.9},
    "black": {"radius": 3.5, "color": "#000000", "weight": 1, "fillColor": "#1a1a1a", "fillOpacity": 0.9},
}
_NETWORK_STYLE: dict[str, dict[str, Any]] = {
    "aerial_commune_lighting": {"color": "#d4a000", "weight": 3, "dashArray": "7 4", "opacity": 0.95},
    "aerial_telecom": {"color": "#6a51a3", "weight": 3, "dashArray": "7 4", "opacity": 0.95},
    "aerial_power": {"color": "#8c510a", "weight": 3, "dashArray": "7 4", "opacity": 0.95},
    "duct": {"color": "#01857a", "weight": 3.5, "opacity": 0.95},
    "trench": {"color": "#c51b7d", "weight": 3.5, "opacity": 0.95},
}
_DROP_STYLE = {"color": "#555555", "weight": 1, "opacity": 0.8}
_LONG_DROP_STYLE = {"color": "#d62728", "weight": 3.5, "dashArray": "6 4", "opacity": 1.0}
_DUCT_STYLE = {"color": "#66c2a5", "weight": 8, "opacity": 0.45}
_POLE_STYLE: dict[str, dict[str, Any]] = {
    owner: {"radius": 2.5, "color": _NETWORK_STYLE[f"aerial_{owner}"]["color"], "weight": 1,
            "fillColor": "#ffffff", "fillOpacity": 1.0}
    for owner in ("commune_lighting", "telecom", "power")
}
_POP_STYLE = {"radius": 9, "color": "#ffffff", "weight": 2.5, "fillColor": "#000000", "fillOpacity": 1.0}
_MILESTONE_FILLS = ("#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5")
_NO_MILESTONE_FILL = "#d9d9d9"
_LOCALITY_STYLE = {"color": "#555555", "weight": 1, "fillOpacity": 0.35}

#: Long drops get a permanent label with their fee when there are at most this many. [A: legibility]
_MAX_FEE_LABELS = 100

#: Geometry simplification tolerance in the working CRS, metres (drawing only). [A: invisible at zoom 19]
_SIMPLIFY_M = 0.3


# --- reading ----------------------------------------------------------------


# --- validation --------------------------------------------------------------

_GEOM_TYPES: dict[str, tuple[str, ...]] = {
    "addresses": ("Point",),
    "pops": ("Point",),
    "poles_used": ("Point",),
    "segments": ("LineString", "MultiLineString"),
    "drops": ("LineString", "MultiLineString"),
    "ducts": ("LineString", "MultiLineString"),
    "localities": ("Polygon", "MultiPolygon"),
}
_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "addresses": ("locality", "house_number", "plan_status"),
    "segments": ("deployment",),
}


def _row_ids(gdf: gpd.GeoDataFrame, mask: np.ndarray, limit: int = 5) -> str:
    key = "id" if "id" in gdf.columns else None
    idx = np.flatnonzero(mask)[:limit]
    vals = gdf[key].iloc[idx].astype(str).tolist() if key else [str(i) for i in idx]
    more = f" and {int(mask.sum()) - len(idx)} more" if mask.sum() > limit else ""
    return ", ".join(vals) + more


#: Other layers must lie within the address points' extent plus this margin, metres. [A: a POP or
#: trunk route may sit a few km outside the villages it serves]
_STUDY_MARGIN_M = 10_000.0


def _inside(b: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    return bool(np.isfinite(b).all() and box[0] <= b[0] and b[2] <= box[2] and box[1] <= b[1] and b[3] <= box[3])


def _check_layers(layers: Mapping[str, gpd.GeoDataFrame], source: str) -> None:
    """Raise :class:`InputDataError` listing every problem of the map's input layers."""
    problems: list[Problem] = []
    if "addresses" not in layers or len(layers["addresses"]) == 0:
        raise InputDataError(
            "the plan has no address points",
            [Problem(file=source, layer="addresses", message="layer missing or empty",
                     fix="run the plan on an area with address points")],
        )
    study = None
    addr = layers["addresses"]
    # Plans are checked in their own CRS; Poland's extent applies to EPSG:2180 plans only
    # (an OSM extract abroad is planned in its UTM zone).
    ref_crs = addr.crs if isinstance(addr, gpd.GeoDataFrame) and addr.crs is not None else WORKING_CRS
    in_poland = pyproj.CRS(ref_crs) == pyproj.CRS(WORKING_CRS)
    if isinstance(addr, gpd.GeoDataFrame) and addr.crs is not None:
        ab = addr.total_bounds
        if np.isfinite(ab).all():
            study = (ab[0] - _STUDY_MARGIN_M, ab[1] - _STUDY_MARGIN_M, ab[2] + _STUDY_MARGIN_M, ab[3] + _STUDY_MARGIN_M)
    for name, gdf in layers.items():
        if name not in _GEOM_TYPES:
            logger.debug("layer %r is not drawn on the map", name)
            continue
        if not isinstance(gdf, gpd.GeoDataFrame):
            problems.append(Problem(file=source, layer=name, message="not a GeoDataFrame",
                                    fix="pass geopandas GeoDataFrames"))
            continue
        if len(gdf) == 0:
            continue
        if gdf.crs is None:
            problems.append(Problem(file=source, layer=name, message="no coordinate reference system",
                                    fix=f"set the CRS ({WORKING_CRS} for plan layers)"))
            continue
        missing = [c for c in _REQUIRED_COLUMNS.get(name, ()) if c not in gdf.columns]
        if missing:
            problems.append(Problem(file=source, layer=name, message=f"missing column(s) {missing}",
                                    fix="write the plan again with `planner plan`"))
        geom = gdf.geometry
        bad = (geom.isna() | geom.is_empty).to_numpy()
        if bad.any():
            problems.append(Problem(file=source, layer=name, row=_row_ids(gdf, bad),
                                    message="missing or empty geometry", fix="remove or fix these rows"))
            continue
        wrong = ~geom.geom_type.isin(_GEOM_TYPES[name]).to_numpy()
        if wrong.any():
            problems.append(Problem(file=source, layer=name, row=_row_ids(gdf, wrong),
                                    message=f"geometry is not {' or '.join(_GEOM_TYPES[name])}",
                                    fix="check that the right layer was written"))
        b = gdf.to_crs(ref_crs).total_bounds
        if in_poland and not _inside(b, POLAND_BOUNDS_2180):
            problems.append(Problem(
                file=source, layer=name,
                message=f"coordinates {np.round(b).tolist()} (EPSG:2180) lie outside Poland",
                fix="check the CRS and the axis order (easting, northing)",
            ))
        elif study is not None and not _inside(b, study):
            problems.append(Problem(
                file=source, layer=name,
                message=(f"extent {np.round(b).tolist()} ({ref_crs}) lies outside the study area "
                         f"of the address points {np.round(study).tolist()} (+{_STUDY_MARGIN_M / 1000:g} km)"),
                fix="check this layer's CRS and axis order (easting, northing); swapped axes land elsewhere",
            ))
    if "plan_status" in addr.columns:
        unknown = ~addr["plan_status"].isin(PLAN_STATUSES).to_numpy()
        if unknown.any():
            problems.append(Problem(
                file=source, layer="addresses", row=_row_ids(addr, unknown),
                message=f"plan_status not one of {list(PLAN_STATUSES)}",
                fix="write the plan again with `planner plan`",
            ))
    seg = layers.get("segments")
    if seg is not None and len(seg) and "deployment" in seg.columns:
        unknown = ~seg["deployment"].isin(DEPLOYMENT_TYPES).to_numpy()
        if unknown.any():
            problems.append(Problem(
                file=source, layer="segments", row=_row_ids(seg, unknown),
                message=f"deployment not one of {list(DEPLOYMENT_TYPES)}",
                fix="write the plan again with `planner plan`",
            ))
    if problems:
        raise InputDataError(f"cannot draw the map of {source}", problems)


# --- formatting helpers --------------------------------------------------------


def _fmt(x: float, decimals: int, lang: str) -> str:
    """A number for labels: ``12 345,6`` (pl; 4-digit numbers are not grouped) or ``12,345.6`` (en)."""
    if lang == "pl":
        s = f"{x:,.{decimals}f}" if abs(x) >= 10_000 else f"{x:.{decimals}f}"
        return s.replace(",", "\u00a0").replace(".", ",")
    return f"{x:,.{decimals}f}"


def _col(gdf: pd.DataFrame, name: str, default: Any = "") -> pd.Series:
    """Column ``name`` or a constant default; missing strings become ''."""
    if name not in gdf.columns:
        return pd.Series([default] * len(gdf), index=gdf.index)
    s = gdf[name]
    if isinstance(default, str):
        return s.astype(object).where(s.notna(), "").astype(str)
    return s


def _num(gdf: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_col(gdf, name, np.nan), errors="coerce").astype("float64")


def _dates(values: pd.Series, lang: str) -> pd.Series:
    d = pd.to_datetime(values.astype(object).where(values.notna() & (values.astype(str) != ""), None),
                       errors="coerce")
    out = d.dt.strftime("%d.%m.%Y" if lang == "pl" else "%Y-%m-%d")
    return out.astype(object).where(d.notna(), "").astype(str)


def _milestone_labels(name: pd.Series, date: pd.Series, t: dict[str, str]) -> pd.Series:
    """'M1 – do 31.07.2025' where both are known, else whichever is."""
    has_d = date != ""
    joined = t["milestone.due"].replace("{name}", "\x00").replace("{date}", "\x01")
    pre, rest = joined.split("\x00")
    mid, post = rest.split("\x01")
    full = pre + name + mid + date + post
    return full.where(has_d & (name != ""), name.where(name != "", date))


def _truthy(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    return s.astype(str).str.lower().isin(("true", "1", "t", "yes"))


# --- compact layer encoding ----------------------------------------------------


@dataclass(frozen=True)
class _Col:
    """One popup field: label and values; numbers get a unit and are formatted in the browser."""

    label: str
    values: pd.Series
    unit: str | None = None
    decimals: int = 0


def _encode_col(col: _Col, lang: str) -> dict[str, Any]:
    n = len(col.values)
    if col.unit is not None:
        v = pd.to_numeric(col.values, errors="coerce").astype("float64").round(col.decimals)
        if col.decimals == 0:
            vals = v.astype("Int64").astype(object).where(v.notna(), None).tolist()
        else:
            vals = v.astype(object).where(v.notna(), None).tolist()
        return {"label": col.label, "unit": col.unit, "dec": col.decimals, "lang": lang, "v": vals}
    s = col.values.astype(object).where(col.values.notna(), "").astype(str)
    codes, uniques = pd.factorize(s, sort=True)
    if len(uniques) <= max(1, n // 3):
        return {"label": col.label, "dict": [str(u) for u in uniques], "v": codes.tolist()}
    return {"label": col.label, "v": s.tolist()}


def _round_coords(geoms: np.ndarray, precision: int) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, precision))


def _layer_spec(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    cols: list[_Col],
    styles: list[dict[str, Any]],
    precision: int,
    lang: str,
    style_index: np.ndarray | None = None,
    heading: str = "",
    title: int = -1,
    search: bool = False,
    tooltip: int = -1,
) -> dict[str, Any]:
    """Column-oriented JSON-able description of one layer (see ``assets/planner_map.js``)."""
    geo = gdf.geometry.to_crs("EPSG:4326")
    spec: dict[str, Any] = {"kind": kind, "heading": heading, "title": title, "search": search,
                            "tooltip": tooltip, "styles": styles}
    if kind == "point":
        spec["lat"] = np.round(geo.y.to_numpy(), precision).tolist()
        spec["lon"] = np.round(geo.x.to_numpy(), precision).tolist()
    else:
        rounded = _round_coords(geo.to_numpy(), precision)
        spec["geom"] = [json.loads(s)["coordinates"] for s in shapely.to_geojson(rounded)]
    spec["si"] = None if style_index is None else np.asarray(style_index, dtype=int).tolist()
    spec["cols"] = [_encode_col(c, lang) for c in cols]
    return spec


def _dumps(obj: Any) -> str:
    """Compact JSON safe inside a ``<script>`` element ('<' only occurs inside strings)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


class _LayerData(MacroElement):
    """A layer's compact spec as a JSON data block, and the script filling its parent FeatureGroup.

    The data sits in ``<script type="application/json">`` and is read with
    ``JSON.parse``, which browsers parse much faster than a JavaScript literal.
    """

    _template = Template(
        "{% macro html(this, kwargs) %}\n"
        "<script type=\"application/json\" id=\"{{ this.get_name() }}\">{{ this.payload }}</script>\n"
        "{% endmacro %}\n"
        "{% macro script(this, kwargs) %}\n"
        "plannerMap.addLayer({{ this._parent.get_name() }}, "
        "JSON.parse(document.getElementById(\"{{ this.get_name() }}\").textContent));\n"
        "{% endmacro %}"
    )

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self._name = "LayerData"
        self.payload = _dumps(spec)


class _Init(MacroElement):
    """Legend, title box, search, attribution and draw order; added last."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "plannerMap.init({{ this._parent.get_name() }}, "
        "[{% for g in this.draw_order %}{{ g.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}], "
        "{{ this.payload }});\n"
        "{% endmacro %}"
    )

    def __init__(self, draw_order: list[folium.FeatureGroup], cfg: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlannerInit"
        self.draw_order = draw_order
        self.payload = _dumps(cfg)


class _Raw(Element):
    """Literal HTML in the page header (no template processing)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _asset(name: str) -> bytes:
    return resources.files("planner").joinpath("assets", name).read_bytes()


def _inline_css(name: str) -> str:
    """CSS with its ``url(images/...)`` references replaced by data URIs."""
    css = _asset(name).decode("utf-8")
    folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""

    def _data_uri(m: re.Match) -> str:
        data = base64.b64encode(_asset(folder + m.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w\-.]+\.png)\)", _data_uri, css)


def _inline(tag: str, text: str) -> _Raw:
    if f"</{tag}" in text.lower():
        raise ValueError(f"asset cannot be inlined: it contains '</{tag}'")
    return _Raw(f"<{tag}>\n{text}\n</{tag}>")


def _renumber(root: Element) -> None:
    """Replace folium's random element ids with a counter (deterministic HTML)."""
    counter = 0
    stack = [root]
    while stack:
        el = stack.pop(0)
        el._id = f"{counter:04d}"
        counter += 1
        stack[:0] = list(el._children.values())


# --- the map -------------------------------------------------------------------


@dataclass
class _Group:
    key: str
    name: str
    spec: dict[str, Any]
    show: bool = True


def _address_labels(a: gpd.GeoDataFrame) -> pd.Series:
    street = _col(a, "street")
    house = _col(a, "house_number")
    loc = _col(a, "locality")
    with_street = street + " " + house + ", " + loc
    return with_street.where(street != "", loc + " " + house)


def _address_reason(a: gpd.GeoDataFrame, t: dict[str, str], lang: str) -> pd.Series:
    status = _col(a, "plan_status")
    ws = localize_reasons(_col(a, "ws_reason"), lang)
    br = _col(a, "barrier_reason")
    br_text = br.map({"no_building": t["barrier.no_building"], "summer_house": t["barrier.summer_house"]})
    prg = br.str.startswith("status_")
    head, tail = t["barrier.status"].split("{status}")
    br_text = br_text.where(~prg, head + br.str.slice(7) + tail).fillna(br).astype(str)
    ur = _col(a, "unconnected_reason")
    ur_text = ur.map({k.split(".", 1)[1]: v for k, v in t.items() if k.startswith("unconnected.")})
    ur_text = ur_text.fillna(ur).astype(str)
    out = ws.where(status != "barrier", br_text.where(br_text != "", ws))
    return out.where(status != "unconnected", ur_text.where(ur_text != "", ws))


def _long_drop_limit(drops: gpd.GeoDataFrame) -> int:
    """Contract drop length implied by the drops (length - over limit), else the design default."""
    over = _num(drops, "over_limit_m")
    long = over > 0
    if long.any():
        implied = (_num(drops, "length_m") - over)[long]
        if float(implied.max() - implied.min()) <= 1.0:
            return int(round(float(implied.median())))
    return int(DesignConfig().drop_contract_max_m)


def _network_class(seg: gpd.GeoDataFrame) -> pd.Series:
    dep = _col(seg, "deployment")
    owner = _col(seg, "pole_owner")
    owner = owner.where(owner.isin(("commune_lighting", "telecom", "power")), "telecom")
    return dep.where(dep != "aerial", "aerial_" + owner)


@dataclass
class _Ctx:
    """What every layer builder needs: language, coordinate precision, and the summary it fills."""

    lang: str
    precision: int
    summary: dict[str, Any]

    @property
    def t(self) -> dict[str, str]:
        return _TEXT[self.lang]


def _simplified(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in the working CRS, simplified for drawing."""
    g = gdf.to_crs(WORKING_CRS)
    return g.set_geometry(g.geometry.simplify(_SIMPLIFY_M))


def _vocab(t: dict[str, str], prefix: str) -> dict[str, str]:
    """Code -> label of the texts ``<prefix>.<code>``."""
    return {k.split(".", 1)[1]: v for k, v in t.items() if k.startswith(prefix + ".")}


def _address_groups(a: gpd.GeoDataFrame, label: pd.Series, ctx: _Ctx) -> list[_Group]:
    """One point layer per plan status; ``a`` and ``label`` sorted by label."""
    t, lang = ctx.t, ctx.lang
    status = _col(a, "plan_status")
    reason = _address_reason(a, t, lang)
    milestone = _milestone_labels(_col(a, "milestone"), _dates(_col(a, "milestone_date", pd.NaT), lang), t)
    passed = _dates(_col(a, "passed_date", pd.NaT), lang)
    drop_len = _num(a, "drop_length_m")
    fee = _num(a, "drop_fee_pln")
    fee = fee.where(fee > 0)
    business = pd.Series(np.where(_truthy(_col(a, "is_business", False)), t["yes"], ""), index=a.index)
    groups = []
    for st in PLAN_STATUSES:
        mask = (status == st).to_numpy()
        n = int(mask.sum())
        ctx.summary["status"][st] = n
        if n == 0:
            continue
        cols = [
            _Col("", label[mask]),
            _Col(t["col.reason"], reason[mask]),
            _Col(t["col.milestone"], milestone[mask]),
            _Col(t["col.passed"], passed[mask]),
            _Col(t["col.drop"], drop_len[mask], unit=" m"),
            _Col(t["col.fee"], fee[mask], unit=t["unit.pln"]),
            _Col(t["col.business"], business[mask]),
        ]
        spec = _layer_spec(a[mask], "point", cols=cols, styles=[_STATUS_STYLE[st]], precision=ctx.precision,
                           lang=lang, heading=t[f"status.{st}"], title=0, search=True)
        groups.append(_Group(f"status.{st}", f"{t[f'status.{st}']} ({_fmt(n, 0, lang)})", spec))
    return groups


def _pop_groups(pops: gpd.GeoDataFrame, ctx: _Ctx) -> list[_Group]:
    """The POP(s), labelled with their name."""
    t = ctx.t
    name = _col(pops, "name")
    pid = _col(pops, "id")
    name = name.where(name != "", pid.where(pid != "", "POP"))
    cols = [_Col("", name), _Col(t["col.id"], pid)]
    spec = _layer_spec(pops, "point", cols=cols, styles=[_POP_STYLE], precision=ctx.precision, lang=ctx.lang,
                       heading=t["layer.pops"], title=0, tooltip=0)
    return [_Group("pops", t["layer.pops"], spec)]


def _network_groups(seg: gpd.GeoDataFrame, ctx: _Ctx) -> list[_Group]:
    """One line layer per network class (aerial by pole owner, duct, trench), named with its km."""
    t, lang = ctx.t, ctx.lang
    seg = _simplified(seg)
    cls = _network_class(seg)
    length = _num(seg, "length_m")
    length = length.where(length.notna(), seg.geometry.length)
    n_poles = _num(seg, "n_poles")
    crossings = _num(seg, "road_crossings")
    surface = _col(seg, "surface").map(_vocab(t, "surface")).fillna("")
    consent = _col(seg, "consent").map(_vocab(t, "consent")).fillna("")
    groups = []
    for c in _NETWORK_CLASSES:
        mask = (cls == c).to_numpy()
        if not mask.any():
            continue
        km = float(length[mask].sum()) / 1000.0
        ctx.summary["network_km"][c] = km
        cols = [
            _Col(t["col.length"], length[mask], unit=" m"),
            _Col(t["col.poles"], n_poles[mask].where(n_poles[mask] > 0), unit=""),
            _Col(t["col.duct"], _col(seg, "duct_id")[mask]),
            _Col(t["col.surface"], surface[mask]),
            _Col(t["col.crossings"], crossings[mask].where(crossings[mask] > 0), unit=""),
            _Col(t["col.consent"], consent[mask]),
            _Col(t["col.locality"], _col(seg, "locality")[mask]),
        ]
        spec = _layer_spec(seg[mask], "line", cols=cols, styles=[_NETWORK_STYLE[c]], precision=ctx.precision,
                           lang=lang, heading=t[f"net.{c}"])
        groups.append(_Group(f"net.{c}", f"{t[f'net.{c}']} ({_fmt(km, 1, lang)} km)", spec))
    return groups


def _drop_groups(drops: gpd.GeoDataFrame, by_id: pd.Series, ctx: _Ctx) -> list[_Group]:
    """Drops within the contract length, and those beyond it (with their fee); ``by_id``: address labels."""
    t, lang = ctx.t, ctx.lang
    drops = _simplified(drops)
    limit = _long_drop_limit(drops)
    addr = _col(drops, "address_id").map(by_id).fillna(_col(drops, "address_id")).astype(str)
    length = _num(drops, "length_m")
    length = length.where(length.notna(), drops.geometry.length)
    over = _num(drops, "over_limit_m")
    fee = _num(drops, "fee_pln")
    long = ((over > 0) | (fee > 0)).to_numpy()
    ctx.summary.update(drop_limit_m=limit, drops=int((~long).sum()), long_drops=int(long.sum()),
                       long_drop_fees=float(fee[long].sum()))
    groups = []
    for key, mask, style, heading, name in (
        ("drops", ~long, _DROP_STYLE, t["drop"], t["layer.drops"]),
        ("long_drops", long, _LONG_DROP_STYLE, t["drop.long"].format(limit=limit),
         t["layer.long_drops"].format(limit=limit)),
    ):
        if not mask.any():
            continue
        cols = [
            _Col("", addr[mask]),
            _Col(t["col.length"], length[mask], unit=" m"),
            _Col(t["col.over"], over[mask].where(over[mask] > 0), unit=" m"),
            _Col(t["col.fee"], fee[mask].where(fee[mask] > 0), unit=t["unit.pln"]),
        ]
        label_fees = key == "long_drops" and int(mask.sum()) <= _MAX_FEE_LABELS
        spec = _layer_spec(drops[mask], "line", cols=cols, styles=[style], precision=ctx.precision, lang=lang,
                           heading=heading, title=0, tooltip=3 if label_fees else -1)
        groups.append(_Group(key, f"{name} ({_fmt(int(mask.sum()), 0, lang)})", spec))
    return groups


def _pole_groups(poles: gpd.GeoDataFrame, ctx: _Ctx) -> list[_Group]:
    """Poles used, coloured by owner; switched off at start (they are many)."""
    t = ctx.t
    owners = list(_POLE_STYLE)
    owner = _col(poles, "owner")
    owner = owner.where(owner.isin(owners), "telecom")
    cols = [_Col(t["col.id"], _col(poles, "id")), _Col(t["col.owner"], owner.map(_vocab(t, "owner")))]
    spec = _layer_spec(poles, "point", cols=cols, styles=[_POLE_STYLE[o] for o in owners],
                       style_index=owner.map({o: i for i, o in enumerate(owners)}).to_numpy(),
                       precision=ctx.precision, lang=ctx.lang, heading=t["layer.poles"])
    return [_Group("poles", f"{t['layer.poles']} ({_fmt(len(poles), 0, ctx.lang)})", spec, show=False)]


def _duct_groups(ducts: gpd.GeoDataFrame, ctx: _Ctx) -> list[_Group]:
    """Existing technological ducts."""
    t = ctx.t
    ducts = _simplified(ducts)
    cols = [_Col(t["col.id"], _col(ducts, "id")), _Col(t["col.owner"], _col(ducts, "owner")),
            _Col(t["col.free_subducts"], _num(ducts, "free_subducts"), unit="")]
    spec = _layer_spec(ducts, "line", cols=cols, styles=[_DUCT_STYLE], precision=ctx.precision, lang=ctx.lang,
                       heading=t["layer.ducts"])
    return [_Group("ducts", t["layer.ducts"], spec)]


def _milestone_fills(a: gpd.GeoDataFrame, loc: gpd.GeoDataFrame | None, ctx: _Ctx) -> dict[str, str]:
    """Milestone name -> fill colour, in order of deadline; also the legend entries in the summary."""
    names = _col(a, "milestone")
    dates = pd.to_datetime(_col(a, "milestone_date", pd.NaT), errors="coerce")
    if loc is not None and len(loc):
        names = pd.concat([names, _col(loc, "milestone")], ignore_index=True)
        dates = pd.concat([dates, pd.to_datetime(_col(loc, "milestone_date", pd.NaT), errors="coerce")],
                          ignore_index=True)
    ms = (pd.DataFrame({"name": names.to_numpy(), "date": dates.to_numpy()})
          .query("name != ''").groupby("name", sort=True)["date"].min().reset_index()
          .sort_values(["date", "name"], kind="stable"))
    fills = {n: _MILESTONE_FILLS[i % len(_MILESTONE_FILLS)] for i, n in enumerate(ms["name"])}
    labels = _milestone_labels(ms["name"].astype(str), _dates(ms["date"], ctx.lang), ctx.t)
    ctx.summary["milestones"] = [(n, lab, fills[n]) for n, lab in zip(ms["name"], labels)]
    return fills


def _locality_groups(loc: gpd.GeoDataFrame, fills: dict[str, str], ctx: _Ctx) -> list[_Group]:
    """Localities filled by milestone, with their numbers in the popup."""
    t, lang = ctx.t, ctx.lang
    loc = _simplified(loc)
    lms = _col(loc, "milestone")
    styles = [{**_LOCALITY_STYLE, "fillColor": fills.get(n, _NO_MILESTONE_FILL)} for n in ["", *fills]]
    sidx = lms.map({n: i + 1 for i, n in enumerate(fills)}).fillna(0).astype(int).to_numpy()
    ctx.summary["locality_without_milestone"] = bool((sidx == 0).any())
    cols = [
        _Col("", _col(loc, "locality")),
        _Col(t["col.commune"], _col(loc, "commune")),
        _Col(t["col.milestone"], _milestone_labels(lms, _dates(_col(loc, "milestone_date", pd.NaT), lang), t)),
        _Col(t["col.points"], _num(loc, "points"), unit=""),
        _Col(t["col.white"], _num(loc, "white"), unit=""),
        _Col(t["col.targets"], _num(loc, "targets"), unit=""),
        _Col(t["col.barriers"], _num(loc, "barriers"), unit=""),
        _Col(t["col.connected"], _num(loc, "connected"), unit=""),
        _Col(t["col.unconnected"], _num(loc, "unconnected"), unit=""),
        _Col(t["col.pct"], _num(loc, "pct_passed_by_deadline"), unit=" %"),
        _Col(t["col.km_aerial"], _num(loc, "km_aerial"), unit=" km", decimals=2),
        _Col(t["col.km_duct"], _num(loc, "km_duct"), unit=" km", decimals=2),
        _Col(t["col.km_trench"], _num(loc, "km_trench"), unit=" km", decimals=2),
    ]
    spec = _layer_spec(loc, "polygon", cols=cols, styles=styles, style_index=sidx, precision=ctx.precision,
                       lang=lang, heading=t["locality"], title=0)
    return [_Group("localities", t["layer.localities"], spec)]


def _build_groups(
    layers: Mapping[str, gpd.GeoDataFrame], lang: str, precision: int
) -> tuple[list[_Group], dict[str, Any]]:
    """Every map layer as a compact spec, in layer-control order, plus summary numbers."""
    ctx = _Ctx(lang=lang, precision=precision, summary={"status": {}, "network_km": {}, "milestones": []})

    def present(name: str) -> gpd.GeoDataFrame | None:
        gdf = layers.get(name)
        return gdf if gdf is not None and len(gdf) else None

    a = layers["addresses"]
    label = _address_labels(a)
    order = np.argsort(label.to_numpy(dtype=str), kind="stable")
    a, label = a.iloc[order], label.iloc[order]
    groups = _address_groups(a, label, ctx)
    if (pops := present("pops")) is not None:
        groups += _pop_groups(pops, ctx)
    if (seg := present("segments")) is not None:
        groups += _network_groups(seg, ctx)
    if (drops := present("drops")) is not None:
        by_id = pd.Series(label.to_numpy(), index=_col(a, "id").to_numpy())
        groups += _drop_groups(drops, by_id[~by_id.index.duplicated()], ctx)
    if (poles := present("poles_used")) is not None:
        groups += _pole_groups(poles, ctx)
    if (ducts := present("ducts")) is not None:
        groups += _duct_groups(ducts, ctx)
    loc = present("localities")
    fills = _milestone_fills(a, loc, ctx)
    if loc is not None:
        groups += _locality_groups(loc, fills, ctx)
    return groups, ctx.summary


#: Bottom-to-top drawing order of the groups (keys; prefixes match families).
_DRAW_ORDER: tuple[str, ...] = ("localities", "ducts", "net.", "drops", "long_drops", "poles", "status.", "pops")


def _draw_rank(key: str) -> tuple[int, int]:
    for i, prefix in enumerate(_DRAW_ORDER):
        if key == prefix or (prefix.endswith(".") and key.startswith(prefix)):
            sub = PLAN_STATUSES[::-1].index(key[7:]) if prefix == "status." else 0
            return i, sub
    return len(_DRAW_ORDER), 0


def _svg_point(style: dict[str, Any]) -> str:
    r = min(float(style["radius"]), 6.0)
    return (f'<svg width="14" height="14"><circle cx="7" cy="7" r="{r}" fill="{style["fillColor"]}" '
            f'stroke="{style["color"]}" stroke-width="{style["weight"]}"/></svg>')


def _svg_line(style: dict[str, Any]) -> str:
    dash = f' stroke-dasharray="{style["dashArray"]}"' if "dashArray" in style else ""
    return (f'<svg width="28" height="12"><line x1="1" y1="6" x2="27" y2="6" stroke="{style["color"]}" '
            f'stroke-width="{min(float(style["weight"]), 6.0)}" '
            f'stroke-opacity="{style.get("opacity", 1)}"{dash}/></svg>')


def _svg_area(fill: str) -> str:
    return (f'<svg width="18" height="12"><rect x="1" y="1" width="16" height="10" fill="{fill}" '
            f'fill-opacity="0.6" stroke="#555555" stroke-width="1"/></svg>')


def _legend_html(groups: list[_Group], summary: dict[str, Any], lang: str) -> str:
    t = _TEXT[lang]
    keys = {g.key for g in groups}
    esc = html.escape
    parts: list[str] = []

    def row(swatch: str, text: str) -> None:
        parts.append(f"<div>{swatch}{esc(text)}</div>")

    parts.append(f"<h4>{esc(t['legend.addresses'])}</h4>")
    for st in PLAN_STATUSES:
        if f"status.{st}" in keys:
            row(_svg_point(_STATUS_STYLE[st]), f"{t[f'status.{st}']} ({_fmt(summary['status'][st], 0, lang)})")
    net = [c for c in _NETWORK_CLASSES if f"net.{c}" in keys]
    if net:
        parts.append(f"<h4>{esc(t['legend.network'])}</h4>")
        for c in net:
            row(_svg_line(_NETWORK_STYLE[c]), f"{t[f'net.{c}']} ({_fmt(summary['network_km'][c], 1, lang)} km)")
    if "drops" in keys or "long_drops" in keys:
        parts.append(f"<h4>{esc(t['legend.drops'])}</h4>")
        if "drops" in keys:
            row(_svg_line(_DROP_STYLE), t["layer.drops"])
        if "long_drops" in keys:
            fee = _fmt(summary["long_drop_fees"], 0, lang) + t["unit.pln"]
            row(_svg_line(_LONG_DROP_STYLE),
                f"{t['layer.long_drops'].format(limit=summary['drop_limit_m'])}: {summary['long_drops']}, {fee}")
    other = [k for k in ("pops", "poles", "ducts") if k in keys]
    if other:
        parts.append(f"<h4>{esc(t['legend.other'])}</h4>")
        if "pops" in keys:
            row(_svg_point({**_POP_STYLE, "radius": 5}), t["layer.pops"])
        if "poles" in keys:
            row(_svg_point({**_POLE_STYLE["commune_lighting"], "radius": 3}), t["layer.poles"])
        if "ducts" in keys:
            row(_svg_line(_DUCT_STYLE), t["layer.ducts"])
    if "localities" in keys and summary["milestones"]:
        parts.append(f"<h4>{esc(t['legend.milestones'])}</h4>")
        for _, lab, fill in summary["milestones"]:
            row(_svg_area(fill), lab)
        if summary.get("locality_without_milestone"):
            row(_svg_area(_NO_MILESTONE_FILL), t["legend.no_milestone"])
    return "".join(parts)


def _info_html(title: str, summary: dict[str, Any], lang: str, offline: bool) -> str:
    t = _TEXT[lang]
    km = sum(summary["network_km"].values())
    km_under = summary["network_km"].get("duct", 0.0) + summary["network_km"].get("trench", 0.0)
    sub = t["sub"].format(points=_fmt(sum(summary["status"].values()), 0, lang),
                          targets=_fmt(summary["status"].get("connect", 0), 0, lang),
                          km=_fmt(km, 1, lang), km_under=_fmt(km_under, 1, lang))
    note = t["note"] + " " + t["note.offline" if offline else "note.online"]
    return (f"<h1>{html.escape(title)}</h1><div class=\"pm-sub\">{html.escape(sub)}</div>"
            f"<details><summary>{html.escape(t['howto'])}</summary><p>{html.escape(note)}</p></details>")


def _default_title(layers: Mapping[str, gpd.GeoDataFrame], lang: str) -> str:
    loc = layers.get("localities")
    communes: list[str] = []
    if loc is not None and len(loc) and "commune" in loc.columns:
        communes = sorted({c for c in _col(loc, "commune") if c})
    return _TEXT[lang]["title"] + (" – " + ", ".join(communes) if communes else "")


def build_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    lang: str = "pl",
    offline: bool = True,
    title: str | None = None,
    precision: int | None = None,
) -> folium.Map:
    """Build the councillor map of a plan.

    Parameters
    ----------
    layers
        Plan layers by name (see :data:`PLAN_LAYERS`; ``addresses`` is required),
        as returned by :func:`read_plan_layers`.  Any CRS; EPSG:2180 expected.
    lang
        ``'pl'`` (default) or ``'en'``: language of every label.
    offline
        ``True``: no base tiles, so the page makes no network request at all;
        ``False``: OpenStreetMap base tiles.  Leaflet is inlined either way.
    title
        Title shown on the map and in the browser tab; default from the communes.
    precision
        Decimal places of the coordinates (degrees); default
        :attr:`planner.config.MapConfig.coordinate_precision`.

    Returns
    -------
    folium.Map
        The map; ``map.get_root().render()`` gives the HTML (see :func:`write_map`).

    Raises
    ------
    InputDataError
        A layer lacks its CRS or required columns, has empty geometries,
        unknown status values, or lies outside Poland (swapped axes).
    UsageError
        ``lang`` is not supported.
    """
    if lang not in _TEXT:
        raise UsageError(f"unsupported map language {lang!r}",
                         [Problem(file="lang", message=f"got {lang!r}", fix=f"use one of {sorted(_TEXT)}")])
    precision = MapConfig().coordinate_precision if precision is None else int(precision)
    if not 4 <= precision <= 8:
        raise UsageError(f"coordinate precision must be 4..8 decimals, got {precision}",
                         [Problem(file="precision", message=f"got {precision}",
                                  fix="use 6 (about 0.1 m), see MapConfig.coordinate_precision")])
    _check_layers(layers, "<layers>")
    title = title or _default_title(layers, lang)
    groups, summary = _build_groups(layers, lang, precision)

    bounds_src = [layers["addresses"]] + [layers[k] for k in ("localities",) if k in layers and len(layers[k])]
    b = np.array([g.to_crs("EPSG:4326").total_bounds for g in bounds_src])
    south, west, north, east = b[:, 1].min(), b[:, 0].min(), b[:, 3].max(), b[:, 2].max()

    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=13, tiles=None,
                   control_scale=False, prefer_canvas=True)
    m.default_js = []  # jQuery, Bootstrap, awesome-markers: not used; Leaflet is inlined below
    m.default_css = []
    m.options["max_zoom"] = 19
    m.options["zoom_snap"] = 0.5  # finer fit of the study area between the panels
    if not offline:
        folium.TileLayer("OpenStreetMap", control=False, max_zoom=19).add_to(m)
    fig = m.get_root()
    assert isinstance(fig, Figure)
    fig.title = html.escape(title)
    fig.header.add_child(_inline("style", _inline_css("leaflet/leaflet.css")), name="leaflet_css")
    fig.header.add_child(_inline("style", _asset("planner_map.css").decode("utf-8")), name="planner_css")
    fig.header.add_child(_inline("script", _asset("leaflet/leaflet.js").decode("utf-8")), name="leaflet_js")
    fig.header.add_child(_inline("script", _asset("planner_map.js").decode("utf-8")), name="planner_js")

    fgs: dict[str, folium.FeatureGroup] = {}
    for g in groups:
        # show=False: plannerMap.init adds the groups once the view is set (see planner_map.js)
        fg = folium.FeatureGroup(name=g.name, show=False)
        fg.add_child(_LayerData({**g.spec, "show": g.show}))
        m.add_child(fg)
        fgs[g.key] = fg
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    t = _TEXT[lang]
    cfg = {
        "legend": _legend_html(groups, summary, lang),
        "info": _info_html(title, summary, lang, offline),
        "attribution": t["attribution"].format(osm=_OSM_COPYRIGHT),
        "bounds": [[float(south), float(west)], [float(north), float(east)]],
        "search": {"placeholder": t["search"], "none": t["search.none"], "max": 12, "zoom": 18, "lang": lang},
    }
    draw_order = [fgs[k] for k in sorted(fgs, key=_draw_rank)]
    m.add_child(_Init(draw_order, cfg))
    _renumber(fig)
    logger.info("map: %d layers, %d address points", len(groups), len(layers["addresses"]))
    return m


def layer_names(layers: Mapping[str, gpd.GeoDataFrame], *, lang: str = "pl") -> list[str]:
    """Names of the map's layers as listed in its layer control, in order.

    Parameters
    ----------
    layers
        Plan layers as for :func:`build_map`.
    lang
        Label language.
    """
    _check_layers(layers, "<layers>")
    groups, _ = _build_groups(layers, lang, MapConfig().coordinate_precision)
    return [g.name for g in groups]


def write_map(
    layers_or_plan_dir: Mapping[str, gpd.GeoDataFrame] | str | os.PathLike,
    path: str | os.PathLike,
    *,
    lang: str = "pl",
    offline: bool = True,
    title: str | None = None,
    precision: int | None = None,
) -> Path:
    """Write the councillor map as one self-contained HTML file, atomically.

    Parameters
    ----------
    layers_or_plan_dir
        Plan layers (as for :func:`build_map`) or a plan directory holding ``plan.gpkg``.
    path
        Output ``.html`` file; written to a temporary file and renamed, so a
        failure never leaves a partial map.
    lang, offline, title, precision
        As for :func:`build_map`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"map output must be an .html file, got {out}",
                         [Problem(file=str(out), message="not an .html path", fix="use e.g. out/demo/map.html")])
    if isinstance(layers_or_plan_dir, (str, os.PathLike)):
        layers = read_plan_layers(layers_or_plan_dir)
    else:
        layers = layers_or_plan_dir
    m = build_map(layers, lang=lang, offline=offline, title=title, precision=precision)
    text = m.get_root().render()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(text.encode("utf-8"), out)
    logger.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out


# --- headless browser -------------------------------------------------------------


def find_chromium() -> str | None:
    """Path of the Chromium executable (``$PLANNER_CHROMIUM``, ``chromium`` on PATH, /usr/bin/chromium), or None."""
    for cand in (os.environ.get("PLANNER_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def screenshot(
    html_path: str | os.PathLike,
    png_path: str | os.PathLike,
    width: int = 1400,
    height: int = 900,
    *,
    executable_path: str | None = None,
    browser: Any = None,
    timeout_s: float = 60.0,
) -> Path:
    """Render a map HTML in headless Chromium and save a PNG screenshot.

    Parameters
    ----------
    html_path
        Map written by :func:`write_map`.
    png_path
        Output PNG (written atomically).
    width, height
        Viewport size in CSS pixels.
    executable_path
        Chromium binary; default :func:`find_chromium`.
    browser
        An already launched playwright ``Browser`` to use instead of starting
        Chromium (the sync API cannot be nested).
    timeout_s
        Maximum wait for the map to draw.

    Returns
    -------
    pathlib.Path
        ``png_path``.

    Raises
    ------
    InputFileNotFoundError
        Chromium or the Python ``playwright`` package is not available
        (``make browser`` installs Chromium).
    """
    src = Path(html_path).resolve()
    out = Path(png_path)
    if browser is not None:
        png = _screenshot_png(browser, src, width, height, timeout_s)
    else:
        exe = executable_path or find_chromium()
        if exe is None:
            raise InputFileNotFoundError("Chromium not found", [Problem(
                file="chromium", message="no Chromium executable",
                fix="run `make browser` (Debian package chromium)")])
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise InputFileNotFoundError("the playwright package is not installed", [Problem(
                file="playwright", message="cannot import playwright.sync_api",
                fix="install the python package playwright (Debian chromium is used; no `playwright install`)",
            )]) from None
        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path=exe, args=list(CHROMIUM_ARGS))
            try:
                png = _screenshot_png(launched, src, width, height, timeout_s)
            finally:
                launched.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(png, out)
    logger.info("wrote %s", out)
    return out


def _screenshot_png(browser: Any, src: Path, width: int, height: int, timeout_s: float) -> bytes:
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(src.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        page.wait_for_function("window.plannerMapReady === true", timeout=timeout_s * 1000)
        try:
            page.wait_for_load_state("networkidle", timeout=min(timeout_s, 15.0) * 1000)
        except Exception:  # base tiles of an online map still loading: take what is there
            logger.warning("screenshot: network not idle; base tiles may be missing")
        return page.screenshot(full_page=False)
    finally:
        page.close()
