"""Bill of quantities per locality and the design's key figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planner.routing import SteinerResult
from planner.schema import OUT_BOM_COLUMNS, POLE_OWNERS

__all__ = ["bill_of_quantities", "summary_figures"]


def bill_of_quantities(segments: pd.DataFrame, drops: pd.DataFrame, localities: pd.DataFrame) -> pd.DataFrame:
    """Bill of quantities per locality plus a ``TOTAL`` row.

    Parameters
    ----------
    segments
        Segments with ``simc, deployment, pole_owner, surface, length_m,
        road_crossings, cost_pln`` and ``poles_<owner>`` counts.
    drops
        Drops with ``simc, length_m, slack_m, over_limit_m, fee_pln, cost_pln``
        and ``road_crossings``.
    localities
        ``simc, locality`` of every locality to list (sorted by ``simc``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`planner.schema.OUT_BOM_COLUMNS`.
    """
    s, d = segments, drops
    km = s["length_m"].to_numpy(dtype=float) / 1000.0
    dep = s["deployment"].to_numpy(dtype=object)
    sf = pd.DataFrame({"simc": s["simc"].to_numpy(dtype=object)})
    for o in POLE_OWNERS:
        sf[f"km_aerial_{o}"] = np.where((dep == "aerial") & (s["pole_owner"].to_numpy(dtype=object) == o), km, 0.0)
    sf["km_duct"] = np.where(dep == "duct", km, 0.0)
    for sur in ("unpaved", "paved", "carriageway"):
        sf[f"km_trench_{sur}"] = np.where((dep == "trench") & (s["surface"].to_numpy(dtype=object) == sur), km, 0.0)
    sf["road_crossings"] = s["road_crossings"].to_numpy(dtype=np.int64)
    for o in POLE_OWNERS:
        sf[f"poles_{o}"] = s[f"poles_{o}"].to_numpy(dtype=np.int64)
    sf["cost_network_pln"] = s["cost_pln"].to_numpy(dtype=float)
    df = pd.DataFrame({
        "simc": d["simc"].to_numpy(dtype=object),
        "road_crossings": d["road_crossings"].to_numpy(dtype=np.int64),
        "drops": np.ones(len(d), dtype=np.int64),
        "km_drops": d["length_m"].to_numpy(dtype=float) / 1000.0,
        "km_slack": d["slack_m"].to_numpy(dtype=float) / 1000.0,
        "long_drops": (d["over_limit_m"].to_numpy(dtype=float) > 0).astype(np.int64),
        "distance_fees_pln": d["fee_pln"].to_numpy(dtype=float),
        "cost_drops_pln": d["cost_pln"].to_numpy(dtype=float),
        "homes_passed": np.ones(len(d), dtype=np.int64),
    })
    allrows = pd.concat([sf, df], ignore_index=True)
    num = [c for c in OUT_BOM_COLUMNS if c not in ("simc", "locality", "cost_total_pln", "cost_per_home_pln")]
    allrows = allrows.reindex(columns=["simc"] + num)
    ints = [c for c in num if c.startswith(("poles_", "road_crossings", "drops", "long_drops", "homes_passed"))]
    allrows[num] = allrows[num].fillna(0)
    per = allrows.groupby("simc", sort=True)[num].sum()
    names = localities.drop_duplicates("simc").set_index("simc")["locality"]
    simcs = sorted(set(names.index.astype(str)) | set(per.index.astype(str)))
    per = per.reindex(simcs, fill_value=0)
    total = allrows[num].sum().to_frame("TOTAL").T
    out = pd.concat([per, total])
    out[ints] = out[ints].astype(np.int64)
    out["cost_total_pln"] = out["cost_network_pln"] + out["cost_drops_pln"]
    hp = out["homes_passed"].to_numpy(dtype=float)
    out["cost_per_home_pln"] = np.where(hp > 0, out["cost_total_pln"].to_numpy(dtype=float) / np.maximum(hp, 1), np.nan)
    out.index.name = "simc"
    out = out.reset_index()
    lookup = {str(k): str(v) for k, v in names.items()}
    out["locality"] = np.array([lookup.get(str(x), "") for x in out["simc"]], dtype=object)  # one per locality
    out.loc[out["simc"] == "TOTAL", "locality"] = ""
    out["simc"] = out["simc"].astype(object)
    return out[list(OUT_BOM_COLUMNS)].reset_index(drop=True)


def summary_figures(bom: pd.DataFrame, bom_naive: pd.DataFrame, segments: pd.DataFrame, reason: np.ndarray,
                    n_targets: int, unshared: float, search: SteinerResult | None = None) -> dict[str, Any]:
    """Key figures of a design (km by type, costs, savings, counts) for :attr:`DesignResult.summary`."""
    t = bom.iloc[-1]
    tn = bom_naive.iloc[-1]
    km_aerial = float(sum(t[f"km_aerial_{o}"] for o in POLE_OWNERS))
    km_trench = float(t["km_trench_unpaved"] + t["km_trench_paved"] + t["km_trench_carriageway"])
    km_duct = float(t["km_duct"])
    net, naive = float(t["cost_network_pln"]), float(tn["cost_network_pln"])
    reasons = pd.Series(reason[reason != ""]).value_counts().sort_index()
    out: dict[str, Any] = {
        "targets": int(n_targets),
        "connected": int(t["homes_passed"]),
        "unconnected": int((reason != "").sum()),
        "unconnected_by_reason": {str(k): int(v) for k, v in reasons.items()},
        "segments": int(len(segments)),
        "km_network": km_aerial + km_duct + km_trench,
        "km_aerial": km_aerial,
        "km_duct": km_duct,
        "km_trench": km_trench,
        "km_underground": km_duct + km_trench,
        "km_drops": float(t["km_drops"]),
        "km_slack": float(t["km_slack"]),
        "road_crossings": int(t["road_crossings"]),
        "long_drops": int(t["long_drops"]),
        "distance_fees_pln": float(t["distance_fees_pln"]),
        "pending_consent_segments": int((segments["consent"] == "pending").sum()),
        "cost_network_pln": net,
        "cost_drops_pln": float(t["cost_drops_pln"]),
        "cost_total_pln": float(t["cost_total_pln"]),
        "cost_per_home_pln": float(t["cost_per_home_pln"]),
        "naive_cost_network_pln": naive,
        "naive_cost_total_pln": float(tn["cost_total_pln"]),
        "naive_km_network": float(sum(tn[f"km_aerial_{o}"] for o in POLE_OWNERS) + tn["km_duct"]
                                  + tn["km_trench_unpaved"] + tn["km_trench_paved"] + tn["km_trench_carriageway"]),
        "saving_pct": (100.0 * (naive - net) / naive) if naive > 0 else 0.0,
        "unshared_cost_network_pln": unshared,
        "saving_vs_unshared_pct": (100.0 * (unshared - net) / unshared) if unshared > 0 else 0.0,
    }
    if search is not None:
        # issue #17: the Steiner tree (before the reach repair), a lower bound of the cheapest
        # tree and the certified gap; the repaired network is compared with the same bound
        # (valid: the reach limit can only raise the optimum)
        lb = search.lower_bound
        out.update({
            "steiner_tree_cost_pln": search.cost,
            "steiner_lower_bound_pln": lb,
            "steiner_gap_pct": 100.0 * search.gap,
            "network_gap_pct": 100.0 * (net - lb) / lb if lb > 0 else 0.0,
            "steiner_reduced_edges": int(search.stats.get("reduced_edges", 0)),
            "steiner_starts": int(search.stats.get("starts", 0)),
            "steiner_local_rounds": int(search.stats.get("local_rounds", 0)),
        })
    return out
