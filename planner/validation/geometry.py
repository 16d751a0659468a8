"""Geometry of an input layer: CRS, emptiness, type, validity, reprojection and study-area bounds."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import Problem
from planner.schema import POLAND_BOUNDS_2180, LayerSpec
from planner.validation.problems import row_problems

__all__ = ["Bounds", "check_geometry", "crs_label"]

#: Study-area bounds ``(minx, miny, maxx, maxy)``.
Bounds = tuple[float, float, float, float]


def crs_label(crs: object) -> str:
    """``"EPSG:2180"`` for a CRS with an EPSG code, else its name (or the text given).

    Parameters
    ----------
    crs
        Anything :meth:`pyproj.CRS.from_user_input` reads.

    Returns
    -------
    str
    """
    try:
        c = CRS.from_user_input(crs)
    except Exception:  # pragma: no cover - defensive
        return str(crs)
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.name


def _is_epsg(crs: object, code: int) -> bool:
    try:
        return CRS.from_user_input(crs).to_epsg() == code
    except Exception:
        return False


def _fmt_bounds(b: Bounds) -> str:
    return "(" + ", ".join(f"{v:,.0f}" for v in b) + ")"


#: Geometry type names indexed by shapely's type id.
_TYPE_NAMES = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                        "MultiPolygon", "GeometryCollection"], dtype=object)


def _swap_xy(geoms: np.ndarray) -> np.ndarray:
    swapped: np.ndarray = shapely.transform(geoms, lambda c: c[:, ::-1])
    return swapped


def _inside(geoms: np.ndarray, bounds: Bounds) -> np.ndarray:
    """True where a geometry's bounding box overlaps ``bounds`` (NaN/inf -> False)."""
    b = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        ok: np.ndarray = np.isfinite(b).all(axis=1)
        ok &= (b[:, 2] >= bounds[0]) & (b[:, 0] <= bounds[2]) & (b[:, 3] >= bounds[1]) & (b[:, 1] <= bounds[3])
    return ok


def _effective_bounds(bounds: Bounds | None, crs: object) -> Bounds | None:
    """Study-area bounds intersected with Poland's extent for EPSG:2180."""
    if not _is_epsg(crs, 2180):
        return bounds
    if bounds is None:
        return POLAND_BOUNDS_2180
    p = POLAND_BOUNDS_2180
    return (max(bounds[0], p[0]), max(bounds[1], p[1]), min(bounds[2], p[2]), min(bounds[3], p[3]))


def check_geometry(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, *, source: str, layer: str | None, ids: pd.Series | None,
    bounds: Bounds | None, crs: object, problems: list[Problem], warnings: list[Problem],
) -> gpd.GeoDataFrame:
    """Check the geometry column and bring it into the working CRS.

    Parameters
    ----------
    gdf
        The layer, columns coerced, in its source CRS (``None``: unknown).
    spec
        Its schema (allowed geometry types, whether geometry is required).
    source, layer
        Named in the problems.
    ids
        Ids of the rows, for the problems (or ``None``).
    bounds
        Study-area bounds in ``crs`` (``None``: Poland's extent for EPSG:2180).
    crs
        Working CRS.
    problems, warnings
        Appended: no CRS, missing/empty geometry, wrong types, invalid
        geometry (repaired with :func:`shapely.make_valid` and a warning when
        possible), coordinates outside the bounds (recognising swapped axes).

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs`` (reprojected with ``always_xy``); 3-D coordinates
        flattened, one-point multipoints as points, repaired geometries.
    """
    lname = spec.name
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present = ~shapely.is_missing(geoms)
    empty = present & shapely.is_empty(geoms)
    has_geom = present & ~empty

    # --- CRS -------------------------------------------------------------
    src_crs = gdf.crs
    if src_crs is None:
        if has_geom.any():
            problems.append(Problem(
                file=source, layer=layer,
                message=f"layer '{lname}' has no coordinate reference system (CRS)",
                fix="store the CRS in the file (e.g. `ogr2ogr -a_srs EPSG:2180 out.gpkg in.gpkg`) or pass "
                    "--assume-crs EPSG:2180 (Python: assume_crs='EPSG:2180')",
            ))
            blank = gpd.GeoSeries([None] * len(gdf), index=gdf.index)
            return gdf.set_geometry(blank).set_crs(crs, allow_override=True)
        gdf = gdf.set_crs(crs, allow_override=True)
        src_crs = gdf.crs

    # --- missing / empty geometry ---------------------------------------
    if spec.geometry_required:
        no_geom = ~has_geom
        if no_geom.any():
            row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(no_geom), ids=ids,
                          message=f"empty or missing geometry (layer '{lname}' needs a {'/'.join(spec.geometry)})",
                          fix="give the feature coordinates or remove the row")
    elif empty.any():
        geoms = geoms.copy()
        geoms[empty] = None

    # 3-D coordinates are flattened; single-part multipoints become points.
    if has_geom.any():
        g = geoms[has_geom]
        if shapely.has_z(g).any():
            g = shapely.force_2d(g)
        gt = shapely.get_type_id(g)
        single_mp = (gt == shapely.GeometryType.MULTIPOINT) & (shapely.get_num_geometries(g) == 1)
        if single_mp.any() and "Point" in spec.geometry and "MultiPoint" not in spec.geometry:
            g[single_mp] = shapely.get_geometry(g[single_mp], 0)
        geoms = geoms.copy()
        geoms[has_geom] = g

    # --- geometry type ---------------------------------------------------
    if has_geom.any():
        tname = _TYPE_NAMES[shapely.get_type_id(geoms[has_geom])]
        wrong = ~np.isin(tname, np.array(spec.geometry, dtype=object))
        if wrong.any():
            rows = np.flatnonzero(has_geom)[wrong]
            row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                          message=f"geometry type {{value}} is not allowed in layer '{lname}' "
                                  f"(expected {' or '.join(spec.geometry)})",
                          fix=f"check that the file holds the '{lname}' layer, or convert the geometries",
                          values=list(tname[wrong]))
            has_geom[rows] = False  # no further checks on them

    # --- validity: repair with make_valid, reject if still invalid -------
    if has_geom.any():
        idx = np.flatnonzero(has_geom)
        valid = shapely.is_valid(geoms[idx])
        if (~valid).any():
            bad_idx = idx[~valid]
            reasons = shapely.is_valid_reason(geoms[bad_idx])
            repaired = shapely.make_valid(geoms[bad_idx])
            # keep only the parts of the allowed type (make_valid may add slivers of lower dimension)
            rtype = np.array([g.geom_type if g is not None else "" for g in repaired], dtype=object)
            ok = shapely.is_valid(repaired) & ~shapely.is_empty(repaired) & np.isin(rtype, np.array(spec.geometry))
            coll = (rtype == "GeometryCollection")
            if coll.any():
                for k in np.flatnonzero(coll):
                    parts = [p for p in shapely.get_parts(repaired[k]) if p.geom_type in spec.geometry
                             or p.geom_type.replace("Multi", "") in spec.geometry]
                    if parts:
                        merged = shapely.union_all(parts)
                        if merged.geom_type in spec.geometry and merged.is_valid and not merged.is_empty:
                            repaired[k] = merged
                            ok[k] = True
            fixed_rows = bad_idx[ok]
            if len(fixed_rows):
                geoms = geoms.copy()
                geoms[fixed_rows] = repaired[ok]
                row_problems(warnings, source=source, layer=layer, rows=fixed_rows, ids=ids,
                              message="invalid geometry ({value}) was repaired with make_valid",
                              fix="check the repaired shape; fix the geometry at the source to silence this",
                              values=list(reasons[ok]))
            if (~ok).any():
                row_problems(problems, source=source, layer=layer, rows=bad_idx[~ok], ids=ids,
                              message="invalid geometry ({value}) that cannot be repaired",
                              fix="redraw the feature or remove the row", values=list(reasons[~ok]))
                has_geom[bad_idx[~ok]] = False

    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=src_crs))

    # --- reprojection (always_xy) and bounds -----------------------------
    src = CRS.from_user_input(src_crs)
    dst = CRS.from_user_input(crs)
    work = gdf if src.equals(dst) else gdf.to_crs(dst)
    eff = _effective_bounds(bounds, dst)
    if eff is not None and has_geom.any():
        wgeoms = np.asarray(work.geometry.values, dtype=object)
        idx = np.flatnonzero(has_geom)
        if eff[0] >= eff[2] or eff[1] >= eff[3]:
            outside = np.ones(len(idx), bool)
        else:
            outside = ~_inside(wgeoms[idx], eff)
        if outside.any():
            out_idx = idx[outside]
            swapped = _swap_xy(geoms[out_idx])
            sw = gpd.GeoSeries(swapped, crs=src)
            sw_work = np.asarray((sw if src.equals(dst) else sw.to_crs(dst)).values, dtype=object)
            nonempty = eff[0] < eff[2] and eff[1] < eff[3]
            fits_swapped = _inside(sw_work, eff) if nonempty else np.zeros(len(out_idx), bool)
            where = "Poland's extent" if bounds is None else f"the study-area bounds {_fmt_bounds(eff)}"
            if fits_swapped.any():
                if src.is_geographic:
                    axes = ("axes look swapped (latitude, longitude); with always_xy the x column is the "
                            "longitude and y the latitude — swap the columns")
                else:
                    label = crs_label(src)
                    axes = (f"axes look swapped (northing, easting); {label} is easting-northing with "
                            "always_xy — swap the columns")
                cx = shapely.get_x(shapely.centroid(geoms[out_idx[fits_swapped]]))
                cy = shapely.get_y(shapely.centroid(geoms[out_idx[fits_swapped]]))
                row_problems(problems, source=source, layer=layer, rows=out_idx[fits_swapped], ids=ids,
                              message=f"coordinates {{value}} lie outside {where} but fit once x and y are "
                                      f"exchanged: {axes}",
                              fix="swap the x/y (or lon/lat) columns, or for GML with an urn:ogc:def:crs:EPSG::2180 "
                                  "srsName read positions as northing easting",
                              values=[f"({x:,.2f}, {y:,.2f})" for x, y in zip(cx, cy)])
            rest = out_idx[~fits_swapped]
            if len(rest):
                c = shapely.centroid(wgeoms[rest])
                vals = [f"({x:,.0f}, {y:,.0f})" for x, y in zip(shapely.get_x(c), shapely.get_y(c))]
                target = problems
                fix = (f"check the layer's CRS (read as {crs_label(src)}; the working CRS is {crs_label(dst)}), "
                       "remove features outside the study area or widen area.bounds in the configuration")
                if not spec.required and spec.name == "coverage":
                    # coverage often comes from a national file: rows elsewhere are only irrelevant
                    target = warnings
                    fix = "nothing to do if the file covers a larger area; these rows cannot match any address"
                row_problems(target, source=source, layer=layer, rows=rest, ids=ids,
                              message=f"coordinates {{value}} ({crs_label(dst)}) lie outside {where}",
                              fix=fix, values=vals)
    return work
