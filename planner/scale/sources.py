"""Streamed reading of national layers: chunks of rows that one worker can hold.

A national layer is read in chunks (:class:`Chunk`), each handled by one Dask task:
GeoParquet by groups of row groups, other vector formats (GeoPackage,
FlatGeobuf, SHP, GeoJSON) by feature ranges (:func:`pyogrio.read_dataframe`
``skip_features``/``max_features``), CSV by blocks of lines (one task streams
the file), an OSM extract as one streamed pass of pyosmium (node locations
cached, tagged nodes and ways yielded as feature tables in blocks), and a PRG
GML file streamed in blocks of points (:mod:`planner.scale.prg_stream`, each
block mapped by :func:`planner.io.read_prg`).

These are new reader capabilities of :mod:`planner.scale` (streaming; the
readers of :mod:`planner.io` read whole files); the features of the OSM
stream follow the rules of :mod:`planner.io.osm` (its feature table, turned
into layers per commune by :func:`planner.io.osm.layers_from_features`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio

from planner._errors import InputDataError, InputFileNotFoundError, Problem

__all__ = ["Chunk", "plan_chunks", "read_chunk", "read_parquet_table", "source_columns", "iter_osm_features",
           "source_kind"]

logger = logging.getLogger(__name__)

_PARQUET = (".parquet", ".geoparquet")
_CSV = (".csv", ".txt", ".tsv")
_OSM = (".pbf", ".o5m", ".osm")
_GML = (".gml", ".xml")


def source_kind(path: str | Path) -> str:
    """``"parquet"``, ``"csv"``, ``"osm"``, ``"prg"`` (PRG GML) or ``"ogr"`` (any other vector file)."""
    p = Path(path)
    name = p.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    if name.endswith(_OSM) or name.endswith(".osm.pbf"):
        return "osm"
    if name.endswith(_GML):
        return "prg"
    return "ogr"


@dataclass(frozen=True)
class Chunk:
    """A part of a national layer file read by one task.

    Attributes
    ----------
    path
        The file.
    kind
        :func:`source_kind`.
    index
        Position of the chunk among all chunks of the layer (names its part files).
    row_groups
        Parquet row groups of the chunk.
    skip, count
        Feature range of an OGR file (``count`` 0: to the end).
    """

    path: str
    kind: str
    index: int
    row_groups: tuple[int, ...] = ()
    skip: int = 0
    count: int = 0


def _missing(path: Path) -> InputFileNotFoundError:
    return InputFileNotFoundError(f"input not found: {path}", [Problem(
        file=str(path), message="no such file", fix="check the path")])


def plan_chunks(paths: list[Path], chunk_rows: int, first_index: int = 0) -> list[Chunk]:
    """Split the files of one national layer into chunks of about ``chunk_rows`` rows.

    Parameters
    ----------
    paths
        Files of the layer (e.g. one per voivodeship).
    chunk_rows
        Rows per chunk (whole Parquet row groups; CSV, OSM and PRG GML files are one chunk each).
    first_index
        Index of the first chunk.

    Returns
    -------
    list of Chunk

    Raises
    ------
    InputFileNotFoundError, InputDataError
        A file is missing or unreadable.
    """
    out: list[Chunk] = []
    k = first_index
    for path in paths:
        if not path.exists():
            raise _missing(path)
        kind = source_kind(path)
        if kind == "parquet":
            try:
                meta = pq.ParquetFile(path).metadata
            except Exception as exc:  # pyarrow.ArrowInvalid and OSError: not a Parquet file
                raise _unreadable(path, exc) from None
            group: list[int] = []
            rows = 0
            for rg in range(meta.num_row_groups):
                group.append(rg)
                rows += meta.row_group(rg).num_rows
                if rows >= chunk_rows:
                    out.append(Chunk(str(path), kind, k, tuple(group)))
                    k, group, rows = k + 1, [], 0
            if group or not out or out[-1].path != str(path):
                out.append(Chunk(str(path), kind, k, tuple(group)))
                k += 1
        elif kind == "ogr":
            try:
                n = int(pyogrio.read_info(path, force_feature_count=True)["features"])
            except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
                raise _unreadable(path, exc) from None
            for skip in range(0, max(n, 1), chunk_rows):
                out.append(Chunk(str(path), kind, k, skip=skip, count=min(chunk_rows, n - skip)))
                k += 1
        else:
            out.append(Chunk(str(path), kind, k))
            k += 1
    return out


def _unreadable(path: Path, exc: BaseException) -> InputDataError:
    return InputDataError(f"cannot read {path}", [Problem(
        file=str(path), message=f"not a readable file of its format: {exc}",
        fix="check that the file is complete (GeoParquet, GeoPackage, SHP, FlatGeobuf, CSV, PRG GML, OSM PBF)")])


def _sniff_sep(path: Path) -> str:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        head = fh.readline()
    counts = {sep: head.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda s: (counts[s], s == ","))


def source_columns(path: Path) -> list[str]:
    """Column names of a layer file, read from its header or schema only.

    Raises
    ------
    InputFileNotFoundError, InputDataError
        The file is missing or unreadable.
    """
    if not path.exists():
        raise _missing(path)
    kind = source_kind(path)
    try:
        if kind == "parquet":
            return [str(n) for n in pq.read_schema(path).names]
        if kind == "csv":
            return [str(c) for c in pd.read_csv(path, sep=_sniff_sep(path), nrows=0, encoding="utf-8-sig").columns]
        if kind == "ogr":
            return [str(c) for c in pyogrio.read_info(path)["fields"]]
    except Exception as exc:  # pyarrow / pandas / GDAL errors of a broken file
        raise _unreadable(path, exc) from None
    return ["terc"] if kind == "prg" else []  # PRG GML carries TERC through its xlinks


def read_parquet_table(chunk: Chunk) -> pa.Table:
    """The row groups of a Parquet chunk as an Arrow table (schema metadata kept).

    Raises
    ------
    InputDataError
        The chunk cannot be read.
    """
    path = Path(chunk.path)
    try:
        pf = pq.ParquetFile(path)
        return pf.read_row_groups(list(chunk.row_groups)) if chunk.row_groups else pf.read()
    except Exception as exc:  # pyarrow errors of a broken file
        raise _unreadable(path, exc) from None


def read_chunk(chunk: Chunk, csv_rows: int = 200_000) -> Iterator[pd.DataFrame]:
    """The rows of a chunk, in file order, as (Geo)DataFrames of the file's own columns and CRS.

    CSV files yield blocks of ``csv_rows`` rows of text (every cell a string, the
    file's columns as they are); OSM extracts yield feature tables
    (:func:`iter_osm_features`); PRG GML yields blocks of the ``addresses`` schema.

    Raises
    ------
    InputDataError
        The chunk cannot be read.
    """
    path = Path(chunk.path)
    try:
        if chunk.kind == "parquet":
            table = read_parquet_table(chunk)
            if b"geo" in (table.schema.metadata or {}):
                yield gpd.GeoDataFrame.from_arrow(table)
            else:
                yield table.to_pandas()
        elif chunk.kind == "ogr":
            yield pyogrio.read_dataframe(path, skip_features=chunk.skip, max_features=chunk.count or None)
        elif chunk.kind == "csv":
            yield from pd.read_csv(path, sep=_sniff_sep(path), dtype=str, keep_default_na=False,
                                   encoding="utf-8-sig", chunksize=csv_rows)
        elif chunk.kind == "osm":
            yield from iter_osm_features(path)
        else:
            from planner.scale.prg_stream import iter_prg_gml

            yield from iter_prg_gml(path, rows=csv_rows)
    except (InputDataError, InputFileNotFoundError):
        raise
    except Exception as exc:  # format errors of pyarrow, GDAL, pandas, osmium
        raise _unreadable(path, exc) from None


def iter_osm_features(path: str | Path, *, block: int = 100_000, storage: str = "flex_mem"
                      ) -> Iterator[gpd.GeoDataFrame]:
    """Stream an OSM extract as feature tables of ``block`` features (EPSG:4326).

    One pass of pyosmium with a node-location index (``storage``: any osmium
    index, e.g. ``"dense_file_array,<file>"`` for a whole country on a small
    machine).  The elements and their geometries are those of
    :func:`planner.io.osm.features.iter_elements` without multipolygon
    relations (assembling them keeps ways in memory; buildings mapped as
    relations are rare, roads and poles never are).  Columns: ``element``,
    ``id`` and :data:`planner.io.osm.FEATURE_KEYS`.

    Yields
    ------
    geopandas.GeoDataFrame
    """
    from planner.io.osm.features import Element, features_frame, iter_elements

    rows: list[Element] = []
    for row in iter_elements(Path(path), storage=storage, relations=False):
        rows.append(row)
        if len(rows) >= block:
            yield features_frame(rows)
            rows = []
    if rows:
        yield features_frame(rows)
