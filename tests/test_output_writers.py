"""The schedule, Gantt, workbook and report writers against straightforward oracles.

The writers convert whole columns at once, draw every Gantt bar in one
collection and encode PNGs themselves (:mod:`planner.output.excel`,
:mod:`planner.output.schedule_files`, :mod:`planner.output.charts`).  Oracles:
the cell-by-cell writers they replaced (written out here), matplotlib's own
``savefig`` and ``GeoDataFrame.plot`` on the same figures, and hand-computed
bar positions.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import math
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _report_fixtures import make_fixture_plan
from PIL import Image
from shapely.geometry import MultiPolygon, Polygon, box

from planner.output import charts, excel, schedule_files
from planner.styles import milestone_colours

# --- imports ------------------------------------------------------------------


def test_planning_and_the_plan_writer_import_no_drawing_or_workbook_library():
    """matplotlib, Pillow and XlsxWriter are imported where a picture or workbook is made, not before."""
    code = ("import sys\nimport planner.pipeline, planner.output.plan_dir, planner.output, planner.report\n"
            "print(sorted(m for m in ('matplotlib', 'PIL', 'xlsxwriter', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_static_map_does_not_import_pyplot():
    """The static map draws its polygons itself: ``geopandas.plotting`` would import pyplot and draw twice."""
    code = ("import sys\nfrom _report_fixtures import make_fixture_plan\nfrom planner.output import charts\n"
            "png = charts.static_map_png(make_fixture_plan())\n"
            "print(png[:4] == b'\\x89PNG', 'matplotlib.pyplot' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent).stdout
    assert out.split() == ["True", "False", "True"]


# --- workbooks ----------------------------------------------------------------


def _reference_sheet(wb, ws, df: pd.DataFrame, formats: dict) -> None:
    """The cell-by-cell sheet writer the column-wise one replaced (the oracle)."""
    cols = [str(c) for c in df.columns]
    ws.write_row(0, 0, cols, formats["header"])
    for j, col in enumerate(df.columns):
        s = df[col]
        fmt_name = excel._column_format(s)
        if fmt_name not in formats:
            formats[fmt_name] = wb.add_format({"num_format": fmt_name})
        fmt = formats[fmt_name]
        width = len(cols[j])
        for i, v in enumerate(map(excel._cell, s.tolist()), start=1):
            if v is None:
                if fmt is not None:
                    ws.write_blank(i, j, None, fmt)
                continue
            if isinstance(v, str):
                ws.write_string(i, j, v, fmt)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v, fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v, fmt)
            else:
                ws.write_datetime(i, j, v, fmt)
            width = max(width, len(str(v)))
        ws.set_column(j, j, min(60, max(8, width + 2)))
    ws.freeze_panes(1, 0)
    if cols:
        ws.autofilter(0, 0, len(df), len(cols) - 1)


def _mixed_frame() -> pd.DataFrame:
    """Every kind of column the planner's tables hold, with missing values, odd numbers and old dates."""
    days = pd.to_datetime(["2025-04-28", None, "1900-02-28", "1900-03-01", "2026-12-31 17:30"], format="ISO8601")
    return pd.DataFrame({
        "start": days,
        "deadline_s": days.astype("datetime64[s]"),
        "km_aerial": [0.1, np.nan, 1e16, -0.0, np.inf],
        "cost_total_pln": [1, 2, 3, 4, 5],
        "n_small": np.array([0, 1, 2, 254, 255], dtype=np.uint8),
        "pct_passed": [99.5, 100.0, np.nan, 0.0, 12.25],
        "ok": [True, False, True, True, False],
        "locality": pd.array(["Dębe", None, "<&>\"'", "", "Zegrze"], dtype="str"),
        "wp_id": pd.array(["WP1", pd.NA, "=1+1", "http://x", "0012"], dtype="string"),
        "day": [dt.date(2025, 1, 2), None, dt.date(2024, 2, 29), dt.date(1900, 1, 1), dt.date(2030, 12, 31)],
        "slack_days": pd.array([20, pd.NA, -3, 0, 7], dtype="Int64"),
        "as_of": pd.to_datetime(["2025-03-28"] * 5).tz_localize("Europe/Warsaw"),
        "kind": pd.Categorical(["aerial", "duct", None, "aerial", "trench"]),
        "mixed": [1, "a", 2.5, None, True],
    })


def _parts(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist()}


def test_workbook_cells_are_those_of_the_cell_by_cell_writer(monkeypatch):
    sheets = {"Mixed": _mixed_frame(), "Empty": _mixed_frame().iloc[:0], "No columns": pd.DataFrame(index=range(3))}
    fast = excel.workbook_bytes(sheets)
    monkeypatch.setattr(excel, "_write_sheet", _reference_sheet)
    reference = excel.workbook_bytes(sheets)
    assert _parts(fast) == _parts(reference)
    assert fast == reference


def test_workbook_dates_are_excel_serials_of_the_day():
    """Hand-computed serials: 1900-02-28 is day 59, 1900-03-01 day 61 (Excel's 29 Feb 1900), times dropped."""
    df = pd.DataFrame({"d": pd.to_datetime(["1900-02-28", "1900-03-01", "2025-04-28 23:59", None], format="ISO8601")})
    days, missing = excel._excel_days(df["d"])
    assert days[:3] == [59.0, 61.0, 45775.0] and missing.tolist() == [False, False, False, True]
    sheet = _parts(excel.workbook_bytes({"s": df}))["xl/worksheets/sheet1.xml"].decode()
    assert re.findall(r'<c r="A\d+" s="\d+"><v>(\d+)</v></c>', sheet) == ["59", "61", "45775"]
    assert '<c r="A5" s="' in sheet  # the missing date: a blank cell with the date format


def test_workbook_bytes_do_not_depend_on_the_time(monkeypatch):
    """Same bytes a (pretended) year later: zip entries of a fixed date, document properties XLSX_TIMESTAMP."""
    first = excel.workbook_bytes({"s": _mixed_frame()})
    z = zipfile.ZipFile(io.BytesIO(first))
    assert z.testzip() is None
    assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert b"<dcterms:created xsi:type=\"dcterms:W3CDTF\">2000-01-01T00:00:00Z" in z.read("docProps/core.xml")
    import time as time_mod

    real = time_mod.time
    monkeypatch.setattr(time_mod, "time", lambda: real() + 365 * 86400)
    assert excel.workbook_bytes({"s": _mixed_frame()}) == first


def _reference_table(df: pd.DataFrame, table_id: str) -> str:
    """The row-by-row HTML table the column-wise one replaced (the oracle)."""
    head = "".join(f"<th onclick=\"sortTable('{table_id}',{j})\">{html.escape(str(c))}</th>"
                   for j, c in enumerate(df.columns))
    body = []
    for row in df.itertuples(index=False, name=None):
        cells = []
        for v in row:
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                s = ""
            elif isinstance(v, pd.Timestamp):
                s = v.date().isoformat()
            else:
                s = str(v)
            cells.append(f"<td>{html.escape(s)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def test_sortable_table_cells_are_those_of_the_row_by_row_writer():
    df = _mixed_frame()
    assert schedule_files.sortable_table(df, "t") == _reference_table(df, "t")
    assert "<td>2026-12-31</td>" in schedule_files.sortable_table(df, "t")  # the day, not the time
    assert "<td>&lt;&amp;&gt;&quot;&#x27;</td>" in schedule_files.sortable_table(df, "t")
    for empty in (df.iloc[:0], pd.DataFrame(index=range(2))):
        assert schedule_files.sortable_table(empty, "e") == _reference_table(empty, "e")


def _schedule(n: int = 60, seed: int = 1) -> SimpleNamespace:
    """A schedule result of ``n`` work packages in 7 localities and 3 milestones, some not scheduled."""
    rng = np.random.default_rng(seed)
    simc = rng.choice([f"{i:07d}" for i in range(1, 8)], n)
    start = pd.Timestamp("2025-04-28") + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    wp = pd.DataFrame({
        "wp_id": [f"WP{i:03d}" for i in range(n)], "milestone": [f"M{int(s) % 3 + 1}" for s in simc],
        "simc": simc, "locality": [f"Wieś <{s[-1]}>" for s in simc],
        "kind": rng.choice(["aerial", "trench", "drops"], n), "quantity": rng.integers(1, 5000, n) / 4,
        "unit": "m", "crew": [f"crew {i % 4}" for i in range(n)], "start": start, "end": end,
    })
    wp.loc[wp.index % 9 == 4, ["start", "end"]] = pd.NaT
    milestones = pd.DataFrame({"milestone": ["M1", "M2", "M3"],
                               "deadline": pd.to_datetime(["2025-07-31", "2025-12-31", "2026-12-31"]),
                               "ok": [True, True, False]})
    compliance = pd.DataFrame({"milestone": ["M1"], "deadline": pd.to_datetime(["2025-07-31"]), "locality": ["x"]})
    return SimpleNamespace(work_packages=wp, milestones=milestones, compliance=compliance, progress=None,
                           feasible=True, binding_constraint=None, min_crews=None,
                           config=SimpleNamespace(start_date=dt.date(2025, 4, 28), pass_threshold=0.8))


def test_gantt_html_bars_where_the_dates_put_them():
    r = _schedule()
    page = schedule_files.gantt_html(r)
    wp = r.work_packages
    started = wp[wp["start"].notna()]
    t0 = min(started["start"].min(), r.milestones["deadline"].min()).normalize() - pd.Timedelta(days=7)
    t1 = max(started["end"].max(), r.milestones["deadline"].max()).normalize() + pd.Timedelta(days=21)
    span = (t1 - t0).days
    colours = milestone_colours(list(r.milestones["milestone"]))
    expected = {}
    for w in started.itertuples():  # per package, from its dates (the oracle)
        x0 = round(230 + 900 * (w.start - t0).days / span, 2)
        x1 = round(230 + 900 * (w.end + pd.Timedelta(days=1) - t0).days / span, 2)
        tip = (f"{w.wp_id}: {w.kind} {w.quantity:g} {w.unit}, {w.crew}, {w.start.date()} – {w.end.date()}"
               f" ({w.milestone})")
        expected[w.wp_id] = (str(x0), str(max(round(x1 - x0, 2), 0.5)), colours[w.milestone], html.escape(tip))
    rects = re.findall(r'<rect x="([^"]+)" y="[^"]+" width="([^"]+)" height="10" fill="([^"]+)">'
                       r"<title>([^<]+)</title></rect>", page)
    assert len(rects) == len(started) < len(wp)
    assert {t.split(":")[0]: (x, w, f, t) for x, w, f, t in rects} == expected
    # one row per locality, in milestone then start order
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', page)
    rows = charts.gantt_groups(r)[1]
    assert labels == [html.escape(label) for label, _, _ in rows]
    assert [ms for _, ms, _ in rows] == sorted(ms for _, ms, _ in rows)
    assert sum(len(pos) for _, _, pos in rows) == len(started)


# --- PNGs -------------------------------------------------------------------------


def _savefig_pixels(fig, **kw) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=charts.DPI, metadata={"Software": None}, **kw)
    return np.asarray(Image.open(buf))


def test_figure_png_has_the_pixels_of_savefig():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))  # no canvas of its own, drawn at another resolution
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1, 2], [2, 0, 1], color="#d95f02")
    ax.set_title("Łacha – próba")
    fig.tight_layout()
    png = charts.figure_png(fig)
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGB" and img.size == (440, 330) and round(img.info["dpi"][0]) == charts.DPI
    assert fig.dpi == 100  # restored
    reference = _savefig_pixels(fig)
    assert reference.shape == (330, 440, 4) and (reference[..., 3] == 255).all()
    assert np.array_equal(np.asarray(img), reference[..., :3])
    assert png == charts.figure_png(fig)
    assert b"Software" not in png and b"matplotlib" not in png
    # a transparent picture keeps its alpha channel
    fig.patch.set_alpha(0.0)
    ax.patch.set_alpha(0.0)
    clear = Image.open(io.BytesIO(charts.figure_png(fig)))
    assert clear.mode == "RGBA" and np.array_equal(np.asarray(clear), _savefig_pixels(fig))


def test_gantt_figure_one_collection_laid_out_for_its_resolution():
    from matplotlib.colors import to_rgba
    from matplotlib.dates import date2num

    r = _schedule()
    fig = charts.gantt_figure(r)
    assert fig.get_layout_engine() is None  # savefig/figure_png draw it once
    ax = fig.axes[0]
    (bars,) = ax.collections
    wp, rows = charts.gantt_groups(r)
    verts = bars.get_paths()
    assert len(verts) == len(wp) == r.work_packages["start"].notna().sum()
    colours = milestone_colours(list(r.milestones["milestone"]))
    k = 0
    for y, (_label, ms, pos) in enumerate(rows):
        for w in wp.iloc[pos].itertuples():
            x = verts[k].vertices[:, 0]
            assert x.min() == date2num(w.start) and x.max() == date2num(w.end + pd.Timedelta(days=1))
            ys = verts[k].vertices[:, 1]
            assert np.isclose(ys.min(), y - 0.35) and np.isclose(ys.max(), y + 0.35)
            assert tuple(bars.get_facecolor()[k]) == to_rgba(colours[ms])
            k += 1
    # the labels fit in the figure when drawn at the PNG's resolution
    png = charts.figure_png(fig)
    renderer = fig.canvas.get_renderer()
    assert fig.dpi == charts.DPI
    assert min(t.get_window_extent(renderer).x0 for t in ax.get_yticklabels()) > 0
    assert Image.open(io.BytesIO(png)).size == (1320, int(fig.get_figheight() * charts.DPI))


def test_static_map_polygons_as_geopandas_draws_them():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    holed = Polygon(box(0, 0, 10, 10).exterior.coords, [box(3, 3, 6, 6).exterior.coords])
    frame = gpd.GeoDataFrame({"m": ["M1", "M2", "M3"]}, crs="EPSG:2180",
                             geometry=[holed, MultiPolygon([box(12, 0, 14, 2), box(15, 5, 18, 9)]),
                                       Polygon([(0, 12), (9, 12), (4, 19)])])
    colours = ["#66c2a5", "#fc8d62", "#8da0cb"]
    pixels, labels, probes = [], [], []
    for draw in (lambda ax: frame.plot(ax=ax, color=colours, edgecolor="#555555", linewidth=0.6, alpha=0.45),
                 lambda ax: charts._plot_polygons(ax, frame, colours, edgecolor="#555555", linewidth=0.6,
                                                  alpha=0.45)):
        fig = Figure(figsize=(4, 4), dpi=charts.DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        draw(ax)
        ax.set_aspect("equal")
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
        pixels.append(rgba)
        labels.append((ax.get_xlabel(), ax.get_ylabel(), ax.get_xlim(), ax.get_ylim()))
        # the pixel in the hole and one in the ring around it (rows counted from the top)
        probes.append([tuple(rgba[rgba.shape[0] - int(y), int(x), :3])
                       for x, y in ax.transData.transform([(4.5, 4.5), (1.5, 1.5)])])
    assert labels[0] == labels[1] and labels[1][:2] == ("Easting [metre]", "Northing [metre]")
    assert np.array_equal(pixels[0], pixels[1])
    hole, ring = probes[1]
    assert hole == (255, 255, 255) and ring != (255, 255, 255)


@pytest.mark.parametrize("aerial", [True, False])
def test_static_map_is_deterministic_rgb(aerial):
    p = make_fixture_plan(aerial=aerial)
    png = charts.static_map_png(p)
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGB" and img.size == (1320, 880)
    assert png == charts.static_map_png(p)
