"""Network design: shared tree, drops, distance fees, reach and bill of quantities.

Stage ``design`` of the pipeline.  :func:`design_network` prices the road
graph (:func:`planner.costgraph.build_cost_graph`), connects every target
address with the cheapest shared tree it can find
(:func:`planner.routing.steiner_tree_solve` on the edges' ``cost_pln``, with a
lower bound of the optimum: the summary's ``steiner_tree_cost_pln``,
``steiner_lower_bound_pln`` and certified ``steiner_gap_pct``, and
``network_gap_pct`` for the network after the reach repair), adds the drops
and prices the whole plan, per locality and in total, next to the naive
alternative (the union of every address's own shortest road path from the
POP, priced with the same per-edge rules: routing without a cost model).

Rules
-----
POPs
    Each POP sits at the node of its projection onto the nearest road.  With
    several POPs the tree grows from a virtual root joined to every POP node
    by zero-cost edges, so each target hangs off whichever POP serves it
    cheapest; segments leaving a POP have ``parent_id == -1``.
Unconnected targets (``unconnected_reason``), checked in this order
    ``no_road_access``: no road within ``max_access_distance_m``, or the
    access node is in a part of the road network no POP reaches even through
    refused parcels.  ``consent_refused``: reachable only through edges whose
    parcel consent is refused.  ``long_drop_excluded``: the drop is longer than
    ``drop_contract_max_m`` and ``long_drop_policy == 'exclude'``.
    ``reach``: even the shortest road path from the nearest POP plus the drop
    exceeds ``max_reach_m`` (no tree can do better).
Reach
    Every other target is connected within ``max_reach_m`` of fibre (along
    the network from the POP to the access node, plus the drop).  The cheapest
    tree follows pole lines and may take long detours; its violators are
    repaired by forcing paths that fit the reach into the tree (cheapest on
    ``cost + lam x length`` for the smallest fitting ``lam``; a Steiner rebuild
    with those edges nearly free, then grafting the paths on), for up to
    ``reach_repair_rounds`` rounds and finally by grafting the shortest-length
    paths, which never lengthens a path -- see :func:`_reach_tree`.  If the
    naive alternative (below) is cheaper than the repaired tree, it is used.
Drops
    A drop runs from the access node to the fence (see
    :mod:`planner.costgraph`); it carries ``drop_slack_m`` of slack (own BOM
    line), ``drop_fixed_pln + drop_pln_per_m x length + slack_pln_per_m x
    slack``, the distance fee ``drop_distance_fee_pln_per_m`` x the length over
    ``drop_contract_max_m``, and one road crossing when its road is a main road
    with the address on the far side and the segment it hangs off is not
    aerial.
Segments
    The tree's edges oriented away from the POP (``u`` nearer the POP), in
    breadth-first order; ``simc``/``locality`` of a segment are those of the
    nearest connected target address.
Naive alternative
    Union of the cheapest paths (on the same edge costs) from the nearest POP
    to every connected target -- the shortest-path tree pruned to the
    targets, its reach violators' shortest-length paths grafted on -- priced
    with the same rules, so the saving of sharing the trench is the difference
    of the two network costs.  The summary also gives the
    *unshared* cost (the sum of every address's own cheapest path, each
    trench dug once per address) and the saving against it.
"""

from __future__ import annotations

from planner.design.bom import bill_of_quantities
from planner.design.network import design_network
from planner.design.result import UNCONNECTED_COLUMNS, DesignResult

__all__ = ["DesignResult", "design_network", "bill_of_quantities", "UNCONNECTED_COLUMNS"]
