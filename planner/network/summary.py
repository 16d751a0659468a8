"""Key figures of the network layer and the text ``make demo`` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config import Config

if TYPE_CHECKING:
    from planner.network.build import NetworkResult, _Core

__all__ = ["summary", "format_summary", "report_lines"]


def _address_text(addresses: gpd.GeoDataFrame, address_id: str) -> str:
    row = addresses.loc[addresses["id"].astype(str) == address_id]
    if not len(row):
        return address_id
    r = row.iloc[0]
    street = str(r.get("street", "") or "")
    num = str(r.get("house_number", "") or "")
    loc = str(r.get("locality", "") or "")
    return f"{street} {num}, {loc}" if street else f"{loc} {num}"


def summary(*, core: _Core, loss: pd.DataFrame, bom: pd.DataFrame, bom_naive: pd.DataFrame,
            naive_optical_pln: float, addresses: gpd.GeoDataFrame, config: Config,
            olt: gpd.GeoDataFrame) -> dict[str, Any]:
    """Key figures of one network (JSON-serialisable values).

    Parameters
    ----------
    core
        The network on the shared tree.
    loss
        Its loss budget.
    bom, bom_naive
        Bills of quantities with the optical cost added.
    naive_optical_pln
        Optical cost of the naive alternative (NaN when not priced).
    addresses
        The design's addresses (for the worst address's text).
    config
        The configuration.
    olt
        The OLT layer.

    Returns
    -------
    dict
    """
    nc = config.network
    tree, pl = core.tree, core.placement
    arch = (f"centralised 1:{nc.split_ratio}" if nc.architecture == "centralised"
            else f"cascade 1:{nc.cascade_ratios[0]} x 1:{nc.cascade_ratios[1]}")
    homes = np.bincount(pl.home_cabinet[pl.home_cabinet >= 0], minlength=pl.cabinet_node.size)
    spl = core.ports.splitters
    by_ratio = {f"1:{int(r)} ({'cabinet' if s == 1 else 'closure'})": int(n)
                for (s, r), n in spl.groupby(["stage", "ratio"]).size().items()}
    on = tree.parent >= 0
    km_size = pd.Series(tree.length[on] * core.cabling.parallel[on] / 1000.0).groupby(core.cabling.size[on]).sum()
    km_size = {str(int(k)): round(float(v), 3) for k, v in km_size.items() if k > 0}
    f = core.fibres
    fkm = {k: float((getattr(f, k)[on] * tree.length[on]).sum() / 1000.0) for k in ("feeder", "distribution",
                                                                                    "express")}
    out: dict[str, Any] = {
        "architecture": arch,
        "optical_class": nc.optical_class,
        "budget_db": nc.budget_db,
        "homes": int(len(loss)),
        "express_homes": int(core.express.sum()),
        "pops": int(len(olt)),
        "proposed_pops": int(olt["proposed"].sum()) if len(olt) else 0,
        "pon_ports": int(olt["pon_ports"].sum()) if len(olt) else 0,
        "pon_cards": int(olt["pon_cards"].sum()) if len(olt) else 0,
        "p2p_ports": int(olt["p2p_ports"].sum()) if len(olt) else 0,
        "p2p_cards": int(olt["p2p_cards"].sum()) if len(olt) else 0,
        "olt": [{"pop_id": str(r.pop_id), "pon_ports": int(r.pon_ports), "pon_cards": int(r.pon_cards),
                 "p2p_ports": int(r.p2p_ports), "proposed": bool(r.proposed)} for r in olt.itertuples()],
        "cabinets": int(pl.cabinet_node.size),
        "homes_per_cabinet_min": int(homes.min()) if homes.size else 0,
        "homes_per_cabinet_mean": float(homes.mean()) if homes.size else 0.0,
        "homes_per_cabinet_max": int(homes.max()) if homes.size else 0,
        "splitters_by_ratio": by_ratio,
        "closures": int(len(core.cabling.closures)),
        "closures_with_splitter": int((core.cabling.closures["splitters"] > 0).sum()),
        "splices_closures": core.cabling.splices_closures,
        "splices_cabinets": core.cabling.splices_cabinets,
        "splices_pop": core.cabling.splices_pop,
        "splices_drops": core.cabling.splices_drops,
        "cables": int(len(core.cabling.cables)),
        "km_cable_by_size": km_size,
        "km_cable": float(sum(km_size.values())),
        "fibre_km_feeder": fkm["feeder"],
        "fibre_km_distribution": fkm["distribution"],
        "fibre_km_express": fkm["express"],
        "partition_passes": int(pl.passes),
    }
    if len(loss):
        worst = np.maximum(loss["loss_db_1310"].to_numpy(), loss["loss_db_1490"].to_numpy())
        i = int(np.argmax(worst))
        row = loss.iloc[i]
        wl = 1310 if row["loss_db_1310"] >= row["loss_db_1490"] else 1490
        out.update(worst_loss_db=float(worst[i]), worst_loss_nm=wl, worst_loss_address_id=str(row["address_id"]),
                   worst_loss_address=_address_text(addresses, str(row["address_id"])),
                   worst_loss_fibre_m=float(row["fibre_m"]),
                   over_budget=int((~loss["within_budget"]).sum()), over_reach=int((~loss["within_reach"]).sum()))
    t = bom[bom["simc"].astype(str) == "TOTAL"].iloc[0]
    tn = bom_naive[bom_naive["simc"].astype(str) == "TOTAL"].iloc[0]
    out.update(cost_optical_pln=float(t["cost_optical_pln"]), cost_total_pln=float(t["cost_total_pln"]),
               cost_per_home_pln=float(t["cost_per_home_pln"]),
               naive_cost_optical_pln=float(naive_optical_pln) if np.isfinite(naive_optical_pln) else None,
               naive_cost_total_pln=float(tn["cost_total_pln"]),
               naive_cost_per_home_pln=float(tn["cost_per_home_pln"]))
    return out


def format_summary(net: NetworkResult) -> str:
    """The network section of the plan summary (printed by the CLI and ``make demo``)."""
    s = net.summary
    lines = [f"Optical network (sieć optyczna): {s['architecture']}, optics {s['optical_class']} "
             f"({s['budget_db']:g} dB budget), {s['homes']} homes ({s['express_homes']} on express fibres)"]
    olt = "; ".join(f"{o['pop_id']}{' (proposed)' if o['proposed'] else ''}: {o['pon_ports']} ports / "
                    f"{o['pon_cards']} cards" for o in s["olt"])
    lines.append(f"  OLT: {s['pon_ports']} PON ports on {s['pon_cards']} cards at {s['pops']} POP(s) ({olt})"
                 + (f"; {s['p2p_ports']} point-to-point ports" if s["p2p_ports"] else ""))
    lines.append(f"  cabinets: {s['cabinets']} (homes per cabinet {s['homes_per_cabinet_min']}-"
                 f"{s['homes_per_cabinet_max']}, mean {s['homes_per_cabinet_mean']:.0f})")
    lines.append("  splitters: " + ", ".join(f"{n} x {r}" for r, n in s["splitters_by_ratio"].items()))
    lines.append("  cable km by size: " + ", ".join(f"{k}f {v:.1f}" for k, v in s["km_cable_by_size"].items())
                 + f" (total {s['km_cable']:.1f} km in {s['cables']} cables); fibre-km: feeder "
                 f"{s['fibre_km_feeder']:.0f}, distribution {s['fibre_km_distribution']:.0f}"
                 + (f", express {s['fibre_km_express']:.0f}" if s["fibre_km_express"] else ""))
    lines.append(f"  closures: {s['closures']}"
                 + (f" ({s['closures_with_splitter']} with splitters)" if s["closures_with_splitter"] else "")
                 + f"; fusion splices: {s['splices_closures']} in closures, {s['splices_cabinets']} in cabinets, "
                 f"{s['splices_pop']} at POPs, {s['splices_drops']} at drops")
    if "worst_loss_db" in s:
        lines.append(f"  worst loss: {s['worst_loss_db']:.2f} dB at {s['worst_loss_nm']} nm, "
                     f"{s['worst_loss_address']} ({s['worst_loss_address_id']}, {s['worst_loss_fibre_m'] / 1000:.1f} "
                     f"km of fibre); over budget: {s['over_budget']}; beyond the flat reach: {s['over_reach']}")
    naive = s.get("naive_cost_optical_pln")
    lines.append(f"  optical equipment and cable premium: {s['cost_optical_pln']:,.0f} PLN; cost per home passed "
                 f"incl. optics {s['cost_per_home_pln']:,.0f} PLN"
                 + (f" (naive alternative: optics {naive:,.0f} PLN, {s['naive_cost_per_home_pln']:,.0f} PLN per "
                    "home)" if naive is not None else ""))
    return "\n".join(lines)


def report_lines(net: NetworkResult) -> list[str]:
    """Headline lines of the optical network for the council report (Polish, English in brackets)."""
    s = net.summary
    sizes = ", ".join(f"{k}J {v:.1f} km" for k, v in s["km_cable_by_size"].items())
    lines = [
        f"Sieć optyczna (optical network): {s['architecture']}; OLT {s['pon_ports']} portów PON (PON ports) na "
        f"{s['pon_cards']} kartach (cards); {s['cabinets']} szaf kablowych (street cabinets); "
        f"{s['closures']} muf (closures)",
        f"Kable (cables): {sizes}; najgorsze tłumienie (worst loss) {s.get('worst_loss_db', float('nan')):.1f} dB "
        f"przy budżecie (budget) {s['budget_db']:g} dB ({s['optical_class']}); poza budżetem (over budget): "
        f"{s.get('over_budget', 0)}",
    ]
    if s["proposed_pops"]:
        lines.append(f"POP/OLT zaproponowany przez planer (proposed site): {s['proposed_pops']} — do potwierdzenia")
    return lines
