"""Real TERYT names and codes for the synthetic areas (``data/teryt``).

The demo area takes the 55 localities (SIMC) and 919 streets (ULIC) of Serock
and Wieliszew; a synthetic region (:mod:`planner.synthetic.region`) takes real
communes (TERC) of a voivodeship from the official GUS TERC file and gives its
localities real locality and street names from the same SIMC/ULIC lists.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pandas as pd

from planner import datasets

__all__ = ["read_simc_ulic", "Commune", "read_communes"]

#: ``ul.`` / ``al.`` prefixes of TERYT street names, dropped from the road and address names.
_STREET_PREFIX = r"^(ul\.|al\.)\s+"


def read_simc_ulic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SIMC and ULIC rows of Serock and Wieliszew.

    Returns
    -------
    simc : pandas.DataFrame
        Columns ``terc, commune, simc, locality, rm, sympod`` (text), sorted by ``simc``.
    ulic : pandas.DataFrame
        Columns ``simc, ulic, full, name`` (``name`` without ``ul.``/``al.``),
        sorted by ``simc, ulic``.
    """
    simc = pd.read_csv(datasets.get_path("teryt_simc"), dtype=str)
    simc.columns = ["terc", "commune", "simc", "locality", "rm", "sympod"]
    ulic = pd.read_csv(datasets.get_path("teryt_ulic"), dtype=str)
    ulic.columns = ["simc", "ulic", "full"]
    ulic["name"] = ulic["full"].str.replace(_STREET_PREFIX, "", regex=True)
    return simc.sort_values("simc").reset_index(drop=True), ulic.sort_values(["simc", "ulic"]).reset_index(drop=True)


@dataclass(frozen=True)
class Commune:
    """A commune (gmina) of the TERC file.

    Attributes
    ----------
    terc
        7-digit TERC code ``WWPPGGR`` of the commune as a whole.
    name
        Commune name.
    kind
        TERC ``RODZ``: 1 urban, 2 rural, 3 urban-rural commune.
    """

    terc: str
    name: str
    kind: int


def read_communes(voivodeship: str | None = None) -> list[Commune]:
    """Communes (RODZ 1, 2 and 3) of the GUS TERC file, in code order.

    Parameters
    ----------
    voivodeship
        Two-digit voivodeship code (e.g. ``"14"`` Mazowieckie); ``None`` for all.

    Returns
    -------
    list of Commune
    """
    out: list[Commune] = []
    for _, elem in ET.iterparse(datasets.get_path("teryt_terc")):
        if elem.tag != "row":
            continue
        woj, pow_, gmi, rodz = (elem.findtext(k) or "" for k in ("WOJ", "POW", "GMI", "RODZ"))
        if gmi and rodz in ("1", "2", "3") and (voivodeship is None or woj == voivodeship):
            out.append(Commune(terc=woj + pow_ + gmi + rodz, name=elem.findtext("NAZWA") or "", kind=int(rodz)))
        elem.clear()
    return sorted(out, key=lambda c: c.terc)
