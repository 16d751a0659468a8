"""Operator coverage from UKE inventory and SIDUSIS files -> the ``coverage`` layer.

Two public formats (templates and code lists in ``data/uke/``, see
``data/SOURCES.md``):

* **UKE inventory "zestaw 7", layer ``z7_uslugi_wadresach``** (services at
  address points, Dz.U. 2022 poz. 2796), CSV or GeoJSON, columns
  ``ua01_…`` – ``ua22_…``.  Used: ``ua04`` TERC, ``ua05`` SIMC, ``ua06`` ULIC,
  ``ua07`` house number, ``ua08``/``ua09`` latitude/longitude (WGS84),
  ``ua10`` medium reaching the address point, ``ua11`` access technology,
  ``ua21`` speed **code** of the UKE code list (01 = 2 Mb/s … 11 = 100 Mb/s …
  20 = 1000 Mb/s … 29 = 10000 Mb/s; :data:`SPEED_CODES_MBPS`).  One file is
  the declaration of one operator (the reporting entity, which the file does
  not name): give ``operator=``; the default is the file name.  ``ua01`` (the
  operator's own id of the point), ``ua02`` (flexibility point) and ``ua03``
  (foreign entity whose network is used) are kept as ``source_id``,
  ``pe_id`` and ``po_id``.  The uplink is not in the layer (``up_mbps`` NaN).
* **SIDUSIS CSV** (Ministry of Digital Affairs, 2023): records typed by their
  first field; ``DI`` (institution = the operator: name, RPT no., …), ``PO``
  (representative), ``ZS`` (address point in range: identyfikator, TERC,
  miejscowość, SIMC, ulica, SYM_UL, nr, lat, lon, medium, technologia,
  max down, max up (Mb/s), rodzaj zasięgu, hurt, detal, id PO).  The operator
  is the ``DI`` name (or ``operator=``).

Both give coverage rows with ``status='existing'``, keyed by
TERC/SIMC/ULIC/house number (ULIC ``99999`` = "no street" becomes empty) and,
where coordinates are given, a point in EPSG:4326.  Problems: an unparseable
speed or medium is an error; unknown technologies and dropped duplicate rows
are counted warnings.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputDataError, InputFileNotFoundError, Problem
from planner.io.files import read_csv_text
from planner.validation import EXTRA_COLUMNS_ATTR, as_text, fold_text, log_warnings, medium_from_text, parse_numbers

__all__ = [
    "SPEED_CODES_MBPS",
    "TECHNOLOGIES",
    "medium_from_text",
    "detect_coverage_format",
    "read_uke_services",
    "read_sidusis",
    "read_coverage_raw",
]

logger = logging.getLogger(__name__)

#: UKE code list "Prędkość łącza internetowego" (and "Przepustowość"): code -> Mb/s.
#: Code 30 ("inna określona w narzędziu teleinformatycznym") has no value.
#: Source: data/uke/slowniki_inwentaryzacja_uke.txt.
SPEED_CODES_MBPS: dict[str, float] = {
    "01": 2.0, "02": 10.0, "03": 20.0, "04": 30.0, "05": 40.0, "06": 50.0, "07": 60.0, "08": 70.0,
    "09": 80.0, "10": 90.0, "11": 100.0, "12": 200.0, "13": 300.0, "14": 400.0, "15": 500.0,
    "16": 600.0, "17": 700.0, "18": 800.0, "19": 900.0, "20": 1000.0, "21": 2000.0, "22": 3000.0,
    "23": 4000.0, "24": 5000.0, "25": 6000.0, "26": 7000.0, "27": 8000.0, "28": 9000.0, "29": 10000.0,
}
_SPEED_CODE_OTHER = "30"

#: UKE code list "Technologie dostępowe" (data/uke/slowniki_inwentaryzacja_uke.txt) plus the
#: mobile / FWA technologies SIDUSIS uses (e.g. ``NR SA`` in the SIDUSIS example). [UKE]
TECHNOLOGIES: tuple[str, ...] = (
    "ADSL", "ADSL2", "ADSL2+", "VDSL", "VDSL2", "VDSL2(vectoring)", "G.Fast",
    "(EURO)DOCSIS 1.x", "(EURO)DOCSIS 2.x", "(EURO)DOCSIS 3.x",
    "10 Mb/s Ethernet", "100 Mb/s Fast Ethernet", "1 Gigabit Ethernet", "2,5 Gigabit Ethernet",
    "5 Gigabit Ethernet", "10 Gigabit Ethernet", "25 Gigabit Ethernet", "100 Gigabit Ethernet",
    "WiFi – 802.11a w paśmie 5GHz", "WiFi – 802.11b w paśmie 2.4GHz", "WiFi – 802.11g w paśmie 2.4GHz",
    "WiFi – 802.11n w paśmie 2.4GHz", "WiFi – 802.11n w paśmie 5GHz", "WiFi – 802.11ac w paśmie 5GHz",
    "WiFi – 802.11ax w paśmie 2.4GHz", "WiFi – 802.11ax w paśmie 5GHz", "WiFi – 802.11ax w paśmie 6GHz",
    "WiFi – 802.11ad w paśmie 60GHz", "WiMAX", "LMDS", "radiolinia", "CWDM", "DWDM", "SDH/PDH",
    "EPON", "10G-EPON", "GPON", "NGPON1 (XGPON)", "NGPON2 (XGPON)", "XGSPON", "25G PON",
    "MoCA", "CoaxData", "EoC",
    "Inna określona w narzędziu teleinformatycznym udostępnionym przez Prezesa UKE, zwanym dalej "
    "„narzędziem teleinformatycznym”.",
    # mobile / FWA (SIDUSIS)
    "GSM", "UMTS", "HSPA", "HSPA+", "LTE", "LTE-A", "NR NSA", "NR SA", "5G NR",
)

# Columns of a SIDUSIS ZS record after the record type.
_ZS_FIELDS = (
    "source_id", "terc", "locality", "simc", "street", "ulic", "house_number", "lat", "lon", "medium",
    "technology", "down", "up", "range_kind", "wholesale", "retail", "po_id",
)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


_TECH_BY_FOLD = {fold_text(t): t for t in TECHNOLOGIES}


def _canonical_technology(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical spellings and a mask of values not on the code lists."""
    folded = values.map({u: fold_text(u) for u in pd.unique(values)})  # few distinct values
    canon = folded.map(_TECH_BY_FOLD)
    unknown = canon.isna() & (folded != "")
    return canon.where(~unknown, values).fillna("").astype(object), unknown


def _media(values: pd.Series) -> pd.Series:
    """Schema media for a column of medium names (None where unknown)."""
    return values.map({u: medium_from_text(u) for u in pd.unique(values)})


def _speed_hint(text: str) -> str:
    m = re.search(r"(\d+(?:[.,]\d+)?)\s*(g|m)?", fold_text(text))
    if not m:
        return ""
    val = float(m.group(1).replace(",", "."))
    if m.group(2) == "g":
        val *= 1000
    codes = [c for c, v in SPEED_CODES_MBPS.items() if v == val]
    return f" ({val:g} Mb/s is code {codes[0]})" if codes else ""


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    """All cells as stripped ``str`` (``""`` for missing)."""
    return pd.DataFrame({c: as_text(df[c]) for c in df.columns}, index=df.index)


def _rows_text(rows: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more ({len(rows)} rows)" if len(rows) > limit else "")


def _points(lat: pd.Series, lon: pd.Series, source: str, errors: list[Problem], what: str) -> np.ndarray:
    """Point geometries (EPSG:4326) from lat/lon text; None where both are empty."""
    la, bad_la = parse_numbers(lat)
    lo, bad_lo = parse_numbers(lon)
    bad = bad_la | bad_lo
    if bad.any():
        rows = np.flatnonzero(bad)
        errors.append(Problem(file=source, row=_rows_text(rows),
                              message=f"cannot read the {what} coordinates "
                                      f"{lat.iloc[rows[0]]!r}, {lon.iloc[rows[0]]!r}",
                              fix="give latitude and longitude as decimal degrees (e.g. 52.25384)"))
    ok = np.isfinite(la) & np.isfinite(lo)
    half = (np.isfinite(la) ^ np.isfinite(lo)) & ~bad
    if half.any():
        rows = np.flatnonzero(half)
        errors.append(Problem(file=source, row=_rows_text(rows),
                              message=f"only one of the {what} coordinates is given",
                              fix="give both latitude and longitude, or neither"))
    geoms = np.full(len(lat), None, dtype=object)
    if ok.any():
        geoms[ok] = gpd.points_from_xy(lo[ok], la[ok])
    return geoms


def _finish(frame: pd.DataFrame, geoms: np.ndarray, source: str, warnings: list[Problem],
            extra: list[str]) -> gpd.GeoDataFrame:
    """Drop exact duplicate rows (counted warning) and build the GeoDataFrame."""
    gdf = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=gpd.GeoSeries(geoms), crs="EPSG:4326")
    key_cols = ["terc", "simc", "ulic", "house_number", "operator", "medium", "technology", "down_mbps", "up_mbps"]
    keys = gdf[key_cols].astype(str).copy()
    keys["_geom"] = gdf.geometry.to_wkt().fillna("")
    dup = keys.duplicated(keep="first").to_numpy()
    if dup.any():
        rows = np.flatnonzero(dup)
        warnings.append(Problem(file=source, row=_rows_text(rows),
                                message=f"{int(dup.sum())} duplicate coverage row(s) dropped (same address, operator, "
                                        "medium, technology and speed as an earlier row)",
                                fix="remove the repeated rows from the file to silence this"))
        gdf = gdf.loc[~dup].reset_index(drop=True)
    gdf.attrs[EXTRA_COLUMNS_ATTR] = tuple(extra)
    return gdf


def detect_coverage_format(path: str | Path) -> str | None:
    """``"uke_services"``, ``"sidusis"`` or ``None`` for a coverage file, by its content.

    UKE files have ``ua01_…`` – ``ua22_…`` columns (CSV header or GeoJSON
    properties); SIDUSIS files start records with ``DI``/``PO``/``ZS``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if re.search(r"[\"']?ua0[1-9]_", head, re.IGNORECASE) and re.search(r"ua2[01]_", head, re.IGNORECASE):
        return "uke_services"
    if suffix in (".csv", ".txt"):
        first = [ln.split(",")[0].split(";")[0].strip().strip('"') for ln in head.splitlines()[:20] if ln.strip()]
        if first and all(f in {"DI", "PO", "ZS"} for f in first[: max(1, len(first) - 1)]):
            return "sidusis"
    return None


# ---------------------------------------------------------------------------
# UKE "usługi w adresach"
# ---------------------------------------------------------------------------


def _uke_services(path: Path, operator: str | None) -> tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]:
    source = str(path)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    geom_from_file: np.ndarray | None = None
    if path.suffix.lower() in (".csv", ".txt"):
        raw, warns = read_csv_text(path, skipinitialspace=True)
        warnings += warns
    else:
        g = gpd.read_file(path, engine="pyogrio")
        if g.crs is not None and g.crs.to_epsg() not in (4326, None):
            g = g.to_crs(4326)
        geom_from_file = np.asarray(g.geometry.values, dtype=object) if g.geometry.notna().any() else None
        raw = pd.DataFrame(g.drop(columns=g.geometry.name))
    df = _clean(raw)

    cols: dict[str, str] = {}
    for c in df.columns:
        m = re.match(r"(ua\d\d)(?:_|$)", str(c).strip().lower())
        if m and m.group(1) not in cols:
            cols[m.group(1)] = c
    needed = {"ua04": "terc", "ua05": "simc", "ua07": "nr_porzadkowy", "ua10": "medium_dochodzace_do_pa",
              "ua11": "technologia_dostepowa", "ua21": "predkosc_uslugi_td"}
    for key, label in needed.items():
        if key not in cols:
            sugg = difflib.get_close_matches(f"{key}_{label}", [str(c) for c in df.columns], n=1, cutoff=0.6)
            hint = f"; did you mean {sugg[0]!r}?" if sugg else ""
            errors.append(Problem(file=source, message=f"column '{key}_{label}' not found{hint}",
                                  fix="use the UKE 'z7_uslugi_wadresach' template columns ua01 … ua22"))
    if errors:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), errors, warnings

    def col(key: str) -> pd.Series:
        return df[cols[key]] if key in cols else pd.Series([""] * len(df), index=df.index, dtype=object)

    n = len(df)
    op = operator or path.stem
    if operator is None:
        logger.info("%s: operator not given; using the file name %r", source, op)

    # speed codes
    speed = col("ua21")
    code = speed.where(~speed.str.fullmatch(r"\d"), "0" + speed)
    down = code.map(SPEED_CODES_MBPS).to_numpy(dtype=float, na_value=np.nan)
    empty = (speed == "").to_numpy()
    other = (code == _SPEED_CODE_OTHER).to_numpy()
    bad = np.isnan(down) & ~empty & ~other
    for r in np.flatnonzero(bad)[:5]:
        v = speed.iloc[r]
        errors.append(Problem(file=source, row=int(r),
                              message=f"column '{cols['ua21']}': speed {v!r} is not a UKE speed code{_speed_hint(v)}",
                              fix="write ua21 as the 2-digit code of the UKE list (01=2 Mb/s, 02=10, 03=20, 04=30, "
                                  "…, 11=100, …, 20=1000, …, 29=10000 Mb/s)"))
    if bad.sum() > 5:
        errors.append(Problem(file=source, row=_rows_text(np.flatnonzero(bad)[5:]),
                              message=f"{int(bad.sum())} rows in total have a speed that is not a UKE speed code",
                              fix="write ua21 as the 2-digit code of the UKE list"))
    if other.any():
        errors.append(Problem(file=source, row=_rows_text(np.flatnonzero(other)),
                              message="speed code 30 ('other, defined in the UKE tool') has no Mb/s value",
                              fix="replace it with the code of the actual speed, or remove the rows"))

    # medium
    medium = _media(col("ua10"))
    bad_m = medium.isna().to_numpy()
    if bad_m.any():
        rows = np.flatnonzero(bad_m)
        errors.append(Problem(file=source, row=_rows_text(rows),
                              message=f"column '{cols['ua10']}': medium {col('ua10').iloc[rows[0]]!r} "
                                      "is not on the UKE list",
                              fix="use światłowodowe, kablowe współosiowe miedziane, kablowe parowe miedziane, "
                                  "radiowe or inne"))

    tech, unknown = _canonical_technology(col("ua11"))
    if unknown.any():
        vals = sorted(set(col("ua11")[unknown]))
        warnings.append(Problem(file=source, row=_rows_text(np.flatnonzero(unknown.to_numpy())),
                                message=f"{int(unknown.sum())} row(s) with technology not on the UKE list: "
                                        f"{', '.join(repr(v) for v in vals[:5])}; kept as given",
                                fix="use the names of the UKE code list 'Technologie dostępowe' (e.g. GPON, VDSL2, "
                                    "(EURO)DOCSIS 3.x)"))

    if geom_from_file is not None:
        geoms = geom_from_file
        missing = np.array([g is None or g.is_empty for g in geoms])
        if missing.any() and "ua08" in cols and "ua09" in cols:
            geoms = geoms.copy()
            geoms[missing] = _points(col("ua08")[missing], col("ua09")[missing], source, errors, "ua08/ua09")
    elif "ua08" in cols and "ua09" in cols:
        geoms = _points(col("ua08"), col("ua09"), source, errors, "ua08/ua09")
    else:
        geoms = np.full(n, None, dtype=object)

    ulic = col("ua06")
    frame = pd.DataFrame({
        "address_id": "",
        "terc": col("ua04"),
        "simc": col("ua05"),
        "ulic": ulic.where(ulic != "99999", ""),
        "street": "",
        "house_number": col("ua07"),
        "operator": op,
        "medium": medium.fillna(""),
        "technology": tech,
        "down_mbps": down,
        "up_mbps": np.nan,
        "status": "existing",
        "year": pd.array([pd.NA] * n, dtype="Int64"),
        "source_id": col("ua01"),
        "pe_id": col("ua02"),
        "po_id": col("ua03"),
    }, index=df.index)

    if empty.any():
        warnings.append(Problem(file=source, row=_rows_text(np.flatnonzero(empty)),
                                message=f"{int(empty.sum())} row(s) without an Internet access speed (ua21 empty) "
                                        "are not coverage and were skipped",
                                fix="nothing to do if these rows declare other services only"))
    keep = ~empty
    gdf = _finish(frame.loc[keep], geoms[keep], source, warnings, ["source_id", "pe_id", "po_id"])
    return gdf, errors, warnings


def read_coverage_raw(path: Path, fmt: str, operator: str | None = None
                      ) -> tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]:
    """Read a coverage file of a known format without raising: rows, errors, warnings.

    Parameters
    ----------
    path
        The file.
    fmt
        ``"uke_services"`` or ``"sidusis"`` (:func:`detect_coverage_format`).
    operator
        Operator name where the file does not carry one.
    """
    reader = _uke_services if fmt == "uke_services" else _sidusis
    return reader(Path(path), operator)


def _read_checked(path: str | Path,
                  reader: Callable[[Path, str | None], tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]],
                  what: str, operator: str | None) -> gpd.GeoDataFrame:
    """Run a coverage ``reader`` (returns rows, errors, warnings).

    The warnings are logged; the errors raised all at once.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileNotFoundError(f"coverage file not found: {path}",
                                     [Problem(file=str(path), message="no such file", fix="check the path")])
    gdf, errors, warnings = reader(path, operator)
    log_warnings(warnings)
    if errors:
        raise InputDataError(f"{path}: cannot read {what}", errors)
    return gdf


def read_uke_services(path: str | Path, *, operator: str | None = None) -> gpd.GeoDataFrame:
    """Read a UKE inventory ``z7_uslugi_wadresach`` file (CSV or GeoJSON) as coverage.

    Parameters
    ----------
    path
        CSV (comma or semicolon separated, UTF-8) or GeoJSON with the
        ``ua01`` … ``ua22`` columns.
    operator
        Operator whose declaration the file is; default: the file name (stem).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :data:`planner.schema.COVERAGE` plus ``source_id``,
        ``pe_id``, ``po_id``; points in EPSG:4326 where coordinates are given.
        Exact duplicate rows are dropped (logged warning).

    Raises
    ------
    InputDataError
        Every error of the file at once: missing columns, speeds that are not
        UKE codes (e.g. ``'100 Mb/s'``; the message names the right code),
        unknown media, unreadable coordinates.

    Examples
    --------
    >>> from planner import datasets
    >>> cov = read_uke_services(datasets.get_path("uke_ua_csv"), operator="Demo")
    >>> cov["medium"].iloc[0], cov["technology"].iloc[0], float(cov["down_mbps"].iloc[0])
    ('fibre', '1 Gigabit Ethernet', 100.0)
    """
    return _read_checked(path, _uke_services, "the UKE 'usługi w adresach' file", operator)


# ---------------------------------------------------------------------------
# SIDUSIS
# ---------------------------------------------------------------------------


def _sidusis(path: Path, operator: str | None) -> tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]:
    source = str(path)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    raw, warns = read_csv_text(path, sep=",", header=None, names=list(range(32)), skipinitialspace=True,
                               engine="python")
    warnings += warns
    df = _clean(raw)
    kind = df[0]
    di = df[kind == "DI"]
    po_ids = set(df.loc[kind == "PO", 1])
    op = operator or (di.iloc[0][1] if len(di) and di.iloc[0][1] else path.stem)
    other = ~kind.isin(["DI", "PO", "ZS"]) & (df.drop(columns=0) != "").any(axis=1)
    if other.any():
        warnings.append(Problem(file=source, row=_rows_text(np.flatnonzero(other.to_numpy())),
                                message=f"{int(other.sum())} line(s) are not DI/PO/ZS records and were ignored "
                                        f"(first: {df.loc[other, 0].iloc[0]!r})",
                                fix="remove header or comment lines"))
    zs = df[kind == "ZS"]
    rows_in_file = np.flatnonzero((kind == "ZS").to_numpy())
    too_long = (zs.iloc[:, len(_ZS_FIELDS) + 1:] != "").any(axis=1).to_numpy()
    if too_long.any():
        errors.append(Problem(file=source, row=_rows_text(rows_in_file[too_long]),
                              message=f"ZS record has more than {len(_ZS_FIELDS) + 1} fields",
                              fix="quote fields that contain commas"))
    z = zs.iloc[:, 1: len(_ZS_FIELDS) + 1].copy()
    z.columns = list(_ZS_FIELDS)
    z = z.reset_index(drop=True)

    down, bad_d = parse_numbers(z["down"])
    up, bad_u = parse_numbers(z["up"])
    for name, bad_mask, vals in (("max downlink", bad_d, z["down"]), ("max uplink", bad_u, z["up"])):
        if bad_mask.any():
            rows = rows_in_file[bad_mask]
            errors.append(Problem(file=source, row=_rows_text(rows),
                                  message=f"{name} {vals[bad_mask].iloc[0]!r} is not a number of Mb/s",
                                  fix="write the speed in Mb/s as a plain number (e.g. 300)"))
    no_down = np.isnan(down) & ~bad_d
    if no_down.any():
        errors.append(Problem(file=source, row=_rows_text(rows_in_file[no_down]),
                              message="ZS record without max downlink", fix="give the maximum downlink in Mb/s"))

    medium = _media(z["medium"])
    bad_m = medium.isna().to_numpy()
    if bad_m.any():
        errors.append(Problem(file=source, row=_rows_text(rows_in_file[bad_m]),
                              message=f"medium {z['medium'][bad_m].iloc[0]!r} is not on the list",
                              fix="use światłowodowe, kablowe współosiowe miedziane, kablowe parowe miedziane, "
                                  "radiowe (FWA) or inne"))
    tech, unknown = _canonical_technology(z["technology"])
    if unknown.any():
        vals = sorted(set(z["technology"][unknown]))
        warnings.append(Problem(file=source, row=_rows_text(rows_in_file[unknown.to_numpy()]),
                                message=f"{int(unknown.sum())} row(s) with technology not on the UKE list: "
                                        f"{', '.join(repr(v) for v in vals[:5])}; kept as given",
                                fix="use the names of the UKE/SIDUSIS technology list"))
    unknown_po = ~z["po_id"].isin(po_ids) & (z["po_id"] != "")
    if unknown_po.any() and po_ids:
        warnings.append(Problem(file=source, row=_rows_text(rows_in_file[unknown_po.to_numpy()]),
                                message=f"ZS record names representative {z['po_id'][unknown_po].iloc[0]!r} "
                                        "that has no PO record", fix="add the PO record"))

    geoms = _points(z["lat"], z["lon"], source, errors, "ZS")
    street = z["street"].str.replace(r"^\s*ul\.\s*", "", regex=True)
    n = len(z)
    frame = pd.DataFrame({
        "address_id": "",
        "terc": z["terc"],
        "simc": z["simc"],
        "ulic": z["ulic"].where(z["ulic"] != "99999", ""),
        "street": street,
        "house_number": z["house_number"],
        "operator": op,
        "medium": medium.fillna(""),
        "technology": tech,
        "down_mbps": down,
        "up_mbps": up,
        "status": "existing",
        "year": pd.array([pd.NA] * n, dtype="Int64"),
        "locality": z["locality"],
        "source_id": z["source_id"],
        "range_kind": z["range_kind"],
        "wholesale": z["wholesale"].str.upper().eq("TAK"),
        "retail": z["retail"].str.upper().eq("TAK"),
        "po_id": z["po_id"],
    })
    gdf = _finish(frame, geoms, source, warnings,
                  ["locality", "source_id", "range_kind", "wholesale", "retail", "po_id"])
    return gdf, errors, warnings


def read_sidusis(path: str | Path, *, operator: str | None = None) -> gpd.GeoDataFrame:
    """Read a SIDUSIS CSV (``ZS`` records) as coverage.

    Parameters
    ----------
    path
        SIDUSIS CSV (UTF-8, comma separated, record type in the first field).
    operator
        Operator name; default: the name of the ``DI`` record (else the file name).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :data:`planner.schema.COVERAGE` plus ``locality``,
        ``source_id``, ``range_kind`` (rzeczywisty/teoretyczny),
        ``wholesale``, ``retail``, ``po_id``; points in EPSG:4326 where
        coordinates are given.  Exact duplicate rows are dropped (logged warning).

    Raises
    ------
    InputDataError
        Every error of the file at once (speeds that are not numbers, unknown
        media, unreadable coordinates, malformed records).

    Examples
    --------
    >>> from planner import datasets
    >>> cov = read_sidusis(datasets.get_path("sidusis"))
    >>> len(cov), cov["operator"].iloc[0]
    (6, 'Szkolenie OP01')
    """
    return _read_checked(path, _sidusis, "the SIDUSIS file", operator)
