"""Where the study area is and how its coordinates are read (``[area]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

from pydantic import field_validator

from planner.config._base import Section

__all__ = ["AreaConfig"]


class AreaConfig(Section):
    """Where the study area is and how its coordinates are read."""

    # Working CRS.  EPSG:2180 (PUWG 1992) is the national CRS of Polish registers
    # (PRG, EGiB, GESUT).  "auto" picks EPSG:2180 inside Poland and the local UTM
    # zone elsewhere (e.g. the Finnish OSM fixtures). [A]
    crs: str = "EPSG:2180"
    # CRS assumed for input layers that carry none (CLI --assume-crs).  None means a
    # layer without CRS is an error.  [A: never guess silently]
    assume_crs: str | None = None
    # Study-area bounds (minx, miny, maxx, maxy) in the working CRS, easting-northing.
    # Coordinates outside are rejected; a layer that fits only once its axes are
    # swapped is reported as axis-swapped.  None: Poland's extent for EPSG:2180,
    # otherwise no check.  [A]
    bounds: tuple[float, float, float, float] | None = None

    @field_validator("bounds")
    @classmethod
    def _check_bounds(cls, v: tuple[float, float, float, float] | None):
        if v is not None and not (v[0] < v[2] and v[1] < v[3]):
            raise ValueError("bounds must be (minx, miny, maxx, maxy) with minx < maxx and miny < maxy")
        return v
