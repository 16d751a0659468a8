"""Reading an OSM file (XML or PBF) into a table of tagged features with pyosmium.

One row per node, way or multipolygon relation that carries a tag the planner
uses (:data:`FILTER_KEYS`): ``element``, ``id``, one column per key of
:data:`FEATURE_KEYS` and the geometry in EPSG:4326 (ways clipped by the
extract keep the nodes that are there).  :mod:`planner.io.osm.layers` turns
the table into study-area layers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
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
           "parse_error", "read_features"]

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


def _features_frame(
    elements: list[str], ids: list[int], geoms: Iterable[Any], tags: list[dict[str, str]]
) -> gpd.GeoDataFrame:
    """The intermediate feature table from parallel lists."""
    if not elements:
        return _empty_features()
    frame = pd.DataFrame.from_records(tags, columns=list(FEATURE_KEYS)).astype(object)
    frame.insert(0, "id", np.asarray(ids, dtype="int64"))
    frame.insert(0, "element", pd.array(elements, dtype=object))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"))
    return gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].reset_index(drop=True)


def read_features(path: Path, *, progress: bool) -> gpd.GeoDataFrame:
    """Feature table of an OSM file (XML or PBF), read with pyosmium."""
    wkb = osmium.geom.WKBFactory()
    elements: list[str] = []
    ids: list[int] = []
    geoms: list[Any] = []
    tags: list[dict[str, str]] = []
    clipped = 0
    processor = (
        osmium.FileProcessor(osmium_file(path))
        .with_locations()
        .with_areas(osmium.filter.KeyFilter(*FILTER_KEYS))
        .with_filter(osmium.filter.KeyFilter(*FILTER_KEYS))
    )
    try:
        for obj in tqdm(processor, disable=not progress, unit=" objects", desc=path.name):
            if obj.is_node():
                if not obj.location.valid():
                    continue
                geom = shapely.Point(obj.location.lon, obj.location.lat)
                element = "node"
            elif obj.is_way():
                tag = obj.tags
                geom, complete = _way_geometry(
                    obj, polygon="building" in tag or "highway" not in tag or tag.get("area") == "yes"
                )
                clipped += not complete
                element = "way"
            elif obj.is_area():
                if obj.from_way():  # closed ways are built above, from the way itself
                    continue
                try:
                    geom = shapely.from_wkb(wkb.create_multipolygon(obj), on_invalid="ignore")
                except RuntimeError:
                    logger.warning("%s: cannot build multipolygon r%d", path.name, obj.orig_id())
                    continue
                element = "relation"
            else:  # relations are read as areas
                continue
            if geom is None:
                continue
            elements.append(element)
            ids.append(obj.orig_id() if element == "relation" else obj.id)
            geoms.append(geom)
            tags.append({t.k: t.v for t in obj.tags if t.k in FEATURE_KEY_SET})
    except (RuntimeError, ValueError, OSError, osmium.InvalidLocationError) as exc:  # truncated or corrupted data
        raise parse_error(path, exc) from exc
    if clipped:
        logger.warning(
            "%s: %d ways have nodes outside the extract; kept with the nodes inside it",
            path.name, clipped,
        )
    return _features_frame(elements, ids, geoms, tags)


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
