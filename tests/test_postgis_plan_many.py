"""``plan-many --db``: a planned region in ONE PostGIS schema, against a real PostgreSQL/PostGIS (issue #20).

A synthetic region of 3 communes (one planted bad commune: two address points
share an id) is planned on a real Dask LocalCluster (one worker process) into
the throw-away server of tests/_postgis_server.py.  Oracles: the GeoParquet
files of the run's dataset, read here file by file with geopandas (the
database must hold exactly their rows), the server's own catalogue
(``geometry_columns``, ``pg_indexes``, ``pg_namespace``) and its statement log
(nothing sent for a refused URL).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from _dask_cluster import local_client
from _postgis_server import PgServer, statements_since

from planner._errors import PlannerError, UsageError
from planner.config import Config

pytestmark = [pytest.mark.xdist_group("postgis"), pytest.mark.slow]

PLANNER = Path(sys.executable).with_name("planner")
BAD = "1401022"
INJECTION = "x;%20DROP%20TABLE%20y"
ROW_IDS = {"addresses": "id", "segments": "segment_id", "drops": "address_id"}


@pytest.fixture(scope="module")
def pg(postgis_server):
    """The server, with credentials for in-process connections the libpq way (PGPASSFILE)."""
    with pytest.MonkeyPatch.context() as mp:
        for k in ("PGPASSWORD", "PGSERVICE", "PGUSER"):
            mp.delenv(k, raising=False)
        mp.setenv("PGPASSFILE", str(postgis_server.root / "pgpass"))
        yield postgis_server


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    from planner.synthetic.files import write_region_areas
    from planner.synthetic.region import RegionSpec, iter_region

    root = tmp_path_factory.mktemp("pgregion")
    communes = list(iter_region(3, spec=RegionSpec(villages=(2, 3), max_streets=3)))
    assert BAD in {c.commune.terc for c in communes}
    write_region_areas(communes, root / "areas", bad=frozenset({BAD}))
    return root / "areas"


@pytest.fixture(scope="module")
def client():
    with local_client(1) as c:
        yield c


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config().updated(progress=False)


@pytest.fixture(scope="module")
def run1(pg, region, client, cfg, tmp_path_factory):
    import planner

    out = tmp_path_factory.mktemp("pgrun") / "out"
    res = planner.plan_many(region, out=out, config=cfg, client=client, progress=False,
                            db=pg.url("region", user="planner_write"))
    return res


def dataset_oracle(out: Path, layer: str) -> pd.DataFrame:
    """``commune_terc`` and id of every row of a dataset layer, from the files, sorted by both."""
    rows = []
    for f in sorted((out / "dataset" / layer).glob("commune_terc=*/*.parquet")):
        g = gpd.read_parquet(f)
        assert g.crs.to_epsg() == 2180
        rows.append(pd.DataFrame({"commune_terc": f.parent.name.split("=", 1)[1],
                                  "id": g[ROW_IDS[layer]].astype(str).to_numpy(),
                                  "x": g.geometry.representative_point().x.to_numpy()}))
    df = pd.concat(rows, ignore_index=True)
    # sort as the database must: by commune_terc, then the id in its own type (segment ids are integers)
    key = pd.to_numeric(df["id"]) if layer == "segments" else df["id"]
    return df.assign(_k=key).sort_values(["commune_terc", "_k"], kind="stable").drop(columns="_k") \
        .reset_index(drop=True)


def table(server: PgServer, schema: str, layer: str) -> pd.DataFrame:
    rows = server.sql(f'SELECT commune_terc, {ROW_IDS[layer]}::text, ST_X(ST_PointOnSurface(geom)) '
                      f'FROM "{schema}"."{layer}" ORDER BY fid')
    return pd.DataFrame(rows, columns=["commune_terc", "id", "x"])


def schema_oid(server: PgServer, schema: str) -> int | None:
    r = server.sql("SELECT oid::int FROM pg_namespace WHERE nspname = %(s)s", {"s": schema})
    return r[0][0] if r else None


def test_region_tables_hold_exactly_the_rows_of_the_dataset(run1, pg):
    s = pg
    assert run1.failed == [BAD] and len(run1.planned) == 2
    assert run1.database == s.url("region", user="planner_write")
    for layer in ("addresses", "segments", "drops"):
        want = dataset_oracle(run1.out_dir, layer)
        got = table(s, "region", layer)
        assert len(want) > 0
        assert got["commune_terc"].value_counts().to_dict() == want["commune_terc"].value_counts().to_dict()
        assert BAD not in set(got["commune_terc"])
        pd.testing.assert_frame_equal(got[["commune_terc", "id"]], want[["commune_terc", "id"]])
        assert (got["x"] - want["x"]).abs().max() < 1e-6  # the geometry of each row, not only its id
    geo = dict(s.sql("SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = 'region'"))
    assert geo == {"communes": 2180, "addresses": 2180, "segments": 2180, "drops": 2180}
    # the communes table: one row per commune of the run, the bad one flagged, the others with their polygon
    communes = s.sql("SELECT terc, failed, ST_GeometryType(geom), ST_SRID(geom) FROM region.communes ORDER BY fid")
    assert [c[0] for c in communes] == list(run1.communes["terc"]) and len(communes) == 3
    assert {c[0]: c[1] for c in communes}[BAD] is True
    assert all(c[2] in ("ST_Polygon", "ST_MultiPolygon") and c[3] == 2180 for c in communes if c[0] != BAD)
    fails = s.sql("SELECT key, terc, exit_code, message FROM region.failures ORDER BY fid")
    assert [f[:3] for f in fails] == [(BAD, BAD, 1)] and "duplicate" in fails[0][3].lower()
    summary = dict(s.sql("SELECT key, value FROM region.summary"))
    assert (summary["communes"], summary["finished"], summary["failed"]) == (3, 2, 1)
    assert summary["rows"]["addresses"] == len(dataset_oracle(run1.out_dir, "addresses"))
    # keys, btree index on commune_terc in each row table, GiST on the geometry, the planner's schema comment
    idx = [r[0] for r in s.sql("SELECT indexdef FROM pg_indexes WHERE schemaname = 'region'")]
    for layer in ("addresses", "segments", "drops"):
        assert f"ON region.{layer} USING btree (commune_terc)" in " ".join(idx), layer
        assert f"ON region.{layer} USING gist (geom)" in " ".join(idx), layer
        assert f"CREATE UNIQUE INDEX {layer}_pkey ON region.{layer} USING btree (fid)" in idx
    assert s.sql("SELECT obj_description('region'::regnamespace, 'pg_namespace')")[0][0].startswith(
        "planner plan output")
    styles = {r[0] for r in s.sql("SELECT f_table_name FROM public.layer_styles WHERE f_table_schema = 'region'")}
    assert {"addresses", "segments", "drops"} <= styles


def test_rerun_replaces_the_schema_with_the_same_rows(run1, pg, region, client, cfg, caplog):
    import planner

    s = pg
    caplog.set_level(logging.DEBUG)  # every logger of this process, psycopg's included
    before_oid = schema_oid(s, "region")
    before = {layer: table(s, "region", layer) for layer in ("addresses", "segments", "drops")}
    s.sql("CREATE TABLE region.scratch (a int)")  # something of the old schema's
    res = planner.plan_many(region, out=run1.out_dir, config=cfg, client=client, progress=False,
                            db=s.url("region", user="planner_write", password=s.write_password))
    assert s.write_password not in caplog.text and "region written to" in caplog.text
    assert res.database == s.url("region", user="planner_write", password="***")
    assert sorted(res.skipped) == sorted(run1.planned) and res.planned == []
    assert schema_oid(s, "region") not in (None, before_oid)
    assert s.sql("SELECT to_regclass('region.scratch') IS NULL") == [(True,)]
    for layer, frame in before.items():
        pd.testing.assert_frame_equal(table(s, "region", layer), frame)
    summary = dict(s.sql("SELECT key, value FROM region.summary"))
    assert (summary["planned"], summary["skipped"], summary["finished"]) == (0, 2, 2)
    assert not [n for (n,) in s.sql("SELECT nspname FROM pg_namespace") if n.startswith("planner_staging_")]


def test_failed_write_leaves_the_previous_schema_and_keeps_the_plans(run1, pg, region, client, cfg):
    import planner

    s = pg
    before_oid = schema_oid(s, "region")
    before = table(s, "region", "addresses")
    s.sql("CREATE VIEW public.region_view AS SELECT fid FROM region.addresses")  # dropping the schema would drop it
    try:
        with pytest.raises(UsageError, match="other objects depend on it") as err:
            planner.plan_many(region, out=run1.out_dir, config=cfg, client=client, progress=False,
                              db=s.url("region", user="planner_write"))
    finally:
        s.sql("DROP VIEW public.region_view")
    assert "run the same command again" in str(err.value) and "region_view" in str(err.value)
    assert schema_oid(s, "region") == before_oid
    pd.testing.assert_frame_equal(table(s, "region", "addresses"), before)
    assert not [n for (n,) in s.sql("SELECT nspname FROM pg_namespace") if n.startswith("planner_staging_")]


def test_bad_schema_or_unreachable_server_refused_before_planning(pg, region, client, cfg, tmp_path):
    from _postgis_server import _free_port

    import planner

    s = pg
    mark = s.log.stat().st_size
    out = tmp_path / "out"
    with pytest.raises(UsageError, match="is not a plain identifier") as err:
        planner.plan_many(region, out=out, config=cfg, client=client, progress=False,
                          db=s.url(INJECTION, user="planner_write"))
    assert err.value.exit_code == 2 and "nothing was sent to the database" in str(err.value)
    assert statements_since(s, mark) == [] and "connection received" not in s.log.read_bytes()[mark:].decode()
    assert not out.exists()  # nothing planned, nothing written
    url = f"postgresql://planner_write:hunter2@127.0.0.1:{_free_port()}/planner?schema=region_x"
    with pytest.raises(PlannerError, match="server unreachable") as err:
        planner.plan_many(region, out=out, config=cfg, client=client, progress=False, db=url)
    assert err.value.exit_code == 1 and "hunter2" not in str(err.value)
    assert not out.exists()
    # the region's output directory is a directory, not a URL
    with pytest.raises(UsageError, match="give the database with --db"):
        planner.plan_many(region, out=s.url("region_y", user="planner_write"), config=cfg, client=client)


def run_cli(server: PgServer, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PLANNER), "plan-many", *args], capture_output=True, text=True, timeout=600,
                          env=env or server.env())


def test_cli_db_writes_the_region_and_never_prints_the_password(run1, pg, region, tmp_path, caplog):
    s = pg
    out = tmp_path / "out"
    shutil.copytree(run1.out_dir, out)  # an earlier run: the communes are skipped, the region is written
    secret = s.write_password
    url = s.url("region_cli", user="planner_write", password=secret)
    env = {k: v for k, v in s.env().items() if k != "PGPASSFILE"}  # only the URL carries the password
    r = run_cli(s, "--areas", str(region), "--out", str(out), "--workers", "1", "--quiet", "--db", url, env=env)
    assert r.returncode == 1, r.stderr  # the planted bad commune
    assert "Region written to postgresql://planner_write:***@" in r.stdout, r.stdout + r.stderr
    assert f"error: commune {BAD}" in r.stderr
    for layer in ("addresses", "segments", "drops"):
        pd.testing.assert_frame_equal(table(s, "region_cli", layer), table(s, "region", layer))
    bad = [run_cli(s, "--areas", str(region), "--out", str(tmp_path / "o2"), "--db",
                   url.replace(secret, secret + "x"), env=env),
           run_cli(s, "--areas", str(region), "--out", str(tmp_path / "o3"), "--db",
                   s.url(INJECTION, user="planner_write", password=secret), env=env)]
    assert [b.returncode for b in bad] == [1, 2]
    assert "login refused" in bad[0].stderr and "not a plain identifier" in bad[1].stderr
    assert not (tmp_path / "o2").exists() and not (tmp_path / "o3").exists()
    for text in [r.stdout + r.stderr, *(b.stdout + b.stderr for b in bad)]:
        assert secret not in text
    stored = str(s.sql("SELECT string_agg(t::text, '|') FROM region_cli.summary t")) + str(
        s.sql("SELECT * FROM public.layer_styles"))
    assert secret not in stored and secret not in s.log_text()


def test_rows_are_sorted_by_commune_and_id_whatever_their_order(run1, pg):
    """write_region on shuffled dataset frames (read through planner.io) writes the rows of the planned run."""
    from planner.io.region_dataset import read_dataset_layer
    from planner.output.postgis import write_region

    s = pg
    finished = sorted(set(run1.planned) | set(run1.skipped))
    rows = {}
    for layer in ("addresses", "segments", "drops"):
        frame = read_dataset_layer(run1.out_dir, layer, keys=finished)
        assert list(frame.columns[:1]) == ["commune_terc"] and frame.crs.to_epsg() == 2180
        assert len(frame) == len(dataset_oracle(run1.out_dir, layer))
        rows[layer] = frame.sample(frac=1.0, random_state=7)
        assert not rows[layer][ROW_IDS[layer]].is_monotonic_increasing
    assert len(read_dataset_layer(run1.out_dir, "addresses", keys=finished[:1])) < len(rows["addresses"])
    write_region(s.url("region_shuffled", user="planner_write"), run1.communes, rows, run1.failures)
    for layer in rows:
        pd.testing.assert_frame_equal(table(s, "region_shuffled", layer), table(s, "region", layer))
