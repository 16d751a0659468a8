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

from planner import styles as colours
from planner.styles import CABLE_COLOURS

__all__ = ["NETWORK_STYLES", "CABLE_WIDTHS_MM", "CABLE_COLOURS"]

#: Line width (mm) of a cable by its size (fibres); its colour is :data:`planner.styles.CABLE_COLOURS`.
CABLE_WIDTHS_MM: dict[int, float] = {12: 0.35, 24: 0.5, 48: 0.8, 72: 1.0, 96: 1.2, 144: 1.6, 288: 2.2, 576: 2.8}

_CABINET = (colours.CABINET_FILL, colours.CABINET_OUTLINE)
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
                      [("area", "obszar szafy (cabinet service area)",
                        (colours.CABINET_AREA_FILL, colours.CABINET_AREA_OUTLINE))]),
    "closures": ("marker", "CASE WHEN \"splitters\" > 0 THEN 'splitter' ELSE 'closure' END", "point", None,
                 [("closure", "mufa (splice closure)", (*colours.CLOSURE_COLOURS["closure"], 1.6, "circle")),
                  ("splitter", "mufa ze splitterem (closure with splitter)",
                   (*colours.CLOSURE_COLOURS["splitter"], 2.0, "circle"))]),
    "splitters": ("marker", "to_string(\"stage\")", "point", None,
                  [("1", "splitter w szafie (cabinet splitter)", (*colours.SPLITTER_COLOURS[1], 1.4, "triangle")),
                   ("2", "splitter w mufie (closure splitter)", (*colours.SPLITTER_COLOURS[2], 1.2, "triangle"))]),
    "olt": ("marker", "CASE WHEN \"proposed\" THEN 'proposed' ELSE 'given' END", "point", "pop_id",
            [("given", "OLT w POP (OLT at the POP)", (*colours.OLT_COLOURS["given"], 5.0, "square")),
             ("proposed", "proponowany POP/OLT (proposed site)", (*colours.OLT_COLOURS["proposed"], 5.0, "square"))]),
}
