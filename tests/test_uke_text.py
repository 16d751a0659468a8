"""The column-wise UKE writers (CSV, GeoJSON, GML) give the bytes of row-by-row reference writers.

Oracle: tests/_uke_reference.py (the straightforward writers, one ``json.dumps`` / f-string per row),
on hand-made layers with every kind of awkward value, on random layers (hypothesis), on the fixture
plan and on the demo plan's written files.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _report_fixtures import make_fixture_plan
from _uke_reference import csv_text as ref_csv
from _uke_reference import geojson_text as ref_geojson
from _uke_reference import gml_text as ref_gml
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from planner.output import uke as ue
from planner.output.uke.gml import gml_documents, gml_text
from planner.output.uke.tables import uke_layers
from planner.output.uke.text import concat_rows, csv_text, geojson_text, layer_text

AWKWARD = ["plain", "", 'quote "x"', "back\\slash", "new\nline", "tab\tand\rcr", "amp & <lt> >", "ś ż ł Ą",
           "\x01ctrl", "€ 😀", " lead", "trail ", '""', "null", "0"]
COLS = ["a_text", "lk03_punkty_zalamania", "b_const", "c_empty", "d_int", "e_missing"]


def _awkward_layer(geoms: list) -> gpd.GeoDataFrame:
    n = len(geoms)
    texts = (AWKWARD * (n // len(AWKWARD) + 1))[:n]
    return gpd.GeoDataFrame({
        "a_text": texts,
        "lk03_punkty_zalamania": [f"WKT {i}" for i in range(n)],
        "b_const": "Linia kablowa nadziemna, oświetleniowej",
        "c_empty": "",
        "d_int": np.arange(n, dtype=np.int64) * 7 - 3,
        "e_missing": pd.Series([None if i % 3 == 0 else f"v{i}" for i in range(n)], dtype=object),
    }, geometry=geoms, crs="EPSG:4326")


POINTS = [Point(20.0 + i * 0.1234567891, 52.0 + i * 0.0000000449) for i in range(len(AWKWARD) + 2)]
MIXED = [LineString([(21.0, 52.5), (21.00000005, 52.49999995), (21.3, 52.1)]), Point(-0.0, 0.0),
         Point(20.99999999, 52.123456789), LineString([(14.5, 49.5), (24.0, 54.0)])]


def _assert_same_as_reference(gdf: gpd.GeoDataFrame, columns: list[str]) -> None:
    lt = layer_text(gdf, columns)
    assert csv_text(lt) == ref_csv(gdf, columns)
    assert geojson_text(lt, "layer") == ref_geojson(gdf, "layer", columns)
    assert gml_text(lt, "z7_x") == ref_gml(gdf, "z7_x", columns)


@pytest.mark.parametrize("geoms", [POINTS, MIXED, []], ids=["points", "points-and-lines", "empty"])
def test_writers_equal_reference_on_awkward_values(geoms):
    _assert_same_as_reference(_awkward_layer(geoms), COLS)


def test_reference_sees_the_awkward_values():
    """The hand-made layer does exercise the escapes (else the equality above would prove little)."""
    lt = layer_text(_awkward_layer(POINTS), COLS)
    csv, geojson, gml = csv_text(lt), geojson_text(lt, "x"), gml_text(lt, "z7_x")
    assert '"quote ""x"""' in csv and '"e_missing": null' in geojson and '"c_empty": null' in geojson
    assert '"a_text": "quote \\"x\\""' in geojson and "\\u0001ctrl" in geojson and "\\n" in geojson
    assert "amp &amp; &lt;lt&gt; &gt;" in gml and '"d_int": "-3"' in geojson
    assert "lk03" not in gml and "lk03" not in geojson.split('"features"')[1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(alphabet="ab\"&<", max_size=4),
                          st.floats(-180, 180, allow_nan=False), st.floats(-90, 90, allow_nan=False),
                          st.booleans()), max_size=8))
def test_writers_equal_reference_on_random_layers(rows):
    geoms = [Point(x, y) if is_point else LineString([(x, y), (y, x), (x / 3, y / 7)]) for _, _, x, y, is_point in rows]
    gdf = gpd.GeoDataFrame({"a_text": [r[0] for r in rows], "lk03_punkty_zalamania": [r[1] for r in rows],
                            "b_const": [r[1] for r in rows]}, geometry=geoms, crs="EPSG:4326")
    _assert_same_as_reference(gdf, ["a_text", "lk03_punkty_zalamania", "b_const"])


def test_gml_documents_hold_every_feature_once():
    lt = layer_text(_awkward_layer(POINTS), COLS)
    whole = gml_text(lt, "z7_x")
    head, tail = whole.split("<ogr:featureMember>", 1)[0], "</ogr:FeatureCollection>\n"
    docs = list(gml_documents(lt, "z7_x", rows=5))
    assert [first for first, _ in docs] == list(range(0, lt.n, 5))
    assert all(d.startswith(head) and d.endswith(tail) for _, d in docs)
    assert head + "".join(d[len(head):-len(tail)] for _, d in docs) + tail == whole
    assert [d.count("<ogr:featureMember>") for _, d in docs] == [5, 5, 5, 2]
    assert list(gml_documents(layer_text(_awkward_layer([]), COLS), "z7_x")) == [(0, head + tail)]


def test_concat_rows():
    a = np.array(["1", "2", "3"], dtype=object)
    assert concat_rows(["<", a, "|", "", a, ">\n"], 3) == "<1|1>\n<2|2>\n<3|3>\n"
    assert concat_rows(["x", a], 0) == ""
    assert concat_rows(["(", a, "),"], 3, head="[", tail="]", cut=1) == "[(1),(2),(3)]"
    assert concat_rows(["(", a, "),"], 0, head="[", tail="]", cut=1) == "[]"


@pytest.mark.parametrize("opts", [{}, {"operator_id": "ACME & <Co>", "project_number": 'FERC "01"',
                                       "trench_in_microduct": False}])
def test_export_text_equals_table_text(opts):
    """The export's path (layers straight to text) and the public tables give the same text."""
    p = make_fixture_plan()
    layers = uke_layers(p, **opts)
    tables = ue.uke_tables(p, **opts)
    for key, gdf in tables.items():
        cols = ue.template_columns(key)
        fast = layers[key].text(cols)
        assert csv_text(fast) == ref_csv(gdf, cols)
        assert geojson_text(fast, key) == ref_geojson(gdf, key, cols)
        assert gml_text(fast, "z7_x") == ref_gml(gdf, "z7_x", cols)


def test_demo_export_files_equal_reference(demo_plan, demo_plan_dir):
    """Every file of the demo's uke/ equals the reference serialisation of the demo's UKE tables."""
    out = demo_plan.config.output
    tables = ue.uke_tables(demo_plan, operator_id=out.uke_operator_id, project_number=out.uke_project_number)
    for key, gdf in tables.items():
        stem = ue.UKE_LAYERS[key].replace("_szablon_20230131", "")
        cols = ue.template_columns(key)
        assert (demo_plan_dir / "uke" / f"{stem}.csv").read_bytes() == ref_csv(gdf, cols).encode("utf-8")
        assert (demo_plan_dir / "uke" / f"{stem}.geojson").read_bytes() == \
            ref_geojson(gdf, stem, cols).encode("utf-8")
