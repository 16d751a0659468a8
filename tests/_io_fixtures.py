"""Small input fixtures of the io tests: a mini study area near Serock and broken variants.

``python tests/_io_fixtures.py`` (re)writes ``tests/data/good/`` and
``tests/data/bad/`` deterministically; ``tests/test_validate.py`` checks the
committed files are what this module produces.

The mini area (EPSG:2180, around Serock town E 640 340 / N 518 062): 3 roads,
6 address points, 1 POP, 3 commune lighting poles, 2 coverage rows.  Its
directory form stores every layer as CSV in a different geometry encoding:
addresses as lat/lon (EPSG:4326), roads and poles as WKT with a ``crs``
column, pops as x/y with a ``.prj`` sidecar, coverage without geometry.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, Polygon

HERE = Path(__file__).resolve().parent
GOOD = HERE / "data" / "good"
BAD = HERE / "data" / "bad"
CRS = "EPSG:2180"
E0, N0 = 640_000.0, 518_000.0

#: Bad fixtures -> message fragments a validation error must contain.
BAD_FIXTURES: dict[str, tuple[str, ...]] = {
    "no_crs.gpkg": ("no_crs.gpkg", "addresses", "no coordinate reference system", "--assume-crs"),
    "swapped_axes.gpkg": ("swapped_axes.gpkg", "row 0 (id 'a1')", "axes look swapped (northing, easting)",
                          "EPSG:2180 is easting-northing with always_xy", "swap the columns"),
    "duplicate_ids": ("addresses.csv", "row 2 (id 'a2')", "duplicate id 'a2'", "make 'id' unique"),
    "invalid_geometry": ("parcels.csv", "row 1 (id 'p2')", "invalid geometry", "cannot be repaired",
                         "redraw the feature"),
    "empty_layer": ("pops.csv", "required layer 'pops' is empty", "give at least one pops feature"),
    "wrong_geometry_type": ("addresses.csv", "row 3 (id 'a4')", "geometry type LineString is not allowed",
                            "expected Point"),
    "missing_column_typo": ("addresses.csv", "required column 'house_number' not found", "'hous_number'",
                            "did you mean 'house_number'?", "rename column 'hous_number' to 'house_number'"),
    "speed_as_text": ("coverage.csv", "row 1", "cannot read '100 Mb/s' as a number",
                      "write 'down_mbps' as a plain number"),
}


def mini_layers() -> dict[str, gpd.GeoDataFrame]:
    """The mini study area, schema columns only, EPSG:2180."""
    roads = gpd.GeoDataFrame(
        {
            "id": ["r1", "r2", "r3"],
            "highway": ["residential", "residential", "service"],
            "name": ["Kościuszki", "Polna", ""],
            "surface": ["paved", "unpaved", "unpaved"],
            "lit": [True, False, False],
            "private": [False, False, True],
        },
        geometry=[
            LineString([(E0, N0), (E0 + 600, N0)]),
            LineString([(E0 + 300, N0), (E0 + 300, N0 + 400)]),
            LineString([(E0 + 600, N0), (E0 + 800, N0 + 100)]),
        ],
        crs=CRS,
    )
    pts = [(E0 + 50, N0 + 20), (E0 + 150, N0 + 20), (E0 + 250, N0 - 20), (E0 + 320, N0 + 200),
           (E0 + 280, N0 + 350), (E0 + 750, N0 + 110)]
    addresses = gpd.GeoDataFrame(
        {
            "id": [f"a{i}" for i in range(1, 7)],
            "terc": ["1408044"] * 6,
            "simc": ["0921645"] * 6,
            "ulic": ["09270", "09270", "09270", "16742", "16742", ""],
            "locality": ["Serock"] * 6,
            "street": ["Kościuszki", "Kościuszki", "Kościuszki", "Polna", "Polna", ""],
            "house_number": ["1", "3", "2A", "5", "7/1", "12"],
            "postcode": ["05-140"] * 6,
            "is_business": [False, True, False, False, False, False],
            "status": ["istniejacy"] * 6,
        },
        geometry=[Point(xy) for xy in pts],
        crs=CRS,
    )
    pops = gpd.GeoDataFrame({"id": ["pop1"], "name": ["Serock POP"]}, geometry=[Point(E0 + 310, N0 + 10)], crs=CRS)
    poles = gpd.GeoDataFrame(
        {"id": ["l1", "l2", "l3"], "owner": ["commune_lighting"] * 3, "usable": [True, True, False]},
        geometry=[Point(E0 + 35 * k, N0 + 5) for k in (1, 2, 3)],
        crs=CRS,
    )
    coverage = pd.DataFrame({
        "address_id": ["a1", "a2"],
        "operator": ["Op A", "Op B"],
        "medium": ["fibre", "copper"],
        "technology": ["GPON", "VDSL2"],
        "down_mbps": ["1000", "30"],
        "up_mbps": ["300", "5"],
        "status": ["existing", "existing"],
    })
    parcels = gpd.GeoDataFrame(
        {"id": ["p1", "p2"], "ownership": ["private", "private"], "consent": ["granted", "pending"]},
        geometry=[Polygon([(E0 + 600, N0 + 20), (E0 + 800, N0 + 20), (E0 + 800, N0 + 200), (E0 + 600, N0 + 200)]),
                  Polygon([(E0, N0 + 40), (E0 + 100, N0 + 40), (E0 + 100, N0 + 140), (E0, N0 + 140)])],
        crs=CRS,
    )
    return {"addresses": addresses, "roads": roads, "pops": pops, "poles": poles, "coverage": coverage,
            "parcels": parcels}


def _wkt_frame(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df["geometry"] = gdf.geometry.to_wkt(rounding_precision=3, trim=True)
    df["crs"] = CRS
    return df


def write_area_dir(layers: dict[str, pd.DataFrame], out: Path) -> Path:
    """Write a study area as a directory of CSV files (several geometry encodings)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name, g in layers.items():
        if name == "addresses":
            ll = g.to_crs(4326)
            df = pd.DataFrame(g.drop(columns="geometry"))
            df["lat"] = ll.geometry.y.round(7)
            df["lon"] = ll.geometry.x.round(7)
        elif name == "pops":
            df = pd.DataFrame(g.drop(columns="geometry"))
            df["x"] = g.geometry.x
            df["y"] = g.geometry.y
            (out / "pops.prj").write_text("EPSG:2180\n", encoding="utf-8")
        elif isinstance(g, gpd.GeoDataFrame):
            df = _wkt_frame(g)
        else:
            df = g
        df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", float_format="%.7f")
    return out


def _gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    from planner.output.files import write_gpkg

    if path.exists():
        path.unlink()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided")  # the no_crs fixture
        return write_gpkg(layers, path)


def build_good(root: Path = GOOD) -> None:
    """``mini_area/`` (CSV directory)."""
    write_area_dir(mini_layers(), root / "mini_area")


def build_bad(root: Path = BAD) -> None:
    """Every bad fixture of :data:`BAD_FIXTURES` under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    base = mini_layers()
    core = {k: base[k] for k in ("addresses", "roads", "pops")}

    # no CRS on the addresses layer (GeoPackage with an undefined SRS)
    no_crs = dict(core)
    no_crs["addresses"] = base["addresses"].set_crs(None, allow_override=True)
    _gpkg(no_crs, root / "no_crs.gpkg")

    # addresses stored northing-easting
    sw = dict(core)
    a = base["addresses"].copy()
    a.geometry = gpd.points_from_xy(a.geometry.y, a.geometry.x, crs=CRS)
    sw["addresses"] = a
    _gpkg(sw, root / "swapped_axes.gpkg")

    # duplicate ids
    d = dict(base)
    a = base["addresses"].copy()
    a.loc[2, "id"] = "a2"
    d["addresses"] = a
    write_area_dir(d, root / "duplicate_ids")

    # invalid geometry: p1 a repairable bow-tie, p2 a collapsed ring that cannot be repaired
    d = dict(base)
    p = base["parcels"].copy()
    p.geometry = [Polygon([(E0 + 600, N0 + 20), (E0 + 800, N0 + 200), (E0 + 800, N0 + 20), (E0 + 600, N0 + 200)]),
                  Polygon([(E0, N0 + 40), (E0 + 100, N0 + 140), (E0 + 100, N0 + 140), (E0, N0 + 40)])]
    d["parcels"] = p
    write_area_dir(d, root / "invalid_geometry")

    # empty required layer
    d = dict(base)
    d["pops"] = base["pops"].iloc[:0]
    write_area_dir(d, root / "empty_layer")
    # the pops file of an empty layer keeps only its header
    (root / "empty_layer" / "pops.csv").write_text("id,name,x,y\n", encoding="utf-8")

    # a line where a point is expected (addresses written as WKT here)
    d = dict(base)
    write_area_dir(d, root / "wrong_geometry_type")
    a = _wkt_frame(base["addresses"])
    a.loc[3, "geometry"] = "LINESTRING (640320 518200, 640330 518210)"
    a.to_csv(root / "wrong_geometry_type" / "addresses.csv", index=False, lineterminator="\n")

    # misspelt required column
    d = dict(base)
    d["addresses"] = base["addresses"].rename(columns={"house_number": "hous_number"})
    write_area_dir(d, root / "missing_column_typo")

    # speed written with its unit
    d = dict(base)
    c = base["coverage"].copy()
    c.loc[1, "down_mbps"] = "100 Mb/s"
    d["coverage"] = c
    write_area_dir(d, root / "speed_as_text")

    # UKE 'usługi w adresach' file with a speed as text instead of a code, a duplicate row,
    # an unknown technology and a row without speed
    header = ("ua01_id_punktu_adresowego,ua02_id_pe,ua03_id_po,ua04_terc,ua05_simc,ua06_ulic,ua07_nr_porzadkowy,"
              "ua08_szerokosc,ua09_dlugosc,ua10_medium_dochodzace_do_pa,ua11_technologia_dostepowa,"
              "ua12_instalacja_telekom,ua13_medium_instalacji_budynku,ua14_technologia_dostepowa,"
              "ua15_identyfikacja_uslugi,ua16_dostep_stacjonarny,ua17_dostep_stacjonarny_bezprzewodowy,"
              "ua18_telewizja_cyfrowa,ua19_radio,ua20_usluga_telefoniczna,ua21_predkosc_uslugi_td,"
              "ua22_liczba_uzytkownikow_uslugi_td")
    rows = [
        "A1,,,1408044,0921645,09270,1,52.5168,21.0588,światłowodowe,GPON,,,,U1,Tak,Nie,Nie,Nie,Nie,20,3",
        "A2,,,1408044,0921645,09270,3,52.5168,21.0601,kablowe parowe miedziane,VDSL2,,,,U2,Tak,Nie,Nie,Nie,Nie,"
        "100 Mb/s,1",
        "A1,,,1408044,0921645,09270,1,52.5168,21.0588,światłowodowe,GPON,,,,U1,Tak,Nie,Nie,Nie,Nie,20,3",
        "A3,,,1408044,0921645,09270,2A,52.5165,21.0615,kablowe współosiowe miedziane,DOCSIS 3.1,,,,U3,Tak,Nie,"
        "Nie,Nie,Nie,20,2",
        "A4,,,1408044,0921645,16742,5,52.5182,21.0626,światłowodowe,GPON,,,,U4,Nie,Nie,Tak,Nie,Nie,,0",
    ]
    (root / "uke_speed_as_text.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - fixture generator
    sys.path.insert(0, str(HERE.parent))
    build_good()
    build_bad()
