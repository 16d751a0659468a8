"""Validation of input layers against :mod:`planner.schema`.

This is the one module that checks inputs.  Readers (:mod:`planner.io`) map a
file onto the schema columns as well as they can and hand the result to
:func:`validate_layer`, which

* maps a few common alternative column names onto the schema names
  (``housenumber`` -> ``house_number``, ``miejscowosc`` -> ``locality``, ...),
* reports missing required columns with close-match suggestions
  (``column 'hous_number' not found; did you mean 'house_number'?``),
* warns about unknown columns.  **Unknown columns are kept** (after the schema
  columns, before ``geometry``) so that extra attributes survive into the
  outputs; stages never rely on them,
* coerces every schema column to its dtype (``str`` columns become ``object``
  holding ``str`` with ``""`` for "no value"; TERYT codes are left-padded with
  zeros where a spreadsheet dropped them), reporting unparseable numbers,
  booleans and dates and values outside the allowed vocabularies,
* fills optional columns with their schema defaults,
* checks ids (empty, duplicate) and geometry (missing CRS, empty, wrong type,
  invalid -> repaired with :func:`shapely.make_valid` and a warning, rejected if
  still invalid), reprojects to the working CRS (``always_xy``) and checks the
  coordinates against the study-area bounds, recognising axis-swapped input.

Every problem of a layer is collected; nothing stops at the first one.  A
problem concerning many rows is reported once with the first few rows and the
count.  :func:`raise_for_problems` turns the error list into one
:class:`~planner._errors.InputDataError`.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from planner._errors import InputDataError, Problem
from planner.schema import SYNTHETIC_SIMC_PATTERN, LAYERS, POLAND_BOUNDS_2180, Column, LayerSpec

__all__ = [
    "Bounds",
    "validate_layer",
    "validate_area",
    "raise_for_problems",
    "log_warnings",
    "parse_numbers",
    "fold_text",
    "medium_from_text",
    "MEDIA",
    "VALUE_SYNONYMS",
    "as_text",
    "EXTRA_COLUMNS_ATTR",
    "COLUMN_ALIASES",
    "CODE_WIDTHS",
]

logger = logging.getLogger(__name__)

Bounds = tuple[float, float, float, float]

#: TERYT code columns and their width in digits; shorter all-digit values are
#: zero-padded (spreadsheets drop the leading zero of e.g. SIMC ``0918123``).
CODE_WIDTHS: dict[str, int] = {"terc": 7, "simc": 7, "ulic": 5}

#: Alternative column names (normalised: lower case, ``_`` for separators)
#: recognised for schema columns.  Only used when the schema name itself is absent.
COLUMN_ALIASES: dict[str, str] = {
    # addresses / new_buildings / coverage
    "housenumber": "house_number",
    "addr_housenumber": "house_number",
    "house_no": "house_number",
    "housenr": "house_number",
    "nr": "house_number",
    "numer": "house_number",
    "numer_porzadkowy": "house_number",
    "nr_porzadkowy": "house_number",
    "city": "locality",
    "town": "locality",
    "place": "locality",
    "addr_city": "locality",
    "miejscowosc": "locality",
    "miejscowość": "locality",
    "addr_street": "street",
    "ulica": "street",
    "addr_postcode": "postcode",
    "postal_code": "postcode",
    "kod_pocztowy": "postcode",
    "pna": "postcode",
    "simc_id": "simc",
    "kod_simc": "simc",
    "ulic_id": "ulic",
    "sym_ul": "ulic",
    "kod_terc": "terc",
    "teryt_gminy": "terc",
    "business": "is_business",
    "przedsiebiorca": "is_business",
    # coverage
    "download_mbps": "down_mbps",
    "down": "down_mbps",
    "downlink_mbps": "down_mbps",
    "upload_mbps": "up_mbps",
    "up": "up_mbps",
    "uplink_mbps": "up_mbps",
    "tech": "technology",
    "technologia": "technology",
    "medium_type": "medium",
    # poles / ducts / roads / parcels
    "owner_type": "owner",
    "subducts_free": "free_subducts",
    "free_ducts": "free_subducts",
    "road_class": "highway",
    "ownership_type": "ownership",
    "zgoda": "consent",
}

#: Spellings of booleans accepted in any input (Polish included).
_TRUE = {"true", "t", "yes", "y", "1", "tak", "prawda", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "nie", "falsz", "fałsz", "0.0"}

#: Spellings mapped onto a vocabulary value before the allowed-values check
#: (normalised: lower case, ``_`` for separators, no Polish diacritics).
VALUE_SYNONYMS: dict[str, str] = {
    "istniejacy": "existing",
    "istniejace": "existing",
    "planowany": "planned",
    "planowane": "planned",
    "lighting": "commune_lighting",
    "street_lamp": "commune_lighting",
    "oswietlenie": "commune_lighting",
    "telekom": "telecom",
    "telekomunikacyjny": "telecom",
    "energetyczny": "power",
    "publiczna": "public",
    "prywatna": "private",
    "zgoda": "granted",
    "brak_zgody": "refused",
    "w_toku": "pending",
}

#: Media of the coverage layer (:data:`planner.schema.COVERAGE`).
MEDIA: tuple[str, ...] = ("fibre", "coax", "copper", "radio", "other")

#: ``DataFrame.attrs`` key where a reader lists the extra columns it adds on purpose.
EXTRA_COLUMNS_ATTR = "planner_extra_columns"

#: How many rows a many-row problem names before summarising the rest.
_MAX_ROWS_LISTED = 5


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _norm_name(name: object) -> str:
    return re.sub(r"[\s:\-./]+", "_", str(name).strip().lower()).strip("_")


def as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text (``object`` dtype), ``""`` for NaN/None/NA; vectorised."""
    o = s.astype(object)
    return o.where(~o.isna(), "").astype("str").str.strip().astype(object)


def fold_text(text: object) -> str:
    """Lower case without Polish diacritics, single spaces (``'Światłowodowe '`` -> ``'swiatlowodowe'``)."""
    t = unicodedata.normalize("NFKD", str(text).replace("ł", "l").replace("Ł", "L"))
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return " ".join(t.lower().split())


def medium_from_text(value: object) -> str | None:
    """Map a medium name (UKE/SIDUSIS Polish or English) onto :data:`MEDIA`.

    Returns ``None`` when the text is not recognised (or empty).

    Examples
    --------
    >>> medium_from_text("światłowodowe"), medium_from_text("kablowe współosiowe miedziane")
    ('fibre', 'coax')
    >>> medium_from_text("radiowe (FWA)"), medium_from_text("kablowe parowe miedziane")
    ('radio', 'copper')
    """
    t = fold_text(value)
    if not t:
        return None
    if t.startswith(("swiatlowod", "fibre", "fiber", "optical", "optyczn", "ftth", "fttb")):
        return "fibre"
    if "wspolosiow" in t or t in {"coax", "coaxial", "hfc", "koncentryczne"}:
        return "coax"
    if "parow" in t or t.startswith(("copper", "miedzian", "xdsl", "dsl")):
        return "copper"
    if t.startswith(("radio", "wireless", "fwa", "bezprzewod", "mobile")):
        return "radio"
    if t.startswith(("inne", "other")):
        return "other"
    return None


def _missing_mask(s: pd.Series) -> np.ndarray:
    """True where a raw value means "no value" (NaN/None/empty or blank text)."""
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return s.isna().to_numpy()
    return (as_text(s) == "").to_numpy(bool)


def _describe_rows(rows: np.ndarray, ids: pd.Series | None) -> str:
    """``"3 (id 'A3')"`` for one row; used in Problem.row."""
    parts = []
    for r in rows:
        if ids is not None:
            parts.append(f"{int(r)} (id {ids.iloc[int(r)]!r})")
        else:
            parts.append(str(int(r)))
    return ", ".join(parts)


def _row_problems(
    out: list[Problem],
    *,
    source: str,
    layer: str | None,
    rows: np.ndarray,
    ids: pd.Series | None,
    message: str,
    fix: str,
    values: Sequence[object] | None = None,
) -> None:
    """Append problems for ``rows`` (0-based positions), summarising long lists.

    ``message`` may contain ``{value}``, filled from ``values`` (aligned with rows).
    """
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    if n == 0:
        return
    if n <= _MAX_ROWS_LISTED:
        for i, r in enumerate(rows):
            msg = message.format(value=values[i] if values is not None else "")
            out.append(Problem(file=source, layer=layer, row=_describe_rows(np.array([r]), ids), message=msg, fix=fix))
        return
    shown = rows[:_MAX_ROWS_LISTED]
    example = ""
    if values is not None and "{value}" in message:
        message = message.replace("{value}", "{value} (first of them)")
        example = values[0]
    out.append(
        Problem(
            file=source,
            layer=layer,
            row=f"{_describe_rows(shown, ids)} and {n - len(shown)} more ({n} rows)",
            message=message.format(value=example),
            fix=fix,
        )
    )


def _suggest(name: str, candidates: Iterable[str]) -> list[str]:
    cands = [str(c) for c in candidates]
    by_norm = {_norm_name(c): c for c in cands}
    hits = difflib.get_close_matches(_norm_name(name), list(by_norm), n=3, cutoff=0.6)
    return [by_norm[h] for h in hits]


def _crs_label(crs: object) -> str:
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


def log_warnings(warnings: Iterable[Problem]) -> None:
    """Log warning problems (``logging.WARNING``), one line each."""
    for w in warnings:
        logger.warning("%s", w)


def raise_for_problems(problems: list[Problem], what: str) -> None:
    """Raise :class:`InputDataError` listing ``problems`` if there are any.

    Parameters
    ----------
    problems
        Error problems (warnings must not be passed).
    what
        Short description of the input, used in the headline.
    """
    if problems:
        n = len(problems)
        raise InputDataError(f"{what}: {n} problem{'s' if n != 1 else ''} in the input data", problems)


# ---------------------------------------------------------------------------
# columns
# ---------------------------------------------------------------------------


def _map_aliases(df: pd.DataFrame, spec: LayerSpec) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rename alias / differently-cased columns onto schema names."""
    schema = set(spec.column_names)
    present = set(df.columns)
    renames: dict[str, str] = {}
    geom_name = df.active_geometry_name if isinstance(df, gpd.GeoDataFrame) else None
    for col in df.columns:
        if col in schema or col == geom_name:
            continue
        key = _norm_name(col)
        target = key if key in schema else COLUMN_ALIASES.get(key)
        if target and target in schema and target not in present and target not in renames.values():
            renames[col] = target
    if renames:
        df = df.rename(columns=renames)
    return df, sorted(renames.items())


def _coerce_str(s: pd.Series, col: Column) -> pd.Series:
    if pd.api.types.is_float_dtype(s.dtype):
        # codes read as numbers: 918123.0 -> "918123" (padded below); integral floats as integers
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(vals) & (np.round(vals) == vals)
        out = as_text(s)
        if integral.any():
            out[integral] = pd.Series(vals[integral].astype(np.int64)).astype(str).to_numpy(dtype=object)
    else:
        out = as_text(s)
    out = out.astype(object)
    width = CODE_WIDTHS.get(col.name)
    if width:
        t = out.astype("str")
        digits = (t.str.fullmatch(r"\d+") & (t.str.len() < width)).to_numpy(bool)
        if digits.any():
            out[digits] = out[digits].str.zfill(width)
    return out


def parse_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values and a mask of unparseable non-empty entries."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float).to_numpy(), np.zeros(len(s), bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan), np.zeros(len(s), bool)
    text = as_text(s).str.replace(r"[\s\u00a0]", "", regex=True)
    # Polish decimal comma ("12,5") where there is no dot.
    comma = text.str.contains(",", regex=False) & ~text.str.contains(".", regex=False)
    text = text.where(~comma, text.str.replace(",", ".", regex=False))
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    # empty and "nan"/"null"/"none"/"na" text are missing values, not errors
    missing = text.str.lower().isin({"", "nan", "null", "none", "na"}).to_numpy(bool)
    bad = np.isnan(num) & ~missing
    return num, bad


def _parse_bools(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean values, a mask of missing entries and a mask of unparseable ones."""
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.to_numpy(dtype=bool), np.zeros(len(s), bool), np.zeros(len(s), bool)
    text = as_text(s).str.lower()
    miss = (text == "").to_numpy(bool)
    is_true = text.isin(_TRUE).to_numpy(bool)
    is_false = text.isin(_FALSE).to_numpy(bool)
    bad = ~(is_true | is_false | miss)
    return is_true, miss, bad


def _coerce_columns(
    df: pd.DataFrame, spec: LayerSpec, *, source: str, layer: str | None, ids: pd.Series | None,
    problems: list[Problem],
) -> pd.DataFrame:
    """Coerce every schema column to its dtype in place of ``df`` (a copy)."""
    for col in spec.columns:
        name = col.name
        if name not in df.columns:
            # optional column (or an already reported missing required one): defaults
            default = col.default
            if col.dtype == "str":
                df[name] = pd.Series([default if default is not None else ""] * len(df), index=df.index, dtype=object)
            elif col.dtype == "bool":
                df[name] = pd.Series(bool(default) if default is not None else False, index=df.index, dtype=bool)
            elif col.dtype == "int":
                df[name] = pd.Series(int(default) if default is not None else 0, index=df.index, dtype="int64")
            elif col.dtype == "float":
                df[name] = pd.Series(float(default) if default is not None else np.nan, index=df.index, dtype="float64")
            elif col.dtype == "Int":
                df[name] = pd.Series([default] * len(df), index=df.index, dtype="Int64")
            elif col.dtype == "date":
                df[name] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
            continue

        raw = df[name]
        where = f"column '{name}'"
        if col.dtype == "str":
            out = _coerce_str(raw, col)
            if col.allowed is not None:
                folded = {u: fold_text(u) for u in pd.unique(out)}  # few distinct values
                norm = out.map(folded).str.replace(r"[\s:\-./]+", "_", regex=True).str.strip("_")
                norm = norm.replace({k: v for k, v in VALUE_SYNONYMS.items() if v in col.allowed}).astype(object)
                empty = (norm == "").to_numpy(bool)
                if col.default is not None:
                    norm[empty] = col.default
                    empty = np.zeros(len(norm), bool)
                bad = ~norm.isin(col.allowed).to_numpy(bool) & ~empty
                if bad.any():
                    rows = np.flatnonzero(bad)
                    vals = [out.iloc[r] for r in rows]
                    sugg = _suggest(vals[0], col.allowed)
                    hint = f" (did you mean '{sugg[0]}'?)" if sugg else ""
                    _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                                  message=f"{where}: value {{value!r}} is not allowed{hint}",
                                  fix=f"use one of: {', '.join(col.allowed)}", values=vals)
                if empty.any() and col.required:
                    _row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(empty), ids=ids,
                                  message=f"{where} is empty",
                                  fix=f"give one of: {', '.join(col.allowed)}")
                out = norm.where(~bad, out).astype(object)
            elif col.default not in (None, ""):
                out[out == ""] = col.default
            width = CODE_WIDTHS.get(name)
            if width:
                pattern = rf"\d{{{width}}}" + ("|" + SYNTHETIC_SIMC_PATTERN if name == "simc" else "")
                bad = ((out != "") & ~out.astype("str").str.fullmatch(pattern)).to_numpy(bool)
                if bad.any():
                    rows = np.flatnonzero(bad)
                    _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                                  message=f"{where}: {{value!r}} is not a {width}-digit TERYT code",
                                  fix=f"give the {name.upper()} code as {width} digits (keep leading zeros: "
                                      f"store the column as text)", values=[out.iloc[r] for r in rows])
            df[name] = out
        elif col.dtype in ("float", "int", "Int"):
            num, bad = parse_numbers(raw)
            if bad.any():
                rows = np.flatnonzero(bad)
                _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                              message=f"{where}: cannot read {{value!r}} as a number",
                              fix=f"write '{name}' as a plain number (e.g. 100 or 12.5, no units)",
                              values=[raw.iloc[r] for r in rows])
            miss = np.isnan(num) & ~bad
            if col.dtype == "float":
                if miss.any() and col.default is not None:
                    num = np.where(miss, float(col.default), num)
                df[name] = pd.Series(num, index=df.index, dtype="float64")
            else:
                frac = np.isfinite(num) & (num != np.round(num))
                if frac.any():
                    rows = np.flatnonzero(frac)
                    _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                                  message=f"{where}: {{value!r}} is not a whole number",
                                  fix=f"write '{name}' as a whole number", values=[raw.iloc[r] for r in rows])
                if col.dtype == "int":
                    if miss.any():
                        if col.default is not None:
                            num = np.where(miss, float(col.default), num)
                        else:
                            _row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(miss), ids=ids,
                                          message=f"{where} is empty", fix=f"give '{name}' a whole number")
                    vals = np.where(np.isfinite(num), np.round(num), 0).astype(np.int64)
                    df[name] = pd.Series(vals, index=df.index, dtype="int64")
                else:
                    ser = pd.Series(np.where(np.isfinite(num), np.round(num), np.nan), index=df.index)
                    df[name] = ser.astype("Int64")
        elif col.dtype == "bool":
            vals, miss, bad = _parse_bools(raw)
            if bad.any():
                rows = np.flatnonzero(bad)
                _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                              message=f"{where}: cannot read {{value!r}} as true/false",
                              fix=f"write '{name}' as true/false (also accepted: 1/0, yes/no, tak/nie)",
                              values=[raw.iloc[r] for r in rows])
            if miss.any():
                vals = np.where(miss, bool(col.default) if col.default is not None else False, vals)
            df[name] = pd.Series(vals.astype(bool), index=df.index, dtype=bool)
        elif col.dtype == "date":
            if pd.api.types.is_datetime64_any_dtype(raw.dtype):
                parsed = raw
                if getattr(parsed.dt, "tz", None) is not None:
                    parsed = parsed.dt.tz_localize(None)
                bad = np.zeros(len(raw), bool)
            else:
                text = as_text(raw)
                parsed = pd.to_datetime(text.where(text != "", None), errors="coerce", format="ISO8601")
                bad = parsed.isna().to_numpy() & ~_missing_mask(raw)
            if bad.any():
                rows = np.flatnonzero(bad)
                _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                              message=f"{where}: cannot read {{value!r}} as a date",
                              fix=f"write '{name}' as YYYY-MM-DD", values=[raw.iloc[r] for r in rows])
            miss = parsed.isna().to_numpy() & ~bad
            if miss.any() and col.required:
                _row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(miss), ids=ids,
                              message=f"{where} is empty", fix=f"give '{name}' as YYYY-MM-DD")
            df[name] = pd.Series(parsed.to_numpy(), index=df.index).astype("datetime64[ns]")
        else:  # pragma: no cover - schema guard
            raise ValueError(f"unknown schema dtype {col.dtype!r}")
    return df


def _check_coverage(df: pd.DataFrame, *, source: str, layer: str | None, present: set[str],
                    problems: list[Problem]) -> None:
    """Coverage rules the schema's dtypes cannot express (media, planned year)."""
    if "medium" in present:
        raw = df["medium"]
        mapping = {u: medium_from_text(u) for u in pd.unique(raw)}  # few distinct values
        med = raw.map(mapping)
        bad = med.isna().to_numpy()
        if bad.any():
            rows = np.flatnonzero(bad)
            _row_problems(problems, source=source, layer=layer, rows=rows, ids=None,
                          message="column 'medium': {value!r} is not a known medium",
                          fix=f"use one of: {', '.join(MEDIA)} (or the UKE names: światłowodowe, kablowe "
                              "współosiowe miedziane, kablowe parowe miedziane, radiowe)",
                          values=[raw.iloc[r] for r in rows])
        df["medium"] = med.fillna(raw).astype(object)
    if "status" in df.columns and "year" in df.columns:
        no_year = ((df["status"] == "planned") & df["year"].isna()).to_numpy(bool)
        if no_year.any():
            _row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(no_year), ids=None,
                          message="planned coverage without 'year'",
                          fix="give the year the planned coverage is due (needed for the planning horizon)")


# ---------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------


#: Geometry type names indexed by shapely's type id.
_TYPE_NAMES = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                        "MultiPolygon", "GeometryCollection"], dtype=object)


def _swap_xy(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: c[:, ::-1])


def _inside(geoms: np.ndarray, bounds: Bounds) -> np.ndarray:
    """True where a geometry's bounding box overlaps ``bounds`` (NaN/inf -> False)."""
    b = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(b).all(axis=1)
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


def _check_geometry(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, *, source: str, layer: str | None, ids: pd.Series | None,
    bounds: Bounds | None, crs: object, problems: list[Problem], warnings: list[Problem],
) -> gpd.GeoDataFrame:
    """CRS, emptiness, type, validity and bounds of the geometry column."""
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
            _row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(no_geom), ids=ids,
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
            _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
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
                _row_problems(warnings, source=source, layer=layer, rows=fixed_rows, ids=ids,
                              message="invalid geometry ({value}) was repaired with make_valid",
                              fix="check the repaired shape; fix the geometry at the source to silence this",
                              values=list(reasons[ok]))
            if (~ok).any():
                _row_problems(problems, source=source, layer=layer, rows=bad_idx[~ok], ids=ids,
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
                    label = _crs_label(src)
                    axes = (f"axes look swapped (northing, easting); {label} is easting-northing with "
                            "always_xy — swap the columns")
                cx = shapely.get_x(shapely.centroid(geoms[out_idx[fits_swapped]]))
                cy = shapely.get_y(shapely.centroid(geoms[out_idx[fits_swapped]]))
                _row_problems(problems, source=source, layer=layer, rows=out_idx[fits_swapped], ids=ids,
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
                fix = (f"check the layer's CRS (read as {_crs_label(src)}; the working CRS is {_crs_label(dst)}), "
                       "remove features outside the study area or widen area.bounds in the configuration")
                if not spec.required and spec.name == "coverage":
                    # coverage often comes from a national file: rows elsewhere are only irrelevant
                    target = warnings
                    fix = "nothing to do if the file covers a larger area; these rows cannot match any address"
                _row_problems(target, source=source, layer=layer, rows=rest, ids=ids,
                              message=f"coordinates {{value}} ({_crs_label(dst)}) lie outside {where}",
                              fix=fix, values=vals)
    return work


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


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

    gdf, renamed = _map_aliases(gdf, spec)
    if renamed:
        logger.info("%s: columns renamed to the schema: %s", source,
                    ", ".join(f"{a!r} -> {b!r}" for a, b in renamed))

    schema = spec.column_names
    extra = [c for c in gdf.columns if c not in schema and c != "geometry"]
    missing = [c for c in spec.required_columns if c not in gdf.columns]
    suggested: set[str] = set()
    for m in missing:
        sugg = _suggest(m, extra)
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
        ids = _coerce_str(gdf[idc], spec.column(idc))

    present = set(gdf.columns)
    gdf = _coerce_columns(gdf, spec, source=source, layer=layer, ids=ids, problems=problems)
    if spec.name == "coverage":
        _check_coverage(gdf, source=source, layer=layer, present=present, problems=problems)

    if idc and idc in gdf.columns and idc not in missing:
        idv = gdf[idc]
        empty_id = (idv == "").to_numpy(bool)
        if empty_id.any():
            _row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(empty_id), ids=None,
                          message=f"empty '{idc}'", fix=f"give every feature a unique '{idc}'")
        dup = idv.duplicated(keep=False).to_numpy(bool) & ~empty_id
        if dup.any():
            rows = np.flatnonzero(dup)
            first = ~idv.duplicated(keep="first").to_numpy(bool)
            n_ids = int((dup & first).sum())
            _row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                          message=f"duplicate {idc} {{value!r}} ({n_ids} id(s) used more than once)",
                          fix=f"make '{idc}' unique (remove repeated rows or renumber them)",
                          values=[idv.iloc[r] for r in rows])

    if len(gdf) == 0 and spec.required:
        problems.append(Problem(file=source, layer=layer, message=f"required layer '{spec.name}' is empty",
                                fix=f"give at least one {spec.name} feature"))

    if not geometry_column_missing:
        gdf = _check_geometry(gdf, spec, source=source, layer=layer, ids=ids, bounds=bounds, crs=crs,
                              problems=problems, warnings=warnings)

    order = schema + [c for c in gdf.columns if c not in schema and c != "geometry"] + ["geometry"]
    out = gpd.GeoDataFrame(gdf[order], geometry="geometry", crs=crs)
    out.index = pd.RangeIndex(len(out))
    return out, problems, warnings


def validate_area(area, *, require: bool = True) -> list[Problem]:
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
            if spec.required and require and name != "pops":  # issue #16: a missing POP is proposed (network.pop)
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
