"""``planner.replan(...)``: re-plan a study area from what is built (whole pipeline)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from planner._errors import Problem, UsageError
from planner.config import Config
from planner.replan.stage import ReplanResult, check_as_of, crew_overrides, replan_schedule

__all__ = ["replan", "parse_as_of", "parse_crews"]


def parse_as_of(text: str | dt.date) -> dt.date:
    """An as-of date from ``YYYY-MM-DD`` text (or a date).

    Raises
    ------
    UsageError
        Not a date.
    """
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", [Problem(
            file="--as-of", message=f"{text!r} is not a date", fix="give the date as YYYY-MM-DD, e.g. 2025-03-31")]
        ) from None


def parse_crews(text: str | None) -> dict[str, int]:
    """``aerial=2,trench=4`` as ``{'aerial': 2, 'trench': 4}``.

    Raises
    ------
    UsageError
        A part that is not ``TYPE=NUMBER``.
    """
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, num = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = int(num.strip())
        except ValueError:
            raise UsageError(f"bad --crews part {part!r}", [Problem(
                file="--crews", row=part, message="expected TYPE=NUMBER",
                fix="e.g. --crews aerial=2,duct=1,trench=4,drop=3")]) from None
    return out


def replan(area: Any = "demo", config: Config | None = None, *, as_of: str | dt.date,
           as_built: Any = None, crews: dict[str, int] | str | None = None, plan: Any = None,
           progress: bool | None = None) -> ReplanResult:
    """Re-plan a study area from what is built.

    Runs the white-spot and design stages (unless ``plan`` gives them), then
    :func:`planner.replan.stage.replan_schedule`, and adds the localities
    layer for maps.

    Parameters
    ----------
    area
        A loaded :class:`~planner.area.Area`, or anything
        :func:`planner.io.load_area` reads (``"demo"``, a GeoPackage, ...).
    config
        Configuration (``load_config("demo")`` for the demo area when ``None``
        and ``area == "demo"``, else the defaults).
    as_of
        Status date (``YYYY-MM-DD`` or a date).
    as_built
        As-built layer: a GeoDataFrame (validated here) or a file path (read
        through :mod:`planner.io`); default the area's ``as_built`` layer.
    crews
        Current crews, ``{'aerial': 2, 'trench': 4}`` or ``"aerial=2,trench=4"``.
    plan
        A :class:`~planner.pipeline.Plan` of ``area`` with the design stage
        done, to skip re-running it.
    progress
        Show progress bars (default ``config.progress``).

    Returns
    -------
    ReplanResult

    Examples
    --------
    >>> import planner
    >>> r = planner.replan("demo", as_of="2025-03-31")      # doctest: +SKIP
    >>> r.progress.km_built                                # doctest: +SKIP
    58.7
    """
    from planner.config import load_config
    from planner.pipeline import locality_polygons
    from planner.pipeline import plan as run_plan

    if config is None:
        config = load_config("demo" if isinstance(area, str) and area == "demo" else None)
    show = config.progress if progress is None else progress
    when = parse_as_of(as_of)
    crew_map = parse_crews(crews) if isinstance(crews, str) else crews
    check_as_of(when, config.schedule)  # before the (slow) design stage
    crew_overrides(crew_map, config.schedule.crews)
    if isinstance(area, (str, Path)):
        from planner.io import load_area

        layers = {"as_built": as_built} if isinstance(as_built, (str, Path)) else None
        area = load_area(area, config, layers=layers, progress=show)
        if layers:
            as_built = None
    elif isinstance(as_built, (str, Path)):
        from planner.io import read_layer

        as_built = read_layer(as_built, "as_built", crs=area.crs, bounds=area.bounds)
    if as_built is None:
        as_built = area.layers["as_built"]
    else:
        from planner._validate import raise_for_problems, validate_layer

        as_built, errs, _ = validate_layer(as_built, "as_built", source="as_built", bounds=area.bounds, crs=area.crs)
        raise_for_problems(errs, "as-built layer")
    p = plan if plan is not None else run_plan(area, config, until="design", progress=show)
    result = replan_schedule(p.segments, p.drops, p.addresses, as_built, config.schedule, as_of=when,
                             crews=crew_map, progress=show)
    polys = locality_polygons(p.addresses, area.layers["localities"])
    cols = ["simc", "locality", "milestone", "village_state", "pct_passed_now", "milestone_reachable",
            "pct_at_deadline", "threshold_date"]
    result.localities = polys.merge(result.villages[cols], on="simc", how="inner")
    return result
