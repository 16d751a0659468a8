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
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium

from planner._errors import InputDataError, Problem
from planner.io.osm.features import FEATURE_KEYS, FILTER_KEYS, check_path, osmium_file, parse_error, read_features
from planner.io.osm.layers import (
    BUILDING_USE,
    ROAD_CLASSES,
    UNPAVED_SURFACES,
    build_layers,
    layers_from_features,
    node_lines,
    resolve_crs,
)
from planner.schema import WORKING_CRS

__all__ = [
    "BUILDING_USE",
    "FEATURE_KEYS",
    "FILTER_KEYS",
    "ROAD_CLASSES",
    "UNPAVED_SURFACES",
    "layers_from_features",
    "node_lines",
    "osm_bounds",
    "read_osm",
]

logger = logging.getLogger(__name__)


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
    path = check_path(path)
    features = read_features(path, progress=progress)
    logger.info("%s: read %d tagged OSM features", path.name, len(features))
    out_crs = resolve_crs(features, crs, path)
    return build_layers(features.to_crs(out_crs), out_crs)


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
    path = check_path(path)
    lon_min = lat_min = np.inf
    lon_max = lat_max = -np.inf
    try:
        for node in osmium.FileProcessor(osmium_file(path), osmium.osm.NODE):
            if not isinstance(node, osmium.osm.Node):  # nodes only: the processor reads no other kind
                continue
            loc = node.location
            if loc.valid():
                lon, lat = loc.lon, loc.lat
                lon_min, lon_max = min(lon_min, lon), max(lon_max, lon)
                lat_min, lat_max = min(lat_min, lat), max(lat_max, lat)
    except (RuntimeError, ValueError, OSError, osmium.InvalidLocationError) as exc:  # truncated or corrupted data
        raise parse_error(path, exc) from exc
    if not np.isfinite(lon_min):
        raise InputDataError(
            f"{path}: no OSM nodes",
            [Problem(file=str(path), message="the file has no nodes with a location",
                     fix="give an OSM extract that covers the study area")],
        )
    return (float(lon_min), float(lat_min), float(lon_max), float(lat_max))
