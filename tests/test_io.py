"""Readers (GeoPackage, GeoParquet, CSV, PRG, UKE, SIDUSIS, OSM), load_area and the atomic writers."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _io_fixtures import BAD, GOOD, mini_layers, write_area_dir
from pyproj import Transformer
from shapely.geometry import Point

from planner import datasets
from planner._errors import InputDataError, UsageError
from planner.config import Config
from planner.io import (
    load_area,
    read_layer,
    read_prg,
    read_sidusis,
    read_uke_services,
)
from planner.io.uke import SPEED_CODES_MBPS
from planner.output import files as io_files
from planner.output.files import staged_output_dir, write_csv, write_gpkg, write_parquet, write_text
from planner.schema import ADDRESSES, COVERAGE

ROOT = Path(__file__).resolve().parents[1]
MINI = GOOD / "mini_area"
TO_WGS = Transformer.from_crs(2180, 4326, always_xy=True)


def _data(name: str) -> Path:
    """A bundled dataset from data/ (the project must not depend on /work/shared)."""
    path = datasets.get_path(name)
    if not path.exists():
        pytest.skip(f"data file {path} missing")
    return path


# --------------------------------------------------------------------------- PRG


def test_prg_2012_northing_easting_decoded():
    g = read_prg(_data("prg2012"))
    assert g.crs.to_epsg() == 2180
    row = g.set_index("house_number").loc["2"]
    lon, lat = TO_WGS.transform(row.geometry.x, row.geometry.y)
    # SOURCES.md: Konotop 51.9298 N 15.9121 E
    assert (lat, lon) == pytest.approx((51.9298, 15.9121), abs=1e-4)
    assert row.geometry.x == pytest.approx(287772.37) and row.geometry.y == pytest.approx(456005.14)
    assert row["locality"] == "Konotop" and row["street"] == "Podgórna" and row["postcode"] == "67-416"
    # komponent xlinks resolved: gmina Kolsko, SIMC and ULIC of the street
    assert (row["terc"], row["simc"], row["ulic"]) == ("0804032", "0910140", "16742")
    assert row["id"] == "fd9c9319-0a6a-44b4-972a-1e6c4ec0d4ca" and row["status"] == "istniejacy"
    assert list(g.columns) == ADDRESSES.column_names + ["geometry"]


def test_prg_2021_easting_northing_and_xlinks():
    g = read_prg(_data("prg2021")).set_index("house_number")
    z = g.loc["21A"]
    lon, lat = TO_WGS.transform(z.geometry.x, z.geometry.y)
    # SOURCES.md: Żubrów 52.4808 N 15.1498 E
    assert (lat, lon) == pytest.approx((52.4808, 15.1498), abs=1e-4)
    assert (z["locality"], z["simc"], z["terc"], z["street"], z["ulic"]) == ("Żubrów", "0188009", "0807043", "", "")
    r = g.loc["1A"]
    assert (r["locality"], r["street"], r["ulic"], r["terc"]) == ("Rzepin", "Inwalidów Wojennych", "06921", "0805043")
    lub = g.loc["2A"]
    assert (lub["locality"], lub["street"], lub["ulic"]) == ("Lubniewice", "Plac Kasztanowy", "08173")


def test_prg_model_detected_by_namespace_not_file_name(tmp_path):
    fake = tmp_path / "prg_punkty_adresowe_model2012.xml"
    shutil.copy(_data("prg2021"), fake)
    g = read_prg(fake)
    assert g.set_index("house_number").loc["21A"].geometry.x == pytest.approx(238651.83)


def test_prg_not_prg_xml_rejected(tmp_path):
    f = tmp_path / "x.gml"
    f.write_text('<?xml version="1.0"?><a xmlns="urn:other"><b/></a>', encoding="utf-8")
    with pytest.raises(InputDataError, match="no PRG address points"):
        read_prg(f)
    f.write_text("<a><b>", encoding="utf-8")
    with pytest.raises(InputDataError, match="not well-formed XML"):
        read_prg(f)


@pytest.mark.parametrize("kind", ["old", "new"])
def test_prg_shp_column_sets(tmp_path, kind, caplog):
    pts = [Point(640340, 518062), Point(640350, 518070)]
    if kind == "old":
        cols = {"TERYT": ["1408044", "1408044"], "PNA": ["05-140", "05-140"], "SIMC_id": ["0921645"] * 2,
                "SIMC_nazwa": ["Serock"] * 2, "ULIC_id": ["09270", ""], "ULIC_nazwa": ["Kościuszki", ""],
                "Numer": ["1", "2A"]}
    else:
        cols = {"ID_IIP": ["PL.PZGIK.200_x1", "PL.PZGIK.200_x2"], "NUMER_PORZ": ["1", "2A"],
                "KOD_POCZT": ["05-140"] * 2, "DATA_NAD": ["2012-04-27"] * 2, "NAZWA_ULC": ["Kościuszki", ""],
                "NAZWA_GMI": ["Serock"] * 2, "NAZWA_MSC": ["Serock"] * 2}
    path = tmp_path / "1408.shp"  # same file name for both structures
    gpd.GeoDataFrame(cols, geometry=pts, crs="EPSG:2180").to_file(path, engine="pyogrio", encoding="utf-8")
    g = read_prg(path)
    assert g["house_number"].tolist() == ["1", "2A"]
    assert g["street"].tolist() == ["Kościuszki", ""]
    assert g["locality"].tolist() == ["Serock", "Serock"]
    if kind == "old":
        assert g["simc"].tolist() == ["0921645"] * 2 and g["terc"].tolist() == ["1408044"] * 2
        assert g["id"].tolist() == ["1408:0", "1408:1"]
    else:
        assert g["id"].tolist() == ["PL.PZGIK.200_x1", "PL.PZGIK.200_x2"]
        # no TERYT code columns in this file: codes empty, and the user is told so
        assert g["terc"].tolist() == g["simc"].tolist() == g["ulic"].tolist() == ["", ""]
        assert any("TERC/SIMC/ULIC" in r.getMessage() and "fix" in r.getMessage() for r in caplog.records)
    # and through the validating reader
    v = read_layer(path, "addresses")
    assert len(v) == 2 and v.crs.to_epsg() == 2180


# --------------------------------------------------------------------------- UKE / SIDUSIS


def test_speed_code_table_matches_uke_code_list():
    text = _data("uke_codelists").read_text(encoding="utf-8")
    section = text.split("## Prędkość łącza internetowego")[1].split("##")[0]
    listed = {code: float(v) for v, code in re.findall(r"^(\d+) Mb/s \| (\d\d)$", section, re.MULTILINE)}
    assert listed == SPEED_CODES_MBPS


def test_uke_services_csv_and_geojson_agree():
    a = read_uke_services(_data("uke_ua_csv"), operator="Demo")
    b = read_uke_services(_data("uke_ua_geojson"), operator="Demo")
    cols = COVERAGE.column_names
    pd.testing.assert_frame_equal(pd.DataFrame(a[cols]), pd.DataFrame(b[cols]))
    assert a.geom_equals(b).all()
    assert a["medium"].tolist() == ["fibre", "fibre"]
    assert a["down_mbps"].tolist() == [100.0, 100.0]  # ua21 code "11" = 100 Mb/s
    assert (a["terc"].iloc[0], a["simc"].iloc[0], a["ulic"].iloc[0], a["house_number"].iloc[0]) == \
        ("1465011", "0918123", "16333", "6")
    assert a.geometry.iloc[0].x == pytest.approx(20.91427) and a.geometry.iloc[0].y == pytest.approx(52.25384)
    assert a["source_id"].tolist() == ["AD0001_DEMO", "AD0002_DEMO"]
    assert (a["operator"] == "Demo").all() and (a["status"] == "existing").all()


def test_uke_services_bad_file_all_problems(caplog):
    with caplog.at_level(logging.WARNING), pytest.raises(InputDataError) as exc:
        read_uke_services(BAD / "uke_speed_as_text.csv")
    msg = str(exc.value)
    assert "uke_speed_as_text.csv, row 1" in msg
    assert "speed '100 Mb/s' is not a UKE speed code (100 Mb/s is code 11)" in msg
    assert "2-digit code of the UKE list" in msg
    assert "1 duplicate coverage row(s) dropped" in caplog.text
    assert "technology not on the UKE list: 'DOCSIS 3.1'" in caplog.text
    assert "without an Internet access speed (ua21 empty)" in caplog.text


def test_uke_services_codes_and_dedup(tmp_path, caplog):
    text = (BAD / "uke_speed_as_text.csv").read_text(encoding="utf-8").replace("100 Mb/s", "4")
    f = tmp_path / "ok.csv"
    f.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        g = read_uke_services(f, operator="X")
    # 5 rows: 1 duplicate dropped, 1 without speed skipped
    assert g["source_id"].tolist() == ["A1", "A2", "A3"]
    assert g["down_mbps"].tolist() == [1000.0, 30.0, 1000.0]  # "20", "4" (leading zero lost), "20"
    assert g["medium"].tolist() == ["fibre", "copper", "coax"]
    f.write_text(text.replace(",4,1", ",30,1"), encoding="utf-8")
    with pytest.raises(InputDataError, match="speed code 30"):
        read_uke_services(f)


def test_sidusis_example():
    g = read_sidusis(_data("sidusis"))
    assert len(g) == 6
    assert set(g["operator"]) == {"Szkolenie OP01"}  # the DI record
    k = g.set_index("source_id")
    assert k.loc["Kankowo_NR", "medium"] == "radio" and k.loc["Kankowo_NR", "technology"] == "NR SA"
    assert k.loc["Kankowo_GPON", ["down_mbps", "up_mbps"]].tolist() == [1000.0, 100.0]
    assert k.loc["Kankowo_GPON", "ulic"] == ""  # SYM_UL 99999 = no street
    assert k.loc["39329031_Warszawa", "street"] == "Szymona Askenazego"
    assert k.loc["39329031_Warszawa", "ulic"] == "00465"
    assert k.loc["39329031_Warszawa", "medium"] == "coax"
    assert k.loc["39329031_Warszawa", "range_kind"] == "teoretyczny"
    assert k.loc["WAR_WARZELNICZA", "house_number"] == "7g"
    assert g.crs.to_epsg() == 4326 and g.geometry.iloc[0].y == pytest.approx(52.716419)


def test_sidusis_bad_speed_and_duplicates(tmp_path, caplog):
    lines = _data("sidusis").read_text(encoding="utf-8").splitlines()
    zs = [ln for ln in lines if ln.startswith("ZS")]
    bad = zs[2].replace(",2,2,", ",2 Mb/s,2,")
    f = tmp_path / "s.csv"
    f.write_text("\n".join(lines + [zs[0], bad]) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING), pytest.raises(InputDataError) as exc:
        read_sidusis(f)
    assert "max downlink '2 Mb/s' is not a number of Mb/s" in str(exc.value)
    assert "row 10" in str(exc.value)  # 0-based line of the bad record
    assert "1 duplicate coverage row(s) dropped" in caplog.text


def test_coverage_override_recognised_by_content():
    area = load_area(MINI, layers={"coverage": _data("sidusis")})
    cov = area["coverage"]
    assert len(cov) == 6 and cov.crs.to_epsg() == 2180
    assert "locality" in cov.columns  # SIDUSIS extra column kept


# --------------------------------------------------------------------------- load_area / tables


def test_load_mini_directory_reprojects_every_encoding():
    area = load_area(MINI)
    ref = mini_layers()
    assert area.crs == "EPSG:2180"
    # addresses came as lat/lon (7 decimals ~ 1 cm), pops as x/y + .prj, roads as WKT + crs column
    np.testing.assert_allclose(np.c_[area.addresses.geometry.x, area.addresses.geometry.y],
                               np.c_[ref["addresses"].geometry.x, ref["addresses"].geometry.y], atol=0.02)
    assert area.pops.geometry.iloc[0].equals(ref["pops"].geometry.iloc[0])
    assert area.roads.geom_equals(ref["roads"]).all()
    assert area.roads["lit"].tolist() == [True, False, False]
    assert area["coverage"]["down_mbps"].tolist() == [1000.0, 30.0]
    # bounds: roads + addresses grown by 2 km
    rb = ref["roads"].total_bounds
    assert area.bounds[0] == pytest.approx(rb[0] - 2000) and area.bounds[2] == pytest.approx(rb[2] - 0 + 2000)
    assert area.name == "mini_area"


def test_gpkg_roundtrip_with_metadata(tmp_path):
    area = load_area(MINI)
    layers = {k: v for k, v in area.layers.items() if len(v)}
    meta = pd.DataFrame({"key": ["bounds", "name"], "value": ["630000,510000,650000,525000", "Mini"]})
    path = write_gpkg({**layers, "metadata": meta}, tmp_path / "mini.gpkg")
    back = load_area(path)
    assert back.name == "Mini"
    assert back.bounds == (630000.0, 510000.0, 650000.0, 525000.0)
    for name, g in layers.items():
        pd.testing.assert_frame_equal(pd.DataFrame(back[name].drop(columns="geometry")),
                                      pd.DataFrame(g.drop(columns="geometry")), check_dtype=True)
        same = back[name].geom_equals(g) | (back[name].geometry.isna() & g.geometry.isna())
        assert same.all()


def test_config_bounds_win(tmp_path):
    cfg = Config().updated(area={"bounds": (640000.0, 517990.0, 640200.0, 518100.0)})
    with pytest.raises(InputDataError) as exc:
        load_area(MINI, cfg)
    msg = str(exc.value)
    assert "outside the study-area bounds (640,000, 517,990, 640,200, 518,100)" in msg
    assert "(id 'a4')" in msg


def test_geoparquet_and_plain_parquet(tmp_path):
    ref = mini_layers()["addresses"]
    write_parquet(ref, tmp_path / "a.parquet")
    g = read_layer(tmp_path / "a.parquet", "addresses")
    assert g.geom_equals(ref).all()
    plain = pd.DataFrame(ref.drop(columns="geometry"))
    plain["x"], plain["y"] = ref.geometry.x, ref.geometry.y
    plain["crs"] = "EPSG:2180"
    plain.to_parquet(tmp_path / "b.parquet")
    assert read_layer(tmp_path / "b.parquet", "addresses").geom_equals(ref).all()


def test_csv_semicolon_decimal_comma_and_ewkt(tmp_path):
    f = tmp_path / "pops.csv"
    f.write_text("id;name;lat;lon\npop1;A;52,5100;21,0640\n", encoding="utf-8")
    g = read_layer(f, "pops")
    x, y = Transformer.from_crs(4326, 2180, always_xy=True).transform(21.064, 52.51)
    assert (g.geometry.x.iloc[0], g.geometry.y.iloc[0]) == pytest.approx((x, y))
    f.write_text('id,geometry\npop1,"SRID=2180;POINT (640310 518010)"\n', encoding="utf-8")
    assert read_layer(f, "pops").geometry.iloc[0].equals(Point(640310, 518010))
    f.write_text('id,geometry\npop1,"POINT (640310 518010"\n', encoding="utf-8")
    with pytest.raises(InputDataError, match="cannot parse the WKT geometry"):
        read_layer(f, "pops", assume_crs="EPSG:2180")


def test_csv_xy_needs_crs(tmp_path):
    f = tmp_path / "pops.csv"
    f.write_text("id,x,y\npop1,640310,518010\n", encoding="utf-8")
    with pytest.raises(InputDataError) as exc:
        read_layer(f, "pops")
    assert "pops.csv" in str(exc.value) and "--assume-crs" in str(exc.value)
    assert read_layer(f, "pops", assume_crs="EPSG:2180").geometry.iloc[0].equals(Point(640310, 518010))


def test_auto_crs_poland_and_abroad(tmp_path):
    cfg = Config().updated(area={"crs": "auto"})
    assert load_area(MINI, cfg).crs == "EPSG:2180"
    # the same area moved to Helsinki (lon/lat CSV): local UTM zone 35N
    layers = mini_layers()
    shift = {k: v for k, v in layers.items() if k in ("addresses", "roads", "pops")}
    for k, g in shift.items():
        ll = g.to_crs(4326)
        shift[k] = ll.set_geometry(ll.geometry.translate(24.94 - 21.06, 60.17 - 52.51))
    d = tmp_path / "helsinki"
    d.mkdir()
    for k, g in shift.items():
        df = pd.DataFrame(g.drop(columns="geometry"))
        df["geometry"] = g.geometry.to_wkt()
        df["crs"] = "EPSG:4326"
        df.to_csv(d / f"{k}.csv", index=False)
    area = load_area(d, cfg)
    assert area.crs == "EPSG:32635"
    with pytest.raises(InputDataError, match="outside Poland's extent|outside the study-area bounds"):
        load_area(d)  # EPSG:2180 for Finnish data given as CSV: an error, not a silent projection


def test_prg_file_as_source_partial():
    area = load_area(_data("prg2021"), partial=True)
    assert len(area.addresses) == 3 and len(area.roads) == 0
    with pytest.raises(InputDataError, match="required layer 'roads' is missing"):
        load_area(_data("prg2021"))


def test_unknown_source_and_layer_names(tmp_path):
    with pytest.raises(UsageError, match="did you mean 'addresses'"):
        load_area(MINI, layers={"adresses": MINI / "addresses.csv"})
    f = tmp_path / "x.txt"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError):
        load_area(f)
    with pytest.raises(FileNotFoundError):
        load_area(tmp_path / "missing.gpkg")


def test_osm_extract_outside_poland_uses_local_utm():
    area = load_area(_data("helsinki"))
    assert area.crs == "EPSG:32635"
    assert len(area.addresses) > 1000 and len(area["poles"]) > 0 and len(area.roads) > 0


@pytest.mark.xdist_group("demo")
def test_demo_area_loads():
    path = datasets.get_path("demo")
    if not path.exists():
        pytest.skip("demo GeoPackage not generated yet")
    area = load_area("demo")
    assert area.crs == "EPSG:2180"
    assert len(area.addresses) > 7614
    b = area.bounds
    assert b[0] < 640340 < b[2] and b[1] < 518062 < b[3]


# --------------------------------------------------------------------------- writers


def _no_temp_files(d: Path) -> bool:
    return not [p for p in d.iterdir() if p.name.startswith(".")]


def test_gpkg_and_csv_byte_identical(tmp_path):
    area = load_area(MINI)
    layers = {k: v for k, v in area.layers.items() if len(v)}
    a = write_gpkg(layers, tmp_path / "a.gpkg").read_bytes()
    b = write_gpkg(layers, tmp_path / "b.gpkg").read_bytes()
    assert a == b
    write_csv(area.addresses, tmp_path / "a.csv", sort_by="id")
    write_csv(area.addresses.iloc[::-1], tmp_path / "b.csv", sort_by="id")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    text = (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert "\r" not in text and "POINT (640049.999 518020.002)" in text


def test_write_csv_float_format(tmp_path):
    write_csv(pd.DataFrame({"a": [1.0, 2.123456], "b": ["x", "y"]}), tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "a,b\n1.000,x\n2.123,y\n"


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    write_text("old\n", target)

    def boom(self, data):  # the temporary file gets part of the bytes, then the disk is full
        with open(self, "wb") as fh:
            fh.write(data[:3])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", boom)
    with pytest.raises(OSError, match="disk full"):
        write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert _no_temp_files(tmp_path)


def test_failed_gpkg_write_leaves_old_file(tmp_path, monkeypatch):
    layers = {k: v for k, v in mini_layers().items() if k in ("addresses", "roads")}
    target = write_gpkg(layers, tmp_path / "a.gpkg")
    before = target.read_bytes()
    real = io_files.write_layer
    calls = []

    def second_fails(df, path, layer, **kw):
        calls.append(layer)
        if len(calls) == 2:
            raise RuntimeError("GDAL error")
        return real(df, path, layer, **kw)

    monkeypatch.setattr(io_files, "write_layer", second_fails)
    with pytest.raises(RuntimeError):
        write_gpkg(layers, target)
    assert target.read_bytes() == before
    assert _no_temp_files(tmp_path)


def test_staged_output_dir_all_or_nothing(tmp_path):
    out = tmp_path / "out"
    with staged_output_dir(out) as d:
        write_text("v1\n", d / "summary.txt")
    assert (out / "summary.txt").read_text() == "v1\n" and (out / io_files.OUTPUT_MARKER).exists()
    with pytest.raises(RuntimeError):
        with staged_output_dir(out) as d:
            write_text("v2\n", d / "summary.txt")
            write_text("x\n", d / "extra.txt")
            raise RuntimeError("stage failed")
    assert sorted(p.name for p in out.iterdir()) == [io_files.OUTPUT_MARKER, "summary.txt"]
    assert (out / "summary.txt").read_text() == "v1\n"
    with staged_output_dir(out) as d:
        write_text("v3\n", d / "other.txt")
    assert sorted(p.name for p in out.iterdir()) == [io_files.OUTPUT_MARKER, "other.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or old directories left


def test_staged_output_dir_refuses(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "addresses.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(UsageError, match="contains the input"):
        with staged_output_dir(data, inputs=[data / "addresses.csv"]):
            pass
    with pytest.raises(UsageError, match="contains the input"):
        with staged_output_dir(tmp_path, inputs=[data]):
            pass
    with pytest.raises(UsageError, match="not written by the planner"):
        with staged_output_dir(data):
            pass
    with pytest.raises(UsageError, match="is a file"):
        with staged_output_dir(data / "addresses.csv"):
            pass
    assert (data / "addresses.csv").read_text() == "id\n"


def test_write_area_dir_helper_roundtrip(tmp_path):
    """The fixture writer's CSV encodings survive load_area (guards the fixtures themselves)."""
    d = write_area_dir(mini_layers(), tmp_path / "m")
    assert len(load_area(d).addresses) == 6


def test_cp1250_csv_read_with_warning(tmp_path, caplog):
    f = tmp_path / "pops.csv"
    f.write_bytes("id;name;lat;lon\npop1;Węzeł Łąki;52,51;21,064\n".encode("cp1250"))
    with caplog.at_level(logging.WARNING):
        g = read_layer(f, "pops")
    assert g["name"].iloc[0] == "Węzeł Łąki"
    assert "read as Windows-1250" in caplog.text


def test_geojson_and_shp_layers_in_a_directory(tmp_path):
    layers = mini_layers()
    d = tmp_path / "area"
    d.mkdir()
    layers["addresses"].to_crs(4326).to_file(d / "addresses.geojson", engine="pyogrio")
    layers["roads"].to_file(d / "roads.shp", engine="pyogrio")
    layers["pops"].to_file(d / "pops.gpkg", engine="pyogrio")
    (d / "adresses_old.csv").write_text("id\n", encoding="utf-8")
    area = load_area(d)
    assert area.roads.geom_equals(layers["roads"]).all()
    np.testing.assert_allclose(area.addresses.geometry.x, layers["addresses"].geometry.x, atol=1e-3)
    assert area.roads["lit"].tolist() == [True, False, False]


@pytest.mark.parametrize("name, expected", [
    ("06.11.2025_20_06_55__08_lubuskie.xml", "06.11.2025_20_06_55__08_lubuskie"),
    ("NOWE_07.11.2025_12_00_00__14_mazowieckie.gml", "NOWE_07.11.2025_12_00_00__14_mazowieckie"),
    ("kotka_suburb.osm.pbf", "kotka_suburb"),
    ("village.osm.gz", "village"),
    ("village.osm.bz2", "village"),
    ("area.v2.gpkg", "area.v2"),
    (".gpkg", ".gpkg"),
])
def test_area_name_is_the_whole_stem(name, expected):
    from planner.io.study_area import area_name

    assert area_name(name) == expected


def test_prg_file_with_dots_names_its_area(tmp_path):
    p = tmp_path / "06.11.2025_20_06_55__08_lubuskie.xml"
    shutil.copy(datasets.get_path("prg2012"), p)
    assert load_area(p, partial=True).name == "06.11.2025_20_06_55__08_lubuskie"


def test_a_plan_keeps_the_replans_written_inside_its_directory(tmp_path):
    """`planner replan` writes out/<area>/replan_<date>/ (an output of its own); re-running
    `planner plan` into out/<area> keeps it, and a plan may go into a directory holding only re-plans."""
    area = tmp_path / "area"
    with staged_output_dir(area / "replan_2025-03-31") as d:
        (d / "summary.txt").write_text("replan\n")
    with staged_output_dir(area) as d:  # only re-plans inside: accepted
        (d / "summary.txt").write_text("plan v1\n")
    assert (area / "replan_2025-03-31" / "summary.txt").read_text() == "replan\n"
    with staged_output_dir(area) as d:
        (d / "summary.txt").write_text("plan v2\n")
    assert (area / "summary.txt").read_text() == "plan v2\n"
    assert (area / "replan_2025-03-31" / "summary.txt").read_text() == "replan\n"
    # a user's own folder inside is still never deleted: the directory is refused
    (area / "notes").mkdir()
    (area / "notes" / "mine.txt").write_text("x")
    shutil.rmtree(area / "replan_2025-03-31")
    (area / io_files.OUTPUT_MARKER).unlink()
    with pytest.raises(UsageError):
        with staged_output_dir(area) as d:
            pass
