"""Hand-built small study areas for the cost-graph and design tests.

Coordinates are EPSG:2180 metres near Serock (E 640 000 / N 518 000); every
geometry is given relative to that origin so the cases read like sketches.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from planner.area import Area, empty_layer
from planner.schema import LAYERS

CRS = "EPSG:2180"
X0, Y0 = 640_000.0, 518_000.0


def xy(x: float, y: float) -> tuple[float, float]:
    """Absolute coordinates of a point given relative to the origin."""
    return (X0 + x, Y0 + y)


def line(*pts: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([xy(*p) for p in pts])


def point(x: float, y: float) -> shapely.Point:
    return shapely.Point(xy(x, y))


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(*xy(x0, y0), *xy(x1, y1))


def layer(name: str, rows: list[dict]) -> gpd.GeoDataFrame:
    """A layer of the schema from row dicts (missing optional columns get their defaults)."""
    spec = LAYERS[name]
    if not rows:
        return empty_layer(spec, CRS)
    df = pd.DataFrame(rows)
    for c in spec.columns:
        if c.name not in df:
            df[c.name] = c.default
    geom = df.pop("geometry")
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(list(geom), crs=CRS), crs=CRS)


def make_area(*, roads: list[dict], pops: list[dict] | None = None, poles: list[dict] | None = None,
              ducts: list[dict] | None = None, parcels: list[dict] | None = None,
              addresses: list[dict] | None = None) -> Area:
    """An :class:`Area` from row dicts; default POP at the origin."""
    pops = pops if pops is not None else [{"id": "POP1", "geometry": point(0, 0)}]
    layers = {
        "roads": layer("roads", roads),
        "pops": layer("pops", pops),
        "poles": layer("poles", poles or []),
        "ducts": layer("ducts", ducts or []),
        "parcels": layer("parcels", parcels or []),
        "addresses": layer("addresses", addresses or []),
    }
    return Area(name="test", crs=CRS, bounds=(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000), layers=layers)


def address(i: int | str, x: float, y: float, *, simc: str = "0001001", locality: str = "Testowo",
            target: bool = True) -> dict:
    """An address row with the white-spot columns the design stage reads."""
    return {
        "id": str(i), "terc": "1408043", "simc": simc, "ulic": "", "locality": locality, "street": "",
        "house_number": str(i), "postcode": "", "is_business": False, "status": "istniejacy",
        "ws_class": "white" if target else "black", "ws_reason": "", "n_nga_now": 0, "n_nga_planned": 0,
        "match_method": "none", "is_barrier": False, "barrier_reason": "", "is_target": target,
        "geometry": point(x, y),
    }


def addresses_gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    """Classified address points (white-spot stage output) from :func:`address` rows."""
    if not rows:
        df = pd.DataFrame([address(0, 0, 0)]).iloc[0:0]
        geom = df.pop("geometry")
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    df = pd.DataFrame(rows)
    geom = df.pop("geometry")
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(list(geom), crs=CRS), crs=CRS)
