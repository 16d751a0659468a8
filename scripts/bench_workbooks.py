"""Benchmark of the schedule, Gantt, workbook and report writers of the demo plan (CPU seconds).

Measures, on the demo plan (``planner.plan`` of ``load_area('demo')``):

* **cold**: each output written in a process forked from this one, in the order of the
  writer process of :func:`planner.output.write_plan` (``schedule.xlsx``, ``gantt.html``,
  ``gantt.png``, ``bom.xlsx``, the report): first calls, with matplotlib imported on the
  way (``import matplotlib`` on a line of its own), as in a real run; the median of
  ``--runs`` forks;
* **warm**: the best of ``--repeat`` calls of each in this process;
* **references** run on the same tables and figure in this process, printed as ratios
  (writer / reference): ``DataFrame.to_excel`` (pandas with XlsxWriter) for the
  workbooks, ``DataFrame.to_html`` for the HTML tables, matplotlib's ``Figure.savefig``
  for the PNGs (the Gantt chart as ``savefig`` draws it after ``Figure.tight_layout``).

CPU seconds (``time.process_time``) rather than wall seconds, so that the figures hold on a
machine shared with other work; run it on a quiet machine for wall-clock goals.

Usage::

    python scripts/bench_workbooks.py [--runs 5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import planner  # noqa: E402
from planner.output import charts, excel, schedule_files  # noqa: E402
from planner.report.document import report_html, report_markdown  # noqa: E402
from planner.report.figures import report_figures  # noqa: E402
from planner.report.worklists import bom_sheets  # noqa: E402


def _steps(p: planner.Plan) -> list[tuple[str, Callable[[], Any]]]:
    """The writers, in the order of the writer process; each step gets the previous one's results."""
    state: dict[str, Any] = {}

    def report() -> None:
        fig = report_figures(p)
        map_png = charts.static_map_png(p)
        report_markdown(p, fig)
        report_html(p, fig, gantt_png=state["gantt"], map_png=map_png)

    def matplotlib() -> None:
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401

    return [
        ("schedule.xlsx", lambda: schedule_files.schedule_xlsx_bytes(p.schedule)),
        ("gantt.html", lambda: schedule_files.gantt_html(p.schedule)),
        ("import matplotlib", matplotlib),
        ("gantt.png", lambda: state.__setitem__("gantt", charts.figure_png(charts.gantt_figure(p.schedule)))),
        ("bom.xlsx", lambda: excel.workbook_bytes(bom_sheets(p))),
        ("report (figures, map, md, html)", report),
    ]


def _cold(p: planner.Plan) -> dict[str, float]:
    """CPU seconds of each step in a forked child (first calls)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run the steps, send the times, leave without the parent's exit handlers
        os.close(read_fd)
        times = {}
        for name, step in _steps(p):
            t0 = time.process_time()
            step()
            times[name] = time.process_time() - t0
        with os.fdopen(write_fd, "wb") as f:
            f.write(pickle.dumps(times))
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    times: dict[str, float] = pickle.loads(data)
    return times


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _savefig_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=charts.DPI, metadata={"Software": None})
    return buf.getvalue()


def _references(p: planner.Plan, repeat: int) -> list[tuple[str, float, float]]:
    """(what, planner's CPU s, reference's CPU s) on the same tables and figure."""
    import pandas as pd
    from matplotlib.figure import Figure

    sch = p.schedule
    assert sch is not None
    sheets = {"Summary": sch.milestones, "Compliance": sch.compliance, "Work packages": sch.work_packages}

    def pandas_xlsx() -> None:
        with pd.ExcelWriter(io.BytesIO(), engine="xlsxwriter") as w:
            for name, df in sheets.items():
                df.to_excel(w, sheet_name=name, index=False)

    def tight_gantt() -> Any:  # the chart laid out as Figure.tight_layout leaves it: savefig draws it twice
        fig = charts.gantt_figure(sch)
        fig.tight_layout()
        return fig

    ax = Figure(figsize=(12, 8)).add_subplot(1, 1, 1)
    ax.plot(range(100), [i * i for i in range(100)])
    line = ax.figure
    return [
        ("workbook of 3 schedule tables vs DataFrame.to_excel", _best(lambda: excel.workbook_bytes(sheets), repeat),
         _best(pandas_xlsx, repeat)),
        ("HTML table of the work packages vs DataFrame.to_html",
         _best(lambda: schedule_files.sortable_table(sch.work_packages, "t"), repeat),
         _best(lambda: sch.work_packages.to_html(index=False), repeat)),
        ("Gantt PNG (figure_png) vs savefig after tight_layout",
         _best(lambda: charts.figure_png(charts.gantt_figure(sch)), repeat),
         _best(lambda: _savefig_png(tight_gantt()), repeat)),
        ("PNG of one figure (figure_png) vs savefig", _best(lambda: charts.figure_png(line), repeat),
         _best(lambda: _savefig_png(line), repeat)),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="forked cold runs (median)")
    ap.add_argument("--repeat", type=int, default=5, help="warm calls per writer (best)")
    args = ap.parse_args()
    cfg = planner.load_config("demo").updated(progress=False)
    area = planner.load_area("demo", cfg, progress=False)
    p = planner.plan(area, cfg, official_list=planner.datasets.get_path("demo_official_list"))
    cold = [_cold(p) for _ in range(args.runs)]
    warm = {name: _best(step, args.repeat) for name, step in _steps(p) if name != "import matplotlib"}
    print(f"Writers of the demo plan, CPU seconds (cold: median of {args.runs} forked runs; "
          f"warm: best of {args.repeat})")
    print(f"  {'output':34s} {'cold':>7s} {'warm':>7s}")
    for name, _ in _steps(p):
        c = statistics.median(run[name] for run in cold)
        w = warm.get(name)
        print(f"  {name:34s} {c:7.3f} {'' if w is None else f'{w:7.3f}':>7s}")
    total = statistics.median(sum(run.values()) for run in cold)
    print(f"  {'total':34s} {total:7.3f}")
    print("\nAgainst references in this process (CPU s, ratio writer / reference):")
    for what, ours, ref in _references(p, args.repeat):
        print(f"  {what:55s} {ours:6.3f} / {ref:6.3f} = {ours / ref:5.2f}")
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
