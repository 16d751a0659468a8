"""QGIS layer styles stored inside a plan GeoPackage.

QGIS keeps the styles of GeoPackage layers in a ``layer_styles`` table
(registered in ``gpkg_contents`` as an ``attributes`` table) and applies the
row with ``useAsDefault = 1`` when the layer is opened.  This module writes
such rows for the layers of ``plan.gpkg`` so that an engineer who opens the
file in QGIS sees the same colours as the councillor map
(:mod:`planner.maps`): address points by plan status, segments by deployment
type and pole owner, long drops highlighted, localities by milestone, the POP,
poles used by owner and the reused ducts.

The styles are QGIS QML documents (``renderer-v2`` of type
``categorizedSymbol`` or ``singleSymbol``).  The table layout is the one QGIS
creates itself (``QgsOgrProviderUtils`` / the QGIS GeoPackage style extension,
https://github.com/pka/qgpkg/blob/master/qgis_geopackage_extension.md).
Everything is deterministic: rows in a fixed order, a fixed ``update_time``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from planner import styles as colours
from planner.network.styles import NETWORK_STYLES

__all__ = ["LayerStyle", "plan_styles", "style_qml", "write_layer_styles", "STATUS_COLOURS"]

logger = logging.getLogger(__name__)

#: Fixed ``update_time`` of every style row (byte-reproducible files).
UPDATE_TIME = "2024-01-01T00:00:00.000Z"

#: DDL of the table as QGIS creates it in a GeoPackage.
_LAYER_STYLES_DDL = (
    'CREATE TABLE "layer_styles" ('
    '"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    '"update_time" DATETIME DEFAULT (strftime(\'%Y-%m-%dT%H:%M:%fZ\',\'now\')))'
)

#: Address plan status -> (fill, outline, size mm, Polish label (English)); colours from :mod:`planner.styles`.
STATUS_COLOURS: dict[str, tuple[str, str, float, str]] = {
    status: (colours.STATUS_COLOURS[status].fill, colours.STATUS_COLOURS[status].outline, size, label)
    for status, size, label in (
        ("connect", 2.6, "biała plama do podłączenia (white spot to connect)"),
        ("connected", 2.4, "podłączony (connected)"),
        ("unconnected", 2.6, "niepodłączony (unconnected)"),
        ("barrier", 2.4, "bariera inwestycyjna (barrier)"),
        ("grey", 2.0, "szara plama (grey)"),
        ("black", 2.0, "czarna plama (black)"),
    )
}
#: (deployment, pole owner) -> (colour, width mm, dashed, label).
SEGMENT_COLOURS: dict[tuple[str, str], tuple[str, float, bool, str]] = {
    ("aerial", "commune_lighting"): (colours.NETWORK_COLOURS["aerial_commune_lighting"], 0.8, True,
                                     "napowietrzna – słupy oświetleniowe gminy (aerial, lighting)"),
    ("aerial", "telecom"): (colours.NETWORK_COLOURS["aerial_telecom"], 0.8, True,
                            "napowietrzna – słupy telekomunikacyjne (aerial, telecom)"),
    ("aerial", "power"): (colours.NETWORK_COLOURS["aerial_power"], 0.8, True,
                          "napowietrzna – słupy energetyczne (aerial, power)"),
    ("duct", ""): (colours.NETWORK_COLOURS["duct"], 0.9, False, "kanał technologiczny (duct reuse)"),
    ("trench", ""): (colours.NETWORK_COLOURS["trench"], 0.9, False, "wykop (trench)"),
}
POLE_COLOURS: dict[str, tuple[str, str]] = {
    "commune_lighting": (colours.POLE_COLOURS["commune_lighting"], "słup oświetleniowy gminy (commune lighting)"),
    "telecom": (colours.POLE_COLOURS["telecom"], "słup telekomunikacyjny (telecom)"),
    "power": (colours.POLE_COLOURS["power"], "słup energetyczny (power)"),
}
MILESTONE_FILLS = colours.MILESTONE_FILLS
NO_MILESTONE_FILL = colours.NO_MILESTONE_FILL


@dataclass(frozen=True)
class LayerStyle:
    """One row of ``layer_styles``."""

    table: str
    geometry_column: str
    name: str
    qml: str
    description: str


# ---------------------------------------------------------------------------
# QML building blocks
# ---------------------------------------------------------------------------


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _prop(k: str, v: str) -> str:
    return f'<prop k={quoteattr(k)} v={quoteattr(v)}/>'


def _marker_symbol(idx: str, fill: str, outline: str, size: float, shape: str = "circle") -> str:
    props = "".join(_prop(k, v) for k, v in (
        ("color", _rgba(fill)), ("name", shape), ("outline_color", _rgba(outline)),
        ("outline_style", "solid"), ("outline_width", "0.3"), ("outline_width_unit", "MM"),
        ("size", f"{size:g}"), ("size_unit", "MM"),
    ))
    return (f'<symbol type="marker" name={quoteattr(idx)} alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleMarker" locked="0" enabled="1" pass="0">{props}</layer></symbol>')


def _line_symbol(idx: str, colour: str, width: float, dashed: bool = False) -> str:
    items = [("line_color", _rgba(colour)), ("line_style", "dash" if dashed else "solid"),
             ("line_width", f"{width:g}"), ("line_width_unit", "MM"), ("capstyle", "round"),
             ("joinstyle", "round")]
    if dashed:
        items += [("use_custom_dash", "1"), ("customdash", "3;1.5"), ("customdash_unit", "MM")]
    props = "".join(_prop(k, v) for k, v in items)
    return (f'<symbol type="line" name={quoteattr(idx)} alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleLine" locked="0" enabled="1" pass="0">{props}</layer></symbol>')


def _fill_symbol(idx: str, fill: str, outline: str, alpha: int = 90) -> str:
    props = "".join(_prop(k, v) for k, v in (
        ("color", _rgba(fill, alpha)), ("outline_color", _rgba(outline)), ("outline_style", "solid"),
        ("outline_width", "0.3"), ("outline_width_unit", "MM"), ("style", "solid"),
    ))
    return (f'<symbol type="fill" name={quoteattr(idx)} alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleFill" locked="0" enabled="1" pass="0">{props}</layer></symbol>')


def _qml(renderer: str, layer_geometry: str, labels_field: str | None = None) -> str:
    """Wrap a renderer in a QML document (``layerGeometryType``: 0 point, 1 line, 2 polygon)."""
    geom_code = {"point": "0", "line": "1", "polygon": "2"}[layer_geometry]
    labeling = ""
    if labels_field:
        labeling = (
            '<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(labels_field)} fontSize="9" fontSizeUnit="Point" '
            'textColor="0,0,0,255" isExpression="0"><text-buffer bufferDraw="1" bufferSize="0.8" '
            'bufferColor="255,255,255,255" bufferSizeUnits="MM"/></text-style>'
            '<placement placement="0" dist="0"/><rendering obstacle="1"/></settings></labeling>'
        )
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.34.0-Prizren" styleCategories="Symbology|Labeling">'
        f"{renderer}{labeling}"
        f"<layerGeometryType>{geom_code}</layerGeometryType></qgis>\n"
    )


def _categorized(attr: str, categories: list[tuple[str, str, str]], layer_geometry: str,
                 labels_field: str | None = None) -> str:
    """QML of a ``categorizedSymbol`` renderer.

    ``categories``: (value, label, symbol XML with ``name`` = its index).
    """
    cats = "".join(
        f'<category symbol="{i}" value={quoteattr(v)} label={quoteattr(lab)} render="true"/>'
        for i, (v, lab, _) in enumerate(categories)
    )
    syms = "".join(s for _, _, s in categories)
    renderer = (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
        f'enableorderby="0" forceraster="0"><categories>{cats}</categories>'
        f"<symbols>{syms}</symbols></renderer-v2>"
    )
    return _qml(renderer, layer_geometry, labels_field)


def _single(symbol: str, layer_geometry: str, labels_field: str | None = None) -> str:
    renderer = (f'<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
                f"<symbols>{symbol}</symbols></renderer-v2>")
    return _qml(renderer, layer_geometry, labels_field)


# ---------------------------------------------------------------------------
# styles of the plan layers
# ---------------------------------------------------------------------------


def style_qml(layer: str, *, milestones: tuple[str, ...] = ()) -> str | None:
    """QML style of one plan layer, or ``None`` for a layer without a style.

    Parameters
    ----------
    layer
        Layer name in ``plan.gpkg`` (``addresses``, ``segments``, ``drops``,
        ``localities``, ``pops``, ``poles_used``, ``ducts``).
    milestones
        Milestone names in deadline order (categories of the localities layer).

    Returns
    -------
    str or None
    """
    if layer == "addresses":
        cats = [(v, lab, _marker_symbol(str(i), fill, line, size))
                for i, (v, (fill, line, size, lab)) in enumerate(STATUS_COLOURS.items())]
        return _categorized("plan_status", cats, "point")
    if layer == "segments":
        cats = []
        for i, ((dep, owner), (col, width, dashed, lab)) in enumerate(SEGMENT_COLOURS.items()):
            value = f"{dep}_{owner}" if owner else dep
            cats.append((value, lab, _line_symbol(str(i), col, width, dashed)))
        attr = "CASE WHEN \"deployment\" = 'aerial' THEN 'aerial_' || \"pole_owner\" ELSE \"deployment\" END"
        return _categorized(attr, cats, "line")
    if layer == "drops":
        cats = [
            ("0", "przyłącze (drop)", _line_symbol("0", "#555555", 0.3)),
            ("1", "przyłącze > limit umowny, opłata (long drop, distance fee)",
             _line_symbol("1", "#d62728", 0.9, True)),
        ]
        return _categorized("CASE WHEN \"over_limit_m\" > 0 THEN '1' ELSE '0' END", cats, "line")
    if layer == "localities":
        cats = [(m, f"kamień milowy {m} (milestone)", _fill_symbol(str(i), MILESTONE_FILLS[i % len(MILESTONE_FILLS)],
                                                                    "#555555"))
                for i, m in enumerate(milestones)]
        cats.append(("", "bez kamienia milowego (no milestone)", _fill_symbol(str(len(cats)), NO_MILESTONE_FILL,
                                                                                "#555555")))
        return _categorized("milestone", cats, "polygon", labels_field="locality")
    if layer == "pops":
        return _single(_marker_symbol("0", "#000000", "#ffffff", 4.5, "square"), "point", labels_field="name")
    if layer == "poles_used":
        cats = [(o, lab, _marker_symbol(str(i), col, "#000000", 1.6, "diamond"))
                for i, (o, (col, lab)) in enumerate(POLE_COLOURS.items())]
        return _categorized("owner", cats, "point")
    if layer == "ducts":
        return _single(_line_symbol("0", "#66c2a5", 2.0), "line")
    if layer in NETWORK_STYLES:  # the layers of the optical network
        kind, attr, geom, labels, spec = NETWORK_STYLES[layer]
        symbols: dict[str, Callable[..., str]] = {"marker": _marker_symbol, "line": _line_symbol,
                                                  "fill": _fill_symbol}
        sym = symbols[kind]
        return _categorized(attr, [(v, lab, sym(str(i), *a)) for i, (v, lab, a) in enumerate(spec)], geom, labels)
    return None


def plan_styles(layer_names: list[str] | tuple[str, ...], *, milestones: tuple[str, ...] = (),
                geometry_column: str = "geom") -> list[LayerStyle]:
    """Styles for the given layers of a plan GeoPackage, in the given order."""
    out = []
    for name in layer_names:
        qml = style_qml(name, milestones=milestones)
        if qml is not None:
            out.append(LayerStyle(table=name, geometry_column=geometry_column, name=f"planner_{name}",
                                  qml=qml, description=f"planner default style of {name}"))
    return out


def write_layer_styles(path: str | Path, styles: list[LayerStyle]) -> int:
    """Store ``styles`` as the default QGIS styles of the layers of a GeoPackage.

    Creates the ``layer_styles`` table (replacing an earlier one) and registers
    it in ``gpkg_contents`` as an ``attributes`` table.  Styles of tables that
    are not in the GeoPackage are skipped.

    Parameters
    ----------
    path
        An existing GeoPackage (modified in place).
    styles
        Styles to store.

    Returns
    -------
    int
        Number of style rows written.
    """
    con = sqlite3.connect(str(path))
    try:
        with con:
            present = {r[0]: r[1] for r in con.execute(
                "SELECT c.table_name, g.column_name FROM gpkg_contents c "
                "LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name")}
            con.execute('DROP TABLE IF EXISTS "layer_styles"')
            con.execute("DELETE FROM gpkg_contents WHERE table_name = 'layer_styles'")
            con.execute(_LAYER_STYLES_DDL)
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
                "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)", (UPDATE_TIME,))
            n = 0
            for s in styles:
                if s.table not in present:
                    continue
                con.execute(
                    'INSERT INTO "layer_styles" (f_table_catalog, f_table_schema, f_table_name, '
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, "
                    "update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, ?)",
                    (s.table, present[s.table] or s.geometry_column, s.name, s.qml, s.description, UPDATE_TIME),
                )
                n += 1
    finally:
        con.close()
    logger.debug("wrote %d QGIS layer styles into %s", n, path)
    return n
