"""Run every stage of a plan, in order, on one study area.

``load_area -> whitespots -> design (costgraph + routing) -> schedule``; the
writers (:mod:`planner.report`, :mod:`planner.maps`) then turn a :class:`Plan`
into files.  One study area (commune) is one unit of work: :func:`plan` takes
an :class:`~planner.area.Area` and a :class:`~planner.config.Config` and
returns a :class:`Plan` without touching the disk, so many areas can be
planned in parallel (e.g. one Dask task per commune).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.area import Area
from planner.config import Config

__all__ = ["Plan", "plan", "STAGES"]

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
    whitespots, design, schedule
        The stage results (``None`` for stages that did not run).
    """

    area: Area
    config: Config
    addresses: gpd.GeoDataFrame
    localities: gpd.GeoDataFrame
    whitespots: Any = None
    design: Any = None
    network: Any = None  # issue #16: planner.network.NetworkResult (optical layer, run with the design stage)
    schedule: Any = None
    stages: tuple[str, ...] = field(default_factory=tuple)

    # -- convenience views -------------------------------------------------
    @property
    def segments(self) -> gpd.GeoDataFrame | None:
        return None if self.design is None else self.design.segments

    @property
    def drops(self) -> gpd.GeoDataFrame | None:
        return None if self.design is None else self.design.drops

    @property
    def bom(self) -> pd.DataFrame | None:
        return None if self.design is None else self.design.bom

    def summary(self) -> dict[str, Any]:
        """Key figures, JSON-serialisable, for the CLI and reports."""
        a = self.addresses
        out: dict[str, Any] = {
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
            out["design"] = _jsonable(self.design.summary)
        if self.network is not None:  # issue #16
            out["network"] = _jsonable(self.network.summary)
        if self.schedule is not None:
            s = self.schedule
            out["schedule"] = {
                "feasible": bool(s.feasible),
                "binding_constraint": s.binding_constraint,
                "min_crews": _jsonable(s.min_crews),
                "milestones": _jsonable(s.milestones.to_dict(orient="records")),
            }
        return out


def _jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars and dates inside ``obj`` to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
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
    seg = p.segments
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

    Returns
    -------
    Plan
    """
    from planner import design as design_mod
    from planner import schedule as schedule_mod
    from planner import whitespots as ws_mod
    from planner._errors import UsageError

    if until not in STAGES:
        raise UsageError(f"unknown stage {until!r}; choose one of {', '.join(STAGES)}")
    config = config or Config()
    show = config.progress if progress is None else progress

    logger.info("white spots: classifying %d address points", len(area.addresses))
    new_buildings = area.layers["new_buildings"]
    ws = ws_mod.run(area, config.whitespots, official_list=official_list,
                    new_buildings=new_buildings if len(new_buildings) else None)
    if until != "whitespots":  # issue #16: an area without POPs gets a proposed one before routing
        from planner.network import with_proposed_pop
        area = with_proposed_pop(area, ws.addresses[ws.addresses["is_target"].astype(bool)], config)
    p = Plan(area=area, config=config, addresses=ws.addresses, localities=None, whitespots=ws,  # type: ignore[arg-type]
             stages=("whitespots",))
    if until != "whitespots":
        logger.info("design: routing %d target points", int(ws.addresses["is_target"].sum()))
        d = design_mod.design_network(area, config, ws.addresses, progress=show)
        p.design, p.addresses, p.stages = d, d.addresses, p.stages + ("design",)
        if config.network.enabled:  # issue #16: optical network on the route; its costs join the BOQs
            from planner.network import design_optical_network
            p.network = design_optical_network(area, config, d)
            p.addresses, d.bom, d.bom_naive = p.network.addresses, p.network.bom, p.network.bom_naive
        if ws.reallocation is not None and len(d.segments):
            # Re-rank reallocation candidates by distance to the planned network (issue #3).
            ws.reallocation = ws_mod.propose_reallocation(
                p.addresses, new_buildings, network=d.segments,
                contracted_total=config.whitespots.contracted_total,
            )
    if until == "schedule":
        built = as_built if as_built is not None else area.layers["as_built"]
        logger.info("schedule: %d segments, %d drops", len(p.segments), len(p.drops))
        s = schedule_mod.build_schedule(p.segments, p.drops, p.addresses, config,
                                        as_built=built if len(built) else None, progress=show)
        p.schedule, p.addresses, p.stages = s, s.addresses, p.stages + ("schedule",)
    p.localities = _assemble_localities(p)
    return p
