"""Plan outputs re-read from disk: GeoPackage + QGIS styles, GeoParquet, bom.xlsx, report.html/md."""

from __future__ import annotations

import base64
import datetime as dt
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
from _report_fixtures import make_fixture_plan

from planner import report
from planner._errors import UsageError
from planner.output import charts, gpkg_styles, plan_dir, write_plan

GANTT = b"\x89PNG\r\n\x1a\nfake-gantt-bytes"


def _fake_schedule_files(p, tmp: Path) -> bytes:
    (Path(tmp) / "gantt.png").write_bytes(GANTT)
    return GANTT


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, Path]:
    """The fixture plan written twice (determinism) with GeoParquet copies."""
    out = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plan_dir, "_write_schedule_files", _fake_schedule_files)
        for k in range(2):
            d = tmp_path_factory.mktemp(f"plan{k}") / "out"
            write_plan(make_fixture_plan(), d, write_map=False, formats=("gpkg", "parquet"))
            out.append(d)
    return out[0], out[1]


def _styles(path: Path) -> dict[str, tuple]:
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                           "update_time FROM layer_styles ORDER BY id").fetchall()
        kind = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name='layer_styles'").fetchone()
    finally:
        con.close()
    assert kind == ("attributes",)
    return {r[0]: r for r in rows}


def _categories(qml: str) -> tuple[str, dict[str, str], set[str]]:
    root = ET.fromstring(qml.split("\n", 1)[1])  # skip the DOCTYPE line
    r = root.find("renderer-v2")
    cats = {c.get("value"): c.get("symbol") for c in r.iter("category")}
    syms = {s.get("name") for s in r.find("symbols")}
    return r.get("type"), cats, syms


# --- GeoPackage and styles ---------------------------------------------------

def test_gpkg_layers_and_styles(written):
    gpkg = written[0] / "plan.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"addresses", "segments", "drops", "localities", "pops", "ducts", "poles_used"} <= layers
    styles = _styles(gpkg)
    assert set(styles) == {"addresses", "segments", "drops", "localities", "pops", "ducts", "poles_used"}
    for row in styles.values():
        assert row[1] == "geom" and row[5] == 1 and row[6] == gpkg_styles.UPDATE_TIME
    # poles used: only the poles named by the segments, not the spare L99
    poles = gpd.read_file(gpkg, layer="poles_used")
    assert sorted(poles["id"]) == ["L1", "L2", "L3", "L4", "L5", "T1", "T2", "T3"]


def test_address_style_has_a_category_per_status(written):
    styles = _styles(written[0] / "plan.gpkg")
    kind, cats, syms = _categories(styles["addresses"][3])
    assert kind == "categorizedSymbol"
    statuses = set(gpd.read_file(written[0] / "plan.gpkg", layer="addresses")["plan_status"])
    assert statuses <= set(cats)
    assert {"connect", "unconnected", "barrier", "grey", "black"} <= set(cats)
    assert set(cats.values()) == syms  # every category points at a defined symbol
    root = ET.fromstring(styles["addresses"][3].split("\n", 1)[1])
    assert root.find("renderer-v2").get("attr") == "plan_status"


def test_segment_locality_pole_styles(written):
    styles = _styles(written[0] / "plan.gpkg")
    _, seg_cats, _ = _categories(styles["segments"][3])
    assert {"aerial_commune_lighting", "aerial_telecom", "aerial_power", "duct", "trench"} == set(seg_cats)
    _, loc_cats, _ = _categories(styles["localities"][3])
    assert {"M1", "M2", "M3", ""} == set(loc_cats)
    _, pole_cats, _ = _categories(styles["poles_used"][3])
    assert set(pole_cats) == {"commune_lighting", "telecom", "power"}
    _, drop_cats, _ = _categories(styles["drops"][3])
    assert set(drop_cats) == {"0", "1"}


def test_write_layer_styles_skips_missing_tables_and_replaces(tmp_path):
    from planner.output import files

    p = make_fixture_plan()
    path = files.write_gpkg({"addresses": p.addresses}, tmp_path / "x.gpkg")
    n = gpkg_styles.write_layer_styles(path, gpkg_styles.plan_styles(["addresses", "segments"]))
    assert n == 1
    n = gpkg_styles.write_layer_styles(path, gpkg_styles.plan_styles(["addresses"]))
    assert n == 1 and list(_styles(path)) == ["addresses"]


def test_parquet_copies(written):
    pq = written[0] / "parquet"
    seg = gpd.read_parquet(pq / "segments.parquet")
    src = gpd.read_file(written[0] / "plan.gpkg", layer="segments")
    assert seg.crs.to_epsg() == 2180 and len(seg) == len(src) == 5
    assert np.allclose(seg.geometry.length, src.geometry.length)


def test_unknown_format_refused(tmp_path):
    with pytest.raises(UsageError):
        write_plan(make_fixture_plan(), tmp_path / "o", write_map=False, formats=("gpkg", "shp"))


def test_outputs_are_deterministic(written):
    a, b = written
    for name in ("bom.xlsx", "report.md", "report.html", "report_map.png", "segments.csv", "addresses.csv",
                 "uke/z7_liniekablowe_2.csv", "uke/z7_uslugi_wadresach_2.geojson"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert _styles(a / "plan.gpkg") == _styles(b / "plan.gpkg")


# --- bom.xlsx -----------------------------------------------------------------

def _sheet_dicts(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_bom_workbook_sheets_formats_types(written):
    wb = openpyxl.load_workbook(written[0] / "bom.xlsx")
    assert wb.sheetnames == ["BOM wg miejscowości", "BOM wg kamieni milowych", "Koszty (cost summary)",
                             "Opłaty za odległość", "Zgody (consents)", "Bariery (barriers)", "Niepodłączone"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    ws = wb["BOM wg miejscowości"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["simc", "locality", "milestone"]
    rows = _sheet_dicts(ws)
    zeg = next(r for r in rows if r["locality"] == "Zegrze")
    assert zeg["milestone"] == "M1" and zeg["km_trench_paved"] == pytest.approx(0.4)
    col = {h: i + 1 for i, h in enumerate(header)}
    for name in ("cost_total_pln", "drops", "km_aerial_commune_lighting"):  # numbers stored as numbers
        assert ws.cell(row=2, column=col[name]).data_type == "n"
    assert ws.cell(row=2, column=col["simc"]).data_type == "s" and zeg["simc"] == "0009014"
    assert ws.cell(row=2, column=col["km_duct"]).number_format == "0.00"
    assert ws.cell(row=2, column=col["cost_total_pln"]).number_format == "#,##0"
    total = rows[-1]
    assert total["simc"] == "TOTAL" and total["cost_total_pln"] == pytest.approx(159_180.0)

    ms = wb["BOM wg kamieni milowych"]
    mrows = _sheet_dicts(ms)
    assert [r["milestone"] for r in mrows] == ["M1", "M2", "RAZEM (total)"]
    assert isinstance(mrows[0]["deadline"], dt.datetime) and mrows[0]["deadline"].date() == dt.date(2025, 7, 31)
    assert ms.cell(row=2, column=2).number_format == "yyyy-mm-dd"
    assert mrows[1]["cost_total_pln"] == pytest.approx(36_770.0)

    cost = _sheet_dicts(wb["Koszty (cost summary)"])
    net = cost[0]
    assert net["drzewo (shared tree)"] == pytest.approx(139_210.0)
    assert net["oszczędność % (saving %)"] == pytest.approx(20.0)


def test_bom_workbook_fee_barrier_unconnected_lists(written):
    wb = openpyxl.load_workbook(written[0] / "bom.xlsx")
    fees = _sheet_dicts(wb["Opłaty za odległość"])
    assert fees == [{"address_id": "a4", "address": "Jesionowa 2, Skrzeszew", "locality": "Skrzeszew",
                     "drop_length_m": 260.0, "contract_m": 200.0, "excess_m": 60.0, "fee_pln": 3600.0}]
    bar = _sheet_dicts(wb["Bariery (barriers)"])
    assert [(r["address_id"], r["reason"]) for r in bar] == [("a7", "summer_house")]
    un = _sheet_dicts(wb["Niepodłączone"])
    assert [(r["address_id"], r["address"], r["reason"]) for r in un] == [("a10", "Skrzeszew 33", "consent_refused")]


def test_consent_worklist_hand_checked(written):
    wb = openpyxl.load_workbook(written[0] / "bom.xlsx")
    rows = _sheet_dicts(wb["Zgody (consents)"])
    got = {r["parcel_id"]: (r["segments"], r["length_m"], r["address_ids"], r["n_addresses"]) for r in rows}
    # P1 is crossed by s2 and s5: a1, a2 hang off s2, a3 off s5 (downstream of s2).
    # P2 is crossed by s4: a5, a6.  a4 (on the duct s3) depends on no pending parcel.
    assert got == {"140804_5.0001.12/3": ("2;5", 600.0, "a1;a2;a3", 3),
                   "140805_2.0007.45": ("4", 300.0, "a5;a6", 2)}


def test_consent_worklist_drop_at_node_and_upstream_only():
    p = make_fixture_plan()
    d = p.design.drops
    # a3 hangs at node E (end of s5) instead of on s5; a4 moves downstream of P2? no: give s3 a parcel too
    d.loc[d["address_id"] == "a3", ["segment_id", "access_node"]] = [-1, 5]
    seg = p.design.segments
    seg.loc[seg["segment_id"] == 1, ["consent", "parcel_id"]] = ["pending", "P0"]
    wl = report.consent_worklist(p).set_index("parcel_id")
    assert wl.loc["140804_5.0001.12/3", "address_ids"] == "a1;a2;a3"
    # a pending parcel on the first segment blocks every connected point
    assert wl.loc["P0", "address_ids"] == "a1;a2;a3;a4;a5;a6"


def test_consent_worklist_lists_pending_private_road_outside_parcels():
    p = make_fixture_plan()
    seg = p.design.segments
    # s3 (the duct towards C, D) crosses a private road in no parcel: its owner must consent
    seg.loc[seg["segment_id"] == 3, ["consent", "parcel_id"]] = ["pending", None]
    wl = report.consent_worklist(p).set_index("parcel_id")
    row = wl.loc["private road, segment 3"]
    assert (row["segments"], row["length_m"]) == ("3", 400.0)
    # a4 hangs off s3; a5, a6 off s4 downstream of it
    assert row["address_ids"] == "a4;a5;a6" and row["n_addresses"] == 3


# --- report ---------------------------------------------------------------------

def test_report_figures_hand_computed():
    fig = report.report_figures(make_fixture_plan())
    c = fig["communes"].set_index("commune")
    assert list(c.index) == ["Serock", "Wieliszew"]
    assert c.loc["Serock", "points"] == 5 and c.loc["Serock", "businesses"] == 1
    assert c.loc["Serock", "pct_underground"] == pytest.approx(100 * 0.6 / 0.9)
    assert c.loc["Wieliszew", "pct_underground"] == pytest.approx(100 * 0.4 / 0.7)
    assert c.loc["Wieliszew", "cost_per_home_pln"] == pytest.approx(36_770.0 / 3)
    assert c.loc["Serock", "milestones_ok"] == "1/1" and c.loc["Wieliszew", "milestones_ok"] == "0/1"
    t = fig["total"].iloc[0]
    assert t["km_network"] == pytest.approx(1.6) and t["cost_per_home_pln"] == pytest.approx(159_180 / 6)


def test_report_html_and_markdown_contain_figures(written):
    html = (written[0] / "report.html").read_text(encoding="utf-8")
    md = (written[0] / "report.md").read_text(encoding="utf-8")
    for text in (html, md):
        for needle in ("Serock", "Wieliszew", "Zegrze", "Skrzeszew", "122 410", "40 803", "66.7", "57.1",
                       "159 180", "26 530", "62.5", "M1", "M2", "1/1", "0/1", "2025-07-31"):
            assert needle in text, needle
    assert base64.b64encode(GANTT).decode() in html
    map_png = (written[0] / "report_map.png").read_bytes()
    assert base64.b64encode(map_png).decode() in html
    assert "<script" not in html and "http" not in html  # self-contained, no CDN
    assert "![Gantt](gantt.png)" in md and "report_map.png" in md


def test_static_map_is_a_deterministic_png():
    p = make_fixture_plan()
    a = charts.static_map_png(p)
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"Software" not in a and b"matplotlib" not in a
    assert a == charts.static_map_png(p)


def test_write_plan_without_design_or_schedule(tmp_path):
    p = make_fixture_plan()
    p.design, p.schedule = None, None
    p.addresses = p.addresses.drop(columns=["plan_status"])
    out = write_plan(p, tmp_path / "ws", write_map=False)
    names = {f.name for f in out.iterdir()}
    assert {"plan.gpkg", "report.html", "report.md", "report_map.png"} <= names
    assert not {"bom.xlsx", "uke", "gantt.png"} & names
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Białe plamy (white spots): 8" in md and "Gantt" not in md


# --- report.html in a real browser --------------------------------------------------------


@pytest.mark.browser
@pytest.mark.xdist_group("demo")
def test_report_tables_fit_a_1300px_window_and_print_on_a4_landscape(demo_plan_dir, chromium, tmp_path):
    """No table pushes the page sideways on a 1,300 px window (wide ones scroll in their box),
    and printed on A4 landscape every table fits the printable width."""
    page = chromium.new_page(viewport={"width": 1300, "height": 900})
    try:
        page.goto((demo_plan_dir / "report.html").as_uri())
        page_width = page.evaluate("document.documentElement.scrollWidth")
        assert page_width <= 1300
        boxes = page.evaluate("""Array.from(document.querySelectorAll('table')).map(t => {
            const box = t.parentElement, r = box.getBoundingClientRect();
            return {box: box.className, right: r.right, scroll: box.scrollWidth, client: box.clientWidth};
        })""")
        assert boxes and all(b["box"] == "table-box" and b["right"] <= 1300 for b in boxes)
        # A4 landscape at 96 dpi minus 10 mm margins on each side: 277 mm = 1047 px
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1047, "height": 740})
        widths = page.evaluate("Array.from(document.querySelectorAll('table')).map(t => t.scrollWidth)")
        assert max(widths) <= 1047, widths
        pdf = page.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        # one page size, landscape A4: 841.89 x 595.28 pt
        sizes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf))
        assert sizes and all(abs(float(w) - 841.89) < 1.5 and abs(float(h) - 595.28) < 1.5 for w, h in sizes), sizes
    finally:
        page.close()
