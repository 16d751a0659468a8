"""Layer groups of the optical network on the councillor map (issue #16).

The optical layer (:mod:`planner.network`) adds to a plan its street cabinets
with splitters (szafy kablowe) and their service areas (obszary szaf), the
cables sized from the catalogue, the splice closures (mufy) and the OLT at
each POP; every connected address gets its cabinet, splitter port, OLT port
and optical loss.  This module draws them:

* cabinet areas: translucent orange under the route, labelled with their
  cabinet from zoom :data:`AREA_LABEL_ZOOM` on (131 labels on the demo would
  cover the whole map at the zoom it opens at);
* cabinets: orange squares; the OLT: a square at each POP, hollow (dashed)
  and labelled "proponowany" where the planner proposed the site;
* cables: over the route, width and colour by size in fibres (the widths of
  the QGIS style, :data:`planner.network.styles.CABLE_WIDTHS_MM`, converted to
  CSS pixels), drawn from the route segments' own coordinates where the route
  is on the map (:func:`route_parts`);
* closures: small circles, orange where they hold a splitter; switched off at
  start (the demo has ~450: at village scale they would bury the address points);
* address popups gain the network fields and addresses over the optical
  budget a red ring (:mod:`planner.maps.optical_budget`).

Colours come from :mod:`planner.styles`.  A plan without these layers gives
exactly the map it gave before: no group, popup field or script is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner import styles
from planner.maps.columns import col, fmt, num, truthy
from planner.maps.encoding import Col, Group, layer_spec
from planner.maps.plan_layers import Ctx, simplified
from planner.maps.texts import vocab
from planner.network.styles import CABLE_WIDTHS_MM
from planner.schema import WORKING_CRS

__all__ = [
    "AREA_LABEL_ZOOM",
    "CABINET_AREA_STYLE",
    "CABINET_STYLE",
    "CLOSURE_STYLE",
    "OLT_STYLE",
    "OPTICAL_LAYERS",
    "PX_PER_MM",
    "RUNTIME",
    "cable_colour",
    "cable_style",
    "cable_width_px",
    "fibres_label",
    "has_optical_layers",
    "optical_groups",
    "route_parts",
]

#: Plan layers of the optical network that the map draws (``splitters`` sit in cabinets and closures).
OPTICAL_LAYERS: tuple[str, ...] = ("olt", "cabinets", "cabinet_areas", "cables", "closures")
#: The runtime additions these layers need (squares, shared route lines, labels from a zoom on).
RUNTIME = "planner_map_network.js"
#: CSS pixels per millimetre of the QGIS cable widths. [A: at 2.5 px/mm cables of up to 48 fibres
#: (2 px) stay inside the 3.5 px route line, whose colour (how the cable is laid) shows around them;
#: the feeder trunks (96 fibres and more, 3 to 5.5 px) cover it.  The CSS 3.78 px/mm (96 dpi) would
#: cover the route under every cable of 48 fibres and more]
PX_PER_MM = 2.5
#: Cabinet areas are labelled from this zoom on (~2.9 m per pixel at 52.5° N). [A: a 1 km² area is ~340 px
#: wide there; at the demo's opening zoom (~12.5) the 131 labels would overlap]
AREA_LABEL_ZOOM = 15

# --- Leaflet path options (CSS pixels); colours from planner.styles -----------

CABINET_AREA_STYLE: dict[str, Any] = {"color": styles.CABINET_AREA_OUTLINE, "weight": 1.5, "opacity": 0.9,
                                      "fillColor": styles.CABINET_AREA_FILL, "fillOpacity": 0.3}
CABINET_STYLE: dict[str, Any] = {"shape": "square", "radius": 5, "color": styles.CABINET_OUTLINE, "weight": 1.5,
                                 "fillColor": styles.CABINET_FILL, "fillOpacity": 1.0}
#: Closures: plain (``closure``) and holding a splitter (``splitter``).
CLOSURE_STYLE: dict[str, dict[str, Any]] = {
    "closure": {"radius": 3, "color": styles.CLOSURE_COLOURS["closure"].outline, "weight": 1,
                "fillColor": styles.CLOSURE_COLOURS["closure"].fill, "fillOpacity": 1.0},
    "splitter": {"radius": 3.5, "color": styles.CLOSURE_COLOURS["splitter"].outline, "weight": 1,
                 "fillColor": styles.CLOSURE_COLOURS["splitter"].fill, "fillOpacity": 1.0},
}
#: The OLT square at a POP (under the POP's dot): filled at a given POP, hollow and dashed where proposed.
OLT_STYLE: dict[str, dict[str, Any]] = {
    "given": {"shape": "square", "radius": 11, "color": styles.OLT_COLOURS["given"].outline, "weight": 2,
              "fillColor": styles.OLT_COLOURS["given"].fill, "fillOpacity": 1.0},
    "proposed": {"shape": "square", "radius": 11, "color": styles.OLT_COLOURS["proposed"].outline, "weight": 2.5,
                 "dashArray": "4 3", "fillColor": styles.OLT_COLOURS["proposed"].fill, "fillOpacity": 0.0},
}

#: A cable matches a route segment when the segment's ends and middle lie within this of it, metres.
_MATCH_M = 0.05
#: A cable is drawn from the route when its matched segments give its length within this share.
_LENGTH_TOLERANCE = 0.01


def has_optical_layers(layers: Mapping[str, gpd.GeoDataFrame]) -> bool:
    """Whether the plan has any optical-network layer with rows.

    Parameters
    ----------
    layers
        Plan layers by name.

    Returns
    -------
    bool
    """
    return any(name in layers and len(layers[name]) > 0 for name in OPTICAL_LAYERS)


# --- cables: width and colour by size ------------------------------------------


def cable_width_px(size: float) -> float:
    """Line width of a cable of ``size`` fibres, CSS pixels.

    The millimetres of :data:`planner.network.styles.CABLE_WIDTHS_MM` times
    :data:`PX_PER_MM`; a size between two listed ones is interpolated on the
    logarithm of the fibre count, sizes beyond the list take its ends; at
    least 1 px.

    Parameters
    ----------
    size
        Fibres in the cable (``cable_size``).

    Returns
    -------
    float
        Rounded to 0.1 px.

    Examples
    --------
    >>> cable_width_px(24), cable_width_px(288)
    (1.2, 5.5)
    """
    sizes = np.array(sorted(CABLE_WIDTHS_MM), dtype=float)
    mm = np.interp(np.log2(max(float(size), 1.0)), np.log2(sizes), [CABLE_WIDTHS_MM[int(s)] for s in sizes])
    return max(1.0, round(float(mm) * PX_PER_MM, 1))


def cable_colour(size: float) -> str:
    """Colour of a cable of ``size`` fibres: that of the smallest listed size holding it.

    Parameters
    ----------
    size
        Fibres in the cable.

    Returns
    -------
    str
        From :data:`planner.styles.CABLE_COLOURS` (the largest size's colour beyond it).
    """
    sizes = sorted(styles.CABLE_COLOURS)
    return styles.CABLE_COLOURS[next((s for s in sizes if s >= size), sizes[-1])]


def cable_style(size: float) -> dict[str, Any]:
    """Leaflet path options of a cable of ``size`` fibres.

    Parameters
    ----------
    size
        Fibres in the cable.

    Returns
    -------
    dict
    """
    return {"color": cable_colour(size), "weight": cable_width_px(size), "opacity": 0.9}


def fibres_label(n: int, lang: str) -> str:
    """``'24 włókna'``, ``'12 włókien'`` (Polish plural forms) or ``'24 fibres'``.

    Parameters
    ----------
    n
        Fibre count.
    lang
        ``'pl'`` or ``'en'``.

    Returns
    -------
    str

    Examples
    --------
    >>> [fibres_label(n, "pl") for n in (1, 12, 24, 144, 288)]
    ['1 włókno', '12 włókien', '24 włókna', '144 włókna', '288 włókien']
    """
    words = vocab(lang, "fibres")
    form = "one" if n == 1 else "few" if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else "many"
    return f"{fmt(n, 0, lang)} {words[form]}"


def route_parts(cables: gpd.GeoDataFrame, seg: gpd.GeoDataFrame | None, pool: np.ndarray | None
                ) -> list[list[int] | None] | None:
    """For each cable, the route lines (pool indices) it runs along, or ``None`` where they do not make it up.

    A segment lies along a cable when its two ends and its middle are within
    :data:`_MATCH_M` of it (the network layer builds each cable from its
    segments' coordinates).  A segment along one cable belongs to it; one
    along several (overlapping lines) goes to the one with the most length
    still unaccounted for.  A cable whose segments do not add up to its
    length (within :data:`_LENGTH_TOLERANCE`) is drawn from its own geometry.

    Parameters
    ----------
    cables
        Cables, in drawing order.
    seg
        Route segments, in the order of ``pool`` (``None``: no route drawn).
    pool
        Pool index of each segment (:attr:`Ctx.pools`), -1 where not drawn.

    Returns
    -------
    list or None
        ``None`` when no cable can be drawn from the route.
    """
    if seg is None or pool is None or not len(seg) or not len(cables):
        return None
    cg = cables.geometry.to_crs(WORKING_CRS).to_numpy()
    sg = seg.geometry.to_crs(WORKING_CRS).to_numpy()
    probes = [shapely.line_interpolate_point(sg, f, normalized=True) for f in (0.0, 0.5, 1.0)]
    si, ci = shapely.STRtree(cg).query(probes[1], predicate="dwithin", distance=_MATCH_M)
    ok = (pool[si] >= 0) & shapely.dwithin(probes[0][si], cg[ci], _MATCH_M) & shapely.dwithin(
        probes[2][si], cg[ci], _MATCH_M)
    si, ci = si[ok], ci[ok]
    order = np.lexsort((ci, si))
    si, ci = si[order], ci[order]
    seg_len, cab_len = shapely.length(sg), shapely.length(cg)
    n_cand = np.bincount(si, minlength=len(sg))
    single = n_cand[si] == 1
    owner = np.full(len(sg), -1, dtype=np.int64)
    owner[si[single]] = ci[single]
    left = cab_len - np.bincount(ci[single], weights=seg_len[si[single]], minlength=len(cg))
    for s in np.unique(si[~single]):  # along overlapping cables: rare, decided one by one
        cands = ci[si == s]
        c = int(cands[np.argmax(left[cands])])
        owner[s] = c
        left[c] -= seg_len[s]
    whole = np.abs(left) <= _LENGTH_TOLERANCE * np.maximum(cab_len, 1.0)
    if not whole.any():
        return None
    rows: list[list[int] | None] = [None] * len(cg)
    on = np.flatnonzero(owner >= 0)
    order = np.lexsort((pool[on], owner[on]))  # by cable, then by pool index
    by_cable, lines = owner[on][order], pool[on][order]
    starts = np.flatnonzero(np.r_[True, by_cable[1:] != by_cable[:-1]]) if len(on) else np.zeros(0, dtype=int)
    for c, part in zip(by_cable[starts].tolist(), np.split(lines, starts[1:])):
        if whole[c]:
            rows[c] = part.tolist()
    return rows


# --- layer groups ----------------------------------------------------------------


def _sorted(gdf: gpd.GeoDataFrame, key: str) -> gpd.GeoDataFrame:
    """Rows in the order of their id (the input order does not change the map)."""
    order = np.argsort(col(gdf, key).to_numpy(dtype=str), kind="stable")
    return gdf.iloc[order]


def _olt_groups(olt: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    t, lang = ctx.t, ctx.lang
    olt = _sorted(olt, "pop_id")
    proposed = truthy(col(olt, "proposed", False)).to_numpy()
    pid = col(olt, "pop_id")
    name = col(olt, "name")
    basis = col(olt, "basis")
    basis_text = basis.map(lambda b: t["basis.given"] if b == "given" else t["basis.median"]
                           if b.startswith("demand-weighted") else t["basis.osm"] if b.startswith("OpenStreetMap")
                           else b)
    label = pd.Series(np.where(proposed, t["olt.proposed"], ""), index=olt.index)
    p2p = num(olt, "p2p_ports")
    cols = [
        Col("", name.where(name != "", pid)),
        Col(t["col.id"], pid),
        Col(t["col.pon_ports"], num(olt, "pon_ports"), unit=""),
        Col(t["col.pon_cards"], num(olt, "pon_cards"), unit=""),
        Col(t["col.p2p_ports"], p2p.where(p2p > 0), unit=""),
        Col(t["col.basis"], basis_text),
        Col("", label),
    ]
    ctx.summary["optical"]["olt"] = {"given": int((~proposed).sum()), "proposed": int(proposed.sum())}
    spec = layer_spec(olt, "point", cols=cols, styles=[OLT_STYLE["given"], OLT_STYLE["proposed"]],
                      style_index=proposed.astype(int), precision=ctx.precision, lang=lang, heading=t["olt"],
                      title=0, tooltip=len(cols) - 1)
    spec["fixedRadius"] = True  # around the POP's dot, which keeps its size
    return [Group("olt", t["layer.olt"], spec)]


def _cabinet_groups(cab: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    t, lang = ctx.t, ctx.lang
    cab = _sorted(cab, "cabinet_id")
    cols = [
        Col("", col(cab, "cabinet_id")),
        Col(t["col.locality"], col(cab, "locality")),
        Col(t["col.homes"], num(cab, "homes"), unit=""),
        Col(t["col.splitters"], col(cab, "splitters")),
        Col(t["col.olt_ports"], col(cab, "olt_ports").str.replace(";", ", ", regex=False)),
        Col(t["col.max_distance"], num(cab, "max_distance_m"), unit=" m"),
    ]
    n = len(cab)
    ctx.summary["optical"]["cabinets"] = n
    spec = layer_spec(cab, "point", cols=cols, styles=[CABINET_STYLE], precision=ctx.precision, lang=lang,
                      heading=t["cabinet"], title=0)
    return [Group("cabinets", f"{t['layer.cabinets']} ({fmt(n, 0, lang)})", spec)]


def _area_groups(areas: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    t, lang = ctx.t, ctx.lang
    areas = simplified(_sorted(areas, "cabinet_id"))
    cols = [Col("", col(areas, "cabinet_id")), Col(t["col.homes"], num(areas, "homes"), unit="")]
    ctx.summary["optical"]["cabinet_areas"] = len(areas)
    spec = layer_spec(areas, "polygon", cols=cols, styles=[CABINET_AREA_STYLE], precision=ctx.precision,
                      lang=lang, heading=t["cabinet_area"], title=0, tooltip=0)
    spec["labelMinZoom"] = AREA_LABEL_ZOOM
    return [Group("cabinet_areas", t["layer.cabinet_areas"], spec)]


def _cable_groups(cables: gpd.GeoDataFrame, seg: gpd.GeoDataFrame | None, ctx: Ctx) -> list[Group]:
    t, lang = ctx.t, ctx.lang
    cables = _sorted(cables, "cable_id")
    parts = route_parts(cables, seg, ctx.pools.get("route"))  # on the exact lines, before simplifying
    cables = simplified(cables)
    size = num(cables, "cable_size").round().astype("int64")
    sizes = sorted(int(s) for s in size.unique())
    length = num(cables, "length_m")
    length = length.where(length.notna(), cables.geometry.length)
    parallel = num(cables, "parallel").fillna(1.0)
    km = (length * parallel).groupby(size.to_numpy()).sum() / 1000.0
    count = size.value_counts()
    ctx.summary["optical"]["cables"] = [(s, int(count[s]), float(km[s])) for s in sizes]
    kind = col(cables, "kind")
    cols = [
        Col("", col(cables, "cable_id")),
        Col(t["col.cable_size"], size.map({s: fibres_label(s, lang) for s in sizes})),
        Col(t["col.parallel"], parallel, unit=""),
        Col(t["col.fibres_used"], num(cables, "fibres_used"), unit=""),
        Col(t["col.fibres_spare"], num(cables, "fibres_spare"), unit=""),
        Col(t["col.cable_kind"], kind.map(vocab(lang, "cable_kind")).fillna(kind)),
        Col(t["col.length"], length, unit=" m"),
    ]
    spec = layer_spec(cables, "line", cols=cols, styles=[cable_style(s) for s in sizes],
                      style_index=size.map({s: i for i, s in enumerate(sizes)}).to_numpy(), precision=ctx.precision,
                      lang=lang, heading=t["cable"], title=0, parts=None if parts is None else ("route", parts))
    total = float(km.sum())
    return [Group("cables", f"{t['layer.cables']} ({fmt(total, 1, lang)} km)", spec)]


def _closure_groups(closures: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    t, lang = ctx.t, ctx.lang
    closures = _sorted(closures, "closure_id")
    n_split = num(closures, "splitters").fillna(0.0)
    has_split = (n_split > 0).to_numpy()
    kinds = vocab(lang, "closure_kind")
    kind = col(closures, "kind").map(lambda k: ", ".join(kinds.get(p, p) for p in k.split("+") if p))
    cols = [
        Col("", col(closures, "closure_id")),
        Col(t["col.closure_kind"], kind),
        Col(t["col.splices"], num(closures, "splices"), unit=""),
        Col(t["col.closure_splitters"], n_split.where(n_split > 0), unit=""),
    ]
    ctx.summary["optical"]["closures"] = {"closure": int((~has_split).sum()), "splitter": int(has_split.sum())}
    spec = layer_spec(closures, "point", cols=cols, styles=[CLOSURE_STYLE["closure"], CLOSURE_STYLE["splitter"]],
                      style_index=has_split.astype(int), precision=ctx.precision, lang=lang, heading=t["closure"],
                      title=0)
    return [Group("closures", f"{t['layer.closures']} ({fmt(len(closures), 0, lang)})", spec, show=False)]


def optical_groups(layers: Mapping[str, gpd.GeoDataFrame], ctx: Ctx) -> list[Group]:
    """The optical network's layers: OLT, cabinets, cabinet areas, cables, closures (those present).

    Parameters
    ----------
    layers
        Plan layers by name (:data:`OPTICAL_LAYERS`; ``segments`` for the cables' lines).
    ctx
        Builder context; ``summary['optical']`` gets the counts the legend
        shows, and the cables take the route's lines from ``ctx.pools['route']``.

    Returns
    -------
    list of Group
        In layer-control order; empty without optical layers.
    """
    def present(name: str) -> gpd.GeoDataFrame | None:
        gdf = layers.get(name)
        return gdf if gdf is not None and len(gdf) else None

    ctx.summary.setdefault("optical", {})
    groups: list[Group] = []
    if (olt := present("olt")) is not None:
        groups += _olt_groups(olt, ctx)
    if (cab := present("cabinets")) is not None:
        groups += _cabinet_groups(cab, ctx)
    if (areas := present("cabinet_areas")) is not None:
        groups += _area_groups(areas, ctx)
    if (cables := present("cables")) is not None:
        groups += _cable_groups(cables, present("segments"), ctx)
    if (closures := present("closures")) is not None:
        groups += _closure_groups(closures, ctx)
    return groups
