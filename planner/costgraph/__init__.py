"""Cost graph: the road network as an undirected graph priced per deployment.

Stage ``costgraph`` of the pipeline (``whitespots -> costgraph -> routing ->
design``).  :func:`build_cost_graph` turns the road layer of an
:class:`~planner.area.Area` into an undirected graph in metres whose edges
carry the price of every way of laying fibre along them, and maps every target
address and POP onto it.  All prices and rules come from
:class:`planner.config.CostConfig` and :class:`planner.config.DesignConfig`.

Rules (all vectorised with shapely 2 / geopandas' STRtree / numpy)
------------------------------------------------------------------
Noding
    Road lines (multi-parts exploded; ``DesignConfig.excluded_highways``
    dropped) are cut at their ends, at vertices shared with another road
    (within ``node_snap_m``; OSM ways share nodes at junctions) and where a
    road end lies on another road's interior (T-junction digitised without a
    shared vertex).  Roads that cross *without* a shared vertex (bridges,
    tunnels) are not connected.  Cut points closer than ``node_snap_m`` are
    one node.
Soft cuts
    Lines are further cut where a pole chain starts/ends, where a reusable
    duct starts/ends, at the access point of every target and at every POP.
    A soft cut within ``access_snap_m`` (along the road) of a junction or of
    another soft cut is merged into it instead of creating a new node (duct
    ends: within ``duct_follow_distance_m`` of a junction).
Aerial
    Usable poles within ``pole_offset_max_m`` of a road line are projected on
    it; a *chain* is a maximal run of at least ``min_chain_poles`` poles whose
    consecutive spans are <= ``pole_span_max_m``.  A chain covers the road from
    ``first - span`` to ``last + span`` (a span may reach from an edge end to
    the first pole).  Where a chain does not reach the road's end the road is
    cut at the chain's first/last pole, so a partly poled road gets an aerial
    part and an underground part.  An edge is aerial-feasible if one chain
    covers it.  Its price is ``aerial_pln_per_m`` x length plus the attachment
    fee of every pole on it, each by its own owner; a pole is charged on the
    one road it is nearest to (junction poles are not charged twice).  The
    edge's ``pole_owner`` is the majority owner of its poles (ties in the order
    of :data:`planner.schema.POLE_OWNERS`), or the chain's majority owner when
    the edge is a short hop between poles.
Duct reuse
    A duct with ``free_subducts >= 1`` follows an edge if at least
    ``duct_follow_min_share`` of the edge lies within ``duct_follow_distance_m``
    of it; price ``duct_reuse_pln_per_m`` x length.  The duct with the
    largest share is used.
Trench
    Always feasible.  Surface: ``carriageway`` along the classes of
    ``carriageway_highways`` (no free verge assumed), otherwise the road's
    ``surface`` (``unpaved``/``paved``).  Road crossings: a trench edge of a
    road *not* in ``crossing_highways`` counts one crossing at each of its end
    nodes through which a road of those classes passes (two or more of its
    edges meet there), since the side street must reach the other side of the
    main road in general (conservative: an X junction is charged on both side
    streets).  Price: per metre by surface plus ``road_crossing_pln`` per
    crossing.
Consents
    The parcel of an edge is the parcel holding the largest share of it, if
    that share is >= ``parcel_min_share``.  In a *private* parcel the edge
    takes the parcel's consent; in a public one it needs none.  A private road
    in no parcel takes ``private_road_consent`` (default ``pending``).  Refused
    edges stay in :attr:`CostGraph.edges` with ``usable=False`` (the design
    removes them and uses them only to tell ``consent_refused`` from
    ``no_road_access``); pending edges get ``consent_pending_penalty_pln``
    added once per edge.
Choice
    The cheapest feasible option is recorded in ``deployment`` (ties in the
    order aerial, duct, trench) and ``cost_pln`` (plus the pending penalty).
    ``DesignConfig.allow_aerial`` / ``allow_duct_reuse`` switch options off.
Access and drops
    Each target is projected onto the nearest road line within
    ``max_access_distance_m`` (ties: lowest road row).  The drop runs from
    that access node to the *fence*: the first point where the straight line
    to the address enters the parcel that contains the address, or the address
    point itself when no parcel contains it (or the access node already lies
    inside that parcel).  A drop from a road in ``crossing_highways`` is
    assumed to cross it when the address lies on the left of the road's
    digitised direction (the underground network is assumed on the right
    verge) -- ``crossing_if_underground``; the design charges it only when the
    segment the drop hangs off is not aerial.
"""

from __future__ import annotations

from planner.costgraph.build import build_cost_graph
from planner.costgraph.graph import ACCESS_COLUMNS, EDGE_COLUMNS, CostGraph

__all__ = ["CostGraph", "build_cost_graph", "EDGE_COLUMNS", "ACCESS_COLUMNS"]
