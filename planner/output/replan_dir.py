"""Files of a re-plan: ``out/<area>/replan_<date>/`` (CSV, XLSX, PNG, HTML, GeoPackage).

The directory is written as a whole (:func:`planner.output.files.staged_output_dir`):
all of it or nothing.

Files
-----
``summary.txt``
    The re-plan in words (:meth:`ReplanResult.to_text`).
``milestones.csv``
    Per milestone (and ``project end``, ``all``): outlook with the current
    crews and what it takes.
``villages.csv``
    Per village: progress now, forecast, state.
``remaining_schedule.csv``
    Work packages of the remaining work (columns of ``schedule.csv``).
``village_order.csv``
    The village order that meets the most milestones with the current crews.
``asbuilt_issues.csv``
    Off-plan and inconsistent as-built records with the reason.
``segments_status.csv``
    Per planned segment: built / partly built / remaining, remaining package.
``scurve.csv``, ``progress_by_commune.csv``
    S-curve data; points passed per commune at the as-of date.
``replan.xlsx``
    The summary and the tables above as sheets (the per-segment status and the
    S-curve data only as CSV: they are long and for machines).
``scurve.png``, ``villages.png``, ``gantt_remaining.png``, ``report.html``
    Pictures, and a self-contained report with them.
``replan.gpkg``
    ``localities`` (polygons with ``village_state``) and ``segments`` (planned
    lines with their state), when the result carries geometry.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from planner.output import excel, files
from planner.output.charts import figure_png
from planner.output.replan_charts import remaining_gantt_figure, scurve_figure, villages_figure
from planner.output.schedule_files import SORT_JS, sortable_table
from planner.replanning.stage import ReplanResult

__all__ = ["replan_dir", "replan_tables", "replan_xlsx_bytes", "replan_html", "write_replan"]

#: Tables written as CSV only (not in the workbook).
_CSV_ONLY = ("segments_status", "scurve")


def replan_dir(out: str | Path, area_name: str, as_of: Any) -> Path:
    """Default output directory of a re-plan: ``<out>/<area>/replan_<as-of date>``."""
    return Path(out) / area_name / f"replan_{pd.Timestamp(as_of).date().isoformat()}"


def replan_tables(r: ReplanResult) -> dict[str, pd.DataFrame]:
    """The tables of a re-plan, by file stem."""
    return {
        "milestones": r.milestones,
        "villages": r.villages,
        "remaining_schedule": r.remaining.work_packages,
        "village_order": r.order,
        "asbuilt_issues": r.issues,
        "segments_status": r.segments,
        "scurve": r.curves,
        "progress_by_commune": r.progress.by_commune,
    }


def replan_xlsx_bytes(r: ReplanResult) -> bytes:
    """The re-plan workbook: the summary in words, then one sheet per table.

    Frozen headers, filters, real dates; the per-segment status and the S-curve
    data only as CSV.
    """
    summary = pd.DataFrame({"re-plan": r.to_text().splitlines()})
    sheets = {"summary": summary}
    sheets.update({name: df.reset_index(drop=True) for name, df in replan_tables(r).items() if name not in _CSV_ONLY})
    return excel.workbook_bytes(sheets)


def _img(data: bytes, alt: str) -> str:
    return (f'<img alt="{html.escape(alt)}" style="max-width:100%" '
            f'src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">')


def replan_html(r: ReplanResult, pictures: dict[str, bytes]) -> str:
    """Self-contained HTML report of a re-plan (pictures inline, sortable tables, no network).

    Parameters
    ----------
    r
        The re-plan.
    pictures
        PNG bytes by file name (``scurve.png``, ``villages.png``, ``gantt_remaining.png``).

    Returns
    -------
    str
    """
    summary = "".join(f"<li>{html.escape(x)}</li>" for x in r.to_text().splitlines())
    ms_cols = ["goal", "deadline", "status", "met_with_current_crews", "answer", "villages", "pct_passed_now",
               "pct_at_deadline", "villages_below_now", "aerial_crews", "duct_crews", "trench_crews", "drop_crews",
               "day_cost_pln", "binding_constraint"]
    v_cols = ["locality", "simc", "milestone", "deadline", "targets", "pct_passed_now", "pct_at_deadline",
              "threshold_date", "days_late", "village_state"]
    issues = r.issues.groupby("reason").size().rename("records").reset_index()
    doc = [
        "<!DOCTYPE html>", '<html lang="pl"><head><meta charset="utf-8">',
        f"<title>Aktualizacja harmonogramu na {r.as_of} (re-plan)</title>",
        "<style>body{font-family:sans-serif;margin:16px;max-width:1250px}"
        "table{border-collapse:collapse;font-size:12px;margin:8px 0;display:block;overflow-x:auto}"
        "th,td{border:1px solid #ccc;padding:2px 6px;max-width:460px}th{background:#eee;cursor:pointer}"
        "#milestones td:nth-child(5){min-width:360px}"
        "@media print{@page{size:A4 landscape}table{display:table}}</style>",
        f"<script>{SORT_JS}</script></head><body>",
        f"<h1>Aktualizacja harmonogramu na {r.as_of} (re-plan from what is built)</h1>",
        f"<ul>{summary}</ul>",
        "<h2>Krzywa postępu (S-curve)</h2>", _img(pictures["scurve.png"], "S-curve"),
        "<h2>Kamienie milowe: czy osiągalne i co potrzeba (what it takes)</h2>",
        sortable_table(r.milestones[[c for c in ms_cols if c in r.milestones]], "milestones"),
        "<h2>Miejscowości: punkty teraz i w terminie (villages)</h2>", _img(pictures["villages.png"], "villages"),
        sortable_table(r.villages[v_cols], "villages"),
        "<h2>Lepsza kolejność miejscowości (village order)</h2>",
        sortable_table(r.order, "order"),
        "<h2>Pozostałe prace (remaining work)</h2>", _img(pictures["gantt_remaining.png"], "Gantt"),
        "<h2>Niezgodności as-built (asbuilt_issues.csv)</h2>", sortable_table(issues, "issues"),
        "</body></html>\n",
    ]
    return "\n".join(doc)


def write_replan(r: ReplanResult, out_dir: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Write every file of a re-plan into ``out_dir`` (as a whole, or nothing).

    Parameters
    ----------
    r
        The re-plan.
    out_dir
        Output directory (see :func:`replan_dir` for the default).
    inputs
        Input files; writing into a directory holding one is refused.

    Returns
    -------
    Path
        ``out_dir``.
    """
    pictures = {
        "scurve.png": figure_png(scurve_figure(r)),
        "villages.png": figure_png(villages_figure(r)),
        "gantt_remaining.png": figure_png(remaining_gantt_figure(r)),
    }
    with files.staged_output_dir(out_dir, inputs=inputs) as tmp:
        files.write_text(r.to_text() + "\n", tmp / "summary.txt")
        for name, df in replan_tables(r).items():
            files.write_csv(df, tmp / f"{name}.csv")
        files.write_bytes(replan_xlsx_bytes(r), tmp / "replan.xlsx")
        for name, data in pictures.items():
            files.write_bytes(data, tmp / name)
        files.write_text(replan_html(r, pictures), tmp / "report.html")
        layers = _layers(r)
        if layers:
            files.write_gpkg(layers, tmp / "replan.gpkg")
    return Path(out_dir)


def _layers(r: ReplanResult) -> dict[str, Any]:
    """GeoPackage layers: localities with their state, planned segments with theirs."""
    out: dict[str, Any] = {}
    if r.localities is not None and len(r.localities):
        out["localities"] = r.localities
    if r.segment_lines is not None and len(r.segment_lines):
        out["segments"] = r.segment_lines.merge(r.segments, on="segment_id", how="left")
    return out
