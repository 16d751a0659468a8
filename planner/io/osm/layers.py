"""OSM features into the layers of a study area (the rules: :mod:`planner.io.osm`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner._errors import ConfigError, Problem
from planner.area import empty_layer
from planner.schema import LAYERS, WORKING_CRS

__all__ = ["BUILDING_USE", "ROAD_CLASSES", "UNPAVED_SURFACES", "build_layers", "layers_from_features", "node_lines",
           "resolve_crs"]

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

_PREFIX = {"node": "n", "way": "w", "relation": "r"}
_ELEMENT_ORDER = {"node": 0, "way": 1, "relation": 2}

#: Centre of a study area inside this lon/lat box -> EPSG:2180 under ``crs="auto"``.
_POLAND_LONLAT = (14.07, 49.0, 24.15, 54.84)


def resolve_crs(features: gpd.GeoDataFrame, crs: str, path: Path) -> str:
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


def build_layers(features: gpd.GeoDataFrame, crs: str) -> dict[str, gpd.GeoDataFrame]:
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
    ids: np.ndarray = (prefix + features["id"].astype(str).to_numpy(dtype=object)).astype(object)
    return ids


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
    points: np.ndarray = np.where(is_point, arr, shapely.point_on_surface(arr))
    return points


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
    lines, way_index, piece = node_lines(geoms)

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


def node_lines(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    before: np.ndarray = np.cumsum(split) - split  # splits strictly before each vertex (global)
    start_of_line = np.flatnonzero(first)
    line_rank = np.cumsum(first) - 1  # 0..n_lines-1 for each vertex
    piece: np.ndarray = before - before[start_of_line][line_rank]

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


def layers_from_features(features: gpd.GeoDataFrame, crs: str = WORKING_CRS) -> dict[str, gpd.GeoDataFrame]:
    """Study-area layers from an OSM feature table (EPSG:4326), as :func:`planner.io.osm.read_osm` builds them.

    ``planner plan-many`` streams a national extract once, partitions its feature
    table by commune and turns each part into layers by the same rules.
    """
    return build_layers(features.to_crs(crs), crs)
