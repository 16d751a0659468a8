"""Tests of planner.whitespots: classes, matching, barriers, list diff, reallocation.

Every rule has a hand-built case whose expected answer is worked out by hand
in the test; hypothesis checks order invariance and monotonicity; the demo
area (when generated) is checked against the council's numbers.
"""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import planner.kernels
from planner._errors import InputDataError
from planner.area import Area
from planner.config import WhiteSpotConfig
from planner.io.official_list import read_official_list
from planner.kernels.threads import single_thread, thread_count
from planner.whitespots import (
    classify,
    locality_table,
    normalise_house_number,
    normalise_street,
    official_list_diff,
    propose_reallocation,
    run,
)
from planner.whitespots.codes import codes, combine_codes, first_positions
from planner.whitespots.coverage import declarations, duplicate_keys, duplicate_rows, prepare_coverage
from planner.whitespots.keys import arrow_code, key_hashes, raw_hashes
from planner.whitespots.matching import NO_MATCH, nearest_first, within
from planner.whitespots.reasons import row_descriptions
from planner.whitespots.summaries import summarise

CRS = "EPSG:2180"
X0, Y0 = 640_000.0, 518_000.0  # Serock, easting/northing
SIMC = "0921645"
TERC = "1408044"
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "serock_wieliszew.gpkg"


def _addresses(rows: list[dict]) -> gpd.GeoDataFrame:
    """Address points; each row gives id, x offset and optional fields."""
    base = {"terc": TERC, "simc": SIMC, "ulic": "", "locality": "Serock", "street": "",
            "house_number": "1", "postcode": "05-140", "is_business": False, "status": "istniejacy"}
    recs = [{**base, **{k: v for k, v in r.items() if k not in ("x", "y")}} for r in rows]
    geom = [Point(X0 + r.get("x", 0.0), Y0 + r.get("y", 0.0)) for r in rows]
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=geom, crs=CRS)


def _coverage(rows: list[dict]) -> gpd.GeoDataFrame:
    base = {"address_id": "", "terc": "", "simc": "", "ulic": "", "street": "", "house_number": "",
            "operator": "A", "medium": "fibre", "technology": "GPON", "down_mbps": 1000.0, "up_mbps": np.nan,
            "status": "existing", "year": pd.NA}
    recs = [{**base, **{k: v for k, v in r.items() if k != "geometry"}} for r in rows]
    df = pd.DataFrame(recs)
    df["year"] = df["year"].astype("Int64")
    geom = [r.get("geometry") for r in rows]
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geom, crs=CRS), crs=CRS)


def _buildings(rows: list[tuple[str, float, float, str]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "use": [r[3] for r in rows]},
        geometry=[box(X0 + r[1] - 5, Y0 + r[2] - 5, X0 + r[1] + 5, Y0 + r[2] + 5) for r in rows], crs=CRS)


def _area(addresses, coverage=None, buildings=None, **layers) -> Area:
    lay = {"addresses": addresses}
    if coverage is not None:
        lay["coverage"] = coverage
    if buildings is None:  # a building at every address unless told otherwise
        buildings = _buildings([(f"b{i}", g.x - X0, g.y - Y0, "residential")
                                for i, g in enumerate(addresses.geometry)])
    lay["buildings"] = buildings
    lay.update(layers)
    return Area(name="t", crs=CRS, bounds=(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000), layers=lay)


def _one(cov_rows: list[dict], cfg: WhiteSpotConfig | None = None, **addr) -> pd.Series:
    """Classify one address 'a1' (house number 1) against coverage rows keyed by its id."""
    a = _addresses([{"id": "a1", **addr}])
    rows = [{"address_id": "a1", **r} for r in cov_rows]
    return classify(_area(a, _coverage(rows)), cfg).iloc[0]


# --- normalisation ---------------------------------------------------------


def test_normalisers():
    assert {normalise_street(s) for s in ("ul. Księżycowa", "KSIEZYCOWA", "ulica Księżycowa", " Ul.Księżycowa ")} \
        == {"ksiezycowa"}
    assert normalise_street("al. Łąkowa") == normalise_street("ŁĄKOWA") == "lakowa"
    assert normalise_street("pl. Zamkowy") == normalise_street("Zamkowy") == "zamkowy"
    assert normalise_street("os. Słoneczne") == "sloneczne"
    assert normalise_street("Plac") == "plac"  # a prefix alone is a name, not a prefix
    assert [normalise_house_number(h) for h in ("12A", "12 a", "12a", "12/3", "012", "12.0")] \
        == ["12a", "12a", "12a", "12", "12", "12"]
    assert normalise_house_number("12B") != normalise_house_number("12A")


# --- classification rules --------------------------------------------------


@pytest.mark.parametrize(("down", "expected"), [(99.0, "white"), (99.99, "white"), (100.0, "grey"), (1000.0, "grey")])
def test_threshold_edge(down, expected):
    r = _one([{"technology": "VDSL2", "medium": "copper", "down_mbps": down, "operator": "Orange"}])
    assert r.ws_class == expected
    if expected == "white":
        assert r.ws_reason == f"only VDSL2 {down:g} Mb/s (Orange)"
        assert r.n_nga_now == 0
    else:
        assert r.ws_reason == f"NGA: VDSL2 {down:g} Mb/s (Orange)"
        assert r.n_nga_now == 1


def test_threshold_is_configurable():
    cfg = WhiteSpotConfig(nga_min_down_mbps=30)
    assert _one([{"technology": "VDSL2", "medium": "copper", "down_mbps": 30}], cfg).ws_class == "grey"


@pytest.mark.parametrize(("year", "expected"), [(2024, "grey"), (2026, "grey"), (2027, "white")])
def test_planned_horizon(year, expected):
    # analysis 2023-06-30 + 3 years -> plans due by 2026 count
    r = _one([{"status": "planned", "year": year, "operator": "X"}])
    assert r.ws_class == expected
    if expected == "white":
        assert r.ws_reason == "planned GPON 2027 by X, beyond horizon 2026"
        assert r.n_nga_planned == 0
    else:
        assert r.n_nga_planned == 1 and r.n_nga_now == 0
        assert r.ws_reason == f"NGA: planned GPON {year} (X)"


def test_horizon_is_configurable():
    cfg = WhiteSpotConfig(horizon_years=4)
    assert _one([{"status": "planned", "year": 2027}], cfg).ws_class == "grey"


def test_two_operators_black_same_operator_twice_grey():
    black = _one([{"operator": "A"}, {"operator": "B", "medium": "coax", "technology": "(EURO)DOCSIS 3.x"}])
    assert black.ws_class == "black" and black.n_nga_now == 2
    assert black.ws_reason == "NGA: (EURO)DOCSIS 3.x 1000 Mb/s (B); GPON 1000 Mb/s (A)" or \
        black.ws_reason == "NGA: GPON 1000 Mb/s (A); (EURO)DOCSIS 3.x 1000 Mb/s (B)"
    assert set(black.nga_operators.split("; ")) == {"A", "B"}
    grey = _one([{"operator": "A"}, {"operator": " a ", "technology": "XGS-PON", "down_mbps": 2000}])
    assert grey.ws_class == "grey" and grey.n_nga_now == 1


def test_now_and_planned_combine_as_distinct_operators():
    # same operator now and planned: one network -> grey; another operator planned -> black
    same = _one([{"operator": "A"}, {"operator": "A", "status": "planned", "year": 2025}])
    assert (same.ws_class, same.n_nga_now, same.n_nga_planned) == ("grey", 1, 1)
    other = _one([{"operator": "A"}, {"operator": "B", "status": "planned", "year": 2025}])
    assert (other.ws_class, other.n_nga_now, other.n_nga_planned) == ("black", 1, 1)
    assert other.ws_reason == "NGA: GPON 1000 Mb/s (A); planned GPON 2025 (B)"


def test_radio_only_is_white():
    r = _one([{"medium": "radio", "technology": "LTE", "down_mbps": 300, "operator": "Play"},
              {"medium": "radio", "technology": "NR SA", "down_mbps": 600, "operator": "Plus"}])
    assert r.ws_class == "white" and r.n_nga_now == 0
    assert r.ws_reason.startswith("only ") and "radio" in r.ws_reason


def test_no_coverage_is_white_no_offer():
    r = classify(_area(_addresses([{"id": "a1"}]))).iloc[0]
    assert (r.ws_class, r.ws_reason, r.match_method, r.is_target) == ("white", "no offer", "none", True)


# --- matching -------------------------------------------------------------


def test_address_spellings_match():
    addr = _addresses([
        {"id": "a", "ulic": "10268", "street": "Księżycowa", "house_number": "12A", "x": 0},
        {"id": "b", "ulic": "10268", "street": "Księżycowa", "house_number": "12", "x": 50},
        {"id": "c", "ulic": "10268", "street": "Księżycowa", "house_number": "12B", "x": 100},
    ])
    cov = _coverage([
        # no ULIC, street spelt differently -> street key
        {"simc": SIMC, "street": "ul. Księżycowa", "house_number": "12A", "operator": "A"},
        {"simc": SIMC, "street": "KSIEZYCOWA", "house_number": "12 a", "operator": "B"},
        # flat 3 of building 12, ULIC with lost leading zero, SIMC with lost leading zero
        {"terc": "1408044", "simc": "921645", "ulic": "10268", "house_number": "12/3", "operator": "C"},
    ])
    out = classify(_area(addr, cov)).set_index("id")
    assert out.loc["a", "ws_class"] == "black" and out.loc["a", "match_method"] == "address_key"
    assert out.loc["b", "ws_class"] == "grey" and out.loc["b", "match_method"] == "address_key"
    assert out.loc["c", "ws_class"] == "white" and out.loc["c", "match_method"] == "none"


def test_nearest_point_within_and_beyond(caplog):
    addr = _addresses([{"id": "a", "x": 0}, {"id": "b", "x": 200}])
    cov = _coverage([
        {"geometry": Point(X0 + 20, Y0), "operator": "A"},          # 20 m from a -> a
        {"geometry": Point(X0 + 200, Y0 + 30), "operator": "B"},    # 30 m from b > 25 m -> nothing
    ])
    with caplog.at_level(logging.WARNING, logger="planner.whitespots"):
        res = run(_area(addr, cov))
    out = res.addresses.set_index("id")
    assert (out.loc["a", "ws_class"], out.loc["a", "match_method"]) == ("grey", "nearest_point")
    assert (out.loc["b", "ws_class"], out.loc["b", "match_method"]) == ("white", "none")
    assert any("1 coverage row(s)" in w and "row 1" in w and "match no address" in w for w in res.warnings)
    assert "match no address point" in caplog.text
    # a larger distance reaches b
    out2 = classify(_area(addr, cov), WhiteSpotConfig(match_distance_m=31)).set_index("id")
    assert out2.loc["b", "ws_class"] == "grey"


def test_key_wins_over_point_and_id_wins():
    addr = _addresses([{"id": "a", "house_number": "5", "x": 0}, {"id": "b", "house_number": "6", "x": 10}])
    cov = _coverage([
        {"simc": SIMC, "house_number": "5", "geometry": Point(X0 + 10, Y0), "operator": "A"},  # key -> a
        {"address_id": "b", "simc": SIMC, "house_number": "5", "operator": "B"},            # id -> b
    ])
    out = classify(_area(addr, cov)).set_index("id")
    assert (out.loc["a", "match_method"], out.loc["a", "nga_operators"]) == ("address_key", "A")
    assert (out.loc["b", "match_method"], out.loc["b", "nga_operators"]) == ("address_id", "B")


def test_area_match():
    addr = _addresses([{"id": "in1", "x": 0}, {"id": "in2", "x": 40}, {"id": "out", "x": 500}])
    cov = _coverage([{"geometry": box(X0 - 10, Y0 - 10, X0 + 50, Y0 + 10), "operator": "Cable",
                      "medium": "coax", "technology": "(EURO)DOCSIS 3.x", "down_mbps": 500}])
    out = classify(_area(addr, cov)).set_index("id")
    assert out.loc[["in1", "in2"], "match_method"].tolist() == ["area", "area"]
    assert out.loc[["in1", "in2"], "ws_class"].tolist() == ["grey", "grey"]
    assert (out.loc["out", "ws_class"], out.loc["out", "match_method"]) == ("white", "none")


# --- bad coverage ------------------------------------------------------------


def test_nan_and_text_speed_raise_naming_rows():
    cov = _coverage([{"address_id": "a1"}, {"address_id": "a1", "down_mbps": np.nan, "operator": "Bad"}])
    with pytest.raises(InputDataError) as exc:
        classify(_area(_addresses([{"id": "a1"}]), cov))
    assert len(exc.value.problems) == 1 and exc.value.problems[0].row == 1
    assert "down_mbps" in str(exc.value) and "Bad" in str(exc.value)
    cov = _coverage([{"address_id": "a1"}]).astype({"down_mbps": object})
    cov.loc[0, "down_mbps"] = "szybki"
    with pytest.raises(InputDataError, match="szybki"):
        classify(_area(_addresses([{"id": "a1"}]), cov))
    cov.loc[0, "down_mbps"] = "100"  # numeric text is fine
    assert classify(_area(_addresses([{"id": "a1"}]), cov)).iloc[0].ws_class == "grey"


def test_unknown_medium_and_status_raise():
    with pytest.raises(InputDataError, match="medium 'swiatlowod'"):
        _one([{"medium": "swiatlowod"}])
    with pytest.raises(InputDataError, match="status 'maybe'"):
        _one([{"status": "maybe"}])


def test_unknown_technology_warns_but_classifies():
    a = _addresses([{"id": "a1"}])
    res = run(_area(a, _coverage([{"address_id": "a1", "technology": "SuperFibre9000"}])))
    assert res.addresses.iloc[0].ws_class == "grey"
    assert any("SuperFibre9000" in w and "UKE code list" in w for w in res.warnings)


def test_reason_lists_each_operator_once():
    """An operator with rows in two categories is listed once, by its first row, and not counted twice."""
    out = _one([{"operator": "X", "medium": "copper", "technology": "VDSL2", "down_mbps": 50.0},
                {"operator": "Y", "medium": "copper", "technology": "VDSL2", "down_mbps": 30.0},
                {"operator": "X", "medium": "copper", "technology": "VDSL2", "down_mbps": 80.0,
                 "status": "planned", "year": 2025}])
    assert out.ws_class == "white"
    assert out.ws_reason == "only VDSL2 30 Mb/s (Y); VDSL2 50 Mb/s (X)"  # by category, then text; no "+1 more"


def test_operator_shown_by_its_smallest_spelling():
    """One operator written three ways is one network, shown by its smallest stripped spelling."""
    out = _one([{"operator": " orange "}, {"operator": "Orange", "technology": "XGS-PON"},
                {"operator": "ORANGE ", "down_mbps": 300.0}, {"operator": "Vectra", "medium": "coax",
                                                               "technology": "(EURO)DOCSIS 3.x"}])
    assert out.ws_class == "black" and out.n_nga_now == 2
    assert out.nga_operators == "ORANGE; Vectra"
    assert "(ORANGE)" in out.ws_reason and "range)" not in out.ws_reason


def test_operator_given_as_a_number_is_named_by_it():
    out = _one([{"operator": 5}, {"operator": 7, "technology": "XGS-PON"}])
    assert out.ws_class == "black" and out.nga_operators == "5; 7"
    assert "(5)" in out.ws_reason and "(7)" in out.ws_reason


def test_duplicate_rows_warned_and_dropped():
    a = _addresses([{"id": "a1"}])
    res = run(_area(a, _coverage([{"address_id": "a1"}, {"address_id": "a1"}, {"address_id": "a1", "operator": "B"}])))
    assert any(w.startswith("1 duplicate coverage row") and "[1]" in w for w in res.warnings)
    assert res.addresses.iloc[0].ws_class == "black"


def test_classify_leaves_the_input_frame_alone():
    """The output shares memory with the input layer only where pandas copies on write: neither its
    new columns nor later edits of it reach the caller's frame."""
    a = _addresses([{"id": "a1"}, {"id": "a2", "x": 50}])
    before = a.copy()
    out = classify(_area(a, _coverage([{"address_id": "a1"}])))
    out.loc[out.index[0], "status"] = "prognozowany"
    out.loc[out.index[1], "house_number"] = "99"
    pd.testing.assert_frame_equal(a, before)
    assert out.iloc[0]["status"] == "prognozowany" and "ws_class" not in a.columns


def test_duplicate_address_ids_raise():
    with pytest.raises(InputDataError, match="duplicate ids"):
        classify(_area(_addresses([{"id": "a"}, {"id": "a", "x": 5}])))


@pytest.mark.parametrize("threads", [True, False])
def test_duplicate_address_ids_reported_before_coverage_errors(threads):
    """The id check runs in a worker beside the coverage checks; its error still comes first."""
    bad_speed = _coverage([{"address_id": "a", "down_mbps": "fast"}])
    with contextlib.nullcontext() if threads else single_thread():
        with pytest.raises(InputDataError, match="duplicate ids"):
            classify(_area(_addresses([{"id": "a"}, {"id": "a", "x": 5}]), bad_speed))
        with pytest.raises(InputDataError, match="invalid value"):  # the coverage error alone
            classify(_area(_addresses([{"id": "a"}, {"id": "b", "x": 5}]), bad_speed))


# --- barriers -------------------------------------------------------------


def test_barrier_reasons():
    addr = _addresses([
        {"id": "ok", "x": 0},
        {"id": "far", "x": 100},                               # nearest building edge 35 m away
        {"id": "summer", "x": 200},
        {"id": "planned", "x": 300, "status": "prognozowany"},
        {"id": "grey", "x": 400},                              # no building but grey -> not a barrier
    ])
    b = _buildings([("b0", 0, 0, "residential"), ("b1", 140, 0, "residential"), ("b2", 205, 0, "summer_house"),
                    ("b3", 300, 0, "residential")])
    cov = _coverage([{"address_id": "grey"}])
    out = classify(_area(addr, cov, b)).set_index("id")
    assert out["barrier_reason"].to_dict() == {
        "ok": "", "far": "no_building", "summer": "summer_house", "planned": "status_prognozowany", "grey": ""}
    assert out["is_barrier"].tolist() == [False, True, True, True, False]
    assert out["is_target"].tolist() == [True, False, False, False, False]
    # 35 m is within a 40 m barrier distance
    out2 = classify(_area(addr, cov, b), WhiteSpotConfig(barrier_building_distance_m=40)).set_index("id")
    assert out2.loc["far", "barrier_reason"] == ""


def test_equidistant_buildings_smallest_id_decides_whatever_the_order():
    addr = _addresses([{"id": "a", "x": 0}])
    # two buildings 15 m from the address (edges at x = +-15), one summer house
    rows = [("b2", 20, 0, "residential"), ("b1", -20, 0, "summer_house"), ("b0", 60, 0, "residential")]
    for order in (rows, rows[::-1], [rows[1], rows[2], rows[0]]):
        out = classify(_area(addr, None, _buildings(order)))
        assert out["barrier_reason"].tolist() == ["summer_house"]  # b1 < b2; b0 is farther
    swapped = [("b1", 20, 0, "residential"), ("b2", -20, 0, "summer_house")]
    for order in (swapped, swapped[::-1]):
        assert classify(_area(addr, None, _buildings(order)))["barrier_reason"].tolist() == [""]


def test_equidistant_buildings_with_one_id_first_building_decides_whatever_the_search():
    """Equal ids at equal distance: the first building of the layer, on the grid or the STRtree alike."""
    white = _addresses([{"id": "a1"}])
    far = _addresses([{"id": "a2", "x": 5000, "house_number": "2"}])
    poly = far.set_geometry(gpd.GeoSeries([box(X0 + 4995, Y0 - 5, X0 + 5005, Y0 + 5)], crs=CRS))
    cov = _coverage([{"address_id": "a2"}])  # a2 is grey, a1 white
    for first, second in [((10, 0), (-10, 0)), ((-10, 0), (0, 10)), ((0, -10), (10, 0))]:
        for uses in (["residential", "summer_house"], ["summer_house", "residential"]):
            b = gpd.GeoDataFrame({"id": ["x", "x"], "use": uses},
                                 geometry=[Point(X0 + first[0], Y0 + first[1]), Point(X0 + second[0], Y0 + second[1])],
                                 crs=CRS)
            want = "summer_house" if uses[0] == "summer_house" else ""
            for other in (far, poly):  # a polygon query sends the search to the STRtree
                addr = pd.concat([white, other], ignore_index=True)
                out = classify(_area(addr, cov, b))
                assert out["barrier_reason"].tolist() == [want, ""]


def test_nearest_first_matches_full_sort():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 300))
        q = rng.integers(0, 40, n)
        dist = rng.integers(0, 4, n).astype(float)  # many ties
        ids = rng.choice(np.array(["b3", "b10", "b2", "a", "b2"], dtype=object), n)  # repeated ids too
        q1, k1 = nearest_first(q, dist, ids.__getitem__)
        # oracle: the full three-key sort (id rank of every pair), first pair per query
        order = np.lexsort((pd.factorize(ids, sort=True)[0], dist, q))
        first = np.r_[True, q[order][1:] != q[order][:-1]]
        assert np.array_equal(q1, q[order][first])
        assert np.array_equal(k1, order[first])


@pytest.mark.parametrize("limit", [2**62, 40])  # 40: every mixed-radix code is too large (the general paths)
def test_summaries_equal_a_plain_python_oracle(limit):
    """The compiled per-address pass (method, NGA operator counts and list, reason) against a per-address
    Python oracle (many ties, repeated pairs, operators with rows in several categories)."""
    rng = np.random.default_rng(8)
    for _ in range(150):
        m, n, n_ops = int(rng.integers(1, 200)), int(rng.integers(1, 40)), int(rng.integers(1, 7))
        cov = pd.DataFrame({"cat": rng.integers(0, 6, m).astype(np.int8), "op": rng.integers(0, n_ops, m),
                            "tech": rng.integers(0, 3, m), "medium": rng.integers(0, 2, m),
                            "down": rng.choice([30.0, 100.0, 1000.0], m),
                            "year": rng.choice([np.nan, 2025.0, 2027.0], m)})
        names = np.array([f"Op{i}" for i in range(n_ops)], dtype=object)
        cov.attrs = {"op_display": names, "tech_u": np.array(["", "GPON", "VDSL2"], dtype=object),
                     "medium_u": np.array(["fibre", "copper"], dtype=object), "horizon": 2026}
        k = int(rng.integers(0, 3 * m))
        prow, paddr = rng.integers(0, m, k), rng.integers(0, n, k)
        pm = rng.integers(0, 4, k).astype(np.int8)
        summary = summarise(n, prow, paddr, pm, cov, row_descriptions(cov), code_limit=limit)
        frag_code, frags = row_descriptions(cov)
        for a in range(n):
            mine = [(int(r), int(q)) for r, pa_, q in zip(prow, paddr, pm) if pa_ == a]
            assert summary.method[a] == min([q for _, q in mine], default=NO_MATCH)
            nga = {}
            for r, _ in mine:
                if cov.cat[r] <= 1:
                    nga.setdefault(int(cov.op[r]), set()).add(int(cov.cat[r]))
            assert summary.n_any[a] == len(nga)
            assert summary.n_now[a] == sum(0 in c for c in nga.values())
            assert summary.n_planned[a] == sum(1 in c for c in nga.values())
            codes, texts = summary.operators
            assert texts[codes[a]] == "; ".join(names[o] for o in sorted(nga))
            rows = [r for r, _ in mine if (cov.cat[r] <= 1) == bool(nga)]
            rows = sorted(rows, key=lambda r: (cov.cat[r], -cov.down[r], cov.op[r], frag_code[r]))
            rows = [r for i, r in enumerate(rows) if cov.op[r] not in {cov.op[q] for q in rows[:i]}]
            rows = sorted(rows, key=lambda r: (cov.cat[r], frag_code[r]))
            if not rows:
                want = "no offer"
            else:
                want = ("NGA: ", "only ", "")[0 if cov.cat[rows[0]] <= 1 else 1 if cov.cat[rows[0]] <= 3 else 2]
                want += frags[frag_code[rows[0]]] + "".join(f"; {frags[frag_code[r]]}" for r in rows[1:2])
                want += f"; +{len(rows) - 2} more" if len(rows) > 2 else ""
            codes, texts = summary.reasons
            assert texts[codes[a]] == want


def test_nearest_first_equal_ids_decided_by_feature():
    rng = np.random.default_rng(9)
    for _ in range(20):
        n = int(rng.integers(1, 300))
        q = rng.integers(0, 30, n)
        dist = rng.integers(0, 3, n).astype(float)
        ids = rng.choice(np.array(["b1", "b2", "b1"], dtype=object), n)
        feat = rng.permutation(n)
        q1, k1 = nearest_first(q, dist, ids.__getitem__, feat)
        order = np.lexsort((feat, pd.factorize(ids, sort=True)[0], dist, q))
        first = np.r_[True, q[order][1:] != q[order][:-1]]
        assert dict(zip(q1.tolist(), k1.tolist())) == dict(zip(q[order][first].tolist(), order[first].tolist()))


def test_nearest_first_of_contiguous_runs_in_any_order():
    """Pairs grouped by query (as the grid gives them), the groups in any order: linear path, same answer."""
    rng = np.random.default_rng(4)
    for _ in range(20):
        n = int(rng.integers(1, 300))
        q = np.sort(rng.integers(0, 40, n))
        runs = np.split(np.arange(n), np.flatnonzero(np.diff(q)) + 1)
        perm = np.concatenate([runs[i] for i in rng.permutation(len(runs))])
        q = q[perm]  # contiguous runs, not ascending
        dist = rng.integers(0, 4, n).astype(float)
        ids = rng.choice(np.array(["b3", "b10", "b2", "a", "b2"], dtype=object), n)
        q1, k1 = nearest_first(q, dist, ids.__getitem__)
        order = np.lexsort((pd.factorize(ids, sort=True)[0], dist, q))
        first = np.r_[True, q[order][1:] != q[order][:-1]]
        assert dict(zip(q1.tolist(), k1.tolist())) == dict(zip(q[order][first].tolist(), order[first].tolist()))
        assert len(q1) == len(set(q1.tolist()))


@pytest.mark.parametrize("compiled", [False, True])
def test_stages_in_threads_equal_stages_in_turn(monkeypatch, compiled):
    """The building search and the duplicate check run beside the matching, the kernels on row ranges in
    threads; the result is the same as everything in turn, with the kernels or the library paths."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_whitespots", Path(__file__).resolve().parents[1] / "scripts" / "bench_whitespots.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    area = bench.make_area(20_000, seed=3)
    cov = area["coverage"]
    area.layers["coverage"] = pd.concat([cov, cov.iloc[::97]], ignore_index=True)  # exact repeats
    if thread_count() < 2:
        pytest.skip("one thread only (NUMBA_NUM_THREADS=1): both runs would be in turn")
    if compiled:  # every kernel, on ranges of more than one chunk
        monkeypatch.setattr(planner.kernels, "MIN_COMPILED_ROWS", 0)
        monkeypatch.setattr(planner.kernels.threads, "MIN_ROWS_PER_THREAD", 1000)
    threaded = run(area)
    with single_thread():
        in_turn = run(area)
    pd.testing.assert_frame_equal(threaded.addresses, in_turn.addresses)
    assert threaded.warnings == in_turn.warnings
    dups = [int(w.split()[0]) for w in in_turn.warnings if "duplicate coverage row" in w]
    assert dups and dups[0] >= len(cov.iloc[::97])  # the planted repeats, and the generator's own
    assert (in_turn.addresses["barrier_reason"] == "no_building").sum() > 100


@pytest.mark.parametrize("scale", [1, 2**40])  # 2**40: packing overflows, prefixes renumbered first
def test_combine_numbers_tuples_by_first_appearance(scale):
    rng = np.random.default_rng(5)
    cols = [rng.integers(-1, 4, 500) * scale, rng.integers(0, 3, 500) * scale, rng.integers(-1, 2, 500) * scale]
    got = combine_codes(*cols)
    seen: dict[tuple, int] = {}  # oracle: a plain dict over the tuples, in row order
    want = [seen.setdefault(t, len(seen)) for t in zip(*(c.tolist() for c in cols))]
    assert got.tolist() == want


@pytest.mark.parametrize("min_rows", [0, 10**9])  # 0: the compiled table; 10**9: a factorization of the columns
@pytest.mark.parametrize("op_scale", [1, 2**40])  # 2**40: the codes do not fit one word, general path
def test_declarations_number_rows_by_first_appearance(op_scale, min_rows):
    """declarations against a plain dict over the row tuples (speeds and years NaN alike, -0.0 as 0.0),
    with more distinct declarations than the first table holds (it grows)."""
    rng = np.random.default_rng(8)
    n = 3000
    down = rng.choice([0.0, -0.0, 30.0, 100.0, 99.9, np.nan, -np.nan], n)
    year = rng.choice([np.nan, 2025.0, 2027.0, 2031.0], n)
    cov = pd.DataFrame({"cat": rng.integers(0, 6, n).astype(np.int8), "op": rng.integers(0, 7, n) * op_scale,
                        "tech": rng.integers(0, 5, n), "medium": rng.integers(0, 4, n), "down": down, "year": year})
    got, first = declarations(cov, min_rows=min_rows)

    def canon(x: float) -> float | str:
        return "nan" if x != x else x + 0.0  # -0.0 + 0.0 is 0.0

    seen: dict[tuple, int] = {}
    want = [seen.setdefault((c, o, t, m, canon(d), canon(y)), len(seen))
            for c, o, t, m, d, y in cov.itertuples(index=False)]
    assert len(seen) > 128  # grown twice from the first table of 64
    assert got.tolist() == want
    assert first.tolist() == [want.index(k) for k in range(len(seen))]


def test_duplicate_rows_equal_pandas_duplicated():
    """Exact repeats only, against pandas' duplicated() of the raw columns and WKB: rows that differ in
    one column (the TERC too, which no key hash covers), in spelling only, or in geometry are kept."""
    rng = np.random.default_rng(21)
    choices = {"address_id": ["a1", "a2", ""], "terc": ["1408044", "1408045", ""], "simc": ["0921645", "921645", ""],
               "ulic": ["", "12345"], "street": ["", "ul. Księżycowa", "KSIEZYCOWA"],
               "house_number": ["1", "1 a", "1A"], "operator": ["A", "B"], "down_mbps": [30.0, 100.0],
               "geometry": [None, Point(X0, Y0), Point(X0 + 1, Y0)]}

    def pick(col: str) -> object:
        return choices[col][rng.integers(0, len(choices[col]))]

    distinct = [{col: pick(col) for col in choices} for _ in range(60)]
    base = []
    for _ in range(400):  # repeats of 60 rows, a quarter of them changed in one column
        row = dict(distinct[rng.integers(0, 60)])
        if rng.random() < 0.25:
            col = list(choices)[rng.integers(0, len(choices))]
            row[col] = pick(col)
        base.append(row)
    raw = _coverage(base)
    cov = prepare_coverage(raw, WhiteSpotConfig(), "cov", [])
    wkb = [shapely.to_wkb(g) if g is not None else b"" for g in cov["geometry"]]
    cols = ["address_id", "terc", "simc", "ulic", "street", "house_number", "op", "tech", "medium", "down", "year",
            "cat"]
    want = cov[cols].assign(wkb=wkb).duplicated().to_numpy()
    assert 50 < want.sum() < 350  # repeats and near-repeats both present
    warnings: list[str] = []
    got = duplicate_rows(cov, "cov", warnings)
    assert np.array_equal(got, want)
    assert warnings and warnings[0].startswith(f"{want.sum()} duplicate coverage row")
    keys = duplicate_keys(cov, raw_hashes(cov["address_id"]), key_hashes(cov),
                          declarations(cov)[0])  # as classify passes them
    assert np.array_equal(duplicate_rows(cov, "cov", [], keys), want)


def test_first_positions_equals_numpy_unique():
    rng = np.random.default_rng(11)
    for values in (combine_codes(rng.integers(0, 5, 300), rng.integers(0, 4, 300)),  # first-appearance numbering
                   rng.integers(0, 9, 300), rng.integers(-1, 3, 50) + 7, np.array([3, 1, 3, 0]),
                   np.array([0, -5, 1, 0])):
        assert np.array_equal(first_positions(values), np.unique(values, return_index=True)[1])


def test_codes_of_column_list_equal_codes_of_concatenation():
    parts = [pd.Series(["0921645", " 921645", None, "12"], dtype="str"),
             pd.Series([921645, 12.0, None, "x1"], dtype=object),
             pd.Series([7, 921645], dtype="Int64"), pd.Series([], dtype=object)]
    got_codes, got_u = codes(parts, arrow_code(7))
    want_codes, want_u = codes(pd.concat(parts, ignore_index=True), arrow_code(7))
    assert got_codes.tolist() == want_codes.tolist() and got_u.tolist() == want_u.tolist()
    assert got_u[got_codes[:3]].tolist() == ["0921645", "0921645", ""]


@pytest.mark.parametrize("distance", [0.0, 3.0, 25.0, 40.5])
@pytest.mark.parametrize("kind", ["points", "polygons", "huge polygons", "degenerate"])
def test_within_equals_strtree_dwithin(distance, kind):
    """The grid (forced on a small layer) and, on huge polygons, the STRtree give the STRtree's pairs."""
    rng = np.random.default_rng(13)
    # integer coordinates: many pairs exactly at the distance (3-4-5 triangles, axis offsets)
    xy = rng.integers(-300, 300, (2000, 2)) * 1.0
    geoms = gpd.points_from_xy(xy[:, 0], xy[:, 1])
    if kind == "degenerate":  # zero-length lines and one-point multipoints: measured as their point
        geoms = np.where(np.arange(2000) % 2 == 0, shapely.linestrings(np.repeat(xy, 2, axis=0).reshape(-1, 2, 2)),
                         shapely.multipoints(xy.reshape(-1, 1, 2)))
    elif kind != "points":  # buildings as small rectangles, a few large ones spanning many grid cells
        w = rng.integers(1, 15, (2000, 2)) * 1.0
        w[:5] *= 20
        if kind == "huge polygons":  # too large for the grid: the STRtree answers
            w += 150
        geoms = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + w[:, 0], xy[:, 1] + w[:, 1])
    layer = gpd.GeoDataFrame(geometry=geoms, crs=CRS)
    layer.loc[[5, 17], "geometry"] = None
    q = gpd.GeoSeries(gpd.points_from_xy(rng.integers(-320, 320, 150) * 1.0, rng.integers(-320, 320, 150) * 1.0),
                      crs=CRS)
    q.iloc[3] = None
    qi, li, dist = within(q, layer, distance, min_rows=0)
    assert layer.has_sindex == (kind == "huge polygons")  # the grid was used, no index built
    q2, l2 = layer.sindex.query(q, predicate="dwithin", distance=distance)  # oracle: the STRtree
    assert sorted(zip(qi.tolist(), li.tolist())) == sorted(zip(q2.tolist(), l2.tolist()))
    assert len(q2) > 0
    assert np.array_equal(dist, shapely.distance(q.to_numpy()[qi], layer.geometry.to_numpy()[li]))


def test_empty_buildings_layer_skips_building_rules():
    addr = _addresses([{"id": "a", "x": 0}, {"id": "p", "x": 50, "status": "prognozowany"}])
    empty = _buildings([]).iloc[0:0]
    res = run(_area(addr, None, empty))
    assert res.addresses["barrier_reason"].tolist() == ["", "status_prognozowany"]
    assert any("buildings layer is empty" in w for w in res.warnings)


# --- per-locality table -----------------------------------------------------


def test_locality_table_counts():
    addr = _addresses([
        {"id": "1", "is_business": True, "x": 0},
        {"id": "2", "x": 10, "status": "prognozowany"},
        {"id": "3", "simc": "0008361", "terc": "1408045", "locality": "Stasi Las", "x": 20},
        {"id": "4", "simc": "0008361", "terc": "1408045", "locality": "Stasi Las", "x": 30, "is_business": True},
    ])
    cov = _coverage([{"address_id": "4"}, {"address_id": "4", "operator": "B"}])
    t = locality_table(classify(_area(addr, cov)))
    assert list(t.columns) == ["terc", "simc", "locality", "commune", "points", "businesses",
                               "white", "grey", "black", "barriers", "targets"]
    assert t[["locality", "points", "businesses", "white", "grey", "black", "barriers", "targets"]].values.tolist() \
        == [["Serock", 2, 1, 2, 0, 0, 1, 1], ["Stasi Las", 2, 1, 1, 0, 1, 0, 1]]
    assert set(t["commune"]) <= {"Serock", "1408044", "1408045"}


# --- official list ----------------------------------------------------------


def _classified_for_list() -> gpd.GeoDataFrame:
    addr = _addresses([
        {"id": f"a{i}", "ulic": "10268", "street": "Księżycowa", "house_number": str(i), "x": 30.0 * i}
        for i in range(1, 7)
    ])
    cov = _coverage([{"address_id": "a5", "operator": "Orange"}, {"address_id": "a6", "operator": "Vectra",
                                                                  "medium": "coax", "down_mbps": 300}])
    return classify(_area(addr, cov))


def test_official_list_diff_finds_planted_differences(tmp_path):
    out = _classified_for_list()   # a1..a4 white, a5 grey (Orange), a6 grey (Vectra)
    lst = pd.DataFrame({
        "KOD_TERC": [TERC, TERC, TERC, "1408044", "", TERC],
        "KOD_SIMC": [SIMC, SIMC, SIMC, "921645", "", SIMC],
        "SYM_UL": ["10268", "10268", "", "10268", "", "10268"],
        "ULICA": ["", "", "ul. KSIĘŻYCOWA", "", "", ""],
        "NR": ["1", "2/4", "3", "5", "", "99"],
        "SZER": ["", "", "", "", "", ""],
        "DLUG": ["", "", "", "", "", ""],
    })
    # row 4 located by coordinates only: 10 m from a6
    import pyproj
    lon, lat = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(X0 + 180, Y0 + 10)
    lst.loc[4, ["SZER", "DLUG"]] = [f"{lat:.7f}", f"{lon:.7f}"]
    path = tmp_path / "lista.csv"
    lst.to_csv(path, sep=";", index=False)
    cols = {"terc": "KOD_TERC", "simc": "KOD_SIMC", "ulic": "SYM_UL", "street": "ULICA", "house_number": "NR",
            "lat": "SZER", "lon": "DLUG"}
    diff = official_list_diff(out, read_official_list(path, cols))
    got = {(s, a, r) for s, a, r in diff[["set", "address_id", "list_row"]].itertuples(index=False)}
    assert got == {
        ("on_list_white", "a1", 0), ("on_list_white", "a2", 1), ("on_list_white", "a3", 2),
        ("on_list_covered", "a5", 3), ("on_list_covered", "a6", 4),
        ("on_list_not_found", "", 5),
        ("white_not_on_list", "a4", -1),
    }
    cov_ops = diff.set_index("address_id").loc[["a5", "a6"], "covering_operators"].tolist()
    assert cov_ops == ["Orange", "Vectra"]
    # the same list as XLSX gives the same diff
    xlsx = tmp_path / "lista.xlsx"
    lst.to_excel(xlsx, index=False)
    pd.testing.assert_frame_equal(official_list_diff(out, read_official_list(xlsx, cols)), diff)


def test_official_list_unknown_columns_raise(tmp_path):
    path = tmp_path / "x.csv"
    pd.DataFrame({"foo": ["1"], "bar": ["2"]}).to_csv(path, index=False)
    with pytest.raises(InputDataError, match="official_list_columns"):
        read_official_list(path)


# --- reallocation -----------------------------------------------------------


def _realloc_case():
    addr = _addresses([
        {"id": "t1", "x": 0}, {"id": "t2", "x": 1000},
        {"id": "bar1", "x": 500}, {"id": "bar2", "x": 1500, "simc": "0008361", "locality": "Stasi Las"},
    ])
    b = _buildings([("b1", 0, 0, "residential"), ("b2", 1000, 0, "residential")])
    out = classify(_area(addr, None, b))
    assert out["is_barrier"].tolist() == [False, False, True, True]
    nb = gpd.GeoDataFrame({
        "id": ["n_far", "n_near", "n_mid", "n_stasi"],
        "terc": TERC, "simc": [SIMC, SIMC, SIMC, "0008361"], "ulic": "",
        "locality": ["Serock", "Serock", "Serock", "Stasi Las"], "street": "",
        "house_number": ["100", "101", "102", "103"], "is_business": False,
    }, geometry=[Point(X0, Y0 + 300), Point(X0 + 1000, Y0 + 20), Point(X0, Y0 + 60), Point(X0 + 1000, Y0 + 200)],
        crs=CRS)
    return out, nb


def test_reallocation_prefers_nearest_and_keeps_total():
    out, nb = _realloc_case()
    prop = propose_reallocation(out, nb)
    assert prop["new_building_id"].tolist() == ["n_near", "n_mid", "n_stasi", "n_far"]
    assert prop["distance_m"].round(6).tolist() == [20.0, 60.0, 200.0, 300.0]
    assert prop["accepted"].tolist() == [True, True, False, False]
    assert set(prop["basis"]) == {"nearest_white_spot"}
    # locality first: n_near (Serock) replaces the Serock barrier, n_mid takes the other one
    assert prop["replaces"].tolist() == ["bar1", "bar2", "", ""]
    # contracted total: targets (2) + accepted == total
    for total in (3, 4, 5):
        p = propose_reallocation(out, nb, contracted_total=total)
        assert 2 + p["accepted"].sum() == total
        assert p.loc[p["accepted"], "rank"].max() == total - 2
    # network basis: distances to the segment instead
    net = gpd.GeoDataFrame({"id": ["s"]}, geometry=gpd.GeoSeries.from_wkt(
        [f"LINESTRING ({X0 - 10} {Y0 + 290}, {X0 + 10} {Y0 + 290})"]), crs=CRS)
    p = propose_reallocation(out, nb, network=net)
    assert p.iloc[0]["new_building_id"] == "n_far" and p.iloc[0]["distance_m"] == pytest.approx(10.0)
    assert set(p["basis"]) == {"network"}


def test_reallocation_skips_existing_address():
    out, nb = _realloc_case()
    nb.loc[nb["id"] == "n_near", "house_number"] = "1"  # same key as an existing address
    prop = propose_reallocation(out, nb).set_index("new_building_id")
    assert not prop.loc["n_near", "accepted"] and "already an address point" in prop.loc["n_near", "reason"]
    assert prop["accepted"].sum() == 2


# --- properties -------------------------------------------------------------


_OPS = ["A", "B", "C"]
_row = st.fixed_dictionaries({
    "addr": st.integers(0, 7),
    "operator": st.sampled_from(_OPS),
    "medium": st.sampled_from(["fibre", "coax", "copper", "radio"]),
    "down_mbps": st.sampled_from([20.0, 99.0, 100.0, 300.0, 1000.0]),
    "status": st.sampled_from(["existing", "planned"]),
    "year": st.sampled_from([2024, 2026, 2027]),
    "by": st.sampled_from(["id", "key", "point"]),
})


def _prop_case(rows: list[dict]):
    addr = _addresses([{"id": f"p{i}", "house_number": str(i + 1), "x": 100.0 * i} for i in range(8)])
    cov = []
    for r in rows:
        c = {k: r[k] for k in ("operator", "medium", "down_mbps", "status", "year")}
        if r["by"] == "id":
            c["address_id"] = f"p{r['addr']}"
        elif r["by"] == "key":
            c.update(simc=SIMC, house_number=f"{r['addr'] + 1} ")
        else:
            c["geometry"] = Point(X0 + 100.0 * r["addr"] + 3, Y0 - 4)
        cov.append(c)
    return addr, cov


def _classes(addr, cov_rows) -> pd.DataFrame:
    out = classify(_area(addr, _coverage(cov_rows) if cov_rows else None))
    return out.sort_values("id")[["id", "ws_class", "ws_reason", "n_nga_now", "n_nga_planned",
                                  "match_method", "is_barrier", "barrier_reason"]].reset_index(drop=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_row, min_size=1, max_size=12), seed=st.integers(0, 2**16))
def test_property_row_order_invariant(rows, seed):
    addr, cov = _prop_case(rows)
    base = _classes(addr, cov)
    rng = np.random.default_rng(seed)
    cov2 = [cov[i] for i in rng.permutation(len(cov))]
    addr2 = addr.iloc[rng.permutation(len(addr))].reset_index(drop=True)
    pd.testing.assert_frame_equal(_classes(addr2, cov2), base)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_row, max_size=10), extra=_row)
def test_property_non_nga_row_never_greys_a_white(rows, extra):
    addr, cov = _prop_case(rows)
    base = _classes(addr, cov)
    extra = {**extra, "down_mbps": 99.0} if extra["medium"] != "radio" else extra
    _, (added,) = _prop_case([extra])
    after = _classes(addr, cov + [added])
    assert (after["ws_class"] == base["ws_class"]).all()


def test_oracle_random_against_naive_loop():
    """Vectorised counts equal a per-address Python oracle on random id-keyed rows."""
    rng = np.random.default_rng(7)
    n, m = 60, 300
    addr = _addresses([{"id": f"p{i}", "house_number": str(i), "x": 10.0 * i} for i in range(n)])
    rows = [{"address_id": f"p{rng.integers(n)}", "operator": str(rng.choice(["A", "B", "C", "D"])),
             "medium": str(rng.choice(["fibre", "coax", "copper", "radio"])),
             "down_mbps": float(rng.choice([30, 99, 100, 500])),
             "status": str(rng.choice(["existing", "planned"])), "year": int(rng.choice([2025, 2026, 2027]))}
            for _ in range(m)]
    out = classify(_area(addr, _coverage(rows))).set_index("id")
    for i in range(n):
        now, plan = set(), set()
        for r in rows:
            if r["address_id"] != f"p{i}" or r["medium"] == "radio" or r["down_mbps"] < 100:
                continue
            if r["status"] == "existing":
                now.add(r["operator"])
            elif r["year"] <= 2026:
                plan.add(r["operator"])
        k = len(now | plan)
        exp = "white" if k == 0 else "grey" if k == 1 else "black"
        got = out.loc[f"p{i}"]
        assert (got.ws_class, got.n_nga_now, got.n_nga_planned) == (exp, len(now), len(plan))


def test_deterministic_output():
    out, nb = _realloc_case()
    a = propose_reallocation(out, nb)
    b = propose_reallocation(out, nb.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(a, b)


# --- demo area --------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_result():
    if not DEMO.is_file():
        pytest.skip(f"demo area {DEMO} not generated yet (scripts/make_demo_area.py)")
    import pyogrio

    names = {name for name, _ in pyogrio.list_layers(DEMO)}
    layers = {n: gpd.read_file(DEMO, layer=n) for n in ("addresses", "coverage", "buildings", "new_buildings")
              if n in names}
    area = Area(name="demo", crs=CRS, bounds=tuple(layers["addresses"].total_bounds), layers=layers)
    return run(area, WhiteSpotConfig())


def test_demo_totals(demo_result):
    a = demo_result.addresses
    white = a[a["ws_class"] == "white"]
    assert len(white) == 7614
    assert int(white["is_business"].astype(bool).sum()) == 438
    serock = white["terc"].astype(str).str[:6].eq("140804").mean()
    assert 0.6 < serock < 0.73


def test_demo_stasi_las(demo_result):
    a = demo_result.addresses
    stasi = a[a["locality"] == "Stasi Las"]
    assert len(stasi)
    streets = {"Jutrzenki", "Księżycowa", "Pałacowa", "Pogodna", "Prosta", "Radosna", "Tęczowa", "Warszawska",
               "Helenki"}
    on = stasi["street"].map(normalise_street).isin({normalise_street(s) for s in streets})
    white = stasi["ws_class"] == "white"
    assert (on == white).all(), stasi.loc[on != white, ["id", "street", "house_number", "ws_class", "ws_reason"]]
    kochan = a["street"].map(normalise_street).str.contains("kochanowskiego")
    assert kochan.any() and not (a.loc[kochan, "ws_class"] == "white").any()


def _demo_readme() -> str:
    path = DEMO.parent / "README.md"
    if not path.is_file():
        pytest.skip(f"{path} not generated")
    return path.read_text(encoding="utf-8")


def _readme_section_ids(text: str, heading: str) -> set[str]:
    """Address ids in the markdown table under a heading of data/demo/README.md."""
    part = text.split(heading, 1)[1]
    part = re.split(r"\n(?:#|On the list|White spots missing)", part[1:], maxsplit=1)[0]
    return set(re.findall(r"`([0-9a-f-]{36})`", part))


def test_demo_official_list_diff(demo_result):
    path = DEMO.parent / "official_white_spots.csv"
    if not path.is_file():
        pytest.skip(f"{path} not generated")
    readme = _demo_readme()
    diff = official_list_diff(demo_result.addresses, read_official_list(path, WhiteSpotConfig().official_list_columns))
    covered = set(diff.loc[diff["set"] == "on_list_covered", "address_id"])
    missing = set(diff.loc[diff["set"] == "white_not_on_list", "address_id"])
    # the planted differences are listed (with their ids) in data/demo/README.md
    assert covered == _readme_section_ids(readme, "On the list but covered")
    assert missing == _readme_section_ids(readme, "White spots missing from the list")
    assert len(covered) == 5 and len(missing) == 7
    assert (diff["set"] == "on_list_white").sum() == 7614 - len(missing)
    assert not (diff["set"] == "on_list_not_found").any()
    assert (diff.loc[diff["set"] == "on_list_covered", "covering_operators"] != "").all()


def test_demo_barriers_and_reallocation(demo_result):
    readme = _demo_readme()
    m = re.search(r"(\d[\d,]*) empty plots.*?(\d[\d,]*) summer houses.*?(\d+) `wTrakcieBudowy` and "
                  r"(\d+) `prognozowany`", readme, flags=re.S)
    assert m, "barrier counts not found in data/demo/README.md"
    empty, summer, building, planned = (int(g.replace(",", "")) for g in m.groups())
    a = demo_result.addresses
    counts = a.loc[a["is_barrier"], "barrier_reason"].value_counts().to_dict()
    assert counts == {"no_building": empty, "summer_house": summer, "status_wTrakcieBudowy": building,
                      "status_prognozowany": planned}
    shore = a.loc[a["barrier_reason"] == "summer_house", "locality"].unique()
    assert set(shore) <= {"Jachranka", "Zegrze", "Wierzbica"}
    r = demo_result.reallocation
    assert r is not None and r["accepted"].sum() == min(len(r), int(a["is_barrier"].sum()))


# --- more rules -------------------------------------------------------------


def test_terc_mismatch_warns():
    a = _addresses([{"id": "a", "house_number": "7"}])
    res = run(_area(a, _coverage([{"terc": "1408052", "simc": SIMC, "house_number": "7"}])))
    assert res.addresses.iloc[0].ws_class == "grey"  # SIMC decides
    assert any("another commune TERC" in w and "row 0" in w for w in res.warnings)
    # the rodzaj digit (3 vs 4) is not a mismatch
    res = run(_area(a, _coverage([{"terc": "1408043", "simc": SIMC, "house_number": "7"}])))
    assert not any("TERC" in w for w in res.warnings)
    # a dropped repeat of a mismatching row is not counted again; the warnings keep their order
    row = {"terc": "1408052", "simc": SIMC, "house_number": "7"}
    res = run(_area(a, _coverage([row, {"simc": SIMC, "house_number": "99"}, row])))
    assert [w.split(" coverage row")[0] for w in res.warnings] == ["1 duplicate", "1", "1"]
    assert "another commune TERC" in res.warnings[1] and "match no address" in res.warnings[2]


def test_planned_without_year_counts_and_warns():
    a = _addresses([{"id": "a1"}])
    res = run(_area(a, _coverage([{"address_id": "a1", "status": "planned", "year": pd.NA}])))
    assert res.addresses.iloc[0].ws_class == "grey"
    assert any("no year" in w for w in res.warnings)


def test_empty_status_is_existing_address():
    out = classify(_area(_addresses([{"id": "a", "status": ""}])))
    assert (out.iloc[0].is_barrier, out.iloc[0].is_target) == (False, True)


def test_codes_read_as_numbers_match():
    # SIMC/ULIC/house number read from a spreadsheet as numbers lose leading zeros / gain '.0'
    a = _addresses([{"id": "a", "simc": "0008361", "ulic": "01234", "house_number": "5"}])
    cov = _coverage([{"operator": "A"}]).astype({"simc": object, "ulic": object, "house_number": object})
    cov.loc[0, ["simc", "ulic", "house_number"]] = [8361.0, 1234, 5.0]
    out = classify(_area(a, cov))
    assert (out.iloc[0].ws_class, out.iloc[0].match_method) == ("grey", "address_key")


def test_read_official_list_gpkg(tmp_path):
    out = _classified_for_list()
    pts = gpd.GeoDataFrame({"kod_simc": [SIMC, ""], "nr_porzadkowy": ["2", ""]},
                           geometry=[Point(X0 + 60, Y0), Point(X0 + 90.5, Y0 + 1)], crs=CRS)
    path = tmp_path / "lista.gpkg"
    pts.to_crs("EPSG:4326").to_file(path, layer="lista")
    lst = read_official_list(path)  # columns found by their UKE spellings
    diff = official_list_diff(out, lst)
    on = diff[diff["set"] == "on_list_white"].sort_values("list_row")
    assert on["address_id"].tolist() == ["a2", "a3"]  # a3 by its point, 0.5 m + 1 m away


def test_run_uses_area_new_buildings():
    out, nb = _realloc_case()
    addr = out[["id", "terc", "simc", "ulic", "locality", "street", "house_number", "postcode", "is_business",
                "status", "geometry"]]
    b = _buildings([("b1", 0, 0, "residential"), ("b2", 1000, 0, "residential")])
    res = run(_area(addr, None, b, new_buildings=nb))
    assert res.reallocation is not None and res.reallocation["accepted"].sum() == 2
    assert res.official_diff is None


def test_empty_operator_raises():
    with pytest.raises(InputDataError, match="operator is empty") as exc:
        _one([{"operator": "A"}, {"operator": "  "}])
    assert [p.row for p in exc.value.problems] == [1]


def test_reasons_are_localized_for_the_polish_map():
    from planner.whitespots import localize_reasons

    reasons = pd.Series([
        "no offer",
        "only VDSL2 30 Mb/s (MiedzTel); LTE 150 Mb/s radio (RadioLink); +2 more",
        "NGA: planned GPON 2025 (FiberPlan)",
        "planned GPON 2027 by FiberPlan, beyond horizon 2026",
        "planned GPON (no year) (FiberPlan)",
        "NGA: GPON 1000 Mb/s (ŚwiatłoNet)",
        None,
    ])
    assert localize_reasons(reasons, "pl").tolist() == [
        "brak oferty",
        "tylko VDSL2 30 Mb/s (MiedzTel); LTE 150 Mb/s radio (RadioLink); +2 kolejnych",
        "NGA: planowane GPON 2025 (FiberPlan)",
        "planowane GPON 2027 (FiberPlan), poza horyzontem 2026",
        "planowane GPON (rok nieznany) (FiberPlan)",
        "NGA: GPON 1000 Mb/s (ŚwiatłoNet)",
        "",
    ]
    # English is the classifier's own wording
    assert localize_reasons(reasons, "en").tolist() == reasons.fillna("").tolist()


# --- package layout -----------------------------------------------------------


def _planner_imports() -> dict[str, set[str]]:
    """Module -> the planner modules it imports (module level or inside functions), from the source."""
    import ast

    root = Path(__file__).resolve().parents[1] / "planner"
    mods = {}
    for p in root.rglob("*.py"):
        parts = p.relative_to(root.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                names = [s for s in subs if s in mods] or [node.module]
            else:
                continue
            for n in names:
                while n and n not in mods:
                    n = n.rpartition(".")[0]
                if n and n != m and not m.startswith(n + "."):  # a package's own __init__ is no dependency
                    graph[m].add(n)
    return graph


def test_white_spot_packages_one_concept_per_module_and_no_import_cycle():
    """planner.whitespots, planner.kernels and planner.validation: modules of at most 600 lines, none of them
    on an import cycle; planner.io never imports the stage, the kernels and the checks import neither."""
    graph = _planner_imports()
    ours = [m for m in graph if m.split(".")[:2] in (["planner", "whitespots"], ["planner", "kernels"],
                                                        ["planner", "validation"])]
    assert len(ours) > 20
    root = Path(__file__).resolve().parents[1]
    for m in ours:
        path = root / (m.replace(".", "/") + ".py")
        path = path if path.is_file() else root / m.replace(".", "/") / "__init__.py"
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 600, m

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            for n in graph[m] - seen:
                if n == goal:
                    return True
                seen.add(n)
                todo.append(n)
        return False

    assert [m for m in ours if reaches(m, m)] == []
    assert not any(n.startswith("planner.whitespots") for m in graph if m.startswith("planner.io") for n in graph[m])
    assert not any(n.startswith(("planner.whitespots", "planner.io")) for m in graph
                   if m.startswith(("planner.kernels", "planner.validation")) for n in graph[m])
