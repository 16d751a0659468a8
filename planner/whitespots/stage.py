"""The white-spot stage: classify, tabulate, diff the official list, reallocate barriers' places."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

from planner.area import Area
from planner.config import WhiteSpotConfig
from planner.whitespots.classification import classify_with_warnings
from planner.whitespots.localities import locality_table
from planner.whitespots.official_list import official_list_diff
from planner.whitespots.reallocation import propose_reallocation

__all__ = ["WhiteSpotResult", "run"]


@dataclass
class WhiteSpotResult:
    """Everything the white-spot stage produces.

    Attributes
    ----------
    addresses
        Per-address layer (:func:`planner.whitespots.classify`).
    localities
        Per-locality table (:func:`planner.whitespots.locality_table`).
    official_diff
        Official-list diff (:func:`planner.whitespots.official_list_diff`), if a list was given.
    reallocation
        Reallocation proposal (:func:`planner.whitespots.propose_reallocation`), if new buildings exist.
    warnings
        Counted warnings about the inputs, in the order found.
    """

    addresses: gpd.GeoDataFrame
    localities: pd.DataFrame
    official_diff: pd.DataFrame | None = None
    reallocation: gpd.GeoDataFrame | None = None
    warnings: list[str] = field(default_factory=list)


def _not_a_path(value: object, name: str, how: str) -> None:
    if isinstance(value, (str, bytes, PathLike)):
        raise TypeError(f"{name} must be a table, not the file {value!s}: the stage reads no files; {how}")


def run(area: Area, config: WhiteSpotConfig | None = None, *, official_list: pd.DataFrame | None = None,
        new_buildings: gpd.GeoDataFrame | None = None, commune_names: Mapping[str, str] | None = None,
        progress: bool = False) -> WhiteSpotResult:
    """Run the white-spot stage: classify, tabulate, diff and reallocate.

    Parameters
    ----------
    area
        Study area (:func:`planner.io.load_area`); uses its ``addresses``,
        ``coverage``, ``buildings`` and ``new_buildings`` layers.
    config
        The ``[whitespots]`` section (defaults when ``None``).
    official_list
        Official white-spot list, as read by
        :func:`planner.io.official_list.read_official_list`; no diff without it.
    new_buildings
        New houses for the reallocation (layer ``new_buildings`` of the
        schema, validated); ``None``: the area's ``new_buildings`` layer, if it
        has any rows.
    commune_names
        TERC (6 digits) -> commune name for the per-locality table (the
        pipeline reads the GUS TERC dictionary bundled in ``data/teryt`` with
        :func:`planner.io.teryt.read_commune_names`); ``None``: the TERC code
        stands for the name.
    progress
        Show a progress bar over the steps.

    Returns
    -------
    WhiteSpotResult

    Raises
    ------
    InputDataError
        Duplicate address ids, invalid coverage rows
        (:func:`planner.whitespots.classify`), an official list without
        recognisable address columns.
    TypeError
        ``config`` is not a :class:`~planner.config.WhiteSpotConfig`, or a
        file path is given instead of a table (read files with :mod:`planner.io`).

    Notes
    -----
    The ranking of new buildings uses the distance to the nearest target
    white spot; once the network is designed the pipeline ranks them again
    by the distance to it (:func:`planner.whitespots.propose_reallocation`).
    """
    config = WhiteSpotConfig() if config is None else config
    if not isinstance(config, WhiteSpotConfig):
        raise TypeError(f"config must be the [whitespots] section (config.whitespots), not {type(config).__name__}")
    _not_a_path(official_list, "official_list",
                "read it with planner.io.official_list.read_official_list(path, config.official_list_columns)")
    _not_a_path(new_buildings, "new_buildings",
                "load it as the area's 'new_buildings' layer (planner.load_area(..., layers={'new_buildings': path}))")
    with tqdm(total=4, desc="white spots", unit="step", disable=not progress) as bar:
        addresses, warnings = classify_with_warnings(area, config)
        bar.update()
        localities = locality_table(addresses, commune_names)
        bar.update()
        diff = None
        if official_list is not None:
            diff = official_list_diff(addresses, official_list, match_distance_m=config.match_distance_m)
            n_nf = int((diff["set"] == "on_list_not_found").sum())
            if n_nf:
                warnings.append(f"{n_nf} official-list entries match no address point (set 'on_list_not_found') "
                                "-> fix: check their TERYT codes and house numbers")
        bar.update()
        nb = new_buildings
        if nb is None and len(area["new_buildings"]):
            nb = area["new_buildings"]
        realloc = None
        if nb is not None:
            realloc = propose_reallocation(addresses, nb, contracted_total=config.contracted_total)
            places = (int(addresses["is_barrier"].sum()) if config.contracted_total is None
                      else config.contracted_total - int(addresses["is_target"].sum()))
            if int(realloc["accepted"].sum()) < places:
                warnings.append(f"only {int(realloc['accepted'].sum())} new buildings can take the {places} freed "
                                "places -> fix: add newly built houses (layer new_buildings) or lower the contracted "
                                "total")
        bar.update()
    return WhiteSpotResult(addresses=addresses, localities=localities, official_diff=diff,
                           reallocation=realloc, warnings=warnings)
