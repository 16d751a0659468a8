"""The coverage layer: checks, row categories, distinct declarations and exact repeats.

A coverage row is *NGA* when its medium is one of ``fixed_media`` (fibre,
coax, copper) and its downlink ``down_mbps >= nga_min_down_mbps`` (100 Mb/s);
radio (FWA, LTE, 5G) never counts, at any speed.  An NGA row counts *now*
when its status is ``existing`` and *planned* when its status is ``planned``
and its year is ``<= analysis_date.year + horizon_years`` (analysis
2023-06-30 and 3 years: 2026 counts, 2027 does not).  A planned NGA row
without a year is counted as within the horizon (and warned about).

:func:`prepare_coverage` checks the layer and codes every row (operator,
technology, medium, category); :func:`declarations` numbers the distinct
declarations; :func:`duplicate_rows` finds exact repeats of a row.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from numba import njit

import planner.kernels
from planner._errors import InputDataError, Problem
from planner.config import WhiteSpotConfig
from planner.kernels import text_hash, text_join
from planner.kernels.hash_table import enter, find, slot_shift, table_codes
from planner.kernels.threads import readonly
from planner.schema import COVERAGE_MEDIA
from planner.whitespots.codes import codes, combine_codes, first_positions, floats
from planner.whitespots.keys import (
    KeyHashes,
    arrow_lower,
    arrow_operator,
    arrow_strip,
    arrow_technology,
    column,
    key_hashes,
    raw_hashes,
)

__all__ = [
    "CATEGORIES",
    "CAT_BEYOND",
    "CAT_NGA_NOW",
    "CAT_NGA_PLANNED",
    "CAT_NOT_FIXED",
    "CAT_PLANNED_SLOW",
    "CAT_SLOW",
    "KNOWN_TECHNOLOGIES",
    "MAX_EXAMPLES",
    "MEDIA",
    "category",
    "declarations",
    "duplicate_keys",
    "duplicate_rows",
    "prepare_coverage",
    "problem_rows",
]

#: Media of the coverage layer (the readers map UKE/SIDUSIS names onto these).
MEDIA: tuple[str, ...] = COVERAGE_MEDIA

#: Technology names of the UKE code list (``slowniki_inwentaryzacja_uke``), the
#: SIDUSIS examples and common mobile/FWA names.  Compared case-insensitively
#: without spaces; an unknown name is warned about but still classified by
#: medium and speed.
KNOWN_TECHNOLOGIES: tuple[str, ...] = (
    "ADSL", "ADSL2", "ADSL2+", "VDSL", "VDSL2", "VDSL2(vectoring)", "G.Fast",
    "(EURO)DOCSIS 1.x", "(EURO)DOCSIS 2.x", "(EURO)DOCSIS 3.x", "DOCSIS 3.0", "DOCSIS 3.1",
    "10 Mb/s Ethernet", "100 Mb/s Fast Ethernet", "1 Gigabit Ethernet", "2,5 Gigabit Ethernet",
    "5 Gigabit Ethernet", "10 Gigabit Ethernet", "25 Gigabit Ethernet", "100 Gigabit Ethernet",
    "WiFi – 802.11a w paśmie 5GHz", "WiFi – 802.11b w paśmie 2.4GHz", "WiFi – 802.11g w paśmie 2.4GHz",
    "WiFi – 802.11n w paśmie 2.4GHz", "WiFi – 802.11n w paśmie 5GHz", "WiFi – 802.11ac w paśmie 5GHz",
    "WiFi – 802.11ax w paśmie 2.4GHz", "WiFi – 802.11ax w paśmie 5GHz", "WiFi – 802.11ax w paśmie 6GHz",
    "WiFi – 802.11ad w paśmie 60GHz", "WiFi", "WiMAX", "LMDS", "radiolinia", "CWDM", "DWDM", "SDH/PDH",
    "EPON", "10G-EPON", "GPON", "NGPON1 (XGPON)", "NGPON2 (XGPON)", "XGPON", "XG-PON", "XGSPON",
    "XGS-PON", "25G PON", "MoCA", "CoaxData", "EoC", "FTTH", "FTTB",
    "GSM", "EDGE", "UMTS", "HSPA", "HSPA+", "LTE", "LTE-A", "NR", "NR SA", "NR NSA", "5G", "5G NR", "FWA",
)

#: Row categories, in the order rows are listed in a reason.
CAT_NGA_NOW, CAT_NGA_PLANNED, CAT_SLOW, CAT_NOT_FIXED, CAT_BEYOND, CAT_PLANNED_SLOW = range(6)
#: Number of row categories.
CATEGORIES = 6

#: How many example rows a warning names.
MAX_EXAMPLES = 5


def category(nga: bool, planned: bool, fixed: bool, within: bool) -> int:
    """The category of a coverage row: the first rule that holds decides.

    Parameters
    ----------
    nga
        Fixed medium at NGA speed.
    planned
        Status ``planned`` (else ``existing``).
    fixed
        Fixed medium (any speed).
    within
        Planned within the horizon.

    Returns
    -------
    int
        ``CAT_NGA_NOW``, ``CAT_NGA_PLANNED``, ``CAT_SLOW`` (existing, fixed,
        slow), ``CAT_NOT_FIXED`` (existing radio/other), ``CAT_BEYOND`` (NGA
        planned beyond the horizon) or ``CAT_PLANNED_SLOW``.
    """
    existing = not planned
    if nga and existing:
        return CAT_NGA_NOW
    if nga and within:
        return CAT_NGA_PLANNED
    if existing and fixed:
        return CAT_SLOW
    if existing:
        return CAT_NOT_FIXED
    if nga:
        return CAT_BEYOND
    return CAT_PLANNED_SLOW


#: :func:`category` of the flags ``nga << 3 | planned << 2 | fixed << 1 | within``.
_CATEGORY_TABLE = np.array([category(*(bool(f >> b & 1) for b in (3, 2, 1, 0))) for f in range(16)], dtype=np.int8)

_KNOWN_TECH_KEYS = frozenset(arrow_technology(pa.array(list(KNOWN_TECHNOLOGIES))).to_pylist())


def problem_rows(file: str, rows: np.ndarray, message: Callable[[int], str], fix: str,
                 limit: int = 20) -> list[Problem]:
    """Problems for the first ``limit`` rows, plus one line counting the rest.

    Parameters
    ----------
    file
        Source named in the problems.
    rows
        Row positions.
    message
        Message of a row.
    fix
        How to fix them.
    limit
        Rows listed one by one.

    Returns
    -------
    list of Problem
    """
    probs = [Problem(file=file, row=int(r), message=message(int(r)), fix=fix) for r in rows[:limit]]
    if len(rows) > limit:
        probs.append(Problem(file=file, message=f"... and {len(rows) - limit} more rows like these", fix=fix))
    return probs


def prepare_coverage(cov: gpd.GeoDataFrame, config: WhiteSpotConfig, source: str,
                     warnings: list[str]) -> pd.DataFrame:
    """Check and code the coverage layer.

    Parameters
    ----------
    cov
        The coverage layer (:data:`planner.schema.COVERAGE`).
    config
        White-spot rules.
    source
        File named in messages.
    warnings
        Warnings are appended (unknown technologies, planned rows without a year).

    Returns
    -------
    pandas.DataFrame
        One row per coverage row: ``row``, the key columns as they are,
        operator / technology / medium codes (``op``, ``tech``, ``medium``),
        ``down``, ``year`` (planned rows only), ``cat`` (:func:`category`) and
        ``geometry``; ``attrs`` holds the display names of the codes
        (``op_display``, ``tech_u``, ``medium_u``) and the ``horizon`` year.

    Raises
    ------
    InputDataError
        Missing columns; missing or non-numeric speeds, unknown media,
        statuses or empty operators (all problems at once).
    """
    n = len(cov)
    problems: list[Problem] = []
    for col in ("operator", "medium", "technology", "down_mbps"):
        if col not in cov.columns:
            problems.append(Problem(file=source, message=f"coverage has no '{col}' column",
                                    fix=f"add '{col}' (see planner/schema.py COVERAGE)"))
    if problems:
        raise InputDataError(f"coverage layer {source} lacks required columns", problems)

    raw_down = cov["down_mbps"]
    down = floats(raw_down)
    bad = np.flatnonzero(~np.isfinite(down) | (down < 0))
    if len(bad):
        vals = raw_down.to_numpy(dtype=object)
        problems += problem_rows(
            source, bad,
            lambda r: f"down_mbps is {vals[r]!r} (operator {cov['operator'].iloc[r]!r}): not a number of Mb/s",
            "give the maximum downlink in Mb/s as a number (UKE speed codes must be decoded, e.g. '11' -> 100)")

    med_codes, med_u = codes(cov["medium"], arrow_lower)
    unknown_med = ~np.isin(med_u, MEDIA)
    bad = np.flatnonzero(unknown_med[med_codes])
    if len(bad):
        problems += problem_rows(
            source, bad, lambda r: f"medium {med_u[med_codes[r]]!r} is not one of {list(MEDIA)}",
            "map the medium onto fibre/coax/copper/radio/other (the readers do this for UKE/SIDUSIS files)")

    op_codes, op_u, op_spellings, op_of_spelling = codes(cov["operator"], arrow_operator, spellings=True)
    bad = np.flatnonzero((op_u == "")[op_codes])
    if len(bad):
        problems += problem_rows(source, bad, lambda r: "operator is empty",
                                 "name the operator of every coverage row (classes count distinct operators)")

    st_codes, st_u = codes(column(cov, "status", "existing"), arrow_lower)
    st_u = np.where(st_u == "", "existing", st_u).astype(object)  # schema default
    bad = np.flatnonzero(~np.isin(st_u, ("existing", "planned"))[st_codes])
    if len(bad):
        problems += problem_rows(
            source, bad, lambda r: f"status {st_u[st_codes[r]]!r} is neither 'existing' nor 'planned'",
            "use status 'existing' for networks in service and 'planned' (with a year) for declared plans")
    if problems:
        raise InputDataError(f"coverage layer {source} has {len(problems)} invalid value(s); no class was computed",
                             problems)

    year = floats(column(cov, "year", np.nan))
    planned = (st_u == "planned")[st_codes]
    fixed = np.isin(med_u, list(config.fixed_media))[med_codes]
    nga = fixed & (down >= config.nga_min_down_mbps)
    horizon = config.analysis_date.year + config.horizon_years
    no_year = planned & nga & ~np.isfinite(year)
    if no_year.any():
        rows = np.flatnonzero(no_year)
        warnings.append(
            f"{len(rows)} planned NGA coverage row(s) have no year (e.g. rows {rows[:MAX_EXAMPLES].tolist()} of "
            f"{source}); counted as within the horizon {horizon} -> fix: give the planned year")
    within = planned & (~np.isfinite(year) | (year <= horizon))
    # the category of every combination of the four flags, looked up at once (five masked writes took 10x as long)
    cat = _CATEGORY_TABLE[(nga.view(np.uint8) << 3) | (planned.view(np.uint8) << 2) | (fixed.view(np.uint8) << 1)
                          | within.view(np.uint8)]

    # Display name of an operator: the smallest raw spelling of its key (deterministic).
    disp = pd.Series(op_spellings, dtype=object).groupby(op_of_spelling).min()
    op_display = disp.reindex(np.arange(len(op_u))).fillna("").to_numpy(dtype=object)

    tech_codes, tech_u = codes(cov["technology"], arrow_strip)
    tech_known = np.isin(arrow_technology(pa.array(list(tech_u), type=pa.string())).to_numpy(zero_copy_only=False),
                         list(_KNOWN_TECH_KEYS))
    unk = np.flatnonzero(~tech_known[tech_codes])
    if len(unk):
        names = sorted(tech_u[np.unique(tech_codes[unk])].tolist())
        warnings.append(
            f"{len(unk)} coverage row(s) of {source} name a technology not in the UKE code list "
            f"({names[:MAX_EXAMPLES]}, e.g. row {int(unk[0])}); classified by medium and speed only "
            "-> fix: use the UKE code-list name (e.g. 'GPON', 'VDSL2', '(EURO)DOCSIS 3.x')")

    out = pd.DataFrame({
        "row": np.arange(n, dtype=np.int64),
        **{c: column(cov, c).reset_index(drop=True)
           for c in ("address_id", "terc", "simc", "ulic", "street", "house_number")},
        "op": op_codes,
        "tech": tech_codes,
        "medium": med_codes,
        "down": down,
        "year": np.where(planned, year, np.nan),
        "cat": cat,
    })
    out.attrs = {"op_display": op_display, "tech_u": tech_u, "medium_u": med_u, "horizon": horizon}
    geom_col = getattr(cov, "_geometry_column_name", None)
    out["geometry"] = cov[geom_col].to_numpy() if geom_col in cov.columns else None
    return out


@njit(cache=True, nogil=True, inline="always")
def _float_key(x: float, bits: np.uint64) -> np.uint64:
    """``x``'s bits (``bits``), every NaN alike and -0.0 as 0.0 (as ``pandas.factorize`` compares)."""
    if x != x:
        return np.uint64(0x7FF8000000000000)
    if x == 0.0:
        return np.uint64(0)
    return bits


# numba's stubs lack njit's private ``_nrt`` option (no reference counting in the kernel)
@njit(cache=True, nogil=True, _nrt=False)  # type: ignore[call-overload, untyped-decorator]
def _declaration_codes(cat: np.ndarray, op: np.ndarray, tech: np.ndarray, medium: np.ndarray, down: np.ndarray,
                       down_bits: np.ndarray, year: np.ndarray, year_bits: np.ndarray, shift_cat: int,
                       shift_op: int, shift_tech: int, codes: np.ndarray, slots: np.ndarray, table: np.ndarray,
                       state: np.ndarray) -> None:
    """The ``fill`` kernel of :func:`planner.kernels.hash_table.table_codes` for :func:`declarations`.

    A row's category and operator, technology and medium codes are packed
    into one word (at the given bit shifts); with its speed and year that is
    its key (three words).  Few distinct declarations (the usual case), so the
    table stays in the cache.
    """
    shift = slot_shift(slots)
    i, k = state[0], state[1]
    while i < codes.shape[0]:
        w = ((np.uint64(cat[i]) << np.uint64(shift_cat)) | (np.uint64(op[i]) << np.uint64(shift_op))
             | (np.uint64(tech[i]) << np.uint64(shift_tech)) | np.uint64(medium[i]))
        d = _float_key(down[i], down_bits[i])
        y = _float_key(year[i], year_bits[i])
        h = text_hash.mix((w * text_hash.MULT_H) ^ (d * text_hash.MULT_G) ^ y)
        b: int | np.int64 = np.int64(h >> shift)
        c, b = find(table, slots, b, w, d, y)
        if c < 0:  # a new declaration
            if k == table.shape[0]:
                break
            c = k
            k = enter(table, slots, b, k, w, d, y, h, i)
        codes[i] = c
        i += 1
    state[0], state[1] = i, k


def declarations(cov: pd.DataFrame, *, min_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct declarations of the coverage rows.

    Parameters
    ----------
    cov
        Output of :func:`prepare_coverage` (columns ``cat``, ``op``, ``tech``,
        ``medium``, ``down``, ``year``).
    min_rows
        Fewer rows are numbered by a factorization of the columns (no kernel
        compiled); ``None``: :data:`planner.kernels.MIN_COMPILED_ROWS`.

    Returns
    -------
    codes : numpy.ndarray
        One code per row for its (category, operator, technology, medium,
        speed, year), in order of first appearance (speeds and years NaN
        alike, -0.0 as 0.0): equals :func:`~planner.whitespots.codes.combine_codes`
        of the columns.
    first : numpy.ndarray
        The first row of each code.

    Notes
    -----
    From ``min_rows`` rows on, one compiled
    pass with an in-cache table (:func:`planner.kernels.hash_table.table_codes`)
    instead of a factorization of a million packed codes and two of the floats.
    """
    n = len(cov)
    cat = readonly(cov["cat"].to_numpy(), np.int8)
    op, tech, medium = (readonly(cov[c].to_numpy(), np.int64) for c in ("op", "tech", "medium"))
    down, year = (readonly(cov[c].to_numpy(dtype=np.float64), np.float64) for c in ("down", "year"))
    widths = [int(c.max(initial=0)).bit_length() for c in (op, tech, medium)]
    if min_rows is None:
        min_rows = planner.kernels.MIN_COMPILED_ROWS
    if (n < min_rows or int(cat.max()).bit_length() + sum(widths) > 64
            or min(c.min() for c in (cat, op, tech, medium)) < 0):
        combo = combine_codes(cat, op, tech, medium, pd.factorize(down)[0], pd.factorize(year)[0])
        return combo, first_positions(combo)
    shift_tech = widths[2]
    shift_op = shift_tech + widths[1]
    shift_cat = shift_op + widths[0]
    down_bits, year_bits = down.view(np.uint64), year.view(np.uint64)
    result = table_codes(n, lambda codes, slots, table, state: _declaration_codes(
        cat, op, tech, medium, down, down_bits, year, year_bits, shift_cat, shift_op, shift_tech, codes, slots,
        table, state))
    assert result is not None  # no limit
    return result


def duplicate_keys(cov: pd.DataFrame, id_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                   keys: KeyHashes | None = None,
                   declaration_codes: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hashes per coverage row that exact repeats share, for :func:`duplicate_rows`.

    Parameters
    ----------
    cov
        Output of :func:`prepare_coverage`.
    id_hashes
        :func:`~planner.whitespots.keys.raw_hashes` of the address ids, if computed.
    keys
        :func:`~planner.whitespots.keys.key_hashes` of ``cov``, if computed.
    declaration_codes
        :func:`declarations` codes, if computed.

    Returns
    -------
    list of tuple of numpy.ndarray
        ``(h, g)`` of the raw address id, of the normalised address keys and
        of the declaration code: equal raw values have equal normalised forms,
        so a repeat shares them all.  The TERC is left to the exact comparison.
    """
    if id_hashes is None:
        id_hashes = raw_hashes(column(cov, "address_id"))
    if keys is None:
        keys = key_hashes(cov)
    if declaration_codes is None:
        declaration_codes = declarations(cov)[0]
    assert keys.street is not None
    code = declaration_codes.view(np.uint64)
    return [id_hashes[:2], keys.ulic, keys.street, (code, code)]


def duplicate_rows(cov: pd.DataFrame, source: str, warnings: list[str],
                   keys: list[tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
    """Exact repeats of an earlier declaration (same key, operator, technology, speed, geometry).

    Parameters
    ----------
    cov
        Output of :func:`prepare_coverage`.
    source
        File named in the warning.
    warnings
        A warning counting the repeats is appended, if there are any.
    keys
        ``(h, g)`` hashes per row that equal rows share (:func:`duplicate_keys`,
        computed if not given); only rows sharing them with another row, and
        the same geometry bounds, are compared exactly.

    Returns
    -------
    numpy.ndarray
        Mask of the rows to drop (all but the first of each set of repeats).
    """
    if not len(cov):
        return np.zeros(0, dtype=bool)
    # raw values (not normalised): exact repeats only; spelling variants are harmless
    # anyway, since classes count distinct operators.  Hashes find the candidates
    # (numba); only rows sharing a hash are compared exactly (pandas), geometries as WKB.
    cols = ["address_id", "terc", "simc", "ulic", "street", "house_number", "op", "tech", "medium", "down", "year",
            "cat"]
    h, g = text_hash.combine(*(duplicate_keys(cov) if keys is None else keys))
    geom = cov["geometry"].to_numpy()
    has = np.flatnonzero(shapely.is_geometry(geom))
    if len(has):  # equal geometries, equal bounds
        box = shapely.bounds(geom[has])
        h[has], g[has] = text_hash.combine((h[has], g[has]), text_hash.row_hashes(list(box.T), len(has)))
    cand = np.flatnonzero(text_join.shared_hashes(h, g))
    dup = np.zeros(len(cov), dtype=bool)
    if len(cand):
        g = geom[cand]
        wkb = np.full(len(cand), b"", dtype=object)
        g_has = shapely.is_geometry(g)
        if g_has.any():
            wkb[g_has] = shapely.to_wkb(g[g_has])
        dup[cand] = cov.iloc[cand][cols].assign(wkb=wkb).duplicated().to_numpy()  # rows first: no 1M-row copy
    if dup.any():
        rows = cov["row"].to_numpy()[dup]
        warnings.append(
            f"{int(dup.sum())} duplicate coverage row(s) of {source} dropped (e.g. rows "
            f"{rows[:MAX_EXAMPLES].tolist()}) -> fix: remove repeated declarations from the coverage file")
    return dup
