"""Milestone schedule: work packages, crews, calendar, consents and progress.

Turns a designed network (the tree of :data:`planner.schema.OUT_SEGMENT_COLUMNS`
segments oriented away from the POP, and the drops hanging off it) into a
construction schedule checked against the milestones (kamienie milowe) of the
contract, and tracks it against an as-built layer.

One concept per module:

* :mod:`~planner.schedule.packages` -- segments and drops cut into work
  packages; the package graph.
* :mod:`~planner.schedule.calendar` -- working days, holidays, winter stop.
* :mod:`~planner.schedule.listsched` -- list scheduling of packages on crews.
* :mod:`~planner.schedule.milestones` -- localities -> milestones, priorities.
* :mod:`~planner.schedule.compliance` -- points passed, the >= 80 % rule, tables.
* :mod:`~planner.schedule.crews` -- binding constraint and minimum crews, the
  cheapest crew mix.
* :mod:`~planner.schedule.model` -- the prepared problem (packages, targets,
  priorities, deadlines) the scheduler runs on.
* :mod:`~planner.schedule.build` -- :func:`build_schedule` (the stage).
* :mod:`~planner.schedule.asbuilt`, :mod:`~planner.schedule.progress` -- matching
  an as-built layer and progress against it.

The schedule's files (workbook, Gantt chart) are drawn and written by the output
layer (:mod:`planner.output.schedule_files`, :mod:`planner.output.charts`).

Rules
-----
* **Time.**  Durations are fractional working days (quantity / productivity);
  a package may start the moment its predecessors end, so a child may start on
  the day its parent ends (never earlier).  Tables show the start and end days.
* **Crews.**  List scheduling (serial schedule generation with gap filling):
  packages are taken in priority order (the earliest milestone deadline the
  package serves, itself or any locality downstream of it, then depth-first
  tree order) and each goes to the crew of its type that can start it first.
* **Consents.**  A package with a segment whose consent is ``pending`` cannot
  start before ``start_date + consent_lead_days`` (calendar days).
* **Milestones.**  ``min_crews`` gives the fewest crews that meet every
  deadline (searched when infeasible for lack of crews, and always in
  automatic mode).
* **Infeasibility.**  When a deadline (or the project end) is missed the result
  says so (``feasible=False``), names the binding constraint and explains it in
  words (:attr:`ScheduleResult.diagnosis`).
"""

from __future__ import annotations

from planner.schedule.build import build_schedule
from planner.schedule.calendar import working_days
from planner.schedule.crews import BINDING_CONSTRAINTS
from planner.schedule.packages import CREW_FIELD, CREW_TYPE, KINDS
from planner.schedule.progress import VILLAGE_STATES, progress_report, village_states
from planner.schedule.results import ProgressReport, ScheduleResult

__all__ = [
    "KINDS",
    "CREW_TYPE",
    "CREW_FIELD",
    "BINDING_CONSTRAINTS",
    "VILLAGE_STATES",
    "ScheduleResult",
    "ProgressReport",
    "build_schedule",
    "working_days",
    "progress_report",
    "village_states",
]
