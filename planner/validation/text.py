"""Reading cell values: text, folded names, numbers, booleans and coverage media."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from planner.schema import COVERAGE_MEDIA

__all__ = [
    "FALSE_VALUES",
    "MEDIA",
    "TRUE_VALUES",
    "VALUE_SYNONYMS",
    "as_text",
    "fold_text",
    "medium_from_text",
    "missing_mask",
    "norm_name",
    "parse_bools",
    "parse_numbers",
]

#: Spellings of booleans accepted in any input (Polish included).
TRUE_VALUES = {"true", "t", "yes", "y", "1", "tak", "prawda", "1.0"}
FALSE_VALUES = {"false", "f", "no", "n", "0", "nie", "falsz", "fałsz", "0.0"}

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

#: Media of the coverage layer (:data:`planner.schema.COVERAGE_MEDIA`).
MEDIA: tuple[str, ...] = COVERAGE_MEDIA


def norm_name(name: object) -> str:
    """Column name as compared: lower case, ``_`` for runs of separators (``"Kod SIMC"`` -> ``"kod_simc"``)."""
    return re.sub(r"[\s:\-./]+", "_", str(name).strip().lower()).strip("_")


def as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text, vectorised.

    Parameters
    ----------
    s
        Any column.

    Returns
    -------
    pandas.Series
        ``object`` dtype holding ``str``; ``""`` for NaN/None/NA.
    """
    o = s.astype(object)
    return o.where(~o.isna(), "").astype("str").str.strip().astype(object)


def fold_text(text: object) -> str:
    """Lower case without Polish diacritics, single spaces (``'Światłowodowe '`` -> ``'swiatlowodowe'``).

    Parameters
    ----------
    text
        Any value (its ``str``).

    Returns
    -------
    str
    """
    t = unicodedata.normalize("NFKD", str(text).replace("ł", "l").replace("Ł", "L"))
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return " ".join(t.lower().split())


def medium_from_text(value: object) -> str | None:
    """Map a medium name (UKE/SIDUSIS Polish or English) onto :data:`MEDIA`.

    Parameters
    ----------
    value
        Medium as written in the source.

    Returns
    -------
    str or None
        One of :data:`MEDIA`; ``None`` when the text is not recognised (or empty).

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


def missing_mask(s: pd.Series) -> np.ndarray:
    """Where a raw value means "no value".

    Parameters
    ----------
    s
        Any column.

    Returns
    -------
    numpy.ndarray
        True for NaN/None/NA, empty or blank text.
    """
    blank: np.ndarray
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        blank = s.isna().to_numpy()
    else:
        blank = (as_text(s) == "").to_numpy(bool)
    return blank


def parse_numbers(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of a column, Polish decimal commas included.

    Parameters
    ----------
    s
        Numbers or text.

    Returns
    -------
    values : numpy.ndarray
        float64, NaN where missing or unreadable.
    bad : numpy.ndarray
        Non-empty entries that are not numbers.
    """
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


def parse_bools(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Booleans of a column (``true/false``, ``1/0``, ``yes/no``, ``tak/nie``, ...).

    Parameters
    ----------
    s
        Booleans or text.

    Returns
    -------
    values, missing, bad : numpy.ndarray
        The values (False where missing or unreadable), missing entries, unreadable entries.
    """
    if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
        return s.to_numpy(dtype=bool), np.zeros(len(s), bool), np.zeros(len(s), bool)
    text = as_text(s).str.lower()
    miss = (text == "").to_numpy(bool)
    is_true = text.isin(TRUE_VALUES).to_numpy(bool)
    is_false = text.isin(FALSE_VALUES).to_numpy(bool)
    bad = ~(is_true | is_false | miss)
    return is_true, miss, bad


