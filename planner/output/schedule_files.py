"""The schedule's own files: the workbook (``schedule.xlsx``) and the HTML Gantt chart (``gantt.html``).

Both are built from a :class:`~planner.schedule.ScheduleResult` and returned as
bytes/text; :mod:`planner.output.plan_dir` writes them.  :func:`sortable_table`
and :data:`SORT_JS` are shared by the other self-contained HTML pages with
tables (the re-plan report).
"""

from __future__ import annotations

import html
import math

import pandas as pd

from planner.output.charts import gantt_rows
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
    """An HTML table whose columns sort on a click on their header (with :data:`SORT_JS` on the page)."""
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


#: The sorting function the tables of :func:`sortable_table` call.
SORT_JS = """function sortTable(id,col){var t=document.getElementById(id),b=t.tBodies[0],
r=Array.from(b.rows),asc=t.dataset.col!=String(col)||t.dataset.dir!='asc';
r.sort(function(x,y){var a=x.cells[col].textContent,c=y.cells[col].textContent,
na=parseFloat(a),nc=parseFloat(c);
var v=(!isNaN(na)&&!isNaN(nc)&&/^[-0-9.]+$/.test(a)&&/^[-0-9.]+$/.test(c))?na-nc:a.localeCompare(c);
return asc?v:-v;});r.forEach(function(x){b.appendChild(x);});t.dataset.col=col;t.dataset.dir=asc?'asc':'desc';}"""


def gantt_html(result: ScheduleResult) -> str:
    """Self-contained HTML Gantt chart (inline SVG, no network) with sortable tables."""
    rows = gantt_rows(result)
    colours = milestone_colours(list(result.milestones["milestone"]))
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
