"""Schedule writers: CSV, XLSX, Gantt chart (PNG and HTML).

Moved verbatim from the old ``planner/schedule.py`` ("writers" section) for
issue #15; the lead moves this module into the output layer
(``planner/output/``).  It is the only module of :mod:`planner.schedule` that
imports :mod:`planner.io`.  Kept verbatim, so its old lint findings are
silenced here rather than fixed.
"""
# ruff: noqa: D301, B007, E501, UP032

from __future__ import annotations

import datetime as dt
import html
import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.io import files
from planner.schedule.results import ScheduleResult

__all__ = [
    "schedule_csv_bytes",
    "write_schedule_csv",
    "schedule_xlsx_bytes",
    "write_schedule_xlsx",
    "gantt_figure",
    "gantt_png_bytes",
    "gantt_html",
]


def schedule_csv_bytes(result: ScheduleResult) -> bytes:
    """The work-package table as CSV bytes (fixed formats: ISO dates, ``\\n``)."""
    wp = result.work_packages
    return wp.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n", float_format="%.1f").encode("utf-8")


def write_schedule_csv(result: ScheduleResult, path: str | Path) -> Path:
    """Write ``schedule.csv`` (work packages) atomically; byte-for-byte deterministic."""
    files.write_bytes(schedule_csv_bytes(result), path)
    return Path(path)


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    out, i = base, 2
    while out.casefold() in used:
        out = f"{base[:28]}_{i}"
        i += 1
    used.add(out.casefold())
    return out


def _fill_sheet(ws: Any, df: pd.DataFrame) -> None:
    """Write ``df`` with a bold frozen header, auto-filter, date formats and fitted widths."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    cols = list(df.columns)
    ws.append(cols)
    for c in ws[1]:
        c.font = Font(bold=True)
    widths = [len(str(c)) for c in cols]
    date_cols = set()
    for j, c in enumerate(cols):
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            date_cols.add(j)
    for row in df.itertuples(index=False, name=None):
        vals = []
        for j, v in enumerate(row):
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                vals.append(None)
            elif isinstance(v, pd.Timestamp):
                vals.append(v.date())
            elif isinstance(v, (np.bool_,)):
                vals.append(bool(v))
            elif isinstance(v, np.integer):
                vals.append(int(v))
            elif isinstance(v, np.floating):
                vals.append(float(v))
            elif isinstance(v, (dt.date, bool, int, float, str)):
                vals.append(v)
            else:
                vals.append(str(v))
            widths[j] = max(widths[j], len(str(vals[-1])) if vals[-1] is not None else 0)
        ws.append(vals)
    for j in date_cols:
        letter = get_column_letter(j + 1)
        for cell in ws[letter][1:]:
            cell.number_format = "yyyy-mm-dd"
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(w, 6) + 2, 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def schedule_xlsx_bytes(result: ScheduleResult) -> bytes:
    """The schedule workbook as bytes (see :func:`write_schedule_xlsx`)."""
    from openpyxl import Workbook

    wb = Workbook()
    used: set[str] = set()
    ws = wb.active
    ws.title = _sheet_name("Summary", used)
    summ = result.milestones.copy()
    _fill_sheet(ws, summ)
    _fill_sheet(wb.create_sheet(_sheet_name("Compliance", used)), result.compliance)
    wp = result.work_packages
    for m in result.milestones["milestone"]:
        _fill_sheet(wb.create_sheet(_sheet_name(str(m), used)), wp[wp["milestone"] == m].reset_index(drop=True))
    other = wp[~wp["milestone"].isin(result.milestones["milestone"])]
    if len(other):
        _fill_sheet(wb.create_sheet(_sheet_name("Other", used)), other.reset_index(drop=True))
    if result.progress is not None:
        _fill_sheet(wb.create_sheet(_sheet_name("Progress", used)), result.progress)
    return files.workbook_bytes(wb)


def write_schedule_xlsx(result: ScheduleResult, path: str | Path) -> Path:
    """Write the schedule workbook atomically.

    A summary sheet (milestones), a compliance sheet, one sheet of work packages
    per milestone (and ``Progress`` with an as-built layer); frozen header,
    auto-filter, real Excel dates (``yyyy-mm-dd``), fitted column widths.  The
    workbook's timestamps are fixed, so the file is byte-for-byte deterministic.
    """
    files.write_bytes(schedule_xlsx_bytes(result), path)
    return Path(path)


def _milestone_colours(result: ScheduleResult) -> dict[str, str]:
    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
    names = list(result.milestones["milestone"])
    out = {m: palette[i % len(palette)] for i, m in enumerate(names)}
    out[""] = "#999999"
    return out


def _gantt_rows(result: ScheduleResult) -> list[tuple[str, str, pd.DataFrame]]:
    """(label, milestone, packages) per locality, in milestone then start order."""
    wp = result.work_packages[result.work_packages["start"].notna()]
    order = {m: i for i, m in enumerate(result.milestones["milestone"])}
    rows = []
    for (simc, locality), g in wp.groupby(["simc", "locality"], sort=True):
        ms = g["milestone"].iloc[0]
        rows.append((order.get(ms, 99), g["start"].min(), f"{locality or '?'} ({simc})", ms, g))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(r[2], r[3], r[4]) for r in rows]


def gantt_figure(result: ScheduleResult):
    """Gantt chart by locality, bars coloured by milestone, deadline lines.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no global state); save it with
        ``fig.savefig(path, metadata={'Software': None})`` for a deterministic PNG.
    """
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = _gantt_rows(result)
    colours = _milestone_colours(result)
    h = min(0.22 * max(len(rows), 1) + 1.8, 40.0)
    fig = Figure(figsize=(12, h))
    ax = fig.add_subplot(1, 1, 1)
    epoch = mdates.date2num(dt.datetime(1970, 1, 1))
    lo, hi = np.inf, -np.inf
    for y, (label, ms, g) in enumerate(rows):
        s = g["start"].to_numpy().astype("datetime64[D]").astype(np.int64) + epoch
        e = (g["end"].to_numpy().astype("datetime64[D]").astype(np.int64) + 1) + epoch
        ax.broken_barh(list(zip(s.tolist(), (e - s).tolist())), (y - 0.35, 0.7),
                       facecolors=colours.get(ms, "#999999"), linewidth=0)
        lo, hi = min(lo, float(s.min())), max(hi, float(e.max()))
    dl = [mdates.date2num(pd.Timestamp(d).to_pydatetime()) for d in result.milestones["deadline"]]
    if dl:
        lo, hi = min(lo, min(dl)), max(hi, max(dl))
    if np.isfinite(lo):
        ax.set_xlim(lo - 10, hi + 20)
    ax.set_ylim(len(rows) - 0.5, -1.5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=6)
    for m, d in zip(result.milestones["milestone"], result.milestones["deadline"]):
        x = mdates.date2num(pd.Timestamp(d).to_pydatetime())
        ax.axvline(x, color=colours.get(m, "k"), linestyle="--", linewidth=1)
        ax.text(x, -0.9, f" {m} {pd.Timestamp(d).date()}", fontsize=7, color=colours.get(m, "k"), va="bottom")
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(axis="x", linewidth=0.3)
    handles = [Patch(color=colours[m], label=m) for m in result.milestones["milestone"]]
    if handles:
        # top right, below the deadline labels and left of the last deadline line: the
        # first (M1) rows end early, so that corner is free of bars
        ax.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.93, 0.975), fontsize=7,
                  title="kamień milowy")
    ax.set_title("Harmonogram budowy według miejscowości (Gantt)" + ("" if result.feasible else
                 f" — NIEWYKONALNY: {result.binding_constraint}"), fontsize=9)
    fig.tight_layout()
    return fig


def gantt_png_bytes(result: ScheduleResult, dpi: int = 110) -> bytes:
    """The Gantt chart as deterministic PNG bytes."""
    buf = io.BytesIO()
    gantt_figure(result).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _html_table(df: pd.DataFrame, table_id: str) -> str:
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


_SORT_JS = """function sortTable(id,col){var t=document.getElementById(id),b=t.tBodies[0],
r=Array.from(b.rows),asc=t.dataset.col!=String(col)||t.dataset.dir!='asc';
r.sort(function(x,y){var a=x.cells[col].textContent,c=y.cells[col].textContent,
na=parseFloat(a),nc=parseFloat(c);var v=(!isNaN(na)&&!isNaN(nc)&&/^[-0-9.]+$/.test(a)&&/^[-0-9.]+$/.test(c))?na-nc:a.localeCompare(c);
return asc?v:-v;});r.forEach(function(x){b.appendChild(x);});t.dataset.col=col;t.dataset.dir=asc?'asc':'desc';}"""


def gantt_html(result: ScheduleResult) -> str:
    """Self-contained HTML Gantt chart (inline SVG, no network) with sortable tables."""
    rows = _gantt_rows(result)
    colours = _milestone_colours(result)
    wp = result.work_packages
    dates = [d for d in list(wp["start"].dropna()) + list(wp["end"].dropna()) + list(result.milestones["deadline"])]
    if dates:
        t0 = min(dates).normalize() - pd.Timedelta(days=7)
        t1 = max(dates).normalize() + pd.Timedelta(days=21)
    else:
        t0 = pd.Timestamp(result.config.start_date)
        t1 = t0 + pd.Timedelta(days=365)
    span = max((t1 - t0).days, 1)
    left, width, rh, top = 230, 900, 14, 30
    height = top + rh * max(len(rows), 1) + 20

    def x(ts: pd.Timestamp) -> float:
        return round(left + width * (ts - t0).days / span, 2)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{height}" '
             f'font-family="sans-serif" font-size="10">']
    m = pd.Timestamp(t0.year, t0.month, 1)
    while m <= t1:
        if m >= t0:
            parts.append(f'<line x1="{x(m)}" y1="{top - 5}" x2="{x(m)}" y2="{height - 15}" stroke="#ddd"/>')
            if m.month in (1, 4, 7, 10):
                parts.append(f'<text x="{x(m) + 2}" y="{top - 8}" fill="#555">{m.strftime("%Y-%m")}</text>')
        m = m + pd.offsets.MonthBegin(1)
    for y, (label, ms, g) in enumerate(rows):
        yy = top + y * rh
        parts.append(f'<text x="{left - 4}" y="{yy + rh - 4}" text-anchor="end">{html.escape(label)}</text>')
        for r in g.itertuples(index=False):
            x0, x1 = x(r.start), x(r.end + pd.Timedelta(days=1))
            tip = (f"{r.wp_id}: {r.kind} {r.quantity:g} {r.unit}, {r.crew}, {r.start.date()} – {r.end.date()}"
                   f" ({r.milestone})")
            parts.append(f'<rect x="{x0}" y="{yy + 2}" width="{max(round(x1 - x0, 2), 0.5)}" height="{rh - 4}" '
                         f'fill="{colours.get(ms, "#999")}"><title>{html.escape(tip)}</title></rect>')
    for mname, d in zip(result.milestones["milestone"], result.milestones["deadline"]):
        xd = x(pd.Timestamp(d))
        parts.append(f'<line x1="{xd}" y1="{top - 5}" x2="{xd}" y2="{height - 15}" stroke="{colours[mname]}" '
                     f'stroke-dasharray="4,3" stroke-width="1.5"/>')
        parts.append(f'<text x="{xd + 2}" y="{height - 4}" fill="{colours[mname]}">'
                     f'{html.escape(str(mname))} {pd.Timestamp(d).date()}</text>')
    parts.append("</svg>")
    status = ("all milestones met" if result.feasible else
              f"NOT feasible: binding constraint {result.binding_constraint}; minimum crews {result.min_crews}")
    legend = " ".join(f'<span style="background:{colours[m]};color:#fff;padding:1px 6px">{html.escape(str(m))}</span>'
                      for m in result.milestones["milestone"])
    doc = [
        "<!DOCTYPE html>", '<html lang="pl"><head><meta charset="utf-8">',
        "<title>Harmonogram – kamienie milowe</title>",
        "<style>body{font-family:sans-serif;margin:16px}table{border-collapse:collapse;font-size:12px;margin:8px 0}"
        "th,td{border:1px solid #ccc;padding:2px 6px}th{background:#eee;cursor:pointer}</style>",
        f"<script>{_SORT_JS}</script></head><body>",
        "<h1>Harmonogram budowy (kamienie milowe)</h1>",
        f"<p>{html.escape(status)}</p><p>{legend}</p>", "".join(parts),
        "<h2>Kamienie milowe</h2>", _html_table(result.milestones, "milestones"),
        "<h2>Zgodność z regułą ≥ {:.0f} % (compliance)</h2>".format(result.config.pass_threshold * 100),
        _html_table(result.compliance, "compliance"),
        "<h2>Pakiety robót (work packages)</h2>", _html_table(result.work_packages, "packages"),
    ]
    if result.progress is not None:
        doc += ["<h2>Postęp (as-built)</h2>", _html_table(result.progress, "progress")]
    doc.append("</body></html>\n")
    return "\n".join(doc)
