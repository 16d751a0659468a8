"""Reading an OSM file (XML or PBF) into a table of tagged features with pyosmium.

One row per node, way or multipolygon relation that carries a tag the planner
uses (:data:`FILTER_KEYS`): ``element``, ``id``, one column per key of
:data:`FEATURE_KEYS` and the geometry in EPSG:4326 (ways clipped by the
extract keep the nodes that are there).  :mod:`planner.io.osm.layers` turns
the table into study-area layers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from tqdm import tqdm

from planner._errors import InputDataError, InputFileNotFoundError, Problem

__all__ = ["FEATURE_KEYS", "FILTER_KEYS", "OSMIUM_SUFFIXES", "XML_SUFFIXES", "check_path", "osmium_file",
           "features_frame", "iter_elements", "parse_error", "read_features"]

logger = logging.getLogger(__name__)

FILTER_KEYS: tuple[str, ...] = (
    "highway", "building", "addr:housenumber", "power", "man_made", "telecom",
)

#: Tag keys kept in the intermediate feature table.
FEATURE_KEYS: tuple[str, ...] = (
    *FILTER_KEYS,
    "name", "operator", "surface", "tracktype", "lit", "access", "service", "area",
    "addr:street", "addr:place", "addr:city", "addr:suburb", "addr:postcode",
    "addr:city:simc", "addr:street:sym_ul", "teryt:simc", "teryt:terc",
    "shop", "amenity", "office", "craft", "tourism",
    "utility", "street_cabinet", "support", "lamp_mount",
)

FEATURE_KEY_SET = frozenset(FEATURE_KEYS)

XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml")
OSMIUM_SUFFIXES = (".osm.pbf", ".pbf", ".o5m")


def check_path(path: str | Path) -> Path:
    """``path`` as a Path, checked to exist and to have an OSM suffix."""
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(
            f"{path}: file not found",
            [Problem(file=str(path), message="OSM file not found",
                     fix="check the path (OSM extracts are in data/osm/)")],
        )
    name = path.name.lower()
    if not name.endswith(XML_SUFFIXES + OSMIUM_SUFFIXES):
        raise InputDataError(
            f"{path}: not an OSM file",
            [Problem(file=str(path), message=f"unknown OSM file type {path.suffix!r}",
                     fix="give an .osm (XML, also .osm.gz or .osm.bz2) or .osm.pbf file")],
        )
    return path


def osmium_file(path: Path) -> Any:
    """An :class:`osmium.io.File` with the format forced for ``.xml`` names."""
    if path.name.lower().endswith(".xml"):
        return osmium.io.File(str(path), "osm")
    return str(path)


def parse_error(path: Path, exc: Exception) -> InputDataError:
    """The one clear error for an OSM file pyosmium cannot read (truncated, corrupted)."""
    return InputDataError(
        f"{path}: cannot read OSM data",
        [Problem(file=str(path), message=f"cannot parse the file: {exc}",
                 fix="check that the file is a complete OSM XML or PBF extract")],
    )


def _empty_features() -> gpd.GeoDataFrame:
    data = {"element": pd.Series([], dtype=object), "id": pd.Series([], dtype="int64")}
    data.update({k: pd.Series([], dtype=object) for k in FEATURE_KEYS})
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


#: One tagged OSM element: kind (``node``/``way``/``relation``), id, geometry (EPSG:4326),
#: the tags of :data:`FEATURE_KEYS`, and whether all its nodes were in the file.
Element = tuple[str, int, Any, dict[str, str], bool]


def iter_elements(path: Path, *, storage: str = "flex_mem", relations: bool = True,
                  progress: bool = False) -> Iterator[Element]:
    """The tagged elements of an OSM file (XML or PBF) in file order, read with pyosmium.

    Tagged nodes become points and ways lines, or polygons when closed and area-like
    (``building``, ``area=yes`` or no ``highway``; see :func:`_way_geometry`).  With
    ``relations``, multipolygon relations become (multi)polygons; that keeps their ways
    in memory, so the streamed national reads of :mod:`planner.scale` switch it off
    (buildings mapped as relations are rare; roads and poles never are).

    Parameters
    ----------
    path
        The OSM file.
    storage
        osmium node-location index (e.g. ``"dense_file_array,<file>"`` for a whole
        country on a small machine).
    relations
        Assemble multipolygon relations.
    progress
        Show a tqdm bar of the objects read.

    Yields
    ------
    Element

    Raises
    ------
    RuntimeError, ValueError, OSError, osmium.InvalidLocationError
        Truncated or corrupted data (callers turn them into :class:`InputDataError`).
    """
    wkb = osmium.geom.WKBFactory()
    processor = osmium.FileProcessor(osmium_file(path)).with_locations(storage)
    if relations:
        processor = processor.with_areas(osmium.filter.KeyFilter(*FILTER_KEYS))
    processor = processor.with_filter(osmium.filter.KeyFilter(*FILTER_KEYS))
    for obj in tqdm(processor, disable=not progress, unit=" objects", desc=path.name):
        complete = True
        if obj.is_node():
            if not obj.location.valid():
                continue
            geom = shapely.Point(obj.location.lon, obj.location.lat)
            element, oid = "node", obj.id
        elif obj.is_way():
            tag = obj.tags
            geom, complete = _way_geometry(
                obj, polygon="building" in tag or "highway" not in tag or tag.get("area") == "yes"
            )
            element, oid = "way", obj.id
        elif obj.is_area():
            if obj.from_way():  # closed ways are built above, from the way itself
                continue
            try:
                geom = shapely.from_wkb(wkb.create_multipolygon(obj), on_invalid="ignore")
            except RuntimeError:
                logger.warning("%s: cannot build multipolygon r%d", path.name, obj.orig_id())
                continue
            element, oid = "relation", obj.orig_id()
        else:  # relations are read as areas
            continue
        if geom is None:
            continue
        yield element, oid, geom, {t.k: t.v for t in obj.tags if t.k in FEATURE_KEY_SET}, complete


def features_frame(elements: Iterable[Element]) -> gpd.GeoDataFrame:
    """The feature table of some elements (empty or missing geometries dropped).

    Parameters
    ----------
    elements
        From :func:`iter_elements`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``element``, ``id``, :data:`FEATURE_KEYS`, geometry (EPSG:4326).
    """
    rows = list(elements)
    if not rows:
        return _empty_features()
    kinds, ids, geoms, tags, _ = zip(*rows)
    frame = pd.DataFrame.from_records(list(tags), columns=list(FEATURE_KEYS)).astype(object)
    frame.insert(0, "id", np.asarray(ids, dtype="int64"))
    frame.insert(0, "element", pd.array(list(kinds), dtype=object))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"))
    return gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].reset_index(drop=True)


def read_features(path: Path, *, progress: bool) -> gpd.GeoDataFrame:
    """Feature table of an OSM file (XML or PBF), read with pyosmium.

    Raises
    ------
    InputDataError
        The file is truncated or corrupted.
    """
    try:
        rows = list(iter_elements(path, progress=progress))
    except (RuntimeError, ValueError, OSError, osmium.InvalidLocationError) as exc:  # truncated or corrupted data
        raise parse_error(path, exc) from exc
    clipped = sum(not r[4] for r in rows)
    if clipped:
        logger.warning(
            "%s: %d ways have nodes outside the extract; kept with the nodes inside it",
            path.name, clipped,
        )
    return features_frame(rows)


def _way_geometry(way: Any, *, polygon: bool) -> tuple[shapely.Geometry | None, bool]:
    """Geometry of an osmium way (node locations cached), and whether it is complete.

    A closed way becomes a Polygon when ``polygon`` is true, otherwise a
    LineString.  A way clipped by the extract (some nodes outside the file)
    keeps the nodes that are there: a polygon of them if it still has three,
    a line if it has two, else a point.
    """
    coords = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
    complete = len(coords) == len(way.nodes)
    if not coords:
        return None, complete
    closed = way.is_closed() if complete else coords[0] == coords[-1] or polygon
    if polygon and closed and len(set(coords)) >= 3:
        ring = shapely.Polygon(coords if coords[0] == coords[-1] else [*coords, coords[0]])
        if ring.is_valid:
            return ring, complete
        fixed = shapely.make_valid(ring, method="structure", keep_collapsed=False)
        if not fixed.is_empty:
            return fixed, complete
    if (polygon and closed) or len(set(coords)) < 2:
        return shapely.MultiPoint(coords).centroid, complete
    return shapely.LineString(coords), complete
