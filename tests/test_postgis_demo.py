"""Demo round trip through PostGIS: GeoPackage -> PostGIS -> plan -> PostGIS (issue #20).

The demo GeoPackage is loaded into a schema with GDAL's PostgreSQL dump (as
``ogr2ogr`` would), planned by the ``planner`` command from there into another
schema, and every table is compared with the directory run of the same
configuration (the ``demo_plan_dir`` fixture): each CSV byte for byte (the
database table rendered by the same CSV writer), each ``plan.gpkg`` layer
(attributes and exact geometries), ``summary.json`` and the QGIS styles.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from _postgis_server import PgServer, load_gpkg

from planner import datasets
from planner.output import files

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.slow]

PLANNER = Path(sys.executable).with_name("planner")


def db_frame(server: PgServer, schema: str, table: str, columns: list[str]) -> pd.DataFrame:
    """A table as a frame with the given columns (``geometry``: the ``geom`` column), in key order."""
    types = dict(server.sql("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                            "%(t)s::regclass AND attnum > 0 AND NOT attisdropped", {"t": f"{schema}.{table}"}))
    exprs = ["ST_AsBinary(geom)" if c == "geometry" else f'"{c}"' for c in columns]
    rows = server.sql(f'SELECT {", ".join(exprs)} FROM {schema}."{table}" ORDER BY fid')
    data = {}
    for i, c in enumerate(columns):
        vals = [r[i] for r in rows]
        t = types["geom" if c == "geometry" else c]
        if c == "geometry":
            data[c] = gpd.GeoSeries(shapely.from_wkb(np.array([None if v is None else bytes(v) for v in vals],
                                                               dtype=object)), crs="EPSG:2180")
        elif t == "double precision":
            data[c] = pd.to_numeric(pd.Series(vals, dtype=object)).astype("float64")
        elif t == "bigint" and None in vals:
            data[c] = pd.Series(vals, dtype="Int64")
        else:
            data[c] = pd.Series(vals, dtype=object if None in vals or t == "date" else None)
    frame = pd.DataFrame({c: v for c, v in data.items() if c != "geometry"})
    if "geometry" in data:
        frame = gpd.GeoDataFrame(frame, geometry=data["geometry"], crs="EPSG:2180")
        frame = frame[columns]
    return frame


def test_demo_round_trip_gives_the_same_tables_as_the_file_run(postgis_server, demo_plan_dir, tmp_path):
    s = postgis_server
    load_gpkg(s, datasets.get_path("demo"), "demo_in", tmp_path)
    area = s.url("demo_in", user="planner_read", password=s.read_password)  # a password in the URL ...
    out = s.url("demo_out", user="planner_write")  # ... and one from PGPASSFILE
    r = subprocess.run([str(PLANNER), "plan", "--area", area, "--config", "demo", "--official-list",
                        str(datasets.get_path("demo_official_list")), "--out", out, "--quiet"],
                       capture_output=True, text=True, env=s.env(), timeout=1800, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Outputs written to {out}" in r.stdout
    assert s.read_password not in r.stdout + r.stderr and list(tmp_path.glob("*.gpkg")) == []

    # every CSV of the directory run, byte for byte
    csvs = sorted(demo_plan_dir.glob("*.csv"))
    assert len(csvs) >= 14 and {"addresses", "segments", "bom", "schedule", "official_diff"} <= {c.stem for c in csvs}
    for csv in csvs:
        columns = list(pd.read_csv(csv, nrows=0).columns)
        frame = db_frame(s, "demo_out", csv.stem, columns)
        mine = files.write_csv(frame, tmp_path / csv.name)
        assert mine.read_bytes() == csv.read_bytes(), csv.name

    # every layer of plan.gpkg: attributes and exact geometries
    gpkg = demo_plan_dir / "plan.gpkg"
    layers = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0] if n != "layer_styles"]
    assert {r[0] for r in s.sql("SELECT f_table_name FROM geometry_columns WHERE f_table_schema = 'demo_out'")} \
        >= set(layers)
    for name in layers:
        ref = gpd.read_file(gpkg, layer=name)
        frame = db_frame(s, "demo_out", name, list(ref.columns))
        assert len(frame) == len(ref), name
        assert shapely.equals_exact(frame.geometry.values, ref.geometry.values, tolerance=0).all(), name
        a, b = tmp_path / f"db_{name}.csv", tmp_path / f"gpkg_{name}.csv"
        files.write_csv(pd.DataFrame(frame.drop(columns="geometry")), a)
        files.write_csv(pd.DataFrame(ref.drop(columns="geometry")), b)
        assert a.read_bytes() == b.read_bytes(), name

    # summary.json, and the QGIS styles of plan.gpkg
    summary = {k: v for k, v in s.sql("SELECT key, value FROM demo_out.summary")}
    assert summary == json.loads((demo_plan_dir / "summary.json").read_text(encoding="utf-8"))
    con = sqlite3.connect(gpkg)
    try:
        ref_styles = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    finally:
        con.close()
    styles = dict(s.sql("SELECT f_table_name, styleqml::text FROM public.layer_styles "
                        "WHERE f_table_schema = 'demo_out' AND useasdefault"))
    assert styles.keys() == ref_styles.keys()
    for table, qml in ref_styles.items():
        assert styles[table].strip() == qml.strip(), table
