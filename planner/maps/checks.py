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
import pyproj

from planner._errors import InputDataError, Problem
from planner.schema import DEPLOYMENT_TYPES, PLAN_STATUSES, POLAND_BOUNDS_2180, WORKING_CRS

logger = logging.getLogger(__name__)

__all__ = ["check_layers", "row_ids"]

_GEOM_TYPES: dict[str, tuple[str, ...]] = {
    "addresses": ("Point",),
    "pops": ("Point",),
    "poles_used": ("Point",),
    "segments": ("LineString", "MultiLineString"),
    "drops": ("LineString", "MultiLineString"),
    "ducts": ("LineString", "MultiLineString"),
    "localities": ("Polygon", "MultiPolygon"),
}
_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "addresses": ("locality", "house_number", "plan_status"),
    "segments": ("deployment",),
}


def row_ids(gdf: gpd.GeoDataFrame, mask: np.ndarray, limit: int = 5) -> str:
    """The ids (or positions) of the first ``limit`` rows where ``mask`` holds, for a message.

    Parameters
    ----------
    gdf
        A layer; its ``id`` column names the rows where it has one.
    mask
        Boolean per row.
    limit
        Rows named; the rest are counted (``and 7 more``).

    Returns
    -------
    str
    """
    key = "id" if "id" in gdf.columns else None
    idx = np.flatnonzero(mask)[:limit]
    vals = gdf[key].iloc[idx].astype(str).tolist() if key else [str(i) for i in idx]
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
        b = gdf.to_crs(ref_crs).total_bounds
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
    if problems:
        raise InputDataError(f"cannot draw the map of {source}", problems)


