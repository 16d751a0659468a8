"""Area layers of the councillor map: localities by milestone, and by build progress.

Localities (villages) are filled with the colour of their milestone (kamień
milowy, :data:`planner.styles.MILESTONE_FILLS` in deadline order), with their
figures in the popup.  When the localities carry a ``village_state`` (from
re-planning on what is built: ``built``, ``remaining``, ``at_risk``, see
:data:`planner.schema.VILLAGE_STATES`), a second layer fills them by that state
and is the one shown; the milestone layer can still be switched on.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import styles
from planner.maps.columns import col, dates, milestone_labels, num, truthy
from planner.maps.encoding import Col, Group, layer_spec
from planner.maps.plan_layers import Ctx, simplified
from planner.schema import VILLAGE_STATES

__all__ = ["LOCALITY_STYLE", "VILLAGE_STYLE", "has_village_states", "locality_groups", "milestone_fills",
           "village_groups"]

LOCALITY_STYLE: dict[str, Any] = {"color": styles.LOCALITY_OUTLINE, "weight": 1, "fillOpacity": 0.35}

#: Localities by build state (and ``none``: no state given), Leaflet path options. [A]
VILLAGE_STYLE: dict[str, dict[str, Any]] = {
    **{st: {"color": styles.VILLAGE_STATE_COLOURS[st].outline, "weight": 2.5 if st == "at_risk" else 1.5,
            "fillColor": styles.VILLAGE_STATE_COLOURS[st].fill, "fillOpacity": 0.45} for st in VILLAGE_STATES},
    "none": {"color": styles.LOCALITY_OUTLINE, "weight": 1, "fillColor": styles.NO_MILESTONE_FILL,
             "fillOpacity": 0.35},
}


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


def has_village_states(loc: gpd.GeoDataFrame | None) -> bool:
    """Whether localities carry a build state (a non-empty ``village_state``).

    Parameters
    ----------
    loc
        Localities, if any.

    Returns
    -------
    bool
    """
    return loc is not None and len(loc) > 0 and bool((col(loc, "village_state") != "").any())


def locality_groups(loc: gpd.GeoDataFrame, fills: dict[str, str], ctx: Ctx, *, show: bool = True) -> list[Group]:
    """Localities filled by milestone, with their numbers in the popup.

    Parameters
    ----------
    loc
        Localities.
    fills
        Milestone fills (:func:`milestone_fills`).
    ctx
        Builder context.
    show
        Whether the layer is on when the map opens (off when the localities
        are drawn by build state).

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
    return [Group("localities", t["layer.localities"], spec, show=show)]


def _per_locality(loc: gpd.GeoDataFrame, seg: gpd.GeoDataFrame | None, values: pd.Series) -> pd.Series:
    """Sum ``values`` (per segment) by the segments' locality (``simc`` if both layers have it, else name)."""
    if seg is None or not len(seg):
        return pd.Series(np.nan, index=loc.index)
    key = "simc" if "simc" in loc.columns and "simc" in seg.columns else "locality"
    sums = values.groupby(col(seg, key).to_numpy()).sum()
    return col(loc, key).map(sums).fillna(0.0).astype(float)


def village_groups(loc: gpd.GeoDataFrame, seg: gpd.GeoDataFrame | None, ctx: Ctx) -> list[Group]:
    """Localities filled by build state: built, remaining, at risk (council words in the popup).

    Parameters
    ----------
    loc
        Localities with ``village_state`` (optional ``pct_passed_now``,
        ``milestone_reachable``, and the usual figures).
    seg
        Network segments, if any: pending consents (``consent``) and km built
        (``built``) per locality come from them.
    ctx
        Builder context; ``summary['village_states']`` gets the count per state.

    Returns
    -------
    list of Group
        Empty when no locality has a state.
    """
    if not has_village_states(loc):
        return []
    t, lang = ctx.t, ctx.lang
    loc = simplified(loc)
    state = col(loc, "village_state").where(lambda s: s.isin(VILLAGE_STATES), "none")
    keys = [*VILLAGE_STATES, "none"]
    ctx.summary["village_states"] = {k: int((state == k).sum()) for k in keys}
    state_text = state.map({k: t[f"village_state.{k}"] for k in keys})
    reach = col(loc, "milestone_reachable", None)
    reach_text = pd.Series(np.where(truthy(reach), t["yes"], t["no"]), index=loc.index).where(
        reach.notna() & (reach.astype(str) != ""), "")
    pending = None
    if seg is not None:
        open_consent = (col(seg, "consent") == "pending") & ~truthy(col(seg, "built", False))
        pending = _per_locality(loc, seg, open_consent.astype(float))
    km_built = None
    if seg is not None and "built" in seg.columns:
        length = num(seg, "length_m").where(lambda v: v.notna(), seg.geometry.length)
        km_built = _per_locality(loc, seg, length.where(truthy(col(seg, "built", False)), 0.0) / 1000.0)
    lms = col(loc, "milestone")
    cols = [
        Col("", col(loc, "locality")),
        Col(t["col.commune"], col(loc, "commune")),
        Col(t["col.state"], state_text),
        Col(t["col.milestone"], milestone_labels(lms, dates(col(loc, "milestone_date", pd.NaT), lang), t)),
        Col(t["col.reachable"], reach_text),
        Col(t["col.pct_now"], num(loc, "pct_passed_now"), unit=" %"),
        Col(t["col.pct"], num(loc, "pct_passed_by_deadline"), unit=" %"),
        Col(t["col.white"], num(loc, "white"), unit=""),
        Col(t["col.targets"], num(loc, "targets"), unit=""),
        Col(t["col.barriers"], num(loc, "barriers"), unit=""),
        Col(t["col.connected"], num(loc, "connected"), unit=""),
    ]
    if pending is not None:
        cols.append(Col(t["col.consents_pending"], pending.where(pending > 0), unit=""))
    if km_built is not None:
        cols.append(Col(t["col.km_built"], km_built, unit=" km", decimals=2))
    spec = layer_spec(loc, "polygon", cols=cols, styles=[VILLAGE_STYLE[k] for k in keys],
                      style_index=state.map({k: i for i, k in enumerate(keys)}).to_numpy(), precision=ctx.precision,
                      lang=lang, heading=t["village"], title=0)
    return [Group("villages", t["layer.villages"], spec)]
