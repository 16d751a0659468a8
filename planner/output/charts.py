"""Static pictures of a plan drawn with matplotlib's Agg canvas (no pyplot state), PNG bytes.

Deterministic: no ``Software`` metadata, fixed sizes.  Built for speed in the
writer process: figures are laid out at the resolution they are saved at and
drawn once (:func:`figure_png`), the Gantt bars are one collection, the map's
polygons are drawn without ``geopandas.plotting`` (which imports pyplot and
draws the figure an extra time).  matplotlib is imported inside the functions:
importing this module does not import it.
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

__all__ = ["DPI", "figure_png", "gantt_figure", "gantt_groups", "static_map_png"]


#: Resolution of every PNG the planner draws (dots per inch).
DPI = 110

#: zlib level of the PNGs: 3 writes them in half the time of zlib's default 6, and as RGB they
#: are still smaller than the RGBA PNGs of ``savefig`` at level 6.
_PNG_COMPRESS_LEVEL = 3


def figure_png(fig: Any, *, dpi: float = DPI) -> bytes:
    """A matplotlib figure as PNG bytes, deterministic (no metadata but the resolution).

    The figure is drawn once, on an Agg canvas at ``dpi`` (``savefig`` draws
    a figure twice when it has a layout engine, which ``Figure.tight_layout``
    leaves on it); the pixels are those ``savefig`` gives.  An opaque picture
    is stored as RGB: the same pixels in three quarters of the data.

    Parameters
    ----------
    fig
        A :class:`matplotlib.figure.Figure` (on any canvas).
    dpi
        Resolution, dots per inch.

    Returns
    -------
    bytes
        The PNG file.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas: Any = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    figure_dpi = fig.dpi
    fig.dpi = dpi
    try:
        canvas.draw()
        rgba = bytes(canvas.buffer_rgba())
        size = canvas.get_width_height(physical=True)
    finally:
        fig.dpi = figure_dpi
    img = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1)
    if np.frombuffer(rgba, dtype=np.uint8)[3::4].min(initial=255) == 255:  # opaque
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="png", dpi=(dpi, dpi), compress_level=_PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def _figure(size: tuple[float, float], *, dpi: float = DPI) -> Any:
    """A figure on its own Agg canvas (no pyplot state), at the resolution it will be saved at.

    Laid out and saved at the same resolution, its text is measured once
    (matplotlib caches text extents per renderer) and the layout fits the
    saved picture.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _tight_layout(fig: Any) -> None:
    """``fig.tight_layout()`` without leaving a layout engine on the figure.

    ``Figure.tight_layout`` leaves a placeholder engine, which makes ``savefig``
    draw the whole figure once more before drawing it into the PNG.
    """
    from matplotlib.layout_engine import TightLayoutEngine

    whole_figure: Any = None  # rect=None: one pass, as Figure.tight_layout (the default rect makes two)
    TightLayoutEngine(rect=whole_figure).execute(fig)


def static_map_png(p: Plan, *, dpi: float = DPI) -> bytes:
    """A static map of the plan (localities by milestone, segments by type, addresses by status), PNG bytes.

    Drawn with matplotlib's Agg canvas (no pyplot state); deterministic (no
    ``Software`` metadata).
    """
    from matplotlib.lines import Line2D

    from planner.output.gpkg_styles import MILESTONE_FILLS, NO_MILESTONE_FILL, SEGMENT_COLOURS, STATUS_COLOURS

    fig = _figure((12, 8), dpi=dpi)
    ax = fig.add_subplot(1, 1, 1)
    handles = []
    loc = p.localities
    if loc is not None and len(loc):
        names = milestone_names(p)
        colour = {m: MILESTONE_FILLS[i % len(MILESTONE_FILLS)] for i, m in enumerate(names)}
        ms = loc["milestone"].fillna("").astype(str) if "milestone" in loc else pd.Series("", index=loc.index)
        _plot_polygons(ax, loc, [colour.get(m, NO_MILESTONE_FILL) for m in ms], edgecolor="#555555",
                       linewidth=0.6, alpha=0.45)
        handles += [Line2D([], [], marker="s", linestyle="", markersize=10, markerfacecolor=c, markeredgecolor="#555",
                           label=f"kamień milowy {m} (milestone)") for m, c in colour.items()]
    if p.design is not None and len(p.design.drops):
        ax.plot(*_nan_joined(p.design.drops.geometry.values), color="#555555", linewidth=0.5)
    if p.design is not None and len(p.design.segments):
        seg = p.design.segments
        dep = seg["deployment"].astype(str).to_numpy()
        owner = np.where(dep == "aerial", seg["pole_owner"].fillna("").astype(str).to_numpy(), "")
        for k, (col, width, dashed, label) in SEGMENT_COLOURS.items():
            m = (dep == k[0]) & (owner == k[1])
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


def _plot_polygons(ax: Any, frame: Any, facecolors: list[str], **style: Any) -> None:
    """(Multi)polygons of a GeoDataFrame as one collection, as ``GeoDataFrame.plot(ax=ax, color=...)`` draws them.

    One patch per geometry (rings normalised, so holes stay holes), the axes
    labelled with the CRS's axis names; without ``geopandas.plotting``, which
    imports pyplot and draws the whole figure once more.  Other geometry types
    are not drawn.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    geoms = shapely.normalize(np.asarray(frame.geometry.values, dtype=object))
    patches, faces = [], []
    for g, face in zip(geoms, facecolors):
        if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        rings = [r for part in shapely.get_parts(g) for r in (part.exterior, *part.interiors)]
        path = Path.make_compound_path(*(Path(np.asarray(r.coords)[:, :2], closed=True) for r in rings))
        patches.append(PathPatch(path))
        faces.append(face)
    crs = frame.crs
    if crs is not None:
        x, y = (f"{a.name} [{a.unit_name}]" for a in crs.axis_info[:2])
        if crs.axis_info[0].direction == "north":
            x, y = y, x
        ax.set_xlabel(x, fontsize="small")
        ax.set_ylabel(y, fontsize="small")
    if patches:
        ax.add_collection(PatchCollection(patches, facecolor=faces, **style), autolim=True)
        ax.autoscale_view()


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


def gantt_groups(result: ScheduleResult) -> tuple[pd.DataFrame, list[tuple[str, str, np.ndarray]]]:
    """The scheduled work packages and the rows of a Gantt chart: ``(label, milestone, positions)``.

    Returns
    -------
    packages : pandas.DataFrame
        The work packages with a start date.
    rows : list
        Per locality (``label`` "Locality (SIMC)"), in milestone then start
        order: its milestone and the positions of its packages in ``packages``.
    """
    wp = result.work_packages[result.work_packages["start"].notna()]
    order = {m: i for i, m in enumerate(result.milestones["milestone"])}
    start = wp["start"].to_numpy()
    milestone = wp["milestone"].to_numpy()
    rows = []
    for (simc, locality), pos in wp.groupby(["simc", "locality"], sort=True).indices.items():
        ms = milestone[pos[0]]
        rows.append((order.get(ms, 99), start[pos].min(), f"{locality or '?'} ({simc})", ms, pos))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return wp, [(r[2], r[3], r[4]) for r in rows]


def gantt_figure(result: ScheduleResult) -> Any:
    """Gantt chart by locality, bars coloured by milestone, deadline lines.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no global state), on an Agg canvas at
        :data:`DPI`; :func:`figure_png` makes a deterministic PNG of it.
    """
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    wp, rows = gantt_groups(result)
    colours = milestone_colours(list(result.milestones["milestone"]))
    h = min(0.22 * max(len(rows), 1) + 1.8, 40.0)
    fig = _figure((12, h))
    ax = fig.add_subplot(1, 1, 1)
    epoch = mdates.date2num(dt.datetime(1970, 1, 1))
    pos = np.concatenate([r[2] for r in rows]) if rows else np.zeros(0, dtype=np.int64)
    row = np.repeat(np.arange(len(rows)), [len(r[2]) for r in rows])
    s = wp["start"].to_numpy().astype("datetime64[D]").astype(np.int64)[pos] + epoch
    e = (wp["end"].to_numpy().astype("datetime64[D]").astype(np.int64)[pos] + 1) + epoch
    y0 = row - 0.35
    y1 = y0 + 0.7
    if len(pos):  # every bar in one collection (not one artist per row)
        bars = np.stack([np.stack([s, y0], 1), np.stack([s, y1], 1), np.stack([e, y1], 1), np.stack([e, y0], 1)], 1)
        faces = [colours.get(ms, "#999999") for _label, ms, q in rows for _ in range(len(q))]
        verts: Any = bars.astype(float)  # (bars, 4, 2): PolyCollection takes the array as it is
        ax.add_collection(PolyCollection(verts, facecolors=faces, linewidths=0))
    lo, hi = (float(s.min()), float(e.max())) if len(pos) else (np.inf, -np.inf)
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
    _tight_layout(fig)
    return fig
