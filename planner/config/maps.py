"""Councillor map (``[map]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.config._base import Section

__all__ = ["MapConfig"]


class MapConfig(Section):
    """Councillor map."""

    lang: Literal["pl", "en"] = "pl"
    # True: no base-map tiles, so the HTML makes no network request at all (councillors open it from
    # e-mail); False: OpenStreetMap tiles. Leaflet and the map runtime are inlined either way. [A]
    offline: bool = True
    # Coordinate rounding of the map's GeoJSON, decimal degrees (6 digits ~ 0.1 m). [A]
    coordinate_precision: int = Field(6, ge=4, le=8)
    # Offline maps only: a light base layer of the area's roads (thin grey, simplified) and locality names,
    # so the map reads without tiles (online maps have OpenStreetMap tiles instead). [A]
    base_layer: bool = True
    # Douglas-Peucker tolerance of the base layer's roads, metres (drawing only). [A: 5 m is about one
    # pixel at zoom 15 and keeps the demo's ~590 km of roads to a few hundred kB of HTML]
    road_simplify_m: float = Field(5.0, ge=0.0, le=100.0)
