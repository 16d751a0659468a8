"""Colours of the planner's outputs: the one home of every palette.

The councillor map (:mod:`planner.maps`), the QGIS styles of ``plan.gpkg``
(:mod:`planner.output.gpkg_styles`), the report's static map and the schedule's
Gantt chart draw the same things; they take their colours from here, so that a
milestone, a plan status or a deployment type has one colour wherever a user
meets it.  Only colours live here: sizes, widths and dash patterns belong to
each medium (CSS pixels in Leaflet, millimetres in QGIS, points in matplotlib).

Colours are ``#rrggbb`` strings.  Sources: ColorBrewer 2.0 schemes
(Cynthia Brewer, colorbrewer2.org; Apache-2.0 licensed palettes) where named;
the others are this project's choices [A].
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "BUILT_COLOUR",
    "CABINET_AREA_FILL",
    "CABINET_AREA_OUTLINE",
    "CABINET_FILL",
    "CABINET_OUTLINE",
    "CABLE_COLOURS",
    "CHOROPLETH_COST",
    "CLOSURE_COLOURS",
    "CHOROPLETH_WHITE_SPOTS",
    "DROP_COLOUR",
    "DUCT_COLOUR",
    "FAILED_FILL",
    "FAILED_OUTLINE",
    "LOCALITY_OUTLINE",
    "LONG_DROP_COLOUR",
    "MILESTONE_COLOURS",
    "MILESTONE_FILLS",
    "NETWORK_COLOURS",
    "NO_MILESTONE_COLOUR",
    "NO_MILESTONE_FILL",
    "OLT_COLOURS",
    "OVER_BUDGET_COLOUR",
    "POLE_COLOURS",
    "POP_FILL",
    "POP_OUTLINE",
    "ROAD_COLOUR",
    "SPLITTER_COLOURS",
    "STATUS_COLOURS",
    "StatusColour",
    "VILLAGE_STATE_COLOURS",
    "milestone_colours",
    "milestone_fills",
]


class StatusColour(NamedTuple):
    """Fill and outline of an address point of one plan status."""

    fill: str
    outline: str


#: Address points by ``plan_status`` (:data:`planner.schema.PLAN_STATUSES`): white spots to connect
#: are white with a navy ring, connected green, unconnected red, barriers orange, grey and black
#: points grey and black (the council's own words: białe, szare, czarne plamy). [A]
STATUS_COLOURS: dict[str, StatusColour] = {
    "connect": StatusColour("#ffffff", "#1f4e9c"),
    "connected": StatusColour("#1a9641", "#0b5d1e"),
    "unconnected": StatusColour("#e31a1c", "#7f0000"),
    "barrier": StatusColour("#ff7f00", "#8c3b00"),
    "grey": StatusColour("#a6a6a6", "#595959"),
    "black": StatusColour("#1a1a1a", "#000000"),
}

#: Network classes: ``aerial_<pole owner>`` (cable on existing poles, drawn dashed) and the
#: underground deployments ``duct`` (existing technological duct) and ``trench`` (new trench). [A]
NETWORK_COLOURS: dict[str, str] = {
    "aerial_commune_lighting": "#d4a000",
    "aerial_telecom": "#6a51a3",
    "aerial_power": "#8c510a",
    "duct": "#01857a",
    "trench": "#c51b7d",
}

#: Poles used, by owner: the colour of the aerial network on them.
POLE_COLOURS: dict[str, str] = {
    owner: NETWORK_COLOURS[f"aerial_{owner}"] for owner in ("commune_lighting", "telecom", "power")
}

#: Network already built (as-built segments), in every deployment: the green of connected points. [A]
BUILT_COLOUR = "#0b5d1e"
#: Drops within the contract length (thin grey) and beyond it (red, they pay a distance fee). [A]
DROP_COLOUR = "#555555"
LONG_DROP_COLOUR = "#d62728"
#: Existing technological ducts offered for reuse (ColorBrewer Set2 green). [A]
DUCT_COLOUR = "#66c2a5"
#: The point of presence: a black dot with a white ring. [A]
POP_FILL = "#000000"
POP_OUTLINE = "#ffffff"
#: Outline of locality (village) areas. [A]
LOCALITY_OUTLINE = "#555555"
#: Roads of the light offline base layer: thin grey. [A]
ROAD_COLOUR = "#9a9a9a"

#: Milestones (kamienie milowe) in deadline order, as area fills (pastel, ColorBrewer Set3 without
#: its yellow) and as strong colours for bars and lines of the same hue (the first three are
#: ColorBrewer Dark2's).  The i-th milestone takes index ``i % 7`` of both.
MILESTONE_FILLS: tuple[str, ...] = ("#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5")
MILESTONE_COLOURS: tuple[str, ...] = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#1f78b4", "#66a61e", "#c51b8a")
#: Localities or work without a milestone. [A]
NO_MILESTONE_FILL = "#d9d9d9"
NO_MILESTONE_COLOUR = "#999999"

#: Villages after re-planning from what is built (``village_state``): built (green), remaining
#: (light blue, work still to do) and at risk (red: the milestone's 80 % is no longer reachable). [A]
VILLAGE_STATE_COLOURS: dict[str, StatusColour] = {
    "built": StatusColour("#a6dba0", "#1b7837"),
    "remaining": StatusColour("#c6dbef", "#2171b5"),
    "at_risk": StatusColour("#fb6a4a", "#a50f15"),
}

#: The optical network (issue #16).  Cables by size in fibres, light to dark blue (ColorBrewer Blues 9:
#: the thicker the cable, the darker), drawn over the route whose colour says how it is laid.
CABLE_COLOURS: dict[int, str] = {12: "#9ecae1", 24: "#6baed6", 48: "#4292c6", 72: "#2171b5", 96: "#2171b5",
                                 144: "#08519c", 288: "#08306b", 576: "#08306b"}
#: Street cabinets with splitters (szafy kablowe): orange squares (ColorBrewer Oranges). [A]
CABINET_FILL = "#e6550d"
CABINET_OUTLINE = "#7f2704"
#: A cabinet's service area (obszar szafy): light orange, outlined in the cabinet's orange. [A]
CABINET_AREA_FILL = "#fdd0a2"
CABINET_AREA_OUTLINE = "#e6550d"
#: Splice closures (mufy): white with a dark ring; orange where they hold a splitter (cascade). [A]
CLOSURE_COLOURS: dict[str, StatusColour] = {
    "closure": StatusColour("#ffffff", "#252525"),
    "splitter": StatusColour("#fd8d3c", "#7f2704"),
}
#: Splitters by stage: 1 in the cabinet (its orange), 2 in a closure near the homes. [A]
SPLITTER_COLOURS: dict[int, StatusColour] = {
    1: StatusColour("#e6550d", "#7f2704"),
    2: StatusColour("#fd8d3c", "#7f2704"),
}
#: The OLT at a POP: black with a white ring at a given POP, white with a black ring (hollow) at a
#: site the planner proposes. [A]
OLT_COLOURS: dict[str, StatusColour] = {
    "given": StatusColour("#000000", "#ffffff"),
    "proposed": StatusColour("#ffffff", "#000000"),
}
#: Ring around address points over the optical budget: the red of points that cannot be connected. [A]
OVER_BUDGET_COLOUR = "#e31a1c"

#: Classed choropleths of the communes map, light to dark: cost per home (ColorBrewer YlOrRd 5)
#: and white spots (ColorBrewer Purples 5).
CHOROPLETH_COST: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
CHOROPLETH_WHITE_SPOTS: tuple[str, ...] = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
#: Communes whose plan failed: grey, hatched. [A]
FAILED_FILL = "#bdbdbd"
FAILED_OUTLINE = "#636363"


def milestone_fills(names: Iterable[str]) -> dict[str, str]:
    """Area fill of each milestone, given the milestone names in deadline order.

    Parameters
    ----------
    names
        Milestone names, first deadline first (e.g. ``["M1", "M2", "M3"]``).

    Returns
    -------
    dict
        Name -> ``#rrggbb`` from :data:`MILESTONE_FILLS` (cycling), plus ``""`` ->
        :data:`NO_MILESTONE_FILL`.

    Examples
    --------
    >>> milestone_fills(["M1", "M2"])["M2"]
    '#fdb462'
    """
    out = {n: MILESTONE_FILLS[i % len(MILESTONE_FILLS)] for i, n in enumerate(names)}
    out.setdefault("", NO_MILESTONE_FILL)
    return out


def milestone_colours(names: Iterable[str]) -> dict[str, str]:
    """Strong colour (bars, lines, text) of each milestone, given the names in deadline order.

    Parameters
    ----------
    names
        Milestone names, first deadline first.

    Returns
    -------
    dict
        Name -> ``#rrggbb`` from :data:`MILESTONE_COLOURS` (cycling), plus ``""`` ->
        :data:`NO_MILESTONE_COLOUR`.

    Examples
    --------
    >>> milestone_colours(["M1", "M2", "M3"])["M1"]
    '#1b9e77'
    """
    out = {n: MILESTONE_COLOURS[i % len(MILESTONE_COLOURS)] for i, n in enumerate(names)}
    out.setdefault("", NO_MILESTONE_COLOUR)
    return out
