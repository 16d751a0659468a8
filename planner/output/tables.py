"""The layers and tables of a plan directory, in a stable order: what every writer writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from planner.network import plan_layers as network_layers
from planner.network import plan_tables as network_tables

if TYPE_CHECKING:
    from planner.pipeline import Plan

__all__ = ["plan_layers", "plan_tables"]


def plan_layers(p: Plan) -> dict[str, gpd.GeoDataFrame]:
    """Spatial layers of a plan, in the working CRS, in a stable order."""
    layers: dict[str, gpd.GeoDataFrame] = {
        "addresses": p.addresses.sort_values("id", kind="stable").reset_index(drop=True),
        "localities": p.localities,
        "pops": p.area.pops,
        "ducts": p.area.layers["ducts"],
    }
    if p.design is not None:
        layers["segments"] = p.design.segments
        layers["drops"] = p.design.drops
        used: set[str] = set()
        for ids in p.design.segments["pole_ids"]:
            if ids:
                used.update(ids.split(";"))
        poles = p.area.layers["poles"]
        layers["poles_used"] = poles[poles["id"].isin(used)].sort_values("id").reset_index(drop=True)
    if p.network is not None:  # cabinets (with service areas), cables, closures, OLTs
        layers.update(network_layers(p.network))
    return layers

def plan_tables(p: Plan) -> dict[str, pd.DataFrame]:
    """Non-spatial tables of a plan (written as CSV)."""
    a = p.addresses.sort_values("id", kind="stable")
    tables: dict[str, pd.DataFrame] = {
        "addresses": pd.DataFrame(a.drop(columns="geometry")).assign(x=a.geometry.x.round(2), y=a.geometry.y.round(2)),
        "localities": pd.DataFrame(p.localities.drop(columns="geometry")),
    }
    ws = p.whitespots
    if ws is not None:
        if ws.official_diff is not None:
            tables["official_diff"] = ws.official_diff
        if ws.reallocation is not None:
            tables["reallocation"] = ws.reallocation
    if p.design is not None:
        d = p.design
        tables["bom"] = d.bom
        tables["bom_naive"] = d.bom_naive
        tables["unconnected"] = d.unconnected
        tables["segments"] = pd.DataFrame(d.segments.drop(columns="geometry"))
        tables["drops"] = pd.DataFrame(d.drops.drop(columns="geometry"))
    if p.network is not None:  # cables.csv, cabinets.csv, loss_budget.csv, ...
        tables.update(network_tables(p.network))
    if p.schedule is not None:
        s = p.schedule
        tables["schedule"] = s.work_packages
        tables["compliance"] = s.compliance
        tables["milestones"] = s.milestones
        if s.progress is not None:
            tables["progress"] = s.progress
        if getattr(s, "progress_summary", None) is not None:
            tables["progress_milestones"] = s.progress_summary.milestones
    return tables
