"""The communes map of a region or the whole country: cost per home and white spots per commune.

A national white-spot programme plans ~2,500 communes (:func:`planner.plan_many`).
This map shows them as one self-contained HTML page, built on the same page
core as the councillor map (:mod:`planner.maps.page`): two classed choropleths,
network cost per home and number of white spots, switched with radio buttons
(one legend each), commune boundaries with a popup of the key figures, commune
names, a search box for communes, and communes whose plan failed drawn grey and
hatched with the word "błąd" / "failed".

The geometry of the communes is written once and shared by the boundary layer
and both choropleths; polygons are simplified with a tolerance that grows with
the extent (1/4000 of its diagonal, >= 1 m), so a national map stays a few MB.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from planner import styles
from planner._errors import Problem, UsageError
from planner.maps.checks import check_communes
from planner.maps.columns import col, fmt, num, truthy
from planner.maps.encoding import Col, Group, layer_spec
from planner.maps.legend import svg_area
from planner.maps.page import finish_map, new_map
from planner.maps.texts import TEXT
from planner.output.files import write_bytes
from planner.schema import WORKING_CRS

logger = logging.getLogger(__name__)

__all__ = ["class_breaks", "communes_map", "write_communes_map"]

_OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"

#: Simplification tolerance as a share of the extent's diagonal (drawing only). [A: 1/4000 of
#: Poland's ~900 km diagonal is ~225 m, under a pixel at the zoom that shows the whole country]
_SIMPLIFY_SHARE = 1 / 4000
#: Above this extent (diagonal, m) coordinates get 4 decimals (~10 m), else 5 (~1 m). [A]
_COARSE_DIAGONAL_M = 200_000.0
#: Commune names are switched on when the map has at most this many communes. [A: legibility]
_MAX_NAMES_SHOWN = 60
#: Number of classes of each choropleth (quantiles, rounded to two significant digits). [A]
_N_CLASSES = 5

_OUTLINE: dict[str, Any] = {"color": "#444444", "weight": 0.8, "opacity": 0.9, "fillOpacity": 0.0}
_FAILED: dict[str, Any] = {"color": styles.FAILED_OUTLINE, "weight": 1.2, "opacity": 1.0,
                           "fillColor": styles.FAILED_FILL, "fillOpacity": 0.9, "fillPattern": "hatch"}
_NO_DATA = "#f0f0f0"


def _nice(x: float) -> float:
    """``x`` rounded to two significant digits."""
    return float(f"{x:.2g}") if x else 0.0


def class_breaks(values: np.ndarray | pd.Series, k: int = _N_CLASSES) -> list[float]:
    """Inner class breaks of a classed choropleth: quantiles rounded to two significant digits.

    A value ``v`` falls in class ``i`` = the number of breaks below it, so class 0
    is ``v <= b[0]``, class ``i`` is ``b[i-1] < v <= b[i]`` and the last class is
    ``v > b[-1]``.

    Parameters
    ----------
    values
        The values; NaN and infinite ones are ignored.
    k
        Number of classes wanted (fewer when the values have fewer distinct
        rounded quantiles).

    Returns
    -------
    list of float
        Strictly increasing, at most ``k - 1`` breaks, each strictly between the
        smallest and the largest value (empty for fewer than two distinct values).

    Examples
    --------
    >>> class_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], k=2)
    [5.5]
    """
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return []
    qs = np.quantile(v, np.linspace(0.0, 1.0, k + 1)[1:-1])
    lo, hi = float(v.min()), float(v.max())
    return sorted({b for b in (_nice(float(q)) for q in qs) if lo < b < hi})


def _class_index(values: pd.Series, breaks: list[float]) -> np.ndarray:
    """Class of each value (see :func:`class_breaks`); -1 where the value is missing."""
    v = values.to_numpy(dtype="float64")
    idx = np.searchsorted(np.asarray(breaks, dtype="float64"), v, side="left")
    return np.where(np.isfinite(v), idx, -1)


def _palette(colours: tuple[str, ...], n: int) -> list[str]:
    """``n`` colours spread over a light-to-dark palette."""
    if n <= 1:
        return [colours[len(colours) // 2]]
    return [colours[round(i * (len(colours) - 1) / (n - 1))] for i in range(n)]


def _class_labels(breaks: list[float], values: pd.Series, unit: str, lang: str) -> list[str]:
    """Legend labels of the classes: ``≤ b0``, ``b0 – b1``, ..., ``> bn``; one class: its range."""

    def f(x: float) -> str:
        return fmt(x, 0 if float(x).is_integer() else 1, lang) + unit

    if not breaks:
        v = values[np.isfinite(values.to_numpy(dtype="float64"))]
        if not len(v):
            return [""]
        lo, hi = float(v.min()), float(v.max())
        return [f(lo) if lo == hi else f"{f(lo)} – {f(hi)}"]
    return [f"≤ {f(breaks[0])}", *[f"{f(breaks[i - 1])} – {f(breaks[i])}" for i in range(1, len(breaks))],
            f"> {f(breaks[-1])}"]


def _theme(
    key: str,
    name: str,
    heading: str,
    frame: gpd.GeoDataFrame,
    column: str,
    rows: np.ndarray,
    colours: tuple[str, ...],
    unit: str,
    ctx: dict[str, Any],
    show: bool,
) -> Group:
    """One choropleth theme of ``frame[column]``: a base layer of the shared polygons ``rows``, with its legend."""
    t, lang = TEXT[ctx["lang"]], ctx["lang"]
    values = num(frame, column)
    breaks = class_breaks(values)
    cls = _class_index(values, breaks)
    fills = _palette(colours, len(breaks) + 1)
    base = {"stroke": False, "fillOpacity": 0.85, "interactive": False}
    style_list = [{**base, "fillColor": f} for f in fills] + [{**base, "fillColor": _NO_DATA}]
    si = np.where(cls >= 0, cls, len(fills))
    counts = np.bincount(si, minlength=len(style_list))
    legend = [f"<h4>{html.escape(heading)}</h4>"]
    for label, fill, n in zip(_class_labels(breaks, values, unit, lang), fills, counts):
        legend.append(f"<div>{svg_area(fill)}{html.escape(label)} ({fmt(int(n), 0, lang)})</div>")
    if counts[-1]:
        legend.append(f"<div>{svg_area(_NO_DATA)}{html.escape(t['communes.nodata'])} "
                      f"({fmt(int(counts[-1]), 0, lang)})</div>")
    spec = layer_spec(frame, "polygon", cols=[], styles=style_list, style_index=si, precision=ctx["precision"],
                      lang=lang, geometry_from=("communes", rows))
    spec["legend"] = "".join(legend)
    ctx["breaks"][key] = breaks
    return Group(key, name, spec, show=show, base=True)


def _draw_rank(key: str) -> int:
    return {"cost": 0, "white": 0, "communes": 1, "names": 2}.get(key, 3)


def communes_map(
    communes: gpd.GeoDataFrame,
    *,
    lang: str = "pl",
    offline: bool = True,
    title: str | None = None,
) -> folium.Map:
    """Build the map of communes: choropleths of cost per home and of white spots, failed communes hatched.

    Parameters
    ----------
    communes
        One row per commune, EPSG:2180, commune polygons, with the columns
        ``terc``, ``commune``, ``white_spots``, ``targets``, ``connected``,
        ``km_aerial``, ``km_duct``, ``km_trench``, ``cost_pln``,
        ``cost_per_home_pln`` (numbers, NaN where unknown), ``milestones_ok``
        and ``failed`` (booleans).  Failed communes are drawn grey and hatched,
        labelled "błąd" / "failed"; a failed commune without a polygon is
        counted but not drawn.  Row order does not matter (rows are drawn in
        TERC order).
    lang
        ``'pl'`` (default) or ``'en'``.
    offline
        ``True``: no base tiles (no network request at all); ``False``:
        OpenStreetMap tiles.
    title
        Title of the map; default "Białe plamy i koszt sieci w gminach".

    Returns
    -------
    folium.Map
        ``map.get_root().render()`` gives the HTML (see :func:`write_communes_map`).

    Raises
    ------
    InputDataError
        Not a GeoDataFrame, empty, CRS missing or not EPSG:2180, columns missing
        or of the wrong kind, duplicate TERC codes, polygons missing, of the
        wrong type or outside Poland (every problem at once, each with its fix).
    UsageError
        ``lang`` is not supported.
    """
    if lang not in TEXT:
        raise UsageError(f"unsupported map language {lang!r}",
                         [Problem(file="lang", message=f"got {lang!r}", fix=f"use one of {sorted(TEXT)}")])
    check_communes(communes)
    t = TEXT[lang]
    title = title or t["communes.title"]
    c = communes.assign(terc=communes["terc"].astype(str)).sort_values("terc", kind="stable").reset_index(drop=True)
    failed = truthy(c["failed"]).to_numpy()
    drawn = ~(c.geometry.isna() | c.geometry.is_empty).to_numpy()
    if (~drawn).any():
        logger.warning("communes map: %d failed communes without a polygon are not drawn: %s", int((~drawn).sum()),
                       ", ".join(c.loc[~drawn, "terc"].head(5)))
    d = c[drawn].reset_index(drop=True)
    d_failed = failed[drawn]
    b = d.total_bounds
    diagonal = float(np.hypot(b[2] - b[0], b[3] - b[1]))
    d = d.set_geometry(d.geometry.simplify(max(1.0, diagonal * _SIMPLIFY_SHARE)))
    ctx: dict[str, Any] = {"lang": lang, "precision": 4 if diagonal > _COARSE_DIAGONAL_M else 5, "breaks": {}}

    name = col(d, "commune")
    terc = col(d, "terc")
    ok_ms = truthy(d["milestones_ok"])
    known = d["milestones_ok"].notna().to_numpy() & ~d_failed
    ms_text = pd.Series(np.where(ok_ms, t["communes.ok"], t["communes.not_ok"]), index=d.index).where(known, "")
    cols = [
        Col("", name.where(name != "", terc) + " (" + terc + ")"),
        Col(t["col.status"], pd.Series(np.where(d_failed, t["communes.failed.popup"], ""), index=d.index)),
        Col(t["col.white"], num(d, "white_spots"), unit=""),
        Col(t["col.targets"], num(d, "targets"), unit=""),
        Col(t["col.connected_homes"], num(d, "connected"), unit=""),
        Col(t["col.km_aerial"], num(d, "km_aerial"), unit=" km", decimals=1),
        Col(t["col.km_duct"], num(d, "km_duct"), unit=" km", decimals=1),
        Col(t["col.km_trench"], num(d, "km_trench"), unit=" km", decimals=1),
        Col(t["col.cost"], num(d, "cost_pln"), unit=t["unit.pln"]),
        Col(t["col.cost_per_home"], num(d, "cost_per_home_pln"), unit=t["unit.pln"]),
        Col(t["col.milestones"], ms_text),
        Col("", pd.Series(np.where(d_failed, t["communes.failed"], ""), index=d.index)),
    ]
    outline = layer_spec(d, "polygon", cols=cols, styles=[_OUTLINE, _FAILED], style_index=d_failed.astype(int),
                         precision=ctx["precision"], lang=lang, heading=t["communes.heading"], title=0, search=True,
                         tooltip=len(cols) - 1, share="communes")
    ok_rows = np.flatnonzero(~d_failed)
    groups = [Group("communes", t["communes.layer.communes"], outline)]
    if len(ok_rows):
        ok = d.iloc[ok_rows]
        # after the boundaries, whose geometry they share (the layer control lists base layers first)
        groups.append(_theme("cost", t["communes.layer.cost"], t["communes.legend.cost"], ok,
                             "cost_per_home_pln", ok_rows, styles.CHOROPLETH_COST, t["unit.pln"], ctx, True))
        groups.append(_theme("white", t["communes.layer.white"], t["communes.legend.white"], ok, "white_spots",
                             ok_rows, styles.CHOROPLETH_WHITE_SPOTS, "", ctx, False))
    pts = d.geometry.representative_point()
    names = gpd.GeoDataFrame({"name": name.where(name != "", terc).to_numpy()}, geometry=pts.to_numpy(),
                             crs=WORKING_CRS)
    groups.append(Group("names", t["communes.layer.names"],
                        layer_spec(names, "label", cols=[Col("", names["name"])], styles=[{"className": "pm-place"}],
                                   precision=ctx["precision"], lang=lang, title=0),
                        show=len(d) <= _MAX_NAMES_SHOWN))

    legend = []
    if d_failed.any():
        legend.append(f"<h4>{html.escape(t['communes.legend.other'])}</h4>"
                      f"<div>{svg_area(styles.FAILED_FILL, styles.FAILED_OUTLINE, hatch=True)}"
                      f"{html.escape(t['communes.failed.legend'])} ({fmt(int(failed.sum()), 0, lang)})</div>")
    ok_all = c[~failed]
    sub = t["communes.sub"].format(
        n=fmt(len(c), 0, lang), failed=fmt(int(failed.sum()), 0, lang),
        white=fmt(float(num(ok_all, "white_spots").sum()), 0, lang),
        targets=fmt(float(num(ok_all, "targets").sum()), 0, lang),
        km=fmt(float(sum(num(ok_all, k).sum() for k in ("km_aerial", "km_duct", "km_trench"))), 1, lang),
        cost=fmt(float(num(ok_all, "cost_pln").sum()) / 1e6, 1, lang))
    note = t["communes.note"] + " " + (t["note.offline"] if offline else t["note.online"])
    info = (f"<h1>{html.escape(title)}</h1><div class=\"pm-sub\">{html.escape(sub)}</div>"
            f"<details><summary>{html.escape(t['howto'])}</summary><p>{html.escape(note)}</p></details>")
    gb = d.to_crs("EPSG:4326").total_bounds
    south, west, north, east = float(gb[1]), float(gb[0]), float(gb[3]), float(gb[2])
    m = new_map((south, west, north, east), title=title, offline=offline, zoom_start=8)
    init = {
        "legend": "".join(legend),
        "info": info,
        "attribution": t["attribution"].format(osm=_OSM_COPYRIGHT),
        "bounds": [[south, west], [north, east]],
        "search": {"placeholder": t["communes.search"], "none": t["communes.search.none"], "max": 12, "zoom": 12,
                   "lang": lang},
    }
    finish_map(m, groups, init, _draw_rank)
    logger.info("communes map: %d communes (%d failed)", len(c), int(failed.sum()))
    return m


def write_communes_map(
    communes: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    lang: str = "pl",
    offline: bool = True,
) -> Path:
    """Write the communes map as one self-contained HTML file, atomically.

    Parameters
    ----------
    communes
        As for :func:`communes_map`.
    path
        Output ``.html`` file; written to a temporary file and renamed, so a
        failure never leaves a partial map.
    lang, offline
        As for :func:`communes_map`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    UsageError
        ``path`` is not an ``.html`` file, or ``lang`` is not supported.
    InputDataError
        As for :func:`communes_map`.
    """
    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"map output must be an .html file, got {out}",
                         [Problem(file=str(out), message="not an .html path", fix="use e.g. out/region/communes.html")])
    m = communes_map(communes, lang=lang, offline=offline)
    write_bytes(m.get_root().render().encode("utf-8"), out)
    logger.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out
