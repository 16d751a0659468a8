"""Static pictures of a plan drawn with matplotlib's Agg canvas (no pyplot state), PNG bytes.

Deterministic: no ``Software`` metadata, fixed sizes.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from planner.report.worklists import milestone_names
from planner.styles import milestone_colours

if TYPE_CHECKING:
    from planner.pipeline import Plan
    from planner.schedule.results import ScheduleResult

__all__ = ["figure_png", "gantt_figure", "gantt_rows", "static_map_png"]


def figure_png(fig: Any, *, dpi: int = 110) -> bytes:
    """A matplotlib figure as PNG bytes, without the ``Software`` metadata (deterministic)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def static_map_png(p: Plan, *, dpi: int = 110) -> bytes:
    """A static map of the plan (localities by milestone, segments by type, addresses by status), PNG bytes.

    Drawn with matplotlib's Agg canvas (no pyplot state); deterministic (no
    ``Software`` metadata).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from planner.output.gpkg_styles import MILESTONE_FILLS, NO_MILESTONE_FILL, SEGMENT_COLOURS, STATUS_COLOURS

    fig = Figure(figsize=(12, 8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    handles = []
    loc = p.localities
    if loc is not None and len(loc):
        names = milestone_names(p)
        colour = {m: MILESTONE_FILLS[i % len(MILESTONE_FILLS)] for i, m in enumerate(names)}
        ms = loc["milestone"].fillna("").astype(str) if "milestone" in loc else pd.Series("", index=loc.index)
        loc.plot(ax=ax, color=[colour.get(m, NO_MILESTONE_FILL) for m in ms], edgecolor="#555555",
                 linewidth=0.6, alpha=0.45)
        handles += [Line2D([], [], marker="s", linestyle="", markersize=10, markerfacecolor=c, markeredgecolor="#555",
                           label=f"kamień milowy {m} (milestone)") for m, c in colour.items()]
    if p.design is not None and len(p.design.drops):
        ax.plot(*_nan_joined(p.design.drops.geometry.values), color="#555555", linewidth=0.5)
    if p.design is not None and len(p.design.segments):
        seg = p.design.segments
        key = [(d, o if d == "aerial" else "") for d, o in zip(seg["deployment"], seg["pole_owner"].fillna(""))]
        for k, (col, width, dashed, label) in SEGMENT_COLOURS.items():
            m = np.array([x == k for x in key], dtype=bool)
            if m.any():
                ax.plot(*_nan_joined(seg.geometry.values[m]), color=col, linewidth=width * 2.2,
                        linestyle="--" if dashed else "-")
                handles.append(Line2D([], [], color=col, linewidth=2, linestyle="--" if dashed else "-", label=label))
    a = p.addresses
    if "plan_status" in a:
        status = a["plan_status"].fillna("").astype(str)
    else:  # white spots only: targets as "to connect", barriers apart
        ws = a["ws_class"].astype(str).where(a["ws_class"] != "white", "connect")
        status = ws.where(~a["is_barrier"].astype(bool), "barrier")
    scale = 6.0 if len(a) < 2000 else 1.5  # smaller markers for a whole commune
    point_handles = []
    for st, (fill, line, size, label) in reversed(STATUS_COLOURS.items()):  # points to connect drawn last
        m = (status == st).to_numpy()
        if m.any():
            xy = a.geometry.values[m]
            ax.scatter(shapely.get_x(xy), shapely.get_y(xy), s=size * scale, c=fill, edgecolors=line,
                       linewidths=0.4 if scale < 6 else 0.6, zorder=3)
            point_handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=fill,
                                        markeredgecolor=line, label=label))
    handles += point_handles[::-1]
    pops = p.area.pops
    if len(pops):
        ax.scatter(pops.geometry.x, pops.geometry.y, marker="s", s=70, c="#000000", edgecolors="#ffffff", zorder=4)
        handles.append(Line2D([], [], marker="s", linestyle="", markerfacecolor="#000", label="POP"))
    ax.set_aspect("equal")
    ax.set_title(f"{p.area.name}: plan sieci (network plan), EPSG:2180")
    ax.tick_params(labelsize=7)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    ax.autoscale_view()
    fig.subplots_adjust(left=0.08, right=0.68, top=0.94, bottom=0.07)
    return figure_png(fig, dpi=dpi)


def _nan_joined(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """X and y of every part of (multi)line geometries in one array, parts separated by NaN.

    One matplotlib path of many parts draws far faster than a collection of one
    path per segment.
    """
    parts = shapely.get_parts(geoms)
    xy, part = shapely.get_coordinates(parts, return_index=True)
    breaks = np.flatnonzero(np.diff(part)) + 1
    xy = np.insert(xy, breaks, np.nan, axis=0)
    return xy[:, 0], xy[:, 1]


def gantt_rows(result: ScheduleResult) -> list[tuple[str, str, pd.DataFrame]]:
    """(label, milestone, packages) per locality, in milestone then start order."""
    wp = result.work_packages[result.work_packages["start"].notna()]
    order = {m: i for i, m in enumerate(result.milestones["milestone"])}
    rows = []
    for (simc, locality), g in wp.groupby(["simc", "locality"], sort=True):
        ms = g["milestone"].iloc[0]
        rows.append((order.get(ms, 99), g["start"].min(), f"{locality or '?'} ({simc})", ms, g))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(r[2], r[3], r[4]) for r in rows]


def gantt_figure(result: ScheduleResult) -> Any:
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

    rows = gantt_rows(result)
    colours = milestone_colours(list(result.milestones["milestone"]))
    h = min(0.22 * max(len(rows), 1) + 1.8, 40.0)
    fig = Figure(figsize=(12, h))
    ax = fig.add_subplot(1, 1, 1)
    epoch = mdates.date2num(dt.datetime(1970, 1, 1))
    lo, hi = np.inf, -np.inf
    for y, (_label, ms, g) in enumerate(rows):
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
