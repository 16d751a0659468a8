"""The per-locality table of a classified address layer."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from planner.whitespots.codes import codes
from planner.whitespots.keys import arrow_fold, column

__all__ = ["locality_table"]


def _text(addresses: pd.DataFrame, name: str) -> object:
    return column(addresses, name).astype(object).fillna("").astype(str).to_numpy(dtype=object)


def locality_table(addresses: pd.DataFrame, commune_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per-locality counts of a classified address layer.

    Parameters
    ----------
    addresses
        Output of :func:`planner.whitespots.classify`.
    commune_names
        TERC code (6 digits ``WWPPGG``) -> commune name, e.g.
        :func:`planner.io.teryt.read_commune_names`; ``None`` (or a code
        missing from it): the ``commune`` column holds the locality's TERC code.

    Returns
    -------
    pandas.DataFrame
        Columns ``terc, simc, locality, commune, points, businesses, white, grey,
        black, barriers, targets``, sorted by ``terc`` and ``locality`` (Polish
        names compared without diacritics), then ``simc``.  ``businesses``
        counts all business points of the locality.
    """
    df = pd.DataFrame({
        "terc": _text(addresses, "terc"),
        "simc": _text(addresses, "simc"),
        "locality": _text(addresses, "locality"),
        "points": 1,
        "businesses": column(addresses, "is_business", False).fillna(False).astype(bool).to_numpy().astype(int),
        "white": (addresses["ws_class"] == "white").to_numpy().astype(int),
        "grey": (addresses["ws_class"] == "grey").to_numpy().astype(int),
        "black": (addresses["ws_class"] == "black").to_numpy().astype(int),
        "barriers": addresses["is_barrier"].to_numpy().astype(int),
        "targets": addresses["is_target"].to_numpy().astype(int),
    })
    table = df.groupby(["terc", "simc", "locality"], sort=True, as_index=False).sum()
    names = commune_names or {}
    t6 = table["terc"].str.zfill(7).str[:6]
    table.insert(3, "commune", [names.get(t, terc) for t, terc in zip(t6, table["terc"])])
    table["_key"] = codes(table["locality"], arrow_fold)[0]  # Polish names sorted without diacritics
    table = table.sort_values(["terc", "_key", "simc"], kind="stable").drop(columns="_key")
    return table.reset_index(drop=True)
