"""Where the study area is and how its coordinates are read (``[area]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from planner.config._base import Section
from planner.schema import LAYERS, SQL_IDENTIFIER_PATTERN

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
    # Table of each layer in a PostGIS study area (``--area postgresql://...?schema=NAME``),
    # where it is not named like the layer: layer (or "metadata") -> table, or
    # "other_schema.table" for a table outside the area's schema, e.g.
    # ``addresses = "prg_punkty_adresowe"``.  Unlisted layers are read from the table of
    # their own name.  [A: same names as the GeoPackage layers]
    tables: dict[str, str] = Field(default_factory=dict)

    @field_validator("bounds")
    @classmethod
    def _check_bounds(cls, v: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if v is not None and not (v[0] < v[2] and v[1] < v[3]):
            raise ValueError("bounds must be (minx, miny, maxx, maxy) with minx < maxx and miny < maxy")
        return v

    @field_validator("tables")
    @classmethod
    def _check_tables(cls, v: dict[str, str]) -> dict[str, str]:
        # issue #20: keys are layers, values plain SQL identifiers (never pasted into SQL)
        unknown = sorted(set(v) - set(LAYERS) - {"metadata"})
        name = re.compile(rf"(?:{SQL_IDENTIFIER_PATTERN}\.)?{SQL_IDENTIFIER_PATTERN}")
        bad = sorted(f"{k} = {t!r}" for k, t in v.items() if not name.fullmatch(t))
        errors = []
        if unknown:
            errors.append(f"unknown layer(s) {', '.join(unknown)} (use: {', '.join((*LAYERS, 'metadata'))})")
        if bad:
            errors.append(f"table name(s) {', '.join(bad)} are not plain identifiers (letters a-z/A-Z, digits "
                          "and _, not starting with a digit, at most 63 characters, optionally schema.table)")
        if errors:
            raise ValueError("; ".join(errors))
        return v
