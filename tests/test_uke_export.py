"""UKE inventory export: template columns, XSD, code lists, coordinates, ids, determinism."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _report_fixtures import NODES, make_fixture_plan
from pyproj import Transformer
from shapely.geometry import Point

from planner._errors import InputDataError, Problem
from planner.datasets import DATA_DIR
from planner.output import uke as ue
from planner.output.uke import gml
from planner.output.uke import validate as uke_validate
from planner.output.uke.gml import ROWS_PER_DOCUMENT
from planner.output.uke.validate import xsd_errors

UKE = DATA_DIR / "uke"
pytestmark = pytest.mark.skipif(not (UKE / "zestaw7_csv").exists(), reason="UKE templates not in data/uke")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[dict[str, Path], dict[str, Path]]:
    p = make_fixture_plan()
    a = ue.export_uke(p, tmp_path_factory.mktemp("a"), operator_id="Demo Op", project_number="FERC.01.01/23")
    b = ue.export_uke(p, tmp_path_factory.mktemp("b"), operator_id="Demo Op", project_number="FERC.01.01/23")
    return a, b


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        r = csv.reader(fh)
        header = next(r)
        return header, [dict(zip(header, row)) for row in r]


def _template_header(key: str) -> list[str]:
    with open(UKE / "zestaw7_csv" / f"{ue.UKE_LAYERS[key]}.csv", encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


@pytest.mark.parametrize("key", ["lk", "pe", "ua"])
def test_csv_columns_equal_template(exported, key):
    header, rows = _rows(exported[0][f"{key}_csv"])
    assert header == _template_header(key)
    assert rows


def test_deterministic(exported):
    a, b = exported
    for k in a:
        assert a[k].read_bytes() == b[k].read_bytes(), k


def _code_list(heading: str) -> set[str]:
    """Independent parse of one heading of the slowniki file (codes of coded tables)."""
    text = (UKE / "slowniki_inwentaryzacja_uke.txt").read_text(encoding="utf-8")
    block = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0].strip().splitlines()
    if "|" in block[0]:
        return {line.split("|")[-1].strip() for line in block[1:]}
    return {line.strip() for line in block}


def test_code_lists_and_hand_checked_values(exported):
    _, lk = _rows(exported[0]["lk_csv"])
    kinds = _code_list("Rodzaj linii kablowej")
    assert all(r["lk06_rodzaj_linii_kablowej"] in kinds for r in lk)
    assert all(r["lk05_medium_transmisyjne"] in _code_list("Medium") for r in lk)
    # runs: s1 aerial lighting | s2+s5 trench | s3 duct | s4 aerial telecom
    assert [r["lk06_rodzaj_linii_kablowej"] for r in lk] == [
        "Linia kablowa nadziemna na podbudowie elektroenergetycznej, oświetleniowej lub trakcyjnej",
        "Linia kablowa umieszczona w kanalizacji kablowej (w tym w rurociągu kablowym, mikrokanalizacji)",
        "Linia kablowa umieszczona w kanale technologicznym",
        "Linia kablowa nadziemna na podbudowie słupowej telekomunikacyjnej",
    ]
    assert [r["lk08_liczba_wlokien_wykorzystywanych"] for r in lk] == ["6", "3", "3", "2"]
    assert all(r["lk10_finansowanie_publ"] == "Tak" and r["lk11_numery_projektow_publ"] == "FERC.01.01/23" for r in lk)
    assert all(int(r["lk07_liczba_wlokien"]) >= int(r["lk08_liczba_wlokien_wykorzystywanych"]) for r in lk)

    _, pe = _rows(exported[0]["pe_csv"])
    assert all(r["pe02_typ_pe"] in _code_list("Arkusz13") for r in pe)
    assert all(r["pe12_technologia_dostepowa"] in _code_list("Technologie dostępowe") for r in pe)
    assert all(r["pe13_mozliwosc_swiadczenia_uslug"] in _code_list("Typ usługi") for r in pe)
    types = {r["pe01_id_pe"]: r["pe02_typ_pe"] for r in pe}
    poles = {k.rsplit("_S", 1)[1]: v for k, v in types.items() if "_PE_S" in k}
    assert poles == {**{f"L{i}": "10" for i in range(1, 6)}, **{f"T{i}": "12" for i in range(1, 4)}}
    closures = sorted(k for k, v in types.items() if v == "03")
    # break nodes: A (branch), C (duct -> aerial), D and E (cable ends); B is not (trench continues)
    assert closures == ["Demo_Op_PE_M1", "Demo_Op_PE_M3", "Demo_Op_PE_M4", "Demo_Op_PE_M5"]

    _, ua = _rows(exported[0]["ua_csv"])
    assert [r["ua01_id_punktu_adresowego"] for r in ua] == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert all(r["ua21_predkosc_uslugi_td"] == "20" for r in ua)
    assert "20" in _code_list("Prędkość łącza internetowego")
    assert all(r["ua11_technologia_dostepowa"] in _code_list("Technologie dostępowe") for r in ua)
    assert all(r["ua10_medium_dochodzace_do_pa"] == "światłowodowe" for r in ua)


def test_line_endpoints_reference_nodes_or_flexibility_points(exported):
    _, lk = _rows(exported[0]["lk_csv"])
    _, pe = _rows(exported[0]["pe_csv"])
    _, ua = _rows(exported[0]["ua_csv"])
    ids = {r["pe01_id_pe"] for r in pe} | {"W_POP1"}
    for r in lk:
        assert r["lk02_id_punktu_poczatkowego"] in ids and r["lk04_id_punktu_koncowego"] in ids
    assert lk[0]["lk02_id_punktu_poczatkowego"] == "W_POP1"
    assert all(r["ua02_id_pe"] in ids for r in ua)


def test_lk03_is_lon_lat_in_poland_and_round_trips(exported):
    _, lk = _rows(exported[0]["lk_csv"])
    back = Transformer.from_crs("EPSG:4326", "EPSG:2180", always_xy=True)
    for r in lk:
        m = re.fullmatch(r"LINESTRING\((.*)\)", r["lk03_punkty_zalamania"])
        xy = np.array([[float(v) for v in pt.split()] for pt in m.group(1).split(",")])
        lon, lat = xy[:, 0], xy[:, 1]
        assert ((lon > 14.07) & (lon < 24.15) & (lat > 49.0) & (lat < 54.84)).all()
    first = re.fullmatch(r"LINESTRING\((.*)\)", lk[0]["lk03_punkty_zalamania"]).group(1).split(",")[0]
    x, y = back.transform(*map(float, first.split()))
    assert (x, y) == pytest.approx(NODES["POP"], abs=0.2)
    # point layers: szerokość is latitude, długość longitude
    _, ua = _rows(exported[0]["ua_csv"])
    assert all(49 < float(r["ua08_szerokosc"]) < 55 and 14 < float(r["ua09_dlugosc"]) < 24.2 for r in ua)


def test_geojson_matches_template_properties(exported):
    for key in ("lk", "pe", "ua"):
        got = json.loads(exported[0][f"{key}_geojson"].read_text(encoding="utf-8"))
        tpl = json.loads((UKE / "zestaw7_geojson" / f"{ue.UKE_LAYERS[key]}.geojson").read_text(encoding="utf-8"))
        assert got["crs"] == tpl["crs"]
        assert list(got["features"][0]["properties"]) == list(tpl["features"][0]["properties"])
        _, rows = _rows(exported[0][f"{key}_csv"])
        assert len(got["features"]) == len(rows)
        lon, lat = got["features"][0]["geometry"]["coordinates"][0] if key == "lk" else \
            got["features"][0]["geometry"]["coordinates"]
        assert 14 < lon < 24.2 and 49 < lat < 55


@pytest.mark.parametrize("engine", ["lxml", "xmlschema"])
def test_rows_validate_against_xsd(engine):
    tables = ue.uke_tables(make_fixture_plan())
    ue.validate_uke(tables, engine=engine)  # no error
    for key, gdf in tables.items():
        xsd = UKE / "zestaw7_xsd" / f"{ue.UKE_LAYERS[key]}.xsd"
        assert xsd_errors(gdf, xsd, ue.template_columns(key), engine) == []


@pytest.mark.parametrize("engine", ["lxml", "xmlschema"])
def test_xsd_validation_can_fail(engine):
    """Both validators reject an element the schema does not have, and an element out of order."""
    tables = ue.uke_tables(make_fixture_plan())
    xsd = UKE / "zestaw7_xsd" / f"{ue.UKE_LAYERS['pe']}.xsd"
    element = uke_validate._xsd_element(xsd, engine)
    doc = gml.to_gml(tables["pe"], element, ue.template_columns("pe"))
    assert uke_validate.document_errors(doc, xsd, engine) == []
    for edit in (lambda d: d.replace("<ogr:pe01_id_pe>", "<ogr:pe99_foo>x</ogr:pe99_foo><ogr:pe01_id_pe>", 1),
                 lambda d: re.sub(r"(<ogr:pe01_id_pe>[^<]*</ogr:pe01_id_pe>)(<ogr:pe02_typ_pe>[^<]*</ogr:pe02_typ_pe>)",
                                  r"\2\1", d, count=1)):
        assert edit(doc) != doc
        assert uke_validate.document_errors(edit(doc), xsd, engine)


def _bad_pe(n_copies: int, bad_rows: list[int], value: str | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The fixture's layers with ``pe`` repeated, and at ``bad_rows`` a NaN coordinate (or ``value`` in pe05)."""
    tables = ue.uke_tables(make_fixture_plan())
    pe = pd.concat([tables["pe"]] * n_copies, ignore_index=True)
    for r in bad_rows:
        if value is None:
            pe.loc[r, "geometry"] = Point(float("nan"), 52.5)  # "nan" is no xs:double
        else:
            pe.loc[r, "pe05_terc"] = value
    return {**tables, "pe": gpd.GeoDataFrame(pe, geometry="geometry", crs="EPSG:4326")}


def _xsd_problem(tables: dict) -> Problem:
    with pytest.raises(InputDataError, match="does not validate") as ei:
        ue.validate_uke(tables)
    xsd = [pr for pr in ei.value.problems if "XSD error" in pr.message]
    assert len(xsd) == 1 and xsd[0].file == ue.UKE_LAYERS["pe"]
    return xsd[0]


def test_every_feature_is_validated_and_the_row_named():
    """A bad value in any feature fails the XSD check (first, middle, last document), its row named."""
    n = len(ue.uke_tables(make_fixture_plan())["pe"]) * 60
    assert n > 2 * ROWS_PER_DOCUMENT  # several documents
    counts = []
    for r in (0, ROWS_PER_DOCUMENT, n - 1):
        pr = _xsd_problem(_bad_pe(60, [r]))
        assert pr.row == r + 1 and f"row {r + 1}: " in pr.message and "'nan'" in pr.message
        counts.append(int(pr.message.split(" XSD error(s)")[0]))
    assert counts[0] >= 1 and counts.count(counts[0]) == 3  # libxml2 reports each bad row the same way
    pr = _xsd_problem(_bad_pe(60, [3, n - 2]))
    assert pr.row == 4 and pr.message.startswith(f"{2 * counts[0]} XSD error(s)")  # both rows


def test_xml_illegal_character_is_a_problem_not_a_crash():
    for r in (2, ROWS_PER_DOCUMENT + 7):
        pr = _xsd_problem(_bad_pe(60, [r], value="14\x0108"))
        assert "not well-formed" in pr.message and pr.row == r + 1 and f"row {r + 1}: " in pr.message


def test_export_rejects_an_invalid_layer_and_writes_nothing(tmp_path, monkeypatch):
    """export_uke validates what it writes: a NaN coordinate gives the XSD problem, and no file."""
    real = ue.uke_layers

    def with_bad_point(*args, **kwargs):
        layers = real(*args, **kwargs)
        layers["ua"].xy[1, 1] = float("nan")
        return layers

    monkeypatch.setattr(ue, "uke_layers", with_bad_point)
    with pytest.raises(InputDataError, match="does not validate") as ei:
        ue.export_uke(make_fixture_plan(), tmp_path / "uke")
    assert any(pr.file == ue.UKE_LAYERS["ua"] and pr.row == 2 and "XSD" in pr.message for pr in ei.value.problems)
    assert not (tmp_path / "uke").exists()


def test_gml_has_one_feature_member_per_row():
    tables = ue.uke_tables(make_fixture_plan())
    for key, gdf in tables.items():
        doc = gml.to_gml(gdf, "z7_x", ue.template_columns(key))
        assert doc.count("<ogr:featureMember>") == len(gdf)


def test_bad_code_and_swapped_coordinates_are_reported():
    tables = ue.uke_tables(make_fixture_plan())
    bad = {k: v.copy() for k, v in tables.items()}
    bad["lk"].loc[0, "lk06_rodzaj_linii_kablowej"] = "Linia kablowa na drzewach"
    with pytest.raises(InputDataError, match="does not validate") as ei:
        ue.validate_uke(bad)
    assert any("lk06" in pr.message for pr in ei.value.problems)
    swapped = {k: v.copy() for k, v in tables.items()}
    swapped["ua"] = swapped["ua"].set_geometry(swapped["ua"].geometry.map(
        lambda g: type(g)(g.y, g.x)), crs="EPSG:4326")
    with pytest.raises(InputDataError) as ei:
        ue.validate_uke(swapped)
    assert any("outside Poland" in pr.message for pr in ei.value.problems)


def test_trench_in_ground_option():
    lk = ue.uke_tables(make_fixture_plan(), trench_in_microduct=False)["lk"]
    assert lk.loc[1, "lk06_rodzaj_linii_kablowej"] == "Linia kablowa podziemna (umieszczona bezpośrednio w ziemi)"
