"""Check UKE layers against the template columns, the official XSDs and the code lists.

The XSD check runs in libxml2 (:mod:`lxml`), which validates the ~15,000
features of the demo export in a fraction of a second; ``engine="xmlschema"``
runs the pure-Python validator the planner used before (kept to measure the
two against each other in ``scripts/bench_plan.py``; same schema, same
documents).  The template XSDs import GML 3.2 from schemas.opengis.net, which
is unreachable offline: both engines resolve that import to the local subset
:data:`planner.output.uke.gml.GML32_SUBSET`.
"""

from __future__ import annotations

import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from planner._errors import InputDataError, Problem
from planner.output.uke.gml import GML32_SUBSET, GMLSF_SUBSET, to_gml
from planner.output.uke.templates import UKE_LAYERS, code_lists, template_columns, templates_dir

__all__ = ["validate_uke", "xsd_errors"]

_GML_XSD_URL = "http://schemas.opengis.net/gml/3.2.1/gml.xsd"
_GMLSF_XSD_URL = "http://schemas.opengis.net/gmlsfProfile/2.0/gmlsfLevels.xsd"
#: Offline stand-ins for the schemas the templates import.
_IMPORTS = {_GML_XSD_URL: GML32_SUBSET, _GMLSF_XSD_URL: GMLSF_SUBSET}


def _element_name(xsd_text: str) -> str:
    m = re.search(r'<xs:element name="(z7_[^"]+)" type="ogr:', xsd_text)
    return m.group(1) if m else ""


@lru_cache(maxsize=8)
def _lxml_schema(xsd_path: str) -> tuple[Any, str]:
    from lxml import etree

    class _Offline(etree.Resolver):
        def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
            text = _IMPORTS.get(url)
            return None if text is None else self.resolve_string(text, context)

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Offline())
    text = Path(xsd_path).read_bytes()
    doc = etree.fromstring(text, parser, base_url=xsd_path)
    return etree.XMLSchema(doc), _element_name(text.decode("utf-8"))


@lru_cache(maxsize=8)
def _xmlschema_schema(xsd_path: str) -> tuple[Any, str]:
    import xmlschema

    text = Path(xsd_path).read_text(encoding="utf-8")
    tmp = Path(tempfile.mkdtemp(prefix="planner_uke_xsd_"))
    (tmp / "gml.xsd").write_text(GML32_SUBSET, encoding="utf-8")
    (tmp / "gmlsfLevels.xsd").write_text(GMLSF_SUBSET, encoding="utf-8")
    text = text.replace(_GML_XSD_URL, "gml.xsd").replace(_GMLSF_XSD_URL, "gmlsfLevels.xsd")
    (tmp / "layer.xsd").write_text(text, encoding="utf-8")
    return xmlschema.XMLSchema(str(tmp / "layer.xsd")), _element_name(text)


def xsd_errors(gdf: gpd.GeoDataFrame, xsd_path: str | Path, columns: list[str],
               engine: Literal["lxml", "xmlschema"] = "lxml") -> list[str]:
    """Messages of every XSD violation of the layer's rows written as GML (empty list: valid).

    Parameters
    ----------
    gdf
        One UKE layer (template columns, EPSG:4326 geometry).
    xsd_path
        The layer's template XSD.
    columns
        The template columns, in order.
    engine
        ``"lxml"`` (libxml2) or ``"xmlschema"`` (pure Python, slow).
    """
    if engine == "lxml":
        from lxml import etree

        schema, element = _lxml_schema(str(xsd_path))
        doc = etree.fromstring(to_gml(gdf, element, columns).encode("utf-8"),
                               etree.XMLParser(no_network=True, huge_tree=True))
        if schema.validate(doc):
            return []
        return [f"line {e.line}: {e.message}" for e in schema.error_log]
    if engine == "xmlschema":
        xschema, element = _xmlschema_schema(str(xsd_path))
        return [str(e.reason) for e in xschema.iter_errors(to_gml(gdf, element, columns))]
    raise ValueError(f"unknown XSD engine {engine!r}; use 'lxml' or 'xmlschema'")


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


def validate_uke(tables: dict[str, gpd.GeoDataFrame], *, uke_dir: str | Path | None = None,
                 engine: Literal["lxml", "xmlschema"] = "lxml") -> None:
    """Check UKE layers against the template columns, the XSD and the code lists.

    Parameters
    ----------
    tables
        ``'lk'``, ``'pe'``, ``'ua'`` -> layer (:func:`planner.output.uke.uke_tables`).
    uke_dir
        Directory of the templates (default ``data/uke``).
    engine
        XSD validator (see :func:`xsd_errors`).

    Raises
    ------
    InputDataError
        With one :class:`~planner._errors.Problem` per failing check (first
        failing row named).
    """
    problems: list[Problem] = []
    lists = code_lists(uke_dir)
    base = templates_dir(uke_dir)
    for key, gdf in tables.items():
        stem = UKE_LAYERS[key]
        cols = template_columns(key, uke_dir)
        if list(gdf.columns.drop("geometry")) != cols:
            problems.append(Problem(file=stem, message="columns differ from the template",
                                    fix="report a bug: the export must use the template columns"))
            continue
        errors = xsd_errors(gdf, base / "zestaw7_xsd" / f"{stem}.xsd", cols, engine)
        if errors:
            problems.append(Problem(file=stem, message=f"{len(errors)} XSD error(s), first: {errors[0]}",
                                    fix="report a bug in planner.output.uke"))
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
