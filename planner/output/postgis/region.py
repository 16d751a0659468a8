"""Write a ``plan-many`` region into ONE PostGIS schema, all or nothing (``plan-many --db``).

The region's tables, through the writer of ``planner plan --out postgresql://``
(:func:`planner.output.postgis.writer.write_plan`: one transaction, a staging
schema swapped onto the target, ``fid`` keys, GiST indexes, EPSG:2180
geometry columns, QGIS styles in ``public.layer_styles``):

* ``communes`` -- one row per commune of the run (the merged communes table
  with the commune polygons; failed communes flagged);
* ``addresses``, ``segments``, ``drops`` -- every finished commune's rows of
  the run's GeoParquet dataset, with their ``commune_terc`` (btree-indexed),
  sorted by ``commune_terc`` then the row's id, so a re-run writes the same
  rows in the same order (the same ``fid``);
* ``failures`` -- ``key, terc, commune, exit_code, message`` of the failed communes;
* ``summary`` -- key / JSON value rows: communes planned, skipped, failed, rows per table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.output import gpkg_styles
from planner.output.postgis.writer import write_plan

__all__ = ["write_region", "REGION_ROW_TABLES", "ROW_IDS", "PARTITION_COLUMN"]

logger = logging.getLogger(__name__)

#: Tables holding every commune's rows (from the dataset), in the order they are written.
REGION_ROW_TABLES = ("addresses", "segments", "drops")
#: Column naming a row within its commune: the second sort key (after ``commune_terc``).
ROW_IDS = {"addresses": "id", "segments": "segment_id", "drops": "address_id"}
#: The partition column of the dataset (Hive ``commune_terc=<TERC>``), indexed in every row table.
PARTITION_COLUMN = "commune_terc"
#: Columns of the failures table.
_FAILURE_COLUMNS = ("key", "terc", "commune", "exit_code", "message")


def _sorted_rows(name: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keys = [c for c in (PARTITION_COLUMN, ROW_IDS.get(name)) if c and c in frame.columns]
    if not keys or frame.empty:
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _failures(failures: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({c: (failures[c] if c in failures.columns else pd.Series(dtype=object))
                        for c in _FAILURE_COLUMNS}).reset_index(drop=True)
    for c in ("key", "terc", "commune", "message"):
        out[c] = out[c].astype("string")
    out["exit_code"] = pd.to_numeric(out["exit_code"]).astype("Int64")
    return out.sort_values("key", kind="stable").reset_index(drop=True)


def write_region(
    url: str,
    communes: gpd.GeoDataFrame,
    rows: Mapping[str, gpd.GeoDataFrame],
    failures: pd.DataFrame,
    *,
    summary: dict[str, Any] | None = None,
    milestones: tuple[str, ...] = (),
    inputs: Iterable[object] = (),
) -> str:
    """Write a region planned by ``plan-many`` into one PostGIS schema, all or nothing.

    Parameters
    ----------
    url
        ``postgresql://[user@]host[:port]/dbname?schema=NAME``; the schema is
        created, or replaced when it holds an earlier plan.
    communes
        The merged communes table with the commune polygons
        (:func:`planner.scale.merge.communes_frame`).
    rows
        ``addresses``, ``segments``, ``drops``: the dataset layers with their
        ``commune_terc`` column (:func:`planner.io.region_dataset.read_dataset_layer`);
        sorted here by ``commune_terc`` and the row's id.
    failures
        ``key, terc, commune, exit_code, message`` of the failed communes.
    summary
        Extra ``summary`` rows (the run's identity); the row counts of the
        tables are added.
    milestones
        Milestone names in deadline order (for the QGIS style of ``addresses``).
    inputs
        The run's inputs; writing into the schema of an input is refused.

    Returns
    -------
    str
        The URL without its password.

    Raises
    ------
    UsageError, DatabaseError
        As :func:`planner.output.postgis.writer.write_plan`; nothing is written.
    """
    layers: dict[str, pd.DataFrame] = {"communes": communes.reset_index(drop=True)}
    for name in REGION_ROW_TABLES:
        frame = rows.get(name)
        layers[name] = _sorted_rows(name, frame if frame is not None else gpd.GeoDataFrame(geometry=[]))
    tables = {"failures": _failures(failures)}
    info = dict(summary or {})
    info["rows"] = {name: int(len(f)) for name, f in {**layers, **tables}.items()}
    info["rows_per_commune"] = {
        name: {str(k): int(v) for k, v in layers[name][PARTITION_COLUMN].value_counts(sort=False).sort_index().items()}
        for name in REGION_ROW_TABLES if PARTITION_COLUMN in layers[name].columns}
    label = write_plan(url, layers, tables, summary=info,
                       styles=gpkg_styles.plan_styles(list(layers), milestones=milestones), inputs=inputs,
                       index_columns=(PARTITION_COLUMN,), command="planner plan-many --db")
    logger.info("region written to %s: %s", label,
                ", ".join(f"{n} {k}" for k, n in info["rows"].items()))
    return label
