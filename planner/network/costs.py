"""Prices of the optical network and its bill of materials.

Every item is priced with the ``[network]`` prices ([A] defaults): cabinets,
splitters by ratio, OLT line cards and optics per used port (PON and
point-to-point), the cable premium by size (the route prices of ``[costs]``
already include a ``route_cable_size`` cable, so only the difference per
metre is charged), closures, fusion splices (the drop's own splice is in
``[costs] drop_fixed_pln``) and patch cords.  Each item is booked to the
locality (``simc``) of the node it stands at, so the bill of quantities per
locality gains a ``cost_optical_pln`` column and its totals and cost per home
passed include the optical network (:func:`add_to_bom`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config.network import NetworkConfig

__all__ = ["Bom", "price_network", "add_to_bom", "BOM_ITEM_COLUMNS"]

#: Columns of :attr:`Bom.items`.
BOM_ITEM_COLUMNS: tuple[str, ...] = ("category", "item", "unit", "quantity", "unit_pln", "cost_pln")


@dataclass(frozen=True)
class Bom:
    """The priced bill of materials of one network.

    Attributes
    ----------
    items
        One row per item, :data:`BOM_ITEM_COLUMNS`, with a ``TOTAL`` row.
    by_simc
        Cost per locality code, PLN.
    total_pln
        Cost of the whole optical network.
    """

    items: pd.DataFrame
    by_simc: pd.Series
    total_pln: float


def price_network(*, config: NetworkConfig, cabinet_simc: np.ndarray, splitters: pd.DataFrame,
                  splitter_simc: np.ndarray, olt: pd.DataFrame, pop_simc: dict[str, str],
                  cable_size: np.ndarray, cable_len_m: np.ndarray, cable_simc: np.ndarray,
                  closure_simc: np.ndarray, splices: dict[str, tuple[np.ndarray, np.ndarray]],
                  cabinet_patch: np.ndarray) -> Bom:
    """Price every item and book it to its locality.

    Parameters
    ----------
    config
        Prices.
    cabinet_simc
        Locality of each cabinet.
    splitters, splitter_simc
        Splitters (``ratio``, ``stage``) and the locality of each.
    olt
        The OLT table (``pop_id``, ``pon_ports``, ``pon_cards``, ``p2p_ports``,
        ``p2p_cards``).
    pop_simc
        Locality of each POP.
    cable_size, cable_len_m, cable_simc
        Per route segment: the cable size, length and locality.
    closure_simc
        Locality of each closure.
    splices
        ``place -> (simc, count)`` arrays: fusion splices per group (closure,
        cabinet, POP) and its locality.
    cabinet_patch
        Patch cords per cabinet (splitter outputs patched).

    Returns
    -------
    Bom
    """
    rows: list[dict[str, object]] = []
    book: list[tuple[np.ndarray, np.ndarray]] = []

    def add(category: str, item: str, unit: str, qty: float, unit_pln: float,
            simc: np.ndarray, weights: np.ndarray) -> None:
        rows.append({"category": category, "item": item, "unit": unit, "quantity": float(qty),
                     "unit_pln": float(unit_pln), "cost_pln": float(qty) * float(unit_pln)})
        book.append((np.asarray(simc, dtype=object), np.asarray(weights, dtype=float) * unit_pln))

    nc = cabinet_simc.size
    add("cabinets", "street cabinet", "pcs", nc, config.cabinet_pln, cabinet_simc, np.ones(nc))
    for (stage, ratio), g in splitters.groupby(["stage", "ratio"], sort=True):
        where = "cabinet" if stage == 1 else "closure"
        m = (splitters["stage"] == stage).to_numpy() & (splitters["ratio"] == ratio).to_numpy()
        add("splitters", f"PLC splitter 1:{int(ratio)} ({where})", "pcs", len(g), config.splitter_pln[int(ratio)],
            splitter_simc[m], np.ones(int(m.sum())))
    psimc = np.array([pop_simc.get(str(p), "") for p in olt["pop_id"]], dtype=object)
    add("olt", "GPON line card", "pcs", olt["pon_cards"].sum(), config.olt_card_pln, psimc, olt["pon_cards"])
    add("olt", f"GPON optics {config.optical_class}, per used port", "pcs", olt["pon_ports"].sum(),
        config.olt_port_pln, psimc, olt["pon_ports"])
    if olt["p2p_ports"].sum() > 0:
        add("olt", "point-to-point line card", "pcs", olt["p2p_cards"].sum(), config.p2p_card_pln, psimc,
            olt["p2p_cards"])
        add("olt", "point-to-point optics, per used port", "pcs", olt["p2p_ports"].sum(), config.p2p_port_pln, psimc,
            olt["p2p_ports"])
    base = config.cable_pln_per_m.get(config.route_cable_size, 0.0)
    for s in sorted(int(x) for x in np.unique(cable_size[cable_size > 0])):
        m = cable_size == s
        km = float(cable_len_m[m].sum()) / 1000.0
        prem = max(config.cable_pln_per_m[s] - base, 0.0)
        add("cables", f"cable {s}f (premium over the {config.route_cable_size}f in the route price)", "km", km,
            prem * 1000.0, cable_simc[m], cable_len_m[m] / 1000.0)
    add("closures", "splice closure", "pcs", closure_simc.size, config.closure_pln, closure_simc,
        np.ones(closure_simc.size))
    for place, (ssimc, count) in splices.items():
        count = np.asarray(count, dtype=float)
        add("splices", f"fusion splice ({place})", "pcs", count.sum(), config.splice_pln, ssimc, count)
    n_patch = float(olt["pon_ports"].sum() + olt["p2p_ports"].sum())
    add("patch", "patch cord at the POP (per used OLT port)", "pcs", n_patch, config.patch_cord_pln, psimc,
        (olt["pon_ports"] + olt["p2p_ports"]).to_numpy(dtype=float))
    add("patch", "patch cord in the cabinet (per splitter output used)", "pcs", float(cabinet_patch.sum()),
        config.patch_cord_pln, cabinet_simc, cabinet_patch.astype(float))
    items = pd.DataFrame(rows, columns=list(BOM_ITEM_COLUMNS))
    total = float(items["cost_pln"].sum())
    items = pd.concat([items, pd.DataFrame([{"category": "TOTAL", "item": "", "unit": "", "quantity": np.nan,
                                             "unit_pln": np.nan, "cost_pln": total}])], ignore_index=True)
    simc = np.concatenate([b[0] for b in book]) if book else np.zeros(0, object)
    cost = np.concatenate([b[1] for b in book]) if book else np.zeros(0)
    by_simc = pd.Series(cost).groupby(pd.Series(simc, dtype=object).astype(str)).sum().sort_index()
    return Bom(items=items, by_simc=by_simc, total_pln=total)


def add_to_bom(bom: pd.DataFrame, by_simc: pd.Series) -> pd.DataFrame:
    """The design's bill of quantities with the optical network's cost per locality added.

    Inserts ``cost_optical_pln`` after ``cost_drops_pln`` and adds it to
    ``cost_total_pln`` and ``cost_per_home_pln`` (per locality and in the
    ``TOTAL`` row; cost not bookable to a listed locality goes to the total).
    A ``cost_optical_pln`` already there is replaced.

    Parameters
    ----------
    bom
        :data:`planner.schema.OUT_BOM_COLUMNS` rows per locality plus ``TOTAL``.
    by_simc
        Optical cost per locality code.

    Returns
    -------
    pandas.DataFrame
    """
    out = bom.copy()
    if "cost_optical_pln" in out:  # priced before (a design re-used): replace, do not add twice
        out["cost_total_pln"] = out["cost_total_pln"].to_numpy(dtype=float) - out.pop("cost_optical_pln").to_numpy(
            dtype=float)
    is_total = (out["simc"].astype(str) == "TOTAL").to_numpy()
    opt = out["simc"].astype(str).map(by_simc).fillna(0.0).to_numpy(dtype=float, copy=True)
    opt[is_total] = float(by_simc.sum())
    out.insert(list(out.columns).index("cost_drops_pln") + 1, "cost_optical_pln", opt)
    out["cost_total_pln"] = out["cost_total_pln"].to_numpy(dtype=float) + opt
    hp = out["homes_passed"].to_numpy(dtype=float)
    out["cost_per_home_pln"] = np.where(hp > 0, out["cost_total_pln"].to_numpy(dtype=float) / np.maximum(hp, 1),
                                        np.nan)
    return out
