"""Optical loss budget of every connected address.

For each home, at 1310 nm (upstream) and 1490 nm (downstream)::

    loss = fibre_km x attenuation + sum(splitter insertion losses)
           + connectors x connector_loss + splices x splice_loss + margin

against the budget of the optical class (B+ 28 dB, C+ 32 dB).  The fibre
length is the home's real fibre path -- POP to cabinet (to closure) to the
access node, which turns back where the cabinet stands below the home's
branch point -- plus the drop.  Splices on the path: one at the POP (the
ODF pigtail), one wherever the fibre changes cable (closures, cabinets passed
through), two at the cabinet (splitter input and output pigtail) and two at a
closure splitter, and the drop splice.  Express fibres skip the splitters and
the cabinet splices.

An address over budget gets the cause (its fibre length and split, and the
detour through a cabinet placed beyond its branch point) and the fixes that
each alone bring it within budget, the first recommended: move the cabinet
(when the detour is enough), C+ optics (from B+), lower the last split; else
a POP/OLT nearer the address.  The flat
``[design] max_reach_m`` stays as a secondary check (``within_reach``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.config.network import OPTICAL_CLASS_BUDGET_DB, NetworkConfig
from planner.schema import OUT_LOSS_BUDGET_COLUMNS

__all__ = ["LossInputs", "loss_budget"]

@dataclass(frozen=True)
class LossInputs:
    """Per-home quantities the budget needs (arrays in home order).

    Attributes
    ----------
    address_id, cabinet_id, splitter_id, olt_port
        Identification (``""`` where not applicable).
    express
        Dedicated unsplit fibre.
    path_m
        Fibre length from the POP to the access node along the fibre's path.
    route_m
        Route distance from the POP to the access node (no detour).
    drop_m
        Drop length.
    cable_changes
        Cable changes (splices) along the path, outside the cabinet and closure.
    """

    address_id: np.ndarray
    cabinet_id: np.ndarray
    splitter_id: np.ndarray
    olt_port: np.ndarray
    express: np.ndarray
    path_m: np.ndarray
    route_m: np.ndarray
    drop_m: np.ndarray
    cable_changes: np.ndarray


def loss_budget(inp: LossInputs, config: NetworkConfig, max_reach_m: float) -> pd.DataFrame:
    """Loss at 1310 and 1490 nm of every home against the optical class.

    Parameters
    ----------
    inp
        Per-home quantities.
    config
        The ``[network]`` section (losses, class, margin).
    max_reach_m
        The flat reach of ``[design]`` (secondary check).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUT_LOSS_BUDGET_COLUMNS`, sorted by address id.
    """
    ex = np.asarray(inp.express, dtype=bool)
    fibre = inp.path_m + inp.drop_m
    km = fibre / 1000.0
    ratios = config.ratios
    split_loss = float(sum(config.splitter_loss_db[r] for r in ratios))
    il = np.where(ex, 0.0, split_loss)
    stage_splices = 2 * len(ratios)          # cabinet: in + out pigtail; closure splitter: in + out
    splices = 1 + inp.cable_changes + np.where(ex, 0, stage_splices) + 1
    conn = np.full(ex.size, config.connectors_per_path, dtype=np.int64)
    fixed = il + conn * config.connector_loss_db + splices * config.splice_loss_db + config.margin_db
    l1310 = km * config.fibre_loss_db_per_km_1310 + fixed
    l1490 = km * config.fibre_loss_db_per_km_1490 + fixed
    budget = config.budget_db
    worst = np.maximum(l1310, l1490)
    ok = worst <= budget + 1e-9
    over = worst - budget
    detour = np.maximum(inp.path_m - inp.route_m, 0.0)
    att = max(config.fibre_loss_db_per_km_1310, config.fibre_loss_db_per_km_1490)
    detour_db = detour / 1000.0 * att
    cause = np.full(ex.size, "", dtype=object)
    fix = np.full(ex.size, "", dtype=object)
    last = ratios[-1]
    lower = [r for r in sorted(config.splitter_loss_db) if r < last]
    gain_split = (config.splitter_loss_db[last] - config.splitter_loss_db[lower[-1]]) if lower else 0.0
    split_text = " x ".join(f"1:{r}" for r in ratios)
    for i in np.flatnonzero(~ok):
        text = f"{km[i]:.1f} km of fibre ({km[i] * att:.1f} dB)"
        if not ex[i]:
            text += f", {split_text} split ({il[i]:.1f} dB)"
        if detour[i] > 0:
            text += f", of which {detour[i]:.0f} m detour through the cabinet"
        fixes = []
        if detour_db[i] >= over[i]:
            fixes.append(f"move cabinet {inp.cabinet_id[i]} towards the address or serve it from another cabinet")
        if config.optical_class == "B+" and worst[i] <= OPTICAL_CLASS_BUDGET_DB["C+"] + 1e-9:
            fixes.append("use C+ optics (32 dB)")
        if not ex[i] and lower and gain_split >= over[i]:
            fixes.append(f"lower the last split to 1:{lower[-1]} (saves {gain_split:.1f} dB)")
        if not fixes:
            fixes.append("add a POP/OLT nearer the address")
        cause[i] = text
        fix[i] = "; ".join(fixes)
    out = pd.DataFrame({
        "address_id": np.asarray(inp.address_id, dtype=object),
        "cabinet_id": np.asarray(inp.cabinet_id, dtype=object),
        "splitter_id": np.asarray(inp.splitter_id, dtype=object),
        "olt_port": np.asarray(inp.olt_port, dtype=object),
        "express_fibre": ex,
        "fibre_m": np.round(fibre, 1),
        "route_m": np.round(inp.route_m + inp.drop_m, 1),
        "detour_m": np.round(detour, 1),
        "splitter_loss_db": il,
        "connectors": conn,
        "splices": splices.astype(np.int64),
        "loss_db_1310": np.round(l1310, 2),
        "loss_db_1490": np.round(l1490, 2),
        "budget_db": budget,
        "headroom_db": np.round(budget - worst, 2),
        "within_budget": ok,
        "within_reach": fibre <= max_reach_m + 1e-9,
        "cause": cause,
        "fix": fix,
    })
    return out.sort_values("address_id", kind="stable").reset_index(drop=True)[list(OUT_LOSS_BUDGET_COLUMNS)]
