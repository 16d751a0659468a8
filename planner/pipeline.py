"""Run every stage of a plan, in order, on one study area.

``load_area -> whitespots -> design (costgraph + routing) -> schedule``; the
writers (:mod:`planner.report`, :mod:`planner.maps`) then turn a :class:`Plan`
into files.  One study area (commune) is one unit of work: :func:`plan` takes
an :class:`~planner.area.Area` and a :class:`~planner.config.Config` and
returns a :class:`Plan` without touching the disk, so many areas can be
planned in parallel (e.g. one Dask task per commune).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._timing import Clock
from planner.area import Area
from planner.config import Config

if TYPE_CHECKING:
    from planner.replanning import ReplanResult

__all__ = ["Plan", "STAGES", "jsonable", "plan", "replan"]

logger = logging.getLogger(__name__)

#: Stages in pipeline order; ``plan(..., until=...)`` stops after one of them.
STAGES = ("whitespots", "design", "schedule")


@dataclass
class Plan:
    """Everything a plan computed for one study area.

    Attributes
    ----------
    area, config
        The inputs.
    addresses
        Address points with every column of :data:`planner.schema.OUT_ADDRESS_COLUMNS`
        filled by the stages that ran.
    localities
        Per-locality table and polygons (:data:`planner.schema.OUT_LOCALITY_COLUMNS`).
    whitespots, design, network, schedule
        The stage results (``None`` for stages that did not run; ``network``,
        the optical layer of :mod:`planner.network`, runs with the design
        unless ``[network] enabled = false``).
    """

    area: Area
    config: Config
    addresses: gpd.GeoDataFrame
    localities: gpd.GeoDataFrame
    whitespots: Any = None
    design: Any = None
    network: Any = None
    schedule: Any = None
    stages: tuple[str, ...] = field(default_factory=tuple)

    # -- convenience views -------------------------------------------------
    @property
    def segments(self) -> gpd.GeoDataFrame | None:
        """Segments of the designed tree (``None`` before the design stage)."""
        return None if self.design is None else self.design.segments

    @property
    def drops(self) -> gpd.GeoDataFrame | None:
        """Drops of the connected targets (``None`` before the design stage)."""
        return None if self.design is None else self.design.drops

    @property
    def bom(self) -> pd.DataFrame | None:
        """Bill of quantities by locality (``None`` before the design stage)."""
        return None if self.design is None else self.design.bom

    def summary(self) -> dict[str, Any]:
        """Key figures for the CLI and reports: plain JSON types only (``json.dumps`` takes them as they are)."""
        a = self.addresses
        out: dict[str, Any] = {
            "name": self.config.name,  # the configuration's name labels the plan (summary.json)
            "area": self.area.name,
            "address_points": int(len(a)),
            "businesses": int(a["is_business"].sum()),
        }
        if self.whitespots is not None:
            white = a["ws_class"] == "white"
            out.update(
                white_spots=int(white.sum()),
                white_spot_businesses=int((white & a["is_business"]).sum()),
                grey=int((a["ws_class"] == "grey").sum()),
                black=int((a["ws_class"] == "black").sum()),
                barriers=int(a["is_barrier"].sum()),
                targets=int(a["is_target"].sum()),
            )
        if self.design is not None:
            out["design"] = jsonable(self.design.summary)
        if self.network is not None:
            out["network"] = jsonable(self.network.summary)
        if self.schedule is not None:
            s = self.schedule
            out["schedule"] = {
                "feasible": bool(s.feasible),
                "binding_constraint": s.binding_constraint,
                "min_crews": jsonable(s.min_crews),
                "milestones": jsonable(s.milestones.to_dict(orient="records")),
            }
        summary: dict[str, Any] = jsonable(out)
        return summary


def jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and dates inside ``obj`` to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else round(float(obj), 3)
    if isinstance(obj, (pd.Timestamp,)):
        return None if pd.isna(obj) else obj.date().isoformat()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if obj is pd.NaT or (isinstance(obj, float) and np.isnan(obj)):
        return None
    return obj


def locality_polygons(addresses: gpd.GeoDataFrame, given: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygon per locality: the given layer, else a buffered hull of its address points."""
    if len(given):
        return given[["simc", "geometry"]].copy()
    hulls = (
        addresses[["simc", "geometry"]]
        .dissolve(by="simc", sort=True)
        .convex_hull.buffer(150.0, resolution=4)
    )
    return gpd.GeoDataFrame({"simc": hulls.index.to_numpy()}, geometry=hulls.to_numpy(), crs=addresses.crs)


def _assemble_localities(p: Plan) -> gpd.GeoDataFrame:
    table = p.whitespots.localities.copy()
    seg = p.segments if p.segments is not None else gpd.GeoDataFrame()
    if p.design is not None:
        a = p.addresses
        conn = a.groupby("simc")["plan_status"].agg(
            connected=lambda s: int(s.isin(("connect", "connected")).sum()),
            unconnected=lambda s: int((s == "unconnected").sum()),
        )
        table = table.merge(conn, left_on="simc", right_index=True, how="left")
        if len(seg):
            km = (
                seg.assign(km=seg["length_m"] / 1000.0)
                .pivot_table(index="simc", columns="deployment", values="km", aggfunc="sum", fill_value=0.0)
                .reindex(columns=["aerial", "duct", "trench"], fill_value=0.0)
                .add_prefix("km_")
            )
            cost = seg.groupby("simc")["cost_pln"].sum().rename("cost_pln")
            table = table.merge(km, left_on="simc", right_index=True, how="left")
            table = table.merge(cost, left_on="simc", right_index=True, how="left")
    if p.schedule is not None:
        comp = p.schedule.compliance[["simc", "milestone", "deadline", "pct_passed"]].rename(
            columns={"deadline": "milestone_date", "pct_passed": "pct_passed_by_deadline"}
        )
        table = table.merge(comp, on="simc", how="left")
    for col in ("connected", "unconnected"):
        if col in table:
            table[col] = table[col].fillna(0).astype("int64")
    for col in ("km_aerial", "km_duct", "km_trench", "cost_pln"):
        if col in table:
            table[col] = table[col].fillna(0.0).astype("float64")
    polys = locality_polygons(p.addresses, p.area.layers["localities"])
    out = polys.merge(table, on="simc", how="right")
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=p.addresses.crs)
    return out.sort_values(["terc", "locality", "simc"], kind="stable").reset_index(drop=True)


def plan(
    area: Area,
    config: Config | None = None,
    *,
    official_list: Any = None,
    as_built: gpd.GeoDataFrame | None = None,
    until: str = "schedule",
    progress: bool | None = None,
    timings: dict[str, float] | None = None,
    on_stage: Callable[[str, Plan], None] | None = None,
) -> Plan:
    """Plan the rollout of one study area.

    Parameters
    ----------
    area
        Validated study area (:func:`planner.io.load_area`).
    config
        Configuration; defaults documented in :mod:`planner.config`.
    official_list
        Optional official white-spot list (path or DataFrame) to diff against.
    as_built
        Optional as-built layer for progress tracking; defaults to the area's
        ``as_built`` layer.
    until
        Last stage to run: ``"whitespots"``, ``"design"`` or ``"schedule"``.
    progress
        Show progress bars; ``None`` takes ``config.progress``.
    timings
        When given, filled with the wall time in seconds of each stage
        (``scripts/bench_plan.py``).
    on_stage
        Called as ``on_stage(stage, plan_so_far)`` after the white-spot stage
        (``"whitespots"``: the area is final) and after the design stage
        (``"design"``: route, optical network, re-ranked reallocation); the stages themselves
        never write a file, but a caller can start writing the outputs a stage
        completes (:class:`planner.output.PlanWriter.stage_done`).

    Returns
    -------
    Plan
    """
    from planner import design as design_mod
    from planner import network as network_mod
    from planner import schedule as schedule_mod
    from planner import whitespots as ws_mod
    from planner._errors import UsageError

    if until not in STAGES:
        raise UsageError(f"unknown stage {until!r}; choose one of {', '.join(STAGES)}")
    config = config or Config()
    show = config.progress if progress is None else progress
    clock = Clock(timings)

    logger.info("white spots: classifying %d address points", len(area.addresses))
    new_buildings = area.layers["new_buildings"]
    if official_list is not None and not isinstance(official_list, pd.DataFrame):  # a file: read through planner.io
        from planner.io.official_list import read_official_list

        official_list = read_official_list(official_list, config.whitespots.official_list_columns)
    from planner.io.teryt import read_commune_names

    with clock("whitespots"):
        ws = ws_mod.run(area, config.whitespots, official_list=official_list,
                        new_buildings=new_buildings if len(new_buildings) else None,
                        commune_names=read_commune_names(), progress=show)
    if until != "whitespots":  # an area without POPs gets a proposed one before routing
        area = network_mod.with_proposed_pop(area, ws.addresses[ws.addresses["is_target"].astype(bool)], config)
    p = Plan(area=area, config=config, addresses=ws.addresses, localities=gpd.GeoDataFrame(), whitespots=ws,
             stages=("whitespots",))
    done = on_stage or (lambda stage, plan_so_far: None)
    done("whitespots", p)
    if until != "whitespots":
        logger.info("design: routing %d target points", int(ws.addresses["is_target"].sum()))
        with clock("design"):
            d = design_mod.design_network(area, config, ws.addresses, progress=show)
        p.design, p.addresses, p.stages = d, d.addresses, p.stages + ("design",)
        if config.network.enabled:  # the optical network on the route; its costs join the BOQs
            with clock("network"):
                p.network = network_mod.design_optical_network(area, config, d)
            p.addresses, d.bom, d.bom_naive = p.network.addresses, p.network.bom, p.network.bom_naive
        if ws.reallocation is not None and len(d.segments):
            # Re-rank reallocation candidates by distance to the planned network (issue #3).
            ws.reallocation = ws_mod.propose_reallocation(
                p.addresses, new_buildings, network=d.segments,
                contracted_total=config.whitespots.contracted_total,
            )
        done("design", p)
    if until == "schedule":
        built = as_built if as_built is not None else area.layers["as_built"]
        segments, drops = d.segments, d.drops
        logger.info("schedule: %d segments, %d drops", len(segments), len(drops))
        with clock("schedule"):
            s = schedule_mod.build_schedule(segments, drops, p.addresses, config.schedule,
                                            as_built=built if len(built) else None, progress=show)
        p.schedule, p.addresses, p.stages = s, s.addresses, p.stages + ("schedule",)
    with clock("localities"):
        p.localities = _assemble_localities(p)
    return p


#: :func:`plan` under a second name, for :func:`replan` (whose ``plan`` argument is a Plan).
_plan = plan


def replan(area: Any = "demo", config: Config | None = None, *, as_of: str | dt.date,
           as_built: Any = None, crews: dict[str, int] | str | None = None, plan: Plan | None = None,
           progress: bool | None = None) -> ReplanResult:
    """Re-plan a study area from what is built.

    Runs the white-spot and design stages (unless ``plan`` gives them), then
    :func:`planner.replanning.stage.replan_schedule`, and adds the localities
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
    from planner.replanning import check_as_of, crew_overrides, parse_as_of, parse_crews, replan_schedule

    designed = plan  # the parameter; the stages run through _plan

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
        from planner.validation import raise_for_problems, validate_layer

        as_built, errs, _ = validate_layer(as_built, "as_built", source="as_built", bounds=area.bounds, crs=area.crs)
        raise_for_problems(errs, "as-built layer")
    p = designed if designed is not None else _plan(area, config, until="design", progress=show)
    result = replan_schedule(p.segments, p.drops, p.addresses, as_built, config.schedule, as_of=when,
                             crews=crew_map, progress=show)
    polys = locality_polygons(p.addresses, area.layers["localities"])
    cols = ["simc", "locality", "milestone", "village_state", "pct_passed_now", "milestone_reachable",
            "pct_at_deadline", "threshold_date"]
    result.localities = polys.merge(result.villages[cols], on="simc", how="inner")
    return result
