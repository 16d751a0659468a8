"""QGIS styles of the network layers, as data.

:mod:`planner.io.gpkg_styles` renders each entry of :data:`NETWORK_STYLES`
as a categorized QGIS renderer: ``(symbol kind, attribute expression,
geometry, label field, categories)`` with categories ``(value, label,
symbol arguments)`` -- a marker ``(fill, outline, size mm, shape)``, a line
``(colour, width mm, dashed)`` or a fill ``(fill, outline)``.  Cables are
drawn wider the more fibres they hold (``cable_size``), cabinet service
areas as translucent polygons under their cabinets, proposed OLT sites
apart from given ones.  The same figures suit the councillor map: cable line
width by :data:`CABLE_WIDTHS_MM`, cabinets as squares, closures as small
circles.
"""

from __future__ import annotations

__all__ = ["NETWORK_STYLES", "CABLE_WIDTHS_MM", "CABLE_COLOURS"]

#: Line width (mm) and colour of a cable by its size (fibres).
CABLE_WIDTHS_MM: dict[int, float] = {12: 0.35, 24: 0.5, 48: 0.8, 72: 1.0, 96: 1.2, 144: 1.6, 288: 2.2, 576: 2.8}
CABLE_COLOURS: dict[int, str] = {12: "#9ecae1", 24: "#6baed6", 48: "#4292c6", 72: "#2171b5", 96: "#2171b5",
                                 144: "#08519c", 288: "#08306b", 576: "#08306b"}

_CABINET = ("#e6550d", "#7f2704")
_Style = tuple[str, str, str, str | None, list[tuple[str, str, tuple[object, ...]]]]


def _cables() -> _Style:
    cats: list[tuple[str, str, tuple[object, ...]]] = [
        (str(s), f"kabel {s}J ({s} fibres)", (CABLE_COLOURS[s], w, False)) for s, w in CABLE_WIDTHS_MM.items()]
    return "line", 'to_string("cable_size")', "line", None, cats


#: Layer name -> (symbol kind, attribute expression, geometry, label field, categories).
NETWORK_STYLES: dict[str, _Style] = {
    "cables": _cables(),
    "cabinets": ("marker", "'cabinet'", "point", "cabinet_id",
                 [("cabinet", "szafa kablowa ze splitterami (street cabinet)", (*_CABINET, 3.4, "square"))]),
    "cabinet_areas": ("fill", "'area'", "polygon", "cabinet_id",
                      [("area", "obszar szafy (cabinet service area)", ("#fdd0a2", "#e6550d"))]),
    "closures": ("marker", "CASE WHEN \"splitters\" > 0 THEN 'splitter' ELSE 'closure' END", "point", None,
                 [("closure", "mufa (splice closure)", ("#ffffff", "#252525", 1.6, "circle")),
                  ("splitter", "mufa ze splitterem (closure with splitter)", ("#fd8d3c", "#7f2704", 2.0, "circle"))]),
    "splitters": ("marker", "to_string(\"stage\")", "point", None,
                  [("1", "splitter w szafie (cabinet splitter)", ("#e6550d", "#7f2704", 1.4, "triangle")),
                   ("2", "splitter w mufie (closure splitter)", ("#fd8d3c", "#7f2704", 1.2, "triangle"))]),
    "olt": ("marker", "CASE WHEN \"proposed\" THEN 'proposed' ELSE 'given' END", "point", "pop_id",
            [("given", "OLT w POP (OLT at the POP)", ("#000000", "#ffffff", 5.0, "square")),
             ("proposed", "proponowany POP/OLT (proposed site)", ("#ffffff", "#000000", 5.0, "square"))]),
}
