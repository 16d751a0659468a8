"""GeoPackage layers written through :mod:`planner.output.gpkg_layers` are the files pyogrio writes (the oracle)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.output import files, gpkg_layers
from planner.output.gpkg_layers import write_layer

pytestmark = pytest.mark.filterwarnings("ignore:.crs. was not provided")


def _outcome(write, df, path, name, geometry_type):
    """The file's bytes (fixed GDAL timestamp), or the type of the error raised."""
    path.unlink(missing_ok=True)
    try:
        with files._gpkg_write_options():
            write(df, path, name, geometry_type)
    except Exception as exc:  # noqa: BLE001  # pyarrow's and GDAL's errors: the same type either way
        return type(exc)
    return path.read_bytes()


def _both(df, tmp_path, geometry_type=None, name="layer"):
    """What write_layer and pyogrio.write_dataframe give for ``df``."""
    mine = _outcome(lambda d, p, n, g: write_layer(d, p, n, geometry_type=g), df, tmp_path / "a.gpkg", name,
                    geometry_type)
    theirs = _outcome(lambda d, p, n, g: pyogrio.write_dataframe(d, p, layer=n, driver="GPKG", geometry_type=g,
                                                                 use_arrow=True), df, tmp_path / "b.gpkg", name,
                      geometry_type)
    return mine, theirs


_GEOMS = {
    "point": lambda r: shapely.points(r.uniform(640_000, 641_000, (6, 2))),
    "line": lambda r: shapely.linestrings(r.uniform(640_000, 641_000, (6, 3, 2))),
    "polygon": lambda r: shapely.buffer(shapely.points(r.uniform(640_000, 641_000, (6, 2))), 5.0),
    "multiline": lambda r: np.array([shapely.MultiLineString([x]) for x in shapely.linestrings(
        r.uniform(640_000, 641_000, (6, 3, 2)))], dtype=object),
    "z": lambda r: shapely.points(r.uniform(640_000, 641_000, (6, 3))),
    "mixed_single_multi": lambda r: np.array([*shapely.linestrings(r.uniform(0, 9, (3, 2, 2))), *[
        shapely.MultiLineString([x]) for x in shapely.linestrings(r.uniform(0, 9, (3, 2, 2)))]], dtype=object),
    "mixed_types": lambda r: np.array([*shapely.points(r.uniform(0, 9, (3, 2))),
                                       *shapely.linestrings(r.uniform(0, 9, (3, 2, 2)))], dtype=object),
}

_COLUMNS = {
    "float": lambda: [1.5, np.nan, -0.0, 1e300, 2.0, 3.25],
    "int": lambda: np.arange(6, dtype="int64") * 10**12,
    "bool": lambda: [True, False, True, True, False, False],
    "str": lambda: pd.Series(["a", None, "ł", "", "x,y", "z"], dtype="str"),
    "object_text": lambda: pd.Series(["a", None, "b", "c", "d", "e"], dtype=object),
    "object_mixed": lambda: pd.Series(["a", 1, 2.5, None, True, "b"], dtype=object),
    "object_none": lambda: pd.Series([None] * 6, dtype=object),
    "object_dates": lambda: pd.Series([dt.datetime(2025, 7, 31, 12), None, dt.datetime(2026, 1, 1),
                                       dt.datetime(2024, 2, 29), dt.datetime(2025, 1, 1), dt.datetime(2000, 1, 1)],
                                      dtype=object),
    "datetime": lambda: pd.to_datetime(["2025-07-31", None, "2026-12-31", "2025-01-01", "2024-04-02", "2030-01-01"]),
    "tz_warsaw": lambda: pd.to_datetime(["2025-07-31 12:00", None, "2026-01-31 12:00", "2025-03-30 12:00",
                                         "2024-10-27 12:00", "2030-01-01 00:00"]).tz_localize("Europe/Warsaw"),
    "tz_utc": lambda: pd.to_datetime(["2025-07-31 12:00", None, "2026-01-31 00:00", "2025-03-30 00:00",
                                      "2024-10-27 00:00", "2030-01-01 00:00"]).tz_localize("UTC"),
    "Int64": lambda: pd.array([1, None, 3, 4, None, 6], dtype="Int64"),
    "boolean": lambda: pd.array([True, None, False, True, None, False], dtype="boolean"),
    "category": lambda: pd.Series(["a", "b", None, "a", "c", "b"]).astype("category"),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(geometry=st.sampled_from([None, *_GEOMS]), columns=st.lists(st.sampled_from(list(_COLUMNS)), max_size=4,
                                                                    unique=True),
       missing=st.sampled_from(["none", "some", "all", "empty"]), rows=st.sampled_from([6, 0]),
       crs=st.sampled_from(["EPSG:2180", "EPSG:4326", None]), seed=st.integers(0, 9))
def test_same_file_as_pyogrio(tmp_path, geometry, columns, missing, rows, crs, seed):
    data = {c: _COLUMNS[c]() for c in columns}
    frame = pd.DataFrame({c: pd.Series(v).reset_index(drop=True) for c, v in data.items()}, index=range(6))
    if geometry is None:
        df = frame.iloc[:rows]
        geometry_type = None
    else:
        geoms = np.asarray(_GEOMS[geometry](np.random.default_rng(seed)), dtype=object)
        if missing == "some":
            geoms[1] = None
        elif missing == "all":
            geoms[:] = None
        elif missing == "empty":
            geoms[2] = shapely.from_wkt("POINT EMPTY") if geometry == "point" else shapely.LineString()
        df = gpd.GeoDataFrame(frame, geometry=list(geoms), crs=crs).iloc[:rows]
        geometry_type = "Unknown" if missing == "all" else None
    mine, theirs = _both(df, tmp_path, geometry_type)
    assert mine == theirs


def test_fast_path_taken_for_plan_layers(tmp_path, monkeypatch):
    """The property above compares whole files; here the demo-like layers must not fall back to pyogrio."""
    gdf = gpd.GeoDataFrame({"id": ["a", "b"], "n": [1, 2], "d": pd.to_datetime(["2025-07-31", None])},
                           geometry=[shapely.Point(640_000, 518_000), shapely.Point(640_010, 518_000)],
                           crs="EPSG:2180")
    monkeypatch.setattr(gpkg_layers.pyogrio, "write_dataframe", lambda *a, **k: pytest.fail("fell back"))
    with files._gpkg_write_options():
        write_layer(gdf, tmp_path / "x.gpkg", "addresses")
        write_layer(pd.DataFrame(gdf.drop(columns="geometry")), tmp_path / "x.gpkg", "table")
    read = pyogrio.read_dataframe(tmp_path / "x.gpkg", layer="addresses")
    assert read["id"].tolist() == ["a", "b"] and read.crs.to_epsg() == 2180
    assert pyogrio.list_layers(tmp_path / "x.gpkg").tolist() == [["addresses", "Point"], ["table", None]]


def test_promoted_and_multi_geometry_layers_go_through_pyogrio(tmp_path, monkeypatch):
    mixed = gpd.GeoDataFrame(geometry=list(_GEOMS["mixed_single_multi"](np.random.default_rng(1))), crs="EPSG:2180")
    two = gpd.GeoDataFrame({"g2": gpd.GeoSeries([shapely.Point(0, 0)] * 6)},
                           geometry=list(_GEOMS["point"](np.random.default_rng(1))), crs="EPSG:2180")
    calls = []
    real = pyogrio.write_dataframe
    monkeypatch.setattr(gpkg_layers.pyogrio, "write_dataframe", lambda *a, **k: calls.append(k["layer"]) or real(
        *a, **k))
    with files._gpkg_write_options():
        write_layer(mixed, tmp_path / "m.gpkg", "mixed")
        with pytest.raises(ValueError, match="one geometry column"):
            write_layer(two, tmp_path / "t.gpkg", "two")
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    assert len(set(_both(dup, tmp_path))) == 1  # pyarrow refuses the repeated name either way
    assert calls == ["mixed", "two", "layer", "layer"]  # the last one: the oracle's own call
    assert pyogrio.read_info(tmp_path / "m.gpkg", layer="mixed")["geometry_type"] == "MultiLineString"
