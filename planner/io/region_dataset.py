"""Read one layer of a ``plan-many`` output's dataset: all communes' rows in one frame.

The dataset of a ``planner plan-many`` run is a Hive-partitioned GeoParquet
dataset, one file per commune (written by :mod:`planner.scale.tasks`)::

    <out>/dataset/<layer>/<partition>=<value>/<key>.parquet

e.g. ``dataset/addresses/commune_terc=1401013/1401013.parquet``.  The
partition column (its name is read from the directory names) is added to the
rows, as Arrow's Hive partitioning does.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner._errors import InputDataError, Problem

__all__ = ["DATASET_DIR", "dataset_files", "read_dataset_layer"]

logger = logging.getLogger(__name__)

#: Directory of the dataset inside a plan-many output directory.
DATASET_DIR = "dataset"


def dataset_files(out_dir: str | Path, layer: str) -> list[tuple[str, str, str, Path]]:
    """The files of one dataset layer, sorted by partition value and commune key.

    Returns
    -------
    list of (partition column, partition value, key, path)
        One entry per ``<partition>=<value>/<key>.parquet`` file.
    """
    base = Path(out_dir) / DATASET_DIR / layer
    out: list[tuple[str, str, str, Path]] = []
    if base.is_dir():
        for part in base.iterdir():
            column, sep, value = part.name.partition("=")
            if not (sep and part.is_dir()):
                continue
            out.extend((column, value, f.stem, f) for f in part.glob("*.parquet") if not f.name.startswith("."))
    return sorted(out, key=lambda e: (e[1], e[2]))


def read_dataset_layer(out_dir: str | Path, layer: str, *,
                       keys: Collection[str] | None = None) -> gpd.GeoDataFrame:
    """All rows of one layer of a plan-many dataset, with the partition column first.

    Parameters
    ----------
    out_dir
        A ``planner plan-many`` output directory.
    layer
        Dataset layer: ``addresses``, ``segments``, ``drops`` or ``communes``.
    keys
        Keys (file names without ``.parquet``) of the communes to read, e.g.
        the finished communes of a run; default every file of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
        The files' rows in file order (partition value, then key), each with
        its partition value (e.g. ``commune_terc``) as the first column; an
        empty frame when the layer has no file.

    Raises
    ------
    InputDataError
        A file that is no GeoParquet, or files of one layer in different CRSs
        or with different partition columns.
    """
    wanted = None if keys is None else {str(k) for k in keys}
    files = [e for e in dataset_files(out_dir, layer) if wanted is None or e[2] in wanted]
    if not files:
        return gpd.GeoDataFrame(geometry=[])
    columns = {e[0] for e in files}
    if len(columns) > 1:
        raise InputDataError(f"dataset layer {layer!r} has files under several partition columns", [Problem(
            file=str(Path(out_dir) / DATASET_DIR / layer), message=f"partition directories {sorted(columns)}",
            fix="remove the directories of other runs, or plan into a new --out directory")])
    column = columns.pop()
    frames = []
    for _, value, _, path in files:
        try:
            f = gpd.read_parquet(path)
        except Exception as exc:  # pyarrow / geopandas errors of a damaged or foreign file
            raise InputDataError(f"cannot read {path}", [Problem(
                file=str(path), message=f"not a GeoParquet file of the planner: {exc}",
                fix="delete the file and run plan-many again (the commune is planned again)")]) from None
        if column in f.columns:
            f = f.drop(columns=column)
        f.insert(0, column, pd.Series([value] * len(f), index=f.index, dtype="string"))
        frames.append(f)
    crss = {f.crs for f in frames if f.crs is not None}
    if len(crss) > 1:
        raise InputDataError(f"dataset layer {layer!r} mixes coordinate systems", [Problem(
            file=str(Path(out_dir) / DATASET_DIR / layer), message=f"CRSs {sorted(c.to_string() for c in crss)}",
            fix="plan the region again into a new --out directory")])
    crs = crss.pop() if crss else None
    frames = [f.set_crs(crs, allow_override=True) if f.crs is None and crs is not None else f for f in frames]
    out = pd.concat(frames, ignore_index=True)
    logger.debug("read %d rows of dataset layer %s from %d files", len(out), layer, len(files))
    return gpd.GeoDataFrame(out, geometry=frames[0].active_geometry_name, crs=crs)
