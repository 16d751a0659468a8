"""Reading the layers of a plan directory (``plan.gpkg``) for the maps.

:func:`read_plan_layers` is the one reader of a written plan: the map command
and the report read a plan back through it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd

from planner._errors import InputDataError, InputFileNotFoundError, Problem

logger = logging.getLogger(__name__)

__all__ = ["PLAN_LAYERS", "read_plan_layers"]

#: Layers of ``plan.gpkg`` the map reads (others are ignored).
PLAN_LAYERS: tuple[str, ...] = ("addresses", "segments", "drops", "poles_used", "ducts", "localities", "pops")


def read_plan_layers(plan_dir: str | os.PathLike[str]) -> dict[str, gpd.GeoDataFrame]:
    """Read the map's layers from a plan directory.

    Parameters
    ----------
    plan_dir
        Directory written by the pipeline; must hold ``plan.gpkg`` with at least
        the ``addresses`` layer.  The other layers of :data:`PLAN_LAYERS` are read
        when present.

    Returns
    -------
    dict
        Layer name -> GeoDataFrame (in the file's CRS, EPSG:2180).

    Raises
    ------
    InputFileNotFoundError
        The directory or ``plan.gpkg`` does not exist.
    InputDataError
        ``plan.gpkg`` has no ``addresses`` layer.
    """
    import pyogrio

    gpkg = Path(plan_dir) / "plan.gpkg"
    if not gpkg.is_file():
        raise InputFileNotFoundError(
            f"no plan found in {plan_dir}",
            [Problem(file=str(gpkg), message="file not found",
                     fix="run `planner plan` first or give the plan directory with --plan")],
        )
    present = {str(name) for name in pyogrio.list_layers(gpkg)[:, 0]}
    if "addresses" not in present:
        raise InputDataError(
            f"{gpkg} has no 'addresses' layer",
            [Problem(file=str(gpkg), layer="addresses", message=f"layer missing (layers: {sorted(present)})",
                     fix="write the plan again with `planner plan`")],
        )
    layers = {}
    for name in PLAN_LAYERS:
        if name in present:
            layers[name] = gpd.read_file(gpkg, layer=name, engine="pyogrio")
    logger.debug("read %s layers from %s", sorted(layers), gpkg)
    return layers
