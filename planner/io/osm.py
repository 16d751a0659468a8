"""Read OpenStreetMap extracts into study-area layers.

OSM XML (``.osm``, ``.osm.bz2``, ``.xml``) and PBF (``.osm.pbf``, ``.o5m``)
files are read offline by one reader built on pyosmium: node locations are
cached (:meth:`osmium.FileProcessor.with_locations`) and multipolygon
relations are assembled by osmium's area manager
(:meth:`osmium.FileProcessor.with_areas`).  One reader for both formats means
one set of rules; osmnx (:func:`osmnx.features_from_xml`,
:func:`osmnx.graph_from_xml`) is the independent oracle the tests compare the
XML results against.  Unlike osmnx, ways clipped by the extract (some of their
nodes are not in the file, as in extracts cut by a bounding box) are kept with
the nodes that are there instead of being dropped.

The reader produces a table of *features* (one row per node, way or
multipolygon relation carrying a tag the planner uses, geometry in EPSG:4326,
one column per tag key of interest) and one function turns that table into
the layers of :mod:`planner.schema`.  The rules:

Roads
    Ways with ``highway`` in :data:`ROAD_CLASSES`: every vehicular class except
    motorways (a cable may not run along a motorway without the motorway
    operator's agreement, and no access point can hang off it), plus
    ``living_street``, ``service``, ``track``, ``pedestrian`` and ``road``.
    Footways, paths, cycleways, steps and bridleways are left out: in a village
    the cable follows the street, not the path beside it, and in towns the
    footway usually runs along a street that is kept anyway [A].  Areas
    (``area=yes``) and ways under construction or proposed are left out.
    Ways are split at every vertex they share with another kept way (or with
    themselves), so each output LineString ends at intersections; ids are
    ``w{way_id}_{k}``, ``k`` counting the pieces of a way from its first node.
    ``surface`` is ``'unpaved'`` for the OSM unpaved surfaces
    (:data:`UNPAVED_SURFACES`), and for ``highway=track`` or a ``tracktype`` of
    grade 2-5 with no ``surface`` tag; otherwise ``'paved'``.  ``lit`` is true
    unless ``lit`` is missing or one of ``no``, ``disused``, ``none``,
    ``unknown`` (OSM also uses times and ``automatic``, ``limited``, ...).
    ``private`` is true for ``access`` in ``{private, no}``.  A
    ``service=driveway`` is *not* private: it leads to the one house it
    serves, whose drop would use it anyway; consent for crossing private land
    is the job of the parcels layer [A].
Addresses
    Every node, way and multipolygon relation with ``addr:housenumber``; ways
    and relations are placed at their representative point.  An address node
    inside a polygon that carries the same address (street or place, house
    number) is dropped as a duplicate; the polygon keeps the address (and
    becomes a business if the node was one).  ``locality`` is ``addr:city``,
    else ``addr:place``, else ``addr:suburb``.  ``street`` is ``addr:street``;
    where there is none, ``addr:place`` is the street only if ``addr:city``
    names a different locality (a named square or estate within a town);
    otherwise the address has no street, as in PRG (Polish OSM tags
    "Widawka 25" as ``addr:place=Widawka``).  TERYT codes come from
    ``addr:city:simc`` (else ``teryt:simc``), ``addr:street:sym_ul`` and
    ``teryt:terc`` where present, else ``''``.  ``is_business`` is true where
    a ``shop``, ``amenity``, ``office`` or ``craft`` tag is present.
Buildings
    ``building=*`` (except ``no``) polygons from ways and multipolygon
    relations; building nodes, and building ways clipped by the extract to
    fewer than three nodes, as points.  ``use`` from the building value,
    see :data:`BUILDING_USE`: ``cabin``, ``bungalow`` (in Polish OSM "prosty
    jednokondygnacyjny letniskowy domek") and ``static_caravan``, or any
    building with ``tourism=chalet``, are summer houses; unknown values and
    ``yes`` are residential.
Poles
    Nodes only.  ``power=pole`` -> ``power``; ``man_made=utility_pole`` ->
    by its ``utility`` tag (``power`` -> power, ``street_lighting`` ->
    commune_lighting, ``telecom`` -> telecom); a utility pole without
    ``utility`` that also carries a street lamp is a lighting pole, any other
    is ``telecom``; ``highway=street_lamp`` -> ``commune_lighting``.  A lamp
    whose ``support``/``lamp_mount`` says it is not on a pole (wall, wire,
    ceiling, ground, ...) is kept with ``usable=False``.
POPs
    ``man_made=street_cabinet`` with ``street_cabinet=telecom``,
    ``telecom=exchange`` / ``central_office`` and ``building=telecom`` (nodes,
    or the representative point of ways and relations).  There may be none:
    the pipeline then proposes one (:mod:`planner.network.pop`).
Ducts, coverage, parcels
    OSM has no such data; the layers are empty.
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
import pyproj
import shapely
from tqdm import tqdm

from planner._errors import ConfigError, InputDataError, InputFileNotFoundError, Problem
from planner.area import empty_layer
from planner.schema import LAYERS, WORKING_CRS

__all__ = [
    "BUILDING_USE",
    "ROAD_CLASSES",
    "UNPAVED_SURFACES",
    "osm_bounds",
    "read_osm",
]

logger = logging.getLogger(__name__)

#: ``highway`` values kept as roads the cable may follow (see module docstring).
ROAD_CLASSES: frozenset[str] = frozenset(
    {
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
        "service", "track", "pedestrian", "road", "busway",
    }
)

#: OSM ``surface`` values counted as unpaved (OSM wiki, Key:surface, "unpaved" group).
UNPAVED_SURFACES: frozenset[str] = frozenset(
    {
        "unpaved", "gravel", "dirt", "ground", "grass", "sand", "compacted", "fine_gravel",
        "earth", "mud", "pebblestone", "rock", "woodchips", "clay", "shells", "salt", "snow", "ice",
    }
)

#: ``lit`` values meaning "not lit"; every other value (yes, 24/7, automatic, times...) is lit.
_NOT_LIT = frozenset({"no", "disused", "none", "unknown", "false", "0"})

#: ``access`` values that make a road private.
_PRIVATE_ACCESS = frozenset({"private", "no"})

#: ``tracktype`` grades that are unpaved when no ``surface`` is given (grade1 = paved).
_UNPAVED_TRACKTYPES = frozenset({"grade2", "grade3", "grade4", "grade5"})

#: ``building`` value -> building use of :data:`planner.schema.BUILDING_USES`.
#: Values not listed are ``residential``.  Sources: OSM wiki Key:building.
BUILDING_USE: dict[str, str] = {
    **dict.fromkeys(("cabin", "bungalow", "static_caravan"), "summer_house"),
    **dict.fromkeys(
        ("commercial", "retail", "office", "industrial", "warehouse", "supermarket", "kiosk",
         "hotel", "manufacture", "factory", "service"),
        "commercial",
    ),
    **dict.fromkeys(
        ("farm", "barn", "farm_auxiliary", "cowshed", "stable", "sty", "greenhouse", "silo",
         "slurry_tank", "livestock"),
        "farm",
    ),
    **dict.fromkeys(
        ("public", "school", "university", "college", "kindergarten", "hospital", "civic",
         "government", "church", "chapel", "cathedral", "mosque", "synagogue", "temple",
         "religious", "monastery", "fire_station", "townhall", "train_station",
         "transportation", "sports_hall", "stadium", "museum", "library"),
        "public",
    ),
    **dict.fromkeys(
        ("garage", "garages", "shed", "carport", "roof", "hut", "ruins", "construction",
         "parking", "toilets", "transformer_tower", "water_tower", "bunker", "container",
         "boathouse", "bridge", "tower", "storage_tank", "allotment_house", "gatehouse",
         "digester", "shelter"),
        "other",
    ),
}

#: ``support`` / ``lamp_mount`` values of a street lamp that is not on a pole.
_NOT_ON_POLE = frozenset(
    {"wall_mounted", "wall", "suspended", "suspension", "wire", "ceiling", "ground",
     "bridge", "building", "roof"}
)

#: Tag keys of which at least one must be present for an element to be read.
_FILTER_KEYS: tuple[str, ...] = (
    "highway", "building", "addr:housenumber", "power", "man_made", "telecom",
)

#: Tag keys kept in the intermediate feature table.
_KEEP_KEYS: tuple[str, ...] = (
    *_FILTER_KEYS,
    "name", "operator", "surface", "tracktype", "lit", "access", "service", "area",
    "addr:street", "addr:place", "addr:city", "addr:suburb", "addr:postcode",
    "addr:city:simc", "addr:street:sym_ul", "teryt:simc", "teryt:terc",
    "shop", "amenity", "office", "craft", "tourism",
    "utility", "street_cabinet", "support", "lamp_mount",
)

_KEEP_SET = frozenset(_KEEP_KEYS)
_XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml")
_OSMIUM_SUFFIXES = (".osm.pbf", ".pbf", ".o5m")
_PREFIX = {"node": "n", "way": "w", "relation": "r"}
_ELEMENT_ORDER = {"node": 0, "way": 1, "relation": 2}

#: Centre of a study area inside this lon/lat box -> EPSG:2180 under ``crs="auto"``.
_POLAND_LONLAT = (14.07, 49.0, 24.15, 54.84)


# --------------------------------------------------------------------------- API


def read_osm(
    path: str | Path,
    crs: str = WORKING_CRS,
    *,
    progress: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """Read an OpenStreetMap extract into the layers of a study area.

    Parameters
    ----------
    path
        OSM XML (``.osm``, ``.osm.bz2``) or PBF (``.osm.pbf``) file.
    crs
        CRS of the returned layers.  ``"auto"`` picks EPSG:2180 when the centre
        of the data lies in Poland and the local UTM zone otherwise (logged).
    progress
        Show a tqdm progress bar while reading the file.

    Returns
    -------
    layers
        ``roads``, ``addresses``, ``buildings``, ``poles``, ``pops`` and the
        empty ``ducts``, ``coverage`` and ``parcels``, each with the columns
        and dtypes of :mod:`planner.schema`, sorted by element type and OSM id.

    Raises
    ------
    InputFileNotFoundError
        If ``path`` does not exist.
    InputDataError
        If the file format is unknown or the file cannot be parsed.
    ConfigError
        If ``crs`` is not a CRS pyproj knows.

    Notes
    -----
    The rules that map OSM tags onto layers are described in the module
    docstring of :mod:`planner.io.osm`.
    """
    path = _check_path(path)
    features = _osmium_features(path, progress=progress)
    logger.info("%s: read %d tagged OSM features", path.name, len(features))
    out_crs = _resolve_crs(features, crs, path)
    return _build_layers(features.to_crs(out_crs), out_crs)


def osm_bounds(path: str | Path) -> tuple[float, float, float, float]:
    """Extent of the nodes of an OSM file.

    Parameters
    ----------
    path
        OSM XML or PBF file.

    Returns
    -------
    bounds
        ``(minlon, minlat, maxlon, maxlat)`` of all nodes with a location (the
        data, not the ``<bounds>`` element or header box, which may be larger).

    Raises
    ------
    InputFileNotFoundError
        If ``path`` does not exist.
    InputDataError
        If the file cannot be parsed or has no nodes.
    """
    path = _check_path(path)
    lon_min = lat_min = np.inf
    lon_max = lat_max = -np.inf
    try:
        for node in osmium.FileProcessor(_osmium_file(path), osmium.osm.NODE):
            loc = node.location
            if loc.valid():
                lon, lat = loc.lon, loc.lat
                lon_min, lon_max = min(lon_min, lon), max(lon_max, lon)
                lat_min, lat_max = min(lat_min, lat), max(lat_max, lat)
    except (RuntimeError, ValueError, OSError, osmium.InvalidLocationError) as exc:  # truncated or corrupted data
        raise _parse_error(path, exc) from exc
    if not np.isfinite(lon_min):
        raise InputDataError(
            f"{path}: no OSM nodes",
            [Problem(file=str(path), message="the file has no nodes with a location",
                     fix="give an OSM extract that covers the study area")],
        )
    return (float(lon_min), float(lat_min), float(lon_max), float(lat_max))


# ----------------------------------------------------------------- file readers


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(
            f"{path}: file not found",
            [Problem(file=str(path), message="OSM file not found",
                     fix="check the path (OSM extracts are in data/osm/)")],
        )
    name = path.name.lower()
    if not name.endswith(_XML_SUFFIXES + _OSMIUM_SUFFIXES):
        raise InputDataError(
            f"{path}: not an OSM file",
            [Problem(file=str(path), message=f"unknown OSM file type {path.suffix!r}",
                     fix="give an .osm (XML, also .osm.gz or .osm.bz2) or .osm.pbf file")],
        )
    return path


def _osmium_file(path: Path) -> Any:
    """An :class:`osmium.io.File` with the format forced for ``.xml`` names."""
    if path.name.lower().endswith(".xml"):
        return osmium.io.File(str(path), "osm")
    return str(path)


def _parse_error(path: Path, exc: Exception) -> InputDataError:
    return InputDataError(
        f"{path}: cannot read OSM data",
        [Problem(file=str(path), message=f"cannot parse the file: {exc}",
                 fix="check that the file is a complete OSM XML or PBF extract")],
    )


def _empty_features() -> gpd.GeoDataFrame:
    data = {"element": pd.Series([], dtype=object), "id": pd.Series([], dtype="int64")}
    data.update({k: pd.Series([], dtype=object) for k in _KEEP_KEYS})
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def _features_frame(
    elements: list[str], ids: list[int], geoms: Iterable[Any], tags: list[dict[str, str]]
) -> gpd.GeoDataFrame:
    """The intermediate feature table from parallel lists."""
    if not elements:
        return _empty_features()
    frame = pd.DataFrame.from_records(tags, columns=list(_KEEP_KEYS)).astype(object)
    frame.insert(0, "id", np.asarray(ids, dtype="int64"))
    frame.insert(0, "element", pd.array(elements, dtype=object))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"))
    return gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].reset_index(drop=True)


def _osmium_features(path: Path, *, progress: bool) -> gpd.GeoDataFrame:
    """Feature table of an OSM file (XML or PBF), read with pyosmium."""
    wkb = osmium.geom.WKBFactory()
    elements: list[str] = []
    ids: list[int] = []
    geoms: list[Any] = []
    tags: list[dict[str, str]] = []
    clipped = 0
    processor = (
        osmium.FileProcessor(_osmium_file(path))
        .with_locations()
        .with_areas(osmium.filter.KeyFilter(*_FILTER_KEYS))
        .with_filter(osmium.filter.KeyFilter(*_FILTER_KEYS))
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
            tags.append({t.k: t.v for t in obj.tags if t.k in _KEEP_SET})
    except (RuntimeError, ValueError, OSError, osmium.InvalidLocationError) as exc:  # truncated or corrupted data
        raise _parse_error(path, exc) from exc
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


# --------------------------------------------------------------------- layers


def _resolve_crs(features: gpd.GeoDataFrame, crs: str, path: Path) -> str:
    """The output CRS: ``crs`` itself, or the one ``"auto"`` stands for."""
    if crs.lower() != "auto":
        try:
            pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise ConfigError(
                f"unknown CRS {crs!r}",
                [Problem(file=str(path), message=f"cannot use CRS {crs!r}: {exc}",
                         fix='give an EPSG code such as "EPSG:2180", or "auto"')],
            ) from exc
        return crs
    if features.empty:
        logger.info("%s: no features, CRS %s", path.name, WORKING_CRS)
        return WORKING_CRS
    minx, miny, maxx, maxy = features.total_bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    pl = _POLAND_LONLAT
    if pl[0] <= lon <= pl[2] and pl[1] <= lat <= pl[3]:
        chosen = WORKING_CRS
        why = "inside Poland"
    else:
        chosen = features.estimate_utm_crs().to_string()
        why = "outside Poland: local UTM zone"
    logger.info("%s: data centre %.4f E %.4f N, %s -> CRS %s", path.name, lon, lat, why, chosen)
    return chosen


def _build_layers(features: gpd.GeoDataFrame, crs: str) -> dict[str, gpd.GeoDataFrame]:
    """All layers of a study area from the feature table (already in ``crs``)."""
    features = _sort_features(features)
    layers = {
        "roads": _roads(features, crs),
        "addresses": _addresses(features, crs),
        "buildings": _buildings(features, crs),
        "poles": _poles(features, crs),
        "pops": _pops(features, crs),
    }
    for name in ("ducts", "coverage", "parcels"):
        layers[name] = empty_layer(name, crs)
    for name, gdf in layers.items():
        logger.info("OSM layer %s: %d features", name, len(gdf))
    return layers


def _sort_features(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    order = features["element"].map(_ELEMENT_ORDER).astype("int64")
    keys = np.lexsort((features["id"].to_numpy(), order.to_numpy()))
    return features.iloc[keys].reset_index(drop=True)


def _osm_ids(features: pd.DataFrame) -> np.ndarray:
    """``n123`` / ``w456`` / ``r789`` ids."""
    prefix = features["element"].map(_PREFIX).to_numpy(dtype=object)
    return (prefix + features["id"].astype(str).to_numpy(dtype=object)).astype(object)


def _tag(features: pd.DataFrame, key: str) -> pd.Series:
    """Tag values as an object Series with ``''`` where the tag is missing."""
    return features[key].fillna("").astype(object)


def _layer(name: str, data: dict[str, Any], geometry: Any, crs: str) -> gpd.GeoDataFrame:
    """A layer with exactly the schema's columns (in order) and dtypes."""
    spec = LAYERS[name]
    if len(geometry) == 0:
        return empty_layer(spec, crs)
    cols = {}
    for col in spec.columns:
        values = data[col.name] if col.name in data else [col.default] * len(geometry)
        if col.dtype == "str":
            cols[col.name] = pd.Series(np.asarray(values, dtype=object), dtype=object)
        elif col.dtype == "bool":
            cols[col.name] = pd.Series(np.asarray(values, dtype=bool))
        else:
            cols[col.name] = pd.Series(values)
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(np.asarray(geometry), crs=crs), crs=crs)


def _point_of(geoms: gpd.GeoSeries) -> np.ndarray:
    """Points as they are, other geometries at their representative point."""
    arr = geoms.to_numpy()
    is_point = shapely.get_type_id(arr) == 0
    return np.where(is_point, arr, shapely.point_on_surface(arr))


# ----- roads


def _roads(features: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    hw = _tag(features, "highway")
    gtype = features.geom_type
    mask = (
        (features["element"] == "way")
        & hw.isin(ROAD_CLASSES)
        & (_tag(features, "area") != "yes")
        & gtype.isin(["LineString", "Polygon"])
    )
    ways = features[mask].reset_index(drop=True)
    if ways.empty:
        return empty_layer("roads", crs)
    geoms = ways.geometry.to_numpy()
    is_poly = shapely.get_type_id(geoms) == 3
    geoms = np.where(is_poly, shapely.get_exterior_ring(geoms), geoms)
    lines, way_index, piece = _node_lines(geoms)

    way_id = ways["id"].to_numpy()[way_index]
    highway = _tag(ways, "highway").to_numpy(dtype=object)
    surface = _tag(ways, "surface")
    tracktype = _tag(ways, "tracktype")
    unpaved = surface.isin(UNPAVED_SURFACES) | (
        (surface == "") & ((_tag(ways, "highway") == "track") | tracktype.isin(_UNPAVED_TRACKTYPES))
    )
    lit = _tag(ways, "lit").str.lower()
    lit_b = (lit != "") & ~lit.isin(_NOT_LIT)
    private = _tag(ways, "access").isin(_PRIVATE_ACCESS)
    data = {
        "id": [f"w{w}_{k}" for w, k in zip(way_id.tolist(), piece.tolist())],
        "highway": highway[way_index],
        "name": _tag(ways, "name").to_numpy(dtype=object)[way_index],
        "surface": np.where(unpaved.to_numpy(), "unpaved", "paved").astype(object)[way_index],
        "lit": lit_b.to_numpy()[way_index],
        "private": private.to_numpy()[way_index],
    }
    return _layer("roads", data, lines, crs)


def _node_lines(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split LineStrings at every vertex shared with another (or the same) line.

    Parameters
    ----------
    geoms
        LineStrings.

    Returns
    -------
    lines, source, piece
        The pieces (each with at least two distinct vertices), the index in
        ``geoms`` each comes from, and its number within that line (from 0).
    """
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    # drop repeated consecutive vertices of a line (the same node twice)
    dup = np.zeros(len(coords), dtype=bool)
    dup[1:] = (idx[1:] == idx[:-1]) & (coords[1:] == coords[:-1]).all(axis=1)
    coords, idx = coords[~dup], idx[~dup]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = idx[1:] != idx[:-1]
    last = np.ones(len(idx), dtype=bool)
    last[:-1] = idx[1:] != idx[:-1]
    # lines reduced to a single vertex are dropped
    single = first & last
    if single.any():
        keep = ~np.isin(idx, idx[single])
        coords, idx, first, last = coords[keep], idx[keep], first[keep], last[keep]
    if len(coords) == 0:
        return np.array([], dtype=object), np.array([], dtype=np.int64), np.array([], dtype=np.int64)

    _, inverse, counts = np.unique(coords, axis=0, return_inverse=True, return_counts=True)
    split = (counts[inverse.ravel()] > 1) & ~first & ~last
    before = np.cumsum(split) - split  # splits strictly before each vertex (global)
    start_of_line = np.flatnonzero(first)
    line_rank = np.cumsum(first) - 1  # 0..n_lines-1 for each vertex
    piece = before - before[start_of_line][line_rank]

    # a split vertex ends one piece and starts the next one
    pos = np.arange(len(coords))
    pos = np.concatenate([pos, pos[split]])
    piece = np.concatenate([piece, piece[split] + 1])
    src = np.concatenate([idx, idx[split]])
    order = np.lexsort((pos, piece, src))
    pos, piece, src = pos[order], piece[order], src[order]
    new_piece = np.ones(len(src), dtype=bool)
    new_piece[1:] = (src[1:] != src[:-1]) | (piece[1:] != piece[:-1])
    piece_index = np.cumsum(new_piece) - 1
    lines = shapely.linestrings(coords[pos], indices=piece_index)
    return lines, src[new_piece].astype(np.int64), piece[new_piece].astype(np.int64)


# ----- addresses


def _addresses(features: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    feats = features[_tag(features, "addr:housenumber").str.strip() != ""].reset_index(drop=True)
    if feats.empty:
        return empty_layer("addresses", crs)
    city = _tag(feats, "addr:city")
    place = _tag(feats, "addr:place")
    street = _tag(feats, "addr:street")
    place_is_street = (street == "") & (place != "") & (city != "") & (city != place)
    street = street.where(street != "", place.where(place_is_street, ""))
    locality = city.where(city != "", place.where(place != "", _tag(feats, "addr:suburb")))
    house = _tag(feats, "addr:housenumber").str.strip()
    business = pd.Series(False, index=feats.index)
    for key in ("shop", "amenity", "office", "craft"):
        business |= _tag(feats, key) != ""

    keep, business = _dedupe_address_nodes(feats, street.where(street != "", locality), house, business)
    simc = _tag(feats, "addr:city:simc")
    simc = simc.where(simc != "", _tag(feats, "teryt:simc"))
    # Stages key localities by SIMC; where OSM carries no TERYT code (outside Poland,
    # or untagged), a stable synthetic key derived from the locality name stands in.
    simc = simc.where(simc != "", locality.map(_synthetic_simc))
    data = {
        "id": _osm_ids(feats),
        "terc": _tag(feats, "teryt:terc").to_numpy(dtype=object),
        "simc": simc.to_numpy(dtype=object),
        "ulic": _tag(feats, "addr:street:sym_ul").to_numpy(dtype=object),
        "locality": locality.to_numpy(dtype=object),
        "street": street.to_numpy(dtype=object),
        "house_number": house.to_numpy(dtype=object),
        "postcode": _tag(feats, "addr:postcode").to_numpy(dtype=object),
        "is_business": business.to_numpy(),
        "status": np.full(len(feats), "istniejacy", dtype=object),
    }
    data = {k: np.asarray(v)[keep] for k, v in data.items()}
    return _layer("addresses", data, _point_of(feats.geometry)[keep], crs)


def _synthetic_simc(locality: str) -> str:
    """Stable locality key ``OSM-xxxxxxxx`` for addresses without a TERYT SIMC code."""
    import hashlib

    return "OSM-" + hashlib.sha1(locality.strip().casefold().encode("utf-8")).hexdigest()[:8]


def _dedupe_address_nodes(
    feats: gpd.GeoDataFrame, street: pd.Series, house: pd.Series, business: pd.Series
) -> tuple[np.ndarray, pd.Series]:
    """Rows to keep: address nodes inside a polygon with the same address are dropped.

    The polygon inherits ``is_business`` from the node it absorbs.
    """
    keep = np.ones(len(feats), dtype=bool)
    business = business.copy()
    is_node = (feats["element"] == "node").to_numpy()
    is_poly = feats.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not is_node.any() or not is_poly.any():
        return keep, business
    nodes = np.flatnonzero(is_node)
    polys = np.flatnonzero(is_poly)
    poly_gs = feats.geometry.iloc[polys].reset_index(drop=True)
    n_i, p_i = poly_gs.sindex.query(feats.geometry.iloc[nodes], predicate="within")
    node_rows, poly_rows = nodes[n_i], polys[p_i]
    key = (street.str.casefold() + "\x00" + house.str.casefold()).to_numpy(dtype=object)
    same = key[node_rows] == key[poly_rows]
    node_rows, poly_rows = node_rows[same], poly_rows[same]
    keep[node_rows] = False
    absorbed = business.to_numpy()[node_rows]
    business.iloc[poly_rows[absorbed]] = True
    return keep, business


# ----- buildings


def _buildings(features: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    value = _tag(features, "building")
    gtype = features.geom_type
    # points: building nodes, and ways clipped by the extract to one or two nodes
    usable = gtype.isin(["Polygon", "MultiPolygon", "Point"])
    feats = features[(value != "") & (value != "no") & usable].reset_index(drop=True)
    if feats.empty:
        return empty_layer("buildings", crs)
    value = _tag(feats, "building")
    use = value.map(BUILDING_USE).fillna("residential").astype(object)
    use = use.where(_tag(feats, "tourism") != "chalet", "summer_house")
    data = {"id": _osm_ids(feats), "use": use.to_numpy(dtype=object)}
    return _layer("buildings", data, feats.geometry.to_numpy(), crs)


# ----- poles


def _poles(features: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    nodes = features[features["element"] == "node"]
    power_pole = _tag(nodes, "power") == "pole"
    utility_pole = _tag(nodes, "man_made") == "utility_pole"
    lamp = _tag(nodes, "highway") == "street_lamp"
    feats = nodes[power_pole | utility_pole | lamp].reset_index(drop=True)
    if feats.empty:
        return empty_layer("poles", crs)
    power_pole = (_tag(feats, "power") == "pole").to_numpy()
    utility_pole = (_tag(feats, "man_made") == "utility_pole").to_numpy()
    lamp = (_tag(feats, "highway") == "street_lamp").to_numpy()
    utility = _tag(feats, "utility").str.lower()
    u_power = utility.str.contains("power", regex=False).to_numpy()
    u_light = utility.str.contains("lighting", regex=False).to_numpy()
    u_telecom = utility.str.contains("telecom", regex=False).to_numpy()
    owner = np.select(
        [
            power_pole,
            utility_pole & u_power,
            utility_pole & u_light,
            utility_pole & u_telecom,
            lamp,
        ],
        ["power", "power", "commune_lighting", "telecom", "commune_lighting"],
        default="telecom",
    ).astype(object)
    mount = (_tag(feats, "support").str.lower().isin(_NOT_ON_POLE)
             | _tag(feats, "lamp_mount").str.lower().isin(_NOT_ON_POLE)).to_numpy()
    usable = ~(mount & lamp & ~power_pole & ~utility_pole)
    data = {"id": _osm_ids(feats), "owner": owner, "usable": usable}
    return _layer("poles", data, feats.geometry.to_numpy(), crs)


# ----- POPs


def _pops(features: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    cabinet = (_tag(features, "man_made") == "street_cabinet") & (
        _tag(features, "street_cabinet") == "telecom"
    )
    exchange = _tag(features, "telecom").isin(["exchange", "central_office"])
    exchange |= _tag(features, "building") == "telecom"  # telecom buildings are POP sites too
    feats = features[cabinet | exchange].reset_index(drop=True)
    if feats.empty:
        logger.info("no telecom site in the OSM data: a POP will be proposed")
        return empty_layer("pops", crs)
    kind = np.where(
        (_tag(feats, "telecom").isin(["exchange", "central_office"]) | (_tag(feats, "building") == "telecom"))
        .to_numpy(), "telecom exchange", "telecom street cabinet",
    )
    name = _tag(feats, "name")
    name = name.where(name != "", _tag(feats, "operator"))
    label = np.where(name.to_numpy(dtype=object) != "", name.to_numpy(dtype=object), kind)
    data = {"id": _osm_ids(feats), "name": label.astype(object)}
    return _layer("pops", data, _point_of(feats.geometry), crs)


# --------------------------------------------------------------------------- issue #19
# Hook for planner.scale: a national extract is streamed once and partitioned by commune
# as a feature table (columns ``element``, ``id``, FEATURE_KEYS, geometry in EPSG:4326,
# as _osmium_features builds it); each commune's part becomes layers by the same rules.

#: Tag keys of the feature table (an element is read if it has one of FILTER_KEYS).
FEATURE_KEYS: tuple[str, ...] = _KEEP_KEYS
FILTER_KEYS: tuple[str, ...] = _FILTER_KEYS


def layers_from_features(features: gpd.GeoDataFrame, crs: str = WORKING_CRS) -> dict[str, gpd.GeoDataFrame]:
    """Study-area layers from an OSM feature table (EPSG:4326), as :func:`read_osm` builds them."""
    return _build_layers(features.to_crs(crs), crs)
