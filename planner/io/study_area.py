"""Load a study area: every layer of :mod:`planner.schema` from one source, validated together.

:func:`load_area` reads every layer from a GeoPackage, a directory of layer
files, an OpenStreetMap extract or a PRG file, reprojects everything to the
working CRS (``always_xy``), maps columns onto the schema, validates each layer
against one study-area bound (:mod:`planner.validation`) and raises one
:class:`~planner._errors.InputDataError` listing every problem found.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
from pyproj import CRS, Transformer

from planner._errors import InputFileNotFoundError, Problem, UsageError
from planner.area import Area
from planner.config import Config
from planner.io.files import list_layers, read_metadata
from planner.io.layers import LAYER_SUFFIXES, read_raw
from planner.io.postgis._url import is_url
from planner.schema import LAYERS, POLAND_BOUNDS_2180
from planner.validation import Bounds, log_warnings, raise_for_problems, validate_area, validate_layer

__all__ = ["BOUNDS_MARGIN_M", "area_name", "load_area"]

logger = logging.getLogger(__name__)

#: Margin added around roads + addresses when the study-area bounds are derived
#: from the data (no ``area.bounds`` in the config, no bounds in the GeoPackage). [A]
BOUNDS_MARGIN_M = 2_000.0

#: Poland in longitude/latitude, for ``area.crs = "auto"``.
_POLAND_LONLAT = (14.07, 49.0, 24.15, 54.84)

_OSM_SUFFIXES = (".osm", ".pbf", ".o5m", ".osm.gz", ".osm.bz2")
# Layers whose extent defines the study area when nothing else does.
_REFERENCE_LAYERS = ("roads", "addresses")


class _Source:
    """Where one layer comes from: a file (and layer inside it) or an OSM extract."""

    def __init__(self, path: Path, layer: str | None = None, osm: bool = False) -> None:
        self.path = path
        self.layer = layer
        self.osm = osm

    def label(self) -> str:
        return f"{self.path} [{self.layer}]" if self.layer else str(self.path)


def _is_osm(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(_OSM_SUFFIXES) or name.endswith(".osm.xml")


#: Multi-part suffixes removed from a file name to name its study area (longest first).
_NAME_SUFFIXES: tuple[str, ...] = (".osm.pbf", ".osm.bz2", ".osm.gz", ".osm.xml", ".osm", ".o5m", ".pbf",
                                   ".gpkg", ".gml", ".xml", ".shp", ".zip", ".parquet", ".geoparquet",
                                   ".geojson", ".json", ".csv")


def area_name(path: str | Path) -> str:
    """Name of the study area read from ``path``: a directory's name, else the file name minus its suffix.

    Only the known data suffixes are removed (``.osm.pbf``, ``.gpkg``, ...), so
    dots inside a name stay: ``06.11.2025_20_06_55__08_lubuskie.xml`` is area
    ``06.11.2025_20_06_55__08_lubuskie``.

    Examples
    --------
    >>> area_name("kotka_suburb.osm.pbf"), area_name("NOWE_07.11.2025.gml")
    ('kotka_suburb', 'NOWE_07.11.2025')
    """
    path = Path(path)
    name = path.name
    if not path.is_dir():
        lower = name.lower()
        suffix = next((s for s in _NAME_SUFFIXES if lower.endswith(s) and len(name) > len(s)), "")
        name = name[: len(name) - len(suffix)]
    return name or "area"


def _resolve(source: str | Path) -> tuple[str, dict[str, _Source], dict[str, str], list[Problem]]:
    """Layer sources, area name, GeoPackage metadata and warnings for ``source``."""
    warnings: list[Problem] = []
    metadata: dict[str, str] = {}
    if str(source) == "demo":
        from planner import datasets

        path = datasets.get_path("demo")
        if not path.exists():
            raise InputFileNotFoundError("the demo area is missing", [Problem(
                file=str(path), message="the demo GeoPackage does not exist",
                fix="run `make demo-data` (scripts/make_demo_area.py) in a source checkout")])
    else:
        path = Path(source)
        if not path.exists():
            raise InputFileNotFoundError(f"study area not found: {path}", [Problem(
                file=str(path), message="no such file or directory",
                fix="give 'demo', a .gpkg, a directory of layer files, an .osm/.osm.pbf or a PRG .gml/.xml")])

    sources: dict[str, _Source] = {}
    if path.is_dir():
        for name in LAYERS:
            found = [path / f"{name}{suf}" for suf in LAYER_SUFFIXES if (path / f"{name}{suf}").is_file()]
            if found:
                sources[name] = _Source(found[0])
                if len(found) > 1:
                    warnings.append(Problem(file=str(path), message=f"several files for layer '{name}': "
                                            f"{', '.join(f.name for f in found)}; using {found[0].name}",
                                            fix="keep one file per layer"))
        known = {f"{n}{s}" for n in LAYERS for s in LAYER_SUFFIXES}
        for f in sorted(path.iterdir()):
            if f.name.startswith(".") or f.name in known or f.suffix.lower() not in LAYER_SUFFIXES:
                continue
            sugg = difflib.get_close_matches(f.stem, list(LAYERS), n=1, cutoff=0.7)
            hint = f"; did you mean '{sugg[0]}{f.suffix}'?" if sugg else ""
            warnings.append(Problem(file=str(f), message=f"file is not a layer of the study area and was ignored{hint}",
                                    fix=f"name layer files <layer>{'/'.join(LAYER_SUFFIXES)} with a layer of: "
                                        f"{', '.join(LAYERS)}"))
    elif path.suffix.lower() == ".gpkg":
        names = list_layers(path)
        metadata = {**read_metadata(path), "_path": str(path)}
        for name in LAYERS:
            if name in names:
                sources[name] = _Source(path, name)
        for n in names:
            if n not in LAYERS and n != "metadata":
                sugg = difflib.get_close_matches(n, list(LAYERS), n=1, cutoff=0.7)
                hint = f"; did you mean '{sugg[0]}'?" if sugg else ""
                warnings.append(Problem(file=str(path), layer=n, message=f"layer {n!r} is not a layer of the study "
                                        f"area and was ignored{hint}",
                                        fix=f"rename it to one of: {', '.join(LAYERS)}"))
    elif _is_osm(path):
        for name in LAYERS:
            sources[name] = _Source(path, name, osm=True)
    elif path.suffix.lower() in (".gml", ".xml", ".shp", ".zip"):
        sources["addresses"] = _Source(path)
    else:
        raise UsageError(f"cannot load a study area from {path}", [Problem(
            file=str(path), message="not a GeoPackage, directory, OSM extract or PRG file",
            fix="put single-layer files in a directory named by layer (addresses.csv, roads.gpkg, ...) or add "
                "one to an area with `--layer NAME=PATH` (Python: layers={'coverage': PATH}), e.g. "
                "`planner validate demo --layer coverage=FILE`")])
    name = metadata.get("name") or ("demo" if str(source) == "demo" else area_name(path))
    return name, sources, metadata, warnings


def _read_osm(path: Path, crs: str, cache: dict[Path, dict[str, gpd.GeoDataFrame]]) -> dict[str, gpd.GeoDataFrame]:
    if path not in cache:
        from planner.io.osm import read_osm

        cache[path] = read_osm(path, crs=crs)
    return cache[path]


def _bbox_in(gdf: gpd.GeoDataFrame, crs: CRS) -> Bounds | None:
    """Bounding box of a layer in ``crs`` (None if empty, CRS-less or not finite)."""
    if gdf.crs is None or len(gdf) == 0 or not gdf.geometry.notna().any():
        return None
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    b: Bounds = (x0, y0, x1, y1)
    if not all(math.isfinite(v) for v in b):
        return None
    src = CRS.from_user_input(gdf.crs)
    if not src.equals(crs):
        try:
            b = Transformer.from_crs(src, crs, always_xy=True).transform_bounds(x0, y0, x1, y1)
        except Exception:  # pyproj.exceptions.ProjError: coordinates outside the projection
            return None
    if not all(math.isfinite(v) for v in b):
        return None
    return b


def _grow(b: Bounds, d: float) -> Bounds:
    return (b[0] - d, b[1] - d, b[2] + d, b[3] + d)


def _overlap(a: Bounds, b: Bounds) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _derive_bounds(raw: dict[str, gpd.GeoDataFrame], crs: CRS) -> Bounds | None:
    """Study-area bounds from roads + addresses, grown by :data:`BOUNDS_MARGIN_M`.

    When the roads and the addresses do not overlap (one of them has swapped
    axes or a wrong CRS), the one that agrees with more of the other layers
    wins; a tie goes to the roads.  The other is then reported by the bounds
    check of :func:`planner.validation.validate_layer`.
    """
    found = {n: _bbox_in(g, crs) for n, g in raw.items() if n != "coverage"}
    boxes = {n: _grow(b, BOUNDS_MARGIN_M) for n, b in found.items() if b is not None}
    refs = [n for n in _REFERENCE_LAYERS if n in boxes] or sorted(boxes)
    if not refs:
        return None
    if len(refs) == 2 and not _overlap(boxes[refs[0]], boxes[refs[1]]):
        others = [b for n, b in boxes.items() if n not in refs]
        votes = {n: sum(_overlap(boxes[n], o) for o in others) for n in refs}
        winner = max(refs, key=lambda n: (votes[n], n == "roads"))
        logger.info("roads and addresses do not overlap; study-area bounds taken from %s", winner)
        refs = [winner]
    b = boxes[refs[0]]
    for n in refs[1:]:
        o = boxes[n]
        b = (min(b[0], o[0]), min(b[1], o[1]), max(b[2], o[2]), max(b[3], o[3]))
    return b


def _auto_crs(raw: dict[str, gpd.GeoDataFrame]) -> str:
    """EPSG:2180 for data in Poland, else the local UTM zone."""
    wgs = CRS.from_epsg(4326)
    for name in (*_REFERENCE_LAYERS, *LAYERS):
        g = raw.get(name)
        b = _bbox_in(g, wgs) if g is not None else None
        if g is None or b is None:
            continue
        lon, lat = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if _POLAND_LONLAT[0] <= lon <= _POLAND_LONLAT[2] and _POLAND_LONLAT[1] <= lat <= _POLAND_LONLAT[3]:
            return "EPSG:2180"
        utm = g.estimate_utm_crs()
        return f"EPSG:{utm.to_epsg()}"
    return "EPSG:2180"


def _metadata_bounds(metadata: dict[str, str], raw: dict[str, gpd.GeoDataFrame], crs: CRS,
                     source: str, problems: list[Problem]) -> Bounds | None:
    text = metadata.get("bounds")
    if not text:
        return None
    try:
        vals = tuple(float(v) for v in text.replace(";", ",").split(","))
        if len(vals) != 4 or not (vals[0] < vals[2] and vals[1] < vals[3]):
            raise ValueError
    except ValueError:
        problems.append(Problem(file=source, layer="metadata", message=f"bounds {text!r} are not minx,miny,maxx,maxy",
                                fix="write the bounds as 'minx,miny,maxx,maxy' in the layers' CRS"))
        return None
    # bounds are in the GeoPackage's CRS: its metadata 'crs', else that of its layers
    layer_crs = metadata.get("crs") or next((g.crs for g in raw.values() if g.crs is not None), None)
    if layer_crs is not None and not CRS.from_user_input(layer_crs).equals(crs):
        vals = Transformer.from_crs(layer_crs, crs, always_xy=True).transform_bounds(*vals)
    return (vals[0], vals[1], vals[2], vals[3])


def load_area(
    source: str | Path,
    config: Config | None = None,
    *,
    assume_crs: str | None = None,
    layers: Mapping[str, str | Path] | None = None,
    progress: bool = False,
    partial: bool = False,
) -> Area:
    """Load and validate a study area.

    Parameters
    ----------
    source
        ``"demo"`` (the embedded Serock + Wieliszew area); a GeoPackage whose
        layers are named like :data:`planner.schema.LAYERS` (plus an optional
        ``metadata`` key/value table with ``bounds`` and ``name``); a directory
        holding one file per layer (``addresses.gpkg|.parquet|.csv|.geojson|
        .gml|.xml|.shp``, ``roads.*``, ...); an OpenStreetMap ``.osm`` /
        ``.osm.pbf`` extract; or a PRG ``.gml``/``.xml``/``.shp`` (addresses only).
    config
        :class:`planner.config.Config`; its ``area`` section gives the working
        CRS (``"auto"``: EPSG:2180 in Poland, else the local UTM zone), the
        study-area bounds and the CRS assumed for data without one.
    assume_crs
        CRS for layers that carry none (overrides ``config.area.assume_crs``);
        without it such a layer is an error.
    layers
        Layer name -> file, overriding or adding single layers (e.g.
        ``{"coverage": "uke.csv"}``; UKE / SIDUSIS / PRG files are recognised
        by their content; an ``.osm.pbf`` gives that layer of the extract).
    progress
        Show a progress bar over the layers.
    partial
        Accept missing required layers (``planner validate`` of a single file).

    Returns
    -------
    Area
        Every layer in the working CRS with the schema's columns and dtypes.
        ``bounds`` are ``config.area.bounds``, else the GeoPackage's metadata
        bounds, else the extent of roads + addresses grown by 2 km.

    Raises
    ------
    InputDataError
        Every problem of every layer at once, each naming the file, the row or
        id and the fix (missing CRS, coordinates outside the study area or
        axis-swapped, duplicate ids, invalid or empty geometry, empty required
        layers, wrong geometry types, missing columns, unparseable values).
    InputFileNotFoundError, UsageError
        ``source`` or a layer file does not exist / cannot be a study area.

    Examples
    --------
    >>> from planner.io import load_area
    >>> area = load_area("demo")                            # doctest: +SKIP
    >>> area.addresses.crs.to_epsg()                        # doctest: +SKIP
    2180
    """
    from tqdm import tqdm

    config = config if config is not None else Config()
    assume = assume_crs or config.area.assume_crs
    db = None
    if is_url(source):  # a PostGIS schema (planner.io.postgis); other URL schemes are a UsageError
        from planner.io.postgis import read_area as read_database

        db = read_database(str(source), config.area.tables, assume_crs=assume, require=not partial)
        source, name, metadata, warnings = db.label, db.name, db.metadata, list(db.warnings)
        sources = {k: _Source(db.label, t) for k, t in db.tables.items()}  # type: ignore[arg-type]
    else:
        name, sources, metadata, warnings = _resolve(source)
    problems: list[Problem] = []

    for lname, p in (layers or {}).items():
        if lname not in LAYERS:
            sugg = difflib.get_close_matches(lname, list(LAYERS), n=1)
            raise UsageError(f"unknown layer {lname!r}", [Problem(
                file=str(p), message=f"{lname!r} is not a layer of the study area"
                                     + (f"; did you mean '{sugg[0]}'?" if sugg else ""),
                fix=f"use one of: {', '.join(LAYERS)}")])
        path = Path(p)
        if not path.exists():
            raise InputFileNotFoundError(f"layer file not found: {path}", [Problem(
                file=str(path), message=f"file for layer '{lname}' does not exist", fix="check the path")])
        sources[lname] = _Source(path, lname if _is_osm(path) else None, osm=_is_osm(path))

    # pass 1: read every layer in its own CRS
    target_text = config.area.crs
    osm_crs = "EPSG:4326" if target_text.lower() == "auto" else target_text
    osm_cache: dict[Path, dict[str, gpd.GeoDataFrame]] = {}
    raw: dict[str, gpd.GeoDataFrame] = {}
    failed: set[str] = set()
    bar = tqdm(list(sources.items()), desc="reading layers", unit="layer", disable=not progress)
    for lname, src in bar:
        bar.set_postfix_str(lname)
        if src.osm:
            data = _read_osm(src.path, osm_crs, osm_cache)
            if lname in data and data[lname] is not None and len(data[lname]):
                raw[lname] = data[lname]
            continue
        gdf, errs, warns = (db.raw[lname] if db is not None and src.path == db.label
                            else read_raw(src.path, lname, layer=src.layer, assume_crs=assume))
        problems += errs
        warnings += warns
        if errs:
            failed.add(lname)
        else:
            raw[lname] = gdf
    sources = {k: v for k, v in sources.items() if k in raw}

    crs_text = _auto_crs(raw) if target_text.lower() == "auto" else target_text
    if (target_text.lower() != "auto" and CRS.from_user_input(target_text).to_epsg() == 2180
            and config.area.bounds is None and raw
            and all(sources[n].osm for n in _REFERENCE_LAYERS if n in sources)
            and any(n in sources for n in _REFERENCE_LAYERS)):
        # OSM is lon/lat without axis ambiguity: an extract outside Poland cannot be a
        # swapped Polish dataset, and EPSG:2180 is meaningless there -> local UTM.
        local = _auto_crs(raw)
        if local != "EPSG:2180":
            logger.warning("the OSM data lie outside Poland, where EPSG:2180 does not apply; working CRS %s "
                           "(set area.crs in the configuration to choose another)", local)
            crs_text = local
    crs = CRS.from_user_input(crs_text)
    if target_text.lower() == "auto":
        logger.info("working CRS (auto): %s", crs_text)

    origin = "config area.bounds"
    bounds: Bounds | None = config.area.bounds
    if bounds is None:
        gpkg = metadata.get("_path", "")
        gpkg_layers = {k: g for k, g in raw.items() if str(sources[k].path) == gpkg}
        bounds = _metadata_bounds(metadata, gpkg_layers, crs, gpkg, problems)
        origin = "GeoPackage metadata"
    if bounds is None:
        bounds = _derive_bounds(raw, crs)
        origin = f"roads + addresses + {BOUNDS_MARGIN_M:,.0f} m"
    if bounds is not None:
        logger.info("study-area bounds (%s): %s", origin, ", ".join(f"{v:,.0f}" for v in bounds))

    # pass 2: validate every layer against the same bounds
    out: dict[str, gpd.GeoDataFrame] = {}
    for lname, gdf in tqdm(list(raw.items()), desc="validating layers", unit="layer", disable=not progress):
        src = sources[lname]
        fixed, errs, warns = validate_layer(gdf, lname, source=str(src.path), bounds=bounds, crs=crs_text,
                                            layer=src.layer)
        problems += errs
        warnings += warns
        out[lname] = fixed
        if errs:
            failed.add(lname)

    if bounds is None:
        bounds = POLAND_BOUNDS_2180 if crs.to_epsg() == 2180 else (-math.inf, -math.inf, math.inf, math.inf)
    area = Area(name=name, crs=crs_text, bounds=tuple(float(v) for v in bounds),  # type: ignore[arg-type]
                layers=out, sources={k: v.label() for k, v in sources.items()})
    # cross-layer checks; a layer that could not be read is not reported again as missing
    problems += [p for p in validate_area(area, require=not partial) if p.layer not in failed]
    log_warnings(warnings)
    raise_for_problems(problems, f"study area {source}")
    logger.info("loaded study area %r: %s", name,
                ", ".join(f"{n} {len(g)}" for n, g in area.layers.items() if len(g)))
    return area

