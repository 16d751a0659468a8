"""Checks of the embedded demo area (data/demo) and of planner.datasets.

The white-spot rule is re-implemented here as an independent oracle (plain
pandas), so these tests do not depend on planner.whitespots.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from planner import datasets
from planner.schema import LAYERS

#: Layers the demo carries: all of the schema's but the optional cabinet sites (the demo's
#: cabinets are placed on the route tree, not at given sites).
DEMO_LAYERS = {name: spec for name, spec in LAYERS.items() if name != "cabinet_sites"}

pytestmark = pytest.mark.xdist_group("demo_area")

REPO = Path(__file__).resolve().parent.parent
GPKG = REPO / "data" / "demo" / "serock_wieliszew.gpkg"
README = REPO / "data" / "demo" / "README.md"
OFFICIAL = REPO / "data" / "demo" / "official_white_spots.csv"
SEROCK_TERC = {"1408044", "1408045"}


def _white_oracle(addresses: pd.DataFrame, coverage: pd.DataFrame) -> pd.Series:
    """White = no fixed (fibre/coax/copper) offer >= 100 Mb/s existing or planned by 2026."""
    fixed = coverage.medium.isin(["fibre", "coax", "copper"]) & (coverage.down_mbps >= 100)
    when = (coverage.status == "existing") | ((coverage.status == "planned") & (coverage.year <= 2026))
    nga_ids = set(coverage.loc[fixed & when, "address_id"])
    return ~addresses.id.isin(nga_ids)


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(GPKG, layer=name) for name in DEMO_LAYERS}


@pytest.fixture(scope="module")
def white(layers) -> pd.Series:
    return _white_oracle(layers["addresses"], layers["coverage"])


@pytest.fixture(scope="module")
def bounds() -> tuple[float, ...]:
    meta = pyogrio.read_dataframe(GPKG, layer="metadata")
    kv = dict(zip(meta.key, meta.value))
    assert kv["name"] == "serock_wieliszew"
    return tuple(float(v) for v in kv["bounds"].split(","))


# --- datasets ---------------------------------------------------------------

def test_datasets_paths_exist():
    for name in datasets.available():
        assert datasets.get_path(name).exists(), name
    assert datasets.get_path("demo") == GPKG


def test_datasets_unknown_name_lists_names():
    with pytest.raises(ValueError, match="helsinki") as exc:
        datasets.get_path("serock")
    assert "'serock'" in str(exc.value)


# --- structure --------------------------------------------------------------

def test_layers_have_exactly_the_schema_columns(layers):
    assert set(pyogrio.list_layers(GPKG)[:, 0]) == set(DEMO_LAYERS) | {"metadata"}
    for name, spec in DEMO_LAYERS.items():
        gdf = layers[name]
        assert len(gdf) > 0, name
        assert list(gdf.columns) == spec.column_names + ["geometry"], name
        assert gdf.crs.to_epsg() == 2180, name
        for col in spec.columns:
            s = gdf[col.name]
            if col.dtype == "bool":
                assert s.dtype == bool, (name, col.name)
            elif col.dtype in ("float", "Int"):
                assert pd.api.types.is_numeric_dtype(s), (name, col.name)
            elif col.dtype == "int":
                assert pd.api.types.is_integer_dtype(s), (name, col.name)
            elif col.dtype == "date":
                assert pd.api.types.is_datetime64_any_dtype(s), (name, col.name)
            else:
                assert pd.api.types.is_string_dtype(s) and s.notna().all(), (name, col.name)
            if col.allowed:
                assert set(s.dropna()) <= set(col.allowed), (name, col.name, set(s) - set(col.allowed))
        geom_types = set(gdf.geom_type.dropna())
        assert geom_types <= set(spec.geometry), (name, geom_types)
        if spec.id_column:
            assert gdf[spec.id_column].is_unique, name


def test_coordinates_inside_bounds_and_not_swapped(layers, bounds):
    minx, miny, maxx, maxy = bounds
    assert minx < 640_340 < maxx and miny < 518_062 < maxy  # Serock, easting/northing
    assert minx < 633_147 < maxx and miny < 511_441 < maxy  # Wieliszew
    assert maxx - minx < 40_000 and maxy - miny < 40_000
    for name, gdf in layers.items():
        b = gdf.geometry.dropna().total_bounds
        assert b[0] >= minx and b[1] >= miny and b[2] <= maxx and b[3] <= maxy, name
    # WGS84 lat/lon of the town lands in Serock (52.5 N, 21.05 E), not elsewhere
    pop = layers["pops"].to_crs(4326).geometry.iloc[0]
    assert 52.45 < pop.y < 52.56 and 21.0 < pop.x < 21.12


def test_pops_one_per_commune_on_roads(layers):
    pops, roads = layers["pops"], layers["roads"]
    assert list(pops.id) == ["POP-SEROCK-1", "POP-WIELISZEW-1"]
    assert pops.geometry.iloc[0].distance(gpd.points_from_xy([640_340], [518_062])[0]) < 50
    wiel = pops.geometry.iloc[1]
    assert (wiel.x, wiel.y) == (633_147.0, 511_441.0)
    # the Wieliszew POP sits on a vertex of a public road
    pub = roads[~roads.private]
    ends = shapely.get_coordinates(pub.geometry.values)
    assert np.min(np.hypot(ends[:, 0] - wiel.x, ends[:, 1] - wiel.y)) < 0.01


def test_teryt_codes_are_real(layers):
    simc = pd.read_csv(datasets.get_path("teryt_simc"), dtype=str)
    ulic = pd.read_csv(datasets.get_path("teryt_ulic"), dtype=str)
    a = layers["addresses"]
    assert set(a.simc) == set(simc.SIMC)  # all 55 localities have points
    known = set(zip(simc.SIMC, simc.TERC))
    assert set(zip(a.simc, a.terc)) <= known
    named = a[a.ulic != ""]
    assert set(zip(named.simc, named.ulic)) <= set(zip(ulic.SIMC, ulic.ULIC))
    assert not a.duplicated(["simc", "ulic", "house_number"]).any()
    # every TERYT street exists as a road
    names = ulic.NAZWA.str.replace(r"^(ul\.|al\.)\s+", "", regex=True)
    assert set(names) <= set(layers["roads"].name)
    assert 11_000 <= len(a) <= 14_000


# --- white spots ------------------------------------------------------------

def test_white_spot_counts(layers, white):
    a = layers["addresses"]
    assert white.sum() == 7_614
    assert (white & a.is_business).sum() == 438
    share = (white & a.terc.isin(SEROCK_TERC)).sum() / 7_614
    assert 0.6 <= share <= 0.72


def test_stasi_las_rule(layers, white):
    a = layers["addresses"]
    listed = {"Jutrzenki", "Księżycowa", "Pałacowa", "Pogodna", "Prosta", "Radosna", "Tęczowa", "Warszawska",
              "Helenki"}
    sl = a.locality == "Stasi Las"
    assert set(a.loc[sl, "simc"]) == {"0008361"}
    assert listed <= set(a.loc[sl, "street"])  # every listed street has points
    assert (white[sl] == a.loc[sl, "street"].isin(listed)).all()
    assert (~white[sl]).sum() > 0  # other streets exist and are covered


def test_kochanowskiego_covered_tuwima_without_points(layers, white):
    a, roads = layers["addresses"], layers["roads"]
    koch = a.street.str.contains("Kochanowskiego") & (a.simc == "0921645")
    assert koch.sum() > 10 and not white[koch].any()
    assert roads.name.str.contains("Tuwima").any()
    assert not a.street.str.contains("Tuwima").any()
    town = a.simc == "0921645"
    assert white[town].mean() < 0.3  # the dense town is mostly covered


def test_hand_checkable_variety(layers, white):
    a, cov = layers["addresses"], layers["coverage"]
    per = cov.groupby("address_id")
    techs = per.technology.agg(lambda s: tuple(sorted(s)))
    wid = set(a.id[white])
    kinds_white = {techs.get(i, ()) for i in wid}
    assert ("VDSL2",) in kinds_white and ("ADSL2+",) in kinds_white and ("LTE",) in kinds_white
    assert () in kinds_white
    planned_2027 = set(cov.address_id[(cov.status == "planned") & (cov.year == 2027)])
    assert planned_2027 & wid
    assert not cov[cov.address_id.isin(wid) & (cov.medium == "radio")].empty
    assert (cov.loc[cov.medium == "radio", "down_mbps"] >= 100).any()  # radio >= 100 still white
    nga = cov[cov.medium.isin(["fibre", "coax", "copper"]) & (cov.down_mbps >= 100)
              & ((cov.status == "existing") | (cov.year <= 2026))]
    n_ops = nga.groupby("address_id").operator.nunique()
    assert (n_ops == 1).any() and (n_ops >= 2).any()  # grey and black
    assert ((nga.status == "planned") & (nga.year == 2025)).any()
    assert (nga.technology == "(EURO)DOCSIS 3.x").any()
    assert set(cov.technology) <= {"GPON", "(EURO)DOCSIS 3.x", "VDSL2", "ADSL2+", "LTE"}
    # every coverage row carries both keys, consistent with its address
    m = cov.merge(a[["id", "terc", "simc", "ulic", "house_number"]], left_on="address_id", right_on="id",
                  suffixes=("", "_a"), validate="many_to_one")
    assert len(m) == len(cov)
    for c in ("terc", "simc", "ulic", "house_number"):
        assert (m[c] == m[c + "_a"]).all()


def test_milestone_villages_have_white_spots(layers, white):
    a = layers["addresses"]
    for v in ("Dębinki", "Wola Kiełpińska", "Wola Smolana", "Szadki", "Ludwinowo Dębskie", "Guty",
              "Bolesławowo", "Marynino", "Karolino"):
        assert white[a.locality == v].sum() > 0, v
    simc = pd.read_csv(datasets.get_path("teryt_simc"), dtype=str)
    assert "Zarzecze" not in set(simc["NAZWA_MIEJSCOWOŚCI"])  # reported in data/demo/README.md
    assert "Zarzecze" in README.read_text(encoding="utf-8")


def _building_flags(w, b) -> tuple[np.ndarray, np.ndarray]:
    """Per address of ``w``: a building within 30 m; a summer house among those (STRtree oracle)."""
    idx_a, idx_b = b.sindex.query(w.geometry.values, predicate="dwithin", distance=30.0)
    has_building = np.zeros(len(w), bool)
    has_building[idx_a] = True
    summer = np.zeros(len(w), bool)
    summer[idx_a[b.use.to_numpy()[idx_b] == "summer_house"]] = True
    return has_building, summer


def test_barrier_share(layers, white):
    a, b = layers["addresses"], layers["buildings"]
    w = a[white.values]
    has_building, summer = _building_flags(w, b)
    share = (~has_building | summer).sum() / len(w)
    assert 0.03 <= share <= 0.05
    assert (~has_building).sum() >= 50 and summer.sum() >= 50
    assert set(a.status) >= {"istniejacy", "prognozowany", "wTrakcieBudowy"}
    assert (a.status == "istniejacy").mean() > 0.99


# --- network layers ---------------------------------------------------------

def test_roads_form_one_connected_component(layers):
    roads = layers["roads"]
    assert 5_000 <= len(roads) <= 15_000
    assert not roads.geometry.normalize().to_wkb().duplicated().any()  # no road drawn twice
    g = nx.Graph()
    for geom in roads.geometry:
        c = np.asarray(geom.coords)
        g.add_edge(tuple(np.round(c[0], 1)), tuple(np.round(c[-1], 1)))
    assert nx.number_connected_components(g) == 1
    assert {"secondary", "service", "track"} <= set(roads.highway)
    priv = roads[roads.private]
    assert len(priv) and (priv.surface == "unpaved").all()


def test_private_tracks_parcels_and_refused_only_addresses(layers):
    roads, parcels, a = layers["roads"], layers["parcels"], layers["addresses"]
    assert {"granted", "pending", "refused"} <= set(parcels.consent)
    # each parcel lies around a private internal road ~0.5 km long
    priv = roads[roads.private]
    hit = priv.sindex.query(parcels.geometry.values, predicate="intersects")
    assert set(hit[0]) == set(range(len(parcels)))
    pub = roads[~roads.private]
    assert pub.sindex.query(parcels.geometry.values, predicate="intersects").size == 0
    cross = roads.sindex.query(roads.geometry.values, predicate="crosses")
    assert cross.size == 0  # every crossing is a shared node
    merged = shapely.line_merge(priv.union_all())
    lengths = gpd.GeoSeries(list(getattr(merged, "geoms", [merged]))).length
    assert lengths.between(300, 800).mean() > 0.8
    text = README.read_text(encoding="utf-8")
    section = text[text.index("reachable only through a refused parcel"):text.index("## Official list")]
    listed = re.findall(r"^- `([0-9a-f-]{36})`$", section, flags=re.M)
    assert 2 <= len(listed) <= 6 and set(listed) <= set(a.id)


def test_refused_consent_leaves_exactly_the_listed_points_without_road_access(layers):
    """Oracle: drop road edges crossing refused parcels; who is cut off from the POP?"""
    roads, parcels, a, pops = layers["roads"], layers["parcels"], layers["addresses"], layers["pops"]
    refused = parcels[parcels.consent == "refused"]
    blocked = np.zeros(len(roads), bool)
    blocked[roads.sindex.query(refused.geometry.values, predicate="intersects")[1]] = True
    ends = [np.round(np.asarray(g.coords)[[0, -1]], 1) for g in roads.geometry]
    g = nx.Graph()
    for k, (u, v) in enumerate(ends):
        if not blocked[k]:
            g.add_edge(tuple(u), tuple(v))
    pop_xy = np.array(pops.geometry.iloc[0].coords[0])
    nodes = np.array(list(g.nodes))
    root = tuple(nodes[np.argmin(np.linalg.norm(nodes - pop_xy, axis=1))])
    reach = nx.node_connected_component(g, root)
    _, near = roads.sindex.nearest(a.geometry.values, return_all=False)
    cut, rescued = set(), set()
    for i, k in enumerate(near):
        if not blocked[k]:
            continue
        u, v = ends[k]
        p = np.array(a.geometry.iat[i].coords[0])
        end = tuple(u) if np.linalg.norm(u - p) < np.linalg.norm(v - p) else tuple(v)
        (rescued if end in reach else cut).add(a.id.iat[i])
    text = README.read_text(encoding="utf-8")
    section = text[text.index("reachable only through a refused parcel"):text.index("## Official list")]
    listed = set(re.findall(r"^- `([0-9a-f-]{36})`$", section, flags=re.M))
    assert cut == listed
    assert len(rescued) >= 3  # most refused tracks have an alternative


def _road_distance_from_pops(layers) -> tuple[np.ndarray, np.ndarray]:
    """Oracle: (pop x address) road distance along the roads + drop, and straight-line distance.

    Road graph from the segment end points (scipy dijkstra); an address is reached
    through the nearest point of its nearest road segment, plus the straight drop.
    """
    roads, a, pops = layers["roads"], layers["addresses"], layers["pops"]
    ends = np.round(shapely.get_coordinates(roads.geometry.values).reshape(-1, 2, 2), 1)
    keys, inv = np.unique(ends.reshape(-1, 2), axis=0, return_inverse=True)
    inv = inv.reshape(-1, 2)
    ln = roads.length.to_numpy()
    n = len(keys)
    # parallel segments: keep the shortest (a sparse matrix would add them up)
    e = pd.DataFrame({"a": inv.min(axis=1), "b": inv.max(axis=1), "w": ln}).groupby(["a", "b"]).w.min().reset_index()
    graph = coo_matrix((e.w, (e.a, e.b)), shape=(n, n)).tocsr()
    pxy = shapely.get_coordinates(pops.geometry.values)
    src = [int(np.argmin(np.linalg.norm(keys - p, axis=1))) for p in pxy]
    off = np.array([np.linalg.norm(keys[k] - p) for k, p in zip(src, pxy)])
    dist = dijkstra(graph, directed=False, indices=src) + off[:, None]
    pts = a.geometry.values
    _, near = roads.sindex.nearest(pts, return_all=False)
    geo = roads.geometry.values[near]
    along = shapely.line_locate_point(geo, pts)
    drop = shapely.distance(geo, pts)
    u, v = inv[near, 0], inv[near, 1]
    road = np.minimum(dist[:, u] + along, dist[:, v] + ln[near] - along) + drop
    straight = np.linalg.norm(shapely.get_coordinates(pts)[None] - pxy[:, None], axis=2)
    return road, straight


def test_road_network_is_not_winding(layers):
    """>= 95 % of the address points are at most 1.6 x their straight-line distance from the POP by road."""
    road, straight = _road_distance_from_pops(layers)
    assert np.isfinite(road).all()
    ratio = road[0] / np.maximum(straight[0], 1.0)  # POP-SEROCK-1
    assert (ratio <= 1.6).mean() >= 0.95
    assert (road >= straight - 1.0).all()  # sanity of the oracle: never shorter than the straight line


def test_every_address_within_reach_of_a_pop(layers):
    """Optical reach (20 km) with 1 km margin: nearest POP by road + drop <= 19 km for every address."""
    road, _ = _road_distance_from_pops(layers)
    assert road.min(axis=0).max() <= 19_000
    assert road[0].max() > 19_000  # the single Serock POP alone would not do: the second POP matters


def test_main_roads_pass_through_villages(layers):
    """Side streets meet tertiary/secondary roads at junctions inside the villages (road crossings)."""
    roads = layers["roads"]
    ends = np.round(shapely.get_coordinates(roads.geometry.values).reshape(-1, 2, 2), 1)
    main = roads.highway.isin(["secondary", "tertiary"]).to_numpy()
    key = [tuple(p) for p in ends.reshape(-1, 2)]
    deg_main: dict[tuple, int] = {}
    for k in np.flatnonzero(main):
        for p in (key[2 * k], key[2 * k + 1]):
            deg_main[p] = deg_main.get(p, 0) + 1
    side = roads.highway.eq("residential").to_numpy()
    junctions = {p for k in np.flatnonzero(side) for p in (key[2 * k], key[2 * k + 1]) if deg_main.get(p, 0) >= 2}
    assert len(junctions) >= 100
    # named village main streets carry the through road
    named_main = roads[main & (roads.name != "")]
    assert named_main.name.nunique() >= 30


def test_poles_and_ducts(layers):
    poles, ducts, roads = layers["poles"], layers["ducts"], layers["roads"]
    assert set(poles.owner) == {"commune_lighting", "telecom", "power"}
    assert 0 < (~poles.usable).sum() < 0.1 * len(poles)
    lamps = poles[poles.owner == "commune_lighting"]
    xy = np.column_stack([lamps.geometry.x, lamps.geometry.y])
    from scipy.spatial import cKDTree
    d, _ = cKDTree(xy).query(xy, k=2)
    assert 28 <= np.median(d[:, 1]) <= 38  # ~35 m spacing
    norwida = roads[roads.name.str.contains("Norwida")].union_all()
    assert ducts.geometry.iloc[0].within(norwida.buffer(1.0))  # the duct runs along ul. Norwida (Serock)
    assert (ducts.free_subducts >= 1).all() and len(ducts) == 2


def test_localities_disjoint_and_contain_their_points(layers):
    loc, a = layers["localities"], layers["addresses"]
    assert len(loc) == 55 and loc.simc.is_unique
    i, j = loc.sindex.query(loc.geometry.values, predicate="intersects")
    pairs = [(p, q) for p, q in zip(i, j) if p < q]
    assert all(loc.geometry.iloc[p].intersection(loc.geometry.iloc[q]).area < 1.0 for p, q in pairs)
    joined = a.merge(loc[["simc", "geometry"]].rename(columns={"geometry": "poly"}), on="simc")
    assert gpd.GeoSeries(joined.poly).contains(gpd.GeoSeries(joined.geometry)).all()


def test_new_buildings_not_in_addresses(layers, white):
    nb, a, b = layers["new_buildings"], layers["addresses"], layers["buildings"]
    assert len(nb) >= 320
    keys_a = set(zip(a.simc, a.ulic, a.house_number))
    keys_nb = list(zip(nb.simc, nb.ulic, nb.house_number))
    assert not any(k in keys_a for k in keys_nb)
    assert len(set(keys_nb)) == len(nb)  # unique address keys
    assert not set(nb.id) & set(a.id)
    # real streets of their locality
    ulic = pd.read_csv(datasets.get_path("teryt_ulic"), dtype=str)
    names = dict(zip(zip(ulic.SIMC, ulic.ULIC), ulic.NAZWA.str.replace(r"^(ul\.|al\.)\s+", "", regex=True)))
    assert (nb.ulic != "").all()
    assert [names.get(k) for k in zip(nb.simc, nb.ulic)] == nb.street.tolist()
    # more new buildings than barrier points (empty plot / summer house / PRG status) among the white spots
    w = a[white.values]
    has_building, summer = _building_flags(w, b)
    barriers = (~has_building | summer | (w.status != "istniejacy").to_numpy()).sum()
    assert 200 <= barriers < len(nb)


# --- official list and as-built -------------------------------------------------

def test_official_list_planted_differences(layers, white):
    a = layers["addresses"]
    off = pd.read_csv(OFFICIAL, dtype={"TERC": str, "SIMC": str, "ULIC": str, "NR": str}, keep_default_na=False)
    assert list(off.columns) == ["TERC", "SIMC", "ULIC", "NR", "lat", "lon"]
    assert off.NR.str.contains(r"\d [a-z]$").any() and off.NR.str.contains(r"\d[a-z]$").any()
    off["nr"] = off.NR.str.replace(" ", "").str.upper()
    key = a.assign(nr=a.house_number.str.upper())
    m = off.merge(key[["terc", "simc", "ulic", "nr", "id"]], left_on=["TERC", "SIMC", "ULIC", "nr"],
                  right_on=["terc", "simc", "ulic", "nr"], how="left", validate="one_to_one")
    assert m.id.notna().all()
    white_ids = set(a.id[white])
    on_list_covered = set(m.id) - white_ids
    missing = white_ids - set(m.id)
    assert len(on_list_covered) == 5 and len(missing) == 7
    text = README.read_text(encoding="utf-8")
    assert all(i in text for i in on_list_covered | missing)
    # lat/lon are WGS84 of the points
    pts = gpd.GeoSeries(gpd.points_from_xy(m.lon, m.lat), crs=4326).to_crs(2180)
    ref = a.set_index("id").geometry.loc[m.id].reset_index(drop=True)
    assert (pts.distance(ref.set_crs(2180)) < 0.5).all()


def test_as_built_resembles_march_2025_report(layers, white):
    ab, a = layers["as_built"], layers["addresses"]
    seg = ab[ab.kind == "segment"]
    con = ab[ab.kind == "connection"]
    km = seg.length.sum() / 1000
    km_under = seg[seg.deployment.isin(["trench", "duct"])].length.sum() / 1000
    assert 57 <= km <= 61 and 15.5 <= km_under <= 18.5
    assert set(seg.deployment) <= {"aerial", "trench", "duct"} and (seg.address_id == "").all()
    assert ab.built_on.min() >= pd.Timestamp("2024-04-01") and ab.built_on.max() <= pd.Timestamp("2025-03-31")
    serock_white = set(a.id[white & a.terc.isin(SEROCK_TERC)])
    assert set(con.address_id) <= serock_white and con.address_id.is_unique
    assert 0.22 <= len(con) / len(serock_white) <= 0.30
    # built segments are demo road segments
    roads = layers["roads"]
    rk = set(roads.geometry.to_wkb())
    assert all(w in rk for w in seg.geometry.to_wkb())


# --- determinism ------------------------------------------------------------

@pytest.mark.slow
def test_generator_is_deterministic_and_matches_committed_file(tmp_path):
    from planner.synthetic.files import write_demo_area

    out = write_demo_area(tmp_path / "a")  # a fresh generation in this process
    for name in list(DEMO_LAYERS) + ["metadata"]:
        new = pyogrio.read_dataframe(out, layer=name)
        old = pyogrio.read_dataframe(GPKG, layer=name)  # generated earlier in another process
        if isinstance(new, gpd.GeoDataFrame):
            assert_geodataframe_equal(new, old, check_like=False, normalize=False)
            assert (new.geometry.to_wkb() == old.geometry.to_wkb()).all(), name  # exact coordinates
        else:
            pd.testing.assert_frame_equal(new, old)
    assert (tmp_path / "a" / "official_white_spots.csv").read_bytes() == OFFICIAL.read_bytes()
    assert (tmp_path / "a" / "README.md").read_text(encoding="utf-8") == README.read_text(encoding="utf-8")
