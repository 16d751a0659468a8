"""PostGIS study areas and plans against a real PostgreSQL/PostGIS server (issue #20).

The server (tests/_postgis_server.py) is a throw-away Debian PostgreSQL with
PostGIS, started for the session in a temporary directory; input schemas are
loaded with GDAL's PostgreSQL dump (as ``ogr2ogr`` would), independently of
the planner's writer.  The CLI runs in a subprocess, as a user runs it, with
credentials in a ``PGPASSFILE`` unless a test puts a password in the URL.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from _postgis_server import PgServer, grant_read, load_frames

from planner._errors import InputDataError, PlannerError, UsageError
from planner.io import load_area
from planner.output import postgis as postgis_out

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "good" / "mini_area"
PLANNER = Path(sys.executable).with_name("planner")
# issue #20: one worker (one throw-away server) for this file and tests/test_postgis_plan_many.py under --dist loadgroup
pytestmark = pytest.mark.xdist_group("postgis")
INJECTION = "x;%20DROP%20TABLE%20addresses"


def run(server: PgServer, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PLANNER), *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env=server.env())


@pytest.fixture(scope="module")
def mini_frames():
    area = load_area(MINI)
    return area, {k: v for k, v in area.layers.items() if len(v)}


@pytest.fixture(scope="module")
def mini_schema(postgis_server, mini_frames, tmp_path_factory) -> str:
    load_frames(postgis_server, mini_frames[1], "mini_in", tmp_path_factory.mktemp("pgload"))
    return "mini_in"


@pytest.fixture(scope="module")
def mini_plan(mini_frames):
    from planner.config import load_config
    from planner.pipeline import plan

    return plan(mini_frames[0], load_config(None, progress=False))


@pytest.fixture
def pgpass(postgis_server, monkeypatch):
    """Credentials for in-process connections, the libpq way (PGPASSFILE)."""
    for k in ("PGPASSWORD", "PGSERVICE", "PGUSER"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(postgis_server.root / "pgpass"))
    return postgis_server


def schemas(server: PgServer) -> set[str]:
    return {r[0] for r in server.sql("SELECT nspname FROM pg_namespace")}


def snapshot(server: PgServer, schema: str) -> dict:
    """Tables (with their OIDs), row counts and a digest of every table of a schema, and its style rows."""
    out = {}
    for oid, name in server.sql("SELECT c.oid::int, c.relname FROM pg_class c JOIN pg_namespace n "
                                "ON n.oid = c.relnamespace WHERE n.nspname = %(s)s AND c.relkind = 'r' ORDER BY 2",
                                {"s": schema}):
        digest = server.sql(f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) "
                            f'FROM {schema}."{name}" t')
        out[name] = (oid, *digest[0])
    styles = server.sql("SELECT id, f_table_name, md5(styleqml::text) FROM public.layer_styles "
                        "WHERE f_table_schema = %(s)s ORDER BY id", {"s": schema})
    return {"tables": out, "styles": styles}


# ---------------------------------------------------------------------------
# reading study areas
# ---------------------------------------------------------------------------


def test_area_read_from_postgis_equals_the_file_area(pgpass, mini_frames, mini_schema):
    url = pgpass.url(mini_schema, user="planner_read")
    area = load_area(url)
    files = mini_frames[0]
    assert area.name == mini_schema
    # bounds are derived from the raw layers: the CSV's are lon/lat, the table's EPSG:2180 (a box drawn in
    # another CRS), so they differ by metres; the layers are identical
    assert area.crs == files.crs and area.bounds == pytest.approx(files.bounds, abs=10.0)
    for name, layer in files.layers.items():
        pd.testing.assert_frame_equal(area.layers[name], layer, check_like=False)
    assert area.sources["roads"] == f"{url} [roads]"


def test_a_layer_file_overrides_a_table(pgpass, mini_schema):
    area = load_area(pgpass.url(mini_schema, user="planner_read"), layers={"pops": MINI / "pops.csv"})
    assert area.sources["pops"] == str(MINI / "pops.csv")
    assert area.sources["roads"].endswith("?schema=mini_in [roads]")
    assert len(area.pops) == 1


def test_tables_of_other_names_and_schemas_via_area_tables(postgis_server, mini_schema, tmp_path):
    s = postgis_server
    s.sql("CREATE SCHEMA IF NOT EXISTS mapped; CREATE SCHEMA IF NOT EXISTS shared; "
          "CREATE TABLE mapped.punkty AS TABLE mini_in.addresses; CREATE TABLE mapped.pops AS TABLE mini_in.pops; "
          "CREATE TABLE mapped.coverage AS TABLE mini_in.coverage; CREATE TABLE shared.drogi AS TABLE mini_in.roads;"
          + grant_read("mapped") + grant_read("shared"))
    cfg = tmp_path / "area.toml"
    cfg.write_text('[area.tables]\naddresses = "punkty"\nroads = "shared.drogi"\n')
    r = run(s, "validate", s.url("mapped", user="planner_read"), "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "OK: postgresql://planner_read@" in r.stdout
    area = load_area(s.url("mapped", user="planner_read", password=s.read_password),
                     __import__("planner.config", fromlist=["Config"]).Config().updated(
                         area={"tables": {"addresses": "punkty", "roads": "shared.drogi"}}))
    assert len(area.addresses) == 6 and len(area.roads) == 3
    assert area.sources["roads"].endswith("[shared.drogi]")


# ---------------------------------------------------------------------------
# bad input: one clear message with the fix, exit 1 or 2, nothing written
# ---------------------------------------------------------------------------


def test_server_unreachable(postgis_server, tmp_path):
    from _postgis_server import _free_port

    port = _free_port()
    url = f"postgresql://planner_read:hunter2@127.0.0.1:{port}/planner?schema=mini_in"
    r = run(postgis_server, "validate", url)
    assert r.returncode == 1
    assert "server unreachable" in r.stderr and "pg_isready" in r.stderr and "hunter2" not in r.stderr + r.stdout
    # --out checked before planning: no plan computed, nothing written anywhere
    r = run(postgis_server, "plan", "--area", str(MINI), "--out", url.replace("mini_in", "plan_x"), cwd=tmp_path)
    assert r.returncode == 1 and "server unreachable" in r.stderr
    assert "Area " not in r.stdout and list(tmp_path.iterdir()) == []


def test_wrong_password(postgis_server, mini_schema):
    url = postgis_server.url(mini_schema, user="planner_read", password="not-the-password")
    r = run(postgis_server, "validate", url)
    assert r.returncode == 1
    assert "login refused" in r.stderr and "PGPASSWORD" in r.stderr and "~/.pgpass" in r.stderr
    assert "not-the-password" not in r.stderr + r.stdout


def test_missing_schema_names_the_existing_ones_and_writes_nothing(postgis_server, mini_schema, tmp_path):
    s = postgis_server
    r = run(s, "plan", "--area", s.url("mini_inn", user="planner_read"), "--out",
            s.url("never_written", user="planner_write"), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "schema 'mini_inn' does not exist" in r.stderr and "did you mean 'mini_in'" in r.stderr
    assert "fix:" in r.stderr
    assert "never_written" not in schemas(s) and list(tmp_path.iterdir()) == []


def test_missing_required_and_mapped_tables(postgis_server, mini_schema, tmp_path):
    s = postgis_server
    s.sql("CREATE SCHEMA no_roads; CREATE TABLE no_roads.addresses AS TABLE mini_in.addresses; "
          "CREATE TABLE no_roads.pops AS TABLE mini_in.pops;" + grant_read("no_roads"))
    r = run(s, "validate", s.url("no_roads", user="planner_read"))
    assert r.returncode == 1
    assert "table roads for layer 'roads' (required) does not exist" in r.stderr
    assert '[area.tables] roads = "TABLE"' in r.stderr
    assert r.stderr.count("roads") >= 1 and "required layer 'roads' is missing" not in r.stderr  # one message
    cfg = tmp_path / "t.toml"
    cfg.write_text('[area.tables]\nparcels = "dzialki"\n')
    r = run(s, "validate", s.url(mini_schema, user="planner_read"), "--config", str(cfg))
    assert r.returncode == 1 and "table dzialki for layer 'parcels' (mapped in [area.tables]) does not exist" \
        in r.stderr


def test_table_without_geometry_column_or_srid(postgis_server, mini_schema):
    s = postgis_server
    s.sql("CREATE SCHEMA no_geom; CREATE TABLE no_geom.addresses AS TABLE mini_in.addresses; "
          "CREATE TABLE no_geom.pops AS TABLE mini_in.pops; "
          "CREATE TABLE no_geom.roads AS SELECT id, highway, name, surface, lit, private FROM mini_in.roads;"
          "CREATE SCHEMA no_srid; CREATE TABLE no_srid.addresses AS TABLE mini_in.addresses; "
          "CREATE TABLE no_srid.pops AS TABLE mini_in.pops; "
          "CREATE TABLE no_srid.roads AS SELECT id, highway, name, surface, lit, private, "
          "ST_SetSRID(geom, 0)::geometry AS geom FROM mini_in.roads;" + grant_read("no_geom") + grant_read("no_srid"))
    r = run(s, "validate", s.url("no_geom", user="planner_read"))
    assert r.returncode == 1
    assert "table roads has no geometry column" in r.stderr and "ALTER TABLE no_geom.roads ADD COLUMN geom" in r.stderr
    r = run(s, "validate", s.url("no_srid", user="planner_read"))
    assert r.returncode == 1
    assert "geometry column 'geom' of table roads has no SRID" in r.stderr
    assert "ST_SetSRID(geom, 2180)" in r.stderr and "--assume-crs" in r.stderr
    r = run(s, "validate", s.url("no_srid", user="planner_read"), "--assume-crs", "EPSG:2180")
    assert r.returncode == 0, r.stderr
    assert "no SRID; assumed EPSG:2180" in r.stderr


def test_no_privilege_on_the_schema(postgis_server, mini_schema):
    s = postgis_server
    s.sql("CREATE SCHEMA secret; CREATE TABLE secret.addresses AS TABLE mini_in.addresses")
    r = run(s, "validate", s.url("secret", user="planner_read"))
    assert r.returncode == 1
    assert "no USAGE privilege on schema 'secret'" in r.stderr and "GRANT USAGE ON SCHEMA secret" in r.stderr


# ---------------------------------------------------------------------------
# writing plans
# ---------------------------------------------------------------------------


def test_plan_tables_have_keys_indexes_and_srid(pgpass, mini_plan):
    from planner.output import plan_layers, plan_tables, write_plan

    s = pgpass
    url = s.url("plan_keys", user="planner_write")
    assert write_plan(mini_plan, url) == url
    layers, tables = plan_layers(mini_plan), plan_tables(mini_plan)
    geo = {r[0]: (r[1], r[2]) for r in s.sql(
        "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'plan_keys'")}
    assert set(geo) == set(layers)
    assert all(srid == 2180 for _, srid in geo.values())
    assert geo["addresses"][0] == "POINT" and geo["segments"][0] == "LINESTRING"
    for name in {*layers, *tables}:
        n = s.sql(f'SELECT count(*) FROM plan_keys."{name}"')[0][0]
        assert n == len(layers.get(name, tables.get(name))), name
        pk = s.sql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                   "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %(t)s::regclass AND i.indisprimary",
                   {"t": f"plan_keys.{name}"})
        assert pk == [("fid",)], name
    gist = s.sql("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x "
                 "ON x.oid = i.indexrelid JOIN pg_am am ON am.oid = x.relam WHERE am.amname = 'gist' "
                 "AND c.relnamespace = 'plan_keys'::regnamespace")
    assert {r[0] for r in gist} == set(layers)
    assert s.sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'plan_keys' AND indexdef LIKE "
                 "'CREATE UNIQUE INDEX % ON plan_keys.addresses USING btree (id)'")[0][0] == 1
    # the addresses table carries the CSV's x, y next to the geometry
    xy = s.sql("SELECT count(*) FROM plan_keys.addresses WHERE abs(x - ST_X(geom)) > 0.005 "
               "OR abs(y - ST_Y(geom)) > 0.005")
    assert xy == [(0,)]
    got = {k: v for k, v in s.sql("SELECT key, value FROM plan_keys.summary")}
    assert got == json.loads(json.dumps(mini_plan.summary()))
    assert s.sql("SELECT obj_description('plan_keys'::regnamespace, 'pg_namespace') LIKE 'planner plan output%'") \
        == [(True,)]
    assert not {n for n in schemas(s) if n.startswith("planner_staging_")}


def test_failed_run_leaves_the_previous_schema_untouched(pgpass, mini_plan):
    from planner.output import gpkg_styles, plan_layers, plan_tables

    s = pgpass
    url = s.url("plan_fail", user="planner_write")
    layers, tables = plan_layers(mini_plan), plan_tables(mini_plan)
    styles = gpkg_styles.plan_styles(list(layers))
    postgis_out.write_plan(url, layers, tables, summary={"area": "first"}, styles=styles)
    before = snapshot(s, "plan_fail")
    assert len(before["tables"]) == len({*layers, *tables}) + 1 and len(before["styles"]) == len(styles)
    # the server rejects the 4th table half-way through the transaction (NUL byte in a text column)
    bad = dict(tables)
    bad["bom"] = tables["bom"].assign(locality=tables["bom"]["locality"].where(
        tables["bom"].index != 0, "bad\x00name"))
    with pytest.raises(PlannerError) as err:
        postgis_out.write_plan(url, layers, bad, summary={"area": "second"}, styles=styles)
    assert err.value.exit_code == 1 and "writing table bom" in str(err.value)
    assert snapshot(s, "plan_fail") == before
    assert not {n for n in schemas(s) if n.startswith("planner_staging_")}
    assert s.sql("SELECT value FROM plan_fail.summary WHERE key = 'area'") == [("first",)]
    # a schema the planner did not write (here: an input) is refused, and stays as it was
    inp = snapshot(s, "mini_in")
    with pytest.raises(UsageError, match="not a plan of the planner"):
        postgis_out.write_plan(s.url("mini_in", user="postgres"), layers, tables)
    assert snapshot(s, "mini_in") == inp


def test_writing_into_the_input_schema_is_refused(pgpass, mini_schema, mini_plan):
    from planner.output import write_plan

    s = pgpass
    area = load_area(s.url(mini_schema, user="planner_read"))
    p = mini_plan
    p2 = type(p)(**{**p.__dict__, "area": area})
    with pytest.raises(UsageError, match="it holds the input"):
        write_plan(p2, s.url(mini_schema, user="planner_write"))


def test_concurrent_runs_into_two_schemas_and_into_one(pgpass, mini_plan, monkeypatch):
    from planner.output import gpkg_styles, plan_layers, plan_tables
    from planner.output.postgis import writer

    s = pgpass
    layers, tables = plan_layers(mini_plan), plan_tables(mini_plan)
    swap = writer._swap
    barrier = threading.Barrier(2, timeout=60)

    def swap_together(cur, target, staging, names):
        barrier.wait()  # both transactions have written their staging schemas: swap at the same time
        swap(cur, target, staging, names)

    monkeypatch.setattr(writer, "_swap", swap_together)
    styles = gpkg_styles.plan_styles(list(layers))
    errors: list[BaseException] = []
    for targets in (("plan_c1", "plan_c2"), ("plan_same", "plan_same")):

        def one(schema: str, tag: str) -> None:
            try:
                postgis_out.write_plan(s.url(schema, user="planner_write"), layers, tables, summary={"run": tag},
                                   styles=styles)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(t, f"run{i}")) for i, t in enumerate(targets)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        for schema in set(targets):
            assert s.sql(f"SELECT count(*) FROM {schema}.addresses")[0][0] == len(layers["addresses"])
            styled = s.sql("SELECT f_table_name FROM public.layer_styles WHERE f_table_schema = %(s)s "
                           "ORDER BY 1", {"s": schema})
            assert [r[0] for r in styled] == sorted(st.table for st in styles)
        runs = [r[0] for t in sorted(set(targets)) for r in s.sql(f"SELECT value #>> '{{}}' FROM {t}.summary")]
        if targets[0] != targets[1]:
            assert runs == ["run0", "run1"]
        else:  # the second run waited for the first and replaced its plan
            assert runs in (["run0"], ["run1"])
        assert not {n for n in schemas(s) if n.startswith("planner_staging_")}


def test_grants_on_the_plan_survive_a_rerun_and_dependent_views_are_not_dropped(pgpass, mini_plan):
    from planner.output import write_plan

    s = pgpass
    url = s.url("plan_grants", user="planner_write")
    write_plan(mini_plan, url)
    # the README's default privileges: the read role reads every plan of the write role
    assert s.sql("SELECT count(*) FROM plan_grants.segments", user="planner_read")[0][0] > 0
    # a grant made by hand on one plan is made again on the plan that replaces it
    s.sql("DROP ROLE IF EXISTS viewer; CREATE ROLE viewer")
    with s.connect("planner_write") as conn:
        conn.execute("GRANT USAGE ON SCHEMA plan_grants TO viewer; GRANT SELECT ON plan_grants.addresses TO viewer")
    write_plan(mini_plan, url)
    acl = s.sql("SELECT has_schema_privilege('viewer', 'plan_grants', 'USAGE'), "
                "has_table_privilege('viewer', 'plan_grants.addresses', 'SELECT'), "
                "has_table_privilege('viewer', 'plan_grants.segments', 'SELECT')")
    assert acl == [(True, True, False)]
    # a view outside the schema on its tables is never dropped with it: the run is refused
    s.sql("CREATE VIEW public.connected AS SELECT id FROM plan_grants.addresses")
    before = snapshot(s, "plan_grants")
    with pytest.raises(UsageError, match="connected outside the schema use its tables"):
        write_plan(mini_plan, url)
    assert snapshot(s, "plan_grants") == before
    s.sql("DROP VIEW public.connected")


def test_layer_styles_rows_load_in_qgis_format(pgpass, mini_plan):
    from planner.output import gpkg_styles, write_plan

    s = pgpass
    write_plan(mini_plan, s.url("plan_styles", user="planner_write"))
    cols = s.sql("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' "
                 "AND table_name = 'layer_styles' ORDER BY ordinal_position")
    assert [c for c, _ in cols][:13] == ["id", "f_table_catalog", "f_table_schema", "f_table_name",
                                         "f_geometry_column", "stylename", "styleqml", "stylesld", "useasdefault",
                                         "description", "owner", "ui", "update_time"]
    types = dict(cols)
    assert types["styleqml"] == "xml" and types["useasdefault"] == "boolean" and types["id"] == "integer"
    geometry_code = {"POINT": "0", "LINESTRING": "1", "POLYGON": "2", "MULTILINESTRING": "1", "MULTIPOLYGON": "2"}
    tables = s.sql("SELECT f_table_name, f_geometry_column, type FROM geometry_columns "
                   "WHERE f_table_schema = 'plan_styles'")
    assert len(tables) >= 5
    for table, geom, gtype in tables:
        # the query QGIS's PostgreSQL provider runs when it opens a layer (QgsPostgresProviderMetadata::loadStyle)
        row = s.sql("SELECT styleQML FROM layer_styles WHERE f_table_catalog = %(c)s AND f_table_schema = %(s)s "
                    "AND f_table_name = %(t)s AND f_geometry_column = %(g)s AND (type IS NULL OR type = 'vector') "
                    "ORDER BY CASE WHEN useAsDefault THEN 1 ELSE 2 END, update_time DESC LIMIT 1",
                    {"c": "planner", "s": "plan_styles", "t": table, "g": geom}, user="planner_read")
        expected = gpkg_styles.style_qml(table, milestones=("M1", "M2", "M3"))
        if expected is None:
            assert row == []
            continue
        root = ET.fromstring(row[0][0].split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
        assert root.findtext("layerGeometryType") == geometry_code[gtype], table
        assert row[0][0].startswith("<!DOCTYPE qgis")


def test_layer_styles_table_is_created_in_qgis_layout_when_missing(postgis_server, mini_plan, monkeypatch):
    from planner.output import write_plan

    s = postgis_server
    with s.connect(dbname="postgres") as conn:
        conn.execute("DROP DATABASE IF EXISTS fresh")
        conn.execute("CREATE DATABASE fresh")
    with s.connect(dbname="fresh") as conn:
        conn.execute("CREATE EXTENSION postgis")
    monkeypatch.setenv("PGPASSFILE", str(s.root / "pgpass"))
    write_plan(mini_plan, s.url("plan_fresh").replace("/planner?", "/fresh?"))
    with s.connect(dbname="fresh") as conn:
        cols = conn.execute("SELECT column_name, data_type, column_default FROM information_schema.columns "
                            "WHERE table_schema = 'public' AND table_name = 'layer_styles' "
                            "ORDER BY ordinal_position").fetchall()
        pk = conn.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                          "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'public.layer_styles'::regclass "
                          "AND i.indisprimary").fetchall()
        n = conn.execute("SELECT count(*) FROM public.layer_styles WHERE useasdefault").fetchone()[0]
    assert [c[0] for c in cols] == ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                                    "stylename", "styleqml", "stylesld", "useasdefault", "description", "owner", "ui",
                                    "update_time", "type", "r_raster_column"]
    assert cols[0][2].startswith("nextval(") and pk == [("id",)] and n >= 5


# ---------------------------------------------------------------------------
# security
# ---------------------------------------------------------------------------


def test_schema_injection_is_rejected_before_anything_reaches_the_server(postgis_server, mini_schema, tmp_path):
    from _postgis_server import statements_since

    s = postgis_server
    mark = s.log.stat().st_size
    url = s.url(INJECTION, user="planner_read")
    r1 = run(s, "validate", url)
    r2 = run(s, "plan", "--area", str(MINI), "--out", s.url(INJECTION, user="planner_write"), cwd=tmp_path)
    cfg = tmp_path / "evil.toml"
    cfg.write_text('[area.tables]\naddresses = "addresses; DROP TABLE mini_in.roads"\n')
    r3 = run(s, "validate", s.url(mini_schema, user="planner_read"), "--config", str(cfg))
    for r in (r1, r2):
        assert r.returncode == 2
        assert "schema name 'x; DROP TABLE addresses' is not a plain identifier" in r.stderr
        assert "nothing was sent to the database" in r.stderr
    assert r3.returncode == 2 and "not plain identifiers" in r3.stderr
    log = s.log.read_bytes()[mark:].decode(errors="replace")
    assert statements_since(s, mark) == [] and "connection received" not in log and "DROP" not in log
    assert s.sql("SELECT count(*) FROM mini_in.addresses")[0][0] == 6
    assert s.sql("SELECT count(*) FROM mini_in.roads")[0][0] == 3


def test_reserved_words_as_names_are_quoted_not_pasted(pgpass, mini_frames, mini_plan, tmp_path):
    from planner.output import write_plan

    s = pgpass
    load_frames(s, mini_frames[1], "order", tmp_path)
    area = load_area(s.url("order", user="planner_read"))
    assert len(area.addresses) == 6
    write_plan(mini_plan, s.url("select", user="planner_write"))
    assert s.sql('SELECT count(*) FROM "select".addresses')[0][0] == 6


def test_a_url_password_never_appears_in_output_logs_or_tables(postgis_server, mini_schema, tmp_path, caplog):
    s = postgis_server
    secret = s.read_password
    wsecret = s.write_password
    area = s.url(mini_schema, user="planner_read", password=secret)
    out = s.url("plan_pw", user="planner_write", password=wsecret)
    env = {k: v for k, v in s.env().items() if k != "PGPASSFILE"}  # only the URLs carry passwords
    runs = [
        ["validate", area],
        ["validate", area.replace(mini_schema, "nope")],
        ["validate", area.replace(secret, secret + "x")],
        ["plan", "--area", area, "--out", out],
        ["plan", "--area", area, "--out", out.replace("plan_pw", "mini_in")],
    ]
    texts = []
    for args in runs:
        r = subprocess.run([str(PLANNER), *args], capture_output=True, text=True, cwd=tmp_path, env=env,
                           timeout=600)
        texts.append(r.stdout + r.stderr)
    assert "Outputs written to postgresql://planner_write:***@" in texts[3], texts[3]
    assert [t.count("error:") for t in texts] == [0, 1, 1, 0, 1]
    # in-process, every logger at DEBUG (psycopg's included)
    from planner.output import gpkg_styles

    caplog.set_level(logging.DEBUG)
    a = load_area(area)
    postgis_out.write_plan(out, {"pops": a.pops}, {"roads": pd.DataFrame(a.roads.drop(columns="geometry"))},
                       summary={"inputs": list(a.sources.values())}, styles=gpkg_styles.plan_styles(["pops"]))
    texts.append(caplog.text)
    for text in texts:
        assert secret not in text and wsecret not in text
    # nothing stored in the database or its log carries them either
    dump = s.sql("SELECT string_agg(t::text, '|') FROM plan_pw.summary t")[0][0] + str(
        s.sql("SELECT * FROM public.layer_styles"))
    assert "planner_read:***@" in dump
    assert secret not in dump and wsecret not in dump
    assert secret not in s.log_text() and wsecret not in s.log_text()


def test_read_role_cannot_write_and_write_role_needs_no_superuser(pgpass, mini_plan):
    from planner.output import write_plan

    s = pgpass
    with pytest.raises(PlannerError) as err:
        write_plan(mini_plan, s.url("plan_by_reader", user="planner_read"))
    assert "permission denied" in str(err.value) and "GRANT" in str(err.value)
    assert "plan_by_reader" not in schemas(s)
    r = run(s, "plan", "--area", str(MINI), "--out", s.url("plan_by_reader", user="planner_read"))
    assert r.returncode == 1 and "may not create schemas" in r.stderr and "GRANT CREATE ON DATABASE" in r.stderr
    # a plan schema of another role: a clear refusal, not a half-done swap
    write_plan(mini_plan, s.url("plan_of_admin", user="postgres"))
    before = snapshot(s, "plan_of_admin")
    with pytest.raises(PlannerError, match="belongs to role postgres"):
        write_plan(mini_plan, s.url("plan_of_admin", user="planner_write"))
    assert snapshot(s, "plan_of_admin") == before
    assert s.sql("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'planner_write'") \
        == [(False, False, False)]


def test_postgis_missing_in_the_database(postgis_server, monkeypatch):
    s = postgis_server
    with s.connect(dbname="postgres") as conn:
        conn.execute("DROP DATABASE IF EXISTS nogis")
        conn.execute("CREATE DATABASE nogis")
    with s.connect(dbname="nogis") as conn:
        conn.execute("CREATE SCHEMA area")
    monkeypatch.setenv("PGPASSFILE", str(s.root / "pgpass"))
    with pytest.raises(InputDataError, match="PostGIS is not installed"):
        load_area(s.url("area").replace("/planner?", "/nogis?"))
