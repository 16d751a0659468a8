"""Layer groups of the councillor map: address points, network, drops, poles, ducts, POP.

Each builder turns one plan layer into :class:`~planner.maps.page.Group` objects
(one per legend class: a plan status, a network class, ...) with their popup
fields, and records the numbers the legend and the title box show in the
shared summary of a :class:`Ctx`.  Colours come from :mod:`planner.styles`;
sizes, widths and dashes (CSS pixels) are set here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import styles
from planner.maps.columns import col, dates, fmt, milestone_labels, num, truthy
from planner.maps.encoding import Col, Group, layer_spec
from planner.maps.texts import TEXT, vocab
from planner.schema import PLAN_STATUSES, POLE_OWNERS, WORKING_CRS
from planner.whitespots import localize_reasons

__all__ = [
    "BUILT_STYLE",
    "DROP_STYLE",
    "DUCT_STYLE",
    "LONG_DROP_STYLE",
    "NETWORK_CLASSES",
    "NETWORK_STYLE",
    "POLE_STYLE",
    "POP_STYLE",
    "STATUS_STYLE",
    "Ctx",
    "address_groups",
    "address_labels",
    "drop_groups",
    "duct_groups",
    "network_groups",
    "pole_groups",
    "pop_groups",
    "simplified",
]

#: Network classes: deployment, or ``aerial_<pole owner>``, in legend order.
NETWORK_CLASSES: tuple[str, ...] = tuple(styles.NETWORK_COLOURS)

# --- Leaflet path options (CSS pixels); colours from planner.styles -----------

_STATUS_SIZE: dict[str, tuple[float, float, float]] = {  # radius, outline weight, fill opacity [A]
    "connect": (4.5, 1.5, 1.0), "connected": (4, 1, 1.0), "unconnected": (4.5, 1, 1.0),
    "barrier": (4, 1, 1.0), "grey": (3.5, 1, 0.9), "black": (3.5, 1, 0.9),
}
STATUS_STYLE: dict[str, dict[str, Any]] = {
    st: {"radius": r, "color": styles.STATUS_COLOURS[st].outline, "weight": w,
         "fillColor": styles.STATUS_COLOURS[st].fill, "fillOpacity": o}
    for st, (r, w, o) in _STATUS_SIZE.items()
}
NETWORK_STYLE: dict[str, dict[str, Any]] = {
    c: ({"color": colour, "weight": 3, "dashArray": "7 4", "opacity": 0.95} if c.startswith("aerial_")
        else {"color": colour, "weight": 3.5, "opacity": 0.95})
    for c, colour in styles.NETWORK_COLOURS.items()
}
#: Network already built (segments with ``built`` true): dark green, dashed on poles. [A]
BUILT_STYLE: dict[str, dict[str, Any]] = {
    "aerial": {"color": styles.BUILT_COLOUR, "weight": 4, "dashArray": "7 4", "opacity": 0.95},
    "underground": {"color": styles.BUILT_COLOUR, "weight": 4, "opacity": 0.95},
}
DROP_STYLE: dict[str, Any] = {"color": styles.DROP_COLOUR, "weight": 1, "opacity": 0.8}
LONG_DROP_STYLE: dict[str, Any] = {"color": styles.LONG_DROP_COLOUR, "weight": 3.5, "dashArray": "6 4",
                                   "opacity": 1.0}
DUCT_STYLE: dict[str, Any] = {"color": styles.DUCT_COLOUR, "weight": 8, "opacity": 0.45}
POLE_STYLE: dict[str, dict[str, Any]] = {
    owner: {"radius": 2.5, "color": styles.POLE_COLOURS[owner], "weight": 1, "fillColor": "#ffffff",
            "fillOpacity": 1.0}
    for owner in POLE_OWNERS
}
POP_STYLE: dict[str, Any] = {"radius": 9, "color": styles.POP_OUTLINE, "weight": 2.5, "fillColor": styles.POP_FILL,
                             "fillOpacity": 1.0}

#: Long drops get a permanent label with their fee when there are at most this many. [A: legibility]
_MAX_FEE_LABELS = 100

#: Geometry simplification tolerance in the working CRS, metres (drawing only). [A: invisible at zoom 19]
_SIMPLIFY_M = 0.3


@dataclass
class Ctx:
    """What every layer builder needs: language, coordinate precision, and the summary it fills.

    Parameters
    ----------
    lang
        ``'pl'`` or ``'en'``.
    precision
        Decimal places of the coordinates (degrees).
    drop_limit_m
        Contract length of a drop, metres, if known (see :func:`drop_groups`).
    summary
        Numbers for the legend and the title box, filled by the builders.
    share_route
        Whether :func:`network_groups` puts the route's lines into the pool
        ``'route'`` of the runtime, for the cables drawn along them (issue #16).
    pools
        Pool name -> the pool index of each row of the layer that filled it
        (-1: not drawn), filled by the builders that share their lines.
    """

    lang: str
    precision: int
    drop_limit_m: float | None = None
    summary: dict[str, Any] = field(default_factory=lambda: {"status": {}, "network_km": {}, "milestones": []})
    share_route: bool = False
    pools: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def t(self) -> dict[str, str]:
        """Texts of the map's language."""
        return TEXT[self.lang]


def simplified(gdf: gpd.GeoDataFrame, tolerance_m: float = _SIMPLIFY_M) -> gpd.GeoDataFrame:
    """The layer in the working CRS, simplified for drawing.

    Parameters
    ----------
    gdf
        A line or polygon layer.
    tolerance_m
        Douglas-Peucker tolerance, metres.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    g = gdf.to_crs(WORKING_CRS)
    return g.set_geometry(g.geometry.simplify(tolerance_m))


def address_labels(a: gpd.GeoDataFrame) -> pd.Series:
    """``'Warszawska 12, Jadwisin'``, or ``'Jadwisin 77'`` for an address without a street.

    Parameters
    ----------
    a
        Address points.

    Returns
    -------
    pandas.Series
    """
    street = col(a, "street")
    house = col(a, "house_number")
    loc = col(a, "locality")
    with_street = street + " " + house + ", " + loc
    return with_street.where(street != "", loc + " " + house)


def _address_reason(a: gpd.GeoDataFrame, t: dict[str, str], lang: str) -> pd.Series:
    status = col(a, "plan_status")
    ws = localize_reasons(col(a, "ws_reason"), lang)
    br = col(a, "barrier_reason")
    br_text = br.map({"no_building": t["barrier.no_building"], "summer_house": t["barrier.summer_house"]})
    prg = br.str.startswith("status_")
    head, tail = t["barrier.status"].split("{status}")
    br_text = br_text.where(~prg, head + br.str.slice(7) + tail).fillna(br).astype(str)
    ur = col(a, "unconnected_reason")
    ur_text = ur.map(vocab(lang, "unconnected")).fillna(ur).astype(str)
    out = ws.where(status != "barrier", br_text.where(br_text != "", ws))
    return out.where(status != "unconnected", ur_text.where(ur_text != "", ws))


def _has_values(v: pd.Series) -> bool:
    """Whether some value is given (not missing, not ``''``)."""
    if pd.api.types.is_numeric_dtype(v.dtype) or v.dtype.kind in "bM":
        return bool(v.notna().any())
    return bool((v.notna() & (v.astype(str) != "")).any())


def address_groups(a: gpd.GeoDataFrame, label: pd.Series, ctx: Ctx, extra: list[Col] | None = None) -> list[Group]:
    """One point layer per plan status; ``a`` and ``label`` sorted by label.

    Parameters
    ----------
    a
        Address points.
    label
        Their labels (:func:`address_labels`).
    ctx
        Builder context; ``summary['status']`` gets the count per status.
    extra
        More popup fields, one value per address (the optical network's,
        :func:`planner.maps.optical_budget.address_network_cols`); a field with no
        value among a status's points is left out of its layer.

    Returns
    -------
    list of Group
    """
    t, lang = ctx.t, ctx.lang
    status = col(a, "plan_status")
    reason = _address_reason(a, t, lang)
    milestone = milestone_labels(col(a, "milestone"), dates(col(a, "milestone_date", pd.NaT), lang), t)
    passed = dates(col(a, "passed_date", pd.NaT), lang)
    drop_len = num(a, "drop_length_m")
    fee = num(a, "drop_fee_pln")
    fee = fee.where(fee > 0)
    business = pd.Series(np.where(truthy(col(a, "is_business", False)), t["yes"], ""), index=a.index)
    groups = []
    for st in PLAN_STATUSES:
        mask = (status == st).to_numpy()
        n = int(mask.sum())
        ctx.summary["status"][st] = n
        if n == 0:
            continue
        cols = [
            Col("", label[mask]),
            Col(t["col.reason"], reason[mask]),
            Col(t["col.milestone"], milestone[mask]),
            Col(t["col.passed"], passed[mask]),
            Col(t["col.drop"], drop_len[mask], unit=" m"),
            Col(t["col.fee"], fee[mask], unit=t["unit.pln"]),
            Col(t["col.business"], business[mask]),
        ]
        for c in extra or ():
            v = c.values[mask]
            if _has_values(v):
                cols.append(Col(c.label, v, c.unit, c.decimals))
        spec = layer_spec(a.geometry[mask], "point", cols=cols, styles=[STATUS_STYLE[st]], precision=ctx.precision,
                          lang=lang, heading=t[f"status.{st}"], title=0, search=True)
        groups.append(Group(f"status.{st}", f"{t[f'status.{st}']} ({fmt(n, 0, lang)})", spec))
    return groups


def pop_groups(pops: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    """The POP(s), labelled with their name.

    Parameters
    ----------
    pops
        Points of presence.
    ctx
        Builder context.

    Returns
    -------
    list of Group
    """
    t = ctx.t
    name = col(pops, "name")
    pid = col(pops, "id")
    name = name.where(name != "", pid.where(pid != "", "POP"))
    cols = [Col("", name), Col(t["col.id"], pid)]
    spec = layer_spec(pops, "point", cols=cols, styles=[POP_STYLE], precision=ctx.precision, lang=ctx.lang,
                      heading=t["layer.pops"], title=0, tooltip=0)
    return [Group("pops", t["layer.pops"], spec)]


def _network_class(seg: gpd.GeoDataFrame) -> pd.Series:
    dep = col(seg, "deployment")
    owner = col(seg, "pole_owner")
    owner = owner.where(owner.isin(POLE_OWNERS), "telecom")
    return dep.where(dep != "aerial", "aerial_" + owner)


def network_groups(seg: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    """One line layer per network class (aerial by pole owner, duct, trench), named with its km.

    Segments with a true ``built`` column (as built) form one more layer, the
    network built, drawn dark green (dashed on poles); the class layers then
    hold the network still planned.

    Parameters
    ----------
    seg
        Network segments.
    ctx
        Builder context; ``summary['network_km']`` gets the km per class (planned),
        ``summary['built_km']`` the km built on poles and underground; with
        ``ctx.share_route``, the layers fill the runtime's pool ``'route'``
        and ``ctx.pools['route']`` gets each segment's index in it.

    Returns
    -------
    list of Group
    """
    t, lang = ctx.t, ctx.lang
    seg = simplified(seg)
    cls = _network_class(seg)
    length = num(seg, "length_m")
    length = length.where(length.notna(), seg.geometry.length)
    n_poles = num(seg, "n_poles")
    crossings = num(seg, "road_crossings")
    surface = col(seg, "surface").map(vocab(lang, "surface")).fillna("")
    consent = col(seg, "consent").map(vocab(lang, "consent")).fillna("")
    built = truthy(col(seg, "built", False)).to_numpy()
    duct, locality = col(seg, "duct_id"), col(seg, "locality")
    pool = np.full(len(seg), -1, dtype=np.int64)
    n_pooled = 0
    groups = []
    for c in NETWORK_CLASSES:
        mask = (cls == c).to_numpy() & ~built
        if not mask.any():
            continue
        pool[mask] = n_pooled + np.arange(int(mask.sum()))
        n_pooled += int(mask.sum())
        km = float(length[mask].sum()) / 1000.0
        ctx.summary["network_km"][c] = km
        cols = [
            Col(t["col.length"], length[mask], unit=" m"),
            Col(t["col.poles"], n_poles[mask].where(n_poles[mask] > 0), unit=""),
            Col(t["col.duct"], duct[mask]),
            Col(t["col.surface"], surface[mask]),
            Col(t["col.crossings"], crossings[mask].where(crossings[mask] > 0), unit=""),
            Col(t["col.consent"], consent[mask]),
            Col(t["col.locality"], locality[mask]),
        ]
        spec = layer_spec(seg.geometry[mask], "line", cols=cols, styles=[NETWORK_STYLE[c]], precision=ctx.precision,
                          lang=lang, heading=t[f"net.{c}"])
        if ctx.share_route:
            spec["pool"] = "route"
        groups.append(Group(f"net.{c}", f"{t[f'net.{c}']} ({fmt(km, 1, lang)} km)", spec))
    if built.any():
        aerial = cls.str.startswith("aerial_").to_numpy()
        km_aerial = float(length[built & aerial].sum()) / 1000.0
        km_under = float(length[built & ~aerial].sum()) / 1000.0
        ctx.summary["built_km"] = {"aerial": km_aerial, "underground": km_under}
        kind = cls.map({c: t[f"net.{c}"] for c in NETWORK_CLASSES}).fillna("")
        cols = [
            Col(t["col.kind"], kind[built]),
            Col(t["col.length"], length[built], unit=" m"),
            Col(t["col.poles"], n_poles[built].where(n_poles[built] > 0), unit=""),
            Col(t["col.duct"], duct[built]),
            Col(t["col.locality"], locality[built]),
        ]
        spec = layer_spec(seg.geometry[built], "line", cols=cols,
                          styles=[BUILT_STYLE["aerial"], BUILT_STYLE["underground"]],
                          style_index=(~aerial[built]).astype(int), precision=ctx.precision, lang=lang,
                          heading=t["net.built"])
        pool[built] = n_pooled + np.arange(int(built.sum()))
        if ctx.share_route:
            spec["pool"] = "route"
        groups.append(Group("net.built", f"{t['net.built']} ({fmt(km_aerial + km_under, 1, lang)} km)", spec))
    if ctx.share_route:
        ctx.pools["route"] = pool
    return groups


def _implied_drop_limit(drops: gpd.GeoDataFrame) -> float | None:
    """Contract drop length implied by the long drops (length - over limit), if they agree within 1 m."""
    over = num(drops, "over_limit_m")
    long = over > 0
    if long.any():
        implied = (num(drops, "length_m") - over)[long]
        if float(implied.max() - implied.min()) <= 1.0:
            return float(round(float(implied.median())))
    return None


def drop_groups(drops: gpd.GeoDataFrame, by_id: pd.Series, ctx: Ctx) -> list[Group]:
    """Drops within the contract length, and those beyond it (with their fee).

    The contract length shown is ``ctx.drop_limit_m`` when given, else the one
    the long drops imply (their length minus their length over the limit).

    Parameters
    ----------
    drops
        Drops.
    by_id
        Address label by address id (popup titles).
    ctx
        Builder context; the summary gets the drop counts, fees and limit.

    Returns
    -------
    list of Group
    """
    t, lang = ctx.t, ctx.lang
    drops = simplified(drops)
    limit = ctx.drop_limit_m if ctx.drop_limit_m is not None else _implied_drop_limit(drops)
    limit_text = "" if limit is None else fmt(limit, 0, lang)
    addr = col(drops, "address_id").map(by_id).fillna(col(drops, "address_id")).astype(str)
    length = num(drops, "length_m")
    length = length.where(length.notna(), drops.geometry.length)
    over = num(drops, "over_limit_m")
    fee = num(drops, "fee_pln")
    long = ((over > 0) | (fee > 0)).to_numpy()
    ctx.summary.update(drops=int((~long).sum()), long_drops=int(long.sum()),
                       long_drop_fees=float(fee[long].sum()))
    suffix = "" if limit is not None else ".nolimit"
    ctx.summary["long_drop_label"] = t["layer.long_drops" + suffix].format(limit=limit_text)
    groups = []
    for key, mask, style, heading, name in (
        ("drops", ~long, DROP_STYLE, t["drop"], t["layer.drops"]),
        ("long_drops", long, LONG_DROP_STYLE, t["drop.long" + suffix].format(limit=limit_text),
         ctx.summary["long_drop_label"]),
    ):
        if not mask.any():
            continue
        cols = [
            Col("", addr[mask]),
            Col(t["col.length"], length[mask], unit=" m"),
            Col(t["col.over"], over[mask].where(over[mask] > 0), unit=" m"),
            Col(t["col.fee"], fee[mask].where(fee[mask] > 0), unit=t["unit.pln"]),
        ]
        label_fees = key == "long_drops" and int(mask.sum()) <= _MAX_FEE_LABELS
        spec = layer_spec(drops.geometry[mask], "line", cols=cols, styles=[style], precision=ctx.precision, lang=lang,
                          heading=heading, title=0, tooltip=3 if label_fees else -1)
        groups.append(Group(key, f"{name} ({fmt(int(mask.sum()), 0, lang)})", spec))
    return groups


def pole_groups(poles: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    """Poles used, coloured by owner; switched off at start (they are many).

    Parameters
    ----------
    poles
        Poles used.
    ctx
        Builder context.

    Returns
    -------
    list of Group
    """
    t = ctx.t
    owners = list(POLE_STYLE)
    owner = col(poles, "owner")
    owner = owner.where(owner.isin(owners), "telecom")
    cols = [Col(t["col.id"], col(poles, "id")), Col(t["col.owner"], owner.map(vocab(ctx.lang, "owner")))]
    spec = layer_spec(poles, "point", cols=cols, styles=[POLE_STYLE[o] for o in owners],
                      style_index=owner.map({o: i for i, o in enumerate(owners)}).to_numpy(),
                      precision=ctx.precision, lang=ctx.lang, heading=t["layer.poles"])
    return [Group("poles", f"{t['layer.poles']} ({fmt(len(poles), 0, ctx.lang)})", spec, show=False)]


def duct_groups(ducts: gpd.GeoDataFrame, ctx: Ctx) -> list[Group]:
    """Existing technological ducts.

    Parameters
    ----------
    ducts
        Existing ducts.
    ctx
        Builder context.

    Returns
    -------
    list of Group
    """
    t = ctx.t
    ducts = simplified(ducts)
    cols = [Col(t["col.id"], col(ducts, "id")), Col(t["col.owner"], col(ducts, "owner")),
            Col(t["col.free_subducts"], num(ducts, "free_subducts"), unit="")]
    spec = layer_spec(ducts, "line", cols=cols, styles=[DUCT_STYLE], precision=ctx.precision, lang=ctx.lang,
                      heading=t["layer.ducts"])
    return [Group("ducts", t["layer.ducts"], spec)]
