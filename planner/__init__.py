"""planner: plan FTTH rollouts into broadband white spots (białe plamy).

Pipeline stages, one module each, data flowing one way::

    io (load_area) -> whitespots -> costgraph -> routing -> design -> schedule
       -> maps / report

The public entry points are imported lazily so that ``import planner`` stays
cheap and has no side effects.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "load_area": ("planner.io", "load_area"),
    "Area": ("planner.area", "Area"),
    "Config": ("planner.config", "Config"),
    "load_config": ("planner.config", "load_config"),
    "plan": ("planner.pipeline", "plan"),
    "Plan": ("planner.pipeline", "Plan"),
    "datasets": ("planner.datasets", None),
    "PlannerError": ("planner._errors", "PlannerError"),
    "replan": ("planner.pipeline", "replan"),
    "plan_many": ("planner.scale.plan_many", "plan_many"),
    "write_plan": ("planner.output", "write_plan"),
}

__all__ = ["Area", "Config", "Plan", "PlannerError", "__version__", "datasets", "load_area", "load_config", "plan",
           "plan_many", "replan", "write_plan"]  # = sorted(_LAZY) + ["__version__"], spelt out for linters

if TYPE_CHECKING:  # pragma: no cover
    from planner import datasets
    from planner._errors import PlannerError
    from planner.area import Area
    from planner.config import Config, load_config
    from planner.io import load_area
    from planner.output import write_plan
    from planner.pipeline import Plan, plan, replan
    from planner.scale.plan_many import plan_many


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'planner' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)
