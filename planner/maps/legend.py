"""Legend and title box of the councillor map.

The legend (bottom left) lists every class drawn, with its swatch and its count
or km; the title box (top) gives the title, one line of key figures and a
"how to read this map" note.  Both are HTML strings handed to the runtime.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from planner import styles
from planner.maps.areas import LOCALITY_STYLE, VILLAGE_STYLE
from planner.maps.base_layer import ROAD_STYLE
from planner.maps.columns import col, fmt
from planner.maps.encoding import Group
from planner.maps.optical import (
    CABINET_AREA_STYLE,
    CABINET_STYLE,
    CLOSURE_STYLE,
    OLT_STYLE,
    cable_style,
    fibres_label,
)
from planner.maps.optical_budget import OVER_BUDGET_STYLE
from planner.maps.plan_layers import (
    BUILT_STYLE,
    DROP_STYLE,
    DUCT_STYLE,
    LONG_DROP_STYLE,
    NETWORK_CLASSES,
    NETWORK_STYLE,
    POLE_STYLE,
    POP_STYLE,
    STATUS_STYLE,
)
from planner.maps.texts import TEXT
from planner.schema import PLAN_STATUSES, VILLAGE_STATES

__all__ = ["default_title", "info_html", "legend_html", "svg_area", "svg_line", "svg_point", "svg_square"]


def svg_point(style: Mapping[str, Any]) -> str:
    """Legend swatch of a point style (Leaflet circle-marker options).

    Parameters
    ----------
    style
        ``radius``, ``color``, ``weight``, ``fillColor``.

    Returns
    -------
    str
        An inline SVG.
    """
    r = min(float(style["radius"]), 6.0)
    return (f'<svg width="14" height="14"><circle cx="7" cy="7" r="{r}" fill="{style["fillColor"]}" '
            f'stroke="{style["color"]}" stroke-width="{style["weight"]}"/></svg>')


def svg_square(style: Mapping[str, Any]) -> str:
    """Legend swatch of a square point style (``shape: 'square'``) or of a ring (``fill: False``).

    Parameters
    ----------
    style
        ``radius``, ``color``, ``weight``; ``fillColor`` and ``fillOpacity``
        (or ``fill: False``), optional ``dashArray``; the ``shape`` key
        chooses a square, else a circle.

    Returns
    -------
    str
        An inline SVG.
    """
    r = min(float(style["radius"]), 6.0)
    fill = "none" if style.get("fill") is False else style["fillColor"]
    opacity = 0.0 if style.get("fill") is False else style.get("fillOpacity", 1.0)
    dash = f' stroke-dasharray="{style["dashArray"]}"' if "dashArray" in style else ""
    paint = (f'fill="{fill}" fill-opacity="{opacity}" stroke="{style["color"]}" '
             f'stroke-width="{min(float(style["weight"]), 2.5)}"{dash}')
    shape = (f'<rect x="{8 - r}" y="{8 - r}" width="{2 * r}" height="{2 * r}" {paint}/>'
             if style.get("shape") == "square" else f'<circle cx="8" cy="8" r="{r}" {paint}/>')
    return f'<svg width="16" height="16">{shape}</svg>'


def svg_line(style: Mapping[str, Any]) -> str:
    """Legend swatch of a line style (Leaflet path options).

    Parameters
    ----------
    style
        ``color``, ``weight``, optional ``opacity`` and ``dashArray``.

    Returns
    -------
    str
        An inline SVG.
    """
    dash = f' stroke-dasharray="{style["dashArray"]}"' if "dashArray" in style else ""
    return (f'<svg width="28" height="12"><line x1="1" y1="6" x2="27" y2="6" stroke="{style["color"]}" '
            f'stroke-width="{min(float(style["weight"]), 6.0)}" '
            f'stroke-opacity="{style.get("opacity", 1)}"{dash}/></svg>')


def svg_area(fill: str, outline: str = styles.LOCALITY_OUTLINE, hatch: bool = False) -> str:
    """Legend swatch of an area fill.

    Parameters
    ----------
    fill
        Fill colour.
    outline
        Outline colour.
    hatch
        Draw diagonal hatching over the fill (failed communes).

    Returns
    -------
    str
        An inline SVG.
    """
    lines = ('<path d="M1 9 L9 1 M5 11 L15 1 M11 11 L17 5" stroke="#636363" stroke-width="1"/>' if hatch else "")
    return (f'<svg width="18" height="12"><rect x="1" y="1" width="16" height="10" fill="{fill}" '
            f'fill-opacity="0.6" stroke="{outline}" stroke-width="1"/>{lines}</svg>')


def legend_html(groups: list[Group], summary: dict[str, Any], lang: str) -> str:
    """The councillor map's legend: one section per family of layers drawn.

    Parameters
    ----------
    groups
        The map's layers.
    summary
        Numbers filled by the layer builders.
    lang
        ``'pl'`` or ``'en'``.

    Returns
    -------
    str
        HTML.
    """
    t = TEXT[lang]
    keys = {g.key for g in groups}
    esc = html.escape
    parts: list[str] = []

    def row(swatch: str, text: str) -> None:
        parts.append(f"<div>{swatch}{esc(text)}</div>")

    parts.append(f"<h4>{esc(t['legend.addresses'])}</h4>")
    for st in PLAN_STATUSES:
        if f"status.{st}" in keys:
            row(svg_point(STATUS_STYLE[st]), f"{t[f'status.{st}']} ({fmt(summary['status'][st], 0, lang)})")
    net = [c for c in NETWORK_CLASSES if f"net.{c}" in keys]
    if net:
        parts.append(f"<h4>{esc(t['legend.network'])}</h4>")
        for c in net:
            row(svg_line(NETWORK_STYLE[c]), f"{t[f'net.{c}']} ({fmt(summary['network_km'][c], 1, lang)} km)")
    if "net.built" in keys:
        parts.append(f"<h4>{esc(t['legend.built'])}</h4>")
        for kind in ("aerial", "underground"):
            km = summary["built_km"][kind]
            if km > 0:
                row(svg_line(BUILT_STYLE[kind]), f"{t[f'net.built.{kind}']} ({fmt(km, 1, lang)} km)")
    if "drops" in keys or "long_drops" in keys:
        parts.append(f"<h4>{esc(t['legend.drops'])}</h4>")
        if "drops" in keys:
            row(svg_line(DROP_STYLE), t["layer.drops"])
        if "long_drops" in keys:
            fee = fmt(summary["long_drop_fees"], 0, lang) + t["unit.pln"]
            row(svg_line(LONG_DROP_STYLE), f"{summary['long_drop_label']}: {summary['long_drops']}, {fee}")
    _optical_legend(keys, summary, lang, row, parts)
    other = [k for k in ("pops", "poles", "ducts", "roads") if k in keys]
    if other:
        parts.append(f"<h4>{esc(t['legend.other'])}</h4>")
        if "pops" in keys:
            row(svg_point({**POP_STYLE, "radius": 5}), t["layer.pops"])
        if "poles" in keys:
            row(svg_point({**POLE_STYLE["commune_lighting"], "radius": 3}), t["layer.poles"])
        if "ducts" in keys:
            row(svg_line(DUCT_STYLE), t["layer.ducts"])
        if "roads" in keys:
            row(svg_line(ROAD_STYLE["street"]), t["layer.roads"])
    if "villages" in keys:
        parts.append(f"<h4>{esc(t['legend.villages'])}</h4>")
        for st in (*VILLAGE_STATES, "none"):
            n = summary["village_states"][st]
            if n:
                style = VILLAGE_STYLE[st]
                row(svg_area(style["fillColor"], style["color"]), f"{t[f'village_state.{st}']} ({fmt(n, 0, lang)})")
    if "localities" in keys and summary["milestones"]:
        parts.append(f"<h4>{esc(t['legend.milestones'])}</h4>")
        for _, lab, fill in summary["milestones"]:
            row(svg_area(fill, LOCALITY_STYLE["color"]), lab)
        if summary.get("locality_without_milestone"):
            row(svg_area(styles.NO_MILESTONE_FILL, LOCALITY_STYLE["color"]), t["legend.no_milestone"])
    return "".join(parts)


def _optical_legend(keys: set[str], summary: dict[str, Any], lang: str, row: Any, parts: list[str]) -> None:
    """The optical network's section: OLT, cabinets and their areas, cables by size (width scale), closures."""
    if not keys & {"olt", "cabinets", "cabinet_areas", "cables", "closures", "over_budget"}:
        return
    t = TEXT[lang]
    opt = summary.get("optical", {})
    parts.append(f"<h4>{html.escape(t['legend.optical'])}</h4>")
    if "olt" in keys:
        for kind in ("given", "proposed"):
            if opt["olt"][kind]:
                key = "legend.olt.proposed" if kind == "proposed" else "legend.olt"
                row(svg_square({**OLT_STYLE[kind], "radius": 6}), t[key])
    if "cabinets" in keys:
        row(svg_square(CABINET_STYLE), f"{t['legend.cabinets']} ({fmt(opt['cabinets'], 0, lang)})")
    if "cabinet_areas" in keys:
        row(svg_area(CABINET_AREA_STYLE["fillColor"], CABINET_AREA_STYLE["color"]), t["legend.cabinet_areas"])
    if "cables" in keys:
        parts.append(f"<div>{html.escape(t['legend.cables'])}:</div>")
        for size, _, km in opt["cables"]:  # the width scale: every size drawn, at its width
            st = cable_style(size)
            row(f'<svg width="28" height="12"><line x1="1" y1="6" x2="27" y2="6" stroke="{st["color"]}" '
                f'stroke-width="{min(float(st["weight"]), 11.0)}" stroke-opacity="{st["opacity"]}"/></svg>',
                f"{fibres_label(size, lang)} ({fmt(km, 1, lang)} km)")
    if "closures" in keys:
        for kind in ("closure", "splitter"):
            if opt["closures"][kind]:
                n = fmt(opt["closures"][kind], 0, lang)
                row(svg_point(CLOSURE_STYLE[kind]), f"{t['legend.closure.' + kind]} ({n})")
    if "over_budget" in keys:
        row(svg_square(OVER_BUDGET_STYLE), f"{t['legend.over_budget']} ({fmt(opt['over_budget'], 0, lang)})")


def info_html(title: str, summary: dict[str, Any], lang: str, offline: bool, keys: set[str] | None = None) -> str:
    """The title box: title, key figures and the note on how to read the map.

    Parameters
    ----------
    title
        Map title.
    summary
        Numbers filled by the layer builders.
    lang
        ``'pl'`` or ``'en'``.
    offline
        Whether the map has no base tiles (the note says so).
    keys
        Keys of the map's layers (the note explains the base layer and the
        build progress where drawn).

    Returns
    -------
    str
        HTML.
    """
    t = TEXT[lang]
    keys = keys or set()
    built = summary.get("built_km", {})
    km = sum(summary["network_km"].values()) + sum(built.values())
    km_under = (summary["network_km"].get("duct", 0.0) + summary["network_km"].get("trench", 0.0)
                + built.get("underground", 0.0))
    sub = t["sub"].format(points=fmt(sum(summary["status"].values()), 0, lang),
                          targets=fmt(summary["status"].get("connect", 0), 0, lang),
                          km=fmt(km, 1, lang), km_under=fmt(km_under, 1, lang))
    if built:
        sub += t["sub.built"].format(km=fmt(sum(built.values()), 1, lang),
                                     km_under=fmt(built.get("underground", 0.0), 1, lang))
    n_risk = summary.get("village_states", {}).get("at_risk", 0)
    if n_risk:
        sub += t["sub.at_risk"].format(n=fmt(n_risk, 0, lang))
    optical = summary.get("optical", {})
    if optical.get("cabinets"):
        sub += t["sub.optical"].format(cabinets=fmt(optical["cabinets"], 0, lang))
    if optical.get("over_budget"):
        sub += t["sub.over_budget"].format(n=fmt(optical["over_budget"], 0, lang))
    note = t["note"]
    if "villages" in keys:
        note += " " + t["note.villages"]
    if keys & {"cabinets", "cables"}:
        note += " " + t["note.optical"]
    base = "roads" in keys or "places" in keys
    note += " " + t["note.online" if not offline else "note.offline.base" if base else "note.offline"]
    return (f"<h1>{html.escape(title)}</h1><div class=\"pm-sub\">{html.escape(sub)}</div>"
            f"<details><summary>{html.escape(t['howto'])}</summary><p>{html.escape(note)}</p></details>")


def default_title(layers: Mapping[str, gpd.GeoDataFrame], lang: str) -> str:
    """``'Sieć światłowodowa w białych plamach – Serock, Wieliszew'``: the communes of the localities.

    Parameters
    ----------
    layers
        Plan layers.
    lang
        ``'pl'`` or ``'en'``.

    Returns
    -------
    str
    """
    loc = layers.get("localities")
    communes: list[str] = []
    if loc is not None and len(loc) and "commune" in loc.columns:
        communes = sorted({c for c in col(loc, "commune") if c})
    return TEXT[lang]["title"] + (" – " + ", ".join(communes) if communes else "")
