"""Network design rules (``[design]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.config._base import Section

__all__ = ["DesignConfig"]


class DesignConfig(Section):
    """Network design rules."""

    # A pole belongs to an edge's aerial chain if within this offset of it. [issue #4]
    pole_offset_max_m: float = Field(15.0, gt=0)
    # Maximum span between consecutive poles (and from the chain's ends to the edge's ends). [issue #4]
    pole_span_max_m: float = Field(70.0, gt=0)
    # Use existing poles (False: the "all underground" scenario).
    allow_aerial: bool = True
    # Reuse existing ducts (False: the "no duct reuse" scenario).
    allow_duct_reuse: bool = True
    # Slack coiled at the fence, per drop. [MIN: ~30 m zapasu]
    drop_slack_m: float = Field(30.0, ge=0)
    # Drop length covered by the contract. [MIN: do 200 m w ramach umowy]
    drop_contract_max_m: float = Field(200.0, gt=0)
    # What to do with drops longer than the contract: connect and charge the fee, or
    # exclude the address and report it.
    long_drop_policy: Literal["connect", "exclude"] = "connect"
    # Maximum fibre distance from the POP (GPON class B+ budget with 1:64 split ~20 km). [A]
    max_reach_m: float = Field(20_000.0, gt=0)
    # Rounds of Steiner rebuilds that force the shortest paths of reach violators into the
    # tree before the remaining ones are grafted on directly (see planner.design.tree.reach_tree). [A]
    reach_repair_rounds: int = Field(5, ge=0)
    # Local search of the shared Steiner tree (planner.routing.steiner_tree_solve): the
    # design runs it to a local optimum (no round-count or gain cut-off). [A: on a 94 k-edge
    # road grid with 7,600 terminals rounds save 1.1 %, 0.2 %, 0.07 %, ... of the cost at
    # ~15-20 ms each; the routing function's default stops after one round for speed]
    steiner_max_rounds: int = Field(50, ge=0)
    steiner_rel_tol: float = Field(0.0, ge=0, lt=1)
    # Starts of the Steiner multistart (perturbed shortest-path heuristic + local search with
    # node swaps on dense graphs, every 4th and the last a combination of the best trees);
    # 1 = one tree from the POP.  The search stops earlier when its tree meets the lower
    # bound, and small reduced instances are solved exactly (on the demo: the reductions
    # leave 8 terminals on 20 nodes, solved exactly).
    # [A: PACE 2018 benchmark, scripts/bench_steiner.py, 5 Dec 2026 (branch steinergap):
    # 8 starts give a mean gap of 0.15 %, worst 1.48 % (LIN instance114; <= 1.85 % with seeds
    # 1-3) in 0.76-0.84x networkx mehlhorn's CPU time; 16 starts gain 0.02 % of mean gap for
    # ~1.1x.  8 meets the goals (mean <= 0.5 %, worst <= 2 %, time <= networkx's)]
    steiner_starts: int = Field(8, ge=1)
    # Seed of the multistart's random choices: a given seed gives the same tree on any machine
    # and any number of threads. [A]
    steiner_seed: int = Field(0, ge=0)
    # Wall-clock cap of the multistart (seconds; 0 = none).  A safety net for very large
    # areas: when it stops the search the tree depends on the machine's speed (a warning says
    # so). [A: the demo's search takes < 0.1 s; 60 s is far above any commune-sized area]
    steiner_time_limit_s: float = Field(60.0, ge=0)
    # An access point is the projection of the address point onto the nearest usable
    # road within this distance; farther addresses are unreachable. [A]
    max_access_distance_m: float = Field(1_500.0, gt=0)
    # Road ends and shared vertices closer than this are one graph node (OSM ways share
    # nodes; digitising noise in other sources stays well below). [A]
    node_snap_m: float = Field(0.5, gt=0)
    # An access point (or POP) this close to an existing node along the road is
    # snapped to it instead of splitting the road. [A]
    access_snap_m: float = Field(1.0, ge=0)
    # Fewest usable poles that make an aerial chain (a lone lamp carries no span). [A]
    min_chain_poles: int = Field(2, ge=1)
    # A duct follows an edge if at least ``duct_follow_min_share`` of the edge lies
    # within ``duct_follow_distance_m`` of it. [A]
    duct_follow_distance_m: float = Field(5.0, gt=0)
    duct_follow_min_share: float = Field(0.9, gt=0, le=1)
    # An edge lies in a parcel (and needs its consent) if this share of its length is inside. [A]
    parcel_min_share: float = Field(0.5, gt=0, le=1)
    # Road classes the cable never follows (no access for works, no address access). [A]
    excluded_highways: tuple[str, ...] = ("motorway", "motorway_link")
    # Road classes with no free verge: a trench along them runs under the carriageway. [A]
    carriageway_highways: tuple[str, ...] = (
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
    )
    # Road classes (>= tertiary) whose crossing by a trench or an underground drop is
    # a priced road crossing (HDD bore). [A]
    crossing_highways: tuple[str, ...] = (
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link",
    )
    # Consent assumed for a private road that no parcel covers. [A: owner unknown -> ask]
    private_road_consent: Literal["granted", "pending", "refused", "not_needed"] = "pending"
