"""Re-planning from what is built (issue #18).

With what is built today, will each village still reach 80 % by its
milestone, and what would it take?  ``planner replan --area ... --as-built FILE
--as-of DATE [--crews aerial=2,trench=4]`` and ``planner.replan(...)``:

1. Every as-built record is checked against the plan (:mod:`~planner.replanning.matching`):
   segments by geometry within ``schedule.as_built_match_m`` (and by
   ``segment_id`` where given), connections by ``address_id``; off-plan and
   inconsistent records go to ``asbuilt_issues.csv`` with the reason, never
   dropped.
2. The progress figures at the as-of date (km built, underground, points
   passed per commune) come from :mod:`planner.schedule.progress`.
3. The work not built yet is scheduled from the as-of date with the current
   crews, calendar, holidays, winter stop and pending consents
   (:mod:`~planner.replanning.remaining`); villages whose milestone has passed
   report the share achieved and how late the rest will be
   (:mod:`~planner.replanning.tables`).
4. What it takes (:mod:`~planner.replanning.whatittakes`): per milestone ahead the
   cheapest crew mix that makes every village reach the threshold, the
   binding constraint when none does, and a village order that meets more
   milestones with the current crews.
5. S-curve data (:mod:`~planner.replanning.curves`).  The pictures
   (:mod:`planner.output.replan_charts`) and files (:mod:`planner.output.replan_dir`,
   ``out/<area>/replan_<date>/``) are the output layer's.

Village states on the map (``village_state`` of :attr:`ReplanResult.localities`):
``built`` -- the village has already passed ``pass_threshold`` of its target
points; ``remaining`` -- below it, and the re-plan with the current crews reaches
it by the village's milestone; ``at_risk`` -- below it, and the re-plan does not
reach it in time (or the milestone has passed).

The whole run (load, plan until design, re-plan) is :func:`planner.replan`
(:func:`planner.pipeline.replan`); the package is named ``replanning`` so that
importing it never shadows that function.
"""

from __future__ import annotations

from planner.replanning.inputs import parse_as_of, parse_crews
from planner.replanning.stage import ReplanResult, check_as_of, crew_overrides, replan_schedule

__all__ = ["ReplanResult", "check_as_of", "crew_overrides", "parse_as_of", "parse_crews", "replan_schedule"]
