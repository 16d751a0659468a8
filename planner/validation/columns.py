"""Columns of an input layer: schema names, dtypes, vocabularies, TERYT codes and ids."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import Problem
from planner.schema import SYNTHETIC_SIMC_PATTERN, Column, LayerSpec
from planner.validation.problems import MAX_ROWS_LISTED, row_problems
from planner.validation.text import (
    MEDIA,
    VALUE_SYNONYMS,
    as_text,
    fold_text,
    medium_from_text,
    missing_mask,
    norm_name,
    parse_bools,
    parse_numbers,
)

__all__ = [
    "CODE_WIDTHS",
    "COLUMN_ALIASES",
    "EXTRA_COLUMNS_ATTR",
    "check_coverage",
    "check_ids",
    "coerce_columns",
    "coerce_str",
    "map_aliases",
    "suggest",
]

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

#: ``DataFrame.attrs`` key where a reader lists the extra columns it adds on purpose.
EXTRA_COLUMNS_ATTR = "planner_extra_columns"


def map_aliases(df: pd.DataFrame, spec: LayerSpec) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rename alias / differently-cased columns onto schema names.

    Parameters
    ----------
    df
        The layer as read.
    spec
        Its schema.

    Returns
    -------
    df : pandas.DataFrame
        Renamed (a schema name already present is never overwritten).
    renamed : list of tuple of str
        ``(old, new)`` pairs, sorted.
    """
    schema = set(spec.column_names)
    present = set(df.columns)
    renames: dict[str, str] = {}
    geom_name = df.active_geometry_name if isinstance(df, gpd.GeoDataFrame) else None
    for col in df.columns:
        if col in schema or col == geom_name:
            continue
        key = norm_name(col)
        target = key if key in schema else COLUMN_ALIASES.get(key)
        if target and target in schema and target not in present and target not in renames.values():
            renames[col] = target
    if renames:
        df = df.rename(columns=renames)
    return df, sorted(renames.items())


def coerce_str(s: pd.Series, col: Column) -> pd.Series:
    """A ``str`` schema column as text: integral floats without ``.0``, TERYT codes zero-padded.

    Parameters
    ----------
    s
        The column as read.
    col
        Its schema column (the width of TERYT codes: :data:`CODE_WIDTHS`).

    Returns
    -------
    pandas.Series
        ``object`` dtype holding ``str`` (``""``: no value).
    """
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


def suggest(name: str, candidates: Iterable[str]) -> list[str]:
    """Up to three candidates close to ``name`` (compared as :func:`~planner.validation.text.norm_name`).

    Parameters
    ----------
    name
        A missing column name or an unknown value.
    candidates
        Names present.

    Returns
    -------
    list of str
        Best first.
    """
    cands = [str(c) for c in candidates]
    by_norm = {norm_name(c): c for c in cands}
    hits = difflib.get_close_matches(norm_name(name), list(by_norm), n=3, cutoff=0.6)
    return [by_norm[h] for h in hits]


def coerce_columns(
    df: pd.DataFrame, spec: LayerSpec, *, source: str, layer: str | None, ids: pd.Series | None,
    problems: list[Problem],
) -> pd.DataFrame:
    """Coerce every schema column to its dtype, in place of ``df`` (a copy).

    Parameters
    ----------
    df
        The layer, columns already renamed (:func:`map_aliases`).
    spec
        Its schema.
    source, layer
        Named in the problems.
    ids
        Ids of the rows, for the problems (or ``None``).
    problems
        Unreadable numbers, booleans, dates, values outside a vocabulary,
        malformed TERYT codes and empty required values are appended.

    Returns
    -------
    pandas.DataFrame
        ``df`` with every schema column (absent optional ones filled with
        their defaults) in its dtype.
    """
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
            out = coerce_str(raw, col)
            if col.allowed is not None:
                folded = {u: fold_text(u) for u in pd.unique(out)}  # few distinct values
                norm = out.map(folded).astype(object).str.replace(r"[\s:\-./]+", "_", regex=True).str.strip("_")
                norm = norm.replace({k: v for k, v in VALUE_SYNONYMS.items() if v in col.allowed}).astype(object)
                empty = (norm == "").to_numpy(bool)
                if col.default is not None:
                    norm[empty] = col.default
                    empty = np.zeros(len(norm), bool)
                bad = ~norm.isin(col.allowed).to_numpy(bool) & ~empty
                if bad.any():
                    rows = np.flatnonzero(bad)
                    bad_values = [out.iloc[r] for r in rows]
                    sugg = suggest(bad_values[0], col.allowed)
                    hint = f" (did you mean '{sugg[0]}'?)" if sugg else ""
                    row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                                  message=f"{where}: value {{value!r}} is not allowed{hint}",
                                  fix=f"use one of: {', '.join(col.allowed)}", values=bad_values)
                if empty.any() and col.required:
                    row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(empty), ids=ids,
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
                    row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                                  message=f"{where}: {{value!r}} is not a {width}-digit TERYT code",
                                  fix=f"give the {name.upper()} code as {width} digits (keep leading zeros: "
                                      f"store the column as text)", values=[out.iloc[r] for r in rows])
            df[name] = out
        elif col.dtype in ("float", "int", "Int"):
            num, bad = parse_numbers(raw)
            if bad.any():
                rows = np.flatnonzero(bad)
                row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
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
                    row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                                  message=f"{where}: {{value!r}} is not a whole number",
                                  fix=f"write '{name}' as a whole number", values=[raw.iloc[r] for r in rows])
                if col.dtype == "int":
                    if miss.any():
                        if col.default is not None:
                            num = np.where(miss, float(col.default), num)
                        else:
                            row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(miss), ids=ids,
                                          message=f"{where} is empty", fix=f"give '{name}' a whole number")
                    vals = np.where(np.isfinite(num), np.round(num), 0).astype(np.int64)
                    df[name] = pd.Series(vals, index=df.index, dtype="int64")
                else:
                    ser = pd.Series(np.where(np.isfinite(num), np.round(num), np.nan), index=df.index)
                    df[name] = ser.astype("Int64")
        elif col.dtype == "bool":
            vals, miss, bad = parse_bools(raw)
            if bad.any():
                rows = np.flatnonzero(bad)
                row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
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
                bad = parsed.isna().to_numpy() & ~missing_mask(raw)
            if bad.any():
                rows = np.flatnonzero(bad)
                row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                              message=f"{where}: cannot read {{value!r}} as a date",
                              fix=f"write '{name}' as YYYY-MM-DD", values=[raw.iloc[r] for r in rows])
            miss = parsed.isna().to_numpy() & ~bad
            if miss.any() and col.required:
                row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(miss), ids=ids,
                              message=f"{where} is empty", fix=f"give '{name}' as YYYY-MM-DD")
            df[name] = pd.Series(parsed.to_numpy(), index=df.index).astype("datetime64[ns]")
        else:  # pragma: no cover - schema guard
            raise ValueError(f"unknown schema dtype {col.dtype!r}")
    return df


def check_coverage(df: pd.DataFrame, *, source: str, layer: str | None, present: set[str],
                    problems: list[Problem]) -> None:
    """Coverage rules the schema's dtypes cannot express (media, planned year), in place.

    Parameters
    ----------
    df
        The coerced coverage layer; ``medium`` is mapped onto :data:`MEDIA`.
    source, layer
        Named in the problems.
    present
        Columns the file had (before defaults were filled in).
    problems
        Unknown media and planned rows without a year are appended.
    """
    if "medium" in present:
        raw = df["medium"]
        mapping = {u: medium_from_text(u) for u in pd.unique(raw)}  # few distinct values
        med = raw.map(mapping)
        bad = med.isna().to_numpy()
        if bad.any():
            rows = np.flatnonzero(bad)
            row_problems(problems, source=source, layer=layer, rows=rows, ids=None,
                          message="column 'medium': {value!r} is not a known medium",
                          fix=f"use one of: {', '.join(MEDIA)} (or the UKE names: światłowodowe, kablowe "
                              "współosiowe miedziane, kablowe parowe miedziane, radiowe)",
                          values=[raw.iloc[r] for r in rows])
        df["medium"] = med.fillna(raw).astype(object)
    if "status" in df.columns and "year" in df.columns:
        no_year = ((df["status"] == "planned") & df["year"].isna()).to_numpy(bool)
        if no_year.any():
            row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(no_year), ids=None,
                          message="planned coverage without 'year'",
                          fix="give the year the planned coverage is due (needed for the planning horizon)")




def check_ids(df: pd.DataFrame, spec: LayerSpec, *, source: str, layer: str | None, ids: pd.Series | None,
              problems: list[Problem]) -> None:
    """Empty and repeated ids of a layer.

    Parameters
    ----------
    df
        The coerced layer (its id column is text).
    spec
        Its schema (:attr:`~planner.schema.LayerSpec.id_column`).
    source, layer
        Named in the problems.
    ids
        The ids as read, for the row descriptions.
    problems
        Appended: rows with an empty id; rows whose id another row has, the
        repeated values named (the first :data:`MAX_ROWS_LISTED` of them, in
        order of first appearance) with their count.
    """
    idc = spec.id_column
    if not idc or idc not in df.columns:
        return
    idv = df[idc]
    empty_id = (idv == "").to_numpy(bool)
    if empty_id.any():
        row_problems(problems, source=source, layer=layer, rows=np.flatnonzero(empty_id), ids=None,
                     message=f"empty '{idc}'", fix=f"give every feature a unique '{idc}'")
    dup = idv.duplicated(keep=False).to_numpy(bool) & ~empty_id
    if not dup.any():
        return
    rows = np.flatnonzero(dup)
    first = ~idv.duplicated(keep="first").to_numpy(bool)
    repeated = idv.to_numpy(dtype=object)[dup & first]  # each repeated value once, in order of first appearance
    fix = f"make '{idc}' unique (remove repeated rows or renumber them)"
    if len(rows) <= MAX_ROWS_LISTED:
        row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                     message=f"duplicate {idc} {{value!r}} ({len(repeated)} id(s) used more than once)",
                     fix=fix, values=[idv.iloc[r] for r in rows])
        return
    named = ", ".join(repr(v) for v in repeated[:MAX_ROWS_LISTED]).replace("{", "{{").replace("}", "}}")
    more = f" and {len(repeated) - MAX_ROWS_LISTED} more" if len(repeated) > MAX_ROWS_LISTED else ""
    row_problems(problems, source=source, layer=layer, rows=rows, ids=ids,
                 message=f"duplicate {idc} {named}{more} ({len(repeated)} id(s) used more than once)", fix=fix)
