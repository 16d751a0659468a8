"""A throw-away PostgreSQL + PostGIS server for the tests (issue #20).

The session fixture :func:`postgis_server` runs ``initdb`` in a fresh
temporary directory, starts the Debian server binaries on a free port of
127.0.0.1 (Unix socket in the same directory), creates the database
``planner`` with PostGIS and the two least-privilege roles of the README
(``planner_read``, ``planner_write``), and stops and deletes everything at
the end.  As root (the CI) the server runs as the unprivileged ``postgres``
user (``runuser``).  Every statement and connection is logged
(``log_statement = all``, ``log_connections = on``), so tests can check what
reached the server.

With ``pytest -n 2`` each worker that needs the server starts its own (the
fixture is session-scoped per worker), so the tests need no xdist group.

Missing binaries fail the tests with the command that installs them
(``make postgis``); they are never skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: SQL of the README section "Team database": a read role for study areas and a
#: write role for plans (run by the database owner).
ROLE_GRANTS = """
CREATE ROLE planner_read LOGIN PASSWORD {read_pw};
CREATE ROLE planner_write LOGIN PASSWORD {write_pw};
GRANT CONNECT ON DATABASE planner TO planner_read, planner_write;
GRANT CREATE ON DATABASE planner TO planner_write;
CREATE TABLE IF NOT EXISTS public.layer_styles (
  id serial PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar, f_table_name varchar,
  f_geometry_column varchar, stylename text, styleqml xml, stylesld xml, useasdefault boolean,
  description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml,
  update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar, r_raster_column varchar);
GRANT SELECT, INSERT, DELETE ON public.layer_styles TO planner_write;
GRANT USAGE ON SEQUENCE public.layer_styles_id_seq TO planner_write;
GRANT SELECT ON public.layer_styles TO planner_read;
ALTER DEFAULT PRIVILEGES FOR ROLE planner_write GRANT USAGE ON SCHEMAS TO planner_read;
ALTER DEFAULT PRIVILEGES FOR ROLE planner_write GRANT SELECT ON TABLES TO planner_read;
"""


def grant_read(schema: str) -> str:
    """SQL giving the read role an input schema (README)."""
    q = '"' + schema.replace('"', '""') + '"'
    return (f"GRANT USAGE ON SCHEMA {q} TO planner_read; "
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {q} TO planner_read;")


def _bindir() -> Path:
    """Newest PostgreSQL server binaries with PostGIS available, else fail with the fix."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name),
                         reverse=True):
        version = Path(bindir).parent.name
        if (Path(bindir) / "initdb").is_file() and \
                Path(f"/usr/share/postgresql/{version}/extension/postgis.control").is_file():
            return Path(bindir)
    pytest.fail("PostgreSQL server binaries with PostGIS not found (/usr/lib/postgresql/*/bin/initdb and "
                "/usr/share/postgresql/*/extension/postgis.control): run `make postgis` (Debian packages "
                "postgresql and postgresql-postgis)", pytrace=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running test server."""

    bindir: Path
    root: Path
    port: int
    password: str
    read_password: str
    write_password: str
    runas: list[str]
    host: str = "127.0.0.1"
    dbname: str = "planner"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, schema: str, *, user: str = "postgres", password: str | None = None, **params: str) -> str:
        auth = f"{user}:{password}@" if password is not None else f"{user}@"
        query = "&".join([f"schema={schema}", *(f"{k}={v}" for k, v in params.items())])
        return f"postgresql://{auth}{self.host}:{self.port}/{self.dbname}?{query}"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a client: a ~/.pgpass-style file with the three roles' passwords."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["PGPASSFILE"] = str(self.root / "pgpass")
        env.update(extra)
        return env

    def connect(self, user: str = "postgres", dbname: str | None = None):
        import psycopg

        pw = {"postgres": self.password, "planner_read": self.read_password,
              "planner_write": self.write_password}[user]
        return psycopg.connect(host=self.host, port=self.port, dbname=dbname or self.dbname, user=user,
                               password=pw, autocommit=True)

    def sql(self, text: str, params: dict | None = None, *, user: str = "postgres") -> list[tuple]:
        with self.connect(user) as conn:
            cur = conn.execute(text, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.runas, *args], capture_output=True, text=True, timeout=120)


def load_frames(server: PgServer, frames: dict, schema: str, workdir: Path, *, grant: bool = True) -> None:
    """Load (Geo)DataFrames into ``schema`` the way GIS users do: GDAL's PostgreSQL SQL dump + psql.

    Independent of the planner's writer: tables get GDAL's ``ogc_fid`` serial key, a ``geom``
    column with the layer's SRID and a GiST index (as ``ogr2ogr -f PostgreSQL``).
    """
    import pyogrio
    from psycopg import sql

    with server.connect() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    for name, df in frames.items():
        out = workdir / f"{schema}.{name}.sql"
        opts = {"SCHEMA": schema, "CREATE_SCHEMA": "OFF", "GEOMETRY_NAME": "geom", "SPATIAL_INDEX": "GIST"}
        pyogrio.write_dataframe(df, out, driver="PGDUMP", layer=name, layer_options=opts)
        proc = subprocess.run(
            [str(server.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", server.host, "-p",
             str(server.port), "-U", "postgres", "-d", server.dbname, "-f", str(out)],
            capture_output=True, text=True, env=server.env(), timeout=300)
        assert proc.returncode == 0, proc.stderr
    if grant:
        server.sql(grant_read(schema))


def load_gpkg(server: PgServer, gpkg: Path, schema: str, workdir: Path) -> None:
    """Load every layer (and the metadata table) of a GeoPackage into ``schema`` (see :func:`load_frames`)."""
    import pyogrio

    names = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    load_frames(server, {n: pyogrio.read_dataframe(gpkg, layer=n) for n in names}, schema, workdir)


def start_server() -> PgServer:
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="planner-pg-"))
    runas: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: use the unprivileged postgres (or nobody) user
        user = "postgres" if _has_user("postgres") else "nobody"
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
        runas = ["runuser", "-u", user, "--"]
    password, read_pw, write_pw = (secrets.token_urlsafe(18) for _ in range(3))
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if runas:
        os.chown(pwfile, pwd.getpwnam(runas[2]).pw_uid, -1)
    server = PgServer(bindir=bindir, root=root, port=0, password=password, read_password=read_pw,
                      write_password=write_pw, runas=runas)
    data = root / "data"
    proc = server._run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
                       "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N")
    if proc.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed: {proc.stderr}", pytrace=False)
    pwfile.unlink()
    for _ in range(5):
        server.port = _free_port()
        conf = (f"\nlisten_addresses = '127.0.0.1'\nport = {server.port}\nunix_socket_directories = '{root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "log_statement = 'all'\nlog_connections = on\nlog_line_prefix = '%m [%p] %q%u@%d '\n"
                "lc_messages = 'C'\n")
        with open(data / "postgresql.auto.conf", "a", encoding="utf-8") as fh:
            fh.write(conf)
        proc = server._run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(server.log), "-w", "-t", "60", "start")
        if proc.returncode == 0:
            break
        time.sleep(0.2)
    else:
        log = server.log.read_text(errors="replace") if server.log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {proc.stderr}\n{log[-2000:]}", pytrace=False)
    (root / "pgpass").write_text("".join(
        f"{server.host}:{server.port}:*:{u}:{p}\n"
        for u, p in (("postgres", password), ("planner_read", read_pw), ("planner_write", write_pw))))
    os.chmod(root / "pgpass", 0o600)
    with server.connect(dbname="postgres") as conn:
        conn.execute("CREATE DATABASE planner")
    server.sql("CREATE EXTENSION postgis")
    from psycopg import sql

    with server.connect() as conn:
        with conn.cursor() as cur:
            cur.execute("SET log_statement = 'none'")  # the role passwords stay out of the server log
            for stmt in filter(None, (s.strip() for s in ROLE_GRANTS.split(";"))):
                cur.execute(sql.SQL(stmt).format(read_pw=sql.Literal(read_pw), write_pw=sql.Literal(write_pw)))
    return server


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def stop_server(server: PgServer) -> None:
    proc = server._run(str(server.bindir / "pg_ctl"), "-D", str(server.root / "data"), "-m", "fast", "-w", "stop")
    if proc.returncode != 0:
        server._run(str(server.bindir / "pg_ctl"), "-D", str(server.root / "data"), "-m", "immediate", "stop")
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[PgServer]:
    """A PostgreSQL + PostGIS server for this test session (per xdist worker)."""
    server = start_server()
    try:
        yield server
    finally:
        stop_server(server)


def statements_since(server: PgServer, mark: int) -> list[str]:
    """Statement lines logged by the server after byte offset ``mark`` of its log."""
    text = server.log.read_bytes()[mark:].decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if re.search(r"\b(LOG|ERROR):\s+(statement|execute)", line)]
