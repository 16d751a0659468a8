"""Check UKE layers against the template columns, the official XSDs and the code lists.

The XSD check runs in libxml2 (:mod:`lxml`) on every feature of every layer:
the layer's text (:class:`~planner.output.uke.text.LayerText`, the same text
the CSV and GeoJSON are written from) is turned into GML documents of
:data:`~planner.output.uke.gml.ROWS_PER_DOCUMENT` features, and each is parsed
and validated against the layer's compiled schema (compiled once per process,
on first use).  ``engine="xmlschema"`` runs the pure-Python validator the
planner used before (kept to measure the two against each other in
``scripts/bench_plan.py``; same schema, same documents).  The template XSDs
import GML 3.2 from schemas.opengis.net, which is unreachable offline: both
engines resolve that import to the local subset
:data:`planner.output.uke.gml.GML32_SUBSET`.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Container
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputDataError, Problem
from planner.output.uke.gml import GML32_SUBSET, GMLSF_SUBSET, gml_documents
from planner.output.uke.templates import UKE_LAYERS, code_lists, template_columns, templates_dir
from planner.output.uke.text import LayerText, layer_text

__all__ = ["document_errors", "layer_errors", "validate_layers", "validate_uke", "xsd_errors"]

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


def _xsd_element(xsd_path: str | Path, engine: str) -> str:
    if engine == "lxml":
        return _lxml_schema(str(xsd_path))[1]
    if engine == "xmlschema":
        return _xmlschema_schema(str(xsd_path))[1]
    raise ValueError(f"unknown XSD engine {engine!r}; use 'lxml' or 'xmlschema'")


#: The feature an error is in, from its XPath (``.../ogr:featureMember[12]/...``; no index: the only one).
_FEATURE_MEMBER = re.compile(r"/ogr:featureMember(?:\[(\d+)\])?")


def _lxml_message(e: Any, first_row: int) -> tuple[int | None, str]:
    """The row (1-based) of a libxml2 error, where its path names a feature, and its message."""
    m = _FEATURE_MEMBER.search(e.path or "")
    if m is None:
        return None, f"line {e.line}: {e.message}"
    row = first_row + int(m.group(1) or 1)
    return row, f"row {row}: {e.message}"


def _syntax_error_row(doc: str, position: tuple[int, int], first_row: int) -> int | None:
    """The row (1-based) of the feature a libxml2 syntax error is in (``position``: line, column in characters)."""
    line, column = position
    offset = sum(len(text) + 1 for text in doc.split("\n")[:line - 1]) + column - 1
    k = doc[:offset].count("<ogr:featureMember>")
    return first_row + k if k else None


def document_errors(doc: str, xsd_path: str | Path, engine: Literal["lxml", "xmlschema"] = "lxml",
                    first_row: int = 0) -> list[tuple[int | None, str]]:
    """Every XSD violation of one GML document of a layer (empty list: valid).

    Parameters
    ----------
    doc
        The document (:func:`planner.output.uke.gml.gml_text`, :func:`~planner.output.uke.gml.gml_documents`).
    xsd_path
        The layer's template XSD.
    engine
        ``"lxml"`` (libxml2: parses the document, then validates the whole tree) or ``"xmlschema"``
        (pure Python, slow).
    first_row
        Rows of the layer before the document's first feature (added to the rows reported).

    Returns
    -------
    list of (int or None, str)
        The row (1-based) each violation is in, where libxml2 names the feature, and the message.  A
        document that is not well-formed XML gives one message.
    """
    if engine == "lxml":
        from lxml import etree

        schema, _ = _lxml_schema(str(xsd_path))
        try:
            tree = etree.fromstring(doc.encode("utf-8"), etree.XMLParser(no_network=True, huge_tree=True))
        except etree.XMLSyntaxError as exc:
            row = _syntax_error_row(doc, exc.position, first_row)
            return [(row, f"row {row}: not well-formed XML: {exc}" if row else f"not well-formed XML: {exc}")]
        if schema.validate(tree):
            return []
        return [_lxml_message(e, first_row) for e in schema.error_log]
    if engine == "xmlschema":
        xschema, _ = _xmlschema_schema(str(xsd_path))
        return [(None, str(e.reason)) for e in xschema.iter_errors(doc)]
    raise ValueError(f"unknown XSD engine {engine!r}; use 'lxml' or 'xmlschema'")


def layer_errors(lt: LayerText, xsd_path: str | Path,
                 engine: Literal["lxml", "xmlschema"] = "lxml") -> list[tuple[int | None, str]]:
    """Every XSD violation of a layer's features (empty list: valid).

    Every feature is validated: the layer is written as GML in documents of
    :data:`~planner.output.uke.gml.ROWS_PER_DOCUMENT` features (:func:`~planner.output.uke.gml.gml_documents`,
    feature and geometry ids unique across the layer), each validated by :func:`document_errors`.

    Parameters
    ----------
    lt
        The layer as text (:func:`planner.output.uke.text.layer_text`).
    xsd_path
        The layer's template XSD.
    engine
        ``"lxml"`` (libxml2) or ``"xmlschema"`` (pure Python, slow).

    Returns
    -------
    list of (int or None, str)
        See :func:`document_errors`.
    """
    element = _xsd_element(xsd_path, engine)
    errors: list[tuple[int | None, str]] = []
    for first, doc in gml_documents(lt, element):
        errors += document_errors(doc, xsd_path, engine, first_row=first)
    return errors


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
    return [m for _, m in layer_errors(layer_text(gdf, columns), xsd_path, engine)]


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


def _bad_rows(values: np.ndarray, allowed: Container[str], empty_ok: bool) -> np.ndarray:
    """Rows whose text is not in ``allowed`` (nor ``""`` when ``empty_ok``), checked once per distinct value."""
    codes, uniques = pd.factorize(values)
    bad = np.array([not (u in allowed or (empty_ok and u == "")) for u in uniques] + [True], dtype=bool)
    out: np.ndarray = bad[codes]
    return out


def _layer_problems(key: str, lt: LayerText, lists: dict[str, tuple[str, ...]], uke_dir: str | Path | None,
                    engine: Literal["lxml", "xmlschema"]) -> list[Problem]:
    stem = UKE_LAYERS[key]
    if lt.columns != template_columns(key, uke_dir):
        return [Problem(file=stem, message="columns differ from the template",
                        fix="report a bug: the export must use the template columns")]
    problems: list[Problem] = []
    errors = layer_errors(lt, templates_dir(uke_dir) / "zestaw7_xsd" / f"{stem}.xsd", engine)
    if errors:
        problems.append(Problem(file=stem, row=errors[0][0],
                                message=f"{len(errors)} XSD error(s), first: {errors[0][1]}",
                                fix="report a bug in planner.output.uke"))
    for col, heading in _CODED.items():
        if col in lt.values:
            bad = _bad_rows(lt.values[col], frozenset(lists[heading]), empty_ok=True)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                problems.append(Problem(file=stem, row=i + 1, message=f"{col}={lt.values[col][i]!r} is not in "
                                        f"the UKE code list {heading!r}", fix="use a code-list value"))
    for col in _YES_NO:
        if col in lt.values and _bad_rows(lt.values[col], ("Tak", "Nie"), empty_ok=False).any():
            problems.append(Problem(file=stem, message=f"{col} must be Tak/Nie", fix="use Tak or Nie"))
    if len(lt.xy):
        x, y = lt.xy[:, 0], lt.xy[:, 1]
        inside = (x >= _PL_LONLAT[0]) & (x <= _PL_LONLAT[2]) & (y >= _PL_LONLAT[1]) & (y <= _PL_LONLAT[3])
        if not inside.all():
            problems.append(Problem(file=stem, message="coordinates outside Poland (lon/lat swapped or wrong CRS)",
                                    fix="give the plan layers in their true CRS"))
    return problems


def validate_layers(texts: dict[str, LayerText], *, uke_dir: str | Path | None = None,
                    engine: Literal["lxml", "xmlschema"] = "lxml") -> None:
    """Check UKE layers, as the text that is written, against the templates, the XSDs and the code lists.

    Every feature of every layer is written as GML (:func:`planner.output.uke.gml.gml_text`) and
    validated against the layer's template XSD; every coded column is checked against its code list
    (an empty value is allowed), the yes/no columns hold "Tak" or "Nie", and the coordinates lie in Poland.

    Parameters
    ----------
    texts
        ``'lk'``, ``'pe'``, ``'ua'`` -> the layer as text (:func:`planner.output.uke.text.layer_text`).
    uke_dir
        Directory of the templates (default ``data/uke``).
    engine
        XSD validator (see :func:`document_errors`).

    Raises
    ------
    InputDataError
        With one :class:`~planner._errors.Problem` per failing check (first
        failing row named, 1-based).
    """
    lists = code_lists(uke_dir)
    problems = [pr for key, lt in texts.items() for pr in _layer_problems(key, lt, lists, uke_dir, engine)]
    if problems:
        raise InputDataError("UKE export does not validate", problems)


def validate_uke(tables: dict[str, gpd.GeoDataFrame], *, uke_dir: str | Path | None = None,
                 engine: Literal["lxml", "xmlschema"] = "lxml") -> None:
    """Check UKE layers against the template columns, the XSD and the code lists.

    The layers are turned into the text the export writes (a missing value is empty) and checked by
    :func:`validate_layers`.

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
    validate_layers({key: layer_text(gdf, list(gdf.columns.drop("geometry"))) for key, gdf in tables.items()},
                    uke_dir=uke_dir, engine=engine)
