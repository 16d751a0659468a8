"""The cost graph's data contract: :class:`CostGraph` and its column tuples."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

__all__ = [
    "CostGraph", "EDGE_COLUMNS", "ACCESS_COLUMNS", "EPS",
    "SRC_STRUCT", "SRC_CHAIN", "SRC_DUCT", "SRC_TARGET", "SRC_POP",
]

#: Columns of :attr:`CostGraph.edges` (plus ``geometry``).
EDGE_COLUMNS: tuple[str, ...] = (
    "u", "v", "length_m", "deployment", "cost_pln",
    "pole_owner", "pole_ids", "n_poles", "duct_id", "surface", "road_crossings",
    "consent", "parcel_id", "road_id", "highway",
    "cost_aerial", "cost_duct", "cost_trench",
    "poles_commune_lighting", "poles_telecom", "poles_power",
    "usable", "road_index", "road_from_m", "road_to_m",
)

#: Columns of :attr:`CostGraph.access` (plus ``geometry``, the drop line).
ACCESS_COLUMNS: tuple[str, ...] = (
    "address_id", "access_node", "access_distance_m", "drop_length_m",
    "fence_parcel_id", "crossing_if_underground", "reason",
)

#: Geometric tolerance (m) of positions along lines.
EPS = 1e-6
#: Origin of a cut: junction/road end, pole chain end, duct end, target access, POP.
SRC_STRUCT, SRC_CHAIN, SRC_DUCT, SRC_TARGET, SRC_POP = 0, 1, 2, 3, 4


@dataclass
class CostGraph:
    """The priced road graph of one study area.

    Attributes
    ----------
    node_xy
        ``(n_nodes, 2)`` float array of node coordinates (easting, northing).
    edges
        One row per undirected edge, columns :data:`EDGE_COLUMNS` and the edge
        ``geometry`` (digitised in the direction of its road, from ``u`` to
        ``v``).  ``cost_aerial``/``cost_duct``/``cost_trench`` are ``inf`` where
        the option is infeasible or switched off; ``usable`` is ``False`` for
        edges in a parcel whose consent is refused.
    access
        One row per target address (in the order given), columns
        :data:`ACCESS_COLUMNS`; ``geometry`` is the drop line from the access
        node to the fence (``None`` and ``access_node == -1`` with ``reason ==
        'no_road_access'`` if no road is within ``max_access_distance_m``).
    pop_nodes
        Node of each POP (in the order of the ``pops`` layer).
    pop_ids
        Ids of the POPs.
    crs
        CRS of all geometries.
    """

    node_xy: np.ndarray
    edges: gpd.GeoDataFrame
    access: gpd.GeoDataFrame
    pop_nodes: np.ndarray
    pop_ids: np.ndarray
    crs: str

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])
