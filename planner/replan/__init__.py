"""Re-planning from what is built (issue #18).

With what is built today, will each village still reach 80 % by its
milestone, and what would it take?  ``planner replan --area ... --as-built FILE
--as-of DATE [--crews aerial=2,trench=4]`` and ``planner.replan(...)``:

1. Every as-built record is checked against the plan (:mod:`~planner.replan.matching`):
   segments by geometry within ``schedule.as_built_match_m`` (and by
   ``segment_id`` where given), connections by ``address_id``; off-plan and
   inconsistent records go to ``asbuilt_issues.csv`` with the reason, never
   dropped.
2. The progress figures at the as-of date (km built, underground, points
   passed per commune) come from :mod:`planner.schedule.progress`.
3. The work not built yet is scheduled from the as-of date with the current
   crews, calendar, holidays, winter stop and pending consents
   (:mod:`~planner.replan.remaining`); villages whose milestone has passed
   report the share achieved and how late the rest will be
   (:mod:`~planner.replan.tables`).
4. What it takes (:mod:`~planner.replan.whatittakes`): per milestone ahead the
   cheapest crew mix that makes every village reach the threshold, the
   binding constraint when none does, and a village order that meets more
   milestones with the current crews.
5. S-curve data (:mod:`~planner.replan.curves`); pictures
   (:mod:`~planner.replan.figures`) and files (:mod:`~planner.replan.output`,
   ``out/<area>/replan_<date>/``).

Village states on the map (``village_state`` of :attr:`ReplanResult.localities`):
``built`` -- the village has already passed ``pass_threshold`` of its target
points; ``remaining`` -- below it, and the re-plan with the current crews reaches
it by the village's milestone; ``at_risk`` -- below it, and the re-plan does not
reach it in time (or the milestone has passed).

``planner.replan`` is both this package and a function: calling the package,
``planner.replan(area, as_of=...)``, runs :func:`~planner.replan.api.replan`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from planner.replan.api import parse_as_of, parse_crews, replan
from planner.replan.stage import ReplanResult, replan_schedule

__all__ = ["replan", "replan_schedule", "ReplanResult", "parse_as_of", "parse_crews"]


class _CallablePackage(types.ModuleType):
    """The package, callable as :func:`replan` (``planner.replan(...)``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> ReplanResult:
        return replan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
