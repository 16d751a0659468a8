"""Validated configuration of a plan.

One TOML file maps onto :class:`Config`; every section is a pydantic model that
rejects unknown keys, and every unit is in the key's name (``_m``, ``_pln``,
``_pln_per_m``, ``_mbps``, ``_days``).  **Every default lives in this module**
with a comment giving its source or, where no public source exists, the
assumption behind it.  Sources quoted:

* [MIN] Minutes of the Serock council committee, 24 March 2025 (``shared/context``):
  white spot = no operator offers or plans within 3 years a fibre/NGA connection;
  drops up to 200 m in the contract, longer ones pay a distance fee; cable hangs on
  commune lighting poles, no new poles; ducts laid with new roads (ul. Norwida) are
  reused; 3 milestones by village, each ~80 % of the village's points; end 21.01.2027;
  7,614 points, 438 businesses.
* [FERC] FERC 1.1 call documentation: NGA / very-high-capacity threshold 100 Mb/s
  downlink for the white-spot list.
* [UKE] UKE inventory code lists (``data/uke/slowniki_inwentaryzacja_uke.txt``).
* [A] Assumption of this project, to be replaced with the operator's own price list.
  Prices are PLN net, 2024 market level for rural Mazovia.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planner._errors import ConfigError, Problem

__all__ = [
    "AreaConfig",
    "WhiteSpotConfig",
    "CostConfig",
    "DesignConfig",
    "CrewConfig",
    "Milestone",
    "ScheduleConfig",
    "MapConfig",
    "Config",
    "load_config",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class AreaConfig(_Section):
    """Where the study area is and how its coordinates are read."""

    # Working CRS.  EPSG:2180 (PUWG 1992) is the national CRS of Polish registers
    # (PRG, EGiB, GESUT).  "auto" picks EPSG:2180 inside Poland and the local UTM
    # zone elsewhere (e.g. the Finnish OSM fixtures). [A]
    crs: str = "EPSG:2180"
    # CRS assumed for input layers that carry none (CLI --assume-crs).  None means a
    # layer without CRS is an error.  [A: never guess silently]
    assume_crs: str | None = None
    # Study-area bounds (minx, miny, maxx, maxy) in the working CRS, easting-northing.
    # Coordinates outside are rejected; a layer that fits only once its axes are
    # swapped is reported as axis-swapped.  None: Poland's extent for EPSG:2180,
    # otherwise no check.  [A]
    bounds: tuple[float, float, float, float] | None = None

    @field_validator("bounds")
    @classmethod
    def _check_bounds(cls, v: tuple[float, float, float, float] | None):
        if v is not None and not (v[0] < v[2] and v[1] < v[3]):
            raise ValueError("bounds must be (minx, miny, maxx, maxy) with minx < maxx and miny < maxy")
        return v


class WhiteSpotConfig(_Section):
    """Rules that classify address points as white / grey / black spots."""

    # Downlink threshold of an NGA connection. [FERC]
    nga_min_down_mbps: float = Field(100.0, gt=0)
    # Media that count as fixed access; radio (FWA) does not count for the FERC
    # white-spot list. [FERC, UKE media list]
    fixed_media: tuple[str, ...] = ("fibre", "coax", "copper")
    # Planning horizon: planned NGA counts if due within this many years of the
    # analysis date. [MIN: "w ciągu najbliższych 3 lat"]
    horizon_years: int = Field(3, ge=0, le=20)
    # Date of the analysis (the operators' declarations). The FERC 1.1 white-spot
    # consultation closed in 2023. [A]
    analysis_date: dt.date = dt.date(2023, 6, 30)
    # Fallback match of point coverage to address points, metres. [A]
    match_distance_m: float = Field(25.0, ge=0)
    # A white spot with no building this close is an investment barrier. [issue #3]
    barrier_building_distance_m: float = Field(30.0, ge=0)
    # Building uses that make an address an investment barrier. [MIN: zabudowa letniskowa]
    barrier_building_uses: tuple[str, ...] = ("summer_house",)
    # PRG address statuses that count as an existing address. [PRG model 2012 'status']
    existing_statuses: tuple[str, ...] = ("istniejacy", "existing")
    # Contracted number of address points (keep constant when reallocating). [MIN: 7,614]
    contracted_total: int | None = None
    # Column names of an imported official white-spot list: planner name -> column
    # name in the file.  Keys: id, terc, simc, ulic, street, house_number, lat, lon
    # (id and lat/lon WGS84 optional).  Unmapped keys are also looked up case-insensitively
    # under common UKE/SIDUSIS spellings (kod_terc, nr_porzadkowy, szerokosc, ...).
    # [A: no published layout of the FERC 1.1 list, see data SOURCES.md]
    official_list_columns: dict[str, str] = Field(default_factory=lambda: {
        "terc": "terc", "simc": "simc", "ulic": "ulic", "street": "street",
        "house_number": "house_number", "lat": "lat", "lon": "lon",
    })

    @field_validator("official_list_columns")
    @classmethod
    def _check_official_list_columns(cls, v: dict[str, str]) -> dict[str, str]:
        allowed = {"terc", "simc", "ulic", "street", "house_number", "lat", "lon", "id"}
        unknown = sorted(set(v) - allowed)
        if unknown:
            raise ValueError(f"unknown official-list column key(s) {unknown}; allowed: {sorted(allowed)}")
        return v


class CostConfig(_Section):
    """Unit prices, PLN net. All [A] unless stated."""

    # Cable hung on existing poles (cable, clamps, labour), per metre.
    aerial_pln_per_m: float = Field(22.0, ge=0)
    # Attachment (najem/udostępnienie) fee per pole used, by owner. The commune offers
    # its lighting poles under a cooperation agreement [MIN], so they are cheapest.
    pole_fee_commune_lighting_pln: float = Field(30.0, ge=0)
    pole_fee_telecom_pln: float = Field(120.0, ge=0)
    pole_fee_power_pln: float = Field(180.0, ge=0)
    # Blowing a cable into a free sub-duct of an existing technological duct. [MIN: ul. Norwida]
    duct_reuse_pln_per_m: float = Field(15.0, ge=0)
    # Trench with microduct and cable, by surface.
    trench_unpaved_pln_per_m: float = Field(85.0, ge=0)
    trench_paved_pln_per_m: float = Field(190.0, ge=0)
    trench_carriageway_pln_per_m: float = Field(420.0, ge=0)
    # Horizontal directional drilling under a road (one crossing).
    road_crossing_pln: float = Field(2_500.0, ge=0)
    # Penalty for an edge whose parcel consent is pending (cost of delay and risk).
    consent_pending_penalty_pln: float = Field(8_000.0, ge=0)
    # Drop cable from the network to the fence (built as aerial/underground drop), per metre.
    drop_pln_per_m: float = Field(35.0, ge=0)
    # Fixed cost of one connection (closure splice, ONT-side termination at the fence).
    drop_fixed_pln: float = Field(450.0, ge=0)
    # Distance fee per metre of drop beyond the contracted length. [MIN: opłaty dystansowe]
    drop_distance_fee_pln_per_m: float = Field(60.0, ge=0)
    # Slack cable coiled at the fence (cable only, no labour), per metre of slack. [A]
    slack_pln_per_m: float = Field(4.0, ge=0)

    def pole_fee(self, owner: str) -> float:
        """Attachment fee of one pole of ``owner``."""
        return {
            "commune_lighting": self.pole_fee_commune_lighting_pln,
            "telecom": self.pole_fee_telecom_pln,
            "power": self.pole_fee_power_pln,
        }[owner]

    def trench_pln_per_m(self, surface: str) -> float:
        """Trench price per metre for a surface class."""
        return {
            "unpaved": self.trench_unpaved_pln_per_m,
            "paved": self.trench_paved_pln_per_m,
            "carriageway": self.trench_carriageway_pln_per_m,
        }[surface]


class DesignConfig(_Section):
    """Network design rules."""

    # A pole belongs to an edge's aerial chain if within this offset of it. [issue #4]
    pole_offset_max_m: float = Field(15.0, gt=0)
    # Maximum span between consecutive poles (and from the chain's ends to the edge's ends). [issue #4]
    pole_span_max_m: float = Field(70.0, gt=0)
    # Use existing poles (False: the "all underground" scenario).
    allow_aerial: bool = True
    # Reuse existing ducts (False: the "no duct reuse" scenario).
    allow_duct_reuse: bool = True
    # Slack coiled at the fence, per drop. [MIN: ~30 m zapasu]
    drop_slack_m: float = Field(30.0, ge=0)
    # Drop length covered by the contract. [MIN: do 200 m w ramach umowy]
    drop_contract_max_m: float = Field(200.0, gt=0)
    # What to do with drops longer than the contract: connect and charge the fee, or
    # exclude the address and report it.
    long_drop_policy: Literal["connect", "exclude"] = "connect"
    # Maximum fibre distance from the POP (GPON class B+ budget with 1:64 split ~20 km). [A]
    max_reach_m: float = Field(20_000.0, gt=0)
    # Rounds of Steiner rebuilds that force the shortest paths of reach violators into the
    # tree before the remaining ones are grafted on directly (see design._reach_tree). [A]
    reach_repair_rounds: int = Field(5, ge=0)
    # Local search of the shared Steiner tree (planner.routing.steiner_tree_edges): the
    # design runs it to a local optimum (no round-count or gain cut-off). [A: on a 94 k-edge
    # road grid with 7,600 terminals rounds save 1.1 %, 0.2 %, 0.07 %, ... of the cost at
    # ~15-20 ms each; the routing function's default stops after one round for speed]
    steiner_max_rounds: int = Field(50, ge=0)
    steiner_rel_tol: float = Field(0.0, ge=0, lt=1)
    # An access point is the projection of the address point onto the nearest usable
    # road within this distance; farther addresses are unreachable. [A]
    max_access_distance_m: float = Field(1_500.0, gt=0)
    # Road ends and shared vertices closer than this are one graph node (OSM ways share
    # nodes; digitising noise in other sources stays well below). [A]
    node_snap_m: float = Field(0.5, gt=0)
    # An access point (or POP) this close to an existing node along the road is
    # snapped to it instead of splitting the road. [A]
    access_snap_m: float = Field(1.0, ge=0)
    # Fewest usable poles that make an aerial chain (a lone lamp carries no span). [A]
    min_chain_poles: int = Field(2, ge=1)
    # A duct follows an edge if at least ``duct_follow_min_share`` of the edge lies
    # within ``duct_follow_distance_m`` of it. [A]
    duct_follow_distance_m: float = Field(5.0, gt=0)
    duct_follow_min_share: float = Field(0.9, gt=0, le=1)
    # An edge lies in a parcel (and needs its consent) if this share of its length is inside. [A]
    parcel_min_share: float = Field(0.5, gt=0, le=1)
    # Road classes the cable never follows (no access for works, no address access). [A]
    excluded_highways: tuple[str, ...] = ("motorway", "motorway_link")
    # Road classes with no free verge: a trench along them runs under the carriageway. [A]
    carriageway_highways: tuple[str, ...] = (
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
    )
    # Road classes (>= tertiary) whose crossing by a trench or an underground drop is
    # a priced road crossing (HDD bore). [A]
    crossing_highways: tuple[str, ...] = (
        "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
        "tertiary", "tertiary_link",
    )
    # Consent assumed for a private road that no parcel covers. [A: owner unknown -> ask]
    private_road_consent: Literal["granted", "pending", "refused", "not_needed"] = "pending"


class CrewConfig(_Section):
    """Crews and their productivity per working day. All [A] (typical Polish FTTH contractors)."""

    aerial_crews: int = Field(2, ge=0)
    trench_crews: int = Field(2, ge=0)
    duct_crews: int = Field(1, ge=0)
    drop_crews: int = Field(3, ge=0)
    aerial_m_per_day: float = Field(900.0, gt=0)
    trench_unpaved_m_per_day: float = Field(180.0, gt=0)
    trench_paved_m_per_day: float = Field(70.0, gt=0)
    trench_carriageway_m_per_day: float = Field(35.0, gt=0)
    duct_m_per_day: float = Field(1_500.0, gt=0)
    drops_per_day: float = Field(6.0, gt=0)


class Milestone(_Section):
    """A milestone (kamień milowy): deadline and its localities."""

    name: str
    deadline: dt.date
    # Locality names or SIMC codes; empty means "all localities not in another milestone"
    # (at most one such milestone) or, with ScheduleConfig.auto_assign, chosen by the scheduler.
    localities: tuple[str, ...] = ()


def _contract_milestones() -> tuple[Milestone, ...]:
    # The three milestone deadlines of the Serock/Wieliszew FERC contract [MIN, issue #6];
    # which localities fall into which milestone depends on the area, so by default the
    # scheduler assigns them (auto_assign).  The demo area's named assignment is in
    # data/demo/planner.toml (`load_config("demo")`).
    return (
        Milestone(name="M1", deadline=dt.date(2025, 7, 31)),
        Milestone(name="M2", deadline=dt.date(2025, 12, 31)),
        Milestone(name="M3", deadline=dt.date(2026, 12, 31)),
    )


class ScheduleConfig(_Section):
    """Milestone schedule."""

    # Start of construction: the first year of building ended by March 2025. [MIN]
    start_date: dt.date = dt.date(2024, 4, 2)
    # Project end. [MIN: 21.01.2027]
    project_end: dt.date = dt.date(2027, 1, 21)
    milestones: tuple[Milestone, ...] = Field(default_factory=_contract_milestones)
    # Share of a locality's target points that must be passed by its milestone. [MIN: ~80 %]
    pass_threshold: float = Field(0.8, gt=0, le=1)
    # Choose the locality -> milestone assignment automatically (issue #6 automatic mode);
    # the default milestones name no localities, so this is on by default. [A]
    auto_assign: bool = True
    crews: CrewConfig = Field(default_factory=CrewConfig)
    # Lead time before a segment with a pending consent may start. [A; MIN: consents are the main delay]
    consent_lead_days: int = Field(90, ge=0)
    # Winter stop for trenching (month-day, inclusive), None for no stop. [A: frozen ground]
    trench_winter_stop: tuple[str, str] | None = ("12-15", "02-28")
    # Public holidays of this country are not working days (holidays library). [A]
    holidays_country: str = "PL"
    # Work on Saturdays. [A: 5-day week]
    work_saturdays: bool = False
    # Longest work package, in working days: longer runs of one deployment type in
    # one locality are cut (in tree order) so that several crews can share them. [A]
    max_package_days: int = Field(20, ge=1)
    # An as-built line within this distance of a planned segment, covering at least
    # as_built_min_cover of its length, marks the segment built. [A: GPS survey accuracy]
    as_built_match_m: float = Field(5.0, gt=0)
    as_built_min_cover: float = Field(0.8, gt=0, le=1)

    @model_validator(mode="after")
    def _check(self):
        names = [m.name for m in self.milestones]
        if len(set(names)) != len(names):
            raise ValueError(f"milestone names must be unique, got {names}")
        if sum(1 for m in self.milestones if not m.localities) > 1 and not self.auto_assign:
            raise ValueError("at most one milestone may leave 'localities' empty (it takes the rest)")
        if self.trench_winter_stop is not None:
            for md in self.trench_winter_stop:
                try:
                    dt.datetime.strptime("2024-" + md, "%Y-%m-%d")
                except ValueError as exc:
                    raise ValueError(f"trench_winter_stop needs 'MM-DD' values, got {md!r}") from exc
        return self


class MapConfig(_Section):
    """Councillor map."""

    lang: Literal["pl", "en"] = "pl"
    # True: no base-map tiles, so the HTML makes no network request at all (councillors open it from
    # e-mail); False: OpenStreetMap tiles. Leaflet and the map runtime are inlined either way. [A]
    offline: bool = True
    # Coordinate rounding of the map's GeoJSON, decimal degrees (6 digits ~ 0.1 m). [A]
    coordinate_precision: int = Field(6, ge=4, le=8)


class Config(_Section):
    """The whole configuration of one plan."""

    name: str = "plan"
    area: AreaConfig = Field(default_factory=AreaConfig)
    whitespots: WhiteSpotConfig = Field(default_factory=WhiteSpotConfig)
    costs: CostConfig = Field(default_factory=CostConfig)
    design: DesignConfig = Field(default_factory=DesignConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    map: MapConfig = Field(default_factory=MapConfig)
    # Show progress bars (CLI --quiet turns them off).
    progress: bool = True

    def updated(self, **sections: dict) -> "Config":
        """Return a copy with some sections' fields replaced, validated.

        Examples
        --------
        >>> Config().updated(design={"allow_aerial": False}).design.allow_aerial
        False
        """
        return config_from_dict(_deep_merge(self.model_dump(), sections), source="<updated>")


def _problems_from_validation(exc: ValidationError, source: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{loc}'"
            fix = "remove it or check its spelling against planner/config.py"
        else:
            msg = f"'{loc}': {err['msg']}"
            fix = "see the documented defaults in planner/config.py"
        problems.append(Problem(file=source, message=msg, fix=fix))
    return problems


def config_from_dict(data: dict, source: str = "<dict>") -> Config:
    """Validate a nested dict into a :class:`Config` or raise :class:`ConfigError`."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration in {source}", _problems_from_validation(exc, source)) from None


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_config_path(path: str | Path, relative_to: Path | None = None) -> Path:
    if str(path) == "demo":
        from planner import datasets

        return datasets.get_path("demo_config")
    p = Path(path)
    if relative_to is not None and not p.is_absolute():
        p = relative_to / p
    return p


def _read_toml(p: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read a TOML file, following ``extends = "<base file or 'demo'>"`` (base first, this file over it)."""
    if not p.is_file():
        where = f" (extended by {seen[-1]})" if seen else ""
        raise ConfigError(f"configuration file not found: {p}{where}",
                          [Problem(file=str(p), message="no such file", fix="give the path of a TOML file")])
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot parse {p}",
                          [Problem(file=str(p), message=str(exc), fix="fix the TOML syntax")]) from None
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"invalid configuration in {p}",
                          [Problem(file=str(p), message="'extends' must be a file name or \"demo\"",
                                   fix='e.g. extends = "demo"')])
    base_path = _resolve_config_path(base, p.parent).resolve()
    if base_path in seen or base_path == p.resolve():
        raise ConfigError(f"invalid configuration in {p}",
                          [Problem(file=str(p), message=f"'extends' loops back to {base_path}",
                                   fix="remove the cycle")])
    return _deep_merge(_read_toml(base_path, seen + (p.resolve(),)), data)


def load_config(path: str | Path | None = None, **overrides: dict) -> Config:
    """Read and validate a TOML configuration file.

    Parameters
    ----------
    path
        TOML file; ``None`` gives the documented defaults; ``"demo"`` the
        configuration of the embedded demo area (``data/demo/planner.toml``).
        A file may start from another one with ``extends = "base.toml"``
        (relative to the file) or ``extends = "demo"``; its own keys win.
    **overrides
        Section dicts merged over the file (as :meth:`Config.updated`).

    Raises
    ------
    ConfigError
        Unreadable TOML, unknown keys or invalid values; all problems at once.
    """
    if path is None:
        cfg = Config()
    else:
        p = _resolve_config_path(path)
        cfg = config_from_dict(_read_toml(p), source=str(p))
    return cfg.updated(**overrides) if overrides else cfg
