"""Calibration of the demo area: public figures and named places of the Serock/Wieliszew rollout.

Volumes are the public figures of the 2025 Serock/Wieliszew FERC rollout
(minutes of the Serock council committee, 24 March 2025): 7,614 white-spot
address points, 438 of them businesses, about 2/3 in Serock; ~59 km built by
March 2025, ~17 km of it underground, ~26 % of the Serock points done.  Names
and codes are real TERYT entries (``data/teryt``); positions are synthetic.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CRS", "SEED", "N_WHITE", "N_WHITE_BUSINESS", "N_WHITE_SEROCK", "N_WHITE_WIELISZEW", "AS_BUILT_KM",
    "AS_BUILT_UNDERGROUND_KM", "AS_BUILT_SEROCK_SHARE", "N_NEW_BUILDINGS", "SEROCK_CENTRE", "WIELISZEW_CENTRE",
    "POP_XY", "POP_WIELISZEW_XY", "TERC_SEROCK_TOWN", "TERC_SEROCK_RURAL", "TERC_WIELISZEW", "SEROCK_TOWN_SIMC",
    "WIELISZEW_SIMC", "POSTCODES", "EGIB_UNIT", "STASI_LAS", "STASI_LAS_WHITE", "MILESTONE_VILLAGES", "M1_VILLAGES",
    "SUMMER_LOCALITIES", "SECOND_DUCT_LOCALITY", "FORCED_CATS",
]

#: Working CRS of the synthetic layers (PUWG 1992, easting/northing).
CRS = "EPSG:2180"
#: Seed of the demo area.
SEED = 20250324

N_WHITE = 7_614
N_WHITE_BUSINESS = 438
N_WHITE_SEROCK = 5_076  # 2/3 of 7,614
N_WHITE_WIELISZEW = N_WHITE - N_WHITE_SEROCK
AS_BUILT_KM = 59.0
AS_BUILT_UNDERGROUND_KM = 17.0
AS_BUILT_SEROCK_SHARE = 0.26
N_NEW_BUILDINGS = 330  # > the ~257 barrier points, so the reallocation can refill every one [A]

SEROCK_CENTRE = np.array([640_340.0, 518_062.0])
WIELISZEW_CENTRE = np.array([633_147.0, 511_441.0])
POP_XY = SEROCK_CENTRE + np.array([14.0, 11.0])
POP_WIELISZEW_XY = WIELISZEW_CENTRE.copy()  # a node of the Wieliszew main street

TERC_SEROCK_TOWN, TERC_SEROCK_RURAL, TERC_WIELISZEW = "1408044", "1408045", "1408052"
SEROCK_TOWN_SIMC = "0921645"
WIELISZEW_SIMC = "0008639"
POSTCODES = {TERC_SEROCK_TOWN: "05-140", TERC_SEROCK_RURAL: "05-140", TERC_WIELISZEW: "05-135"}
EGIB_UNIT = {TERC_SEROCK_TOWN: "140804_4", TERC_SEROCK_RURAL: "140804_5", TERC_WIELISZEW: "140805_2"}

STASI_LAS = "Stasi Las"
STASI_LAS_WHITE = ("Jutrzenki", "Księżycowa", "Pałacowa", "Pogodna", "Prosta", "Radosna", "Tęczowa",
                   "Warszawska", "Helenki")
MILESTONE_VILLAGES = ("Zarzecze", "Dębinki", "Wola Kiełpińska", "Wola Smolana", "Szadki",
                      "Ludwinowo Dębskie", "Guty", "Bolesławowo", "Marynino", "Karolino")
M1_VILLAGES = ("Dębinki", "Wola Kiełpińska", "Wola Smolana", "Szadki")
SUMMER_LOCALITIES = ("Jachranka", "Zegrze", "Wierzbica")  # on the Zegrze reservoir shore
SECOND_DUCT_LOCALITY = "Wieliszew"

#: ``(locality, street) -> offer category``: hand-checkable cases (data/demo/README.md).
FORCED_CATS = {
    (STASI_LAS, "Jutrzenki"): "vdsl30", (STASI_LAS, "Księżycowa"): "adsl",
    (STASI_LAS, "Pałacowa"): "ftth2027", (STASI_LAS, "Pogodna"): "lte_only",
    (STASI_LAS, "Prosta"): "none", (STASI_LAS, "Główna"): "black",
    (STASI_LAS, "Słoneczna"): "planned2025", (STASI_LAS, "Cicha"): "grey_docsis",
    (STASI_LAS, "Długa"): "grey_gpon", (STASI_LAS, "Nasielska"): "grey_vdsl100",
}
