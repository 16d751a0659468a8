"""PRG address points (Państwowy Rejestr Granic, GUGiK) -> the ``addresses`` layer.

Formats read, each detected by its content, never by the file name:

* **GML model 2012** (EMUiA, namespace
  ``urn:gugik:specyfikacje:gmlas:panstwowyRejestrGranicAdresy:1.0``, prefix
  ``prg-ad``): ``PRG_PunktAdresowy`` with ``pozycja`` in EPSG:2180 given as
  ``urn:ogc:def:crs:EPSG::2180`` — **northing easting**, so the pair is flipped.
  The ``komponent`` xlinks are resolved to ``PRG_JednostkaAdministracyjnaNazwa``
  (level 4 = gmina -> TERC), ``PRG_MiejscowoscNazwa`` (SIMC) and
  ``PRG_UlicaNazwa`` (ULIC) where the file holds them.
* **GML model 2021** (namespace ``https://geoportal.gov.pl/schemas/prgad/1.0``,
  prefix ``prgad``): ``AD_PunktAdresowy`` with ``georeferencja`` in EPSG:2180
  **easting northing**; the ``miejscowosc`` and ``ulica*`` xlinks are resolved
  to ``AD_Miejscowosc`` (name, SIMC, ``TERYTGminy`` = TERC) and
  ``AD_UlicaPlac`` (``nazwaPelna``, ULIC).
* **SHP** (per-county packages), two column sets recognised by their columns:
  old ``TERYT, PNA, SIMC_id, SIMC_nazwa, ULIC_id, ULIC_nazwa, Numer`` and new
  ``ID_IIP, NUMER_PORZ, KOD_POCZT, DATA_NAD, NAZWA_ULC, NAZWA_GMI, NAZWA_MSC, …``.

Source and licence of the bundled samples: ``data/SOURCES.md`` ("Źródło: PRG, GUGiK").
The GUGiK conversion table of model 2012 -> 2021 was used for the field mapping.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputDataError, InputFileNotFoundError, Problem
from planner.schema import ADDRESSES, WORKING_CRS
from planner.validation import as_text

__all__ = ["read_prg", "is_prg_table", "prg_table_to_schema", "NS_2012", "NS_2021"]

logger = logging.getLogger(__name__)

#: Namespace of the PRG address model 2012 (EMUiA).
NS_2012 = "urn:gugik:specyfikacje:gmlas:panstwowyRejestrGranicAdresy:1.0"
#: Namespace of the PRG address model 2021.
NS_2021 = "https://geoportal.gov.pl/schemas/prgad/1.0"
_NS_BT = "urn:gugik:specyfikacje:gmlas:modelPodstawowy:1.0"
_NS_MUA = "urn:gugik:specyfikacje:gmlas:ewidencjaMiejscowosciUlicAdresow:1.0"
_NS_XLINK = "http://www.w3.org/1999/xlink"
_HREF = f"{{{_NS_XLINK}}}href"

# SHP column sets (upper-cased for matching).
_SHP_OLD = {"SIMC_ID", "SIMC_NAZWA", "NUMER"}
_SHP_NEW = {"ID_IIP", "NUMER_PORZ"}
# candidate columns per schema column, first present wins (upper-case).
_SHP_MAP_OLD = {
    "id": ("IIP_IDENTY", "IIP_ID", "ID_IIP", "LOKALNYID", "ID"),
    "terc": ("TERYT", "TERC"),
    "simc": ("SIMC_ID",),
    "ulic": ("ULIC_ID",),
    "locality": ("SIMC_NAZWA",),
    "street": ("ULIC_NAZWA",),
    "house_number": ("NUMER",),
    "postcode": ("PNA",),
    "status": ("STATUS",),
}
_SHP_MAP_NEW = {
    "id": ("ID_IIP", "LOKALNYID"),
    # TERYT code columns of the new SHP are not documented in our sources; these
    # names are the ones used by GUGiK's 2021 model attributes (assumption [A]).
    "terc": ("TERYT_GMI", "TERYTGMINY", "TERC", "TERYT"),
    "simc": ("TERYT_MSC", "ID_SIMC", "SIMC", "IDENTYFIKATORSIMC"),
    "ulic": ("TERYT_ULC", "ID_ULIC", "ULIC", "IDENTYFIKATORULIC"),
    "locality": ("NAZWA_MSC",),
    "street": ("NAZWA_ULC",),
    "house_number": ("NUMER_PORZ",),
    "postcode": ("KOD_POCZT",),
    "status": ("STATUS",),
}


def _local(tag: str) -> tuple[str, str]:
    """``'{ns}name'`` -> ``('ns', 'name')``."""
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _text(elem: ET.Element | None) -> str:
    if elem is None or elem.text is None:
        return ""
    return " ".join(elem.text.split())


def _child_text(elem: ET.Element, ns: str, name: str) -> str:
    return _text(elem.find(f"{{{ns}}}{name}"))


def _href_key(href: str | None) -> str:
    """Key of an xlink: the gml:id it points to (``#id`` or ``…/dane/id``)."""
    if not href:
        return ""
    href = href.strip()
    if href.startswith("#"):
        return href[1:]
    return href.rsplit("/", 1)[-1]


def _pos(elem: ET.Element) -> tuple[str, str]:
    """``(pos text, srsName)`` of the first gml:Point under ``elem``."""
    for sub in elem.iter():
        ns, name = _local(sub.tag)
        if name == "Point":
            pos = None
            for p in sub.iter():
                if _local(p.tag)[1] == "pos":
                    pos = p
                    break
            return _text(pos), sub.get("srsName", "")
    return "", ""


def _srs_is_2180(srs: str) -> bool:
    return srs.replace("::", ":").rstrip().endswith(":2180") or srs.strip() in {"EPSG:2180", "2180"}


def _parse_gml(path: Path) -> tuple[pd.DataFrame, list[Problem], str]:
    """Parse a PRG GML file (either model) into a raw table with x/y columns."""
    points: list[dict[str, Any]] = []
    admin: dict[str, tuple[str, str, str]] = {}   # 2012 gmina etc.: id -> (level, teryt, name)
    places: dict[str, tuple[str, str, str]] = {}  # id -> (name, simc, terc)
    streets: dict[str, tuple[str, str]] = {}      # id -> (name, ulic)
    problems: list[Problem] = []
    models: set[str] = set()
    gml_id_attr = "{http://www.opengis.net/gml/3.2}id"
    try:
        for _event, elem in ET.iterparse(path, events=("end",)):
            ns, name = _local(elem.tag)
            if ns == NS_2012:
                if name == "PRG_PunktAdresowy":
                    models.add("2012")
                    pos, srs = _pos(elem)
                    points.append({
                        "model": "2012",
                        "gml_id": elem.get(gml_id_attr, ""),
                        "id": _text(elem.find(f".//{{{_NS_BT}}}lokalnyId")),
                        "locality": _child_text(elem, NS_2012, "miejscowosc"),
                        "street": _child_text(elem, NS_2012, "ulica"),
                        "house_number": _child_text(elem, NS_2012, "numerPorzadkowy"),
                        "postcode": _child_text(elem, NS_2012, "kodPocztowy"),
                        "status": _child_text(elem, NS_2012, "status"),
                        "pos": pos,
                        "srs": srs,
                        "refs": [_href_key(k.get(_HREF)) for k in elem.findall(f"{{{NS_2012}}}komponent")],
                    })
                    elem.clear()
                elif name == "PRG_JednostkaAdministracyjnaNazwa":
                    admin[elem.get(gml_id_attr, "")] = (
                        _child_text(elem, NS_2012, "poziom"), _child_text(elem, NS_2012, "idTERYT"),
                        _child_text(elem, NS_2012, "nazwa"))
                    elem.clear()
                elif name == "PRG_MiejscowoscNazwa":
                    places[elem.get(gml_id_attr, "")] = (
                        _child_text(elem, NS_2012, "nazwa"), _child_text(elem, NS_2012, "idTERYT"), "")
                    elem.clear()
                elif name == "PRG_UlicaNazwa":
                    nazwa = elem.find(f"{{{NS_2012}}}nazwa")
                    sname = _text(nazwa.find(f".//{{{_NS_MUA}}}nazwaGlownaCzesc")) if nazwa is not None else ""
                    prefix = _text(nazwa.find(f".//{{{_NS_MUA}}}przedrostek1Czesc")) if nazwa is not None else ""
                    ulic = _text(nazwa.find(f".//{{{_NS_MUA}}}idTERYT")) if nazwa is not None else ""
                    streets[elem.get(gml_id_attr, "")] = (f"{prefix} {sname}".strip(), ulic)
                    elem.clear()
            elif ns == NS_2021 or ns.rstrip("/").endswith("/prgad/1.0"):
                if name == "AD_PunktAdresowy":
                    models.add("2021")
                    pos, srs = _pos(elem)
                    street_ref = ""
                    for ch in elem:
                        cns, cname = _local(ch.tag)
                        if cname.startswith("ulica") and ch.get(_HREF):
                            street_ref = _href_key(ch.get(_HREF))
                            break
                    mref = elem.find(f"{{{ns}}}miejscowosc")
                    points.append({
                        "model": "2021",
                        "gml_id": elem.get(gml_id_attr, ""),
                        "id": _text(elem.find(f".//{{{ns}}}lokalnyId")),
                        "house_number": _child_text(elem, ns, "numerPorzadkowy"),
                        "postcode": _child_text(elem, ns, "kodPocztowy"),
                        "status": _child_text(elem, ns, "status"),
                        "pos": pos,
                        "srs": srs,
                        "place_ref": _href_key(mref.get(_HREF)) if mref is not None else "",
                        "street_ref": street_ref,
                    })
                    elem.clear()
                elif name == "AD_Miejscowosc":
                    places[elem.get(gml_id_attr, "")] = (
                        _child_text(elem, ns, "nazwa"), _child_text(elem, ns, "identyfikatorSIMC"),
                        _child_text(elem, ns, "TERYTGminy"))
                    elem.clear()
                elif name == "AD_UlicaPlac":
                    streets[elem.get(gml_id_attr, "")] = (
                        _child_text(elem, ns, "nazwaPelna"), _child_text(elem, ns, "identyfikatorULIC"))
                    elem.clear()
    except ET.ParseError as exc:
        raise InputDataError(f"cannot parse {path}", [Problem(
            file=str(path), message=f"not well-formed XML: {exc}",
            fix="check that the file is a complete PRG GML/XML export (not truncated)")]) from None

    if not models:
        raise InputDataError(f"{path} holds no PRG address points", [Problem(
            file=str(path),
            message="no PRG_PunktAdresowy (model 2012) or AD_PunktAdresowy (model 2021) elements found",
            fix=f"give a PRG address file in namespace {NS_2012} or {NS_2021}")])

    rows = []
    for r in points:
        if r["model"] == "2012":
            terc = simc = ulic = ""
            for ref in r["refs"]:
                if ref in admin and admin[ref][0].startswith("4"):
                    terc = admin[ref][1]
                elif ref in places:
                    simc = places[ref][1]
                elif ref in streets:
                    ulic = streets[ref][1]
            rows.append({**r, "terc": terc, "simc": simc, "ulic": ulic})
        else:
            pl = places.get(r["place_ref"], ("", "", ""))
            st = streets.get(r["street_ref"], ("", ""))
            rows.append({**r, "locality": pl[0], "simc": pl[1], "terc": pl[2], "street": st[0], "ulic": st[1]})
    df = pd.DataFrame(rows)
    model = "+".join(sorted(models))
    return df, problems, model


def _positions(df: pd.DataFrame, source: str) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Easting/northing arrays from ``pos`` text, flipping model 2012 (northing easting)."""
    problems: list[Problem] = []
    parts = df["pos"].str.split(expand=True)
    if parts.shape[1] < 2:
        parts = parts.reindex(columns=[0, 1])
    a = pd.to_numeric(parts[0], errors="coerce").to_numpy(float)
    b = pd.to_numeric(parts[1], errors="coerce").to_numpy(float)
    is2012 = (df["model"] == "2012").to_numpy()
    x = np.where(is2012, b, a)
    y = np.where(is2012, a, b)
    bad = ~(np.isfinite(x) & np.isfinite(y))
    for i in np.flatnonzero(bad)[:5]:
        problems.append(Problem(file=source, row=f"{i} (id {df['id'].iloc[i]!r})",
                                message=f"cannot read the position {df['pos'].iloc[i]!r}",
                                fix="give gml:pos as two numbers"))
    if bad.sum() > 5:
        problems.append(Problem(file=source, message=f"{int(bad.sum())} address points have no readable position",
                                fix="give gml:pos as two numbers"))
    srs_bad = ~df["srs"].map(_srs_is_2180).to_numpy(bool) & ~bad
    if srs_bad.any():
        i = int(np.flatnonzero(srs_bad)[0])
        problems.append(Problem(file=source, row=f"{i} (id {df['id'].iloc[i]!r})",
                                message=f"{int(srs_bad.sum())} positions use srsName {df['srs'].iloc[i]!r}, "
                                        "not EPSG:2180",
                                fix="PRG is published in EPSG:2180; reproject the export to EPSG:2180"))
    return x, y, problems


def _text_values(s: pd.Series) -> np.ndarray:
    """Cells as stripped text, ``""`` for missing (DBF codes may come back as numbers)."""
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        if (np.round(v[np.isfinite(v)]) == v[np.isfinite(v)]).all():
            s = s.astype("Int64")
    text: np.ndarray = as_text(s).to_numpy(dtype=object)
    return text


def is_prg_table(columns: list[str] | pd.Index) -> str | None:
    """Which PRG SHP column set a table has: ``"old"``, ``"new"`` or ``None``."""
    up = {str(c).upper() for c in columns}
    if _SHP_NEW <= up:
        return "new"
    if _SHP_OLD <= up:
        return "old"
    return None


def prg_table_to_schema(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Map a PRG SHP table (either column set) onto the addresses schema.

    Parameters
    ----------
    gdf
        Table read from the SHP (attributes + geometry, its own CRS).
    source
        File name, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        Schema columns of :data:`planner.schema.ADDRESSES`; geometry and CRS
        as read.

    Raises
    ------
    InputDataError
        If the columns match neither PRG column set.
    """
    kind = is_prg_table(gdf.columns)
    if kind is None:
        raise InputDataError(f"{source} is not a PRG address table", [Problem(
            file=source, message=f"columns {list(gdf.columns)} match neither PRG SHP column set",
            fix="give PRG columns (old: TERYT, PNA, SIMC_id, SIMC_nazwa, ULIC_id, ULIC_nazwa, Numer; "
                "new: ID_IIP, NUMER_PORZ, KOD_POCZT, NAZWA_ULC, NAZWA_MSC, ...)")])
    mapping = _SHP_MAP_NEW if kind == "new" else _SHP_MAP_OLD
    by_upper = {str(c).upper(): c for c in gdf.columns}
    out = {}
    for col, cands in mapping.items():
        src = next((by_upper[c] for c in cands if c in by_upper), None)
        out[col] = _text_values(gdf[src]) if src is not None else np.full(len(gdf), "", dtype=object)
    if not any(c in by_upper for c in mapping["id"]):
        stem = Path(source).stem
        out["id"] = np.array([f"{stem}:{i}" for i in range(len(gdf))], dtype=object)
        logger.warning("%s: no PRG identifier column; ids are '<file>:<row>'", source)
    if not any(c in by_upper for c in mapping["status"]):
        out["status"] = np.full(len(gdf), "istniejacy", dtype=object)
    missing_codes = [c for c in ("terc", "simc", "ulic") if not any(k in by_upper for k in mapping[c])]
    if missing_codes:
        logger.warning(
            "%s: no %s column(s) in this PRG %s-model SHP (looked for %s); those codes are left empty, "
            "so coverage keyed by TERYT codes will match by street name or nearest point only -> fix: add "
            "the TERYT code columns (or load the PRG GML, which carries them)",
            source, "/".join(c.upper() for c in missing_codes), kind,
            ", ".join(k for c in missing_codes for k in mapping[c]))
    res = gpd.GeoDataFrame(pd.DataFrame(out), geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    res["is_business"] = False
    logger.info("%s: PRG SHP, %s column set, %d address points", source, kind, len(res))
    return res


def read_prg(path: str | Path) -> gpd.GeoDataFrame:
    """Read PRG address points into the ``addresses`` schema.

    Parameters
    ----------
    path
        PRG GML/XML (model 2012 or 2021, detected by namespace) or a PRG SHP
        (either column set, detected by columns; ``.shp`` or ``.zip``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :data:`planner.schema.ADDRESSES` (``is_business`` False;
        ``status`` from the file, ``istniejacy`` where absent), points in
        EPSG:2180 easting-northing.  Not yet validated: pass it through
        :func:`planner.validation.validate_layer` (``load_area`` does).

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    InputDataError
        Not a PRG file, malformed XML, unreadable positions, CRS other than
        EPSG:2180.

    Examples
    --------
    >>> from planner import datasets
    >>> g = read_prg(datasets.get_path("prg2021"))
    >>> sorted(g["house_number"])
    ['1A', '21A', '2A']
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputFileNotFoundError(f"PRG file not found: {path}",
                                     [Problem(file=source, message="no such file", fix="check the path")])
    suffix = path.suffix.lower()
    if suffix in (".shp", ".zip", ".dbf"):
        raw = gpd.read_file(path, engine="pyogrio")
        return prg_table_to_schema(raw, source)

    df, problems, model = _parse_gml(path)
    x, y, pos_problems = _positions(df, source)
    problems += pos_problems
    if problems:
        raise InputDataError(f"{source}: cannot read the PRG address points", problems)
    df.loc[df["status"] == "", "status"] = "istniejacy"
    out = pd.DataFrame({c.name: df[c.name] if c.name in df.columns else c.default for c in ADDRESSES.columns})
    out["is_business"] = False
    gdf = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(x, y), crs=WORKING_CRS)
    logger.info("%s: PRG GML model %s, %d address points", source, model, len(gdf))
    return gdf
