"""The design stage's result: :class:`DesignResult`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from planner.costgraph import CostGraph

__all__ = ["DesignResult", "UNCONNECTED_COLUMNS"]

#: Columns of :attr:`DesignResult.unconnected`.
UNCONNECTED_COLUMNS: tuple[str, ...] = ("address_id", "simc", "locality", "reason", "detail")


@dataclass
class DesignResult:
    """The designed network of one study area.

    Attributes
    ----------
    segments
        Tree edges, columns :data:`planner.schema.OUT_SEGMENT_COLUMNS` and
        ``geometry`` oriented away from the POP.
    drops
        One row per connected target, columns
        :data:`planner.schema.OUT_DROP_COLUMNS` and the drop line ``geometry``.
    unconnected
        Targets that are not connected: ``address_id, simc, locality, reason,
        detail``.
    addresses
        The input addresses with the design columns of
        :data:`planner.schema.OUT_ADDRESS_COLUMNS` filled (schedule columns
        empty).
    bom, bom_naive
        Bill of quantities (:data:`planner.schema.OUT_BOM_COLUMNS`) per
        locality plus a ``TOTAL`` row, for the shared tree and the naive
        alternative.
    summary
        Key figures (km by type, costs, saving, counts).
    graph
        The cost graph the design was routed on.
    """

    segments: gpd.GeoDataFrame
    drops: gpd.GeoDataFrame
    unconnected: pd.DataFrame
    addresses: gpd.GeoDataFrame
    bom: pd.DataFrame
    bom_naive: pd.DataFrame
    summary: dict[str, Any]
    graph: CostGraph
