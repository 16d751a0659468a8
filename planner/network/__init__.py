"""Optical network layer on the shared route (issue #16).

The design stage lays the route (where cable runs and what the trench costs);
this package designs the optical network an engineer tenders and builds on
it: POP/OLT sites (:mod:`.pop`), cabinet areas and cabinet sites on the
route tree (:mod:`.cabinets`, :mod:`.partition`, with the exact reference
:mod:`.exact`), second-stage splitters of a cascade, splitters and ports
(:mod:`.ports`), fibres per segment (:mod:`.fibres`), cables, closures and
splices (:mod:`.cables`), the loss budget per address (:mod:`.loss`), prices
(:mod:`.costs`) and the output frames (:mod:`.tables`, :mod:`.summary`,
:mod:`.uke`, :mod:`.styles`).  :func:`design_optical_network` runs it all on
a design result; nothing here reads or writes files.
"""

from __future__ import annotations

from planner.network.build import NetworkResult, design_optical_network
from planner.network.pop import propose_pop, with_proposed_pop
from planner.network.summary import format_summary, report_lines
from planner.network.tables import bom_sheets, plan_layers, plan_tables

__all__ = [
    "NetworkResult",
    "design_optical_network",
    "propose_pop",
    "with_proposed_pop",
    "format_summary",
    "report_lines",
    "plan_layers",
    "plan_tables",
    "bom_sheets",
]
