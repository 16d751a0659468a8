"""Validation of input layers (planner.validation) and the bad-input fixtures."""

from __future__ import annotations

import filecmp
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _io_fixtures import BAD, BAD_FIXTURES, GOOD, build_bad, build_good, mini_layers
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from planner._errors import InputDataError, Problem
from planner.area import Area
from planner.io import load_area
from planner.validation import validate_area, validate_layer

SEROCK = (638_000.0, 515_000.0, 643_000.0, 521_000.0)


def _addr(points, crs="EPSG:2180", **cols) -> gpd.GeoDataFrame:
    n = len(points)
    data = {"id": [f"a{i}" for i in range(n)], "terc": ["1408044"] * n, "simc": ["0921645"] * n,
            "locality": ["Serock"] * n, "house_number": [str(i + 1) for i in range(n)]}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=[Point(p) if not hasattr(p, "geom_type") else p for p in points],
                            crs=crs)


def _messages(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


# --------------------------------------------------------------------------- bad fixtures


@pytest.mark.parametrize("name", sorted(BAD_FIXTURES))
def test_bad_fixture_raises_with_file_row_and_fix(name):
    with pytest.raises(InputDataError) as exc:
        load_area(BAD / name)
    text = str(exc.value)
    for fragment in BAD_FIXTURES[name]:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"
    assert "fix:" in text
    assert all(p.fix for p in exc.value.problems)


def test_bad_fixture_reports_each_problem_once():
    with pytest.raises(InputDataError) as exc:
        load_area(BAD / "empty_layer")
    assert len(exc.value.problems) == 1


def test_committed_fixtures_match_generator(tmp_path):
    build_good(tmp_path / "good")
    build_bad(tmp_path / "bad")
    for ours, committed in ((tmp_path / "good", GOOD), (tmp_path / "bad", BAD)):
        for f in sorted(ours.rglob("*")):
            if f.is_file():  # GeoPackages too: write_gpkg is byte-reproducible
                twin = committed / f.relative_to(ours)
                assert twin.exists(), twin
                assert filecmp.cmp(f, twin, shallow=False), f"{twin} differs from tests/_io_fixtures.py output"


def test_no_crs_accepted_with_assume_crs(caplog):
    with caplog.at_level(logging.WARNING):
        area = load_area(BAD / "no_crs.gpkg", assume_crs="EPSG:2180")
    assert len(area.addresses) == 6
    assert "assumed EPSG:2180" in caplog.text


def test_repaired_geometry_is_a_warning_and_valid(caplog, tmp_path):
    layers = mini_layers()
    p = layers["parcels"].copy()
    p.geometry = [Polygon([(640600, 518020), (640800, 518200), (640800, 518020), (640600, 518200)]),
                  p.geometry.iloc[1]]
    with caplog.at_level(logging.WARNING):
        fixed, errors, warnings = validate_layer(p, "parcels", source="parcels.gpkg", bounds=SEROCK,
                                                 crs="EPSG:2180")
    assert errors == []
    assert "repaired with make_valid" in _messages(warnings)
    assert "row 0 (id 'p1')" in _messages(warnings)
    assert fixed.geometry.is_valid.all()
    # the bow-tie becomes two triangles crossing at (640700, 518110): base 180 m, height 100 m each
    assert fixed.geometry.iloc[0].geom_type == "MultiPolygon"
    assert fixed.geometry.iloc[0].area == pytest.approx(2 * 0.5 * 180 * 100)


# --------------------------------------------------------------------------- columns


def test_missing_column_suggests_close_match():
    g = _addr([(640000, 518000)]).rename(columns={"locality": "localty"})
    _, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    msg = _messages(errors)
    assert "required column 'locality' not found" in msg
    assert "did you mean 'locality'?" in msg and "'localty'" in msg


def test_missing_column_without_candidate_names_required_columns():
    g = _addr([(640000, 518000)]).drop(columns=["locality"])
    _, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    assert "add a 'locality' column" in errors[0].fix


def test_aliases_and_unknown_columns_kept():
    g = _addr([(640000, 518000)]).rename(columns={"house_number": "addr:housenumber", "locality": "Miejscowosc"})
    g["note"] = ["x"]
    fixed, errors, warnings = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    assert errors == []
    assert fixed["house_number"].tolist() == ["1"] and fixed["locality"].tolist() == ["Serock"]
    assert "unknown column(s) 'note' kept" in _messages(warnings)
    assert list(fixed.columns)[-2:] == ["note", "geometry"]


def test_dtypes_defaults_and_code_padding():
    g = _addr([(640000, 518000), (640100, 518000)], simc=[921645, 921645], ulic=[9270.0, np.nan],
              is_business=["tak", ""])
    fixed, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    assert errors == []
    assert fixed["simc"].tolist() == ["0921645", "0921645"]
    assert fixed["ulic"].tolist() == ["09270", ""]
    assert fixed["is_business"].tolist() == [True, False]
    assert fixed["status"].tolist() == ["istniejacy", "istniejacy"]  # schema default
    assert fixed["street"].dtype == object and fixed["is_business"].dtype == bool


def test_unparseable_values_and_vocabulary_all_reported():
    poles = gpd.GeoDataFrame({"id": ["l1", "l2", "l3"], "owner": ["comune_lighting", "telecom", "power"],
                              "usable": ["yes", "maybe", "0"]},
                             geometry=[Point(640000, 518000 + i) for i in range(3)], crs="EPSG:2180")
    _, errors, _ = validate_layer(poles, "poles", source="poles.csv", bounds=SEROCK, crs="EPSG:2180")
    msg = _messages(errors)
    assert "row 0 (id 'l1')" in msg and "'comune_lighting' is not allowed (did you mean 'commune_lighting'?)" in msg
    assert "row 1 (id 'l2')" in msg and "cannot read 'maybe' as true/false" in msg
    assert len(errors) == 2


def test_numbers_with_decimal_comma_and_text():
    cov = pd.DataFrame({"operator": ["A", "B", "C"], "medium": ["fibre"] * 3, "technology": ["GPON"] * 3,
                        "down_mbps": ["1000", "12,5", "fast"], "status": ["existing", "planned", "existing"],
                        "year": ["", "2026", ""]})
    fixed, errors, _ = validate_layer(cov, "coverage", source="cov.csv", bounds=SEROCK, crs="EPSG:2180")
    assert len(errors) == 1 and "row 2" in str(errors[0]) and "'fast'" in str(errors[0])
    assert fixed["down_mbps"].iloc[:2].tolist() == [1000.0, 12.5]
    assert fixed["year"].tolist()[1] == 2026 and pd.isna(fixed["year"].iloc[0])


def test_dates_parsed_and_bad_dates_reported():
    ab = gpd.GeoDataFrame({"id": ["s1", "s2"], "kind": ["segment", "segment"], "built_on": ["2025-03-01", "1.3.25"]},
                          geometry=[LineString([(640000, 518000), (640100, 518000)])] * 2, crs="EPSG:2180")
    fixed, errors, _ = validate_layer(ab, "as_built", source="ab.csv", bounds=SEROCK, crs="EPSG:2180")
    assert fixed["built_on"].dtype == "datetime64[ns]"
    assert fixed["built_on"].iloc[0] == pd.Timestamp("2025-03-01")
    assert "cannot read '1.3.25' as a date" in _messages(errors)


def test_duplicate_ids_many_rows_summarised():
    g = _addr([(640000 + i, 518000) for i in range(20)])
    g["id"] = ["x"] * 10 + ["y"] * 10
    _, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    assert len(errors) == 1
    assert "and 15 more (20 rows)" in str(errors[0].row)
    assert "2 id(s) used more than once" in errors[0].message


def test_duplicate_simc_of_localities_named():
    """Issue #21: 55 repeated SIMC codes of the localities layer are named, not reported as ''."""
    simc = [f"{921600 + i:07d}" for i in range(55)]
    cells = [Polygon([(640000 + 10 * i, 518000), (640009 + 10 * i, 518000), (640009 + 10 * i, 518009)])
             for i in range(110)]
    g = gpd.GeoDataFrame({"simc": simc + simc[::-1], "terc": "1408044", "locality": "Serock"}, geometry=cells,
                         crs="EPSG:2180")
    _, errors, _ = validate_layer(g, "localities", source="loc.gpkg", bounds=SEROCK, crs="EPSG:2180")
    dup = [e for e in errors if "duplicate simc" in e.message]
    assert len(dup) == 1
    assert dup[0].message == ("duplicate simc '0921600', '0921601', '0921602', '0921603', '0921604' and 50 more "
                              "(55 id(s) used more than once)")
    assert "and 105 more (110 rows)" in str(dup[0].row)
    # a few repeated rows: each named with its value, as before
    _, errors, _ = validate_layer(g.iloc[[0, 1, 2, 109]], "localities", source="loc.gpkg", bounds=SEROCK,
                                  crs="EPSG:2180")
    assert sorted(e.message for e in errors) == ["duplicate simc '0921600' (1 id(s) used more than once)"] * 2


def test_many_rows_problem_names_the_first_value():
    """A problem over many rows names the first offending value, whatever the format of its template."""
    g = gpd.GeoDataFrame({"id": [f"b{i}" for i in range(8)], "use": ["residential"] + ["castle"] * 7},
                         geometry=[Point(640000 + i, 518000) for i in range(8)], crs="EPSG:2180")
    _, errors, _ = validate_layer(g, "buildings", source="b.csv", bounds=SEROCK, crs="EPSG:2180")
    assert len(errors) == 1
    assert "value 'castle' (first of them) is not allowed" in errors[0].message
    assert "and 2 more (7 rows)" in str(errors[0].row)


# --------------------------------------------------------------------------- geometry


def test_empty_and_missing_geometry_and_wrong_type():
    g = _addr([(640000, 518000), Point(), LineString([(640000, 518000), (640010, 518000)])])
    g.loc[3] = ["a3", "1408044", "0921645", "Serock", "4", None]
    _, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    msg = _messages(errors)
    assert "row 1 (id 'a1'), 3 (id 'a3')" not in msg  # listed one by one (few rows)
    assert "row 1 (id 'a1'): empty or missing geometry" in msg
    assert "row 3 (id 'a3'): empty or missing geometry" in msg
    assert "row 2 (id 'a2'): geometry type LineString is not allowed" in msg


def test_single_part_multipoint_and_3d_accepted():
    g = _addr([MultiPoint([(640000, 518000)]), Point(640100, 518000, 95.0)])
    fixed, errors, _ = validate_layer(g, "addresses", source="a.gpkg", bounds=SEROCK, crs="EPSG:2180")
    assert errors == []
    assert fixed.geom_type.tolist() == ["Point", "Point"]
    assert not fixed.has_z.any()


def test_swapped_lat_lon_detected():
    t = Transformer.from_crs(2180, 4326, always_xy=True)
    lon, lat = t.transform(640340, 518062)
    g = _addr([(lat, lon)], crs="EPSG:4326")  # latitude given as x
    _, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    assert "axes look swapped (latitude, longitude)" in _messages(errors)


def test_outside_bounds_not_swapped():
    g = _addr([(700000, 300000)])
    _, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    msg = _messages(errors)
    assert "lie outside the study-area bounds" in msg and "swapped" not in msg


def test_epsg2180_checked_against_poland_without_bounds():
    g = _addr([(2_000_000, 518000)])
    _, errors, _ = validate_layer(g, "addresses", source="a.csv", bounds=None, crs="EPSG:2180")
    assert "outside Poland's extent" in _messages(errors)


def test_coverage_outside_area_is_only_a_warning():
    cov = gpd.GeoDataFrame({"operator": ["A"], "medium": ["fibre"], "technology": ["GPON"], "down_mbps": [1000.0],
                            "status": ["existing"]},
                           geometry=[Point(21.9, 50.5)], crs="EPSG:4326")
    _, errors, warnings = validate_layer(cov, "coverage", source="cov.csv", bounds=SEROCK, crs="EPSG:2180")
    assert errors == [] and "cannot match any address" in _messages(warnings)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(SEROCK[0] + 1, SEROCK[2] - 1), st.floats(SEROCK[1] + 1, SEROCK[3] - 1)),
                min_size=1, max_size=8))
def test_property_inside_ok_swapped_always_flagged(points):
    ok, errors, _ = validate_layer(_addr(points), "addresses", source="a.csv", bounds=SEROCK, crs="EPSG:2180")
    assert errors == []
    np.testing.assert_allclose(np.c_[ok.geometry.x, ok.geometry.y], np.asarray(points))
    _, errors, _ = validate_layer(_addr([(y, x) for x, y in points]), "addresses", source="a.csv",
                                  bounds=SEROCK, crs="EPSG:2180")
    assert len(errors) >= 1 and all("axes look swapped (northing, easting)" in e.message for e in errors)


def test_swapped_addresses_detected_with_derived_bounds(tmp_path):
    """No bounds given: roads (and pops) define the area, the swapped addresses are flagged."""
    from planner.output.files import write_gpkg

    layers = mini_layers()
    a = layers["addresses"].copy()
    a.geometry = gpd.points_from_xy(a.geometry.y, a.geometry.x, crs="EPSG:2180")
    write_gpkg({"addresses": a, "roads": layers["roads"], "pops": layers["pops"]}, tmp_path / "sw.gpkg")
    with pytest.raises(InputDataError) as exc:
        load_area(tmp_path / "sw.gpkg")
    assert all(p.file.endswith("sw.gpkg") and p.layer == "addresses" for p in exc.value.problems)


# --------------------------------------------------------------------------- area


def test_validate_area_cross_checks(caplog):
    layers = mini_layers()
    cov = gpd.GeoDataFrame(pd.DataFrame({"address_id": ["a1", "zzz"], "operator": ["A", "B"],
                                         "medium": ["fibre", "fibre"], "technology": ["GPON", "GPON"],
                                         "down_mbps": [1000.0, 1000.0], "status": ["existing"] * 2}),
                           geometry=[None, None], crs="EPSG:2180")
    fixed_cov, errors, _ = validate_layer(cov, "coverage", source="c", bounds=SEROCK, crs="EPSG:2180")
    assert errors == []
    area = Area(name="t", crs="EPSG:2180", bounds=SEROCK,
                layers={"addresses": layers["addresses"], "coverage": fixed_cov})
    with caplog.at_level(logging.WARNING):
        problems = validate_area(area)
    msg = _messages(problems)
    assert "required layer 'roads' is missing or empty" in msg
    assert "required layer 'pops'" not in msg  # a missing POP is proposed (planner.network.pop)
    assert "1 of 2 coverage rows name an address_id" in caplog.text
    assert validate_area(area, require=False) == []


def test_coverage_media_synonyms_and_planned_year():
    cov = pd.DataFrame({"operator": ["A", "B", "C", "D"],
                        "medium": ["Światłowodowe", "coax", "kabel", "copper"],
                        "technology": ["GPON", "(EURO)DOCSIS 3.x", "?", "VDSL2"],
                        "down_mbps": [1000, 300, 10, 50],
                        "status": ["istniejący", "planowany", "existing", "planned"],
                        "year": ["", "2026", "", ""]})
    fixed, errors, _ = validate_layer(cov, "coverage", source="cov.csv", bounds=SEROCK, crs="EPSG:2180")
    msg = _messages(errors)
    assert "row 2: column 'medium': 'kabel' is not a known medium" in msg
    assert "row 3: planned coverage without 'year'" in msg
    assert len(errors) == 2
    assert fixed["medium"].tolist()[:2] == ["fibre", "coax"]
    assert fixed["status"].tolist() == ["existing", "planned", "existing", "planned"]
