"""White spots (białe plamy), investment barriers, official-list diff, reallocation.

Stage 2 of the pipeline: from the address points and the operators' coverage
declarations of a study area, decide for every address point whether it is a
**white** spot (no fixed NGA network now or planned within the horizon),
**grey** (one NGA network) or **black** (two or more), and whether a white spot
is really buildable or an **investment barrier** (bariera inwestycyjna).

Classification rules (defaults in :class:`planner.config.WhiteSpotConfig`):

* A coverage row is *NGA* when its medium is one of ``fixed_media`` (fibre,
  coax, copper) and its downlink ``down_mbps >= nga_min_down_mbps`` (100 Mb/s).
  Radio (FWA, LTE, 5G) never counts, at any speed.
* An NGA row counts *now* when its status is ``existing`` and *planned* when its
  status is ``planned`` and its year is ``<= analysis_date.year + horizon_years``
  (analysis 2023-06-30 and 3 years: 2026 counts, 2027 does not).  A planned NGA
  row without a year is counted as within the horizon (and warned about).
* ``n_nga_now`` / ``n_nga_planned`` count distinct operators (operator names
  compared case- and whitespace-insensitively).  The class uses the number of
  distinct operators over **both** sets: an operator that offers NGA now and also
  plans it is one network.  0 -> white, 1 -> grey, >= 2 -> black.

Matching coverage rows to address points, in this order (each row uses the
first stage that matches it; an address takes the best method of its rows):

1. ``address_id``: the row's ``address_id`` equals the address point's ``id``.
2. ``address_key``: SIMC + ULIC + house number, normalised; then, for rows still
   unmatched (typically no ULIC), SIMC + normalised street name + house number.
   SIMC identifies a locality nationally, so it implies the commune; the TERC
   is compared as a consistency check only (first 6 digits, the rodzaj digit
   differs between sources: 1408043 vs 1408044 for the town of Serock), and a
   mismatch is warned about.
3. ``nearest_point``: a row with a Point geometry goes to the nearest address
   point within ``match_distance_m``.
4. ``area``: a row with a Polygon geometry covers every address point inside it.

Normalisation: codes lose surrounding spaces and a trailing ``.0`` and get their
leading zeros back (TERC/SIMC 7 digits, ULIC 5); street names are compared
without case, Polish diacritics, punctuation and the prefixes
``ul./al./pl./os.`` (and ``ulica/aleja/plac/osiedle``); house numbers without
case, spaces and leading zeros, and **only the building part before a slash**
(``'12/3'``, building 12 flat 3, matches the building-level address ``'12'``).

Barriers (white spots only), first rule that applies: ``status_<status>`` (PRG
status not in ``existing_statuses``, e.g. ``status_prognozowany``; an empty
status counts as existing), ``no_building`` (no building within
``barrier_building_distance_m``), ``summer_house`` (the nearest building's use
is in ``barrier_building_uses``; equidistant buildings: smallest id, then the
first in the layer).  An empty buildings layer disables the two building rules
with a warning instead of making every point a barrier.

Everything is vectorised (address keys normalised, hashed and joined by the
numba kernels of :mod:`planner._textkeys`, numpy and radix sorting, the numba
proximity grid of :mod:`planner._proximity`, one compiled pass per address
for its match method, NGA operators and reason, :func:`_summaries`); there is
no Python loop over address points or coverage rows.  The stages that do not
wait for the key matching (building search, id matching, duplicate-row check
and a few smaller ones, and at the end the text columns) run in worker
threads beside it (:func:`_stage_executor`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely
from numba import njit, prange

from planner import _textkeys
from planner._errors import InputDataError, InputFileNotFoundError, Problem
from planner._proximity import box_pairs, degenerate_boxes, nearest_runs
from planner._radix import argsort_u64
from planner.area import Area
from planner.config import WhiteSpotConfig

__all__ = [
    "WhiteSpotResult",
    "classify",
    "locality_table",
    "official_list_diff",
    "read_official_list",
    "propose_reallocation",
    "run",
    "normalise_street",
    "normalise_house_number",
    "localize_reasons",
]

logger = logging.getLogger(__name__)

#: Media of the coverage layer (the readers map UKE/SIDUSIS names onto these).
MEDIA: tuple[str, ...] = ("fibre", "coax", "copper", "radio", "other")

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

_METHODS: tuple[str, ...] = ("address_id", "address_key", "nearest_point", "area", "none")
_NO_MATCH = len(_METHODS) - 1

# Row categories, in the order rows are listed in a reason.
_CAT_NGA_NOW, _CAT_NGA_PLANNED, _CAT_SLOW, _CAT_NOT_FIXED, _CAT_BEYOND, _CAT_PLANNED_SLOW = range(6)


def _category(nga: bool, planned: bool, fixed: bool, within: bool) -> int:
    """The category of a coverage row: the first rule that holds decides."""
    existing = not planned
    if nga and existing:
        return _CAT_NGA_NOW
    if nga and within:
        return _CAT_NGA_PLANNED
    if existing and fixed:
        return _CAT_SLOW
    if existing:
        return _CAT_NOT_FIXED
    if nga:
        return _CAT_BEYOND
    return _CAT_PLANNED_SLOW


#: :func:`_category` of the flags ``nga << 3 | planned << 2 | fixed << 1 | within``.
_CATEGORY_TABLE = np.array([_category(*(bool(f >> b & 1) for b in (3, 2, 1, 0))) for f in range(16)], dtype=np.int8)

_PL_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_MAX_EXAMPLES = 5


# --------------------------------------------------------------------------
# normalisation of names, numbers and codes (applied to unique values only)


def _fold(text: str) -> str:
    """Lower-case ASCII form of a Polish text (``'Łódź'`` -> ``'lodz'``)."""
    text = text.translate(_PL_FOLD)
    if not text.isascii():  # other Latin diacritics (rare): decompose and drop the marks
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text.casefold()


_PL_LOWER = (("ą", "a"), ("ć", "c"), ("ę", "e"), ("ł", "l"), ("ń", "n"), ("ó", "o"), ("ś", "s"), ("ź", "z"),
             ("ż", "z"))


def _a_fold(a: pa.Array) -> pa.Array:
    """:func:`_fold` of every string of an Arrow array (vectorised, pyarrow.compute)."""
    a = pc.utf8_lower(a)
    if not len(a) or pc.all(pc.string_is_ascii(a)).as_py():
        return a
    for old, new in _PL_LOWER:
        a = pc.replace_substring(a, old, new)
    ascii_ = pc.string_is_ascii(a)
    if len(a) and not pc.all(ascii_).as_py():  # rare: other diacritics, one by one
        vals = a.to_pylist()
        mask = ascii_.to_pylist()
        a = pa.array([v if ok else _fold(v) for v, ok in zip(vals, mask)], type=pa.string())
    return a


def _a_street(a: pa.Array) -> pa.Array:
    a = pc.replace_substring_regex(_a_fold(a), r"[^0-9a-z]+", " ")
    a = pc.utf8_trim_whitespace(a)
    return pc.replace_substring_regex(a, r"^(?:ul|ulica|al|aleja|aleje|pl|plac|os|osiedle) +", "")


def _any(mask: pa.Array) -> bool:
    return bool(len(mask)) and bool(pc.any(mask).as_py())


def _a_house(a: pa.Array) -> pa.Array:
    a = _a_fold(a)
    if _any(pc.match_substring(a, "/")):
        a = pc.replace_substring_regex(a, r"/.*$", "")
    a = pc.replace_substring_regex(a, r"\s+", "")
    if _any(pc.match_substring(a, ".0")):
        a = pc.replace_substring_regex(a, r"^(\d+)\.0$", r"\1")  # a number read as float
    if _any(pc.starts_with(a, "0")):
        a = pc.replace_substring_regex(a, r"^0+(\d)", r"\1")
    return a


def _a_code(width: int) -> Callable[[pa.Array], pa.Array]:
    def norm(a: pa.Array) -> pa.Array:
        a = pc.utf8_trim_whitespace(a)
        if _any(pc.match_substring(a, ".0")):
            a = pc.replace_substring_regex(a, r"^(\d+)\.0$", r"\1")
        return pc.if_else(pc.utf8_is_digit(a), pc.utf8_lpad(a, width=width, padding="0"), pc.utf8_lower(a))

    return norm


def _a_terc6(a: pa.Array) -> pa.Array:
    return pc.utf8_slice_codeunits(_a_code(7)(a), 0, 6)


def _a_strip(a: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(a)


def _a_lower(a: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(a))


def _a_operator(a: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"\s+", " ")))


def _a_technology(a: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.replace_substring_regex(a, r"\s+", ""))


def _scalar(norm: Callable[[pa.Array], pa.Array], value: object) -> str:
    return norm(pa.array([str(value)], type=pa.string()))[0].as_py()


def normalise_street(name: str) -> str:
    """Comparable form of a street name.

    Case, Polish diacritics, punctuation and a leading ``ul.``/``al.``/``pl.``/
    ``os.`` (or ``ulica``/``aleja``/``plac``/``osiedle``) are dropped.

    Examples
    --------
    >>> normalise_street("ul. Księżycowa")
    'ksiezycowa'
    >>> normalise_street("KSIEZYCOWA")
    'ksiezycowa'
    """
    return _scalar(_a_street, name)


def normalise_house_number(number: str) -> str:
    """Comparable form of a house number (numer porządkowy) of a building.

    Case and spaces are dropped, leading zeros removed, and only the building
    part before a ``/`` is kept: ``'12/3'`` (building 12, flat 3) is building
    ``'12'``, so a flat-level coverage row matches the building-level address.

    Examples
    --------
    >>> [normalise_house_number(x) for x in ("12A", "12 a", "12a", "12/3", "012")]
    ['12a', '12a', '12a', '12', '12']
    """
    return _scalar(_a_house, number)


_KNOWN_TECH_KEYS = frozenset(_a_technology(pa.array(list(KNOWN_TECHNOLOGIES))).to_pylist())


def _to_arrow(values: pd.Series | np.ndarray) -> pa.Array:
    """Values as an Arrow string array (missing values null), without per-row Python."""
    s = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        try:
            arr = pa.array(s.array if s.dtype != object else s.to_numpy(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = None
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return arr
        if arr is not None and pa.types.is_null(arr.type):
            return arr.cast(pa.string())
    # numbers, booleans or mixed objects: the text of each value
    obj = s.astype(object)
    mask = obj.isna().to_numpy()
    text = np.where(mask, None, obj.astype(str).to_numpy(dtype=object))
    return pa.array(text, type=pa.string(), from_pandas=True)


def _to_arrow_concat(columns: list[pd.Series]) -> pa.Array:
    """:func:`_to_arrow` of several columns, concatenated as one Arrow string array."""
    arrs = [_to_arrow(c) for c in columns]
    if len({a.type for a in arrs}) > 1:
        arrs = [a.cast(pa.large_string()) for a in arrs]
    return pa.concat_arrays(arrs) if arrs else pa.array([], type=pa.string())


def _codes(values: pd.Series | np.ndarray | list[pd.Series], norm: Callable[[pa.Array], pa.Array] | None, *,
           sort: bool = True, spellings: bool = False) -> tuple[np.ndarray, ...]:
    """Integer codes of normalised values; missing values normalise as ``''``.

    ``values`` may be a list of columns, read as one column (without a
    pandas concatenation).  The (pyarrow) normaliser runs once per *distinct* raw value.  Returns the
    codes (one per value) and the normalised uniques they index.  With ``sort``
    the codes follow the sorted normalised values (UTF-8 order), so they do not
    depend on row order.  With ``spellings`` also the distinct raw values that
    occur (stripped; missing as ``''``) and the code of each.
    """
    arr = _to_arrow_concat(values) if isinstance(values, list) else _to_arrow(values)
    few = _textkeys.factorize(arr)  # faster than Arrow's hash table for the usual few distinct values
    if few is not None:
        idx, first = few
        raw = arr.take(pa.array(first))
        missing = idx < 0 if arr.null_count else None
    else:
        enc = pc.dictionary_encode(arr)
        raw = enc.dictionary
        idx = enc.indices.to_numpy(zero_copy_only=False)
        missing = np.isnan(idx) if enc.indices.null_count else None
        idx = idx.astype(np.int64) if missing is None else np.where(missing, -1, idx).astype(np.int64)
    if missing is not None:
        idx[missing] = len(raw)
    normed = norm(raw) if norm is not None else raw
    normed = pa.concat_arrays([normed, pa.array([""], type=normed.type)])
    enc2 = pc.dictionary_encode(normed)
    idx2 = enc2.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    uniq = enc2.dictionary
    if sort:
        order = pc.array_sort_indices(uniq).to_numpy(zero_copy_only=False)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        idx2 = rank[idx2]
        uniq = uniq.take(pa.array(order))
    uniq = uniq.to_numpy(zero_copy_only=False).astype(object)
    if not spellings:
        return idx2[idx], uniq
    occurs = np.r_[np.ones(len(raw), dtype=bool), missing is not None]  # '' for missing, if any
    raw_text = np.append(pc.utf8_trim_whitespace(raw).to_numpy(zero_copy_only=False).astype(object), "")
    return idx2[idx], uniq, raw_text[occurs], idx2[occurs]


def _combine(*codes: np.ndarray) -> np.ndarray:
    """One int64 code per distinct tuple of integer codes (order of first appearance).

    The codes are packed into one integer (mixed radix) and factorized once;
    only when the packed value would overflow is the prefix factorized first.
    """
    out = np.asarray(codes[0], dtype=np.int64)
    out = out - out.min(initial=0)
    if len(codes) == 1:
        return out
    span = int(out.max(initial=0)) + 1
    for c in codes[1:]:
        c = np.asarray(c, dtype=np.int64)
        c = c - c.min(initial=0)  # factorize's -1 (missing) must not collide
        m = int(c.max(initial=0)) + 1
        if span * m >= 2**62:  # renumber the prefix tuples densely first
            out, uniq = pd.factorize(out)
            out, span = out.astype(np.int64), max(len(uniq), 1)
        out = out * m + c
        span *= m
    out, _ = pd.factorize(out)
    return out.astype(np.int64)


def _first_positions(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each distinct code, in code order.

    Equals ``np.unique(codes, return_index=True)[1]``; linear time when the codes
    are numbered 0, 1, ... by first appearance (as :func:`_combine` numbers
    tuples), a sort otherwise.
    """
    if not len(codes):
        return np.empty(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]])
    if codes[0] == 0 and codes.min() >= 0 and np.array_equal(codes[first], np.arange(len(first))):
        return first
    return np.unique(codes, return_index=True)[1]


def _raw_hashes(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`planner._textkeys.hash_column` of the values as they are: ``h``, ``g``, empty."""
    return _textkeys.hash_column(_to_arrow(values), _textkeys.RAW)


def _id_positions(address_ids: pd.Series, ids: pd.Series,
                  id_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                  address_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Position of each id among the (unique) address ids, -1 if absent, empty or missing.

    ``id_hashes`` / ``address_hashes``: :func:`_raw_hashes` of ``ids`` / ``address_ids`` (computed if
    not given)."""
    h, g, empty = _raw_hashes(ids) if id_hashes is None else id_hashes
    ha, ga, empty_a = _raw_hashes(address_ids) if address_hashes is None else address_hashes
    li, rj = _textkeys.join((h, g), ~empty, (ha, ga), ~empty_a, ordered=False)
    n = len(ids)
    pos = np.full(n, -1, dtype=np.int64)
    pos[li] = rj
    return pos


def _str_series(codes: np.ndarray, categories: list[str] | np.ndarray, index: pd.Index) -> pd.Series:
    """A string column from integer codes into categories (Arrow take, no per-row Python)."""
    arr = pa.array([str(c) for c in categories], type=pa.large_string()).take(pa.array(codes))
    return pd.Series(pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=index)


def _column(df: pd.DataFrame, name: str, default: object = "") -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)


_Pairs = tuple[np.ndarray, np.ndarray]


_Hashes = tuple[np.ndarray, np.ndarray]


@dataclass
class _KeyHashes:
    """The 128-bit hashes of the address keys of every row of a frame (:func:`_key_hashes`)."""

    ok: np.ndarray  # SIMC and house number given
    ulic: _Hashes  # SIMC + ULIC + house number
    street: _Hashes | None  # SIMC + street name + house number


def _key_hashes(frame: pd.DataFrame, street: bool = True) -> _KeyHashes:
    """The address keys of ``frame``, hashed from their normalised forms (:func:`_a_code`,
    :func:`_a_street`, :func:`_a_house`); the street key only with ``street``."""
    def hashes(name: str, kind: int, width: int,
               norm: Callable[[pa.Array], pa.Array]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _textkeys.hash_column(_to_arrow(_column(frame, name)), kind, width, norm)

    *simc, simc_empty = hashes("simc", _textkeys.CODE, 7, _a_code(7))
    *hn, hn_empty = hashes("house_number", _textkeys.HOUSE, 0, _a_house)
    base = _textkeys.combine(simc, hn)  # the part both keys share
    return _KeyHashes(
        ok=~simc_empty & ~hn_empty,
        ulic=_textkeys.combine(base, hashes("ulic", _textkeys.CODE, 5, _a_code(5))[:2]),
        street=_textkeys.combine(base, hashes("street", _textkeys.STREET, 0, _a_street)[:2]) if street else None)


def _key_pairs(left: pd.DataFrame | _KeyHashes, right: pd.DataFrame | _KeyHashes,
               left_mask: np.ndarray | None = None, *, street: bool = True) -> tuple[_Pairs, _Pairs | None]:
    """Pairs (left row, right row) with the same address key.

    Returns the pairs of the ULIC key (SIMC + ULIC + house number) and, with
    ``street``, for the left rows in ``left_mask`` (all when ``None``) that the
    ULIC key did not match, of the street key (SIMC + street name + house
    number; ``None`` without ``street``); each as ``(left positions, right
    positions)`` ordered by left, then right position.  Values compare in
    their normalised forms (:func:`_a_code`, :func:`_a_street`,
    :func:`_a_house`); rows without SIMC or house number match nothing.
    Either side may be given as its :func:`_key_hashes` (with the street
    key when ``street``), computed beforehand.
    """
    lk, rk = (f if isinstance(f, _KeyHashes) else _key_hashes(f, street) for f in (left, right))
    todo = lk.ok if left_mask is None else lk.ok & left_mask
    by_ulic = _textkeys.join(lk.ulic, todo, rk.ulic, rk.ok)
    if not street:
        return by_ulic, None
    todo = todo.copy()
    todo[by_ulic[0]] = False
    return by_ulic, _textkeys.join(lk.street, todo, rk.street, rk.ok)


# --------------------------------------------------------------------------
# coverage checks


def _problem_rows(file: str, rows: np.ndarray, message: Callable[[int], str], fix: str,
                  limit: int = 20) -> list[Problem]:
    """Problems for the first ``limit`` rows, plus one line counting the rest."""
    probs = [Problem(file=file, row=int(r), message=message(int(r)), fix=fix) for r in rows[:limit]]
    if len(rows) > limit:
        probs.append(Problem(file=file, message=f"... and {len(rows) - limit} more rows like these", fix=fix))
    return probs


def _floats(values: pd.Series) -> np.ndarray:
    """Values as float64: NaN where missing or, in a text column, not a number (numeric columns are
    read as they are: ``pd.to_numeric`` took 6x as long on a nullable ``Int64`` column)."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


def _prepare_coverage(cov: gpd.GeoDataFrame, config: WhiteSpotConfig, source: str, warnings: list[str]) -> pd.DataFrame:
    """Check and normalise the coverage layer; one row per distinct declaration.

    Raises :class:`InputDataError` for missing/non-numeric speeds, unknown media
    and statuses (all problems at once); warns about unknown technologies,
    planned rows without a year and duplicate rows (dropped).
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
    down = _floats(raw_down)
    bad = np.flatnonzero(~np.isfinite(down) | (down < 0))
    if len(bad):
        vals = raw_down.to_numpy(dtype=object)
        problems += _problem_rows(
            source, bad,
            lambda r: f"down_mbps is {vals[r]!r} (operator {cov['operator'].iloc[r]!r}): not a number of Mb/s",
            "give the maximum downlink in Mb/s as a number (UKE speed codes must be decoded, e.g. '11' -> 100)")

    med_codes, med_u = _codes(cov["medium"], _a_lower)
    unknown_med = ~np.isin(med_u, MEDIA)
    bad = np.flatnonzero(unknown_med[med_codes])
    if len(bad):
        problems += _problem_rows(
            source, bad, lambda r: f"medium {med_u[med_codes[r]]!r} is not one of {list(MEDIA)}",
            "map the medium onto fibre/coax/copper/radio/other (the readers do this for UKE/SIDUSIS files)")

    op_codes, op_u, op_spellings, op_of_spelling = _codes(cov["operator"], _a_operator, spellings=True)
    bad = np.flatnonzero((op_u == "")[op_codes])
    if len(bad):
        problems += _problem_rows(source, bad, lambda r: "operator is empty",
                                  "name the operator of every coverage row (classes count distinct operators)")

    st_codes, st_u = _codes(_column(cov, "status", "existing"), _a_lower)
    st_u = np.where(st_u == "", "existing", st_u).astype(object)  # schema default
    bad = np.flatnonzero(~np.isin(st_u, ("existing", "planned"))[st_codes])
    if len(bad):
        problems += _problem_rows(
            source, bad, lambda r: f"status {st_u[st_codes[r]]!r} is neither 'existing' nor 'planned'",
            "use status 'existing' for networks in service and 'planned' (with a year) for declared plans")
    if problems:
        raise InputDataError(f"coverage layer {source} has {len(problems)} invalid value(s); no class was computed",
                             problems)

    year = _floats(_column(cov, "year", np.nan))
    planned = (st_u == "planned")[st_codes]
    fixed = np.isin(med_u, list(config.fixed_media))[med_codes]
    nga = fixed & (down >= config.nga_min_down_mbps)
    horizon = config.analysis_date.year + config.horizon_years
    no_year = planned & nga & ~np.isfinite(year)
    if no_year.any():
        rows = np.flatnonzero(no_year)
        warnings.append(
            f"{len(rows)} planned NGA coverage row(s) have no year (e.g. rows {rows[:_MAX_EXAMPLES].tolist()} of "
            f"{source}); counted as within the horizon {horizon} -> fix: give the planned year")
    within = planned & (~np.isfinite(year) | (year <= horizon))
    # the category of every combination of the four flags, looked up at once (five masked writes took 10x as long)
    cat = _CATEGORY_TABLE[(nga.view(np.uint8) << 3) | (planned.view(np.uint8) << 2) | (fixed.view(np.uint8) << 1)
                          | within.view(np.uint8)]

    # Display name of an operator: the smallest raw spelling of its key (deterministic).
    disp = pd.Series(op_spellings, dtype=object).groupby(op_of_spelling).min()
    op_display = disp.reindex(np.arange(len(op_u))).fillna("").to_numpy(dtype=object)

    tech_codes, tech_u = _codes(cov["technology"], _a_strip)
    tech_known = np.isin(_a_technology(pa.array(list(tech_u), type=pa.string())).to_numpy(zero_copy_only=False),
                         list(_KNOWN_TECH_KEYS))
    unk = np.flatnonzero(~tech_known[tech_codes])
    if len(unk):
        names = sorted(tech_u[np.unique(tech_codes[unk])].tolist())
        warnings.append(
            f"{len(unk)} coverage row(s) of {source} name a technology not in the UKE code list "
            f"({names[:_MAX_EXAMPLES]}, e.g. row {int(unk[0])}); classified by medium and speed only "
            "-> fix: use the UKE code-list name (e.g. 'GPON', 'VDSL2', '(EURO)DOCSIS 3.x')")

    out = pd.DataFrame({
        "row": np.arange(n, dtype=np.int64),
        "address_id": _column(cov, "address_id").reset_index(drop=True),
        "terc": _column(cov, "terc").reset_index(drop=True),
        "simc": _column(cov, "simc").reset_index(drop=True),
        "ulic": _column(cov, "ulic").reset_index(drop=True),
        "street": _column(cov, "street").reset_index(drop=True),
        "house_number": _column(cov, "house_number").reset_index(drop=True),
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


# --------------------------------------------------------------------------
# matching


def _match(addresses: gpd.GeoDataFrame, cov: pd.DataFrame, config: WhiteSpotConfig, address_bounds: np.ndarray,
           id_positions: Future, address_keys: Future,
           coverage_keys: _KeyHashes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (coverage row, address position, method index) of all matches, and the matched rows.

    ``address_bounds`` are the bounds of the address points;
    ``id_positions`` gives :func:`_id_positions` of the coverage rows (run
    beside the key matching), ``address_keys`` the :func:`_key_hashes` of
    the addresses (computed while the coverage is checked), ``coverage_keys``
    those of the coverage rows.  Every row is matched, duplicate rows too: an
    exact repeat matches what its first row matches, so :func:`_classify`
    drops its pairs afterwards (and :func:`_duplicate_rows` can run
    meanwhile).  Likewise the address keys of every row are joined, and the
    pairs of rows the id matched are dropped: each row's matches depend on it
    alone.
    """
    pair_r: list[np.ndarray] = []
    pair_a: list[np.ndarray] = []
    pair_m: list[np.ndarray] = []
    matched = np.zeros(len(cov), dtype=bool)

    def add(rows: np.ndarray, addrs: np.ndarray, method: int) -> None:
        pair_r.append(rows)
        pair_a.append(addrs)
        pair_m.append(np.full(len(rows), method, dtype=np.int8))
        matched[rows] = True

    # 2. address keys: SIMC+ULIC+number, then SIMC+street+number (while 1. runs); rows
    # without SIMC or number match nothing (hashing their empty keys is cheaper than a copy of the rest)
    by_key = _key_pairs(coverage_keys, address_keys.result())

    # 1. address id
    pos = id_positions.result()
    r = np.flatnonzero(pos >= 0)
    add(r, pos[r], 0)
    for r, a in by_key:
        keep = pos[r] < 0
        add(r[keep], a[keep], 1)

    # 3. nearest address point within match_distance_m; 4. areas
    todo = np.flatnonzero(~matched)
    if len(todo) and len(addresses):
        geoms = cov["geometry"].to_numpy()[todo]
        gtype = shapely.get_type_id(geoms)  # -1: missing
        has = (gtype >= 0) & ~shapely.is_empty(geoms)
        pts = np.flatnonzero(has & (gtype == shapely.GeometryType.POINT))
        if len(pts):
            qi, ai, dist = _within(gpd.GeoSeries(geoms[pts], crs=addresses.crs), addresses, config.match_distance_m,
                                   layer_bounds=address_bounds)
            # nearest; ties: the smallest address position, whatever the row order
            q1, k1 = _nearest_first(qi, dist, lambda sel: ai[sel])
            add(todo[pts[q1]], ai[k1].astype(np.int64), 2)
        polys = np.flatnonzero(has & np.isin(gtype, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]))
        if len(polys):
            qi, ai = addresses.sindex.query(geoms[polys], predicate="intersects")
            add(todo[polys[qi]], ai.astype(np.int64), 3)

    if not pair_r:
        e = np.empty(0, dtype=np.int64)
        return e, e, np.empty(0, dtype=np.int8), matched
    return np.concatenate(pair_r), np.concatenate(pair_a), np.concatenate(pair_m), matched


def _terc_warning(addresses: gpd.GeoDataFrame, cov: pd.DataFrame, key_r: np.ndarray, key_a: np.ndarray,
                  source: str) -> list[str]:
    """A warning about the key-matched pairs (coverage rows ``key_r``, addresses ``key_a``) whose
    TERC disagree (first 6 digits), if any."""
    if not len(key_r):
        return []
    # each column coded whole (a pass over it, its few distinct values normalised once): cheaper than
    # gathering the strings of the pairs, which are in random order on the address side
    a_codes, a_u = _codes(_column(addresses, "terc"), _a_terc6)
    c_codes, c_u = _codes(_column(cov, "terc"), _a_terc6)
    c_as_a = pd.Index(a_u).get_indexer(c_u)  # the coverage's values as the addresses' codes (-1: none)
    a6, c6 = a_codes[key_a], c_codes[key_r]
    bad = (c_u != "")[c6] & (a_u != "")[a6] & (c_as_a[c6] != a6)
    if not bad.any():
        return []
    rows = np.unique(key_r[bad])
    return [f"{len(rows)} coverage row(s) of {source} match an address by SIMC/street/number but name "
            f"another commune TERC (e.g. row {int(rows[0])}: {c_u[c6[bad][0]]}... vs address "
            f"{a_u[a6[bad][0]]}...) "
            "-> fix: check the TERC codes of those rows"]


def _unmatched_warning(cov: pd.DataFrame, unmatched: np.ndarray, source: str,
                       config: WhiteSpotConfig) -> list[str]:
    """A warning about the coverage rows (positions ``unmatched``) that match no address point, if any."""
    if not len(unmatched):
        return []
    ex = cov.iloc[unmatched[:_MAX_EXAMPLES]]
    desc = "; ".join(
        f"row {int(r.row)} (operator {cov.attrs['op_display'][r.op]}, SIMC {r.simc!s}, ULIC {r.ulic!s}, "
        f"street {r.street!s}, nr {r.house_number!s}, id {r.address_id!s})"
        for r in ex.itertuples())
    return [f"{len(unmatched)} coverage row(s) of {source} match no address point and were ignored: {desc} "
            f"-> fix: check their TERYT codes, street names and house numbers against the address layer, "
            f"or give them a point within {config.match_distance_m:g} m of the address"]


def _within(points: gpd.GeoSeries, layer: gpd.GeoDataFrame, distance: float, *,
            points_bounds: np.ndarray | None = None,
            layer_bounds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (point position, layer position, distance) not farther apart than ``distance``.

    Same pairs as ``layer.sindex.query(points, predicate="dwithin")``.  Point
    queries go through the numba grid of :func:`planner._proximity.box_pairs`
    (exact for point layers; for other layers a superset of candidates,
    filtered with :func:`shapely.dwithin`), which needs no STRtree; the tree is
    used only for non-point queries or features too large for a grid.  A
    geometry counts as a point when its bounds do (all its coordinates
    coincide): GEOS measures a degenerate segment as the point it is.
    ``points_bounds`` / ``layer_bounds``, when given, are the
    :func:`shapely.bounds` of the two (so that a caller asking twice about
    the same layer extracts its coordinates once).
    """
    pts = points.to_numpy()
    geoms = layer.geometry.to_numpy()
    pairs = None
    boxes = None
    if np.isfinite(distance) and distance >= 0:
        qbox = shapely.bounds(pts) if points_bounds is None else points_bounds
        if degenerate_boxes(qbox):  # points (or geometries whose coordinates all coincide)
            boxes = shapely.bounds(geoms) if layer_bounds is None else layer_bounds
            pairs = box_pairs(qbox[:, :2], boxes, distance)
    if pairs is None:
        qi, li = layer.sindex.query(points, predicate="dwithin", distance=distance)
        qi, li = qi.astype(np.int64), li.astype(np.int64)
        return qi, li, shapely.distance(pts[qi], geoms[li])
    qi, li, dist = pairs
    if not degenerate_boxes(boxes):  # box distance is a lower bound only
        keep = shapely.dwithin(pts[qi], geoms[li], distance)
        qi, li = qi[keep], li[keep]
        dist = shapely.distance(pts[qi], geoms[li])
    return qi, li, dist


def _duplicate_keys(cov: pd.DataFrame, id_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                    key_hashes: _KeyHashes | None = None,
                    declarations: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hashes per coverage row that exact repeats share, for :func:`_duplicate_rows`.

    The raw address id's hash, the normalised address keys' hashes and the
    declaration code (:func:`_declarations`): equal raw values have equal
    normalised forms, so a repeat shares them all.  The matching computes the
    first three anyway (pass them in: ``id_hashes`` from :func:`_raw_hashes`,
    ``key_hashes`` from :func:`_key_hashes`); the TERC is left to the exact
    comparison.
    """
    if id_hashes is None:
        id_hashes = _raw_hashes(_column(cov, "address_id"))
    if key_hashes is None:
        key_hashes = _key_hashes(cov)
    if declarations is None:
        declarations = _declarations(cov)[0]
    code = declarations.view(np.uint64)
    return [id_hashes[:2], key_hashes.ulic, key_hashes.street, (code, code)]


def _duplicate_rows(cov: pd.DataFrame, source: str, warnings: list[str],
                    keys: list[tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
    """Exact repeats of an earlier declaration (same key, operator, technology, speed, geometry).

    Returns a mask of the rows to drop (all but the first of each set of
    repeats); :func:`_classify` drops their matches.  ``keys`` are ``(h, g)``
    hashes per row that equal rows share (:func:`_duplicate_keys`, computed if
    not given); only rows sharing them with another row, and the same
    geometry bounds, are compared exactly.
    """
    if not len(cov):
        return np.zeros(0, dtype=bool)
    # raw values (not normalised): exact repeats only; spelling variants are harmless
    # anyway, since classes count distinct operators.  Hashes find the candidates
    # (numba); only rows sharing a hash are compared exactly (pandas), geometries as WKB.
    cols = ["address_id", "terc", "simc", "ulic", "street", "house_number", "op", "tech", "medium", "down", "year",
            "cat"]
    h, g = _textkeys.combine(*(_duplicate_keys(cov) if keys is None else keys))
    geom = cov["geometry"].to_numpy()
    has = np.flatnonzero(shapely.is_geometry(geom))
    if len(has):  # equal geometries, equal bounds
        box = shapely.bounds(geom[has])
        h[has], g[has] = _textkeys.combine((h[has], g[has]), _textkeys.row_hashes(list(box.T), len(has)))
    cand = np.flatnonzero(_textkeys.shared_hashes(h, g))
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
            f"{rows[:_MAX_EXAMPLES].tolist()}) -> fix: remove repeated declarations from the coverage file")
    return dup


# --------------------------------------------------------------------------
# reasons


def _fmt_numbers(values: np.ndarray) -> np.ndarray:
    """'30', '100', '0.5' for floats (formatted per distinct value)."""
    codes, uniq = pd.factorize(pd.Series(values, dtype=float), use_na_sentinel=True)
    text = np.array([f"{u:g}" for u in uniq] + [""], dtype=object)
    return text[np.where(codes < 0, len(uniq), codes)]


@njit(cache=True, nogil=True, inline="always")
def _float_key(x: float, bits: np.uint64) -> np.uint64:
    """``x``'s bits (``bits``), every NaN alike and -0.0 as 0.0 (as ``pandas.factorize`` compares)."""
    if x != x:
        return np.uint64(0x7FF8000000000000)
    if x == 0.0:
        return np.uint64(0)
    return bits


@njit(cache=True, nogil=True, _nrt=False)
def _declaration_codes(cat: np.ndarray, op: np.ndarray, tech: np.ndarray, medium: np.ndarray, down: np.ndarray,
                       down_bits: np.ndarray, year: np.ndarray, year_bits: np.ndarray, shift_cat: int,
                       shift_op: int, shift_tech: int, codes: np.ndarray, slots: np.ndarray, table: np.ndarray,
                       state: np.ndarray) -> None:
    """The ``fill`` kernel of :func:`planner._textkeys.table_codes` for :func:`_declarations`.

    A row's category and operator, technology and medium codes are packed
    into one word (at the given bit shifts); with its speed and year that is
    its key (three words).  Few distinct declarations (the usual case), so the
    table stays in the cache.
    """
    shift = _textkeys._slot_shift(slots)
    i, k = state[0], state[1]
    while i < codes.shape[0]:
        w = ((np.uint64(cat[i]) << np.uint64(shift_cat)) | (np.uint64(op[i]) << np.uint64(shift_op))
             | (np.uint64(tech[i]) << np.uint64(shift_tech)) | np.uint64(medium[i]))
        d = _float_key(down[i], down_bits[i])
        y = _float_key(year[i], year_bits[i])
        h = _textkeys._mix((w * _textkeys._MULT_H) ^ (d * _textkeys._MULT_G) ^ y)
        b = np.int64(h >> shift)
        c, b = _textkeys._find(table, slots, b, w, d, y)
        if c < 0:  # a new declaration
            if k == table.shape[0]:
                break
            c = k
            k = _textkeys._enter(table, slots, b, k, w, d, y, h, i)
        codes[i] = c
        i += 1
    state[0], state[1] = i, k


def _declarations(cov: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct declaration (category, operator, technology, medium, speed, year) of the
    coverage rows, in order of first appearance, and the first row of each.

    Equals :func:`_combine` of the columns (speeds and years factorized, NaN
    alike), in one compiled pass with an in-cache table
    (:func:`planner._textkeys.table_codes`) instead of a factorization of a
    million packed codes and two of the floats.
    """
    n = len(cov)
    cat, op, tech, medium = (np.ascontiguousarray(cov[c].to_numpy()) for c in ("cat", "op", "tech", "medium"))
    down, year = (np.ascontiguousarray(cov[c].to_numpy(dtype=np.float64)) for c in ("down", "year"))
    widths = [int(c.max(initial=0)).bit_length() for c in (op, tech, medium)]
    if not n or int(cat.max()).bit_length() + sum(widths) > 64 or min(c.min() for c in (cat, op, tech, medium)) < 0:
        combo = _combine(cat, op, tech, medium, pd.factorize(down)[0], pd.factorize(year)[0])
        return combo, _first_positions(combo)
    shift_tech = widths[2]
    shift_op = shift_tech + widths[1]
    shift_cat = shift_op + widths[0]
    down_bits, year_bits = down.view(np.uint64), year.view(np.uint64)
    return _textkeys.table_codes(n, lambda codes, slots, table, state: _declaration_codes(
        cat, op, tech, medium, down, down_bits, year, year_bits, shift_cat, shift_op, shift_tech, codes, slots,
        table, state))


def _row_descriptions(cov: pd.DataFrame,
                      declarations: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reason fragment of every coverage row, built once per distinct declaration.

    ``declarations``: :func:`_declarations` of ``cov`` (computed if not
    given).  Returns the code of each row's fragment and the fragments,
    sorted (so that codes order like the texts).
    """
    combo, first = _declarations(cov) if declarations is None else declarations
    u = cov.iloc[first]
    cat = u["cat"].to_numpy()
    op = cov.attrs["op_display"][u["op"].to_numpy()]
    tech = cov.attrs["tech_u"][u["tech"].to_numpy()]
    tech = np.where(tech == "", "unknown technology", tech)
    medium = cov.attrs["medium_u"][u["medium"].to_numpy()]
    speed = _fmt_numbers(u["down"].to_numpy())
    year = _fmt_numbers(u["year"].to_numpy())
    year = np.where(year == "", "(no year)", year)
    horizon = str(cov.attrs["horizon"])
    s = lambda a: pd.Series(a, dtype=object)  # noqa: E731
    offer = s(tech) + " " + s(speed) + " Mb/s"
    text = np.select(
        [cat == _CAT_NGA_NOW, cat == _CAT_NGA_PLANNED, cat == _CAT_SLOW, cat == _CAT_NOT_FIXED, cat == _CAT_BEYOND],
        [
            (offer + " (" + s(op) + ")").to_numpy(),
            ("planned " + s(tech) + " " + s(year) + " (" + s(op) + ")").to_numpy(),
            (offer + " (" + s(op) + ")").to_numpy(),
            (offer + " " + s(medium) + " (" + s(op) + ")").to_numpy(),
            ("planned " + s(tech) + " " + s(year) + " by " + s(op) + ", beyond horizon " + horizon).to_numpy(),
        ],
        ("planned " + offer + " " + s(year) + " by " + s(op)).to_numpy(),
    ).astype(object)
    # rank of each distinct text in sorted order: rows are compared by integers
    uniq, inverse = np.unique(text.astype(str), return_inverse=True)
    lookup = np.zeros(combo.max() + 1 if len(combo) else 0, dtype=np.int64)
    lookup[combo[first]] = inverse
    return lookup[combo], uniq.astype(object)


# Polish wording of the reason texts built by _row_descriptions/_summarise (English is the
# classifier's own).  Operator, technology and speed stay as they are.
_REASON_PL = {
    "no offer": "brak oferty",
    "only ": "tylko ",
    "more": "; +{n} kolejnych",
    "no year": "(rok nieznany)",
    "planned": "planowane {offer} {year} ({operator})",
    "beyond": "planowane {offer} {year} ({operator}), poza horyzontem {horizon}",
}
_PLANNED_RE = re.compile(
    r"planned (.+?) (\d{4}|\(no year\))(?: by ([^;]+?), beyond horizon (\d{4})| by ([^;]+)| \(([^;]+?)\))")


def localize_reasons(reasons: pd.Series, lang: str) -> pd.Series:
    """White-spot reasons (``ws_reason``) in ``lang`` (``"pl"`` or ``"en"``).

    The classifier writes English phrases (``no offer``, ``only VDSL2 30 Mb/s
    (X)``, ``planned GPON 2027 by X, beyond horizon 2026``, ``; +2 more``);
    ``"pl"`` rewords them for the councillor map, keeping operator and
    technology names.  Each distinct text is translated once.
    """
    text = reasons.astype(object).fillna("").astype(str)
    if lang != "pl":
        return text
    t = _REASON_PL

    def planned(m: re.Match) -> str:
        offer, year, op_beyond, horizon, op_by, op_paren = m.groups()
        year = t["no year"] if year == "(no year)" else year
        if horizon is not None:
            return t["beyond"].format(offer=offer, year=year, operator=op_beyond, horizon=horizon)
        return t["planned"].format(offer=offer, year=year, operator=op_by or op_paren)

    def translate(x: str) -> str:
        if x == "no offer":
            return t["no offer"]
        x = _PLANNED_RE.sub(planned, x)
        x = re.sub(r"; \+(\d+) more$", lambda m: t["more"].format(n=m.group(1)), x)
        return t["only "] + x[5:] if x.startswith("only ") else x

    return text.map({u: translate(u) for u in pd.unique(text)})


@njit(cache=True, nogil=True, inline="always")
def _before(rows: np.ndarray, i: int, j: int, k1: int, k2: int, k3: int, k4: int) -> bool:
    """Whether row ``i`` sorts strictly before row ``j`` by the columns ``k1``, ``k2``, ... (first decides)."""
    for k in (k1, k2, k3, k4):
        if rows[i, k] != rows[j, k]:
            return rows[i, k] < rows[j, k]
    return False


@njit(cache=True, nogil=True, _nrt=False)
def _insertion_sort(rows: np.ndarray, run: np.ndarray, k: int, k1: int, k2: int, k3: int, k4: int) -> None:
    """Stable sort of the row positions ``run[:k]`` by the columns (a few rows per address)."""
    for t in range(1, k):
        p = run[t]
        u = t
        while u > 0 and _before(rows, p, run[u - 1], k1, k2, k3, k4):
            run[u] = run[u - 1]
            u -= 1
        run[u] = p


# columns of the coverage rows in _summaries, and rows of its output
_CAT, _SLOWER, _OP, _DESC = range(4)
_N_ANY, _N_NOW, _N_PLANNED, _OPS_CODE, _REASON, _D1, _C1, _D2, _COUNT = range(9)

#: Largest mixed-radix code of :func:`_summaries` (beyond it, the slower general path is taken).
_CODE_LIMIT = 2**62


@njit(cache=True, nogil=True, parallel=True)
def _coverage_rows(cat: np.ndarray, down_bits: np.ndarray, op: np.ndarray, fragment: np.ndarray,
                   rows: np.ndarray) -> None:
    """The columns of :func:`_summaries`' coverage rows, as uint64 (``rows``: ``(n, 4)``);
    ``down_bits``: the speeds (>= 0, no -0.0) as uint64, which order as the speeds."""
    for r in prange(rows.shape[0]):
        rows[r, _CAT] = cat[r]
        rows[r, _SLOWER] = ~down_bits[r]  # the faster sorts first
        rows[r, _OP] = op[r]
        rows[r, _DESC] = fragment[r]


@njit(cache=True, nogil=True, _nrt=False)
def _by_address(paddr: np.ndarray, start: np.ndarray, order: np.ndarray, at: np.ndarray) -> int:
    """CSR of the pairs by address, into ``start`` (zeros, one more than the addresses) and ``order``:
    address ``a``'s pairs are ``order[start[a]:start[a + 1]]``, in pair order (a counting sort;
    ``at``: scratch, one per address).  Returns the most pairs of one address."""
    n = start.shape[0] - 1
    for t in range(paddr.shape[0]):
        start[paddr[t] + 1] += 1
    longest = 0
    for a in range(n):
        longest = max(longest, start[a + 1])
        start[a + 1] += start[a]
        at[a] = start[a]
    for t in range(paddr.shape[0]):
        order[at[paddr[t]]] = t
        at[paddr[t]] += 1
    return longest


@njit(cache=True, nogil=True, parallel=True, _nrt=False)
def _summaries(prow: np.ndarray, method: np.ndarray, rows: np.ndarray, no_match: int, n_ops: int, n_desc: int,
               limit: int, start: np.ndarray, order: np.ndarray, pairs: np.ndarray, pair_method: np.ndarray,
               scratch: np.ndarray, best: np.ndarray, out: np.ndarray) -> None:
    """What every address's pairs say, in one compiled pass per address.

    The pairs are (coverage row ``prow``, match ``method``), grouped by
    address by :func:`_by_address` (``start``, ``order``); ``rows`` holds, per
    coverage row, the uint64 columns (category, speed descending, operator,
    fragment).  Per address, into
    ``best`` and the rows of ``out`` (``_N_ANY``, ``_N_NOW``, ... ``_COUNT``):

    * its best (smallest) match method (``no_match`` without pairs);
    * the distinct NGA operators (category now or planned): how many, how many
      with a "now" row, how many with a "planned" row, and their ascending
      list as a mixed-radix code ``sum (op + 1) * (n_ops + 1) ** i``
      (``-1`` without NGA operators; ``-2`` if it would exceed ``limit``);
    * its listing: the rows that count (the NGA ones if there are any, else
      all) by (category, speed descending, operator, fragment), the first of
      each operator kept, then re-sorted by (category, fragment): the first
      fragment and its category, the second fragment (-1: none) and the
      number of fragments (0: no pairs); and those four as one mixed-radix
      code (``-1`` without pairs; ``-2`` for all if it could exceed ``limit``).

    ``pairs``, ``pair_method`` and ``scratch`` (``(3, chunks, most pairs of
    an address)``) are scratch space; all arrays come from numpy
    (numba's own allocations of fresh memory cost 4x as many page faults: no
    huge pages), so that the kernel runs without numba's reference counting
    (``_nrt=False``), which it otherwise paid in every per-address call.
    """
    n = best.shape[0]
    # the pairs' rows in address order, gathered first: a tight loop overlaps its cache misses,
    # the listing's branchy loop did not (3x slower reading them in place)
    for t in prange(order.shape[0]):
        p = order[t]
        r = prow[p]
        pairs[t, 0], pairs[t, 1], pairs[t, 2], pairs[t, 3] = rows[r, 0], rows[r, 1], rows[r, 2], rows[r, 3]
        pair_method[t] = method[p]
    rows = pairs
    n_any, n_now, n_planned, ops_code = out[_N_ANY], out[_N_NOW], out[_N_PLANNED], out[_OPS_CODE]
    reason, d1, c1, d2, count = out[_REASON], out[_D1], out[_C1], out[_D2], out[_COUNT]
    base = n_ops + 1
    fits = 0  # how many operators a code within the limit holds
    cap = 1
    while cap <= (limit - 1) // base:
        cap *= base
        fits += 1
    reason_fits = (_CAT_PLANNED_SLOW + 1.0) * n_desc * (n_desc + 1) * base < limit  # count <= n_ops < base
    n_chunks = scratch.shape[1]
    for c in prange(n_chunks):
        run, ops, flags = scratch[0, c], scratch[1, c], scratch[2, c]
        for a in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            s, e = start[a], start[a + 1]
            k = e - s
            if k == 0:
                best[a], n_any[a], n_now[a], n_planned[a], ops_code[a] = no_match, 0, 0, 0, -1
                reason[a], d1[a], c1[a], d2[a], count[a] = -1, -1, -1, -1, 0
                continue
            m_best = no_match
            n_op = 0
            for t in range(k):
                r = s + t
                m_best = min(m_best, pair_method[r])
                run[t] = r
                cat = rows[r, _CAT]
                if cat <= _CAT_NGA_PLANNED:  # distinct NGA operators, kept ascending
                    op = np.int64(rows[r, _OP])
                    u = n_op
                    while u > 0 and ops[u - 1] > op:
                        u -= 1
                    bit = 1 if cat == _CAT_NGA_NOW else 2
                    if u > 0 and ops[u - 1] == op:
                        flags[u - 1] |= bit
                    else:
                        for v in range(n_op, u, -1):
                            ops[v], flags[v] = ops[v - 1], flags[v - 1]
                        ops[u], flags[u] = op, bit
                        n_op += 1
            best[a] = m_best
            n_any[a] = n_op
            code = n_with_now = n_with_planned = 0
            for u in range(n_op):
                n_with_now += flags[u] & 1
                n_with_planned += flags[u] >> 1
                code = code * base + ops[u] + 1
            n_now[a], n_planned[a] = n_with_now, n_with_planned
            ops_code[a] = (code if n_op <= fits else -2) if n_op else -1
            kk = 0
            for t in range(k):  # the rows that count
                if (rows[run[t], _CAT] <= _CAT_NGA_PLANNED) == (n_op > 0):
                    run[kk] = run[t]
                    kk += 1
            _insertion_sort(rows, run, kk, _CAT, _SLOWER, _OP, _DESC)
            kept = 0
            for t in range(kk):  # one fragment per operator: its first
                seen = False
                for u in range(kept):
                    if rows[run[u], _OP] == rows[run[t], _OP]:
                        seen = True
                        break
                if not seen:
                    run[kept] = run[t]
                    kept += 1
            _insertion_sort(rows, run, kept, _CAT, _DESC, _DESC, _DESC)
            c1[a], d1[a], count[a] = rows[run[0], _CAT], rows[run[0], _DESC], kept
            d2[a] = rows[run[1], _DESC] if kept >= 2 else -1
            reason[a] = (((c1[a] * n_desc + d1[a]) * (n_desc + 1) + d2[a] + 1) * base + kept) if reason_fits else -2


def _factorize_texts(code: np.ndarray, text: Callable[[int], str], none: str) -> tuple[np.ndarray, list[str]]:
    """Codes into texts of integer tuple codes (``code < 0``: ``none``), each text built once from the
    position of its first occurrence."""
    out = np.zeros(len(code), dtype=np.int64)
    has = np.flatnonzero(code >= 0)
    if not len(has):
        return out, [none]
    f, _ = pd.factorize(code[has])
    first = _first_positions(f.astype(np.int64))
    out[has] = f + 1
    return out, [none] + [text(int(i)) for i in has[first]]


@dataclass
class _Summary:
    """Per-address results of :func:`_summarise`."""

    method: np.ndarray
    n_any: np.ndarray
    n_now: np.ndarray
    n_planned: np.ndarray
    reasons: tuple[np.ndarray, list[str]]
    operators: tuple[np.ndarray, list[str]]


def _summarise(n: int, prow: np.ndarray, paddr: np.ndarray, pm: np.ndarray, cov: pd.DataFrame,
               descriptions: tuple[np.ndarray, np.ndarray]) -> _Summary:
    """Match method, NGA operator counts, reason and NGA operator list of every address.

    An address with NGA lists its NGA rows; a white spot lists what it has
    instead.  Each address gets a tuple (first fragment, second fragment,
    number of further operators) from a compiled pass over its few pairs
    (:func:`_summaries`); the text is built once per distinct tuple, as is
    the ``'; '``-joined list of NGA operators (display names, ordered by
    operator code, i.e. by normalised name).  ``descriptions`` are
    :func:`_row_descriptions` of ``cov``.
    """
    names = cov.attrs["op_display"]
    n_ops = max(len(names), 1)
    codes, texts = descriptions
    rows = np.empty((len(cov), 4), dtype=np.uint64)
    _coverage_rows(cov["cat"].to_numpy(), (cov["down"].to_numpy(dtype=np.float64) + 0.0).view(np.uint64),
                   cov["op"].to_numpy(), codes, rows)
    m = len(prow)
    best, out = np.empty(n, dtype=np.int8), np.empty((9, n), dtype=np.int64)
    start, order = np.zeros(n + 1, dtype=np.int64), np.empty(m, dtype=np.int64)
    longest = _by_address(np.ascontiguousarray(paddr, dtype=np.int64), start, order, np.empty(n, dtype=np.int64))
    _summaries(np.ascontiguousarray(prow, dtype=np.int64), np.ascontiguousarray(pm, dtype=np.int8), rows, _NO_MATCH,
               n_ops, max(len(texts), 1), _CODE_LIMIT, start, order, np.empty((m, 4), dtype=np.uint64),
               np.empty(m, dtype=np.int8), np.empty((3, min(n, 256), max(longest, 1)), dtype=np.int64), best, out)
    n_any, n_now, n_planned, ops_code, reason, d1, c1, d2, count = out

    def wording(c: int) -> str:
        return "NGA: " if c <= _CAT_NGA_PLANNED else "only " if c <= _CAT_NOT_FIXED else ""

    if (reason == -2).any():  # too many fragments for one code
        reason = _combine(c1, d1, d2, count)
        reason[count == 0] = -1
    reasons = _factorize_texts(reason, lambda a: (
        wording(c1[a]) + texts[d1[a]] + (f"; {texts[d2[a]]}" if d2[a] >= 0 else "")
        + (f"; +{count[a] - 2} more" if count[a] > 2 else "")), "no offer")

    if (ops_code == -2).any():  # too many operators for one code
        nga = rows[prow, _CAT] <= _CAT_NGA_PLANNED
        keys = np.unique(paddr[nga].astype(np.int64) * n_ops + rows[prow[nga], _OP].astype(np.int64))
        operators = _nga_operators(n, keys, names)
    else:
        def listing(a: int) -> str:
            c, ops = int(ops_code[a]), []
            while c:
                c, d = divmod(c, n_ops + 1)
                ops.append(str(names[d - 1]))
            return "; ".join(reversed(ops))

        operators = _factorize_texts(ops_code, listing, "")
    return _Summary(best, n_any, n_now, n_planned, reasons, operators)


# --------------------------------------------------------------------------
# classification


def _prepare_addresses(area: Area) -> gpd.GeoDataFrame:
    addr = area.addresses
    source = area.sources.get("addresses", "addresses")
    problems = []
    for col in ("id", "simc", "house_number"):
        if col not in addr.columns:
            problems.append(Problem(file=source, message=f"addresses have no '{col}' column",
                                    fix="see planner/schema.py ADDRESSES"))
    if problems:
        raise InputDataError(f"address layer {source} lacks required columns", problems)
    return addr


def _check_unique_ids(area: Area, id_hashes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> None:
    """Raise :class:`InputDataError` listing the address rows whose id is not unique.

    ``id_hashes``: :func:`_raw_hashes` of the ids, if already computed."""
    addr = area.addresses
    source = area.sources.get("addresses", "addresses")
    dup = _textkeys.duplicated(_to_arrow(addr["id"]), None if id_hashes is None else id_hashes[:2])
    if dup.any():
        rows = np.flatnonzero(dup)
        raise InputDataError(
            f"address layer {source} has {len(rows)} rows with duplicate ids",
            _problem_rows(source, rows, lambda r: f"id {addr['id'].iloc[r]!r} is not unique",
                          "give every address point its own id (PRG lokalnyId)"))


class _InlineExecutor(Executor):
    """An executor that runs each task at once, in the calling thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: ANN001, ANN002, ANN003
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 -- re-raised by future.result(); Ctrl-C stops at once
            future.set_exception(exc)
        return future


def _stage_executor() -> Executor:
    """Threads for the stages of :func:`_classify` that do not depend on the matching.

    Two worker threads when numba may use more than one thread and its
    threading layer accepts parallel kernels launched from several threads at
    once (``omp``, ``tbb``; not ``workqueue``, which aborts); otherwise every
    stage runs in turn in the calling thread.  The kernels release the GIL, so
    the stages really overlap; the results do not depend on it.  The workers
    run their kernels on one thread each, which measured about 7 % faster
    than giving each its own parallel team.
    """
    if numba.get_num_threads() < 2:
        return _InlineExecutor()
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet: run one
        _textkeys.combine((np.zeros(1, np.uint64), np.zeros(1, np.uint64)))
        layer = numba.threading_layer()
    if layer == "workqueue":
        return _InlineExecutor()
    # the workers' kernels run on one thread each (numba's thread count is per thread):
    # idle OpenMP workers of their own would spin against the calling thread's kernels
    return ThreadPoolExecutor(max_workers=2, initializer=numba.set_num_threads, initargs=(1,))


@contextmanager
def _stages() -> Iterator[Executor]:
    """:func:`_stage_executor`, shut down on leaving; on an error, stages not yet started are cancelled
    (the running ones are waited for)."""
    pool = _stage_executor()
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _classify(area: Area, config: WhiteSpotConfig) -> tuple[gpd.GeoDataFrame, list[str]]:
    addr = _prepare_addresses(area)
    n = len(addr)
    source = area.sources.get("coverage", "coverage")
    cov_layer = area["coverage"]
    if getattr(cov_layer, "_geometry_column_name", None) not in cov_layer.columns:  # keys only, no geometry
        cov_layer = gpd.GeoDataFrame(pd.DataFrame(cov_layer), geometry=gpd.GeoSeries(
            [None] * len(cov_layer), index=cov_layer.index, crs=addr.crs), crs=addr.crs)
    if cov_layer.crs is not None and addr.crs is not None and len(cov_layer) and cov_layer.crs != addr.crs:
        cov_layer = cov_layer.to_crs(addr.crs)
    buildings = area["buildings"]
    cov_warnings: list[str] = []
    dup_warnings: list[str] = []
    # Stages that do not wait for one another run in two worker threads beside the coverage checks and
    # the key matching.
    with _stages() as pool:
        bounds = pool.submit(shapely.bounds, addr.geometry.to_numpy())  # GEOS releases the GIL
        # the longest stage first, in one worker, while the other does the rest in the order needed
        near = pool.submit(lambda: _building_flags(addr.geometry, bounds.result(), buildings, config)) \
            if len(buildings) else None
        address_keys = pool.submit(_key_hashes, addr)
        address_ids = pool.submit(_raw_hashes, addr["id"])
        unique_ids = pool.submit(lambda: _check_unique_ids(area, address_ids.result()))
        id_hashes = pool.submit(_raw_hashes, _column(cov_layer, "address_id"))
        by_id = pool.submit(lambda: _id_positions(addr["id"], _column(cov_layer, "address_id"), id_hashes.result(),
                                                  address_ids.result()))
        statuses = pool.submit(_codes, _column(addr, "status", "istniejacy"), _a_strip)
        try:
            cov = _prepare_coverage(cov_layer, config, source, cov_warnings)
        finally:
            unique_ids.result()  # duplicate address ids are reported first, before any coverage error
        declarations = pool.submit(_declarations, cov)
        descriptions = pool.submit(lambda: _row_descriptions(cov, declarations.result()))
        cov_keys = _key_hashes(cov)
        dup = pool.submit(lambda: _duplicate_rows(cov, source, dup_warnings, _duplicate_keys(
            cov, id_hashes.result(), cov_keys, declarations.result()[0])))
        prow, paddr, pm, matched = _match(addr, cov, config, bounds.result(), by_id, address_keys, cov_keys)
        dropped = dup.result()
        keep = ~dropped[prow]  # pairs of duplicate rows: the same as their first row's
        prow, paddr, pm = prow[keep], paddr[keep], pm[keep]
        terc = pool.submit(_terc_warning, addr, cov, prow[pm == 1], paddr[pm == 1], source)

        summary = _summarise(n, prow, paddr, pm, cov, descriptions.result())
        ws_code = np.minimum(summary.n_any, 2)  # 0 white, 1 grey, 2 black
        warnings = (cov_warnings + dup_warnings + terc.result()
                    + _unmatched_warning(cov, np.flatnonzero(~matched & ~dropped), source, config))
        is_barrier, reason_codes, barrier_texts = _barriers(ws_code == 0, statuses.result(),
                                                            near.result() if near is not None else None, config,
                                                            warnings)
        # the text columns are built in the workers (Arrow takes, without the GIL) while the frame is copied
        text = {name: pool.submit(_str_series, codes, texts, addr.index) for name, codes, texts in (
            ("ws_class", ws_code, ["white", "grey", "black"]), ("ws_reason", *summary.reasons),
            ("match_method", summary.method, _METHODS), ("nga_operators", *summary.operators),
            ("barrier_reason", reason_codes, barrier_texts))}
        # with copy-on-write (pandas >= 3) a shallow copy suffices: neither the new columns nor later edits
        # reach the caller's frame
        cow = int(pd.__version__.split(".")[0]) >= 3 or pd.options.mode.copy_on_write is True
        out = addr.copy(deep=not cow)
        out["ws_class"] = text["ws_class"].result()
        out["ws_reason"] = text["ws_reason"].result()
        out["n_nga_now"] = summary.n_now
        out["n_nga_planned"] = summary.n_planned
        out["match_method"] = text["match_method"].result()
        out["nga_operators"] = text["nga_operators"].result()
        out["is_barrier"] = is_barrier
        out["barrier_reason"] = text["barrier_reason"].result()
        out["is_target"] = (ws_code == 0) & ~is_barrier
    for w in warnings:
        logger.warning(w)
    logger.info("white spots: %d white, %d grey, %d black, %d barriers of %d address points",
                int((ws_code == 0).sum()), int((ws_code == 1).sum()),
                int((ws_code == 2).sum()), int(is_barrier.sum()), n)
    return out, warnings


def _nga_operators(n: int, keys: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """'; '-joined display names of the NGA operators (now or planned) of every address.

    ``keys`` are the sorted distinct ``address * len(names) + operator`` codes
    of the NGA rows.  Vectorised: the sorted operator lists are encoded as one
    code per address and the names are joined once per distinct list.
    """
    out = np.zeros(n, dtype=np.int64)
    if not len(keys):
        return out, [""]
    n_ops = len(names)
    # op codes are sorted by normalised name, so the listing is stable
    a, op = keys // n_ops, keys % n_ops
    start = np.r_[True, a[1:] != a[:-1]]
    grp = np.cumsum(start) - 1
    rank = np.arange(len(a)) - np.flatnonzero(start)[grp]
    mat = np.full((int(start.sum()), int(rank.max()) + 1), -1, dtype=np.int64)
    mat[grp, rank] = op
    combo = _combine(*mat.T)
    first = _first_positions(combo)
    texts = [""] + ["; ".join(names[c] for c in row if c >= 0) for row in mat[first]]
    lookup = np.zeros(int(combo.max()) + 1, dtype=np.int64)
    lookup[combo[first]] = np.arange(1, len(first) + 1)
    out[a[start]] = lookup[combo]
    return out, texts


def _nearest_first(q: np.ndarray, dist: np.ndarray, ids_of: Callable[[np.ndarray], np.ndarray],
                   features: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The nearest pair of every query, ties broken by id, then by feature position (or pair position).

    Parameters
    ----------
    q, dist
        Query position and distance of every pair; linear time when each
        query's pairs are contiguous (as :func:`_within` gives them), a stable
        sort by query first otherwise.
    ids_of
        Ids of the pairs at the given positions; called only for the pairs
        tied at their query's smallest distance (ids ranked as by
        ``pd.factorize(..., sort=True)``), so the ids of all pairs need not be
        sorted.
    features
        Feature position of every pair: pairs with equal ids are decided by it
        (so the answer does not depend on the order the search gave the pairs
        in); without it, by pair position.

    Returns
    -------
    tuple of numpy.ndarray
        The queries (each once, in the order of their pairs; ascending when
        they were not contiguous) and the position of each one's nearest pair.
    """
    q = np.ascontiguousarray(q, dtype=np.int64)
    dist = np.ascontiguousarray(dist, dtype=np.float64)
    run_q, best, n_min, grouped = nearest_runs(q, dist)
    if not grouped:
        order = argsort_u64(q.view(np.uint64))  # stable: positions stay ascending within a query
        run_q, best, n_min, _ = nearest_runs(q[order], dist[order])
        tied_q, tied_best = _break_ties(q[order], dist[order], run_q, best, n_min,
                                        lambda sel: ids_of(order[sel]), None if features is None else features[order])
        return tied_q, order[tied_best]
    return _break_ties(q, dist, run_q, best, n_min, ids_of, features)


def _break_ties(q: np.ndarray, dist: np.ndarray, run_q: np.ndarray, best: np.ndarray, n_min: np.ndarray,
                ids_of: Callable[[np.ndarray], np.ndarray],
                features: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_nearest_first` of contiguous runs: among a run's pairs at its smallest distance, the
    smallest id wins, then the smallest feature position, then the first pair."""
    tied = np.flatnonzero(n_min >= 2)
    if not len(tied):
        return run_q, best
    run = np.repeat(np.arange(len(run_q)), np.diff(np.r_[np.flatnonzero(np.r_[True, q[1:] != q[:-1]]), len(q)]))
    sel = np.flatnonzero((n_min[run] >= 2) & (dist == dist[best[run]]))  # ascending: runs stay contiguous
    rank = pd.factorize(ids_of(sel), sort=True)[0]
    r = run[sel]
    then = sel if features is None else features[sel]
    order = np.lexsort((sel, then, rank, r))  # per run: the smallest id, feature, pair
    first = np.r_[True, r[order][1:] != r[order][:-1]]
    best = best.copy()
    best[r[order][first]] = sel[order][first]
    return run_q, best


def _building_flags(points: gpd.GeoSeries, bounds: np.ndarray, buildings: gpd.GeoDataFrame,
                    config: WhiteSpotConfig) -> tuple[np.ndarray, np.ndarray]:
    """For every point: is a building within ``barrier_building_distance_m``, and is the nearest one's
    use in ``barrier_building_uses``?  (``bounds``: the points' bounds.)

    Computed for all points, not only the white spots, so that it can run
    while the coverage is matched (:func:`_classify`); a point's answer does
    not depend on the other points.
    """
    n = len(points)
    has, summer = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if not n or not len(buildings):
        return has, summer
    if buildings.crs is not None and points.crs is not None and buildings.crs != points.crs:
        buildings = buildings.to_crs(points.crs)
    qi, bi, dist = _within(points, buildings, config.barrier_building_distance_m, points_bounds=bounds)
    has[qi] = True
    if len(qi):
        # nearest building; equidistant buildings: the smallest building id, then the first
        # building of the layer decides, whatever the order (ids are ranked only where there is a tie)
        ids = buildings["id"] if "id" in buildings.columns else pd.Series(np.arange(len(buildings)))
        q1, k1 = _nearest_first(qi, dist, lambda sel: ids.iloc[bi[sel]].to_numpy(dtype=object), bi)
        use_codes, use_u = _codes(_column(buildings, "use", "residential"), _a_strip)
        is_summer = np.isin(use_u, list(config.barrier_building_uses))[use_codes[bi[k1]]]
        summer[q1[is_summer]] = True
    return has, summer


def _barriers(white: np.ndarray, statuses: tuple[np.ndarray, np.ndarray],
              buildings: tuple[np.ndarray, np.ndarray] | None,
              config: WhiteSpotConfig, warnings: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Barrier flag, reason code and reason texts of every address.

    ``statuses`` are the :func:`_codes` of the addresses' PRG statuses;
    ``buildings`` is what :func:`_building_flags` found for every address,
    ``None`` when the buildings layer is empty.  Only white spots can be
    barriers.  The codes index the texts ``['', 'no_building', 'summer_house',
    'status_<status>'...]``.
    """
    st_codes, st_u = statuses
    existing = {_fold(s) for s in config.existing_statuses}
    ok = np.array([s == "" or _fold(s) in existing for s in st_u], dtype=bool)
    bad_status = ~ok[st_codes]
    if buildings is None:
        if white.any():
            warnings.append(
                "the buildings layer is empty: the 'no_building' and 'summer_house' barrier rules were skipped "
                "-> fix: give a buildings layer (EGiB/BDOT10k/OSM) to find investment barriers")
        no_building = summer = np.zeros(len(white), dtype=bool)
    else:
        has, summer = buildings
        no_building = ~has
    texts = ["", "no_building", "summer_house"] + ["status_" + s for s in st_u]
    code = np.where(bad_status, 3 + st_codes, np.where(no_building, 1, np.where(summer, 2, 0)))
    code[~white] = 0
    return code != 0, code, texts


def classify(area: Area, config: WhiteSpotConfig | None = None) -> gpd.GeoDataFrame:
    """Classify every address point of an area as a white, grey or black spot.

    Parameters
    ----------
    area
        Study area; uses its ``addresses``, ``coverage`` and ``buildings`` layers.
    config
        White-spot rules; the documented defaults when ``None``.

    Returns
    -------
    geopandas.GeoDataFrame
        The addresses (same rows and order) plus ``ws_class``, ``ws_reason``,
        ``n_nga_now``, ``n_nga_planned``, ``match_method``, ``nga_operators``
        (``'; '``-joined NGA operators, for the official-list diff),
        ``is_barrier``, ``barrier_reason`` and ``is_target``.

    Raises
    ------
    InputDataError
        Duplicate address ids; coverage speeds that are missing or not numbers,
        unknown media or statuses (every bad row listed).

    Notes
    -----
    Counted warnings (unmatched, duplicate, unknown-technology rows, empty
    buildings layer) go to the module logger; :func:`run` also returns them.
    """
    out, _ = _classify(area, config or WhiteSpotConfig())
    return out


# --------------------------------------------------------------------------
# per-locality table


@lru_cache(maxsize=4)
def _commune_names(path: str | None) -> dict[str, str]:
    """TERC (6 digits WWPPGG) -> commune name from a GUS TERC XML file."""
    if path is None:
        return {}
    names: dict[str, str] = {}
    for _, elem in ET.iterparse(path):
        if elem.tag == "row":
            woj, pow_, gmi = (elem.findtext(k) or "" for k in ("WOJ", "POW", "GMI"))
            if gmi:
                names.setdefault(woj + pow_ + gmi, elem.findtext("NAZWA") or "")
            elem.clear()
    return names


def _terc_file() -> str | None:
    folder = Path(__file__).resolve().parents[1] / "data" / "teryt"
    files = sorted(folder.glob("TERC*.xml")) if folder.is_dir() else []
    return str(files[-1]) if files else None


def locality_table(addresses: pd.DataFrame) -> pd.DataFrame:
    """Per-locality counts of a classified address layer.

    Parameters
    ----------
    addresses
        Output of :func:`classify`.

    Returns
    -------
    pandas.DataFrame
        Columns ``terc, simc, locality, commune, points, businesses, white, grey,
        black, barriers, targets``, sorted by ``terc`` and ``locality``.
        ``businesses`` counts all business points of the locality; ``commune``
        is the commune name from the TERC dictionary in ``data/teryt`` (the TERC
        code where that file is absent).
    """
    df = pd.DataFrame({
        "terc": _column(addresses, "terc").astype(object).fillna("").astype(str).to_numpy(dtype=object),
        "simc": _column(addresses, "simc").astype(object).fillna("").astype(str).to_numpy(dtype=object),
        "locality": _column(addresses, "locality").astype(object).fillna("").astype(str).to_numpy(dtype=object),
        "points": 1,
        "businesses": _column(addresses, "is_business", False).fillna(False).astype(bool).to_numpy().astype(int),
        "white": (addresses["ws_class"] == "white").to_numpy().astype(int),
        "grey": (addresses["ws_class"] == "grey").to_numpy().astype(int),
        "black": (addresses["ws_class"] == "black").to_numpy().astype(int),
        "barriers": addresses["is_barrier"].to_numpy().astype(int),
        "targets": addresses["is_target"].to_numpy().astype(int),
    })
    table = df.groupby(["terc", "simc", "locality"], sort=True, as_index=False).sum()
    names = _commune_names(_terc_file())
    t6 = table["terc"].str.zfill(7).str[:6]
    table.insert(3, "commune", [names.get(t, terc) for t, terc in zip(t6, table["terc"])])
    table["_key"] = _codes(table["locality"], _a_fold)[0]  # Polish names sorted without diacritics
    table = table.sort_values(["terc", "_key", "simc"], kind="stable").drop(columns="_key")
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------
# official list


_OFFICIAL_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "identyfikator", "id_punktu_adresowego", "ua01_id_punktu_adresowego", "idiip", "lokalnyid"),
    "terc": ("terc", "kod_terc", "teryt", "ua04_terc", "terc_gminy"),
    "simc": ("simc", "kod_simc", "ua05_simc", "simc_id"),
    "ulic": ("ulic", "kod_ulic", "sym_ul", "kod_sym_ul", "ua06_ulic", "ulic_id"),
    "street": ("street", "ulica", "nazwa_ulicy", "ulic_nazwa"),
    "house_number": ("house_number", "nr", "numer", "nr_domu", "numer_budynku", "nr_porzadkowy",
                     "numer_porzadkowy", "ua07_nr_porzadkowy"),
    "lat": ("lat", "latitude", "szerokosc", "ua08_szerokosc", "y"),
    "lon": ("lon", "lng", "longitude", "dlugosc", "ua09_dlugosc", "x"),
}


def _resolve_columns(available: list[str], columns: dict[str, str] | None, source: str) -> dict[str, str]:
    """Canonical name -> file column, from the mapping, then from known aliases."""
    folded = {_fold(c).strip(): c for c in available}
    mapping: dict[str, str] = {}
    explicit = dict(columns or {})
    problems = []
    for key, aliases in _OFFICIAL_ALIASES.items():
        if key in explicit:
            name = explicit[key]
            if name in available:
                mapping[key] = name
                continue
            if _fold(name).strip() in folded:
                mapping[key] = folded[_fold(name).strip()]
                continue
        for alias in aliases:
            if alias in folded:
                mapping[key] = folded[alias]
                break
    has_key = {"simc", "house_number"} <= set(mapping)
    has_xy = {"lat", "lon"} <= set(mapping)
    if not (has_key or has_xy or "id" in mapping):
        problems.append(Problem(
            file=source,
            message=f"cannot find the address columns (SIMC and house number, or lat/lon) among {available}",
            fix="set [whitespots] official_list_columns, e.g. {simc = 'KOD_SIMC', house_number = 'NR'}"))
        raise InputDataError(f"official white-spot list {source}: unknown column layout", problems)
    return mapping


def read_official_list(path: str | Path, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Read an official white-spot list (CSV, XLSX or GeoPackage).

    Parameters
    ----------
    path
        ``.csv`` (comma or semicolon separated, UTF-8 or CP1250), ``.xlsx`` or
        ``.gpkg`` file.
    columns
        Canonical name -> column name in the file, for ``id``, ``terc``,
        ``simc``, ``ulic``, ``street``, ``house_number``, ``lat``, ``lon`` (as
        :attr:`WhiteSpotConfig.official_list_columns`).  Keys left out are looked
        up case-insensitively under common UKE/SIDUSIS spellings.

    Returns
    -------
    pandas.DataFrame
        One row per list entry with the canonical columns (strings; ``lat`` and
        ``lon`` floats, WGS84), ``list_row`` (0-based row in the file) and, for a
        GeoPackage, a ``geometry`` column.

    Raises
    ------
    InputFileNotFoundError
        The file does not exist.
    InputDataError
        Unknown format or no recognisable address columns.
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"official list not found: {p}",
                                     [Problem(file=str(p), message="no such file", fix="give an existing file")])
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = p.read_bytes()
        try:
            text_enc = "utf-8-sig"
            header = raw.decode(text_enc).split("\n", 1)[0]
        except UnicodeDecodeError:
            text_enc = "cp1250"
            header = raw.decode(text_enc).split("\n", 1)[0]
        sep = max((";", ",", "\t"), key=header.count)
        df = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, encoding=text_enc)
    elif suffix in (".xlsx", ".xlsm"):
        df = pd.read_excel(p, dtype=str).fillna("")
    elif suffix == ".gpkg":
        df = gpd.read_file(p)
    else:
        raise InputDataError(f"official list {p}: unsupported format",
                             [Problem(file=str(p), message=f"unsupported file type '{p.suffix}'",
                                      fix="give a .csv, .xlsx or .gpkg file")])
    mapping = _resolve_columns([str(c) for c in df.columns if c != "geometry"], columns, str(p))
    out = pd.DataFrame({"list_row": np.arange(len(df), dtype=np.int64)})
    for key in ("id", "terc", "simc", "ulic", "street", "house_number"):
        vals = df[mapping[key]] if key in mapping else pd.Series([""] * len(df))
        out[key] = vals.astype(object).fillna("").astype(str).str.strip().to_numpy(dtype=object)
    for key in ("lat", "lon"):
        vals = df[mapping[key]] if key in mapping else pd.Series([np.nan] * len(df))
        vals = vals.astype(object).astype(str).str.replace(",", ".", regex=False)
        out[key] = pd.to_numeric(vals, errors="coerce").to_numpy(dtype=float)
    if isinstance(df, gpd.GeoDataFrame) and df.geometry is not None:
        out = gpd.GeoDataFrame(out, geometry=df.geometry.to_numpy(), crs=df.crs)
    out.attrs["source"] = str(p)
    return out


def official_list_diff(addresses: gpd.GeoDataFrame, official: pd.DataFrame, *,
                       columns: dict[str, str] | None = None, match_distance_m: float = 25.0) -> pd.DataFrame:
    """Compare an official white-spot list with the classified addresses.

    Entries are matched to address points by id, then SIMC+ULIC+number, then
    SIMC+street+number (as coverage rows), then, with coordinates (``lat``/
    ``lon`` WGS84 or a point geometry), to the nearest address point within
    ``match_distance_m``.

    Parameters
    ----------
    addresses
        Output of :func:`classify`.
    official
        The list, e.g. from :func:`read_official_list`; other tables are
        renamed with ``columns`` (canonical name -> column name).
    columns
        Column mapping for a table not read by :func:`read_official_list`.
    match_distance_m
        Fallback distance for entries located by coordinates.

    Returns
    -------
    pandas.DataFrame
        Columns ``set, list_row, address_id, terc, simc, ulic, locality, street,
        house_number, ws_class, covering_operators``.  ``set`` is
        ``'on_list_white'`` (on the list and white by our analysis),
        ``'on_list_covered'`` (on the list but grey/black; ``covering_operators``
        names the NGA operators), ``'white_not_on_list'`` (white, missing from
        the list) or ``'on_list_not_found'`` (a list entry that matches no
        address point; also warned about).  Sorted by set, TERC, SIMC, street,
        house number and id.
    """
    source = official.attrs.get("source", "official list")
    if columns:
        mapping = _resolve_columns([str(c) for c in official.columns], columns, source)
        official = official.rename(columns={v: k for k, v in mapping.items()})
    off = official.reset_index(drop=True)
    if "list_row" not in off.columns:
        off = off.assign(list_row=np.arange(len(off), dtype=np.int64))
    n_off = len(off)
    matched = np.full(n_off, -1, dtype=np.int64)

    matched[:] = _id_positions(addresses["id"], _column(off, "id"))
    for oi, ai in _key_pairs(off, addresses, matched < 0):
        # one address per entry: the smallest position (keys are unique in valid PRG data)
        first = np.r_[True, oi[1:] != oi[:-1]] if len(oi) else np.empty(0, dtype=bool)
        matched[oi[first]] = ai[first]

    todo = np.flatnonzero(matched < 0)
    if len(todo) and len(addresses):
        pts, ok = None, None
        if isinstance(off, gpd.GeoDataFrame) and off.geometry is not None:
            pts = off.geometry.to_crs(addresses.crs) if off.crs is not None else off.geometry
            ok = (~pts.isna() & ~pts.is_empty).to_numpy() & (pts.geom_type == "Point").to_numpy()
        elif {"lat", "lon"} <= set(off.columns):
            tr = pyproj.Transformer.from_crs("EPSG:4326", addresses.crs, always_xy=True)
            x, y = tr.transform(off["lon"].to_numpy(dtype=float), off["lat"].to_numpy(dtype=float))
            pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=addresses.crs)
            ok = np.isfinite(x) & np.isfinite(y)
        if pts is not None:
            sub = pts.iloc[todo]
            ok = ok[todo]
            if ok.any():
                qi, ai = addresses.sindex.nearest(sub[ok], max_distance=match_distance_m, return_all=False)
                matched[todo[ok][qi]] = ai

    a_cls = addresses["ws_class"].to_numpy(dtype=object)
    found = matched >= 0
    cls = np.where(found, a_cls[np.maximum(matched, 0)], "")
    sets = np.where(~found, "on_list_not_found", np.where(cls == "white", "on_list_white", "on_list_covered"))
    if (~found).any():
        rows = off["list_row"].to_numpy()[~found]
        logger.warning("%d entries of %s match no address point (e.g. rows %s) -> fix: check their TERYT codes "
                       "and house numbers", len(rows), source, rows[:_MAX_EXAMPLES].tolist())

    def addr_cols(pos: np.ndarray) -> dict[str, np.ndarray]:
        res = {}
        for col, src in (("address_id", "id"), ("terc", "terc"), ("simc", "simc"), ("ulic", "ulic"),
                         ("locality", "locality"), ("street", "street"), ("house_number", "house_number")):
            vals = _column(addresses, src).astype(object).fillna("").to_numpy(dtype=object)
            res[col] = vals[pos] if len(vals) else np.empty(0, dtype=object)
        return res

    pos = np.maximum(matched, 0)
    on_list = pd.DataFrame({"set": sets, "list_row": off["list_row"].to_numpy(dtype=np.int64), **addr_cols(pos)})
    for col, src in (("terc", "terc"), ("simc", "simc"), ("ulic", "ulic"), ("street", "street"),
                     ("house_number", "house_number")):
        on_list.loc[~found, col] = _column(off, src).astype(object).fillna("").to_numpy(dtype=object)[~found]
    on_list.loc[~found, ["address_id", "locality"]] = ""
    on_list["ws_class"] = cls
    ops = _column(addresses, "nga_operators").astype(object).fillna("").to_numpy(dtype=object)
    on_list["covering_operators"] = np.where(sets == "on_list_covered", ops[pos] if len(ops) else "", "")

    listed = np.zeros(len(addresses), dtype=bool)
    listed[matched[found]] = True
    missing = np.flatnonzero((a_cls == "white") & ~listed)
    extra = pd.DataFrame({"set": "white_not_on_list", "list_row": np.full(len(missing), -1, dtype=np.int64),
                          **addr_cols(missing), "ws_class": "white", "covering_operators": ""})
    res = pd.concat([on_list, extra], ignore_index=True)
    res = res.sort_values(["set", "terc", "simc", "street", "house_number", "address_id", "list_row"],
                          kind="stable").reset_index(drop=True)
    return res


# --------------------------------------------------------------------------
# reallocation


def propose_reallocation(addresses: gpd.GeoDataFrame, new_buildings: gpd.GeoDataFrame, *,
                         network: gpd.GeoDataFrame | None = None,
                         contracted_total: int | None = None) -> gpd.GeoDataFrame:
    """Propose which newly built houses take the places freed by barriers.

    Parameters
    ----------
    addresses
        Output of :func:`classify`.
    new_buildings
        New houses not on the list (layer ``new_buildings`` of the schema).
    network
        Planned network segments; when given, candidates are ranked by their
        distance to it (basis ``'network'``), otherwise by the distance to the
        nearest target white spot (basis ``'nearest_white_spot'``).
    contracted_total
        Contracted number of points; the number of places is then
        ``contracted_total - targets`` so that targets + accepted equals it
        (as far as there are candidates).  ``None``: one place per barrier.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per new building: ``new_building_id, terc, simc, ulic, locality,
        street, house_number, rank, distance_m, basis, accepted, reason,
        replaces`` and the geometry, sorted by ``rank``.  ``replaces`` is the
        barrier address id whose place an accepted house takes, paired by
        locality first (candidates in rank order, barriers by id), then across
        localities; ``''`` when no barrier is left (contracted total larger).
        New houses whose address key is already an address point are not
        eligible (reason says so).
    """
    nb = new_buildings.reset_index(drop=True)
    n = len(nb)
    crs = addresses.crs
    if nb.crs is not None and crs is not None and nb.crs != crs:
        nb = nb.to_crs(crs)
    barriers = addresses.loc[addresses["is_barrier"].to_numpy()]
    n_targets = int(addresses["is_target"].sum())
    places = len(barriers) if contracted_total is None else contracted_total - n_targets
    if places < 0:
        logger.warning("contracted total %d is below the %d target points: no place for new buildings",
                       contracted_total, n_targets)
        places = 0

    dist = np.full(n, np.inf)
    if network is not None and len(network):
        basis = "network"
        ref = network.to_crs(crs) if network.crs is not None and crs is not None and network.crs != crs else network
    else:
        basis = "nearest_white_spot"
        ref = addresses.loc[addresses["is_target"].to_numpy()]
    if n and len(ref):
        (qi, ri), d = ref.sindex.nearest(nb.geometry, return_all=False, return_distance=True)
        dist[qi] = d

    (li, _), _ = _key_pairs(nb, addresses, street=False)
    existing = np.zeros(n, dtype=bool)
    existing[li] = True
    ids = _column(nb, "id").astype(object).fillna("").astype(str).to_numpy(dtype=object)
    id_rank, _ = pd.factorize(pd.Series(ids, dtype=object), sort=True)
    eligible = ~existing & np.isfinite(dist)
    order = np.lexsort((id_rank, dist, ~eligible))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    accepted = eligible & (rank <= places)
    if places > eligible.sum():
        logger.warning("only %d eligible new buildings for %d freed places", int(eligible.sum()), places)

    dtxt = pd.Series(np.round(np.where(np.isfinite(dist), dist, 0)).astype(np.int64), dtype=object).astype(str)
    where = " m from the planned network" if basis == "network" else " m from the nearest target white spot"
    reason = np.where(
        existing, "already an address point (not a new building)",
        np.where(~np.isfinite(dist), "no network or target point to measure the distance to",
                 np.where(accepted, ("cheapest to connect: " + dtxt + where).to_numpy(dtype=object),
                          ("not needed: all " + str(places) + " freed places taken by cheaper buildings ("
                           + dtxt + where + ")").to_numpy(dtype=object))))

    # pair accepted buildings with barrier addresses: same locality first, then globally
    simc_codes = _codes(pd.concat([_column(nb, "simc").astype(object), _column(barriers, "simc").astype(object)],
                                  ignore_index=True), _a_code(7))[0]
    nb_simc, bar_simc = simc_codes[:n], simc_codes[n:]
    acc = np.flatnonzero(accepted)
    acc = acc[np.argsort(rank[acc], kind="stable")]
    bar_ids = barriers["id"].astype(object).astype(str).to_numpy(dtype=object)
    bar_order = np.lexsort((pd.factorize(pd.Series(bar_ids, dtype=object), sort=True)[0], bar_simc))
    replaces = np.full(n, "", dtype=object)
    cand = pd.DataFrame({"pos": acc, "simc": nb_simc[acc]})
    cand["k"] = cand.groupby("simc").cumcount()
    bars = pd.DataFrame({"bpos": bar_order, "simc": bar_simc[bar_order]})
    bars["k"] = bars.groupby("simc").cumcount()
    local = cand.merge(bars, on=["simc", "k"], how="inner")
    replaces[local["pos"].to_numpy()] = bar_ids[local["bpos"].to_numpy()]
    rest_c = cand.loc[~cand["pos"].isin(local["pos"]), "pos"].to_numpy()
    rest_b = bars.loc[~bars["bpos"].isin(local["bpos"]), "bpos"].to_numpy()
    k = min(len(rest_c), len(rest_b))
    replaces[rest_c[:k]] = bar_ids[rest_b[:k]]
    reason = reason.astype(object)
    fill = accepted & (replaces == "")
    reason[fill] = (pd.Series(reason[fill], dtype=object) + "; fills the contracted total").to_numpy(dtype=object)

    out = gpd.GeoDataFrame({
        "new_building_id": ids,
        **{c: _column(nb, c).astype(object).fillna("").to_numpy(dtype=object)
           for c in ("terc", "simc", "ulic", "locality", "street", "house_number")},
        "rank": rank,
        "distance_m": dist,
        "basis": basis,
        "accepted": accepted,
        "reason": reason,
        "replaces": replaces,
    }, geometry=nb.geometry.to_numpy(), crs=crs)
    return out.sort_values("rank", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------
# stage entry point


@dataclass
class WhiteSpotResult:
    """Everything the white-spot stage produces.

    Attributes
    ----------
    addresses
        Per-address layer (:func:`classify`).
    localities
        Per-locality table (:func:`locality_table`).
    official_diff
        Official-list diff (:func:`official_list_diff`), if a list was given.
    reallocation
        Reallocation proposal (:func:`propose_reallocation`), if new buildings exist.
    warnings
        Counted warnings about the inputs, in the order found.
    """

    addresses: gpd.GeoDataFrame
    localities: pd.DataFrame
    official_diff: pd.DataFrame | None = None
    reallocation: gpd.GeoDataFrame | None = None
    warnings: list[str] = field(default_factory=list)


def run(area: Area, config: WhiteSpotConfig | None = None, *,
        official_list: str | Path | pd.DataFrame | None = None,
        new_buildings: str | Path | gpd.GeoDataFrame | None = None,
        network: gpd.GeoDataFrame | None = None) -> WhiteSpotResult:
    """Run the white-spot stage: classify, tabulate, diff and reallocate.

    Parameters
    ----------
    area
        Study area.
    config
        White-spot rules (defaults when ``None``).
    official_list
        Official white-spot list: a file for :func:`read_official_list` (with
        ``config.official_list_columns``) or a table already read.
    new_buildings
        New houses; a file or layer.  ``None``: the area's ``new_buildings``
        layer, if it has any rows.
    network
        Planned network segments for ranking new buildings, if routing ran.

    Returns
    -------
    WhiteSpotResult
    """
    config = config or WhiteSpotConfig()
    addresses, warnings = _classify(area, config)
    localities = locality_table(addresses)
    diff = None
    if official_list is not None:
        table = (official_list if isinstance(official_list, pd.DataFrame)
                 else read_official_list(official_list, config.official_list_columns))
        diff = official_list_diff(addresses, table, match_distance_m=config.match_distance_m)
        n_nf = int((diff["set"] == "on_list_not_found").sum())
        if n_nf:
            warnings.append(f"{n_nf} official-list entries match no address point (set 'on_list_not_found') "
                            "-> fix: check their TERYT codes and house numbers")
    nb = new_buildings
    if isinstance(nb, (str, Path)):
        nb = gpd.read_file(nb)
    if nb is None and len(area["new_buildings"]):
        nb = area["new_buildings"]
    realloc = None
    if nb is not None:
        realloc = propose_reallocation(addresses, nb, network=network, contracted_total=config.contracted_total)
        places = (int(addresses["is_barrier"].sum()) if config.contracted_total is None
                  else config.contracted_total - int(addresses["is_target"].sum()))
        if int(realloc["accepted"].sum()) < places:
            warnings.append(f"only {int(realloc['accepted'].sum())} new buildings can take the {places} freed "
                            "places -> fix: add newly built houses (layer new_buildings) or lower the contracted total")
    return WhiteSpotResult(addresses=addresses, localities=localities, official_diff=diff,
                           reallocation=realloc, warnings=warnings)
