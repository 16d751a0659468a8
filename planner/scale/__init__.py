"""Region- and nation-scale runs: many communes on a Dask cluster (``planner plan-many``).

One concept per module:

* :mod:`~planner.scale.plan_many` -- :func:`plan_many`, the run;
* :mod:`~planner.scale.engine` -- the Dask client (local cluster or existing scheduler);
* :mod:`~planner.scale.partitioning` -- national layers -> one study area per commune;
* :mod:`~planner.scale.sources` -- streamed reading of national layers;
* :mod:`~planner.scale.communes` -- TERC codes, names and boundaries;
* :mod:`~planner.scale.tasks` -- one commune, one task;
* :mod:`~planner.scale.manifest` -- what is done, for resuming;
* :mod:`~planner.scale.merge` -- merged tables, layer and map.

Entry points are imported lazily (Dask is heavy to import).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "plan_many": ("planner.scale.plan_many", "plan_many"),
    "PlanManyResult": ("planner.scale.plan_many", "PlanManyResult"),
    "NationalInputs": ("planner.scale.partitioning", "NationalInputs"),
}

__all__ = ["NationalInputs", "PlanManyResult", "plan_many"]

if TYPE_CHECKING:  # pragma: no cover
    from planner.scale.partitioning import NationalInputs
    from planner.scale.plan_many import PlanManyResult, plan_many


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'planner.scale' has no attribute {name!r}") from None
    return getattr(importlib.import_module(module_name), attr)
