"""The study area: the validated input layers of one unit of work.

A study area (one commune or a few neighbouring ones) is what every stage
reads.  It is built by :func:`planner.io.load_area` (files) and holds each
layer of :mod:`planner.schema` as a GeoDataFrame in the working CRS, with the
schema's columns and dtypes.  Optional layers that were not given are empty
GeoDataFrames with the right columns, so stages never test for ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from planner.schema import LAYERS, LayerSpec

__all__ = ["Area", "empty_layer"]

_PANDAS_DTYPES = {
    "str": object,
    "int": "int64",
    "float": "float64",
    "bool": "bool",
    "date": "datetime64[ns]",
    "Int": "Int64",
}


def empty_layer(spec: LayerSpec | str, crs: str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame with the columns and dtypes of a layer."""
    if isinstance(spec, str):
        spec = LAYERS[spec]
    data = {c.name: pd.Series([], dtype=_PANDAS_DTYPES[c.dtype]) for c in spec.columns}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


@dataclass
class Area:
    """Validated layers of one study area.

    Attributes
    ----------
    name
        Short name (used in output file names and logs).
    crs
        Working CRS of every layer (EPSG:2180 for Polish areas).
    bounds
        Study-area bounds ``(minx, miny, maxx, maxy)`` in the working CRS.
    layers
        Layer name -> GeoDataFrame, for every layer of :data:`planner.schema.LAYERS`
        (empty where not given).
    sources
        Layer name -> the file (and layer) it was read from, for messages.
    """

    name: str
    crs: str
    bounds: tuple[float, float, float, float]
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in LAYERS:
            if name not in self.layers or self.layers[name] is None:
                self.layers[name] = empty_layer(name, self.crs)

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        return self.layers[name]

    # Convenience accessors for the layers every stage uses.
    @property
    def addresses(self) -> gpd.GeoDataFrame:
        """The address points (PRG punkty adresowe)."""
        return self.layers["addresses"]

    @property
    def roads(self) -> gpd.GeoDataFrame:
        """The roads the network may follow."""
        return self.layers["roads"]

    @property
    def pops(self) -> gpd.GeoDataFrame:
        """The points of presence (POP/OLT sites)."""
        return self.layers["pops"]

    def summary(self) -> pd.DataFrame:
        """Feature count and source of every layer."""
        rows = [
            {"layer": n, "features": len(g), "source": self.sources.get(n, "")}
            for n, g in self.layers.items()
        ]
        return pd.DataFrame(rows)
