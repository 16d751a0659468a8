"""Optical network layer (``[network]``): architecture, cabinets, cables, loss budget, prices.

Sources of the defaults are named in :mod:`planner.config`; [PON] is
``shared/context/pon_design_references.md`` (Comsof Fiber / TKI NET Design
help, Biarri FOND help, the open planners ``ChrisMolanus/ftth_planner`` and
``lagalsa-pixel/gpon-ftth-planner``, ITU-T G.984.2, The Fiber Optic
Association).  Prices are [A]: PLN net, 2024 market level, to be replaced by
the operator's price list.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from planner.config._base import Section

__all__ = ["NetworkConfig", "OPTICAL_CLASS_BUDGET_DB"]

#: Optical budget of the GPON classes, dB. [PON: ITU-T G.984.2, B+ 28 dB, C+ 32 dB]
OPTICAL_CLASS_BUDGET_DB: dict[str, float] = {"B+": 28.0, "C+": 32.0}


def _default_splitter_loss() -> dict[int, float]:
    # Maximum insertion loss of PLC splitters by ratio (the upper end of each range). [PON]
    return {2: 4.0, 4: 7.3, 8: 10.5, 16: 13.7, 32: 17.5, 64: 21.0}


def _default_splitter_prices() -> dict[int, float]:
    # One PLC splitter (connectorised for the cabinet, spliced in a closure), PLN. [A]
    return {2: 45.0, 4: 60.0, 8: 90.0, 16: 150.0, 32: 280.0, 64: 520.0}


def _default_cable_prices() -> dict[int, float]:
    # Cable material by fibre count, PLN per metre (ADSS / microduct cable, 2024). [A]
    return {12: 1.9, 24: 2.4, 48: 3.6, 96: 5.9, 144: 8.4, 288: 15.5}


class NetworkConfig(Section):
    """Optical network designed on the shared route tree (issue #16)."""

    # Design the optical layer after the route (False: the plan stops at the trench, as before).
    enabled: bool = True

    # --- architecture ---------------------------------------------------------------------
    # "centralised": one splitter stage in the cabinet; "cascade": a first stage in the
    # cabinet and a second stage in closures near the homes. [PON: FOND 2/3 tiers]
    architecture: Literal["centralised", "cascade"] = "centralised"
    # Split ratio of the centralised stage, 1:N. [PON: single stage 1:32 or 1:64]
    split_ratio: int = 32
    # Cascade: (cabinet stage, closure stage). [PON: 1:4 x 1:8, 1:8 x 1:8, 1:4 x 1:16]
    cascade_ratios: tuple[int, int] = (8, 8)
    # Subscriber ports (last-stage splitter outputs) one cabinet serves; centralised, only whole
    # splitters count (96 ports = three 1:32). [PON: FOND "generic centralized 1:32": 3 splitters
    # per cabinet]
    cabinet_capacity_ports: int = Field(96, ge=1)
    # Splitter ports provisioned per home. [PON: homes x 1.1 is a common sizing rule]
    port_spare_ratio: float = Field(1.1, ge=1.0, le=4.0)
    # Fibres per drop and per home in the distribution cable. [PON: FOND 1f or 2f drops]
    fibres_per_drop: int = Field(1, ge=1, le=2)
    # A cabinet is worth this many fibre-km: one more cabinet is opened only where it saves
    # more distribution + feeder fibre. [PON: lagalsa, an extra cabinet only if it saves
    # >= 15 fibre-km]
    cabinet_penalty_fibre_km: float = Field(15.0, ge=0)
    # Same trade-off for a second-stage splitter closure of a cascade. [A]
    closure_splitter_penalty_fibre_km: float = Field(0.5, ge=0)
    # Longest fibre path from a cabinet to a home it serves; a cabinet site farther from a
    # home cannot serve it. [A; PON: Comsof treats the maximum distance as a soft limit]
    max_distribution_m: float = Field(10_000.0, gt=0)
    # A point of the optional ``cabinet_sites`` layer is a site at the route node nearest to
    # it when that node is within this distance. [A]
    cabinet_site_snap_m: float = Field(150.0, gt=0)
    # Cabinets stand on public land or a road verge: route nodes inside a private parcel of
    # the ``parcels`` layer are not cabinet sites. [issue #16]
    avoid_private_parcels: bool = True

    # --- dedicated unsplit ("express") fibres -------------------------------------------------
    # Public institutions (schools, offices: buildings with use "public") get an unsplit fibre
    # from the POP. [PON: Wierzbica strategy, metro-Ethernet for public units; FOND express fibres]
    express_public: bool = True
    # Businesses in a building of one of these uses with a footprint at least this large get one
    # too (None: none); a shop on the ground floor of a block of flats does not. [A]
    express_business_min_floor_m2: float | None = Field(1_000.0, gt=0)
    express_business_building_uses: tuple[str, ...] = ("commercial",)
    # An address belongs to the building containing it, else to the nearest one this close. [A]
    express_building_max_distance_m: float = Field(30.0, ge=0)

    # --- cables and closures ---------------------------------------------------------------
    # Standard cable sizes, fibres. [PON: 12, 24, 48, 96, 144, 288]
    cable_sizes: tuple[int, ...] = (12, 24, 48, 96, 144, 288)
    # "taper": each run gets the smallest size that fits (a closure where the size changes);
    # "uniform": one size per run between branch closures. [PON: FOND taper / uniform trunk]
    cable_sizing: Literal["taper", "uniform"] = "taper"
    # Beyond the largest size, this many of it may run side by side (near a POP, in one duct or
    # trench); a segment needing more is a configuration error. [A]
    max_parallel_cables: int = Field(4, ge=1)
    # Smallest cable laid. [PON: Comsof "minimum top fibres", a cabinet needing 7 fibres still
    # gets 24f]
    min_cable_size: int = Field(24, ge=1)
    # Spare fibres on top of the fibres used. [PON: lagalsa F = ceil(1.25 x flow)]
    cable_spare_ratio: float = Field(0.25, ge=0, le=3.0)
    # Closures closer than this along the route are one closure. [PON: <= 15 m merged]
    closure_merge_m: float = Field(15.0, ge=0)

    # --- loss budget --------------------------------------------------------------------------
    # Single-mode fibre attenuation, dB/km. [PON: ~0.35 at 1310 nm, ~0.25 at 1490/1550 nm]
    fibre_loss_db_per_km_1310: float = Field(0.35, ge=0)
    fibre_loss_db_per_km_1490: float = Field(0.25, ge=0)
    # Splitter insertion loss by ratio, dB (keys are the allowed split ratios). [PON]
    splitter_loss_db: dict[int, float] = Field(default_factory=_default_splitter_loss)
    # Mated connector pair, dB. [PON: 0.3-0.5 dB; the maximum]
    connector_loss_db: float = Field(0.5, ge=0)
    # Connectors on every path: OLT patch cord and ODF at the POP, splitter output in the
    # cabinet, ONT. [A]
    connectors_per_path: int = Field(4, ge=0)
    # Fusion splice, dB. [PON: 0.05-0.15 dB]
    splice_loss_db: float = Field(0.1, ge=0)
    # Design margin (bends, ageing, repairs), dB. [PON: >= 3 dB is common]
    margin_db: float = Field(3.0, ge=0)
    # Optical class of the OLT/ONT optics. C+ (32 dB) is the usual choice for rural GPON
    # reaching ~20 km. [PON: ITU-T G.984.2; A: the choice]
    optical_class: Literal["B+", "C+"] = "C+"

    # --- OLT ----------------------------------------------------------------------------------
    # GPON ports per OLT line card. [A: 16-port GPON cards are the common size]
    olt_ports_per_card: int = Field(16, ge=1)
    # Point-to-point (Ethernet) ports per card for express fibres. [A]
    p2p_ports_per_card: int = Field(48, ge=1)

    # --- prices (PLN net) -----------------------------------------------------------------------
    # Street cabinet with foundation, ODF/patch field and installation. [A]
    cabinet_pln: float = Field(9_000.0, ge=0)
    # Splitters by ratio. [A]
    splitter_pln: dict[int, float] = Field(default_factory=_default_splitter_prices)
    # OLT line card (without optics) and optics module per used port, by class. [A]
    olt_card_pln: float = Field(14_000.0, ge=0)
    olt_port_pln: float = Field(450.0, ge=0)
    p2p_card_pln: float = Field(9_000.0, ge=0)
    p2p_port_pln: float = Field(120.0, ge=0)
    # Cable material by size, PLN/m. [A]
    cable_pln_per_m: dict[int, float] = Field(default_factory=_default_cable_prices)
    # The per-metre route prices of [costs] already include a cable of this size (their
    # "cable, clamps, labour"); the network layer charges only the difference for larger
    # cables. [A]
    route_cable_size: int = Field(12, ge=1)
    # Splice closure with trays, installed. [A]
    closure_pln: float = Field(650.0, ge=0)
    # One fusion splice (the drop's own splice is in [costs] drop_fixed_pln). [A]
    splice_pln: float = Field(30.0, ge=0)
    # Patch cord with two connectors, one per used PON / P2P port at the POP and per
    # splitter output patched in a cabinet. [A]
    patch_cord_pln: float = Field(25.0, ge=0)

    # ----------------------------------------------------------------------------------------
    @field_validator("cable_sizes")
    @classmethod
    def _check_sizes(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or any(s < 1 for s in v) or list(v) != sorted(set(v)):
            raise ValueError(f"cable_sizes must be distinct positive fibre counts in ascending order, got {list(v)}")
        return v

    @field_validator("splitter_loss_db")
    @classmethod
    def _check_losses(cls, v: dict[int, float]) -> dict[int, float]:
        bad = [k for k, x in v.items() if k < 2 or x < 0 or not math.isfinite(x)]
        if bad:
            raise ValueError(f"splitter_loss_db needs ratios >= 2 with a loss >= 0 dB, got {bad}")
        return dict(sorted(v.items()))

    @model_validator(mode="after")
    def _check(self) -> NetworkConfig:
        known = sorted(self.splitter_loss_db)
        ratios = [self.split_ratio] if self.architecture == "centralised" else list(self.cascade_ratios)
        key = "split_ratio" if self.architecture == "centralised" else "cascade_ratios"
        for r in ratios:
            if r not in self.splitter_loss_db:
                raise ValueError(f"unknown split ratio 1:{r} in {key}; use one of "
                                 f"{', '.join(f'1:{k}' for k in known)} or give its loss in splitter_loss_db")
            if r not in self.splitter_pln:
                raise ValueError(f"no price for a 1:{r} splitter; add it to splitter_pln")
        if self.architecture == "centralised":
            if self.cabinet_homes < 1:
                raise ValueError(
                    f"cabinet_capacity_ports = {self.cabinet_capacity_ports} is smaller than the demand of one "
                    f"address: a home needs a port of a 1:{self.split_ratio} splitter with port_spare_ratio "
                    f"{self.port_spare_ratio:g}, so a cabinet needs at least {self.split_ratio} ports "
                    f"(e.g. {3 * self.split_ratio}: three 1:{self.split_ratio})")
        else:
            s1, s2 = self.cascade_ratios
            if s2 < self.port_spare_ratio:
                raise ValueError(f"a 1:{s2} closure splitter cannot serve one address with port_spare_ratio "
                                 f"{self.port_spare_ratio:g}; use a larger second stage")
            if self.cabinet_capacity_ports < s2:
                raise ValueError(
                    f"cabinet_capacity_ports = {self.cabinet_capacity_ports} is smaller than the demand of one "
                    f"address in a cascade (one 1:{s2} closure splitter = {s2} ports); give at least {s2} "
                    f"(e.g. {s1 * s2}: one 1:{s1} x 1:{s2} tree)")
        if self.min_cable_size > self.cable_sizes[-1]:
            raise ValueError(f"min_cable_size {self.min_cable_size} exceeds the largest cable size "
                             f"{self.cable_sizes[-1]}; add a larger size to cable_sizes")
        missing = [s for s in self.cable_sizes if s not in self.cable_pln_per_m]
        if missing:
            raise ValueError(f"no price for cable size(s) {missing}; add them to cable_pln_per_m")
        return self

    @property
    def budget_db(self) -> float:
        """Optical budget of :attr:`optical_class`, dB."""
        return OPTICAL_CLASS_BUDGET_DB[self.optical_class]

    @property
    def cabinet_homes(self) -> int:
        """Homes one cabinet serves at most (centralised): its whole splitters' ports over the spare ratio."""
        whole = (self.cabinet_capacity_ports // self.split_ratio) * self.split_ratio
        return int(math.floor(whole / self.port_spare_ratio + 1e-9))

    @property
    def ratios(self) -> tuple[int, ...]:
        """Split ratios from the POP towards the home (one per stage)."""
        return (self.split_ratio,) if self.architecture == "centralised" else tuple(self.cascade_ratios)
