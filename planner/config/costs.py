"""Unit prices (``[costs]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

from pydantic import Field

from planner.config._base import Section

__all__ = ["CostConfig"]


class CostConfig(Section):
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
