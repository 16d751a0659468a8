"""The GUS TERYT dictionaries bundled in ``data/teryt``: commune names by TERC code.

The white-spot stage's per-locality table names the commune of each locality
(:func:`planner.whitespots.locality_table`); the names come from the official
GUS TERC file (``TERC_Urzedowy_*.xml``), read here once per process.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from planner._errors import InputDataError, Problem
from planner.datasets import DATA_DIR

__all__ = ["read_commune_names", "terc_file"]


def terc_file() -> Path | None:
    """The newest bundled GUS TERC file (``data/teryt/TERC*.xml``), ``None`` if there is none.

    Returns
    -------
    pathlib.Path or None
    """
    folder = DATA_DIR / "teryt"
    files = sorted(folder.glob("TERC*.xml")) if folder.is_dir() else []
    return files[-1] if files else None


@lru_cache(maxsize=4)
def _names(path: str) -> dict[str, str]:
    names: dict[str, str] = {}
    try:
        for _, elem in ET.iterparse(path):
            if elem.tag == "row":
                woj, pow_, gmi = (elem.findtext(k) or "" for k in ("WOJ", "POW", "GMI"))
                if gmi:
                    names.setdefault(woj + pow_ + gmi, elem.findtext("NAZWA") or "")
                elem.clear()
    except (ET.ParseError, OSError) as exc:
        raise InputDataError(f"cannot read the TERC dictionary {path}", [Problem(
            file=path, message=f"not a readable GUS TERC XML file: {exc}",
            fix="download TERC_Urzedowy from https://eteryt.stat.gov.pl (XML) or remove the file")]) from exc
    return names


def read_commune_names(path: str | Path | None = None) -> dict[str, str]:
    """Commune names by TERC code (6 digits ``WWPPGG``) from a GUS TERC XML file.

    Parameters
    ----------
    path
        A ``TERC_Urzedowy_*.xml`` file; ``None``: the bundled one (:func:`terc_file`).

    Returns
    -------
    dict
        TERC (6 digits) -> commune name (the first entry of each commune);
        empty when ``path`` is ``None`` and no file is bundled.

    Raises
    ------
    InputDataError
        The file is not a readable TERC XML file.
    """
    if path is None:
        path = terc_file()
        if path is None:
            return {}
    return dict(_names(str(path)))
