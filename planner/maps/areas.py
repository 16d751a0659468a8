"""Area layers of the councillor map: localities by milestone.

Localities (villages) are filled with the colour of their milestone (kamień
milowy, :data:`planner.styles.MILESTONE_FILLS` in deadline order), with their
figures in the popup.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from planner import styles
from planner.maps.columns import col, dates, milestone_labels, num
from planner.maps.encoding import Col, layer_spec
from planner.maps.page import Group
from planner.maps.plan_layers import Ctx, simplified

__all__ = ["LOCALITY_STYLE", "locality_groups", "milestone_fills"]

LOCALITY_STYLE: dict[str, Any] = {"color": styles.LOCALITY_OUTLINE, "weight": 1, "fillOpacity": 0.35}


def milestone_fills(a: gpd.GeoDataFrame, loc: gpd.GeoDataFrame | None, ctx: Ctx) -> dict[str, str]:
    """Milestone name -> fill colour, in order of deadline; also the legend entries in the summary.

    Parameters
    ----------
    a
        Address points (``milestone``, ``milestone_date``).
    loc
        Localities, if any (their milestones count too).
    ctx
        Builder context; ``summary['milestones']`` gets ``(name, label, fill)`` per milestone.

    Returns
    -------
    dict
    """
    names = col(a, "milestone")
    deadlines = pd.to_datetime(col(a, "milestone_date", pd.NaT), errors="coerce")
    if loc is not None and len(loc):
        names = pd.concat([names, col(loc, "milestone")], ignore_index=True)
        deadlines = pd.concat([deadlines, pd.to_datetime(col(loc, "milestone_date", pd.NaT), errors="coerce")],
                              ignore_index=True)
    ms = (pd.DataFrame({"name": names.to_numpy(), "date": deadlines.to_numpy()})
          .query("name != ''").groupby("name", sort=True)["date"].min().reset_index()
          .sort_values(["date", "name"], kind="stable"))
    fills = {n: f for n, f in styles.milestone_fills(ms["name"]).items() if n != ""}
    labels = milestone_labels(ms["name"].astype(str), dates(ms["date"], ctx.lang), ctx.t)
    ctx.summary["milestones"] = [(n, lab, fills[n]) for n, lab in zip(ms["name"], labels)]
    return fills


def locality_groups(loc: gpd.GeoDataFrame, fills: dict[str, str], ctx: Ctx) -> list[Group]:
    """Localities filled by milestone, with their numbers in the popup.

    Parameters
    ----------
    loc
        Localities.
    fills
        Milestone fills (:func:`milestone_fills`).
    ctx
        Builder context.

    Returns
    -------
    list of Group
    """
    t, lang = ctx.t, ctx.lang
    loc = simplified(loc)
    lms = col(loc, "milestone")
    styles_ = [{**LOCALITY_STYLE, "fillColor": fills.get(n, styles.NO_MILESTONE_FILL)} for n in ["", *fills]]
    sidx = lms.map({n: i + 1 for i, n in enumerate(fills)}).fillna(0).astype(int).to_numpy()
    ctx.summary["locality_without_milestone"] = bool((sidx == 0).any())
    cols = [
        Col("", col(loc, "locality")),
        Col(t["col.commune"], col(loc, "commune")),
        Col(t["col.milestone"], milestone_labels(lms, dates(col(loc, "milestone_date", pd.NaT), lang), t)),
        Col(t["col.points"], num(loc, "points"), unit=""),
        Col(t["col.white"], num(loc, "white"), unit=""),
        Col(t["col.targets"], num(loc, "targets"), unit=""),
        Col(t["col.barriers"], num(loc, "barriers"), unit=""),
        Col(t["col.connected"], num(loc, "connected"), unit=""),
        Col(t["col.unconnected"], num(loc, "unconnected"), unit=""),
        Col(t["col.pct"], num(loc, "pct_passed_by_deadline"), unit=" %"),
        Col(t["col.km_aerial"], num(loc, "km_aerial"), unit=" km", decimals=2),
        Col(t["col.km_duct"], num(loc, "km_duct"), unit=" km", decimals=2),
        Col(t["col.km_trench"], num(loc, "km_trench"), unit=" km", decimals=2),
    ]
    spec = layer_spec(loc, "polygon", cols=cols, styles=styles_, style_index=sidx, precision=ctx.precision,
                      lang=lang, heading=t["locality"], title=0)
    return [Group("localities", t["layer.localities"], spec)]
