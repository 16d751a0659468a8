"""The map's layer encoding against its plain definition: geopandas ``to_crs``, nested lists, ``json.dumps``."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.maps.encoding import Col, RawJSON, dumps, encode_col, layer_spec, wgs84_bounds

_E = st.floats(600_000, 700_000)  # EPSG:2180 around Serock
_N = st.floats(470_000, 560_000)


def _reference_coordinates(geo: gpd.GeoSeries, precision: int) -> list:
    """The definition: transform the geometries, round every coordinate, GeoJSON coordinates as lists."""
    wgs = geo.to_crs("EPSG:4326").to_numpy()
    rounded = shapely.transform(wgs, lambda c: np.round(c, precision))
    return [json.loads(s)["coordinates"] for s in shapely.to_geojson(rounded)]


def _spec_json(spec: dict, key: str) -> str:
    return json.dumps(json.loads(dumps(spec))[key], separators=(",", ":"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.lists(st.tuples(_E, _N), min_size=2, max_size=6), min_size=1, max_size=8),
       precision=st.integers(4, 8), crs=st.sampled_from(["EPSG:2180", "EPSG:4326"]))
def test_line_coordinates_as_to_crs_and_nested_lists(lines, precision, crs):
    geo = gpd.GeoSeries(shapely.linestrings(lines) if len({len(x) for x in lines}) == 1
                        else [shapely.LineString(x) for x in lines], crs="EPSG:2180")
    if crs == "EPSG:4326":
        geo = geo.to_crs(crs)
    spec = layer_spec(geo, "line", cols=[], styles=[{}], precision=precision, lang="pl")
    assert isinstance(spec["geom"], RawJSON)
    expected = _reference_coordinates(geo, precision)
    assert json.loads(spec["geom"]) == expected
    # byte for byte the text json.dumps writes for the nested lists
    assert spec["geom"] == json.dumps(expected, separators=(",", ":"))


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(_E, _N), min_size=1, max_size=10), precision=st.integers(4, 8))
def test_point_coordinates_as_to_crs(points, precision):
    geo = gpd.GeoSeries(shapely.points(points), crs="EPSG:2180")
    spec = layer_spec(geo, "point", cols=[], styles=[{}], precision=precision, lang="pl")
    wgs = geo.to_crs("EPSG:4326")
    assert spec["lat"] == np.round(wgs.y.to_numpy(), precision).tolist()
    assert spec["lon"] == np.round(wgs.x.to_numpy(), precision).tolist()


def test_other_geometries_through_geojson():
    poly = shapely.Polygon([(640_000, 518_000), (640_100, 518_000), (640_100, 518_100)])
    multi = shapely.MultiLineString([[(640_000, 518_000), (640_010, 518_010)], [(640_020, 518_000), (640_030, 518_0)]])
    geo = gpd.GeoSeries([poly, multi], crs="EPSG:2180")
    spec = layer_spec(geo, "polygon", cols=[], styles=[{}], precision=6, lang="pl")
    assert not isinstance(spec["geom"], RawJSON)
    assert spec["geom"] == _reference_coordinates(geo, 6)
    z = gpd.GeoSeries([shapely.LineString([(640_000, 518_000, 5), (640_010, 518_010, 7)])], crs="EPSG:2180")
    assert layer_spec(z, "line", cols=[], styles=[{}], precision=6, lang="pl")["geom"] == _reference_coordinates(z, 6)


def test_dumps_writes_raw_json_values_as_they_are():
    spec = {"kind": "line", "geom": RawJSON("[[[1.5,2.0]]]"), "heading": "<b>", "n": [1, None]}
    text = dumps(spec)
    assert text == '{"kind":"line","geom":[[[1.5,2.0]]],"heading":"\\u003cb>","n":[1,null]}'
    assert json.loads(text) == {"kind": "line", "geom": [[[1.5, 2.0]]], "heading": "<b>", "n": [1, None]}
    with pytest.raises(ValueError):
        dumps({"geom": RawJSON("[]"), "x": float("nan")})


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("abAB ąŁż1-_")), max_size=4)),
                       min_size=0, max_size=30),
       dtype=st.sampled_from(["str", "object"]))
def test_text_fields_dictionary_sorted_as_factorize(values, dtype):
    s = pd.Series(values, dtype=dtype)
    got = encode_col(Col("x", s), "pl")
    text = s.astype(object).where(s.notna(), "").astype(str)
    codes, uniques = pd.factorize(text, sort=True)
    if "dict" in got:
        assert got["dict"] == [str(u) for u in uniques] and got["v"] == codes.tolist()
    else:
        assert got["v"] == text.tolist() and len(uniques) > max(1, len(values) // 3)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.floats(-1e15, 1e15), st.integers(-10**9, 10**9)), max_size=20),
       decimals=st.integers(0, 3))
def test_number_fields_as_pandas_rounds_them(values, decimals):
    s = pd.Series(values, dtype="float64")
    got = encode_col(Col("x", s, unit=" m", decimals=decimals), "pl")["v"]
    v = s.round(decimals)
    expected = (v.astype("Int64").astype(object) if decimals == 0 else v.astype(object)).where(v.notna(), None)
    assert got == expected.tolist()
    assert json.dumps(got) == json.dumps(expected.tolist())


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(_E, _N), min_size=3, max_size=12), empty=st.booleans(), missing=st.booleans())
def test_bounds_as_to_crs_total_bounds(points, empty, missing):
    geoms = [shapely.Point(points[0]), shapely.LineString(points[:3]), shapely.Polygon(points[:3]).buffer(5),
             shapely.MultiPoint(points[3:] or points[:1])]
    geoms += [shapely.LineString()] if empty else []
    geoms += [None] if missing else []
    geo = gpd.GeoSeries(geoms, crs="EPSG:2180")
    assert wgs84_bounds(geo).tolist() == geo.to_crs("EPSG:4326").total_bounds.tolist()
