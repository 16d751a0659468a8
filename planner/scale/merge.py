"""Merged results of a ``plan-many`` run: the communes table, workbook, layer, map and failures.

Built from the national dataset (``dataset/communes``: one row per finished
commune, written by :mod:`planner.scale.tasks`) plus one row per failed
commune, so a re-run that skips finished communes gives the same tables as
the first run.  Every file is written atomically.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.output.excel import workbook_bytes
from planner.output.files import write_bytes, write_csv, write_gpkg
from planner.scale.tasks import dataset_file, failure_record
from planner.schema import WORKING_CRS

__all__ = ["MAP_COLUMNS", "TABLE_COLUMNS", "FAILURE_COLUMNS", "communes_frame", "map_frame", "write_merged"]

logger = logging.getLogger(__name__)

#: Columns of the frame the communes map takes (``planner.maps.write_communes_map``) and of communes.gpkg.
MAP_COLUMNS = ("terc", "commune", "white_spots", "targets", "connected", "km_aerial", "km_duct", "km_trench",
               "cost_pln", "cost_per_home_pln", "milestones_ok", "failed")
#: Columns of communes.csv / communes.xlsx.
TABLE_COLUMNS = ("terc", "commune", "key", "address_points", "businesses", "white_spots", "barriers", "targets",
                 "connected", "unconnected", "km_aerial", "km_duct", "km_trench", "km_total", "cost_pln",
                 "homes_passed", "cost_per_home_pln", "milestones_met", "milestones_ok", "schedule_feasible",
                 "failed", "error")
#: Columns of failures.csv.
FAILURE_COLUMNS = ("key", "terc", "commune", "exit_code", "message")


def communes_frame(out_dir: str | Path, finished: dict[str, dict[str, Any]], failures: list[dict[str, Any]],
                   units: dict[str, Any]) -> gpd.GeoDataFrame:
    """One row per commune of the run: finished ones from the dataset, failed ones without figures.

    Parameters
    ----------
    out_dir
        The output directory.
    finished
        Manifest entries of the finished communes (key -> ``{"terc", ...}``).
    failures
        Results of the failed communes (:func:`planner.scale.tasks.run_commune`).
    units
        Key -> :class:`~planner.scale.tasks.Unit` of the run (names and boundaries of failed communes).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`TABLE_COLUMNS` and the commune polygon (EPSG:2180), sorted by TERC and key.
    """
    frames = [gpd.read_parquet(dataset_file(out_dir, "communes", e["terc"], k)) for k, e in sorted(finished.items())
              if k in units]
    rows = []
    geoms = []
    for f in failures:
        u = units[f["key"]]
        rec = failure_record(u, f["message"])
        rec.update(terc=f.get("terc") or rec["terc"], commune=f.get("commune") or rec["commune"])
        rows.append(rec)
        geoms.append(None if u.boundary is None else gpd.GeoSeries.from_wkb([u.boundary]).iloc[0])
    if rows:
        frames.append(gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=WORKING_CRS))
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in TABLE_COLUMNS}, geometry=[], crs=WORKING_CRS)
    frames = [f.to_crs(WORKING_CRS) if f.crs is not None else f.set_crs(WORKING_CRS) for f in frames]
    out = pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=WORKING_CRS)
    out = out.sort_values(["terc", "key"], kind="stable").reset_index(drop=True)
    for c in ("milestones_ok", "failed", "schedule_feasible"):
        out[c] = out[c].astype(bool)
    return out[[*TABLE_COLUMNS, "geometry"]]


def map_frame(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame of the communes map and communes.gpkg: :data:`MAP_COLUMNS` and the polygon."""
    return communes[[*MAP_COLUMNS, "geometry"]].copy()


def write_merged(out_dir: str | Path, communes: gpd.GeoDataFrame, failures: list[dict[str, Any]], *,
                 lang: str = "pl", offline: bool = True) -> dict[str, Path]:
    """Write communes.csv, communes.xlsx, communes.gpkg, failures.csv and the communes map.

    Parameters
    ----------
    out_dir
        The output directory.
    communes
        :func:`communes_frame`.
    failures
        Results of the failed communes.
    lang, offline
        Language and offline mode of the map.

    Returns
    -------
    dict
        Name -> path of each file written (the map by
        :func:`planner.maps.write_communes_map`).
    """
    out = Path(out_dir)
    table = pd.DataFrame(communes.drop(columns="geometry"))
    paths = {
        "csv": write_csv(table, out / "communes.csv"),
        "xlsx": write_bytes(workbook_bytes({"communes": table}), out / "communes.xlsx"),
        "gpkg": write_gpkg({"communes": map_frame(communes)}, out / "communes.gpkg"),
    }
    fail = pd.DataFrame([{c: f.get(c, "") for c in FAILURE_COLUMNS} for f in failures], columns=list(FAILURE_COLUMNS))
    paths["failures"] = write_csv(fail.sort_values("key", kind="stable"), out / "failures.csv")
    from planner.maps import write_communes_map

    paths["map"] = write_communes_map(map_frame(communes), out / "communes_map.html", lang=lang, offline=offline)
    return paths
