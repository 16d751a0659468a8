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

__all__ = ["AREA_LAYERS", "PLAN_LAYERS", "read_plan_layers"]

#: Layers of ``plan.gpkg`` the map reads (others are ignored).
PLAN_LAYERS: tuple[str, ...] = ("addresses", "segments", "drops", "poles_used", "ducts", "localities", "pops")

#: Layers of the study area the plan directory keeps in ``area.gpkg`` that the map reads: the
#: roads of the offline base layer.
AREA_LAYERS: tuple[str, ...] = ("roads",)


def _layer_names(gpkg: Path) -> set[str]:
    import pyogrio

    try:
        return {str(name) for name in pyogrio.list_layers(gpkg)[:, 0]}
    except Exception as exc:  # pyogrio/GDAL errors of a truncated or foreign file
        raise InputDataError(f"cannot read {gpkg}", [Problem(
            file=str(gpkg), message=f"not a readable GeoPackage ({exc})",
            fix="write the plan again with `planner plan`")]) from None


def read_plan_layers(plan_dir: str | os.PathLike[str]) -> dict[str, gpd.GeoDataFrame]:
    """Read the map's layers from a plan directory.

    Parameters
    ----------
    plan_dir
        Directory written by the pipeline; must hold ``plan.gpkg`` with at least
        the ``addresses`` layer.  The other layers of :data:`PLAN_LAYERS` are read
        when present, and the ``roads`` of ``area.gpkg`` (:data:`AREA_LAYERS`,
        the study area as planned) when that file is there.

    Returns
    -------
    dict
        Layer name -> GeoDataFrame (in the file's CRS, EPSG:2180).

    Raises
    ------
    InputFileNotFoundError
        The directory or ``plan.gpkg`` does not exist.
    InputDataError
        ``plan.gpkg`` has no ``addresses`` layer, or a GeoPackage cannot be read.
    """
    gpkg = Path(plan_dir) / "plan.gpkg"
    if not gpkg.is_file():
        raise InputFileNotFoundError(
            f"no plan found in {plan_dir}",
            [Problem(file=str(gpkg), message="file not found",
                     fix="run `planner plan` first or give the plan directory with --plan")],
        )
    present = _layer_names(gpkg)
    if "addresses" not in present:
        raise InputDataError(
            f"{gpkg} has no 'addresses' layer",
            [Problem(file=str(gpkg), layer="addresses", message=f"layer missing (layers: {sorted(present)})",
                     fix="write the plan again with `planner plan`")],
        )
    layers = {name: _read(gpkg, name) for name in PLAN_LAYERS if name in present}
    area = Path(plan_dir) / "area.gpkg"
    if area.is_file():
        in_area = _layer_names(area)
        layers.update({name: _read(area, name) for name in AREA_LAYERS if name in in_area})
    logger.debug("read %s layers from %s", sorted(layers), plan_dir)
    return layers


def _read(gpkg: Path, layer: str) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(gpkg, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL errors of a damaged layer
        raise InputDataError(f"cannot read layer {layer!r} of {gpkg}", [Problem(
            file=str(gpkg), layer=layer, message=f"unreadable ({exc})",
            fix="write the plan again with `planner plan`")]) from None
