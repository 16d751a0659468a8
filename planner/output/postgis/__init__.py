"""Write a plan into a PostGIS schema (``--out postgresql://...?schema=NAME``), all or nothing.

:func:`write_plan` (:mod:`~planner.output.postgis.writer`: staging schema and
swap), :func:`write_region` (:mod:`~planner.output.postgis.region`: a
``plan-many`` region in one schema), ``_tables`` (frames as tables) and
``_styles`` (QGIS ``layer_styles``).
URLs, connections and credentials are shared with the reader
(:mod:`planner.io.postgis`).  The driver (psycopg) is imported on first use only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from planner.output.postgis.region import write_region
    from planner.output.postgis.writer import check_output, write_plan

__all__ = ["check_output", "write_plan", "write_region"]


def __getattr__(name: str) -> Any:
    """Import the driver-dependent writer on first use."""
    if name == "write_region":
        from planner.output.postgis import region

        return region.write_region
    if name in __all__:
        from planner.output.postgis import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
