"""Checks of the map's input layers: one :class:`~planner._errors.InputDataError` listing every problem.

A layer without a CRS, with empty or wrong geometries, missing required columns,
unknown status values, or coordinates outside Poland (swapped axes) or far from
the address points (a wrong CRS declared) cannot be drawn; every such problem is
named with its layer, rows and fix before anything is built.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from planner._errors import InputDataError, Problem
from planner.maps.columns import FALSE_WORDS, TRUE_WORDS, truthy
from planner.schema import DEPLOYMENT_TYPES, PLAN_STATUSES, POLAND_BOUNDS_2180, VILLAGE_STATES, WORKING_CRS

logger = logging.getLogger(__name__)

__all__ = ["COMMUNE_COLUMNS", "COMMUNE_FLAGS", "COMMUNE_NUMBERS", "check_communes", "check_layers",
           "check_loss_budget", "row_ids"]

_GEOM_TYPES: dict[str, tuple[str, ...]] = {
    "addresses": ("Point",),
    "pops": ("Point",),
    "poles_used": ("Point",),
    "segments": ("LineString", "MultiLineString"),
    "drops": ("LineString", "MultiLineString"),
    "ducts": ("LineString", "MultiLineString"),
    "localities": ("Polygon", "MultiPolygon"),
    "roads": ("LineString", "MultiLineString"),
    # the optical network (issue #16)
    "olt": ("Point",),
    "cabinets": ("Point",),
    "cabinet_areas": ("Polygon", "MultiPolygon"),
    "cables": ("LineString", "MultiLineString"),
    "closures": ("Point",),
}
_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "addresses": ("locality", "house_number", "plan_status"),
    "segments": ("deployment",),
    "olt": ("pop_id",),
    "cabinets": ("cabinet_id",),
    "cabinet_areas": ("cabinet_id",),
    "cables": ("cable_id", "cable_size"),
    "closures": ("closure_id",),
}
#: Id column of each optical-network layer: unique within the layer.
_OPTICAL_IDS: dict[str, str] = {"olt": "pop_id", "cabinets": "cabinet_id", "cabinet_areas": "cabinet_id",
                                "cables": "cable_id", "closures": "closure_id"}
#: Counts and lengths of the optical network: (layer, column, smallest value, whole number); NaN allowed
#: where noted by the layer (address losses of points not connected).
_OPTICAL_NUMBERS: tuple[tuple[str, str, float, bool], ...] = (
    ("cables", "cable_size", 1, True), ("cables", "parallel", 1, True), ("cables", "fibres_used", 0, True),
    ("cables", "fibres_spare", 0, True), ("cables", "length_m", 0, False), ("cabinets", "homes", 0, True),
    ("cabinets", "max_distance_m", 0, False), ("cabinet_areas", "homes", 0, True), ("closures", "splices", 0, True),
    ("closures", "splitters", 0, True), ("olt", "pon_ports", 0, True), ("olt", "pon_cards", 0, True),
    ("olt", "p2p_ports", 0, True), ("addresses", "splitter_port", 0, True), ("addresses", "loss_db_1310", 0, False),
    ("addresses", "loss_db_1490", 0, False),
)
#: Flags of the optical network: (layer, column).
_OPTICAL_FLAGS: tuple[tuple[str, str], ...] = (("olt", "proposed"), ("addresses", "express_fibre"),
                                               ("addresses", "within_budget"))


def row_ids(gdf: pd.DataFrame, mask: np.ndarray, limit: int = 5, key: str = "id") -> str:
    """The ids (or positions) of the first ``limit`` rows where ``mask`` holds, for a message.

    Parameters
    ----------
    gdf
        A layer; its ``key`` column names the rows where it has one.
    mask
        Boolean per row.
    limit
        Rows named; the rest are counted (``and 7 more``).
    key
        Id column.

    Returns
    -------
    str
    """
    key_col = key if key in gdf.columns else None
    idx = np.flatnonzero(mask)[:limit]
    vals = gdf[key_col].iloc[idx].astype(str).tolist() if key_col else [str(i) for i in idx]
    more = f" and {int(mask.sum()) - len(idx)} more" if mask.sum() > limit else ""
    return ", ".join(vals) + more


#: Other layers must lie within the address points' extent plus this margin, metres. [A: a POP or
#: trunk route may sit a few km outside the villages it serves]
_STUDY_MARGIN_M = 10_000.0


def _inside(b: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    return bool(np.isfinite(b).all() and box[0] <= b[0] and b[2] <= box[2] and box[1] <= b[1] and b[3] <= box[3])


def check_layers(layers: Mapping[str, gpd.GeoDataFrame], source: str) -> None:
    """Raise :class:`InputDataError` listing every problem of the map's input layers.

    Parameters
    ----------
    layers
        Plan layers by name; layers the map does not draw are skipped.
    source
        Where the layers come from (named in the problems).

    Raises
    ------
    InputDataError
        With one :class:`~planner._errors.Problem` per problem found.
    """
    problems: list[Problem] = []
    if "addresses" not in layers or len(layers["addresses"]) == 0:
        raise InputDataError(
            "the plan has no address points",
            [Problem(file=source, layer="addresses", message="layer missing or empty",
                     fix="run the plan on an area with address points")],
        )
    study = None
    addr = layers["addresses"]
    # Plans are checked in their own CRS; Poland's extent applies to EPSG:2180 plans only
    # (an OSM extract abroad is planned in its UTM zone).
    ref_crs = addr.crs if isinstance(addr, gpd.GeoDataFrame) and addr.crs is not None else WORKING_CRS
    in_poland = pyproj.CRS(ref_crs) == pyproj.CRS(WORKING_CRS)
    if isinstance(addr, gpd.GeoDataFrame) and addr.crs is not None:
        ab = addr.total_bounds
        if np.isfinite(ab).all():
            study = (ab[0] - _STUDY_MARGIN_M, ab[1] - _STUDY_MARGIN_M, ab[2] + _STUDY_MARGIN_M, ab[3] + _STUDY_MARGIN_M)
    for name, gdf in layers.items():
        if name not in _GEOM_TYPES:
            logger.debug("layer %r is not drawn on the map", name)
            continue
        if not isinstance(gdf, gpd.GeoDataFrame):
            problems.append(Problem(file=source, layer=name, message="not a GeoDataFrame",
                                    fix="pass geopandas GeoDataFrames"))
            continue
        if len(gdf) == 0:
            continue
        if gdf.crs is None:
            problems.append(Problem(file=source, layer=name, message="no coordinate reference system",
                                    fix=f"set the CRS ({WORKING_CRS} for plan layers)"))
            continue
        missing = [c for c in _REQUIRED_COLUMNS.get(name, ()) if c not in gdf.columns]
        if missing:
            problems.append(Problem(file=source, layer=name, message=f"missing column(s) {missing}",
                                    fix="write the plan again with `planner plan`"))
        geom = gdf.geometry
        bad = (geom.isna() | geom.is_empty).to_numpy()
        if bad.any():
            problems.append(Problem(file=source, layer=name, row=row_ids(gdf, bad),
                                    message="missing or empty geometry", fix="remove or fix these rows"))
            continue
        wrong = ~geom.geom_type.isin(_GEOM_TYPES[name]).to_numpy()
        if wrong.any():
            problems.append(Problem(file=source, layer=name, row=row_ids(gdf, wrong),
                                    message=f"geometry is not {' or '.join(_GEOM_TYPES[name])}",
                                    fix="check that the right layer was written"))
        b = geom.to_crs(ref_crs).total_bounds  # the geometry alone: to_crs of the frame copies every column
        if in_poland and not _inside(b, POLAND_BOUNDS_2180):
            problems.append(Problem(
                file=source, layer=name,
                message=f"coordinates {np.round(b).tolist()} (EPSG:2180) lie outside Poland",
                fix="check the CRS and the axis order (easting, northing)",
            ))
        elif study is not None and not _inside(b, study):
            problems.append(Problem(
                file=source, layer=name,
                message=(f"extent {np.round(b).tolist()} ({ref_crs}) lies outside the study area "
                         f"of the address points {np.round(study).tolist()} (+{_STUDY_MARGIN_M / 1000:g} km)"),
                fix="check this layer's CRS and axis order (easting, northing); swapped axes land elsewhere",
            ))
    if "plan_status" in addr.columns:
        unknown = ~addr["plan_status"].isin(PLAN_STATUSES).to_numpy()
        if unknown.any():
            problems.append(Problem(
                file=source, layer="addresses", row=row_ids(addr, unknown),
                message=f"plan_status not one of {list(PLAN_STATUSES)}",
                fix="write the plan again with `planner plan`",
            ))
    seg = layers.get("segments")
    if seg is not None and len(seg) and "deployment" in seg.columns:
        unknown = ~seg["deployment"].isin(DEPLOYMENT_TYPES).to_numpy()
        if unknown.any():
            problems.append(Problem(
                file=source, layer="segments", row=row_ids(seg, unknown),
                message=f"deployment not one of {list(DEPLOYMENT_TYPES)}",
                fix="write the plan again with `planner plan`",
            ))
    problems += _progress_problems(layers, source)
    problems += _optical_problems(layers, source)
    if problems:
        raise InputDataError(f"cannot draw the map of {source}", problems)


def _bad_numbers(s: pd.Series, minimum: float, whole: bool) -> np.ndarray:
    """Rows of ``s`` that hold something other than a number >= ``minimum`` (whole where asked); NaN is fine."""
    v = pd.to_numeric(s, errors="coerce")
    if pd.api.types.is_numeric_dtype(s.dtype):  # a number is never blank text
        given = s.notna()
    else:
        given = s.notna() & (s.astype(str).str.strip() != "")
    bad = (given & v.isna()) | (v < minimum)
    if whole:
        bad |= v.notna() & (v != v.round())
    return np.array(bad, dtype=bool)


def _optical_problems(layers: Mapping[str, gpd.GeoDataFrame], source: str) -> list[Problem]:
    """Problems of the optical network's layers and address columns (issue #16): ids, counts, flags."""
    problems: list[Problem] = []
    fix = "write the plan again with `planner plan` (the optical network of planner.network)"
    for name, key in _OPTICAL_IDS.items():
        gdf = layers.get(name)
        if isinstance(gdf, pd.DataFrame) and len(gdf) and key in gdf.columns:
            dup = gdf[key].astype(str).duplicated(keep=False).to_numpy()
            if dup.any():
                problems.append(Problem(file=source, layer=name, row=row_ids(gdf, dup, key=key),
                                        message=f"duplicate {key}", fix=f"give each {name[:-1]} its own {key}"))
    for name, column, minimum, whole in _OPTICAL_NUMBERS:
        gdf = layers.get(name)
        if isinstance(gdf, pd.DataFrame) and len(gdf) and column in gdf.columns:
            bad = _bad_numbers(gdf[column], minimum, whole)
            if column == "cable_size":
                bad = bad | gdf[column].isna().to_numpy()
            if bad.any():
                what = f"{'a whole number' if whole else 'a number'} >= {minimum:g}"
                rows = row_ids(gdf, bad, key=_OPTICAL_IDS.get(name, "id"))
                problems.append(Problem(file=source, layer=name, row=rows, message=f"{column} is not {what}", fix=fix))
    for name, column in _OPTICAL_FLAGS:
        gdf = layers.get(name)
        if isinstance(gdf, pd.DataFrame) and len(gdf) and column in gdf.columns:
            bad = _not_boolean(gdf[column])
            if bad.any():
                rows = row_ids(gdf, bad, key=_OPTICAL_IDS.get(name, "id"))
                problems.append(Problem(file=source, layer=name, row=rows, message=f"{column} is not true/false",
                                        fix=fix))
    return problems


def check_loss_budget(table: object, addresses: pd.DataFrame, source: str) -> None:
    """Raise :class:`InputDataError` listing every problem of the loss budget the map is given.

    Parameters
    ----------
    table
        The plan's loss budget (``loss_budget.csv``), or ``None`` (nothing to check).
    addresses
        The map's address points (``id``).
    source
        Where the table comes from (named in the problems).

    Raises
    ------
    InputDataError
        Not a DataFrame, ``address_id`` or ``within_budget`` missing,
        ``within_budget`` not true/false, ``headroom_db`` not a number, or
        addresses that are not in the plan.
    """
    if table is None:
        return
    layer = "loss_budget"
    fix = "give the loss_budget.csv of the same plan (written by `planner plan`)"
    if not isinstance(table, pd.DataFrame):
        raise InputDataError(f"the loss budget must be a DataFrame, got {type(table).__name__}", [Problem(
            file=source, layer=layer, message=f"got {type(table).__name__}", fix="pass a pandas DataFrame")])
    problems: list[Problem] = []
    missing = [c for c in ("address_id", "within_budget") if c not in table.columns]
    if missing:
        problems.append(Problem(file=source, layer=layer, message=f"missing column(s) {missing}", fix=fix))
    if "within_budget" in table.columns:
        bad = _not_boolean(table["within_budget"])
        if bad.any():
            problems.append(Problem(file=source, layer=layer, row=row_ids(table, bad, key="address_id"),
                                    message="within_budget is not true/false", fix=fix))
    if "headroom_db" in table.columns:
        v = table["headroom_db"]
        bad = np.asarray(v.notna() & pd.to_numeric(v, errors="coerce").isna(), dtype=bool)
        if bad.any():
            problems.append(Problem(file=source, layer=layer, row=row_ids(table, bad, key="address_id"),
                                    message="headroom_db is not a number", fix=fix))
    if "address_id" in table.columns and "id" in addresses.columns:
        unknown = ~table["address_id"].astype(str).isin(set(addresses["id"].astype(str))).to_numpy()
        if unknown.any():
            problems.append(Problem(file=source, layer=layer, row=row_ids(table, unknown, key="address_id"),
                                    message="address_id not among the plan's address points", fix=fix))
    if problems:
        raise InputDataError(f"cannot read the loss budget of {source}", problems)


def _progress_problems(layers: Mapping[str, gpd.GeoDataFrame], source: str) -> list[Problem]:
    """Problems of the optional build-progress columns (issue #18): states, percentages, flags."""
    problems: list[Problem] = []
    loc = layers.get("localities")
    if isinstance(loc, pd.DataFrame) and len(loc):
        if "village_state" in loc.columns:
            st = loc["village_state"].astype(object).where(loc["village_state"].notna(), "").astype(str)
            bad = (~st.isin((*VILLAGE_STATES, ""))).to_numpy()
            if bad.any():
                problems.append(Problem(file=source, layer="localities", row=row_ids(loc, bad, key="simc"),
                                        message=f"village_state not one of {list(VILLAGE_STATES)}",
                                        fix="use built, remaining or at_risk (empty: no state)"))
        if "pct_passed_now" in loc.columns:
            v = pd.to_numeric(loc["pct_passed_now"], errors="coerce")
            bad = ((loc["pct_passed_now"].notna() & v.isna()) | (v < 0) | (v > 100)).to_numpy()
            if bad.any():
                problems.append(Problem(file=source, layer="localities", row=row_ids(loc, bad, key="simc"),
                                        message="pct_passed_now is not a percentage 0..100",
                                        fix="give the share of target points passed today, in %"))
        if "milestone_reachable" in loc.columns and _not_boolean(loc["milestone_reachable"]).any():
            bad = _not_boolean(loc["milestone_reachable"])
            problems.append(Problem(file=source, layer="localities", row=row_ids(loc, bad, key="simc"),
                                    message="milestone_reachable is not true/false", fix="give booleans"))
    seg = layers.get("segments")
    if isinstance(seg, pd.DataFrame) and len(seg) and "built" in seg.columns and _not_boolean(seg["built"]).any():
        bad = _not_boolean(seg["built"])
        problems.append(Problem(file=source, layer="segments", row=row_ids(seg, bad, key="segment_id"),
                                message="built is not true/false",
                                fix="give True for segments built (as built), False for planned ones"))
    return problems




#: Columns of the communes map's input (:func:`planner.maps.communes_map`), and which of them are
#: numbers and booleans.
COMMUNE_COLUMNS: tuple[str, ...] = (
    "terc", "commune", "white_spots", "targets", "connected", "km_aerial", "km_duct", "km_trench",
    "cost_pln", "cost_per_home_pln", "milestones_ok", "failed",
)
COMMUNE_NUMBERS: tuple[str, ...] = (
    "white_spots", "targets", "connected", "km_aerial", "km_duct", "km_trench", "cost_pln", "cost_per_home_pln",
)
COMMUNE_FLAGS: tuple[str, ...] = ("milestones_ok", "failed")


def _not_boolean(s: pd.Series) -> np.ndarray:
    if s.dtype == bool or pd.api.types.is_numeric_dtype(s.dtype) and s.dropna().isin((0, 1)).all():
        return np.zeros(len(s), dtype=bool)
    words = s.astype(object).where(s.notna(), "").astype(str).str.strip().str.lower()
    return np.asarray(~words.isin(TRUE_WORDS + FALSE_WORDS), dtype=bool)


def check_communes(communes: object, source: str = "communes") -> None:
    """Raise :class:`InputDataError` listing every problem of the communes map's input.

    Parameters
    ----------
    communes
        What was passed as the communes layer.
    source
        Its name in the messages.

    Raises
    ------
    InputDataError
        Not a GeoDataFrame, empty, CRS missing or not EPSG:2180, columns of
        :data:`COMMUNE_COLUMNS` missing, numbers or flags that are not, duplicate
        TERC codes, a commune that did not fail without a polygon, polygons
        outside Poland.
    """
    layer = "communes"
    if not isinstance(communes, gpd.GeoDataFrame):
        raise InputDataError(f"the communes map needs a GeoDataFrame, got {type(communes).__name__}", [Problem(
            file=source, layer=layer, message=f"got {type(communes).__name__}",
            fix="pass a geopandas GeoDataFrame of commune polygons in EPSG:2180 (one row per commune)")])
    if len(communes) == 0:
        raise InputDataError("the communes layer is empty", [Problem(
            file=source, layer=layer, message="no rows", fix="pass at least one commune (one row per TERC code)")])
    problems: list[Problem] = []
    if communes.crs is None:
        problems.append(Problem(file=source, layer=layer, message="no coordinate reference system",
                                fix=f"set it: communes.set_crs('{WORKING_CRS}') if the coordinates are PUWG 1992"))
    elif pyproj.CRS(communes.crs) != pyproj.CRS(WORKING_CRS):
        problems.append(Problem(file=source, layer=layer,
                                message=f"CRS is {communes.crs.to_string()}, not {WORKING_CRS}",
                                fix=f"reproject: communes.to_crs('{WORKING_CRS}')"))
    missing = [c for c in COMMUNE_COLUMNS if c not in communes.columns]
    if missing:
        problems.append(Problem(file=source, layer=layer, message=f"missing column(s) {missing}",
                                fix=f"give every column of {list(COMMUNE_COLUMNS)} (see planner.maps.communes_map)"))
    for c in COMMUNE_NUMBERS:
        if c in communes.columns:
            s = communes[c]
            bad = (s.notna() & pd.to_numeric(s, errors="coerce").isna()).to_numpy()
            if bad.any():
                problems.append(Problem(file=source, layer=layer, row=row_ids(communes, bad, key="terc"),
                                        message=f"column {c!r} is not a number",
                                        fix="give numbers (NaN where unknown)"))
    for c in COMMUNE_FLAGS:
        if c in communes.columns:
            bad = _not_boolean(communes[c])
            if bad.any():
                problems.append(Problem(file=source, layer=layer, row=row_ids(communes, bad, key="terc"),
                                        message=f"column {c!r} is not true/false", fix="give booleans"))
    if "terc" in communes.columns:
        terc = communes["terc"].astype(str)
        dup = terc.duplicated(keep=False).to_numpy()
        if dup.any():
            problems.append(Problem(file=source, layer=layer, row=row_ids(communes, dup, key="terc"),
                                    message="duplicate TERC code", fix="one row per commune"))
    geom = communes.geometry
    failed = truthy(communes["failed"]).to_numpy() if "failed" in communes.columns else np.zeros(len(communes), bool)
    empty = (geom.isna() | geom.is_empty).to_numpy()
    if (empty & ~failed).any():
        problems.append(Problem(file=source, layer=layer, row=row_ids(communes, empty & ~failed, key="terc"),
                                message="missing or empty commune polygon",
                                fix="give each commune its boundary (PRG jednostki administracyjne)"))
    wrong = ~empty & ~geom.geom_type.isin(("Polygon", "MultiPolygon")).to_numpy()
    if wrong.any():
        problems.append(Problem(file=source, layer=layer, row=row_ids(communes, wrong, key="terc"),
                                message="geometry is not a Polygon or MultiPolygon",
                                fix="give commune boundaries, not points or lines"))
    if communes.crs is not None and pyproj.CRS(communes.crs) == pyproj.CRS(WORKING_CRS) and (~empty).any():
        b = geom[~empty].total_bounds
        if not _inside(b, POLAND_BOUNDS_2180):
            problems.append(Problem(
                file=source, layer=layer, message=f"coordinates {np.round(b).tolist()} (EPSG:2180) lie outside Poland",
                fix="check the CRS and the axis order (easting, northing)"))
    if problems:
        raise InputDataError(f"cannot draw the communes map of {source}", problems)
