"""Every configuration key has an effect (issue #15).

:data:`EFFECTS` holds an entry for every key of every section of :class:`planner.config.Config`
(nested sections such as ``schedule.crews``, ``schedule.replan`` and the items of
``schedule.milestones`` are recursed into; the layer mapping ``area.tables`` and
``whitespots.official_list_columns`` count one key per mapped name).  An entry names a
non-default value, the stage output the key governs and the situation (input variant and other
settings) in which it matters; a key may have further entries for further outputs.  Each entry
is its own test (id: the key): the output of the stage with the key at its default and at the
entry's value must differ, every other setting staying the same.  ``test_every_key_has_an_entry``
fails, naming the key, when a section gains a key without an entry here.

Stages run only as far as the key reaches, on small inputs (``tests/_config_fixture.py``):
a synthetic commune of ~180 address points with planted situations, its as-built survey, the
commune with cabinet sites or private land planted at its default network (the optical network
keys), meshed street grids (the Steiner search keys: on the larger ones the lower bound leaves a
gap, so the local search and the multistart run), the mini study area of ``tests/data/good``
(files and a PostGIS schema), national layers of the commune (plan-many partitioning) and Dask
clusters (the engine keys).
Stage results are cached per configuration, so a default run is shared by the keys of a stage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import shutil
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from _config_fixture import (
    AS_OF,
    MESH,
    MESH_JITTER,
    MESH_LARGE,
    as_built_layer,
    cabinet_parcels_layer,
    cabinet_sites_layer,
    commune_area,
    grid_area,
    official_list_csv,
    with_layer,
)
from _dask_cluster import local_client
from pydantic import BaseModel

from planner.config import Config, NetworkConfig
from planner.schema import LAYERS
from planner.validation.official_list import OFFICIAL_LIST_COLUMNS

pytestmark = pytest.mark.xdist_group("config_effects")

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "good" / "mini_area"

#: Dict-valued keys whose entries are keys of their own: field -> the names it maps.
MAPPED_KEYS: dict[str, Callable[[], tuple[str, ...]]] = {
    "area.tables": lambda: (*LAYERS, "metadata"),
    "whitespots.official_list_columns": lambda: OFFICIAL_LIST_COLUMNS,
}


@dataclass(frozen=True)
class Effect:
    """What one key changes.

    Attributes
    ----------
    key
        Dotted key (``schedule.crews.aerial_crews``; ``schedule.milestones.deadline`` for a
        field of the milestones; ``area.tables.roads`` for a mapped name).
    value
        The non-default value (the first milestone's for milestone fields).
    probe
        The stage output compared (a method ``probe_<name>`` of :class:`Lab`).
    part
        The part of that output that must change.
    situation
        Other settings that make the key matter (nested sections, as ``Config.updated``).
    arg
        Input variant of the probe.
    """

    key: str
    value: Any
    probe: str
    part: str
    situation: Mapping[str, Any] = field(default_factory=dict)
    arg: str = ""

    def override(self) -> dict[str, Any]:
        """The key's value as nested sections."""
        if self.key.startswith("schedule.milestones."):
            ms = [m.model_dump() for m in Config().updated(**_strip(self.situation, self.key)).schedule.milestones]
            ms[0][self.key.rsplit(".", 1)[1]] = self.value
            return {"schedule": {"milestones": ms}}
        out: Any = self.value
        for part in reversed(self.key.split(".")):
            out = {part: out}
        return typing.cast(dict[str, Any], out)


def _strip(tree: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``tree`` without ``key`` (dotted), so that a situation never sets the key it is for."""
    head, _, rest = key.partition(".")
    out = dict(tree)
    if head in out:
        if rest and isinstance(out[head], Mapping):
            out[head] = _strip(out[head], rest)
        elif not rest:
            del out[head]
    return out


# Situations shared by several keys.
ALL_UNDERGROUND = {"design": {"allow_aerial": False}}  # trench on every road, carriageway on the secondary one
NAMED_MILESTONES = {"schedule": {"milestones": [
    {"name": "M1", "deadline": dt.date(2025, 7, 31), "localities": ["Guty"]},
    {"name": "M2", "deadline": dt.date(2025, 12, 31), "localities": ["Stanisławowo"]},
    {"name": "M3", "deadline": dt.date(2026, 12, 31), "localities": []},
]}}
MAY_START = {"schedule": {"start_date": dt.date(2024, 4, 29)}}  # work over 1 and 3 May (PL), 9 May (DE)
WINTER_START = {"schedule": {"start_date": dt.date(2024, 12, 16)}}  # trenching begins in the winter stop
# a re-plan whose milestones are missed with the current crews, so the crew search runs
TIGHT = {"schedule": {"milestones": [
    {"name": "M1", "deadline": dt.date(2024, 4, 12), "localities": []},
    {"name": "M2", "deadline": dt.date(2024, 4, 26), "localities": []},
], "crews": {"aerial_crews": 1, "trench_crews": 1, "drop_crews": 1, "aerial_m_per_day": 150.0}}}

CASCADE = {"network": {"architecture": "cascade"}}

E = Effect
EFFECTS: tuple[Effect, ...] = (
    # --- top level -------------------------------------------------------------------------
    E("name", "scenario-b", "summary", "name"),
    E("progress", False, "console", "stderr"),
    # --- [area]: the loaded Area (the mini study area of tests/data/good as CSV files) -------
    E("area.crs", "EPSG:2177", "area", "layers"),
    E("area.assume_crs", "EPSG:2180", "area", "result", arg="pops_without_crs"),
    E("area.bounds", (639_000.0, 517_000.0, 642_000.0, 519_500.0), "area", "bounds"),
    *(E(f"area.tables.{name}", f"alt_{k:02d}", "postgis", name)
      for k, name in enumerate((*LAYERS, "metadata"))),
    # --- [whitespots]: the classified addresses, the reallocation, the official-list diff ---
    E("whitespots.nga_min_down_mbps", 25.0, "whitespots", "addresses"),  # copper 30 Mb/s becomes NGA
    E("whitespots.fixed_media", ("fibre", "coax", "copper", "radio"), "whitespots", "addresses"),
    E("whitespots.horizon_years", 4, "whitespots", "addresses"),  # plans due 2027 count
    E("whitespots.analysis_date", dt.date(2024, 6, 30), "whitespots", "addresses"),
    E("whitespots.match_distance_m", 5.0, "whitespots", "CFX-NEAR"),  # its fibre point is 10 m away
    E("whitespots.barrier_building_distance_m", 500.0, "whitespots", "addresses"),  # empty plots
    E("whitespots.barrier_building_uses", (), "whitespots", "CFX-SUMMER"),
    E("whitespots.existing_statuses", ("istniejacy", "existing", "prognozowany"), "whitespots", "CFX-STATUS"),
    E("whitespots.contracted_total", 150, "whitespots", "reallocation"),
    *(E(f"whitespots.official_list_columns.{k}", f"x_{k}", "official_list", "diff", arg=k)
      for k in OFFICIAL_LIST_COLUMNS),
    # --- [costs]: the design (segments and drops with their costs, the BOM) -----------------
    E("costs.aerial_pln_per_m", 60.0, "design", "segments"),
    E("costs.pole_fee_commune_lighting_pln", 300.0, "design", "segments"),
    E("costs.pole_fee_telecom_pln", 600.0, "design", "segments"),
    E("costs.pole_fee_power_pln", 900.0, "design", "segments"),
    E("costs.duct_reuse_pln_per_m", 40.0, "design", "segments"),
    E("costs.trench_unpaved_pln_per_m", 40.0, "design", "segments"),
    E("costs.trench_paved_pln_per_m", 300.0, "design", "segments"),
    E("costs.trench_carriageway_pln_per_m", 600.0, "design", "segments", ALL_UNDERGROUND),
    E("costs.road_crossing_pln", 5_000.0, "design", "segments"),
    E("costs.consent_pending_penalty_pln", 20_000.0, "design", "segments"),
    E("costs.drop_pln_per_m", 50.0, "design", "drops"),
    E("costs.drop_fixed_pln", 600.0, "design", "drops"),
    E("costs.drop_distance_fee_pln_per_m", 100.0, "design", "CFX-FAR"),  # its drop is ~316 m
    E("costs.slack_pln_per_m", 8.0, "design", "drops"),
    # --- [design]: the designed network --------------------------------------------------------
    E("design.pole_offset_max_m", 5.0, "design", "segments"),
    E("design.pole_span_max_m", 40.0, "design", "segments"),
    E("design.allow_aerial", False, "design", "segments"),
    E("design.allow_duct_reuse", False, "design", "ducts"),
    E("design.drop_slack_m", 10.0, "design", "drops"),
    E("design.drop_contract_max_m", 400.0, "design", "CFX-FAR"),
    E("design.drop_contract_max_m", 400.0, "plan_dir", "map.html"),  # the map's long drops and their legend
    E("design.long_drop_policy", "exclude", "design", "CFX-FAR"),
    E("design.max_reach_m", 2_000.0, "design", "unconnected"),
    # the Steiner search and the reach repair on a meshed street grid (the commune's roads are nearly a tree)
    E("design.reach_repair_rounds", 0, "design", "segments", {"design": {"max_reach_m": 2_000.0}}, arg="grid"),
    # (the 10 x 10 grid's first tree is proven optimal: the search keys need the larger MESH grids)
    E("design.steiner_max_rounds", 0, "design", "segments", arg="mesh"),
    # stops the first tree's local search after the first round that saves < 50 % (8 rounds -> 6)
    E("design.steiner_rel_tol", 0.5, "design", "search", arg="mesh_jitter"),
    # (the MESH grids are solved exactly or proven optimal before the multistart: MESH_LARGE)
    E("design.steiner_starts", 1, "design", "segments", arg="mesh_large"),  # the first tree stays
    E("design.steiner_starts", 16, "design", "search", arg="mesh_large"),  # 16 starts run instead of 8
    E("design.steiner_seed", 1, "design", "segments", arg="mesh_large"),  # other perturbations, another tree
    # the multistart stops after its first start (and says so); the first tree stays
    E("design.steiner_time_limit_s", 1e-9, "design", "segments", {"design": {"steiner_starts": 16}},
      arg="mesh_large"),
    E("design.steiner_time_limit_s", 1e-9, "design", "search", arg="mesh_large"),
    E("design.max_access_distance_m", 250.0, "design", "CFX-FAR"),
    E("design.node_snap_m", 20.0, "design", "segments"),
    E("design.access_snap_m", 30.0, "design", "segments"),
    E("design.min_chain_poles", 4, "design", "segments"),
    E("design.duct_follow_distance_m", 10.0, "design", "ducts"),  # duct CFX-D2 lies 8 m off its road
    E("design.duct_follow_min_share", 0.3, "design", "ducts"),  # duct CFX-D3 leaves its road
    E("design.parcel_min_share", 0.05, "design", "parcels"),  # the 3 m strip CFX-P-STRIP across a street
    E("design.excluded_highways", ("motorway", "motorway_link", "track"), "design", "segments"),
    E("design.carriageway_highways", ("tertiary",), "design", "segments", ALL_UNDERGROUND),
    E("design.crossing_highways", (), "design", "segments"),
    E("design.private_road_consent", "granted", "design", "segments"),
    # --- [network]: the optical network on the route (planted: a school and a large shop) ----------
    E("network.enabled", False, "network", "layers"),
    E("network.enabled", False, "plan_dir", "map.html"),  # the map's network layers
    E("network.architecture", "cascade", "network", "splitters"),
    E("network.split_ratio", 64, "network", "splitters"),
    E("network.cascade_ratios", (4, 16), "network", "splitters", CASCADE),
    E("network.cabinet_capacity_ports", 32, "network", "cabinets"),  # the largest cabinet serves 67 homes
    E("network.port_spare_ratio", 2.0, "network", "splitters"),
    E("network.fibres_per_drop", 2, "network", "segment_fibres"),
    E("network.cabinet_penalty_fibre_km", 0.0, "network", "cabinets"),
    E("network.closure_splitter_penalty_fibre_km", 0.0, "network", "splitters", CASCADE),
    E("network.max_distribution_m", 800.0, "network", "cabinets"),  # two cabinets reach 1.0-1.1 km
    E("network.cabinet_site_snap_m", 50.0, "network", "cabinets", arg="sites"),  # CFX-SITE-FAR lies ~100 m off
    E("network.avoid_private_parcels", False, "network", "cabinets", arg="parcel"),
    E("network.express_public", False, "network", "express"),  # CFX-SCHOOL
    E("network.express_business_min_floor_m2", 2_000.0, "network", "express"),  # CFX-SHOP's hall: ~1,250 m2
    E("network.express_business_building_uses", ("retail",), "network", "express"),
    E("network.express_building_max_distance_m", 10.0, "network", "express"),  # CFX-SHOP: 20 m from its hall
    E("network.cable_sizes", (24, 96, 288), "network", "cables"),
    E("network.cable_sizing", "uniform", "network", "cables"),
    # the largest cable of (12, 24) is too small by the POP: two run side by side, or it is an error
    E("network.max_parallel_cables", 1, "network", "result", {"network": {"cable_sizes": (12, 24)}}),
    E("network.min_cable_size", 12, "network", "cables"),
    E("network.cable_spare_ratio", 1.0, "network", "cables"),
    E("network.closure_merge_m", 100.0, "network", "closures"),
    E("network.fibre_loss_db_per_km_1310", 0.5, "network", "loss_1310"),
    E("network.fibre_loss_db_per_km_1490", 0.4, "network", "loss_1490"),
    E("network.splitter_loss_db", {**NetworkConfig().splitter_loss_db, 32: 18.5}, "network", "loss_1310"),
    E("network.connector_loss_db", 0.3, "network", "loss_1310"),
    E("network.connectors_per_path", 6, "network", "loss_1490"),
    E("network.splice_loss_db", 0.05, "network", "loss_1310"),
    E("network.margin_db", 4.0, "network", "loss_1490"),
    E("network.optical_class", "B+", "network", "headroom"),
    E("network.olt_ports_per_card", 4, "network", "olt"),  # 5 PON ports
    E("network.p2p_ports_per_card", 1, "network", "olt"),  # 2 express fibres
    E("network.cabinet_pln", 12_000.0, "network", "cost:cabinets"),
    E("network.splitter_pln", {**NetworkConfig().splitter_pln, 32: 300.0}, "network", "cost:splitters"),
    E("network.olt_card_pln", 20_000.0, "network", "cost:olt"),
    E("network.olt_port_pln", 600.0, "network", "cost:olt"),
    E("network.p2p_card_pln", 12_000.0, "network", "cost:olt"),
    E("network.p2p_port_pln", 200.0, "network", "cost:olt"),
    E("network.cable_pln_per_m", {**NetworkConfig().cable_pln_per_m, 24: 3.0}, "network", "cost:cables"),
    E("network.route_cable_size", 24, "network", "cost:cables"),
    E("network.closure_pln", 900.0, "network", "cost:closures"),
    E("network.splice_pln", 40.0, "network", "cost:splices"),
    E("network.patch_cord_pln", 35.0, "network", "cost:patch"),
    # --- [schedule]: work packages, compliance, milestones, progress -----------------------------
    E("schedule.start_date", dt.date(2024, 5, 6), "schedule", "work_packages"),
    E("schedule.project_end", dt.date(2024, 5, 1), "schedule", "verdict"),
    E("schedule.milestones.name", "K1", "schedule", "milestones"),
    E("schedule.milestones.deadline", dt.date(2024, 4, 5), "schedule", "milestones"),
    E("schedule.milestones.localities", ("Guty",), "schedule", "assignment"),
    E("schedule.pass_threshold", 0.5, "schedule", "compliance"),
    E("schedule.auto_assign", False, "schedule", "assignment", NAMED_MILESTONES),
    E("schedule.consent_lead_days", 30, "schedule", "work_packages"),
    E("schedule.trench_winter_stop", None, "schedule", "work_packages", WINTER_START),
    E("schedule.holidays_country", "DE", "schedule", "work_packages", MAY_START),
    E("schedule.work_saturdays", True, "schedule", "work_packages"),
    E("schedule.max_package_days", 1, "schedule", "work_packages"),
    E("schedule.as_built_match_m", 2.0, "schedule", "progress"),  # surveyed lines lie 3 m off
    E("schedule.as_built_min_cover", 0.9, "schedule", "progress"),  # they cover 85 % of a segment
    # --- [schedule.crews] -------------------------------------------------------------------------
    E("schedule.crews.aerial_crews", 1, "schedule", "work_packages"),
    E("schedule.crews.trench_crews", 1, "schedule", "work_packages"),
    E("schedule.crews.duct_crews", 0, "schedule", "work_packages"),
    E("schedule.crews.drop_crews", 1, "schedule", "work_packages"),
    E("schedule.crews.aerial_m_per_day", 300.0, "schedule", "work_packages"),
    E("schedule.crews.trench_unpaved_m_per_day", 60.0, "schedule", "work_packages"),
    E("schedule.crews.trench_paved_m_per_day", 20.0, "schedule", "work_packages"),
    E("schedule.crews.trench_carriageway_m_per_day", 10.0, "schedule", "work_packages", ALL_UNDERGROUND),
    E("schedule.crews.duct_m_per_day", 20.0, "schedule", "work_packages"),
    E("schedule.crews.drops_per_day", 2.0, "schedule", "work_packages"),
    E("schedule.crews.aerial_day_rate_pln", 9_000.0, "replan", "what_it_takes", TIGHT),
    E("schedule.crews.duct_day_rate_pln", 9_000.0, "replan", "what_it_takes", TIGHT),
    E("schedule.crews.trench_day_rate_pln", 19_000.0, "replan", "what_it_takes", TIGHT),
    E("schedule.crews.drop_day_rate_pln", 9_000.0, "replan", "what_it_takes", TIGHT),
    # --- [schedule.replan]: the re-plan from the as-built survey -----------------------------------
    E("schedule.replan.max_crews_per_type", 1, "replan", "what_it_takes", TIGHT),
    E("schedule.replan.max_evaluations", 1, "replan", "what_it_takes", TIGHT),
    E("schedule.replan.reorder_max_evaluations", 0, "replan", "order", TIGHT),
    E("schedule.replan.consent_lead_days", 0, "replan", "remaining"),
    E("schedule.replan.max_days_after_end", 30, "replan", "result", arg="late_as_of"),
    E("schedule.replan.on_plan_min_share", 0.7, "replan", "issues"),  # OFFPLAN follows the plan for 60 %
    E("schedule.replan.connection_max_offset_m", 400.0, "replan", "issues"),  # FARCONN lies 300 m off
    # --- [map]: the councillor map written by write_plan --------------------------------------------
    E("map.lang", "en", "plan_dir", "map.html"),
    E("map.offline", False, "plan_dir", "map.html"),
    E("map.coordinate_precision", 4, "plan_dir", "map.html"),
    E("map.base_layer", False, "plan_dir", "map.html"),
    E("map.road_simplify_m", 50.0, "plan_dir", "map.html"),
    # --- [output]: the UKE export written by write_plan ----------------------------------------------
    E("output.uke_operator_id", "ACME", "plan_dir", "uke"),
    E("output.uke_project_number", "FERC.01.01-IP.01-0001/23", "plan_dir", "uke"),
    # --- [scale]: plan-many's partitioning and Dask engine ------------------------------------------------
    E("scale.clip_buffer_m", 0.0, "partition", "roads"),  # a road 1 km outside the commune
    E("scale.hull_buffer_m", 50.0, "partition", "boundaries"),
    E("scale.chunk_rows", 1_000, "partition", "tasks"),  # 1,100 address rows
    E("scale.threads_per_worker", 2, "engine", "threads"),
    E("scale.memory_limit", "1GiB", "engine", "memory_limit"),
    E("scale.connect_timeout_s", 1e-6, "connect", "result"),  # connecting takes longer than 1 µs
)


# ---------------------------------------------------------------------------
# enumerating the keys
# ---------------------------------------------------------------------------


def _section_of(annotation: Any) -> type[BaseModel] | None:
    """The section model of a field: a model, or the item model of a tuple of models."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is tuple:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return args[0]
    return None


def config_keys(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[str]:
    """Every key of the configuration, sections recursed into (see the module docstring)."""
    for name, info in model.model_fields.items():
        path = prefix + name
        sub = _section_of(info.annotation)
        if sub is not None:
            yield from config_keys(sub, path + ".")
        elif path in MAPPED_KEYS:
            yield from (f"{path}.{k}" for k in MAPPED_KEYS[path]())
        else:
            yield path


def test_every_key_has_an_entry():
    keys = list(config_keys())
    have = [e.key for e in EFFECTS]
    missing = [k for k in keys if k not in have]
    assert not missing, (f"configuration key(s) without a test of their effect: {', '.join(missing)} -- add an "
                         "entry to EFFECTS in tests/test_config_effects.py (or remove the key if it has no effect)")
    stale = [k for k in have if k not in keys]
    assert not stale, f"EFFECTS names key(s) the configuration does not have: {', '.join(stale)}"
    what = [(e.key, e.probe, e.part, e.arg) for e in EFFECTS]
    dup = sorted({w for w in what if what.count(w) > 1})
    assert not dup, f"entries that test one thing twice: {dup}"


def test_entries_are_valid_non_defaults():
    for e in EFFECTS:
        base = Config().updated(**_strip(e.situation, e.key))
        other = base.updated(**e.override())  # validates: a value the model rejects raises ConfigError
        assert other != base, f"{e.key}: {e.value!r} is the default"


# ---------------------------------------------------------------------------
# stage outputs
# ---------------------------------------------------------------------------


def digest(obj: Any) -> str:
    """A stable hash of a table (geometry as WKB), a mapping or a value."""
    h = hashlib.sha1()
    if isinstance(obj, pd.DataFrame):
        df = obj.reset_index(drop=True)
        for c in df.columns:
            col = df[c]
            if isinstance(col.dtype, gpd.array.GeometryDtype):
                col = col.to_wkb(hex=True)
            h.update(str(c).encode())
            h.update(pd.util.hash_pandas_object(col.astype(str), index=False).to_numpy().tobytes())
    else:
        h.update(json.dumps(obj, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def _tree_digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()[:16]
            for p in sorted(root.rglob("*")) if p.is_file()}


class _Stop(Exception):
    """Ends a plan-many run once the probe has seen what it needs."""


class _CountingClient:
    """A Dask client that counts the tasks submitted per function and stops at the commune plans."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.counts: dict[str, int] = {}

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if func.__name__ == "run_commune":
            raise _Stop
        self.counts[func.__name__] = self.counts.get(func.__name__, 0) + 1
        return self._client.submit(func, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class Lab:
    """The inputs of the probes, built on first use, and the probes' results, cached per configuration."""

    def __init__(self, tmp: Path, fixture: Callable[[str], Any]) -> None:
        self.tmp = tmp
        self.fixture = fixture  # pytest's request.getfixturevalue (the PostGIS server, the Dask client)
        self._cache: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._inputs: dict[str, Any] = {}
        self._n = 0

    def run(self, probe: str, cfg: Config, arg: str = "", *, cached: bool = True) -> dict[str, Any]:
        key = (probe, arg, cfg.model_dump_json())
        if not cached or key not in self._cache:
            self._cache[key] = getattr(self, f"probe_{probe}")(cfg, arg)
        return self._cache[key]

    def _input(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._inputs:
            self._inputs[name] = make()
        return self._inputs[name]

    def _dir(self, name: str) -> Path:
        """A new directory name under the module's temporary directory (not created)."""
        self._n += 1
        return self.tmp / f"{name}-{self._n}"

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def area(self) -> Any:
        return self._input("area", commune_area)

    def area_for(self, arg: str) -> Any:
        """The input of ``arg``: the commune (``""``), a street grid or the commune with planted network sites.

        ``grid``: :func:`grid_area`'s defaults; ``mesh``, ``mesh_jitter``, ``mesh_large``: the
        grids of :data:`MESH`, :data:`MESH_JITTER` and :data:`MESH_LARGE`; ``sites``: the commune
        with two cabinet sites at its default route (:func:`cabinet_sites_layer`); ``parcel``: the commune with private
        land under each default cabinet (:func:`cabinet_parcels_layer`).
        """
        makers: dict[str, Callable[[], Any]] = {
            "grid": grid_area, "mesh": lambda: grid_area(**MESH), "mesh_jitter": lambda: grid_area(**MESH_JITTER),
            "mesh_large": lambda: grid_area(**MESH_LARGE),
            "sites": lambda: with_layer(self.area, "cabinet_sites", cabinet_sites_layer(
                self.default_plan.design.segments, self.area.pops)),
            "parcel": lambda: with_layer(self.area, "parcels", cabinet_parcels_layer(
                self.default_plan.network.cabinets)),
        }
        return self._input(arg, makers[arg]) if arg else self.area

    @property
    def default_plan(self) -> Any:
        """The commune planned up to the design (and its optical network) with the defaults."""
        from planner.pipeline import plan

        return self._input("default_plan", lambda: plan(self.area, Config().updated(progress=False), until="design"))

    @property
    def as_built(self) -> gpd.GeoDataFrame:
        def make() -> gpd.GeoDataFrame:
            from planner.pipeline import plan

            p = plan(self.area, Config().updated(progress=False))
            return as_built_layer(p.segments, p.schedule, AS_OF)

        return self._input("as_built", make)

    def design(self, cfg: Config) -> Any:
        """The plan up to the design stage (for the schedule and re-plan probes), per design-relevant config."""
        from planner.pipeline import plan

        dcfg = Config().updated(progress=False, whitespots=cfg.whitespots.model_dump(),
                                costs=cfg.costs.model_dump(), design=cfg.design.model_dump())
        return self._input("design:" + dcfg.model_dump_json(), lambda: plan(self.area, dcfg, until="design"))

    # -- probes: each returns the named parts of one stage output ----------------------------------------
    def probe_summary(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.pipeline import plan

        s = plan(self.area, cfg, until="whitespots").summary()
        return {"name": s.get("name")}

    def probe_console(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.pipeline import plan

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            plan(self.area, cfg, until="whitespots")
        return {"stderr": "white spots" in err.getvalue()}

    def probe_area(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner._errors import PlannerError
        from planner.io import load_area

        src = self._input("mini:" + arg, lambda: self._mini_area(arg))
        try:
            a = load_area(src, cfg)
        except PlannerError as exc:
            return {"result": f"{type(exc).__name__}: {exc}", "layers": None, "bounds": None}
        layers = {k: digest(v) for k, v in a.layers.items()}
        return {"result": digest([a.crs, a.bounds, layers]), "layers": [a.crs, layers], "bounds": a.bounds}

    def _mini_area(self, arg: str) -> Path:
        d = self._dir("mini")
        shutil.copytree(MINI, d)
        if arg == "pops_without_crs":
            (d / "pops.prj").unlink()
        return d

    def probe_postgis(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.io import load_area

        server = self.fixture("postgis_server")
        self._input("postgis_schema", lambda: self._load_schema(server))
        a = load_area(server.url("cfx_pg", user="postgres", password=server.password), cfg)
        out = {k: digest(v) for k, v in a.layers.items()}
        out["metadata"] = digest([a.name, a.bounds])
        return out

    def _load_schema(self, server: Any) -> None:
        """The mini area as tables of schema ``cfx_pg`` and, for every layer, a different table ``alt_NN``."""
        from _postgis_server import load_frames
        from shapely.geometry import LineString, Point, box

        from planner.io import load_area

        mini = load_area(MINI)
        frames: dict[str, Any] = {k: v for k, v in mini.layers.items() if len(v)}
        x0, y0 = 640_000.0, 518_000.0
        made = {
            "buildings": gpd.GeoDataFrame({"id": ["b1"], "use": ["residential"]},
                                          geometry=[box(x0 + 45, y0 + 15, x0 + 55, y0 + 25)], crs="EPSG:2180"),
            "ducts": gpd.GeoDataFrame({"id": ["d1"], "owner": ["Gmina"], "free_subducts": [1]},
                                      geometry=[LineString([(x0, y0), (x0 + 300, y0)])], crs="EPSG:2180"),
            "localities": gpd.GeoDataFrame({"simc": ["0921645"], "terc": ["1408044"], "locality": ["Serock"]},
                                           geometry=[box(x0 - 100, y0 - 100, x0 + 900, y0 + 500)], crs="EPSG:2180"),
            "new_buildings": gpd.GeoDataFrame(
                {"id": ["n1"], "terc": ["1408044"], "simc": ["0921645"], "ulic": [""], "locality": ["Serock"],
                 "street": [""], "house_number": ["99"], "is_business": [False]},
                geometry=[Point(x0 + 420, y0 + 30)], crs="EPSG:2180"),
            "cabinet_sites": gpd.GeoDataFrame({"id": ["c1"], "name": ["verge"]}, geometry=[Point(x0 + 200, y0 + 5)],
                                              crs="EPSG:2180"),
            "as_built": gpd.GeoDataFrame(
                {"id": ["s1"], "kind": ["segment"], "deployment": ["trench"], "address_id": [""],
                 "built_on": pd.to_datetime(["2024-05-01"])},
                geometry=[LineString([(x0 + 300, y0), (x0 + 300, y0 + 200)])], crs="EPSG:2180"),
        }
        alt: dict[str, Any] = {}
        for k, name in enumerate((*LAYERS, "metadata")):
            if name == "metadata":
                alt[f"alt_{k:02d}"] = pd.DataFrame({"key": ["name"], "value": ["cfx-metadata"]})
            elif name in frames:
                layer = frames[name]
                alt[f"alt_{k:02d}"] = layer.iloc[:-1] if len(layer) > 1 else layer.set_geometry(
                    layer.geometry.translate(10.0, 10.0))
            else:
                alt[f"alt_{k:02d}"] = made[name]
        work = self._dir("pgload")
        work.mkdir()
        load_frames(server, {**frames, **alt}, "cfx_pg", work, grant=False)

    def probe_whitespots(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.pipeline import plan

        ws = plan(self.area, cfg, until="whitespots").whitespots
        a = ws.addresses.set_index("id")
        planted = {i: tuple(a.loc[i, ["ws_class", "is_barrier", "barrier_reason", "is_target"]].tolist())
                   for i in a.index if i.startswith("CFX-")}
        return {"addresses": digest(ws.addresses.drop(columns="geometry")), "localities": digest(ws.localities),
                "reallocation": digest(ws.reallocation), **planted}

    def probe_official_list(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.pipeline import plan

        path = self._input(f"official:{arg}", lambda: official_list_csv(
            self.area.addresses, self._dir("official") / "list.csv", arg))
        diff = plan(self.area, cfg, official_list=path, until="whitespots").whitespots.official_diff
        return {"diff": digest(diff), "sets": diff["set"].value_counts().sort_index().to_dict()}

    def probe_design(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.pipeline import plan

        d = plan(self.area_for(arg), cfg, until="design").design
        seg, a = d.segments, d.addresses.set_index("id")
        far = (tuple(a.loc["CFX-FAR", ["plan_status", "unconnected_reason"]].tolist())
               + tuple(round(float(a.loc["CFX-FAR", c]), 2) for c in ("drop_length_m", "drop_fee_pln"))
               if "CFX-FAR" in a.index else None)
        return {"segments": digest(seg), "drops": digest(d.drops), "bom": digest(d.bom),
                "unconnected": digest(d.unconnected), "CFX-FAR": far,
                "ducts": seg[seg["duct_id"] != ""].groupby("duct_id")["length_m"].sum().round(1).to_dict(),
                "parcels": seg[seg["parcel_id"] != ""].groupby(["parcel_id", "consent"]).size().to_dict(),
                "figures": {k: d.summary[k] for k in ("km_aerial", "km_duct", "km_trench", "cost_total_pln",
                                                      "connected", "pending_consent_segments")},
                "search": {k: v for k, v in d.summary.items() if k.startswith("steiner_")}}

    def probe_network(self, cfg: Config, arg: str) -> dict[str, Any]:
        """The optical network of the plan (``None`` parts when the plan has none)."""
        from planner._errors import PlannerError
        from planner.pipeline import plan

        try:
            p = plan(self.area_for(arg), cfg, until="design")
        except PlannerError as exc:
            return {"result": f"{type(exc).__name__}: {exc}"}
        n = p.network
        if n is None:
            return {"result": "no network", "layers": None, "addresses": sorted(p.addresses.columns)}
        frames = {k: getattr(n, k) for k in ("cabinets", "cabinet_areas", "splitters", "cables", "closures", "olt",
                                             "loss_budget", "segment_fibres", "bom_items")}
        lb = n.loss_budget
        costs = n.bom_items[n.bom_items["category"] != "TOTAL"].groupby("category")["cost_pln"].sum().round(2)
        return {"result": "designed", "layers": digest([digest(v) for v in frames.values()]),
                "addresses": sorted(p.addresses.columns), **{k: digest(v) for k, v in frames.items()},
                "express": sorted(lb.loc[lb["express_fibre"], "address_id"]),
                "loss_1310": digest(lb["loss_db_1310"]), "loss_1490": digest(lb["loss_db_1490"]),
                "headroom": digest(lb[["budget_db", "headroom_db", "within_budget"]]),
                **{f"cost:{k}": v for k, v in costs.items()},
                "summary": {k: v for k, v in n.summary.items() if not isinstance(v, (list, dict))}}

    def probe_schedule(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.schedule import build_schedule

        p = self.design(cfg)
        s = build_schedule(p.segments, p.drops, p.addresses, cfg.schedule, as_built=self.as_built)
        prog = s.progress_summary
        return {"work_packages": digest(s.work_packages), "compliance": digest(s.compliance),
                "milestones": digest(s.milestones), "assignment": digest(s.assignment),
                "verdict": [s.feasible, s.binding_constraint, s.min_crews],
                "progress": digest([prog.km_built, prog.km_planned_built, prog.pct_passed, s.progress, s.segments])}

    def probe_replan(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner._errors import PlannerError
        from planner.pipeline import replan

        p = self.design(cfg)
        as_of = cfg.schedule.project_end + dt.timedelta(days=100) if arg == "late_as_of" else AS_OF
        try:
            r = replan(p.area, cfg, as_of=as_of, as_built=self.as_built, plan=p)
        except PlannerError as exc:
            return {"result": f"{type(exc).__name__}: {exc}"}
        search = {k: r.search[k] for k in ("schedules", "by_goal", "order_schedules")}
        return {"result": "re-planned", "what_it_takes": digest(r.milestones),
                "order": digest([r.order, r.order_summary]), "remaining": digest(r.remaining.work_packages),
                "issues": digest(r.issues), "search": search}

    def probe_plan_dir(self, cfg: Config, arg: str) -> dict[str, Any]:
        from planner.output import write_plan
        from planner.pipeline import plan

        p = plan(self.area, cfg, until="design")
        out = self._dir("plan")
        write_plan(p, out, screenshot=False)
        files = _tree_digests(out)
        return {"map.html": files["map.html"], "uke": {k: v for k, v in files.items() if k.startswith("uke/")}}

    # -- plan-many --------------------------------------------------------------------------------------
    def _national(self) -> Any:
        from planner.output.files import write_parquet
        from planner.scale.partitioning import NationalInputs

        d = self._dir("national")
        d.mkdir()
        a = self.area
        # 1,100 address rows: the commune's points six times over (ids made unique)
        addr = pd.concat([a.addresses.assign(id=a.addresses["id"] + f"-{k}") for k in range(6)], ignore_index=True)
        addr = gpd.GeoDataFrame(addr.head(1_100), geometry="geometry", crs=a.crs)
        roads = a.roads.copy()
        far = a.addresses.union_all().convex_hull.buffer(1_000.0).exterior
        roads = pd.concat([roads, gpd.GeoDataFrame({"id": ["CFX-FAR-ROAD"], "highway": ["track"]},
                                                   geometry=[far], crs=a.crs)], ignore_index=True)
        addr.to_parquet(d / "addresses.parquet", row_group_size=100)  # national files come in row groups
        write_parquet(gpd.GeoDataFrame(roads, geometry="geometry", crs=a.crs), d / "roads.parquet")
        return NationalInputs(addresses=(d / "addresses.parquet",), layers={"roads": d / "roads.parquet"})

    def probe_partition(self, cfg: Config, arg: str) -> dict[str, Any]:
        import planner

        national = self._input("national", self._national)
        client = _CountingClient(self.fixture("dask_client"))
        out = self._dir("many")
        with pytest.raises(_Stop):
            planner.plan_many(national=national, out=out, config=cfg, client=client, progress=False)
        bnd = gpd.read_parquet(out / "boundaries.parquet")
        roads = {t: sorted(gpd.read_parquet(out / "areas" / t / "roads.parquet")["id"]) for t in bnd["terc"]}
        return {"boundaries": digest(bnd), "roads": roads, "tasks": dict(sorted(client.counts.items()))}

    def _areas_dir(self) -> Path:
        d = self._dir("areas")
        (d / "one").mkdir(parents=True)
        return d

    def probe_engine(self, cfg: Config, arg: str) -> dict[str, Any]:
        """The workers of the local cluster plan-many starts (stopped once it is up)."""
        import planner
        from planner.scale import plan_many as module

        seen: dict[str, Any] = {}
        real = module.open_client

        @contextlib.contextmanager
        def looking(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with real(*args, **kwargs) as client:
                (w,) = client.scheduler_info()["workers"].values()
                seen.update(threads=w["nthreads"], memory_limit=w["memory_limit"])
                yield client

        def stop(_link: str) -> None:
            raise _Stop

        with pytest.MonkeyPatch.context() as mp, pytest.raises(_Stop):
            mp.setattr(module, "open_client", looking)
            planner.plan_many(self._input("areas", self._areas_dir), out=self._dir("many"), config=cfg, workers=1,
                              progress=False, on_dashboard=stop)
        return seen

    def probe_connect(self, cfg: Config, arg: str) -> dict[str, Any]:
        import planner
        from planner._errors import UsageError

        def stop(_link: str) -> None:
            raise _Stop

        scheduler = self.fixture("dask_scheduler")
        try:
            planner.plan_many(self._input("areas", self._areas_dir), out=self._dir("many"), config=cfg,
                              scheduler=scheduler, progress=False, on_dashboard=stop)
        except _Stop:
            return {"result": "connected"}
        except UsageError as exc:
            return {"result": str(exc)}
        return {"result": "planned"}


@pytest.fixture(scope="module")
def dask_client():
    """A local cluster of one worker process for the partitioning probes."""
    with local_client(1) as c:
        yield c


@pytest.fixture(scope="module")
def dask_scheduler():
    """The address of a Dask scheduler without workers (plan-many only connects to it)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None,
                      silence_logs=40) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def lab(tmp_path_factory, request) -> Lab:
    return Lab(tmp_path_factory.mktemp("config_effects"), request.getfixturevalue)


def configs(e: Effect) -> tuple[Config, Config]:
    """The configuration with the key at its default and at the entry's value (same situation)."""
    situation = {"progress": False, **e.situation}  # quiet, unless the key is `progress` itself
    base = Config().updated(**_strip(situation, e.key))
    return base, base.updated(**e.override())


def check(lab: Lab, e: Effect, *, cached: bool = True) -> tuple[Any, Any]:
    """Run the probe with the key at its default and at its value; assert the governed part differs."""
    base, other = configs(e)
    a = lab.run(e.probe, base, e.arg, cached=cached)
    b = lab.run(e.probe, other, e.arg, cached=cached)
    assert a[e.part] != b[e.part], (
        f"{e.key} = {e.value!r} leaves {e.probe} output '{e.part}' unchanged (default: {a[e.part]!r}); "
        f"other parts: default {a}, with the key {b}")
    return a[e.part], b[e.part]


def _test_id(e: Effect) -> str:
    """The key; ``key@probe`` for the further outputs of a key with several entries."""
    first = next(x for x in EFFECTS if x.key == e.key)
    if e is first:
        return e.key
    same = [x for x in EFFECTS if x.key == e.key and x.probe == e.probe]
    return f"{e.key}@{e.probe}" if len(same) == 1 else f"{e.key}@{e.probe}.{e.part}"


@pytest.mark.parametrize("effect", EFFECTS, ids=[_test_id(e) for e in EFFECTS])
def test_key_changes_the_output_it_governs(lab, effect):
    check(lab, effect)


@pytest.mark.parametrize("probe, arg", [("whitespots", ""), ("design", ""), ("schedule", ""), ("replan", ""),
                                        ("area", ""), ("plan_dir", ""), ("network", ""), ("design", "mesh")])
def test_probes_are_deterministic(lab, probe, arg):
    """Two runs with one configuration give the same output, so a difference is the key's doing."""
    cfg = Config().updated(progress=False)
    assert lab.run(probe, cfg, arg, cached=False) == lab.run(probe, cfg, arg, cached=False)


def test_an_ignored_key_is_caught(lab, monkeypatch):
    """A key the code silently ignores fails its entry (here: the commune's pole fee, read as the default)."""
    from planner.config.costs import CostConfig

    fee = CostConfig.pole_fee
    monkeypatch.setattr(CostConfig, "pole_fee", lambda self, owner: fee(CostConfig(), owner)
                        if owner == "commune_lighting" else fee(self, owner))
    (e,) = [x for x in EFFECTS if x.key == "costs.pole_fee_commune_lighting_pln"]
    with pytest.raises(AssertionError, match="leaves design output 'segments' unchanged"):
        check(lab, e, cached=False)
