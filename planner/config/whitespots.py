"""White-spot rules (``[whitespots]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from planner.config._base import Section

__all__ = ["WhiteSpotConfig"]


class WhiteSpotConfig(Section):
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
    # PRG address statuses that count as an existing address. [PRG model 2012 'status"]
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
