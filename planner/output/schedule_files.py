"""The schedule's own files: the workbook (``schedule.xlsx``) and the HTML Gantt chart (``gantt.html``).

Both are built from a :class:`~planner.schedule.ScheduleResult` and returned as
bytes/text; :mod:`planner.output.plan_dir` writes them.  :func:`sortable_table`
and :data:`SORT_JS` are shared by the other self-contained HTML pages with
tables (the re-plan report).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from planner.output.charts import gantt_groups
from planner.output.excel import workbook_bytes
from planner.schedule.results import ScheduleResult
from planner.styles import milestone_colours

__all__ = ["SORT_JS", "gantt_html", "schedule_xlsx_bytes", "sortable_table"]


def schedule_xlsx_bytes(result: ScheduleResult) -> bytes:
    """The schedule workbook.

    The milestones, the compliance table, one sheet of work packages per
    milestone (and ``Other``), and ``Progress`` with an as-built layer.
    """
    sheets = {"Summary": result.milestones, "Compliance": result.compliance}
    wp = result.work_packages
    for m in result.milestones["milestone"]:
        sheets[str(m)] = wp[wp["milestone"] == m].reset_index(drop=True)
    other = wp[~wp["milestone"].isin(result.milestones["milestone"])]
    if len(other):
        sheets["Other"] = other.reset_index(drop=True)
    if result.progress is not None:
        sheets["Progress"] = result.progress
    return workbook_bytes(sheets)


def sortable_table(df: pd.DataFrame, table_id: str) -> str:
    """An HTML table whose columns sort on a click on their header (with :data:`SORT_JS` on the page).

    Cells: empty for missing values, dates as ``yyyy-mm-dd``, anything else as
    ``str(value)``, HTML-escaped.
    """
    head = "".join(f"<th onclick=\"sortTable('{table_id}',{j})\">{html.escape(str(c))}</th>"
                   for j, c in enumerate(df.columns))
    columns = [[f"<td>{t}</td>" for t in _cell_texts(df.iloc[:, j])] for j in range(df.shape[1])]
    rows = ["<tr>" + "".join(r) + "</tr>" for r in zip(*columns)] if columns else ["<tr></tr>"] * len(df)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _cell_texts(s: pd.Series) -> list[str]:
    """The HTML-escaped text of each cell of a column (see :func:`sortable_table`), a column at a time."""
    dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        values = s.to_numpy()
        days = np.datetime_as_string(values.astype("datetime64[D]"), unit="D")
        texts: list[str] = np.where(np.isnat(values), "", days).tolist()
        return texts
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":  # no character to escape
        return ["" if v != v else str(v) for v in s.tolist()]
    return [html.escape(_cell_text(v)) for v in s]


def _cell_text(v: object) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, pd.Timestamp):
        day: str = v.date().isoformat()
        return day
    return str(v)


#: The sorting function the tables of :func:`sortable_table` call.
SORT_JS = """function sortTable(id,col){var t=document.getElementById(id),b=t.tBodies[0],
r=Array.from(b.rows),asc=t.dataset.col!=String(col)||t.dataset.dir!='asc';
r.sort(function(x,y){var a=x.cells[col].textContent,c=y.cells[col].textContent,
na=parseFloat(a),nc=parseFloat(c);
var v=(!isNaN(na)&&!isNaN(nc)&&/^[-0-9.]+$/.test(a)&&/^[-0-9.]+$/.test(c))?na-nc:a.localeCompare(c);
return asc?v:-v;});r.forEach(function(x){b.appendChild(x);});t.dataset.col=col;t.dataset.dir=asc?'asc':'desc';}"""


def _bar_parts(wp: pd.DataFrame, t0: pd.Timestamp, left: int, width: int, span: int
               ) -> list[tuple[float, float, str]]:
    """``(x, width, escaped tooltip)`` of each work package's bar in the SVG of :func:`gantt_html`.

    ``x`` of a day is ``round(left + width * days since t0 / span, 2)`` (whole
    days, as ``Timedelta.days``); a bar ends after its last day and is at least
    0.5 wide.
    """
    day = np.timedelta64(1, "D")
    start, end = wp["start"].to_numpy(), wp["end"].to_numpy()
    origin = np.datetime64(t0.to_datetime64(), "ns")
    d0 = ((start - origin) // day).tolist()
    d1 = ((end + day - origin) // day).tolist()
    first = np.datetime_as_string(start.astype("datetime64[D]"), unit="D").tolist()
    last = np.datetime_as_string(end.astype("datetime64[D]"), unit="D").tolist()
    out = []
    for a, b, wp_id, kind, quantity, unit, crew, f, t, ms in zip(
            d0, d1, wp["wp_id"], wp["kind"], wp["quantity"], wp["unit"], wp["crew"], first, last, wp["milestone"]):
        x0, x1 = round(left + width * a / span, 2), round(left + width * b / span, 2)
        tip = html.escape(f"{wp_id}: {kind} {quantity:g} {unit}, {crew}, {f} – {t} ({ms})")
        out.append((x0, max(round(x1 - x0, 2), 0.5), tip))
    return out


def gantt_html(result: ScheduleResult) -> str:
    """Self-contained HTML Gantt chart (inline SVG, no network) with sortable tables."""
    wp, rows = gantt_groups(result)
    colours = milestone_colours(list(result.milestones["milestone"]))
    dates = pd.concat([result.work_packages["start"].dropna(), result.work_packages["end"].dropna(),
                       pd.to_datetime(result.milestones["deadline"])], ignore_index=True)
    if len(dates):
        t0 = dates.min().normalize() - pd.Timedelta(days=7)
        t1 = dates.max().normalize() + pd.Timedelta(days=21)
    else:
        t0 = pd.Timestamp(result.config.start_date)
        t1 = t0 + pd.Timedelta(days=365)
    span = max((t1 - t0).days, 1)
    left, width, rh, top = 230, 900, 14, 30
    height = top + rh * max(len(rows), 1) + 20

    def x(ts: pd.Timestamp) -> float:
        pos: float = round(left + width * (ts - t0).days / span, 2)
        return pos

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 20}" height="{height}" '
             f'font-family="sans-serif" font-size="10">']
    m = pd.Timestamp(t0.year, t0.month, 1)
    while m <= t1:
        if m >= t0:
            parts.append(f'<line x1="{x(m)}" y1="{top - 5}" x2="{x(m)}" y2="{height - 15}" stroke="#ddd"/>')
            if m.month in (1, 4, 7, 10):
                parts.append(f'<text x="{x(m) + 2}" y="{top - 8}" fill="#555">{m.strftime("%Y-%m")}</text>')
        m = m + pd.offsets.MonthBegin(1)
    bars = _bar_parts(wp, t0, left, width, span)
    for y, (label, ms, pos) in enumerate(rows):
        yy = top + y * rh
        parts.append(f'<text x="{left - 4}" y="{yy + rh - 4}" text-anchor="end">{html.escape(label)}</text>')
        fill = colours.get(ms, "#999")
        parts += [f'<rect x="{x0}" y="{yy + 2}" width="{w}" height="{rh - 4}" fill="{fill}"><title>{tip}</title></rect>'
                  for x0, w, tip in (bars[i] for i in pos.tolist())]
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
        f"<script>{SORT_JS}</script></head><body>",
        "<h1>Harmonogram budowy (kamienie milowe)</h1>",
        f"<p>{html.escape(status)}</p><p>{legend}</p>", "".join(parts),
        "<h2>Kamienie milowe</h2>", sortable_table(result.milestones, "milestones"),
        f"<h2>Zgodność z regułą ≥ {result.config.pass_threshold * 100:.0f} % (compliance)</h2>",
        sortable_table(result.compliance, "compliance"),
        "<h2>Pakiety robót (work packages)</h2>", sortable_table(result.work_packages, "packages"),
    ]
    if result.progress is not None:
        doc += ["<h2>Postęp (as-built)</h2>", sortable_table(result.progress, "progress")]
    doc.append("</body></html>\n")
    return "\n".join(doc)
