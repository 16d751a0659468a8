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
* [PON] ``shared/context/pon_design_references.md``: network-design figures of Comsof,
  Biarri FOND, open FTTH planners, ITU-T G.984.2 and the FOA (``[network]``, issue #16).
* [A] Assumption of this project, to be replaced with the operator's own price list.
  Prices are PLN net, 2024 market level for rural Mazovia.

One module per section (``area``, ``whitespots``, ``costs``, ``design``,
``schedule``, ``maps``, ``output``); :mod:`planner.config.loader` holds
:class:`Config` and the TOML reader.
"""

from __future__ import annotations

from planner.config.area import AreaConfig
from planner.config.costs import CostConfig
from planner.config.design import DesignConfig
from planner.config.loader import Config, config_from_dict, load_config
from planner.config.maps import MapConfig
from planner.config.network import NetworkConfig
from planner.config.output import OutputConfig
from planner.config.replan import ReplanConfig
from planner.config.scale import ScaleConfig
from planner.config.schedule import CrewConfig, Milestone, ScheduleConfig
from planner.config.whitespots import WhiteSpotConfig

__all__ = [
    "AreaConfig",
    "WhiteSpotConfig",
    "CostConfig",
    "DesignConfig",
    "CrewConfig",
    "Milestone",
    "ScheduleConfig",
    "ReplanConfig",
    "MapConfig",
    "OutputConfig",
    "ScaleConfig",
    "NetworkConfig",
    "Config",
    "config_from_dict",
    "load_config",
]
