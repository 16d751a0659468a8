"""Read a plan directory written by :func:`planner.output.write_plan`: the one reader of plans.

The map (``planner map --plan DIR``) and the scenario comparison
(``planner compare``) read plans through here: :func:`read_summary`
(``summary.json``), :func:`read_table` (a CSV table, TERYT codes as text) and
:func:`read_plan_layers` (layers of ``plan.gpkg``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from planner._errors import InputDataError, InputFileNotFoundError, Problem
from planner.schema import PLAN_LAYERS

__all__ = ["AREA_LAYERS", "read_plan_layers", "read_summary", "read_table"]

logger = logging.getLogger(__name__)

_REWRITE = "re-run `planner plan --out DIR` to rewrite the plan directory"

#: Layers of the study area the plan directory keeps in ``area.gpkg`` that readers of a plan
#: use: the roads of the map's offline base layer.
AREA_LAYERS: tuple[str, ...] = ("roads",)
#: Columns read as text wherever they occur (codes with leading zeros).
_TEXT_COLUMNS = ("simc", "terc", "ulic", "id", "address_id", "milestone", "locality", "commune")


def read_summary(plan_dir: str | Path) -> dict[str, Any]:
    """The plan's ``summary.json`` as a dict.

    Raises
    ------
    InputFileNotFoundError
        No ``summary.json``: not a plan directory.
    InputDataError
        The file is not a JSON object.
    """
    path = Path(plan_dir) / "summary.json"
    if not path.is_file():
        raise InputFileNotFoundError(f"{path} not found", [Problem(
            file=str(path), message="not a plan directory (summary.json missing)",
            fix="give directories written by `planner plan --out DIR`")])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path} is not valid JSON", [Problem(
            file=str(path), message=f"cannot parse the plan summary: {exc}", fix=_REWRITE)]) from exc
    if not isinstance(data, dict):
        raise InputDataError(f"{path} is not a plan summary", [Problem(
            file=str(path), message="summary.json does not hold a JSON object", fix=_REWRITE)])
    return data


def read_table(plan_dir: str | Path, name: str, *, columns: Iterable[str] | None = None) -> pd.DataFrame | None:
    """One CSV table of the plan (``None`` when the plan has none, e.g. no schedule ran).

    Parameters
    ----------
    plan_dir
        The plan directory.
    name
        Table name (``"bom"``, ``"compliance"``, ``"addresses"``, ...).
    columns
        Read only these columns (those present).

    Raises
    ------
    InputDataError
        The file is not a readable CSV table.
    """
    path = Path(plan_dir) / f"{name}.csv"
    if not path.is_file():
        return None
    wanted = None if columns is None else set(columns)
    try:
        return pd.read_csv(path, dtype={c: str for c in _TEXT_COLUMNS}, keep_default_na=True,
                           usecols=None if wanted is None else (lambda c: c in wanted))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise InputDataError(f"cannot read {path}", [Problem(
            file=str(path), message=f"not a readable plan table: {exc}", fix=_REWRITE)]) from exc


def _layer_names(gpkg: Path) -> set[str]:
    try:
        return {str(name) for name in pyogrio.list_layers(gpkg)[:, 0]}
    except Exception as exc:  # pyogrio/GDAL errors of a truncated or foreign file
        raise InputDataError(f"cannot read {gpkg}", [Problem(
            file=str(gpkg), message=f"not a readable GeoPackage ({exc})", fix=_REWRITE)]) from None


def _read(gpkg: Path, layer: str) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(gpkg, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL errors of a damaged layer
        raise InputDataError(f"cannot read layer {layer!r} of {gpkg}", [Problem(
            file=str(gpkg), layer=layer, message=f"unreadable ({exc})", fix=_REWRITE)]) from None


def read_plan_layers(plan_dir: str | Path, names: Iterable[str] = PLAN_LAYERS) -> dict[str, gpd.GeoDataFrame]:
    """Layers of the plan's ``plan.gpkg``, and the roads of its ``area.gpkg``.

    Parameters
    ----------
    plan_dir
        Directory written by the planner; must hold ``plan.gpkg`` with at least
        the ``addresses`` layer.
    names
        Layers of ``plan.gpkg`` to read when present (default
        :data:`planner.schema.PLAN_LAYERS`); the :data:`AREA_LAYERS` of
        ``area.gpkg`` (the study area as planned) are added when that file is
        there.

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
    layers = {name: _read(gpkg, name) for name in names if name in present}
    area = Path(plan_dir) / "area.gpkg"
    if area.is_file():
        in_area = _layer_names(area)
        layers.update({name: _read(area, name) for name in AREA_LAYERS if name in in_area})
    logger.debug("read %s layers from %s", sorted(layers), plan_dir)
    return layers
