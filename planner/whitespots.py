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

Barriers (white spots only), first rule that applies: ``no_building`` (no
building within ``barrier_building_distance_m``), ``summer_house`` (the nearest
building's use is in ``barrier_building_uses``), ``status_<status>`` (PRG status
not in ``existing_statuses``).  An empty buildings layer disables the two
building rules with a warning instead of making every point a barrier.

Everything is vectorised (pandas factorize/merge, numpy sorting, STRtree); there
is no Python loop over address points or coverage rows.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from planner._errors import InputDataError, InputFileNotFoundError, Problem
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

_PL_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_STREET_PREFIX = re.compile(r"^(?:ul|ulica|al|aleja|aleje|pl|plac|os|osiedle)\s+(?=\S)")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_MAX_EXAMPLES = 5


# --------------------------------------------------------------------------
# normalisation of names, numbers and codes (applied to unique values only)


def _fold(text: str) -> str:
    """Lower-case ASCII form of a Polish text (``'Łódź'`` -> ``'lodz'``)."""
    text = unicodedata.normalize("NFKD", text.translate(_PL_FOLD))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


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
    text = _NON_WORD.sub(" ", _fold(str(name))).strip()
    return _STREET_PREFIX.sub("", text)


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
    text = _fold(str(number)).split("/", 1)[0]
    text = re.sub(r"\s+", "", text)
    if re.fullmatch(r"\d+\.0", text):  # a number read as float
        text = text[:-2]
    return re.sub(r"^0+(?=\d)", "", text)


def _code_normaliser(width: int) -> Callable[[str], str]:
    def norm(value: str) -> str:
        text = str(value).strip()
        if re.fullmatch(r"\d+\.0", text):
            text = text[:-2]
        return text.zfill(width) if text.isdigit() else text.casefold()

    return norm


def _strip(value: str) -> str:
    return str(value).strip()


def _operator_key(value: str) -> str:
    return " ".join(str(value).split()).casefold()


def _technology_key(value: str) -> str:
    return re.sub(r"\s+", "", str(value)).casefold()


_KNOWN_TECH_KEYS = frozenset(_technology_key(t) for t in KNOWN_TECHNOLOGIES)


def _codes(values: pd.Series | np.ndarray, norm: Callable[[str], str], *, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of normalised values; missing values normalise as ``''``.

    The normaliser runs once per *distinct* raw value.  Returns the codes (one
    per value) and the normalised uniques they index.  With ``sort`` the codes
    follow the sorted normalised values, so they do not depend on row order.
    """
    raw_codes, raw_uniques = pd.factorize(pd.Series(values, copy=False), use_na_sentinel=True)
    normed = [norm(u) for u in raw_uniques] + [""]
    raw_codes = np.where(raw_codes < 0, len(raw_uniques), raw_codes)
    ncodes, nuniques = pd.factorize(pd.Index(normed, dtype=object), sort=sort)
    return ncodes[raw_codes].astype(np.int64), np.asarray(nuniques, dtype=object)


def _combine(*codes: np.ndarray) -> np.ndarray:
    """One int64 code per distinct tuple of integer codes (order of first appearance)."""
    out = np.asarray(codes[0], dtype=np.int64)
    for c in codes[1:]:
        c = np.asarray(c, dtype=np.int64)
        out, _ = pd.factorize(out * (int(c.max(initial=0)) + 1) + c)
        out = out.astype(np.int64)
    return out


def _join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(i, j)`` with ``left[i] == right[j] >= 0`` (many-to-many join)."""
    order = np.argsort(right, kind="stable")
    sr = right[order]
    lo = np.searchsorted(sr, left, side="left")
    hi = np.searchsorted(sr, left, side="right")
    n = np.where(left >= 0, hi - lo, 0)
    li = np.repeat(np.arange(len(left)), n)
    starts = np.repeat(lo - np.cumsum(n) + n, n)
    rj = order[starts + np.arange(n.sum())] if len(li) else np.empty(0, dtype=np.int64)
    return li.astype(np.int64), np.asarray(rj, dtype=np.int64)


def _column(df: pd.DataFrame, name: str, default: object = "") -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)


def _address_keys(frames: list[pd.DataFrame]) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Matching keys of several address-like tables, in one code space.

    Returns, per frame, the ULIC key (SIMC+ULIC+number), the street key
    (SIMC+street name+number) and the normalised TERC commune code (6 digits);
    keys are ``-1`` where SIMC or the house number is missing.
    """
    sizes = [len(f) for f in frames]
    cat = lambda col: pd.concat([_column(f, col).astype(object) for f in frames], ignore_index=True)  # noqa: E731
    simc, simc_u = _codes(cat("simc"), _code_normaliser(7))
    ulic, _ = _codes(cat("ulic"), _code_normaliser(5))
    street, _ = _codes(cat("street"), normalise_street)
    hn, hn_u = _codes(cat("house_number"), normalise_house_number)
    terc6, _ = _codes(cat("terc"), lambda v: _code_normaliser(7)(v)[:6])
    valid = (simc_u[simc] != "") & (hn_u[hn] != "")
    k_ulic = np.where(valid, _combine(simc, ulic, hn), -1)
    k_street = np.where(valid, _combine(simc, street, hn), -1)
    bounds = np.cumsum([0] + sizes)
    split = lambda a: [a[bounds[i]:bounds[i + 1]] for i in range(len(frames))]  # noqa: E731
    return split(k_ulic), split(k_street), split(terc6)


# --------------------------------------------------------------------------
# coverage checks


def _problem_rows(file: str, rows: np.ndarray, message: Callable[[int], str], fix: str, limit: int = 20) -> list[Problem]:
    probs = [Problem(file=file, row=int(r), message=message(int(r)), fix=fix) for r in rows[:limit]]
    if len(rows) > limit:
        probs.append(Problem(file=file, message=f"... and {len(rows) - limit} more rows like these", fix=fix))
    return probs


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
    down = pd.to_numeric(raw_down, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(down) | (down < 0))
    if len(bad):
        vals = raw_down.to_numpy(dtype=object)
        problems += _problem_rows(
            source, bad, lambda r: f"down_mbps is {vals[r]!r} (operator {cov['operator'].iloc[r]!r}): not a number of Mb/s",
            "give the maximum downlink in Mb/s as a number (UKE speed codes must be decoded, e.g. '11' -> 100)")

    med_codes, med_u = _codes(cov["medium"], lambda v: str(v).strip().casefold())
    unknown_med = ~np.isin(med_u, MEDIA)
    bad = np.flatnonzero(unknown_med[med_codes])
    if len(bad):
        problems += _problem_rows(
            source, bad, lambda r: f"medium {med_u[med_codes[r]]!r} is not one of {list(MEDIA)}",
            "map the medium onto fibre/coax/copper/radio/other (the readers do this for UKE/SIDUSIS files)")

    st_codes, st_u = _codes(_column(cov, "status", "existing"), lambda v: str(v).strip().casefold() or "existing")
    bad = np.flatnonzero(~np.isin(st_u, ("existing", "planned"))[st_codes])
    if len(bad):
        problems += _problem_rows(
            source, bad, lambda r: f"status {st_u[st_codes[r]]!r} is neither 'existing' nor 'planned'",
            "use status 'existing' for networks in service and 'planned' (with a year) for declared plans")
    if problems:
        raise InputDataError(f"coverage layer {source} has {len(problems)} invalid value(s); no class was computed",
                             problems)

    year = pd.to_numeric(_column(cov, "year", np.nan), errors="coerce").to_numpy(dtype=float)
    planned = st_u[st_codes] == "planned"
    medium = med_u[med_codes]
    fixed = np.isin(medium, list(config.fixed_media))
    nga = fixed & (down >= config.nga_min_down_mbps)
    horizon = config.analysis_date.year + config.horizon_years
    no_year = planned & nga & ~np.isfinite(year)
    if no_year.any():
        rows = np.flatnonzero(no_year)
        warnings.append(
            f"{len(rows)} planned NGA coverage row(s) have no year (e.g. rows {rows[:_MAX_EXAMPLES].tolist()} of "
            f"{source}); counted as within the horizon {horizon} -> fix: give the planned year")
    within = planned & (~np.isfinite(year) | (year <= horizon))
    cat = np.select(
        [nga & ~planned, nga & within, ~planned & fixed, ~planned, nga],
        [_CAT_NGA_NOW, _CAT_NGA_PLANNED, _CAT_SLOW, _CAT_NOT_FIXED, _CAT_BEYOND],
        _CAT_PLANNED_SLOW,
    )

    op_codes, op_u = _codes(cov["operator"], _operator_key)
    # Display name of an operator: the smallest raw spelling of its key (deterministic).
    raw_op = pd.Series(cov["operator"].astype(object).fillna("").astype(str).str.strip().to_numpy(), dtype=object)
    disp = pd.Series(raw_op.to_numpy(), index=op_codes).groupby(level=0).min()
    op_display = disp.reindex(np.arange(len(op_u))).fillna("").to_numpy(dtype=object)

    tech_raw = cov["technology"].astype(object).fillna("").astype(str)
    tech_codes, tech_u = _codes(tech_raw, _strip)
    tech_known = np.array([_technology_key(t) in _KNOWN_TECH_KEYS for t in tech_u], dtype=bool)
    unk = np.flatnonzero(~tech_known[tech_codes])
    if len(unk):
        names = sorted({tech_u[tech_codes[r]] for r in unk})
        warnings.append(
            f"{len(unk)} coverage row(s) of {source} name a technology not in the UKE code list "
            f"({names[:_MAX_EXAMPLES]}, e.g. row {int(unk[0])}); classified by medium and speed only "
            "-> fix: use the UKE code-list name (e.g. 'GPON', 'VDSL2', '(EURO)DOCSIS 3.x')")

    out = pd.DataFrame({
        "row": np.arange(n, dtype=np.int64),
        "address_id": _column(cov, "address_id").astype(object).to_numpy(),
        "terc": _column(cov, "terc").astype(object).to_numpy(),
        "simc": _column(cov, "simc").astype(object).to_numpy(),
        "ulic": _column(cov, "ulic").astype(object).to_numpy(),
        "street": _column(cov, "street").astype(object).to_numpy(),
        "house_number": _column(cov, "house_number").astype(object).to_numpy(),
        "op": op_codes,
        "tech": tech_codes,
        "medium": med_codes,
        "down": down,
        "year": np.where(planned, year, np.nan),
        "cat": cat.astype(np.int8),
    })
    out.attrs = {"op_display": op_display, "tech_u": tech_u, "medium_u": med_u, "horizon": horizon}
    geom_col = getattr(cov, "_geometry_column_name", None)
    out["geometry"] = cov[geom_col].to_numpy() if geom_col in cov.columns else None
    return out


# --------------------------------------------------------------------------
# matching


def _match(addresses: gpd.GeoDataFrame, cov: pd.DataFrame, config: WhiteSpotConfig,
           source: str, warnings: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (coverage row, address position, method index) of all matches."""
    m = len(cov)
    pair_r: list[np.ndarray] = []
    pair_a: list[np.ndarray] = []
    pair_m: list[np.ndarray] = []
    matched = np.zeros(m, dtype=bool)

    def add(rows: np.ndarray, addrs: np.ndarray, method: int) -> None:
        pair_r.append(rows)
        pair_a.append(addrs)
        pair_m.append(np.full(len(rows), method, dtype=np.int8))
        matched[rows] = True

    # 1. address id
    ids = pd.concat([addresses["id"].astype(object), cov["address_id"]], ignore_index=True)
    id_codes, id_u = _codes(ids, _strip, sort=False)
    a_id, c_id = id_codes[: len(addresses)], id_codes[len(addresses):]
    c_id = np.where(id_u[c_id] == "", -1, c_id)
    r, a = _join(c_id, a_id)
    add(r, a, 0)

    # 2. address keys: SIMC+ULIC+number, then SIMC+street+number
    (ka_u, kc_u), (ka_s, kc_s), (ta, tc) = _address_keys([addresses, cov])
    todo = ~matched
    r, a = _join(np.where(todo, kc_u, -1), ka_u)
    add(r, a, 1)
    todo = ~matched
    r, a = _join(np.where(todo, kc_s, -1), ka_s)
    add(r, a, 1)
    key_r = np.concatenate(pair_r[1:])
    key_a = np.concatenate(pair_a[1:])
    if len(key_r):
        terc_c = _column(cov, "terc").astype(object).fillna("").astype(str).str.strip().to_numpy()[key_r]
        terc_a = _column(addresses, "terc").astype(object).fillna("").astype(str).str.strip().to_numpy()[key_a]
        c6 = pd.Series(terc_c).str.zfill(7).str[:6].to_numpy()
        a6 = pd.Series(terc_a).str.zfill(7).str[:6].to_numpy()
        bad = (terc_c != "") & (terc_a != "") & (c6 != a6)
        if bad.any():
            rows = np.unique(key_r[bad])
            warnings.append(
                f"{len(rows)} coverage row(s) of {source} match an address by SIMC/street/number but name "
                f"another commune TERC (e.g. row {int(rows[0])}: {terc_c[bad][0]} vs address {terc_a[bad][0]}) "
                "-> fix: check the TERC codes of those rows")

    # 3. nearest address point within match_distance_m; 4. areas
    geoms = gpd.GeoSeries(cov["geometry"].to_numpy(), crs=addresses.crs) if m else gpd.GeoSeries([], crs=addresses.crs)
    todo = ~matched
    if m and todo.any() and len(addresses):
        gtype = geoms.geom_type.to_numpy(dtype=object)
        has = todo & ~geoms.isna().to_numpy() & ~geoms.is_empty.to_numpy()
        pts = np.flatnonzero(has & np.isin(gtype, ["Point"]))
        if len(pts):
            (qi, ai), dist = addresses.sindex.nearest(
                geoms.iloc[pts], max_distance=config.match_distance_m, return_all=True, return_distance=True)
            # ties: the smallest address position, whatever the row order
            order = np.lexsort((ai, qi))
            qi, ai = qi[order], ai[order]
            first = np.r_[True, qi[1:] != qi[:-1]]
            add(pts[qi[first]], ai[first].astype(np.int64), 2)
        polys = np.flatnonzero(has & np.isin(gtype, ["Polygon", "MultiPolygon"]))
        if len(polys):
            qi, ai = addresses.sindex.query(geoms.iloc[polys], predicate="intersects")
            add(polys[qi], ai.astype(np.int64), 3)

    unmatched = np.flatnonzero(~matched)
    if len(unmatched):
        ex = cov.iloc[unmatched[:_MAX_EXAMPLES]]
        desc = "; ".join(
            f"row {int(r.row)} (operator {cov.attrs['op_display'][r.op]}, SIMC {r.simc!s}, ULIC {r.ulic!s}, "
            f"street {r.street!s}, nr {r.house_number!s}, id {r.address_id!s})"
            for r in ex.itertuples())
        warnings.append(
            f"{len(unmatched)} coverage row(s) of {source} match no address point and were ignored: {desc} "
            f"-> fix: check their TERYT codes, street names and house numbers against the address layer, "
            f"or give them a point within {config.match_distance_m:g} m of the address")

    if not pair_r:
        e = np.empty(0, dtype=np.int64)
        return e, e, np.empty(0, dtype=np.int8)
    return np.concatenate(pair_r), np.concatenate(pair_a), np.concatenate(pair_m)


def _dedupe_coverage(cov: pd.DataFrame, source: str, warnings: list[str]) -> pd.DataFrame:
    """Drop exact duplicate declarations (same key, operator, technology, speed, geometry)."""
    if not len(cov):
        return cov
    (ku,), (ks,), _ = _address_keys([cov])
    idc, _ = _codes(cov["address_id"], _strip)
    geom = cov["geometry"]
    wkb = gpd.GeoSeries(geom.to_numpy()).to_wkb(hex=True) if geom.notna().any() else pd.Series("", index=cov.index)
    gcode, _ = pd.factorize(pd.Series(wkb.to_numpy(), dtype=object).fillna(""))
    frame = pd.DataFrame({"id": idc, "ku": ku, "ks": ks, "op": cov["op"].to_numpy(), "tech": cov["tech"].to_numpy(),
                          "medium": cov["medium"].to_numpy(), "down": cov["down"].to_numpy(),
                          "year": cov["year"].fillna(-1).to_numpy(), "cat": cov["cat"].to_numpy(), "g": gcode})
    dup = frame.duplicated().to_numpy()
    if dup.any():
        rows = cov["row"].to_numpy()[dup]
        warnings.append(
            f"{int(dup.sum())} duplicate coverage row(s) of {source} dropped (e.g. rows "
            f"{rows[:_MAX_EXAMPLES].tolist()}) -> fix: remove repeated declarations from the coverage file")
        attrs = cov.attrs
        cov = cov.loc[~dup].reset_index(drop=True)
        cov.attrs = attrs
    return cov


# --------------------------------------------------------------------------
# reasons


def _fmt_numbers(values: np.ndarray) -> np.ndarray:
    """'30', '100', '0.5' for floats (formatted per distinct value)."""
    codes, uniq = pd.factorize(pd.Series(values, dtype=float), use_na_sentinel=True)
    text = np.array([f"{u:g}" for u in uniq] + [""], dtype=object)
    return text[np.where(codes < 0, len(uniq), codes)]


def _row_descriptions(cov: pd.DataFrame) -> np.ndarray:
    """One reason fragment per coverage row, built once per distinct declaration."""
    combo = _combine(cov["cat"].to_numpy(), cov["op"].to_numpy(), cov["tech"].to_numpy(),
                     cov["medium"].to_numpy(), pd.factorize(cov["down"])[0], pd.factorize(cov["year"])[0])
    _, first = np.unique(combo, return_index=True)
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
    lookup = np.empty(combo.max() + 1 if len(combo) else 0, dtype=object)
    lookup[combo[first]] = text
    return lookup[combo]


def _reasons(n: int, pr: np.ndarray, pa: np.ndarray, cov: pd.DataFrame, counting_ops: np.ndarray) -> np.ndarray:
    """Reason text of every address from its matched rows (vectorised)."""
    reason = np.full(n, "no offer", dtype=object)
    if not len(pr):
        return reason
    desc = _row_descriptions(cov)[pr]
    cat = cov["cat"].to_numpy()[pr]
    op = cov["op"].to_numpy()[pr]
    down = cov["down"].to_numpy()[pr]
    counting = cat <= _CAT_NGA_PLANNED
    classified = counting_ops[pa] > 0
    # An address with NGA lists its NGA rows; a white spot lists what it has instead.
    keep = counting == classified
    desc, cat, op, down, a = desc[keep], cat[keep], op[keep], down[keep], pa[keep]
    dcode, _ = pd.factorize(pd.Series(desc, dtype=object), sort=True)
    order = np.lexsort((dcode, op, -down, cat, a))
    a, op, cat, desc = a[order], op[order], cat[order], desc[order]
    # one fragment per (address, operator), then the first two per address
    first_op = np.r_[True, (a[1:] != a[:-1]) | (op[1:] != op[:-1])]
    a, cat, desc = a[first_op], cat[first_op], desc[first_op]
    # re-sort by (address, category) so the listing follows the category order
    order = np.lexsort((pd.factorize(pd.Series(desc, dtype=object), sort=True)[0], cat, a))
    a, cat, desc = a[order], cat[order], desc[order]
    start = np.r_[True, a[1:] != a[:-1]]
    grp = np.cumsum(start) - 1
    rank = np.arange(len(a)) - np.flatnonzero(start)[grp]
    count = np.bincount(grp)
    ua = a[start]
    d1 = desc[rank == 0]
    c1 = cat[rank == 0]
    has2 = count >= 2
    d2 = np.full(len(ua), "", dtype=object)
    d2[has2] = desc[rank == 1]
    s = lambda x: pd.Series(x, dtype=object)  # noqa: E731
    more = np.where(count > 2, "; +" + s(count - 2).astype(str) + " more", "")
    body = s(d1) + np.where(has2, "; " + s(d2), "") + more
    prefix = np.where(c1 <= _CAT_NGA_PLANNED, "NGA: ", np.where(c1 <= _CAT_NOT_FIXED, "only ", ""))
    reason[ua] = (prefix + body).to_numpy(dtype=object)
    return reason


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
    dup = addr["id"].duplicated(keep=False).to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        raise InputDataError(
            f"address layer {source} has {len(rows)} rows with duplicate ids",
            _problem_rows(source, rows, lambda r: f"id {addr['id'].iloc[r]!r} is not unique",
                          "give every address point its own id (PRG lokalnyId)"))
    return addr


def _classify(area: Area, config: WhiteSpotConfig) -> tuple[gpd.GeoDataFrame, list[str]]:
    warnings: list[str] = []
    addr = _prepare_addresses(area)
    n = len(addr)
    source = area.sources.get("coverage", "coverage")
    cov_layer = area["coverage"]
    if cov_layer.crs is not None and addr.crs is not None and len(cov_layer) and cov_layer.crs != addr.crs:
        cov_layer = cov_layer.to_crs(addr.crs)
    cov = _prepare_coverage(cov_layer, config, source, warnings)
    cov = _dedupe_coverage(cov, source, warnings)
    pr, pa, pm = _match(addr, cov, config, source, warnings)

    method = np.full(n, _NO_MATCH, dtype=np.int8)
    np.minimum.at(method, pa, pm)

    n_ops = max(len(cov.attrs["op_display"]), 1)
    cat = cov["cat"].to_numpy()[pr]
    op = cov["op"].to_numpy()[pr]

    def distinct_ops(sel: np.ndarray) -> np.ndarray:
        keys = np.unique(pa[sel] * n_ops + op[sel])
        return np.bincount(keys // n_ops, minlength=n).astype(np.int64)

    n_now = distinct_ops(cat == _CAT_NGA_NOW)
    n_planned = distinct_ops(cat == _CAT_NGA_PLANNED)
    n_any = distinct_ops(cat <= _CAT_NGA_PLANNED)
    ws_class = np.select([n_any == 0, n_any == 1], ["white", "grey"], "black").astype(object)

    out = addr.copy()
    out["ws_class"] = ws_class
    out["ws_reason"] = _reasons(n, pr, pa, cov, n_any)
    out["n_nga_now"] = n_now
    out["n_nga_planned"] = n_planned
    out["match_method"] = np.asarray(_METHODS, dtype=object)[method]
    out["nga_operators"] = _nga_operators(n, pr, pa, cov)
    is_barrier, reason = _barriers(out, area, config, warnings)
    out["is_barrier"] = is_barrier
    out["barrier_reason"] = reason
    out["is_target"] = (ws_class == "white") & ~is_barrier
    for w in warnings:
        logger.warning(w)
    logger.info("white spots: %d white, %d grey, %d black, %d barriers of %d address points",
                int((ws_class == "white").sum()), int((ws_class == "grey").sum()),
                int((ws_class == "black").sum()), int(is_barrier.sum()), n)
    return out, warnings


def _nga_operators(n: int, pr: np.ndarray, pa: np.ndarray, cov: pd.DataFrame) -> np.ndarray:
    """'; '-joined display names of the NGA operators (now or planned) of every address."""
    out = np.full(n, "", dtype=object)
    sel = cov["cat"].to_numpy()[pr] <= _CAT_NGA_PLANNED
    if not sel.any():
        return out
    names = cov.attrs["op_display"]
    # op codes are sorted by normalised name, so np.unique gives a stable listing
    pairs = np.unique(np.stack([pa[sel], cov["op"].to_numpy()[pr][sel]], axis=1), axis=0)
    joined = pd.Series(names[pairs[:, 1]], dtype=object).groupby(pairs[:, 0], sort=True).agg("; ".join)
    out[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return out


def _barriers(out: gpd.GeoDataFrame, area: Area, config: WhiteSpotConfig,
              warnings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Barrier flag and reason of every address (only white spots can be barriers)."""
    n = len(out)
    white = (out["ws_class"] == "white").to_numpy()
    reason = np.full(n, "", dtype=object)
    status_raw = _column(out, "status", "istniejacy").astype(object)
    st_codes, st_u = _codes(status_raw, lambda v: str(v).strip())
    existing = {_fold(s) for s in config.existing_statuses}
    ok = np.array([s == "" or _fold(s) in existing for s in st_u], dtype=bool)
    status_reason = np.array(["status_" + s for s in st_u], dtype=object)[st_codes]
    bad_status = ~ok[st_codes]

    buildings = area["buildings"]
    wpos = np.flatnonzero(white)
    no_building = np.zeros(n, dtype=bool)
    summer = np.zeros(n, dtype=bool)
    if len(buildings) == 0:
        if len(wpos):
            warnings.append(
                "the buildings layer is empty: the 'no_building' and 'summer_house' barrier rules were skipped "
                "-> fix: give a buildings layer (EGiB/BDOT10k/OSM) to find investment barriers")
    elif len(wpos):
        if buildings.crs is not None and out.crs is not None and buildings.crs != out.crs:
            buildings = buildings.to_crs(out.crs)
        (qi, bi), dist = buildings.sindex.nearest(
            out.geometry.iloc[wpos], max_distance=config.barrier_building_distance_m,
            return_all=True, return_distance=True)
        has = np.zeros(len(wpos), dtype=bool)
        has[qi] = True
        no_building[wpos[~has]] = True
        if len(qi):
            # equidistant buildings: the smallest building id decides, whatever the order
            bid, _ = pd.factorize(buildings["id"].astype(str), sort=True) if "id" in buildings.columns \
                else (np.arange(len(buildings)), None)
            order = np.lexsort((np.asarray(bid)[bi], qi))
            qi, bi = qi[order], bi[order]
            first = np.r_[True, qi[1:] != qi[:-1]]
            use = _column(buildings, "use", "residential").astype(object).fillna("residential").to_numpy()
            is_summer = np.isin(use[bi[first]], list(config.barrier_building_uses))
            summer[wpos[qi[first][is_summer]]] = True
    reason = np.where(no_building, "no_building",
                      np.where(summer, "summer_house", np.where(bad_status, status_reason, ""))).astype(object)
    reason[~white] = ""
    return reason != "", reason


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
    return table.sort_values(["terc", "locality", "simc"], kind="stable").reset_index(drop=True)


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
            raw.decode(text_enc)
        except UnicodeDecodeError:
            text_enc = "cp1250"
        df = pd.read_csv(p, sep=None, engine="python", dtype=str, keep_default_na=False, encoding=text_enc)
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

    ids = pd.concat([addresses["id"].astype(object), _column(off, "id").astype(object)], ignore_index=True)
    id_codes, id_u = _codes(ids, _strip, sort=False)
    a_id, o_id = id_codes[: len(addresses)], id_codes[len(addresses):]
    o_id = np.where(id_u[o_id] == "", -1, o_id)
    (ka_u, ko_u), (ka_s, ko_s), _ = _address_keys([addresses, off])
    for left, right in ((o_id, a_id), (ko_u, ka_u), (ko_s, ka_s)):
        todo = matched < 0
        oi, ai = _join(np.where(todo, left, -1), right)
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

    (ka, kn), _, _ = _address_keys([addresses, nb])
    li, _ = _join(kn, ka)
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
                                  ignore_index=True), _code_normaliser(7))[0]
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
    return WhiteSpotResult(addresses=addresses, localities=localities, official_diff=diff,
                           reallocation=realloc, warnings=warnings)
