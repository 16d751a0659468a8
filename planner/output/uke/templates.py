"""The official UKE inventory templates ("zestaw 7") and code lists (słowniki), and the codes used."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from planner._errors import InputDataError, Problem

__all__ = [
    "CABLE_SIZES", "FIBRE_RESERVE", "INSTALLATION", "LK06", "MEDIUM", "PE_CLOSURE", "PE_LIGHTING_MAST", "PE_POLE",
    "SERVICE_END_USERS", "SPEED_CODE_1000", "TECHNOLOGY", "UKE_LAYERS", "code_lists", "template_columns",
    "templates_dir",
]

#: Layer key -> template file stem (without extension).
UKE_LAYERS: dict[str, str] = {
    "lk": "z7_liniekablowe_2_szablon_20230131",
    "pe": "z7_punkty_elastycznosci_3_szablon_20230131",
    "ua": "z7_uslugi_wadresach_2_szablon_20230131",
}
#: Code list "Rodzaj linii kablowej" entries used (checked against the slowniki file).
LK06: dict[str, str] = {
    "aerial_power": "Linia kablowa nadziemna na podbudowie elektroenergetycznej, oświetleniowej lub trakcyjnej",
    "aerial_commune_lighting": "Linia kablowa nadziemna na podbudowie elektroenergetycznej, oświetleniowej lub "
                               "trakcyjnej",
    "aerial_telecom": "Linia kablowa nadziemna na podbudowie słupowej telekomunikacyjnej",
    "duct": "Linia kablowa umieszczona w kanale technologicznym",
    "trench_microduct": "Linia kablowa umieszczona w kanalizacji kablowej (w tym w rurociągu kablowym, "
                        "mikrokanalizacji)",
    "trench_ground": "Linia kablowa podziemna (umieszczona bezpośrednio w ziemi)",
}
#: pe02 codes (code list "Typ lokalizacji punktu elastyczności").
PE_CLOSURE, PE_LIGHTING_MAST, PE_POLE = "03", "10", "12"
MEDIUM = "światłowodowe"
TECHNOLOGY = "GPON"           # code list "Technologie dostępowe" [A: the planned FTTH is GPON]
SPEED_CODE_1000 = "20"        # code list "Prędkość łącza internetowego": 1000 Mb/s
SERVICE_END_USERS = "09"      # code list "Typ usługi": usługa świadczona dla użytkowników końcowych
#: ua12: the only value the UKE template shows; the FTTH drop ends in the building's own fibre [A].
INSTALLATION = "W budynku sprawozdawca posiada instalację telekomunikacyjną budynku"
CABLE_SIZES = (12, 24, 48, 72, 96, 144, 288, 576)
FIBRE_RESERVE = 0.2           # [A] spare fibres on top of one per point downstream


def templates_dir(uke_dir: str | Path | None = None) -> Path:
    """Directory of the UKE templates and code lists (``uke_dir``, else the bundled ``data/uke``)."""
    if uke_dir is not None:
        return Path(uke_dir)
    from planner.datasets import DATA_DIR

    return DATA_DIR / "uke"


def template_columns(layer: str, uke_dir: str | Path | None = None) -> list[str]:
    """Column names of a template CSV (``layer``: ``'lk'``, ``'pe'`` or ``'ua'``), in order."""
    path = templates_dir(uke_dir) / "zestaw7_csv" / f"{UKE_LAYERS[layer]}.csv"
    if not path.exists():
        raise InputDataError(f"UKE template {path} not found", [Problem(
            file=str(path), message="the UKE zestaw 7 CSV template is missing",
            fix="copy the templates into data/uke/zestaw7_csv (see data/SOURCES.md)")])
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    return [h.strip() for h in header]


@lru_cache(maxsize=4)
def _code_lists_cached(path: str) -> dict[str, tuple[str, ...]]:
    lists: dict[str, list[str]] = {}
    current = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n").strip()
            if line.startswith("## "):
                current = line[3:].strip()
                lists[current] = []
            elif line and current is not None:
                lists[current].append(line)
    out = {}
    for name, values in lists.items():
        if values and "|" in values[0]:  # a table: header row, then 'label | code'
            rows = [tuple(p.strip() for p in v.split("|")) for v in values[1:]]
            out[name] = tuple(r[-1] for r in rows)
            out[name + " (labels)"] = tuple(r[0] for r in rows)
        else:
            out[name] = tuple(values)
    return out


def code_lists(uke_dir: str | Path | None = None) -> dict[str, tuple[str, ...]]:
    """UKE code lists (słowniki) by heading; for coded tables the codes (and ``'<name> (labels)'``)."""
    return _code_lists_cached(str(templates_dir(uke_dir) / "slowniki_inwentaryzacja_uke.txt"))
