"""The plain-text summary of a plan (printed by the CLI and ``make demo``, written to ``summary.txt``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.network import format_summary as network_summary

if TYPE_CHECKING:
    from planner.pipeline import Plan

__all__ = ["format_summary"]


def format_summary(p: Plan) -> str:
    """A short human-readable summary (printed by the CLI and ``make demo``).

    White spots per locality, the bill of quantities of the shared tree against
    the naive alternative, and milestone compliance per locality.
    """
    s = p.summary()
    lines = [f"Area {s['area']}: {s['address_points']} address points ({s['businesses']} businesses)"]
    if "white_spots" in s:
        lines += [
            "",
            f"White spots (białe plamy): {s['white_spots']} ({s['white_spot_businesses']} businesses); "
            f"grey {s['grey']}, black {s['black']}; investment barriers {s['barriers']}; to connect {s['targets']}",
        ]
        cols = ["commune", "locality", "simc", "points", "businesses", "white", "grey", "black", "barriers", "targets"]
        lines.append(p.localities[[c for c in cols if c in p.localities]].to_string(index=False))
    if p.design is not None:
        lines += ["", _format_bom(p)]
    if p.network is not None:  # OLT ports, cabinets, splitters, cables, worst loss
        lines += ["", network_summary(p.network)]
    if p.schedule is not None:
        sch = p.schedule
        lines += ["", "Milestones (kamienie milowe):", sch.milestones.to_string(index=False)]
        comp = sch.compliance
        cols = ["milestone", "deadline", "locality", "simc", "targets", "pct_passed", "ok", "slack_days",
                "missing_reason"]
        lines += ["", f"Compliance by locality (>= {100 * p.config.schedule.pass_threshold:.0f} % passed by the "
                      "deadline):",
            comp[[c for c in cols if c in comp]].to_string(index=False)]
        verdict = "all milestones met" if sch.feasible else (
            f"NOT all milestones met; binding constraint: {sch.binding_constraint}; "
            f"smallest crews that meet them: {sch.min_crews}")
        lines.append(f"Schedule: {verdict}")
        if getattr(sch, "progress_summary", None) is not None:
            lines += ["", sch.progress_summary.to_text()]
    return "\n".join(lines)

def _format_bom(p: Plan) -> str:
    """Bill of quantities (total row) of the shared tree next to the naive alternative."""
    d = p.design
    tree = d.bom[d.bom["simc"] == "TOTAL"].iloc[0]
    naive = d.bom_naive[d.bom_naive["simc"] == "TOTAL"].iloc[0]
    rows = [
        ("aerial on commune lighting poles, km", "km_aerial_commune_lighting", "{:.2f}"),
        ("aerial on telecom poles, km", "km_aerial_telecom", "{:.2f}"),
        ("aerial on power poles, km", "km_aerial_power", "{:.2f}"),
        ("existing duct reused, km", "km_duct", "{:.2f}"),
        ("trench unpaved, km", "km_trench_unpaved", "{:.2f}"),
        ("trench paved, km", "km_trench_paved", "{:.2f}"),
        ("trench under carriageway, km", "km_trench_carriageway", "{:.2f}"),
        ("road crossings", "road_crossings", "{:.0f}"),
        ("poles used: lighting / telecom / power", None, None),
        ("drops (count)", "drops", "{:.0f}"),
        ("drops, km", "km_drops", "{:.2f}"),
        ("slack at the fence, km", "km_slack", "{:.2f}"),
        ("drops over the contract length", "long_drops", "{:.0f}"),
        ("distance fees, PLN", "distance_fees_pln", "{:,.0f}"),
        ("network cost, PLN", "cost_network_pln", "{:,.0f}"),
        ("drop cost, PLN", "cost_drops_pln", "{:,.0f}"),
        ("total cost, PLN", "cost_total_pln", "{:,.0f}"),
        ("homes passed", "homes_passed", "{:.0f}"),
        ("cost per home passed, PLN", "cost_per_home_pln", "{:,.0f}"),
    ]
    if "cost_optical_pln" in tree:  # the optical network's cost is part of the total
        rows.insert(next(i for i, r in enumerate(rows) if r[1] == "cost_total_pln"),
                    ("optical network (equipment, cables), PLN", "cost_optical_pln", "{:,.0f}"))
    out = ["Bill of quantities        shared tree | naive union of per-address paths"]
    for label, col, fmt in rows:
        if col is None or fmt is None:  # the pole counts
            a = " / ".join(f"{tree[c]:.0f}" for c in ("poles_commune_lighting", "poles_telecom", "poles_power"))
            b = " / ".join(f"{naive[c]:.0f}" for c in ("poles_commune_lighting", "poles_telecom", "poles_power"))
        else:
            a, b = fmt.format(tree[col]), fmt.format(naive[col])
        out.append(f"  {label:<40} {a:>16} | {b}")
    sm = d.summary
    out.append(f"  shared tree saves {sm.get('saving_pct', float('nan')):.1f} % of the network cost of the naive "
               "union; "
               f"unconnected targets: {sm.get('unconnected', 0)} {sm.get('unconnected_by_reason', {})}")
    if "steiner_lower_bound_pln" in sm:  # the shared tree against its own lower bound (dual ascent)
        out.append(f"  Steiner tree {sm['steiner_tree_cost_pln']:,.0f} PLN, lower bound "
                   f"{sm['steiner_lower_bound_pln']:,.0f} "
                   f"PLN: certified gap {sm['steiner_gap_pct']:.3f} % (network after the reach repair: "
                   f"{sm.get('network_gap_pct', float('nan')):.2f} % above the bound)")
    return "\n".join(out)
