"""The optical network in the address popups of the councillor map (issue #16): fields and the budget.

Every address the network connects gets, in its popup, its street cabinet,
splitter and port, OLT port, optical loss at 1310 and 1490 nm and whether it
has a dedicated fibre; where the optical budget is known (the plan's loss
budget table, or ``within_budget`` on the addresses), whether it is within
it, with the headroom, or over it, by how much, why and what fixes it (the
cause and fix of :mod:`planner.network.loss`, put into Polish phrase by
phrase).  Addresses over the budget also get a red ring in a layer of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner import styles
from planner.maps.columns import col, fmt, num, truthy
from planner.maps.encoding import Col, Group, layer_spec
from planner.maps.plan_layers import Ctx

__all__ = ["OVER_BUDGET_STYLE", "address_network_cols", "budget_by_address", "over_budget_groups"]

#: A red ring around an address point over the optical budget (drawn over the points).
OVER_BUDGET_STYLE: dict[str, Any] = {"radius": 8, "color": styles.OVER_BUDGET_COLOUR, "weight": 2.5, "fill": False}

#: English phrases of the loss budget's ``cause`` and ``fix`` (:mod:`planner.network.loss`) -> text keys.
_LOSS_PHRASES: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    (re.compile(r"([\d.]+) km of fibre \(([\d.]+) dB\)"), "loss.fibre", ("km", "db")),
    (re.compile(r"(1:\d+(?: x 1:\d+)*) split \(([\d.]+) dB\)"), "loss.split", ("split", "db")),
    (re.compile(r"of which (\d+) m detour through the cabinet"), "loss.detour", ("m",)),
    (re.compile(r"move cabinet (\S+) towards the address or serve it from another cabinet"), "loss.fix.move",
     ("cabinet",)),
    (re.compile(r"use C\+ optics \((\d+) dB\)"), "loss.fix.optics", ("db",)),
    (re.compile(r"lower the last split to (1:\d+) \(saves ([\d.]+) dB\)"), "loss.fix.split", ("split", "db")),
    (re.compile(r"add a POP/OLT nearer the address"), "loss.fix.pop", ()),
)


def _loss_text(text: str, t: Mapping[str, str], lang: str) -> str:
    """A cause or fix of the loss budget in the map's language (unknown phrases as they are)."""
    if lang == "en" or not text:
        return text
    for pattern, key, names in _LOSS_PHRASES:
        def repl(m: re.Match[str], key: str = key, names: tuple[str, ...] = names) -> str:
            values = {n: (v.replace(".", ",") if re.fullmatch(r"[\d.]+", v) else v) for n, v in zip(names, m.groups())}
            return t[key].format(**values)

        text = pattern.sub(repl, text)
    return text


def budget_by_address(a: gpd.GeoDataFrame, loss_budget: pd.DataFrame | None) -> pd.DataFrame | None:
    """The optical budget of each address: ``within_budget`` (bool or NA), ``headroom_db``, ``cause``, ``fix``.

    Taken from the addresses' own columns where they carry ``within_budget``,
    else from the plan's loss budget table (``loss_budget.csv``, by
    ``address_id``).

    Parameters
    ----------
    a
        Address points (``id``).
    loss_budget
        The loss budget table, if any.

    Returns
    -------
    pandas.DataFrame or None
        Indexed like ``a``; ``None`` when neither gives the budget.
    """
    if "within_budget" in a.columns:
        src = pd.DataFrame(a.drop(columns="geometry"))
        ok = src["within_budget"]
    elif loss_budget is not None:
        lb = loss_budget.drop_duplicates("address_id", keep="first")
        src = lb.set_index(lb["address_id"].astype(str)).reindex(col(a, "id").to_numpy())
        src.index = a.index
        ok = src["within_budget"]
    else:
        return None
    known = ok.notna() & (ok.astype(str).str.strip() != "")
    within = truthy(ok.where(known, False)).astype("boolean").where(known, pd.NA)
    return pd.DataFrame({"within_budget": within, "headroom_db": num(src, "headroom_db"),
                         "cause": col(src, "cause"), "fix": col(src, "fix")}, index=a.index)


def address_network_cols(a: gpd.GeoDataFrame, budget: pd.DataFrame | None, ctx: Ctx) -> list[Col]:
    """Popup fields of the optical network for every address (none without its columns).

    Cabinet, splitter and port, OLT port, loss at 1310 and 1490 nm, dedicated
    fibre and, where the budget is known, whether the address is within it
    (with the headroom, or the excess with its cause and fix).

    Parameters
    ----------
    a
        Address points, with the columns of :data:`planner.schema.OUT_ADDRESS_NETWORK_COLUMNS`
        when the plan has a network.
    budget
        :func:`budget_by_address`, if known.
    ctx
        Builder context.

    Returns
    -------
    list of Col
        One value per address; ``''`` / NaN where it does not apply.
    """
    t, lang = ctx.t, ctx.lang
    cols: list[Col] = []
    if "cabinet_id" in a.columns:
        cols.append(Col(t["col.cabinet"], col(a, "cabinet_id")))
    if "splitter_id" in a.columns:
        sid = col(a, "splitter_id")
        port = num(a, "splitter_port")
        head, mid = t["splitter.port"].replace("{splitter}", "\x00").replace("{port}", "\x01").split("\x00")
        mid, tail = mid.split("\x01")
        with_port = head + sid + mid + port.fillna(0).astype("int64").astype(str) + tail
        cols.append(Col(t["col.splitter"], sid.where((sid == "") | ~(port > 0), with_port)))
    if "olt_port" in a.columns:
        cols.append(Col(t["col.olt_port"], col(a, "olt_port")))
    for c, key in (("loss_db_1310", "col.loss_1310"), ("loss_db_1490", "col.loss_1490")):
        if c in a.columns:
            cols.append(Col(t[key], num(a, c), unit=" dB", decimals=2))
    if "express_fibre" in a.columns:
        cols.append(Col(t["col.express"], pd.Series(np.where(truthy(col(a, "express_fibre", False)), t["yes"], ""),
                                                      index=a.index)))
    if budget is not None:
        cols += _budget_cols(budget, t, lang)
    return cols


def _budget_cols(budget: pd.DataFrame, t: Mapping[str, str], lang: str) -> list[Col]:
    """Within the budget (with the headroom) or over it (by how much, why, and the fix)."""
    known = budget["within_budget"].notna().to_numpy()
    ok = budget["within_budget"].fillna(False).astype(bool).to_numpy()
    head = budget["headroom_db"]
    ok_text = head.map(lambda h: t["budget.ok.plain"] if pd.isna(h)
                       else t["budget.ok"].format(headroom=fmt(h, 1, lang)))
    over_text = head.map(lambda h: t["budget.over.plain"] if pd.isna(h)
                         else t["budget.over"].format(over=fmt(-h, 1, lang)))
    state = pd.Series(np.where(known, np.where(ok, ok_text, over_text), ""), index=budget.index)
    over = known & ~ok
    cause = budget["cause"].map(lambda s: _loss_text(s, t, lang)).where(over, "")
    fix = budget["fix"].map(lambda s: _loss_text(s, t, lang)).where(over, "")
    return [Col(t["col.budget"], state), Col(t["col.cause"], cause), Col(t["col.fix"], fix)]


def over_budget_groups(a: gpd.GeoDataFrame, label: pd.Series, budget: pd.DataFrame | None,
                       cols: list[Col], ctx: Ctx) -> list[Group]:
    """A red ring around each address over the optical budget, with its network popup.

    Parameters
    ----------
    a
        Address points (sorted like ``label``).
    label
        Their labels.
    budget
        :func:`budget_by_address`, if known.
    cols
        The addresses' network fields (:func:`address_network_cols`).
    ctx
        Builder context; ``summary['optical']['over_budget']`` gets the count.

    Returns
    -------
    list of Group
        Empty when the budget is unknown or every address is within it.
    """
    if budget is None:
        return []
    t, lang = ctx.t, ctx.lang
    over = (budget["within_budget"].notna() & ~budget["within_budget"].fillna(True).astype(bool)).to_numpy()
    n = int(over.sum())
    ctx.summary.setdefault("optical", {})["over_budget"] = n
    if n == 0:
        return []
    fields = [Col("", label[over])] + [Col(c.label, c.values[over], c.unit, c.decimals) for c in cols]
    spec = layer_spec(a.geometry[over], "point", cols=fields, styles=[OVER_BUDGET_STYLE], precision=ctx.precision,
                      lang=lang, heading=t["over_budget"], title=0)
    return [Group("over_budget", f"{t['layer.over_budget']} ({fmt(n, 0, lang)})", spec)]
