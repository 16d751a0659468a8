"""Reading official white-spot lists and the TERYT dictionary (planner.io), and a stage that reads no files."""

from __future__ import annotations

import builtins
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

import planner
from planner._errors import InputDataError, InputFileNotFoundError
from planner.area import Area
from planner.config import Config, WhiteSpotConfig
from planner.io.files import read_csv_text
from planner.io.official_list import read_official_list
from planner.io.teryt import read_commune_names
from planner.validation.official_list import official_list_table, resolve_official_columns
from planner.whitespots import run

CRS = "EPSG:2180"
X0, Y0 = 640_000.0, 518_000.0


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- reading


def test_semicolon_list_with_decimal_commas_cp1250(tmp_path):
    """A Polish spreadsheet export: ';' separated, decimal commas, Windows-1250, codes with leading zeros."""
    text = "KOD_SIMC;NR;ULICA;SZEROKOŚĆ;DŁUGOŚĆ\n0921645;12/3;Księżycowa;52,5051;21,0772\n"
    path = _write(tmp_path / "lista.csv", text, "cp1250")
    lst = read_official_list(path, {"lat": "SZEROKOŚĆ", "lon": "DŁUGOŚĆ"})
    row = lst.iloc[0]
    assert (row.simc, row.house_number, row.street) == ("0921645", "12/3", "Księżycowa")
    assert (row.lat, row.lon) == (52.5051, 21.0772)
    assert lst.attrs["source"] == str(path) and lst["list_row"].tolist() == [0]


def test_separator_sniffed_as_every_csv_of_the_project(tmp_path):
    """One rule for the project (planner.io.files.read_csv_text): a tie between ',' and ';' goes to ','."""
    path = _write(tmp_path / "tie.csv", "id,simc;x\nA1,0921645;x\n")
    raw, _ = read_csv_text(path)
    assert list(raw.columns) == ["id", "simc;x"]
    assert read_official_list(path)["id"].tolist() == ["A1"]
    path = _write(tmp_path / "semi.csv", "id;simc;x,y\nA1;0921645;x,y\n")  # more ';' than ','
    assert read_official_list(path)[["id", "simc"]].values.tolist() == [["A1", "0921645"]]


@pytest.mark.parametrize(("name", "content"), [
    ("empty.csv", b""),
    ("garbage.xlsx", b"PK\x03\x04 not a workbook"),
    ("garbage.gpkg", b"SQLite format 3\x00 truncated"),
    ("list.pdf", b"%PDF-1.4"),
])
def test_unreadable_list_is_one_clear_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputDataError) as exc:
        read_official_list(path)
    assert all(p.file == str(path) and p.fix for p in exc.value.problems)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 200))
def test_truncated_csv_list_reads_or_fails_clearly(tmp_path, cut):
    """The demo list cut anywhere: a table of its first rows, or one InputDataError, never a traceback."""
    text = planner.datasets.get_path("demo_official_list").read_bytes()[:cut]
    path = tmp_path / "cut.csv"
    path.write_bytes(text)
    try:
        lst = read_official_list(path, WhiteSpotConfig().official_list_columns)
    except InputDataError as exc:
        assert exc.problems and exc.problems[0].fix
    else:
        assert len(lst) <= text.count(b"\n")


def test_missing_file_and_unknown_layout(tmp_path):
    with pytest.raises(InputFileNotFoundError):
        read_official_list(tmp_path / "nope.csv")
    path = tmp_path / "x.csv"
    pd.DataFrame({"foo": ["1"], "bar": ["2"]}).to_csv(path, index=False)
    with pytest.raises(InputDataError, match="unknown column layout") as exc:
        read_official_list(path)
    assert "official_list_columns" in exc.value.problems[0].fix


def test_columns_found_by_mapping_then_uke_spellings():
    available = ["UA05_SIMC", "Nr_Porządkowy", "Ulica", "lon", "Szerokość"]
    mapping = resolve_official_columns(available, {"lon": "LON", "street": "missing"}, "x")
    assert mapping == {"simc": "UA05_SIMC", "street": "Ulica", "house_number": "Nr_Porządkowy",
                       "lat": "Szerokość", "lon": "lon"}
    table = official_list_table(pd.DataFrame({"UA05_SIMC": [" 0921645 "], "Nr_Porządkowy": ["1"], "Ulica": [None],
                                              "lon": ["21,07"], "Szerokość": ["x"]}), None, "x")
    assert table.iloc[0].to_dict() | {"lat": None} == {
        "list_row": 0, "id": "", "terc": "", "simc": "0921645", "ulic": "", "street": "", "house_number": "1",
        "lat": None, "lon": 21.07}
    assert pd.isna(table.iloc[0]["lat"])


def test_commune_names_of_the_bundled_terc_file(tmp_path):
    names = read_commune_names()
    assert names["140804"] == "Serock" and names["140805"] == "Wieliszew"
    bad = _write(tmp_path / "TERC_broken.xml", "<teryt><catalog><row><WOJ>14</WOJ>")
    with pytest.raises(InputDataError, match="TERC dictionary"):
        read_commune_names(bad)


# --------------------------------------------------------------------------- the stage reads no files


def _area() -> Area:
    addr = gpd.GeoDataFrame({"id": ["a1", "a2"], "terc": "1408044", "simc": "0921645", "ulic": "",
                             "locality": "Serock", "street": "", "house_number": ["1", "2"], "postcode": "",
                             "is_business": False, "status": "istniejacy"},
                            geometry=[Point(X0, Y0), Point(X0 + 50, Y0)], crs=CRS)
    cov = gpd.GeoDataFrame({"address_id": ["a2"], "operator": "A", "medium": "fibre", "technology": "GPON",
                            "down_mbps": 1000.0, "status": "existing"}, geometry=[None], crs=CRS)
    nb = gpd.GeoDataFrame({"id": ["n1"], "simc": "0921645", "house_number": "9"}, geometry=[Point(X0, Y0 + 40)],
                          crs=CRS)
    return Area(name="t", crs=CRS, bounds=(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500),
                layers={"addresses": addr, "coverage": cov, "new_buildings": nb})


def test_stage_takes_tables_not_files(tmp_path):
    area = _area()
    path = _write(tmp_path / "lista.csv", "simc,nr\n0921645,1\n")
    with pytest.raises(TypeError, match="read_official_list"):
        run(area, WhiteSpotConfig(), official_list=str(path))
    with pytest.raises(TypeError, match="new_buildings"):
        run(area, WhiteSpotConfig(), new_buildings=path)
    with pytest.raises(TypeError, match=r"config\.whitespots"):
        run(area, Config())
    res = run(area, WhiteSpotConfig(), official_list=read_official_list(path), commune_names={"140804": "Serock"})
    assert res.official_diff is not None and res.official_diff["set"].tolist() == ["on_list_white"]
    assert res.localities["commune"].tolist() == ["Serock"]
    assert res.reallocation is not None and res.reallocation["new_building_id"].tolist() == ["n1"]


def test_stage_opens_no_file(monkeypatch, tmp_path):
    """With its data given, run() reads nothing: every file reader fails while it runs."""
    area = _area()
    lst = read_official_list(_write(tmp_path / "lista.csv", "simc,nr\n0921645,1\n"))
    want = run(area, WhiteSpotConfig(), official_list=lst, commune_names={})  # kernels compiled or loaded first

    def no_file(*args, **kwargs):
        raise AssertionError(f"the stage read a file: {args[:1]}")

    for owner, name in [(builtins, "open"), (gpd, "read_file"), (pd, "read_csv"), (pd, "read_excel"),
                        (pyogrio, "read_dataframe"), (ET, "iterparse"), (Path, "read_bytes"), (Path, "open")]:
        monkeypatch.setattr(owner, name, no_file)
    got = run(area, WhiteSpotConfig(), official_list=lst, commune_names={})
    monkeypatch.undo()
    pd.testing.assert_frame_equal(got.addresses, want.addresses)
    assert got.localities["commune"].tolist() == ["1408044"]  # no names given: the TERC code
