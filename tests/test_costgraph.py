"""Cost graph: noding, deployment options and their prices on hand-built edges.

Every expected price is computed by hand from the config's documented unit
prices, so a wrong rule (or a wrong unit) fails here.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from _costgraph_fixtures import X0, Y0, address, addresses_gdf, box, line, make_area, point

from planner._errors import InputDataError
from planner.config import Config
from planner.costgraph import build_cost_graph

CFG = Config(progress=False)
C = CFG.costs


def _graph(area, targets=None, cfg: Config = CFG):
    return build_cost_graph(area, cfg, targets if targets is not None else addresses_gdf([]))


def _one_road(length: float = 200.0, **road) -> list[dict]:
    return [{"id": "r1", "highway": "residential", "geometry": line((0, 0), (length, 0)), **road}]


def _poles(xs, y: float = 5.0, owner: str = "commune_lighting", start: int = 0) -> list[dict]:
    return [{"id": f"p{start + i:03d}", "owner": owner, "geometry": point(x, y)} for i, x in enumerate(xs)]


# -- aerial -----------------------------------------------------------------------


def test_aerial_chosen_on_pole_chain_with_owner_fees():
    xs = np.arange(0.0, 201.0, 35.0)  # 0, 35, ..., 175: spans 35 m, last span to the end 25 m
    g = _graph(make_area(roads=_one_road(), poles=_poles(xs)))
    assert len(g.edges) == 1
    e = g.edges.iloc[0]
    expected = 200.0 * C.aerial_pln_per_m + len(xs) * C.pole_fee_commune_lighting_pln
    assert e["deployment"] == "aerial"
    assert e["cost_aerial"] == pytest.approx(expected)
    assert e["cost_pln"] == pytest.approx(expected)
    assert e["cost_trench"] == pytest.approx(200.0 * C.trench_paved_pln_per_m)
    assert e["pole_owner"] == "commune_lighting"
    assert e["n_poles"] == len(xs)
    assert e["pole_ids"] == ";".join(f"p{i:03d}" for i in range(len(xs)))


def test_mixed_owners_priced_per_pole_majority_recorded():
    poles = _poles([10, 45], owner="commune_lighting") + _poles([80, 115, 150], owner="telecom", start=2) \
        + _poles([185], owner="power", start=5)
    g = _graph(make_area(roads=_one_road(), poles=poles))
    e = g.edges.iloc[0]
    fees = 2 * C.pole_fee_commune_lighting_pln + 3 * C.pole_fee_telecom_pln + C.pole_fee_power_pln
    assert e["deployment"] == "aerial"
    assert e["cost_aerial"] == pytest.approx(200 * C.aerial_pln_per_m + fees)
    assert e["pole_owner"] == "telecom"
    assert (e["poles_commune_lighting"], e["poles_telecom"], e["poles_power"]) == (2, 3, 1)


def test_trench_when_spans_too_long():
    xs = np.arange(0.0, 201.0, 80.0)  # spans 80 m > 70 m
    g = _graph(make_area(roads=_one_road(), poles=_poles(xs)))
    assert set(g.edges["deployment"]) == {"trench"}
    assert np.isinf(g.edges["cost_aerial"]).all()
    assert g.edges["cost_pln"].sum() == pytest.approx(200 * C.trench_paved_pln_per_m)


def test_trench_when_poles_too_far_from_road():
    xs = np.arange(0.0, 201.0, 35.0)
    g = _graph(make_area(roads=_one_road(), poles=_poles(xs, y=20.0)))  # 20 m > 15 m offset
    assert set(g.edges["deployment"]) == {"trench"}
    g2 = _graph(make_area(roads=_one_road(), poles=_poles(xs, y=14.0)))
    assert set(g2.edges["deployment"]) == {"aerial"}


def test_unusable_poles_ignored():
    poles = _poles(np.arange(0.0, 201.0, 35.0))  # 0, 35, ..., 175
    for p in poles[3:5]:
        p["usable"] = False  # 105 and 140 unusable: chain 0-70, lone pole at 175 is no chain
    g = _graph(make_area(roads=_one_road(), poles=poles))
    e = g.edges.sort_values("road_from_m")
    assert list(e["deployment"]) == ["aerial", "trench"]
    assert e["length_m"].tolist() == pytest.approx([70.0, 130.0])
    assert e["pole_ids"].iloc[0] == "p000;p001;p002"


def test_partly_poled_road_split_into_aerial_and_trench():
    # poles only on the first 300 m of a 1000 m road
    g = _graph(make_area(roads=_one_road(1000.0), poles=_poles(np.arange(0.0, 301.0, 30.0))))
    e = g.edges.sort_values("road_from_m")
    assert list(e["deployment"]) == ["aerial", "trench"]
    assert e["length_m"].tolist() == pytest.approx([300.0, 700.0])
    assert e["length_m"].sum() == pytest.approx(1000.0)
    assert e["cost_pln"].iloc[0] == pytest.approx(300 * C.aerial_pln_per_m + 11 * C.pole_fee_commune_lighting_pln)
    assert e["cost_pln"].iloc[1] == pytest.approx(700 * C.trench_paved_pln_per_m)


def test_allow_aerial_switch():
    cfg = CFG.updated(design={"allow_aerial": False})
    g = _graph(make_area(roads=_one_road(), poles=_poles(np.arange(0.0, 201.0, 35.0))), cfg=cfg)
    assert set(g.edges["deployment"]) == {"trench"}
    assert np.isinf(g.edges["cost_aerial"]).all()


# -- ducts ----------------------------------------------------------------------------


def _duct(free: int = 1, y: float = 2.0, x1: float = 200.0) -> list[dict]:
    return [{"id": "d1", "owner": "gmina", "free_subducts": free, "geometry": line((0, y), (x1, y))}]


def test_duct_reuse_chosen_when_duct_follows_edge():
    g = _graph(make_area(roads=_one_road(), ducts=_duct()))
    e = g.edges.iloc[0]
    assert e["deployment"] == "duct" and e["duct_id"] == "d1"
    assert e["cost_pln"] == pytest.approx(200 * C.duct_reuse_pln_per_m)


def test_duct_needs_free_subduct_and_must_follow():
    assert set(_graph(make_area(roads=_one_road(), ducts=_duct(free=0))).edges["deployment"]) == {"trench"}
    assert set(_graph(make_area(roads=_one_road(), ducts=_duct(y=8.0))).edges["deployment"]) == {"trench"}
    cfg = CFG.updated(design={"allow_duct_reuse": False})
    assert set(_graph(make_area(roads=_one_road(), ducts=_duct()), cfg=cfg).edges["deployment"]) == {"trench"}


def test_duct_along_part_of_road_splits_it():
    g = _graph(make_area(roads=_one_road(500.0), ducts=_duct(x1=200.0)))
    e = g.edges.sort_values("road_from_m")
    assert list(e["deployment"]) == ["duct", "trench"]
    assert e["length_m"].tolist() == pytest.approx([200.0, 300.0])


def test_duct_beats_aerial_when_cheaper():
    area = make_area(roads=_one_road(), ducts=_duct(), poles=_poles(np.arange(0.0, 201.0, 35.0)))
    e = _graph(area).edges.iloc[0]
    assert e["deployment"] == "duct"
    assert np.isfinite(e["cost_aerial"]) and e["cost_duct"] < e["cost_aerial"]


# -- trench surfaces and crossings ----------------------------------------------------------


@pytest.mark.parametrize(
    ("highway", "surface", "expected"),
    [
        ("residential", "unpaved", "unpaved"),
        ("residential", "paved", "paved"),
        ("primary", "paved", "carriageway"),
        ("secondary", "unpaved", "carriageway"),
    ],
)
def test_trench_surface_class(highway, surface, expected):
    g = _graph(make_area(roads=_one_road(highway=highway, surface=surface)))
    e = g.edges.iloc[0]
    assert e["surface"] == expected
    assert e["cost_pln"] == pytest.approx(200 * C.trench_pln_per_m(expected))


def test_road_crossing_where_side_street_meets_main_road():
    roads = [
        {"id": "main", "highway": "tertiary", "geometry": line((-100, 0), (0, 0), (100, 0))},
        {"id": "side", "highway": "residential", "geometry": line((0, 0), (0, 120))},
        {"id": "end", "highway": "residential", "geometry": line((100, 0), (200, 0))},  # main road ends here
    ]
    g = _graph(make_area(roads=roads))
    side = g.edges[g.edges["road_id"] == "side"].iloc[0]
    assert side["road_crossings"] == 1
    assert side["cost_pln"] == pytest.approx(120 * C.trench_paved_pln_per_m + C.road_crossing_pln)
    # a main road ending at a junction is not crossed; the main road itself carries no crossing
    assert g.edges.loc[g.edges["road_id"] == "end", "road_crossings"].tolist() == [0]
    assert g.edges.loc[g.edges["road_id"] == "main", "road_crossings"].tolist() == [0, 0]


# -- consents --------------------------------------------------------------------------------


def _estate(consent: str, ownership: str = "private") -> tuple[list[dict], list[dict]]:
    roads = [
        {"id": "pub", "highway": "residential", "geometry": line((0, 0), (200, 0))},
        {"id": "int", "highway": "service", "private": True, "geometry": line((100, 0), (100, 150))},
    ]
    parcels = [{"id": "140804_5.0001.12", "ownership": ownership, "consent": consent,
                "geometry": box(80, 5, 120, 200)}]
    return roads, parcels


def test_refused_parcel_edge_unusable():
    roads, parcels = _estate("refused")
    g = _graph(make_area(roads=roads, parcels=parcels))
    e = g.edges[g.edges["road_id"] == "int"].iloc[0]
    assert not e["usable"] and e["consent"] == "refused" and e["parcel_id"] == "140804_5.0001.12"
    assert g.edges.loc[g.edges["road_id"] == "pub", "usable"].all()


def test_pending_parcel_penalty():
    roads, parcels = _estate("pending")
    g = _graph(make_area(roads=roads, parcels=parcels))
    e = g.edges[g.edges["road_id"] == "int"].iloc[0]
    assert e["usable"] and e["consent"] == "pending"
    assert e["cost_pln"] == pytest.approx(150 * C.trench_paved_pln_per_m + C.consent_pending_penalty_pln)


@pytest.mark.parametrize(("consent", "ownership", "expected"), [
    ("granted", "private", "granted"),
    ("not_needed", "private", "not_needed"),
    ("refused", "public", "not_needed"),  # public land needs no owner's consent
])
def test_parcel_consent_normal(consent, ownership, expected):
    roads, parcels = _estate(consent, ownership)
    g = _graph(make_area(roads=roads, parcels=parcels))
    e = g.edges[g.edges["road_id"] == "int"].iloc[0]
    assert e["usable"] and e["consent"] == expected
    assert e["cost_pln"] == pytest.approx(150 * C.trench_paved_pln_per_m)


def test_private_road_outside_parcels_is_pending():
    roads, _ = _estate("granted")
    g = _graph(make_area(roads=roads))
    e = g.edges[g.edges["road_id"] == "int"].iloc[0]
    assert e["consent"] == "pending" and e["parcel_id"] == ""


# -- noding and access ---------------------------------------------------------------------------


def test_noding_shared_vertex_t_junction_and_bridge():
    roads = [
        {"id": "a", "highway": "residential", "geometry": line((0, 0), (100, 0), (200, 0))},
        {"id": "b", "highway": "residential", "geometry": line((100, -100), (100, 0), (100, 100))},  # shares (100,0)
        {"id": "t", "highway": "residential", "geometry": line((150, 0.3), (150, 80))},  # T without shared vertex
        {"id": "br", "highway": "residential", "geometry": line((50, -50), (50, 50))},  # bridge: no shared vertex
    ]
    g = _graph(make_area(roads=roads))
    e = g.edges
    # a split at 100 (shared vertex) and 150 (T); b split at 100; t and br whole
    assert sorted(e.loc[e["road_id"] == "a", "length_m"]) == pytest.approx([50.0, 50.0, 100.0], abs=0.01)
    assert len(e[e["road_id"] == "b"]) == 2
    assert len(e[e["road_id"] == "br"]) == 1
    assert e["length_m"].sum() == pytest.approx(200 + 200 + 79.7 + 100, abs=0.01)
    deg = np.bincount(np.r_[e["u"], e["v"]], minlength=g.n_nodes)
    node100 = np.flatnonzero(np.all(np.isclose(g.node_xy, [X0 + 100, Y0]), axis=1))
    assert node100.size == 1 and deg[node100[0]] == 4
    # every edge geometry runs from node u to node v
    start = shapely.get_coordinates(shapely.get_point(e.geometry.values, 0))
    end = shapely.get_coordinates(shapely.get_point(e.geometry.values, -1))
    assert np.allclose(start, g.node_xy[e["u"]]) and np.allclose(end, g.node_xy[e["v"]])


def test_access_points_split_roads_and_snap_to_nodes():
    tg = addresses_gdf([address(1, 60, 20), address(2, 199.5, 15), address(3, 60.4, -30), address(4, 100, 3000)])
    g = _graph(make_area(roads=_one_road()), tg)
    acc = g.access.set_index("address_id")
    n1, n2, n3 = acc.loc["1", "access_node"], acc.loc["2", "access_node"], acc.loc["3", "access_node"]
    assert np.allclose(g.node_xy[n1], [X0 + 60, Y0])
    assert np.allclose(g.node_xy[n2], [X0 + 200, Y0])  # snapped to the road end (0.5 m < 1 m)
    assert n3 == n1  # 0.4 m apart along the road: one node
    assert acc.loc["1", "drop_length_m"] == pytest.approx(20.0)
    assert acc.loc["4", "access_node"] == -1 and acc.loc["4", "reason"] == "no_road_access"
    assert acc.loc["4", "geometry"] is None
    assert sorted(g.edges["length_m"].round(6)) == [60.0, 140.0]
    assert g.pop_nodes.tolist() == [int(np.flatnonzero(np.all(np.isclose(g.node_xy, [X0, Y0]), axis=1))[0])]


def test_fence_is_where_drop_enters_parcel():
    parcels = [{"id": "P", "ownership": "private", "consent": "not_needed", "geometry": box(40, 30, 80, 70)}]
    tg = addresses_gdf([address(1, 60, 50)])
    g = _graph(make_area(roads=_one_road(), parcels=parcels), tg)
    a = g.access.iloc[0]
    assert a["drop_length_m"] == pytest.approx(30.0)
    assert a["fence_parcel_id"] == "P"
    assert shapely.get_coordinates(a.geometry)[-1].tolist() == pytest.approx([X0 + 60, Y0 + 30])


def test_drop_crossing_flag_by_side_of_main_road():
    roads = [{"id": "m", "highway": "tertiary", "geometry": line((0, 0), (200, 0))}]  # digitised eastwards
    tg = addresses_gdf([address(1, 50, 20), address(2, 150, -20)])
    g = _graph(make_area(roads=roads), tg)
    assert g.access["crossing_if_underground"].tolist() == [1, 0]  # left (north) side is across


def test_pop_far_from_roads_is_an_error():
    area = make_area(roads=_one_road(), pops=[{"id": "POP9", "geometry": point(0, 5000)}])
    with pytest.raises(InputDataError, match="POP") as exc:
        _graph(area)
    assert "POP9" in str(exc.value)


def test_total_length_preserved_on_random_roads():
    rng = np.random.default_rng(7)
    roads = []
    for i in range(40):
        x, y = rng.uniform(0, 1000, 2)
        roads.append({"id": f"r{i}", "highway": "residential",
                      "geometry": line((x, y), (x + rng.uniform(-300, 300), y + rng.uniform(-300, 300)))})
    roads.append({"id": "pop", "highway": "residential", "geometry": line((0, 0), (10, 10))})
    tg = addresses_gdf([address(i, *rng.uniform(0, 1000, 2)) for i in range(60)])
    g = _graph(make_area(roads=roads), tg)
    total = sum(r["geometry"].length for r in roads)
    assert g.edges["length_m"].sum() == pytest.approx(total, rel=1e-6, abs=0.5)
    assert (g.access["access_node"] >= 0).all()
    # oracle: the access distance is the distance to the nearest road
    allroads = shapely.union_all([r["geometry"] for r in roads])
    expected = shapely.distance(np.asarray(tg.geometry.values), allroads)
    assert np.allclose(g.access["access_distance_m"], expected)
    # every drop starts at its access node
    start = shapely.get_coordinates(shapely.get_point(g.access.geometry.values, 0))
    assert np.allclose(start, g.node_xy[g.access["access_node"]])
