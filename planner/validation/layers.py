"""Validation of whole input layers against :mod:`planner.schema`, and of a study area."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from planner._errors import Problem
from planner.schema import LAYERS, LayerSpec
from planner.validation.columns import (
    EXTRA_COLUMNS_ATTR,
    check_coverage,
    check_ids,
    coerce_columns,
    coerce_str,
    map_aliases,
    suggest,
)
from planner.validation.geometry import Bounds, check_geometry
from planner.validation.problems import log_warnings

if TYPE_CHECKING:
    from planner.area import Area

__all__ = ["validate_area", "validate_layer"]

logger = logging.getLogger(__name__)


def validate_layer(
    gdf: gpd.GeoDataFrame | pd.DataFrame,
    spec: LayerSpec | str,
    *,
    source: str,
    bounds: Bounds | None,
    crs: str,
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]:
    """Check one layer against its schema and bring it into the working CRS.

    Parameters
    ----------
    gdf
        The layer as read, in its source CRS (``gdf.crs``; ``None`` if the file
        has none).  A plain DataFrame is accepted for layers whose geometry is
        optional (coverage keyed by address).
    spec
        Layer spec of :data:`planner.schema.LAYERS` or its name.
    source
        File the layer came from, named in every problem.
    bounds
        Study-area bounds ``(minx, miny, maxx, maxy)`` in ``crs``; ``None``
        checks EPSG:2180 data against Poland's extent only.
    crs
        Working CRS; the layer is reprojected to it (``always_xy``).
    layer
        Layer name inside a multi-layer file, named in the problems.

    Returns
    -------
    gdf_fixed : geopandas.GeoDataFrame
        Schema columns (coerced, defaults filled) first, then unknown columns,
        then ``geometry``; in ``crs``; RangeIndex.
    problems : list of Problem
        Errors: the layer must not be used while this is non-empty.
    warnings : list of Problem
        Things repaired or ignored (unknown columns, repaired geometry, ...).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"id": ["a"], "name": ["POP"]}, geometry=[Point(640340, 518062)], crs="EPSG:2180")
    >>> fixed, errors, warnings = validate_layer(g, "pops", source="pops.csv", bounds=None, crs="EPSG:2180")
    >>> errors, list(fixed.columns)
    ([], ['id', 'name', 'geometry'])
    """
    if isinstance(spec, str):
        spec = LAYERS[spec]
    problems: list[Problem] = []
    warnings: list[Problem] = []
    geometry_column_missing = False
    # extra columns a reader added on purpose (e.g. UKE 'source_id'): kept without a warning
    expected_extra = set(getattr(gdf, "attrs", {}).get(EXTRA_COLUMNS_ATTR, ()))

    if not (isinstance(gdf, gpd.GeoDataFrame) and gdf.active_geometry_name is not None):
        df = pd.DataFrame(gdf).drop(columns=["geometry"], errors="ignore")
        gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df), index=df.index), crs=crs)
        if spec.geometry_required and len(gdf):
            geometry_column_missing = True
            problems.append(Problem(file=source, layer=layer, message=f"layer '{spec.name}' has no geometry",
                                    fix="give a geometry column (WKT 'geometry') or lon/lat columns"))
    gdf = gdf.copy()
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    gdf = gdf.reset_index(drop=True)

    gdf, renamed = map_aliases(gdf, spec)
    if renamed:
        logger.info("%s: columns renamed to the schema: %s", source,
                    ", ".join(f"{a!r} -> {b!r}" for a, b in renamed))

    schema = spec.column_names
    extra = [c for c in gdf.columns if c not in schema and c != "geometry"]
    missing = [c for c in spec.required_columns if c not in gdf.columns]
    suggested: set[str] = set()
    for m in missing:
        sugg = suggest(m, extra)
        suggested.update(sugg)
        hint = (f"; column {' / '.join(repr(s) for s in sugg)} looks like a misspelling — did you mean '{m}'?"
                if sugg else "")
        problems.append(Problem(
            file=source, layer=layer,
            message=f"layer '{spec.name}': required column '{m}' not found{hint}",
            fix=(f"rename column {sugg[0]!r} to '{m}'" if sugg else f"add a '{m}' column")
            + f" (required columns: {', '.join(spec.required_columns)})",
        ))
    unknown = [c for c in extra if c not in suggested and c not in expected_extra]
    if unknown:
        warnings.append(Problem(
            file=source, layer=layer,
            message=f"layer '{spec.name}': unknown column(s) {', '.join(repr(c) for c in unknown)} kept as-is",
            fix=f"ignore, or rename to a schema column ({', '.join(schema)})",
        ))

    # ids (raw) for messages
    ids: pd.Series | None = None
    idc = spec.id_column
    if idc and idc in gdf.columns:
        ids = coerce_str(gdf[idc], spec.column(idc))

    present = set(gdf.columns)
    gdf = coerce_columns(gdf, spec, source=source, layer=layer, ids=ids, problems=problems)
    if spec.name == "coverage":
        check_coverage(gdf, source=source, layer=layer, present=present, problems=problems)

    if idc and idc in gdf.columns and idc not in missing:
        check_ids(gdf, spec, source=source, layer=layer, ids=ids, problems=problems)

    if len(gdf) == 0 and spec.required:
        problems.append(Problem(file=source, layer=layer, message=f"required layer '{spec.name}' is empty",
                                fix=f"give at least one {spec.name} feature"))

    if not geometry_column_missing:
        gdf = check_geometry(gdf, spec, source=source, layer=layer, ids=ids, bounds=bounds, crs=crs,
                              problems=problems, warnings=warnings)

    order = schema + [c for c in gdf.columns if c not in schema and c != "geometry"] + ["geometry"]
    out = gpd.GeoDataFrame(gdf[order], geometry="geometry", crs=crs)
    out.index = pd.RangeIndex(len(out))
    return out, problems, warnings


def validate_area(area: Area, *, require: bool = True) -> list[Problem]:
    """Cross-layer checks of a loaded :class:`~planner.area.Area`.

    Per-layer checks are done by :func:`validate_layer` while loading; this
    checks what only the whole area can tell, and that a hand-built area
    follows the schema.

    Parameters
    ----------
    area
        The study area.
    require
        Report required layers that are empty (``False`` for a partial area,
        e.g. ``planner validate`` on a single PRG file).

    Returns
    -------
    list of Problem
        Errors.  Warnings (coverage rows that name unknown address ids, ids
        shared by addresses and new buildings) are logged.
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    target = CRS.from_user_input(area.crs)
    for name, spec in LAYERS.items():
        g = area.layers.get(name)
        src = area.sources.get(name, name)
        if g is None or len(g) == 0:
            if spec.required and require and name != "pops":  # a missing POP is proposed (planner.network.pop)
                problems.append(Problem(
                    file=area.sources.get(name) or f"study area {area.name!r}", layer=name,
                    message=f"required layer '{name}' is missing or empty",
                    fix=f"add a '{name}' layer (a '{name}' layer in the GeoPackage, {name}.gpkg/.csv in the "
                        f"directory, `--layer {name}=PATH` on the command line, or layers={{'{name}': PATH}} "
                        f"in Python)"))
            continue
        missing = [c for c in spec.column_names if c not in g.columns]
        if missing:
            problems.append(Problem(file=src, layer=name, message=f"columns {missing} missing",
                                    fix="load the layer with planner.io.load_area or add the columns"))
        if g.crs is None or not CRS.from_user_input(g.crs).equals(target):
            problems.append(Problem(file=src, layer=name,
                                    message=f"layer CRS {g.crs} differs from the area CRS {area.crs}",
                                    fix="reproject the layer to the area CRS"))
    addr = area.layers.get("addresses")
    cov = area.layers.get("coverage")
    if addr is not None and cov is not None and len(cov) and "address_id" in cov.columns:
        aid = cov["address_id"].astype(object)
        keyed = aid != ""
        unknown = keyed & ~aid.isin(set(addr["id"]))
        if unknown.any():
            warnings.append(Problem(
                file=area.sources.get("coverage", "coverage"),
                message=f"{int(unknown.sum())} of {int(keyed.sum())} coverage rows name an address_id that is "
                        "not in the addresses layer; they will be matched by address key or location instead",
                fix="check that coverage and addresses come from the same PRG version"))
    nb = area.layers.get("new_buildings")
    if addr is not None and nb is not None and len(nb) and len(addr):
        shared = nb["id"].isin(set(addr["id"]))
        if shared.any():
            warnings.append(Problem(
                file=area.sources.get("new_buildings", "new_buildings"),
                message=f"{int(shared.sum())} new building id(s) are also address ids "
                        f"(e.g. {nb['id'][shared].iloc[0]!r})",
                fix="give new buildings ids of their own"))
    log_warnings(warnings)
    return problems
