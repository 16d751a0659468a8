"""Engineer's worklists of a designed plan: the sheets of ``bom.xlsx``.

BOM by locality and milestone, cost summary, distance fees, consents (zgody),
barriers, unconnected points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from planner.network import bom_sheets as network_sheets
from planner.schema import OUT_BOM_COLUMNS

if TYPE_CHECKING:
    from planner.pipeline import Plan

__all__ = ["address_text", "bom_sheets", "consent_worklist", "milestone_names"]


def milestone_names(p: Plan) -> tuple[str, ...]:
    """Milestone names in deadline order (from the schedule, else the config)."""
    if p.schedule is not None and len(p.schedule.milestones):
        m = p.schedule.milestones.sort_values(["deadline", "milestone"], kind="stable")
        return tuple(str(x) for x in m["milestone"])
    return tuple(m.name for m in sorted(p.config.schedule.milestones, key=lambda m: (m.deadline, m.name)))

def address_text(a: pd.DataFrame) -> pd.Series:
    """'Street 12, Locality' or 'Locality 12' where the address has no street."""
    street = a["street"].fillna("").astype(str)
    num = a["house_number"].fillna("").astype(str)
    loc = a["locality"].fillna("").astype(str)
    return pd.Series((street + " " + num + ", " + loc).where(street != "", loc + " " + num), index=a.index)

def _address_texts(addresses: pd.DataFrame, ids: set[str]) -> dict[str, str]:
    """:func:`address_text` of the addresses with these ids (as text), by id."""
    key = addresses["id"].astype(str)
    wanted = key.isin(ids)
    return dict(zip(key[wanted], address_text(addresses[wanted])))

def _milestone_of_simc(p: Plan) -> pd.Series:
    loc = p.localities
    if loc is None or "milestone" not in loc:
        return pd.Series(dtype=object)
    return pd.Series(loc["milestone"].fillna("").astype(str).to_numpy(), index=loc["simc"].astype(str).to_numpy())

def consent_worklist(p: Plan) -> pd.DataFrame:
    """Parcels with a pending consent on the planned route and the addresses that depend on them.

    Pending segments on private roads outside any parcel are listed too, as
    ``parcel_id = "private road, segment N"`` (the road owner must consent).

    An address depends on a parcel when a segment crossing the parcel lies on
    its path from the POP (the segment its drop hangs off, or any segment
    upstream of it through ``parent_id``).

    Returns
    -------
    pandas.DataFrame
        One row per parcel: ``parcel_id, segments`` (';'-joined ids),
        ``length_m, localities, n_addresses, address_ids, addresses``
        (';'-joined), sorted by parcel id.
    """
    cols = ["parcel_id", "segments", "length_m", "localities", "n_addresses", "address_ids", "addresses"]
    seg = p.design.segments
    pend = seg[seg["consent"] == "pending"].copy()
    if not len(pend):
        return pd.DataFrame(columns=cols)
    # a private road outside any parcel needs its owner's consent too: one row per segment
    no_parcel = pend["parcel_id"].fillna("").astype(str) == ""
    pend["parcel_id"] = pend["parcel_id"].fillna("").astype(str).where(
        ~no_parcel, "private road, segment " + pend["segment_id"].astype(int).astype(str))
    pending_parcel = dict(zip(pend["segment_id"].astype(int), pend["parcel_id"].astype(str)))
    # pending parcels on the path POP -> segment, propagated down the tree (parents first)
    order = seg.sort_values(["dist_from_pop_m", "segment_id"], kind="stable")
    on_path: dict[int, frozenset[str]] = {}
    for sid, par in zip(order["segment_id"].astype(int), order["parent_id"].astype(int)):
        up = on_path.get(par, frozenset())
        own = pending_parcel.get(sid)
        on_path[sid] = up | {own} if own else up
    d = p.design.drops
    sid = d["segment_id"].astype(int).to_numpy()
    at_node = sid < 0
    if at_node.any():  # drop at a node: the segment ending there
        seg_of_v = dict(zip(seg["v"].astype(int), seg["segment_id"].astype(int)))
        sid = sid.copy()
        sid[at_node] = [seg_of_v.get(int(n), -1) for n in d["access_node"].to_numpy()[at_node]]
    ids_of: dict[str, set[str]] = {}  # parcel -> the addresses behind it
    for aid, s in zip(d["address_id"].astype(str).tolist(), sid.tolist()):
        for parcel in on_path.get(s, ()):
            ids_of.setdefault(parcel, set()).add(aid)
    text = _address_texts(p.addresses, set().union(*ids_of.values()))
    rows = []
    for parcel, g in pend.groupby("parcel_id", sort=True):
        ids = sorted(ids_of.get(parcel, ()))
        rows.append({
            "parcel_id": parcel,
            "segments": ";".join(str(x) for x in sorted(g["segment_id"].astype(int))),
            "length_m": float(g["length_m"].sum()),
            "localities": ";".join(sorted(g["locality"].astype(str).unique())),
            "n_addresses": len(ids),
            "address_ids": ";".join(ids),
            "addresses": "; ".join(text.get(i, i) for i in ids),
        })
    return pd.DataFrame(rows, columns=cols)

def bom_sheets(p: Plan) -> dict[str, pd.DataFrame]:
    """The tables of ``bom.xlsx``, sheet name -> table.

    BOM by locality (with the milestone), BOM by milestone, cost summary
    (shared tree vs naive union, saving %), distance-fee list, consent
    worklist (:func:`consent_worklist`), barrier list and the unconnected
    points.
    """
    d = p.design
    ms = _milestone_of_simc(p)
    bom = d.bom.copy()
    is_total = bom["simc"] == "TOTAL"
    bom.insert(2, "milestone", bom["simc"].astype(str).map(ms).fillna("").where(~is_total, ""))
    num = [c for c in OUT_BOM_COLUMNS if c not in ("simc", "locality", "cost_per_home_pln")]
    by_ms = bom[~is_total].groupby("milestone", sort=False)[num].sum()
    order = [m for m in milestone_names(p) if m in by_ms.index] + sorted(set(by_ms.index) - set(milestone_names(p)))
    by_ms = by_ms.reindex(order)
    by_ms.loc["RAZEM (total)"] = bom.loc[is_total, num].sum() if is_total.any() else by_ms.sum()
    hp = by_ms["homes_passed"].replace(0, float("nan"))
    by_ms["cost_per_home_pln"] = by_ms["cost_total_pln"] / hp
    by_ms = by_ms.reset_index().rename(columns={"index": "milestone"})
    if p.schedule is not None:
        dl = dict(zip(p.schedule.milestones["milestone"], p.schedule.milestones["deadline"]))
        by_ms.insert(1, "deadline", pd.to_datetime(by_ms["milestone"].map(dl)))

    t = d.bom.iloc[-1]
    tn = d.bom_naive.iloc[-1]
    rows = []
    for key, label in (("cost_network_pln", "Koszt sieci (network cost), PLN"),
                       ("cost_drops_pln", "Koszt przyłączy (drops), PLN"),
                       ("cost_total_pln", "Koszt całkowity (total), PLN"),
                       ("cost_per_home_pln", "Koszt na gospodarstwo (cost per home passed), PLN"),
                       ("homes_passed", "Punkty podłączone (homes passed)")):
        tree, naive = float(t[key]), float(tn[key])
        rows.append({"pozycja (item)": label, "drzewo (shared tree)": tree, "naiwny (naive union)": naive,
                     "oszczędność (saving)": naive - tree,
                     "oszczędność % (saving %)": (100.0 * (naive - tree) / naive) if naive else 0.0})
    cost = pd.DataFrame(rows)

    dr = d.drops[d.drops["over_limit_m"] > 0].sort_values(["locality", "address_id"], kind="stable")
    un = d.unconnected.sort_values(["locality", "address_id"], kind="stable")
    text = _address_texts(p.addresses, {*dr["address_id"].astype(str), *un["address_id"].astype(str)})
    fees = pd.DataFrame({
        "address_id": dr["address_id"].astype(str).to_numpy(),
        "address": [text.get(i, "") for i in dr["address_id"].astype(str)],
        "locality": dr["locality"].to_numpy(),
        "drop_length_m": dr["length_m"].to_numpy(dtype=float),
        "contract_m": float(p.config.design.drop_contract_max_m),
        "excess_m": dr["over_limit_m"].to_numpy(dtype=float),
        "fee_pln": dr["fee_pln"].to_numpy(dtype=float),
    })
    bar = p.addresses[p.addresses["is_barrier"].astype(bool)].sort_values(["locality", "id"], kind="stable")
    barriers = pd.DataFrame({"address_id": bar["id"].astype(str).to_numpy(), "address": address_text(bar).to_numpy(),
                             "locality": bar["locality"].to_numpy(), "reason": bar["barrier_reason"].to_numpy()})
    unconnected = pd.DataFrame({"address_id": un["address_id"].astype(str).to_numpy(),
                                "address": [text.get(i, "") for i in un["address_id"].astype(str)],
                                "locality": un["locality"].to_numpy(), "reason": un["reason"].to_numpy(),
                                "detail": un["detail"].to_numpy() if "detail" in un else ""})
    sheets = {
        "BOM wg miejscowości": bom,
        "BOM wg kamieni milowych": by_ms,
        "Koszty (cost summary)": cost,
        "Opłaty za odległość": fees,
        "Zgody (consents)": consent_worklist(p),
        "Bariery (barriers)": barriers,
        "Niepodłączone": unconnected,
    }
    if p.network is not None:  # "cables", "cabinets", "splitters", "optical BOM"
        sheets.update(network_sheets(p.network))
    return sheets
