"""Input: every file the planner reads is read here.

:func:`load_area` (:mod:`planner.io.study_area`) is the one entry point for a
study area.  Format readers live in submodules: :mod:`planner.io.files`
(GeoPackage, GeoParquet, CSV, GeoJSON, SHP tables), :mod:`planner.io.layers`
(one schema layer from any of them), :mod:`planner.io.prg` (PRG address
points), :mod:`planner.io.uke` (UKE inventory and SIDUSIS coverage),
:mod:`planner.io.osm` (OpenStreetMap) and :mod:`planner.io.plan_dir` (a plan
directory written by the planner).  Writing is the job of
:mod:`planner.output`.
"""

from __future__ import annotations

from planner.io.layers import read_layer
from planner.io.prg import read_prg
from planner.io.study_area import BOUNDS_MARGIN_M, load_area
from planner.io.uke import read_sidusis, read_uke_services

__all__ = [
    "BOUNDS_MARGIN_M",
    "load_area",
    "read_layer",
    "read_prg",
    "read_sidusis",
    "read_uke_services",
]
