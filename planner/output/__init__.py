"""Output: every file the planner writes is written here, atomically and deterministically.

:func:`write_plan` (:mod:`planner.output.plan_dir`) writes a whole plan
directory; :class:`PlanWriter` does the same while the plan is being made.
Building blocks: :mod:`planner.output.files` (atomic writers and the staged
output directory), :mod:`planner.output.tables` (the layers and
tables of a plan), :mod:`planner.output.excel` (workbooks),
:mod:`planner.output.charts` (PNG pictures), :mod:`planner.output.gpkg_styles`
(QGIS styles) and :mod:`planner.output.uke` (the UKE inventory export).
"""

from __future__ import annotations

from planner.output.plan_dir import PlanWriter, write_plan, write_report
from planner.output.tables import plan_layers, plan_tables

__all__ = ["PlanWriter", "plan_layers", "plan_tables", "write_plan", "write_report"]
