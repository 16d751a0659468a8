"""Reason texts: what each coverage row says, and the Polish wording for the councillors' map.

An address with NGA lists its NGA rows (``NGA: GPON 1000 Mb/s (X)``); a white
spot lists what it has instead (``only VDSL2 30 Mb/s (X)``, ``planned GPON
2027 by X, beyond horizon 2026``, ``; +2 more``) or ``no offer``.
:func:`row_descriptions` builds the fragment of every coverage row (once per
distinct declaration), :mod:`planner.whitespots.summaries` picks an address's
fragments, and :func:`localize_reasons` rewords the result in Polish.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.whitespots.codes import first_positions
from planner.whitespots.coverage import (
    CAT_BEYOND,
    CAT_NGA_NOW,
    CAT_NGA_PLANNED,
    CAT_NOT_FIXED,
    CAT_SLOW,
    declarations,
)

__all__ = ["factorize_texts", "format_numbers", "localize_reasons", "row_descriptions"]


def format_numbers(values: np.ndarray) -> np.ndarray:
    """Floats as short texts: ``'30'``, ``'100'``, ``'0.5'``; NaN as ``''``.

    Parameters
    ----------
    values
        Numbers.

    Returns
    -------
    numpy.ndarray
        Object array of texts (each distinct value formatted once).
    """
    codes, uniq = pd.factorize(pd.Series(values, dtype=float), use_na_sentinel=True)
    text = np.array([f"{u:g}" for u in uniq] + [""], dtype=object)
    return text[np.where(codes < 0, len(uniq), codes)]


def row_descriptions(cov: pd.DataFrame,
                     declared: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reason fragment of every coverage row, built once per distinct declaration.

    Parameters
    ----------
    cov
        Output of :func:`planner.whitespots.coverage.prepare_coverage`.
    declared
        :func:`planner.whitespots.coverage.declarations` of ``cov`` (computed if not given).

    Returns
    -------
    codes : numpy.ndarray
        The code of each row's fragment.
    fragments : numpy.ndarray
        The fragments, sorted (so that codes order like the texts).
    """
    combo, first = declarations(cov) if declared is None else declared
    u = cov.iloc[first]
    cat = u["cat"].to_numpy()
    op = cov.attrs["op_display"][u["op"].to_numpy()]
    tech = cov.attrs["tech_u"][u["tech"].to_numpy()]
    tech = np.where(tech == "", "unknown technology", tech)
    medium = cov.attrs["medium_u"][u["medium"].to_numpy()]
    speed = format_numbers(u["down"].to_numpy())
    year = format_numbers(u["year"].to_numpy())
    year = np.where(year == "", "(no year)", year)
    horizon = str(cov.attrs["horizon"])

    def s(a: npt.ArrayLike) -> pd.Series:
        return pd.Series(a, dtype=object)

    offer = s(tech) + " " + s(speed) + " Mb/s"
    text = np.select(
        [cat == CAT_NGA_NOW, cat == CAT_NGA_PLANNED, cat == CAT_SLOW, cat == CAT_NOT_FIXED, cat == CAT_BEYOND],
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


def factorize_texts(code: np.ndarray, text: Callable[[int], str], none: str) -> tuple[np.ndarray, list[str]]:
    """Codes into texts of integer tuple codes, each text built once.

    Parameters
    ----------
    code
        One integer code per row; ``code < 0``: the text ``none``.
    text
        The text of a code, from the position of its first occurrence.
    none
        Text of the rows without a code.

    Returns
    -------
    codes : numpy.ndarray
        Index of each row's text.
    texts : list of str
        ``none`` first, then the texts in order of first appearance.
    """
    out = np.zeros(len(code), dtype=np.int64)
    has = np.flatnonzero(code >= 0)
    if not len(has):
        return out, [none]
    f, _ = pd.factorize(code[has])
    first = first_positions(f.astype(np.int64))
    out[has] = f + 1
    return out, [none] + [text(int(i)) for i in has[first]]


# Polish wording of the reason texts built by row_descriptions/summarise (English is the
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
    """White-spot reasons (``ws_reason``) in ``lang``.

    Parameters
    ----------
    reasons
        Reason texts as the classifier writes them (English phrases: ``no
        offer``, ``only VDSL2 30 Mb/s (X)``, ``planned GPON 2027 by X, beyond
        horizon 2026``, ``; +2 more``).
    lang
        ``"pl"`` rewords them for the councillor map, keeping operator and
        technology names; ``"en"`` (or anything else) keeps them.

    Returns
    -------
    pandas.Series
        Texts (missing as ``''``); each distinct text is translated once.
    """
    text = reasons.astype(object).fillna("").astype(str)
    if lang != "pl":
        return text
    t = _REASON_PL

    def planned(m: re.Match[str]) -> str:
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
