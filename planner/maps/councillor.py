"""The councillor map of a plan: build it, list its layers, write it.

The map is a Folium/Leaflet page a councillor opens from an e-mail or the
commune website.  It answers "is my street in, when, and how": address points
coloured by plan status (białe plamy, bariery inwestycyjne, grey and black
points, connected points), the planned network by deployment type, drops
(with the distance fee of drops beyond the contract length), the POP, the poles
used, existing ducts, and localities coloured by their milestone (kamień
milowy), each with a popup.  Where the plan has its optical network (issue
#16), the street cabinets with their service areas, the cables (line width by
fibre count), the splice closures and the OLT are drawn too, and address
popups name their cabinet, splitter port and optical loss
(:mod:`planner.maps.optical`).  After re-planning from what is built, localities
are coloured by build progress (built, remaining, milestone at risk) and the
network built is drawn apart from the network planned.  Offline, a light base
layer of the area's roads and locality names stands in for the tiles.

Settings come from the ``[map]`` section (:class:`planner.config.MapConfig`,
every key used); the drop contract limit comes from the caller (the plan's
``DesignConfig``) or from the plan's own drops, never from a default config.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import Problem, UsageError
from planner.config import MapConfig
from planner.io.plan_dir import read_plan_layers, read_table
from planner.maps.areas import has_village_states, locality_groups, milestone_fills, village_groups
from planner.maps.base_layer import place_groups, road_groups
from planner.maps.checks import check_layers, check_loss_budget
from planner.maps.columns import col
from planner.maps.encoding import Group, wgs84_bounds
from planner.maps.html import page_html
from planner.maps.legend import default_title, info_html, legend_html
from planner.maps.optical import OPTICAL_LAYERS, RUNTIME, has_optical_layers, optical_groups
from planner.maps.optical_budget import address_network_cols, budget_by_address, over_budget_groups
from planner.maps.plan_layers import (
    Ctx,
    address_groups,
    address_labels,
    drop_groups,
    duct_groups,
    network_groups,
    pole_groups,
    pop_groups,
)
from planner.maps.texts import TEXT
from planner.output.files import write_bytes
from planner.schema import PLAN_STATUSES

if TYPE_CHECKING:
    import folium

logger = logging.getLogger(__name__)

__all__ = ["build_map", "layer_names", "write_map"]

_OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"

#: Bottom-to-top drawing order of the groups (keys; prefixes match families): areas under the
#: route, the cables over it, the points on top (the OLT square under its POP's dot).
_DRAW_ORDER: tuple[str, ...] = ("localities", "villages", "roads", "cabinet_areas", "ducts", "net.", "cables", "drops",
                                "long_drops", "poles", "status.", "over_budget", "closures", "cabinets", "olt", "pops",
                                "places")
#: Columns of the loss budget table the map reads (``loss_budget.csv`` of a plan directory).
_BUDGET_COLUMNS: tuple[str, ...] = ("address_id", "within_budget", "headroom_db", "cause", "fix")


def _draw_rank(key: str) -> tuple[int, int]:
    for i, prefix in enumerate(_DRAW_ORDER):
        if key == prefix or (prefix.endswith(".") and key.startswith(prefix)):
            sub = PLAN_STATUSES[::-1].index(key[7:]) if prefix == "status." else 0
            return i, sub
    return len(_DRAW_ORDER), 0


def _settings(config: MapConfig | None, lang: str | None, offline: bool | None,
              precision: int | None) -> MapConfig:
    """The map's settings: ``config`` (default :class:`MapConfig`) with the explicit arguments applied."""
    cfg = config if config is not None else MapConfig()
    if lang is not None and lang not in TEXT:
        raise UsageError(f"unsupported map language {lang!r}",
                         [Problem(file="lang", message=f"got {lang!r}", fix=f"use one of {sorted(TEXT)}")])
    if precision is not None and not 4 <= int(precision) <= 8:
        raise UsageError(f"coordinate precision must be 4..8 decimals, got {precision}",
                         [Problem(file="precision", message=f"got {precision}",
                                  fix="use 6 (about 0.1 m), see MapConfig.coordinate_precision")])
    update: dict[str, object] = {}
    if lang is not None:
        update["lang"] = lang
    if offline is not None:
        update["offline"] = bool(offline)
    if precision is not None:
        update["coordinate_precision"] = int(precision)
    return cfg.model_copy(update=update) if update else cfg


def _build_groups(layers: Mapping[str, gpd.GeoDataFrame], cfg: MapConfig, drop_limit_m: float | None,
                  loss_budget: pd.DataFrame | None = None) -> tuple[list[Group], dict[str, Any]]:
    """Every map layer as a compact spec, in layer-control order, plus summary numbers."""
    cables = layers.get("cables")
    ctx = Ctx(lang=cfg.lang, precision=cfg.coordinate_precision, drop_limit_m=drop_limit_m,
              share_route=cables is not None and len(cables) > 0)

    def present(name: str) -> gpd.GeoDataFrame | None:
        gdf = layers.get(name)
        return gdf if gdf is not None and len(gdf) else None

    a = layers["addresses"]
    label = address_labels(a)
    order = np.argsort(label.to_numpy(dtype=str), kind="stable")
    a, label = a.iloc[order], label.iloc[order]
    budget = budget_by_address(a, loss_budget)
    extra = address_network_cols(a, budget, ctx)
    groups = address_groups(a, label, ctx, extra)
    groups += over_budget_groups(a, label, budget, extra, ctx)
    if (pops := present("pops")) is not None:
        groups += pop_groups(pops, ctx)
    if (seg := present("segments")) is not None:
        groups += network_groups(seg, ctx)
    if (drops := present("drops")) is not None:
        by_id = pd.Series(label.to_numpy(), index=col(a, "id").to_numpy())
        groups += drop_groups(drops, by_id[~by_id.index.duplicated()], ctx)
    if (poles := present("poles_used")) is not None:
        groups += pole_groups(poles, ctx)
    if (ducts := present("ducts")) is not None:
        groups += duct_groups(ducts, ctx)
    if has_optical_layers(layers):
        groups += optical_groups(layers, ctx)
    loc = present("localities")
    fills = milestone_fills(a, loc, ctx)
    if loc is not None:
        groups += locality_groups(loc, fills, ctx, show=not has_village_states(loc))
        groups += village_groups(loc, seg, ctx)
    if cfg.offline and cfg.base_layer:
        if (roads := present("roads")) is not None:
            groups += road_groups(roads, ctx, cfg.road_simplify_m)
        groups += place_groups(a, loc, ctx)
    return groups, ctx.summary


def build_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    config: MapConfig | None = None,
    lang: str | None = None,
    offline: bool | None = None,
    title: str | None = None,
    precision: int | None = None,
    drop_limit_m: float | None = None,
    loss_budget: pd.DataFrame | None = None,
) -> folium.Map:
    """Build the councillor map of a plan.

    Parameters
    ----------
    layers
        Plan layers by name (see :data:`~planner.maps.PLAN_LAYERS`; ``addresses``
        is required), as returned by :func:`~planner.maps.read_plan_layers`.
        Any CRS; EPSG:2180 expected.
    config
        The ``[map]`` section (:class:`planner.config.MapConfig`); default its defaults.
    lang
        ``'pl'`` or ``'en'``: language of every label; overrides ``config.lang``.
    offline
        ``True``: no base tiles, so the page makes no network request at all;
        ``False``: OpenStreetMap base tiles.  Leaflet is inlined either way.
        Overrides ``config.offline``.
    title
        Title shown on the map and in the browser tab; default from the communes.
    precision
        Decimal places of the coordinates (degrees); overrides
        ``config.coordinate_precision``.
    drop_limit_m
        Contract length of a drop, metres (the plan's
        ``DesignConfig.drop_contract_max_m``), named in the long drops' legend;
        default: the length the long drops imply (their length minus their
        length over the limit), else the legend says "beyond the contract length".
    loss_budget
        The plan's optical loss budget (``loss_budget.csv``: ``address_id``,
        ``within_budget``, optional ``headroom_db``, ``cause``, ``fix``):
        address popups say whether each is within the budget, and those over
        it get a red ring.  Not needed when the addresses carry ``within_budget``.

    Returns
    -------
    folium.Map
        The map; ``map.get_root().render()`` gives the HTML (see :func:`write_map`).

    Raises
    ------
    InputDataError
        A layer lacks its CRS or required columns, has empty geometries,
        unknown status values, or lies outside Poland (swapped axes); an
        optical-network layer has duplicate ids or values that are not what
        they should be (cable sizes, counts, flags); the loss budget names
        unknown addresses.
    UsageError
        ``lang`` is not supported or ``precision`` is not 4..8.
    """
    return _folium_map(_page(layers, _settings(config, lang, offline, precision), title, drop_limit_m, loss_budget))


@dataclass
class _Page:
    """Everything on the page: title, bounds ``(south, west, north, east)``, layers and the runtime's init options."""

    title: str
    bounds: tuple[float, float, float, float]
    offline: bool
    runtime: tuple[str, ...]
    groups: list[Group]
    init: dict[str, Any]


def _page(layers: Mapping[str, gpd.GeoDataFrame], cfg: MapConfig, title: str | None, drop_limit_m: float | None,
          loss_budget: pd.DataFrame | None) -> _Page:
    """Check the layers and build every part of the page (see :func:`build_map`)."""
    check_layers(layers, "<layers>")
    check_loss_budget(loss_budget, layers["addresses"], "<loss_budget>")
    title = title or default_title(layers, cfg.lang)
    groups, summary = _build_groups(layers, cfg, drop_limit_m, loss_budget)

    bounds_src = [layers["addresses"]] + [layers[k] for k in ("localities",) if k in layers and len(layers[k])]
    b = np.array([wgs84_bounds(g.geometry) for g in bounds_src])
    south, west, north, east = (float(b[:, 1].min()), float(b[:, 0].min()), float(b[:, 3].max()),
                                float(b[:, 2].max()))
    t = TEXT[cfg.lang]
    init = {
        "legend": legend_html(groups, summary, cfg.lang),
        "info": info_html(title, summary, cfg.lang, cfg.offline, {g.key for g in groups}),
        "attribution": t["attribution"].format(osm=_OSM_COPYRIGHT),
        "bounds": [[south, west], [north, east]],
        "search": {"placeholder": t["search"], "none": t["search.none"], "max": 12, "zoom": 18, "lang": cfg.lang},
    }
    runtime = (RUNTIME,) if any(g.key in OPTICAL_LAYERS for g in groups) else ()
    logger.info("map: %d layers, %d address points", len(groups), len(layers["addresses"]))
    return _Page(title, (south, west, north, east), cfg.offline, runtime, groups, init)


def _folium_map(page: _Page) -> folium.Map:
    """The page as a folium map (folium is imported here, only when a map object is asked for)."""
    from planner.maps.page import add_runtime, finish_map, new_map

    m = new_map(page.bounds, title=page.title, offline=page.offline)
    for name in page.runtime:
        add_runtime(m, name)
    finish_map(m, page.groups, page.init, _draw_rank)
    return m


def _page_text(page: _Page) -> str:
    """The page's HTML: written directly when offline (the bytes folium renders), else rendered by folium."""
    if not page.offline:
        return str(_folium_map(page).get_root().render())
    south, west, north, east = page.bounds
    return page_html(title=page.title, center=((south + north) / 2, (west + east) / 2), groups=page.groups,
                     init=page.init, draw_rank=_draw_rank, runtime=page.runtime)


def layer_names(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    lang: str | None = None,
    config: MapConfig | None = None,
    offline: bool | None = None,
    drop_limit_m: float | None = None,
    loss_budget: pd.DataFrame | None = None,
) -> list[str]:
    """Names of the map's layers as listed in its layer control, in order.

    Parameters
    ----------
    layers
        Plan layers as for :func:`build_map`.
    lang
        Label language; overrides ``config.lang``.
    config, offline, drop_limit_m, loss_budget
        As for :func:`build_map`.

    Returns
    -------
    list of str
    """
    cfg = _settings(config, lang, offline, None)
    check_layers(layers, "<layers>")
    check_loss_budget(loss_budget, layers["addresses"], "<loss_budget>")
    groups, _ = _build_groups(layers, cfg, drop_limit_m, loss_budget)
    return [g.name for g in groups]


def write_map(
    layers_or_plan_dir: Mapping[str, gpd.GeoDataFrame] | str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    config: MapConfig | None = None,
    lang: str | None = None,
    offline: bool | None = None,
    title: str | None = None,
    precision: int | None = None,
    drop_limit_m: float | None = None,
    loss_budget: pd.DataFrame | None = None,
) -> Path:
    """Write the councillor map as one self-contained HTML file, atomically.

    Parameters
    ----------
    layers_or_plan_dir
        Plan layers (as for :func:`build_map`) or a plan directory holding
        ``plan.gpkg`` (and ``loss_budget.csv`` where the plan has its optical
        network: read unless ``loss_budget`` is given).
    path
        Output ``.html`` file; written to a temporary file and renamed, so a
        failure never leaves a partial map.
    config, lang, offline, title, precision, drop_limit_m, loss_budget
        As for :func:`build_map`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    UsageError
        ``path`` is not an ``.html`` file (or as for :func:`build_map`).
    InputDataError, InputFileNotFoundError
        As for :func:`build_map` and :func:`~planner.maps.read_plan_layers`.
    """
    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"map output must be an .html file, got {out}",
                         [Problem(file=str(out), message="not an .html path", fix="use e.g. out/demo/map.html")])
    layers: Mapping[str, gpd.GeoDataFrame]
    if isinstance(layers_or_plan_dir, (str, os.PathLike)):
        plan_dir = Path(layers_or_plan_dir)
        layers = read_plan_layers(plan_dir)
        if loss_budget is None and has_optical_layers(layers):
            loss_budget = read_table(plan_dir, "loss_budget", columns=_BUDGET_COLUMNS)
    else:
        layers = layers_or_plan_dir
    page = _page(layers, _settings(config, lang, offline, precision), title, drop_limit_m, loss_budget)
    text = _page_text(page)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(text.encode("utf-8"), out)
    logger.info("wrote %s (%.1f MB)", out, out.stat().st_size / 1e6)
    return out
