"""Tests of planner.io.osm: OSM XML / PBF -> study-area layers.

Real extracts (data/osm/, ODbL, see SOURCES) are checked against independent
oracles: a raw pyosmium pass without locations (tag counts, node refs of
ways), a plain ``xml.etree`` parse and osmnx (``features_from_xml``,
``graph_from_xml``) for the XML file.  A small hand-made XML file checks every
tag rule with hand-computed expectations.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner._errors import InputDataError, InputFileNotFoundError
from planner.area import empty_layer
from planner.io.osm import ROAD_CLASSES, node_lines, osm_bounds, read_osm
from planner.schema import LAYERS

osmium = pytest.importorskip("osmium")

ROOT = Path(__file__).resolve().parents[1]
OSM_DIR = ROOT / "data" / "osm"
HELSINKI = OSM_DIR / "helsinki_center.osm.pbf"
KOTKA = OSM_DIR / "kotka_suburb.osm.pbf"
KIRCHBERG = OSM_DIR / "kirchberg_iller_village.osm"

LAYER_NAMES = ("roads", "addresses", "buildings", "poles", "pops", "ducts", "coverage", "parcels")


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real OSM extract {path} is missing (copied from ../shared/data/osm/ by issue 2)")
    return path


# ------------------------------------------------------------------ oracles


def _raw_pass(path: Path) -> dict:
    """Independent read with pyosmium, no geometry: tags and node refs only."""
    out: dict = {"lamps": set(), "utility_poles": set(), "building_ways": 0,
                 "addr": set(), "road_ways": {}, "node_loc": {}}
    for obj in osmium.FileProcessor(str(path)):
        tags = dict(obj.tags)
        kind = obj.type_str()
        if kind == "n":
            if obj.location.valid():
                out["node_loc"][obj.id] = (obj.location.lon, obj.location.lat)
            if tags.get("highway") == "street_lamp":
                out["lamps"].add(obj.id)
            if tags.get("man_made") == "utility_pole":
                out["utility_poles"].add(obj.id)
        elif kind == "w":
            if "building" in tags:
                out["building_ways"] += 1
            if tags.get("highway") in ROAD_CLASSES and tags.get("area") != "yes":
                out["road_ways"][obj.id] = [n.ref for n in obj.nodes]
                out.setdefault("road_lit", {})[obj.id] = tags.get("lit", "")
        if "addr:housenumber" in tags:
            out["addr"].add(f"{kind}{obj.id}")
    return out


@pytest.fixture(scope="module")
def helsinki() -> dict[str, gpd.GeoDataFrame]:
    return read_osm(_need(HELSINKI), crs="auto")


@pytest.fixture(scope="module")
def helsinki_raw() -> dict:
    return _raw_pass(_need(HELSINKI))


@pytest.fixture(scope="module")
def kotka() -> dict[str, gpd.GeoDataFrame]:
    return read_osm(_need(KOTKA), crs="auto")


@pytest.fixture(scope="module")
def kirchberg() -> dict[str, gpd.GeoDataFrame]:
    return read_osm(_need(KIRCHBERG))


def _endpoints(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = roads.geometry.to_numpy()
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    return start, end


def _key(xy: np.ndarray) -> list[tuple[float, float]]:
    return [tuple(p) for p in np.round(xy, 3)]


def _largest_component_share(roads: gpd.GeoDataFrame) -> float:
    start, end = _endpoints(roads)
    graph = nx.Graph()
    for a, b, length in zip(_key(start), _key(end), roads.length):
        graph.add_edge(a, b, length=graph.get_edge_data(a, b, {"length": 0})["length"] + length)
    share = max(
        graph.subgraph(c).size(weight="length") for c in nx.connected_components(graph)
    )
    return share / roads.length.sum()


def _assert_noded(roads: gpd.GeoDataFrame, raw: dict) -> None:
    """Every OSM node shared by two kept ways (or twice by one) is an endpoint, never interior."""
    refs = Counter()
    for nodes in raw["road_ways"].values():
        nodes = [n for n in nodes if n in raw["node_loc"]]  # clipped ways keep their located nodes
        if len(set(nodes)) < 2:
            continue  # not a line in the extract
        refs.update(set(nodes))
        refs.update(n for n, c in Counter(nodes[:-1] if nodes[0] == nodes[-1] else nodes).items() if c > 1)
    shared = [n for n, c in refs.items() if c > 1 and n in raw["node_loc"]]
    assert shared, "the extract must have intersections"
    tr = pyproj.Transformer.from_crs("EPSG:4326", roads.crs, always_xy=True)
    lon, lat = np.array([raw["node_loc"][n] for n in shared]).T
    shared_xy = set(_key(np.column_stack(tr.transform(lon, lat))))
    start, end = _endpoints(roads)
    ends = set(_key(start)) | set(_key(end))
    missing = shared_xy - ends
    assert not missing, f"{len(missing)} shared nodes are not road endpoints"
    coords, idx = shapely.get_coordinates(roads.geometry.to_numpy(), return_index=True)
    first = np.r_[True, idx[1:] != idx[:-1]]
    last = np.r_[idx[1:] != idx[:-1], True]
    interior = set(_key(coords[~first & ~last]))
    assert not (interior & shared_xy), "a shared node lies inside a road piece"


def _assert_schema(layers: dict[str, gpd.GeoDataFrame], crs: str) -> None:
    assert set(layers) == set(LAYER_NAMES)
    for name, gdf in layers.items():
        spec = LAYERS[name]
        assert list(gdf.columns) == [*spec.column_names, "geometry"], name
        expected = empty_layer(spec, crs).dtypes
        pd.testing.assert_series_equal(gdf.dtypes, expected, check_names=False, obj=name)
        assert gdf.crs == pyproj.CRS(crs), name
        if len(gdf):
            assert set(gdf.geom_type) <= set(spec.geometry), name
            if spec.id_column:
                assert gdf[spec.id_column].is_unique, name
            for col in spec.columns:
                if col.allowed:
                    assert set(gdf[col.name]) <= set(col.allowed), (name, col.name)
                if col.dtype == "str":
                    assert gdf[col.name].map(type).eq(str).all(), (name, col.name)
    for name in ("ducts", "coverage", "parcels"):
        assert layers[name].empty


# ------------------------------------------------------------ real extracts


def test_helsinki_poles_match_independent_count(helsinki, helsinki_raw):
    poles = helsinki["poles"]
    lamps, utility = helsinki_raw["lamps"], helsinki_raw["utility_poles"]
    assert len(lamps) == 586 and len(utility) == 85  # SOURCES.md tag counts
    ids = {int(i[1:]) for i in poles["id"]}
    assert ids == lamps | utility
    lighting = {int(i[1:]) for i in poles.loc[poles.owner == "commune_lighting", "id"]}
    assert lighting == lamps  # the one lamp on a utility pole (no utility=*) is lighting
    telecom = {int(i[1:]) for i in poles.loc[poles.owner == "telecom", "id"]}
    assert telecom == utility - lamps and len(telecom) == 84
    assert poles["usable"].all()


def test_helsinki_layers(helsinki, helsinki_raw):
    _assert_schema(helsinki, "EPSG:32635")  # crs="auto" outside Poland -> UTM 35N
    assert len(helsinki["pops"]) >= 1
    assert "w529154805" in set(helsinki["pops"]["id"])  # the street_cabinet=telecom way
    addresses = helsinki["addresses"]
    assert len(addresses) > 1000
    assert set(addresses["id"]) <= helsinki_raw["addr"]
    assert (addresses["status"] == "istniejacy").all()
    roads = helsinki["roads"]
    # SOURCES: highways lit yes 1523, 24/7 68, no 7, disused 1; every piece of a lit way is lit
    lit_ways = {w for w, v in helsinki_raw["road_lit"].items() if v in ("yes", "24/7")}
    assert set(helsinki_raw["road_lit"].values()) <= {"", "yes", "24/7", "no", "disused"}
    way_of = roads["id"].str.split("_").str[0].str[1:].astype("int64")
    assert set(way_of[roads["lit"]]) == lit_ways & set(way_of)
    assert not roads.loc[way_of.isin(lit_ways), "lit"].eq(False).any()
    assert set(roads["highway"]) <= ROAD_CLASSES
    for layer in ("roads", "addresses", "buildings", "poles"):
        ids = helsinki[layer]["id"]
        assert ids.is_unique


def test_helsinki_dropped_addresses_are_duplicates_in_a_polygon(helsinki, helsinki_raw):
    addresses = helsinki["addresses"]
    dropped = helsinki_raw["addr"] - set(addresses["id"])
    assert dropped and all(d.startswith("n") for d in dropped)
    raw = read_osm(_need(HELSINKI), crs="EPSG:32635")  # same again: deterministic
    pd.testing.assert_frame_equal(
        raw["addresses"].drop(columns="geometry"), addresses.drop(columns="geometry")
    )
    # each dropped node: a way/relation address with the same street+number contains it
    nodes = {}
    for obj in osmium.FileProcessor(str(HELSINKI), osmium.osm.NODE):
        if f"n{obj.id}" in dropped:
            t = dict(obj.tags)
            nodes[f"n{obj.id}"] = (obj.location.lon, obj.location.lat,
                                   t.get("addr:street", t.get("addr:place", "")), t["addr:housenumber"])
    polys = addresses[~addresses["id"].str.startswith("n")]
    tr = pyproj.Transformer.from_crs("EPSG:4326", addresses.crs, always_xy=True)
    for node_id, (lon, lat, street, number) in nodes.items():
        same = polys[(polys.street.str.casefold() == street.casefold())
                     & (polys.house_number.str.casefold() == number.casefold())]
        assert len(same), node_id
        x, y = tr.transform(lon, lat)
        assert same.distance(shapely.Point(x, y)).min() < 150, node_id


def test_helsinki_roads_noded_and_connected(helsinki, helsinki_raw):
    roads = helsinki["roads"]
    _assert_noded(roads, helsinki_raw)
    assert _largest_component_share(roads) > 0.9
    # splitting keeps every metre of every kept way
    tr = pyproj.Transformer.from_crs("EPSG:4326", roads.crs, always_xy=True)
    total = 0.0
    for nodes in helsinki_raw["road_ways"].values():
        xy = [helsinki_raw["node_loc"][n] for n in nodes if n in helsinki_raw["node_loc"]]
        if len(xy) >= 2:
            x, y = tr.transform(*np.array(xy).T)
            total += float(np.hypot(np.diff(x), np.diff(y)).sum())
    assert roads.length.sum() == pytest.approx(total, rel=1e-9)
    assert (roads.length > 0).all()


def test_kotka_buildings_and_addresses(kotka):
    _assert_schema(kotka, "EPSG:32635")
    raw = _raw_pass(_need(KOTKA))
    assert raw["building_ways"] == 2219
    assert len(kotka["buildings"]) == 2219  # ways clipped by the extract are kept
    assert {i[0] for i in kotka["buildings"]["id"]} == {"w"}
    assert len(kotka["addresses"]) == 7
    assert kotka["poles"].empty and kotka["pops"].empty
    _assert_noded(kotka["roads"], raw)
    assert _largest_component_share(kotka["roads"]) > 0.85


def test_kirchberg_xml_against_osmnx(kirchberg):
    import osmnx as ox

    _assert_schema(kirchberg, "EPSG:2180")  # default CRS even outside Poland
    feats = ox.features_from_xml(KIRCHBERG).reset_index()
    feats = feats[~feats.geometry.is_empty]
    prefix = {"node": "n", "way": "w", "relation": "r"}
    osmnx_addr = {prefix[e] + str(i) for e, i, h in zip(feats["element"], feats["id"], feats["addr:housenumber"])
                  if isinstance(h, str)}
    ours = set(kirchberg["addresses"]["id"])
    # osmnx drops way 275490779 (a one-node building way); we keep it as a point
    assert ours == osmnx_addr | {"w275490779"}
    assert len(ours) == 17
    osmnx_buildings = {prefix[e] + str(i) for e, i, b in zip(feats["element"], feats["id"], feats["building"])
                       if isinstance(b, str)}
    assert set(kirchberg["buildings"]["id"]) == osmnx_buildings | {"w275490779"}

    # road graph: osmnx's unsimplified graph has the same length, and every
    # intersection / dead end of osmnx's simplified graph is one of our endpoints
    roads = kirchberg["roads"]
    tr = pyproj.Transformer.from_crs("EPSG:4326", roads.crs, always_xy=True)
    graph = ox.graph_from_xml(KIRCHBERG, simplify=False, retain_all=True, bidirectional=True)
    # graph_from_xml also turns untagged / building ways into edges: keep the roads
    graph = graph.edge_subgraph(
        [(u, v, k) for u, v, k, hw in graph.edges(keys=True, data="highway") if hw in ROAD_CLASSES]
    ).copy()
    assert {w for _, _, w in graph.edges(data="osmid")} == {int(i[1:].split("_")[0]) for i in roads["id"]}
    edges = {tuple(sorted((u, v))) for u, v in graph.edges()}
    xy = {n: tr.transform(d["x"], d["y"]) for n, d in graph.nodes(data=True)}
    length = sum(np.hypot(xy[u][0] - xy[v][0], xy[u][1] - xy[v][1]) for u, v in edges)
    assert roads.length.sum() == pytest.approx(length, rel=1e-9)
    simple = ox.simplify_graph(graph)
    start, end = _endpoints(roads)
    ends = set(_key(start)) | set(_key(end))
    assert set(_key(np.array([xy[n] for n in simple.nodes]))) <= ends
    assert _largest_component_share(roads) > 0.75
    root = ET.parse(KIRCHBERG).getroot()
    present = {n.get("id") for n in root.iterfind("node")}
    highway_ways = [w for w in root.iterfind("way") if w.find("tag[@k='highway']") is not None]
    assert len(highway_ways) == 19  # SOURCES.md
    # ways cut by the extract to fewer than two nodes are no lines
    lines = {f"w{w.get('id')}" for w in highway_ways
             if len({nd.get("ref") for nd in w.iterfind("nd")} & present) >= 2}
    assert {i.split("_")[0] for i in roads["id"]} == lines


def test_osm_bounds_match_sources():
    assert osm_bounds(_need(HELSINKI)) == pytest.approx((24.935177, 60.164155, 24.953413, 60.179107), abs=1e-6)
    assert osm_bounds(_need(KIRCHBERG)) == pytest.approx((10.068209, 48.135010, 10.070993, 48.136398), abs=1e-6)


# ------------------------------------------------------------- hand-made file

# lon/lat near Serock; 0.001 deg is ~68 m east, ~111 m north
_NODES = {
    1: (21.000, 52.500), 2: (21.001, 52.500), 3: (21.002, 52.500), 4: (21.001, 52.501),
    5: (21.002, 52.501), 6: (21.003, 52.500), 7: (21.000, 52.499), 8: (21.004, 52.502),
    9: (21.005, 52.502), 10: (21.006, 52.502), 11: (21.004, 52.503), 12: (21.005, 52.503),
    30: (21.0100, 52.5100), 31: (21.0102, 52.5100), 32: (21.0102, 52.5101), 33: (21.0100, 52.5101),
    34: (21.0110, 52.5100), 35: (21.0112, 52.5100), 36: (21.0112, 52.5101), 37: (21.0110, 52.5101),
    38: (21.0120, 52.5100), 39: (21.0122, 52.5100),
    60: (21.0130, 52.5100), 61: (21.0134, 52.5100), 62: (21.0134, 52.5104), 63: (21.0130, 52.5104),
    64: (21.0131, 52.5101), 65: (21.0133, 52.5101), 66: (21.0133, 52.5103), 67: (21.0131, 52.5103),
}
_TAGGED_NODES = {
    20: ((21.0010, 52.4995), {"highway": "street_lamp"}),
    21: ((21.0011, 52.4995), {"power": "pole"}),
    22: ((21.0012, 52.4995), {"man_made": "utility_pole"}),
    23: ((21.0013, 52.4995), {"man_made": "utility_pole", "utility": "power"}),
    24: ((21.0014, 52.4995), {"man_made": "utility_pole", "utility": "street_lighting"}),
    25: ((21.0015, 52.4995), {"highway": "street_lamp", "support": "wall_mounted"}),
    26: ((21.0016, 52.4995), {"highway": "street_lamp", "power": "pole"}),
    27: ((21.0017, 52.4995), {"power": "tower"}),
    40: ((21.0101, 52.51005), {"addr:street": "Polna", "addr:housenumber": "1", "shop": "bakery"}),
    41: ((21.01015, 52.51005), {"addr:street": "Polna", "addr:housenumber": "2"}),
    42: ((21.0200, 52.5200), {"addr:place": "Stasi Las", "addr:housenumber": "7",
                               "addr:city:simc": "0921645", "addr:postcode": "05-140"}),
    43: ((21.0201, 52.5200), {"addr:place": "Rynek", "addr:city": "Serock", "addr:housenumber": "3",
                               "addr:street:sym_ul": "12345", "office": "company"}),
    50: ((21.0300, 52.5300), {"man_made": "street_cabinet", "street_cabinet": "telecom", "name": "SZK-1"}),
    51: ((21.0301, 52.5300), {"man_made": "street_cabinet", "street_cabinet": "power"}),
}
_WAYS = {
    100: ([1, 2, 3], {"highway": "residential", "name": "Polna", "lit": "yes", "surface": "asphalt"}),
    101: ([2, 4], {"highway": "track", "access": "private"}),
    102: ([3, 5], {"highway": "footway"}),
    103: ([3, 6], {"highway": "service", "service": "driveway", "surface": "gravel", "lit": "no"}),
    104: ([7, 9], {"highway": "motorway"}),
    105: ([8, 9, 10], {"highway": "tertiary", "lit": "24/7", "tracktype": "grade3"}),
    106: ([8, 11, 12, 8], {"highway": "pedestrian", "area": "yes"}),
    107: ([10, 12, 11, 9, 10], {"highway": "unclassified", "junction": "roundabout"}),
    200: ([30, 31, 32, 33, 30], {"building": "house", "addr:street": "Polna", "addr:housenumber": "1",
                                 "addr:city": "Stasi Las"}),
    201: ([34, 35, 36, 37, 34], {"building": "cabin"}),
    202: ([38, 39, 99, 38], {"building": "barn"}),  # node 99 is outside the extract: clipped
    203: ([60, 61, 62, 63, 60], {}),
    204: ([64, 65, 66, 67, 64], {}),
    205: ([50, 51], {"telecom": "exchange"}),
}
_RELATIONS = {
    300: ([(203, "outer"), (204, "inner")], {"type": "multipolygon", "building": "apartments",
                                             "addr:street": "Polna", "addr:housenumber": "9",
                                             "tourism": "chalet"}),
}


def _write_osm(path: Path) -> Path:
    root = ET.Element("osm", version="0.6", generator="test")
    for nid, (lon, lat) in _NODES.items():
        ET.SubElement(root, "node", id=str(nid), version="1", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    for nid, ((lon, lat), tags) in _TAGGED_NODES.items():
        node = ET.SubElement(root, "node", id=str(nid), version="1", lat=f"{lat:.7f}", lon=f"{lon:.7f}")
        for k, v in tags.items():
            ET.SubElement(node, "tag", k=k, v=v)
    for wid, (refs, tags) in _WAYS.items():
        way = ET.SubElement(root, "way", id=str(wid), version="1")
        for ref in refs:
            ET.SubElement(way, "nd", ref=str(ref))
        for k, v in tags.items():
            ET.SubElement(way, "tag", k=k, v=v)
    for rid, (members, tags) in _RELATIONS.items():
        rel = ET.SubElement(root, "relation", id=str(rid), version="1")
        for ref, role in members:
            ET.SubElement(rel, "member", type="way", ref=str(ref), role=role)
        for k, v in tags.items():
            ET.SubElement(rel, "tag", k=k, v=v)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


@pytest.fixture(scope="module")
def handmade(tmp_path_factory) -> dict[str, gpd.GeoDataFrame]:
    return read_osm(_write_osm(tmp_path_factory.mktemp("osm") / "handmade.osm"), crs="auto")


def test_handmade_crs_auto_picks_puwg92_in_poland(handmade):
    _assert_schema(handmade, "EPSG:2180")
    x, y = handmade["poles"].geometry.iloc[0].coords[0]
    # hand check against Serock town (about 21.068 E 52.510 N = E 640 340 N 518 062):
    # 21.001 E is ~4.5 km west of it (68 m per 0.001 deg), 52.4995 N ~1.2 km south
    assert 634_500 < x < 637_000 and 515_500 < y < 518_000


def test_handmade_roads(handmade):
    roads = handmade["roads"].set_index("id")
    assert list(roads.index) == ["w100_0", "w100_1", "w101_0", "w103_0", "w105_0", "w105_1",
                                 "w107_0", "w107_1"]
    tr = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2180", always_xy=True)

    def xy(n):
        return tr.transform(*_NODES[n])

    # way 100 is split at node 2 (shared with the track), not at node 3 (an endpoint)
    assert roads.loc["w100_0"].geometry.equals_exact(shapely.LineString([xy(1), xy(2)]), 1e-6)
    assert roads.loc["w100_1"].geometry.equals_exact(shapely.LineString([xy(2), xy(3)]), 1e-6)
    # way 105 is split at node 9 where the roundabout joins, not by the (dropped) motorway
    assert roads.loc["w105_0"].geometry.equals_exact(shapely.LineString([xy(8), xy(9)]), 1e-6)
    # the roundabout 10-12-11-9-10 is split at 9 and at 10, both shared with way 105
    assert roads.loc["w107_0"].geometry.equals_exact(shapely.LineString([xy(10), xy(12), xy(11), xy(9)]), 1e-6)
    assert roads.loc["w107_1"].geometry.equals_exact(shapely.LineString([xy(9), xy(10)]), 1e-6)
    assert roads.loc[["w100_0", "w100_1"], "lit"].all()
    assert roads.loc["w105_0", "lit"] and not roads.loc["w103_0", "lit"]
    assert roads["surface"].to_dict() == {
        "w100_0": "paved", "w100_1": "paved", "w101_0": "unpaved", "w103_0": "unpaved",
        "w105_0": "unpaved", "w105_1": "unpaved", "w107_0": "paved", "w107_1": "paved",
    }
    assert roads["private"].to_dict() == {k: k == "w101_0" for k in roads.index}
    assert roads.loc["w100_0", "name"] == "Polna" and roads.loc["w101_0", "name"] == ""


def test_handmade_addresses(handmade):
    addr = handmade["addresses"].set_index("id")
    # node 40 duplicates building 200 (same street and number, inside it) -> dropped
    assert list(addr.index) == ["n41", "n42", "n43", "w200", "r300"]
    assert addr.loc["w200", "is_business"]  # inherited from the bakery node
    assert not addr.loc["n41", "is_business"] and addr.loc["n43", "is_business"]
    assert addr.loc["n42", ["locality", "street", "simc", "postcode"]].tolist() == [
        "Stasi Las", "", "0921645", "05-140"]
    assert addr.loc["n43", ["locality", "street", "ulic", "terc"]].tolist() == ["Serock", "Rynek", "12345", ""]
    assert addr.loc["r300", ["street", "house_number"]].tolist() == ["Polna", "9"]
    building = handmade["buildings"].set_index("id").loc["w200"].geometry
    assert building.contains(addr.loc["w200"].geometry)


def test_handmade_buildings_poles_pops(handmade):
    buildings = handmade["buildings"].set_index("id")
    assert buildings["use"].to_dict() == {
        "w200": "residential", "w201": "summer_house", "w202": "farm", "r300": "summer_house"}
    # relation 300: outer square with a hole; clipped barn 202 keeps its two nodes -> a point
    r300 = buildings.loc["r300"].geometry
    polygon = r300.geoms[0] if r300.geom_type == "MultiPolygon" else r300
    assert len(polygon.interiors) == 1
    assert polygon.area == pytest.approx(0.75 * shapely.Polygon(polygon.exterior).area, rel=1e-3)
    assert buildings.loc["w202"].geometry.geom_type == "Point"

    poles = handmade["poles"].set_index("id")
    assert poles["owner"].to_dict() == {
        "n20": "commune_lighting", "n21": "power", "n22": "telecom", "n23": "power",
        "n24": "commune_lighting", "n25": "commune_lighting", "n26": "power"}
    assert poles["usable"].to_dict() == {k: k != "n25" for k in poles.index}

    pops = handmade["pops"].set_index("id")
    assert pops["name"].to_dict() == {"n50": "SZK-1", "w205": "telecom exchange"}


def test_default_crs_and_determinism(tmp_path):
    path = _write_osm(tmp_path / "a.osm")
    first = read_osm(path)
    second = read_osm(str(path))
    for name in LAYER_NAMES:
        assert first[name].crs == pyproj.CRS("EPSG:2180")
        pd.testing.assert_frame_equal(first[name].to_wkb(), second[name].to_wkb())


def test_bad_inputs(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="not found"):
        read_osm(tmp_path / "nope.osm.pbf")
    (tmp_path / "roads.shp").write_text("x")
    with pytest.raises(InputDataError, match="not an OSM file") as err:
        read_osm(tmp_path / "roads.shp")
    assert err.value.problems and err.value.problems[0].fix
    (tmp_path / "broken.osm").write_text("<osm><node id='1' lat='52.5' lon=")
    with pytest.raises(InputDataError, match="cannot read OSM data"):
        read_osm(tmp_path / "broken.osm")
    (tmp_path / "broken.osm.pbf").write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputDataError, match="cannot read OSM data"):
        read_osm(tmp_path / "broken.osm.pbf")
    (tmp_path / "empty.osm").write_text("<?xml version='1.0'?><osm version='0.6'></osm>")
    layers = read_osm(tmp_path / "empty.osm")
    _assert_schema(layers, "EPSG:2180")
    assert all(g.empty for g in layers.values())
    with pytest.raises(InputDataError, match="no OSM nodes"):
        osm_bounds(tmp_path / "empty.osm")


# --------------------------------------------------------- noding property


_grid_lines = st.lists(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=8),
    min_size=1, max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(_grid_lines)
def test_node_lines_property(raw_lines):
    """Pieces rebuild each line, end exactly at shared vertices, keep every metre."""
    # a line is a way: consecutive repeats are one node; lines need two distinct points
    lines = []
    for pts in raw_lines:
        dedup = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
        if len(dedup) >= 2:
            lines.append(dedup)
    if not lines:
        return
    geoms = np.array([shapely.LineString(pts) for pts in lines], dtype=object)
    pieces, source, piece = node_lines(geoms)

    # oracle: a vertex splits its line when it is not an end of it and the
    # same point occurs anywhere else among all vertices of all lines
    uses = Counter(p for pts in lines for p in pts)
    for i, pts in enumerate(lines):
        mine = [k for k in range(len(source)) if source[k] == i]
        assert [piece[k] for k in mine] == list(range(len(mine)))
        n_split = sum(uses[p] > 1 for p in pts[1:-1])
        assert len(mine) == n_split + 1
        rebuilt = [tuple(c) for c in shapely.get_coordinates(pieces[mine[0]])]
        for k in mine[1:]:
            coords = [tuple(c) for c in shapely.get_coordinates(pieces[k])]
            assert coords[0] == rebuilt[-1]
            rebuilt += coords[1:]
        assert rebuilt == [tuple(map(float, p)) for p in pts]
        for k in mine:
            inner = [tuple(c) for c in shapely.get_coordinates(pieces[k])[1:-1]]
            assert all(uses[tuple(map(int, p))] == 1 for p in inner)
    assert shapely.length(pieces).sum() == pytest.approx(shapely.length(geoms).sum())
