"""Write a plan into a PostGIS schema: all of it or nothing.

Every layer and table of the plan is written in ONE transaction into a fresh
staging schema (``planner_staging_<random>``); only when all of it is there
does the same transaction drop the previous plan schema and rename the
staging schema onto it, and replace the plan's rows in
``public.layer_styles``.  A failure at any point rolls everything back: the
previous schema, its grants and its styles stay as they were, and no staging
schema is left behind.  Readers (QGIS) see the old plan until the commit and
the new one after it.

Like the output directory (:func:`planner.output.files.staged_output_dir`), only a
schema the planner wrote (its comment says so) or an empty one is replaced;
an input schema, ``public`` or a colleague's schema of other data is refused.
Objects outside the schema that depend on its tables (views, foreign keys)
are never dropped along with it: the run is refused and names them.
Privileges granted on the old schema and its tables are granted again on the
new ones.

Tables get an integer primary key ``fid`` (row order of the plan's files), a
unique index on their natural id (``id``, ``segment_id``, ``simc``, ...), a
``geom`` column of one PostGIS type with the layer's SRID (EPSG:2180 for
Polish areas) and a GiST index; ``summary`` holds ``summary.json`` as
key / JSON value rows.  QGIS styles (:mod:`planner.output.gpkg_styles`) are stored
in ``public.layer_styles`` in QGIS's own layout.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from planner._errors import Problem, UsageError
from planner.io.postgis._connect import DatabaseError, connect, database_error
from planner.io.postgis._url import PgTarget, is_url, parse_url
from planner.output.postgis._styles import write_styles
from planner.output.postgis._tables import (
    GEOMETRY_COLUMN,
    GEOMETRY_TYPES,
    KEY_COLUMN,
    PG_TYPES,
    TableSpec,
    merge_tables,
    table_spec,
)

__all__ = ["write_plan", "check_output", "SCHEMA_MARKER", "STAGING_PREFIX"]

logger = logging.getLogger(__name__)

#: Start of the comment on every schema the planner writes; only such schemas are replaced.
SCHEMA_MARKER = "planner plan output"
#: Prefix of the staging schemas (never visible to other sessions: they exist inside one transaction).
STAGING_PREFIX = "planner_staging_"
#: How long the swap waits for locks held by other sessions (e.g. QGIS reading the old plan). [A]
LOCK_TIMEOUT = "60s"
#: Schemas never written into.
_RESERVED = ("public", "information_schema", "topology", "tiger", "tiger_data", "postgis")
_PRIVILEGES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "USAGE",
                         "CREATE"})


def _output_target(url: str, inputs: Iterable[object]) -> PgTarget:
    target = parse_url(url, option="--out")
    name = target.schema
    if name.lower() in _RESERVED or name.lower().startswith(("pg_", STAGING_PREFIX)):
        raise UsageError(f"refusing to write a plan into schema '{name}'", [Problem(
            file=target.label, message=f"'{name}' is a system or shared schema; a plan replaces its schema as a whole",
            fix="give a schema of its own, e.g. ?schema=plan_serock")])
    for inp in inputs:
        text = str(inp).split(" [", 1)[0]
        if not is_url(text):
            continue
        try:
            src = parse_url(text)
        except UsageError:
            continue
        if src.schema == target.schema and src.same_database(target):
            raise UsageError(f"refusing to write into {target.label}: it holds the input", [Problem(
                file=target.label, message=f"schema '{name}' holds the study area being planned; writing the plan "
                                           "there would replace it",
                fix="choose another --out schema")])
    return target


def _schema_state(cur: psycopg.Cursor, schema: str) -> tuple[bool, bool, int]:
    """(exists, written by the planner, number of relations and functions in it)."""
    cur.execute("SELECT obj_description(n.oid, 'pg_namespace'), "
                "(SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid) "
                "+ (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid) "
                "FROM pg_namespace n WHERE n.nspname = %s", (schema,))
    row = cur.fetchone()
    if row is None:
        return False, False, 0
    return True, str(row[0] or "").startswith(SCHEMA_MARKER), int(row[1])


def _refuse_foreign(target: PgTarget, cur: psycopg.Cursor) -> None:
    exists, ours, n = _schema_state(cur, target.schema)
    if exists and not ours and n:
        raise UsageError(f"refusing to replace schema '{target.schema}': not a plan of the planner", [Problem(
            file=target.label, message=f"schema '{target.schema}' holds {n} object(s) and was not written by the "
                                       "planner",
            fix="choose a new or empty schema with ?schema=NAME, or drop this one")])
    if exists:
        cur.execute("SELECT pg_get_userbyid(nspowner), pg_has_role(nspowner, 'USAGE') FROM pg_namespace "
                    "WHERE nspname = %s", (target.schema,))
        owner, mine = cur.fetchone()  # type: ignore[misc]
        if not mine:
            raise DatabaseError(f"cannot replace schema '{target.schema}': it belongs to role {owner}", [Problem(
                file=target.label, message=f"schema '{target.schema}' belongs to role '{owner}'; only that role "
                                           "(or a member of it) may drop and replace it",
                fix=f"write as '{owner}' (e.g. the team's one write role), GRANT {owner} TO <your role>, or "
                    "choose another schema")])


def check_output(url: str, *, inputs: Iterable[object] = ()) -> str:
    """Check, before planning, that a plan can be written to ``url``.

    Parses the URL (no connection for a bad one), connects, and checks that
    the role may create schemas and that the target schema is new, empty or
    an earlier plan.  Nothing is written.

    Returns
    -------
    str
        The URL without its password.

    Raises
    ------
    UsageError, DatabaseError
    """
    target = _output_target(url, inputs)
    with connect(target) as conn:
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT has_database_privilege(current_database(), 'CREATE')")
                if not cur.fetchone()[0]:  # type: ignore[index]
                    raise DatabaseError(f"cannot write plans into {target.label}", [Problem(
                        file=target.label, message="the login role may not create schemas in this database",
                        fix="GRANT CREATE ON DATABASE <db> TO <role> (README, 'Team database')")])
                _refuse_foreign(target, cur)
        except psycopg.Error as exc:
            raise database_error(target, exc, "checking the output schema") from None
        conn.rollback()
    return target.label


def _create_table(cur: psycopg.Cursor, schema: str, spec: TableSpec, index_columns: Sequence[str] = ()) -> None:
    ident = sql.Identifier(schema, spec.name)
    cols = [sql.SQL("{} integer PRIMARY KEY").format(sql.Identifier(KEY_COLUMN))]
    for name, pg_type in spec.columns:
        assert pg_type in PG_TYPES
        cols.append(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type)))
    names = [KEY_COLUMN, *(n for n, _ in spec.columns)]
    if spec.geometry is not None:
        base = spec.geometry_type.removesuffix("Z")
        assert base in GEOMETRY_TYPES
        cols.append(sql.SQL("{} geometry({}, {})").format(
            sql.Identifier(GEOMETRY_COLUMN), sql.SQL(spec.geometry_type), sql.SQL(str(int(spec.srid)))))
        names.append(GEOMETRY_COLUMN)
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(cols)))
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(ident, sql.SQL(", ").join(map(sql.Identifier, names)))
    with cur.copy(copy_sql) as copy:
        for row in spec.rows():
            copy.write_row(row)
    if spec.geometry is not None:
        cur.execute(sql.SQL("CREATE INDEX ON {} USING GIST ({})").format(ident, sql.Identifier(GEOMETRY_COLUMN)))
    if spec.natural_key:
        cur.execute(sql.SQL("CREATE UNIQUE INDEX ON {} ({})").format(ident, sql.Identifier(spec.natural_key)))
    present = {n for n, _ in spec.columns}
    for col in dict.fromkeys(index_columns):  # btree indexes asked for (e.g. plan-many's commune_terc)
        if col in present and col != spec.natural_key:
            cur.execute(sql.SQL("CREATE INDEX ON {} ({})").format(ident, sql.Identifier(col)))
    cur.execute(sql.SQL("ANALYZE {}").format(ident))


def _write_summary(cur: psycopg.Cursor[Any], schema: str, summary: dict[str, Any]) -> None:
    ident = sql.Identifier(schema, "summary")
    cur.execute(sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value jsonb NOT NULL)").format(ident))
    rows = [(str(k), json.dumps(v, ensure_ascii=False, sort_keys=True)) for k, v in sorted(summary.items())]
    cur.executemany(sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s::jsonb)").format(ident), rows)


def _dependents(cur: psycopg.Cursor, schema: str) -> list[str]:
    """Views and foreign keys outside ``schema`` that depend on its tables."""
    cur.execute(
        "SELECT DISTINCT v.oid::regclass::text FROM pg_depend d "
        "JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid "
        "JOIN pg_class v ON v.oid = r.ev_class JOIN pg_class t ON t.oid = d.refobjid "
        "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE d.refclassid = 'pg_class'::regclass AND tn.nspname = %s AND v.relnamespace <> tn.oid "
        "UNION SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "JOIN pg_class s ON s.oid = c.conrelid "
        "WHERE c.contype = 'f' AND tn.nspname = %s AND s.relnamespace <> tn.oid ORDER BY 1", (schema, schema))
    return [r[0] for r in cur.fetchall()]


def _grants(cur: psycopg.Cursor, schema: str) -> list[tuple[str | None, str, str | None]]:
    """(table or None for the schema, privilege, grantee or None for PUBLIC) granted to others on ``schema``."""
    cur.execute(
        "SELECT NULL::text, g.privilege_type, CASE WHEN g.grantee = 0 THEN NULL ELSE pg_get_userbyid(g.grantee) END "
        "FROM pg_namespace n, aclexplode(n.nspacl) g WHERE n.nspname = %s AND g.grantee <> n.nspowner "
        "UNION ALL SELECT c.relname::text, g.privilege_type, "
        "CASE WHEN g.grantee = 0 THEN NULL ELSE pg_get_userbyid(g.grantee) END "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) g "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') AND g.grantee <> c.relowner "
        "ORDER BY 1 NULLS FIRST, 2, 3", (schema, schema))
    return [(r[0], r[1], r[2]) for r in cur.fetchall() if r[1] in _PRIVILEGES]


def _regrant(cur: psycopg.Cursor, schema: str, grants: list[tuple[str | None, str, str | None]],
             tables: set[str]) -> None:
    for table, privilege, grantee in grants:
        if table is not None and table not in tables:
            continue
        on = sql.SQL("SCHEMA {}").format(sql.Identifier(schema)) if table is None else \
            sql.SQL("TABLE {}").format(sql.Identifier(schema, table))
        who = sql.SQL("PUBLIC") if grantee is None else sql.Identifier(grantee)
        cur.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), on, who))


def _swap(cur: psycopg.Cursor, target: PgTarget, staging: str, tables: set[str]) -> None:
    """Replace the target schema by the staging schema (inside the writer's transaction)."""
    cur.execute("SELECT set_config('lock_timeout', %s, true)", (LOCK_TIMEOUT,))
    # one writer per target schema at a time; a second run waits and then replaces the first's plan
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"planner:schema:{target.schema}",))
    _refuse_foreign(target, cur)
    exists, _, _ = _schema_state(cur, target.schema)
    grants: list[tuple[str | None, str, str | None]] = []
    if exists:
        deps = _dependents(cur, target.schema)
        if deps:
            raise UsageError(f"refusing to replace schema '{target.schema}': other objects depend on it", [Problem(
                file=target.label, message=f"{', '.join(deps)} outside the schema use its tables and would be "
                                           "dropped with it",
                fix="drop them before the run and create them again after it, or write the plan into another "
                    "schema")])
        grants = _grants(cur, target.schema)
        cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(target.schema)))
    cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(staging), sql.Identifier(target.schema)))
    _regrant(cur, target.schema, grants, tables)


def write_plan(
    url: str,
    layers: dict[str, pd.DataFrame],
    tables: dict[str, pd.DataFrame] | None = None,
    *,
    summary: dict[str, Any] | None = None,
    styles: Sequence[object] = (),
    inputs: Iterable[object] = (),
    index_columns: Sequence[str] = (),
    command: str = "planner plan --out",
) -> str:
    """Write a plan's layers and tables into a PostGIS schema, all or nothing.

    Parameters
    ----------
    url
        ``postgresql://[user@]host[:port]/dbname?schema=NAME``; the schema is
        created, or replaced when it holds an earlier plan.
    layers
        Layer name -> GeoDataFrame (:func:`planner.report.plan_layers`).
    tables
        Table name -> DataFrame (:func:`planner.report.plan_tables`); a table
        named like a layer is that layer's table (its extra columns, e.g. the
        ``x``, ``y`` of ``addresses``, join the layer).
    summary
        ``summary.json`` content, stored as table ``summary`` (key, jsonb value).
    styles
        :class:`planner.output.gpkg_styles.LayerStyle` records for
        ``public.layer_styles`` (QGIS default styles of the layers).
    inputs
        Input paths or URLs; writing into the schema of an input is refused.
    index_columns
        Columns that get a btree index in every table that has them (e.g.
        ``commune_terc`` of a ``plan-many`` region).
    command
        The command named in the schema's comment (the schema is replaced as
        a whole by each run of it).

    Returns
    -------
    str
        The URL without its password.

    Raises
    ------
    UsageError
        Bad URL, a system schema, the input schema, or a schema of other data.
    DatabaseError
        Server unreachable, login refused, missing privileges, locks not
        granted in time; nothing is written.

    Examples
    --------
    >>> from planner.report import plan_layers, plan_tables          # doctest: +SKIP
    >>> write_plan("postgresql://gis.example/gis?schema=plan_serock",  # doctest: +SKIP
    ...            plan_layers(p), plan_tables(p), summary=p.summary())
    """
    target = _output_target(url, inputs)
    frames = merge_tables(layers, tables or {})
    srids = {f.crs.to_epsg() for f in frames.values() if getattr(f, "crs", None) is not None}
    default_srid = srids.pop() if len(srids) == 1 else None
    specs = [table_spec(name, frame, default_srid=default_srid) for name, frame in frames.items()]
    if summary is not None and "summary" in frames:
        raise UsageError("a plan table is named 'summary', which holds summary.json in the database")
    staging = f"{STAGING_PREFIX}{uuid.uuid4().hex[:16]}"
    step = "creating the staging schema"
    with connect(target) as conn:
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(staging)))
                for spec in specs:
                    step = f"writing table {spec.name}"
                    _create_table(cur, staging, spec, index_columns)
                    logger.debug("wrote %s.%s (%d rows)", target.schema, spec.name, spec.n_rows)
                if summary is not None:
                    step = "writing table summary"
                    _write_summary(cur, staging, summary)
                step = f"replacing schema {target.schema}"
                names = {s.name for s in specs} | ({"summary"} if summary is not None else set())
                _swap(cur, target, staging, names)
                cur.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                    sql.Identifier(target.schema),
                    sql.Literal(f"{SCHEMA_MARKER}: replaced as a whole by each `{command}`")))
                step = "writing QGIS styles into public.layer_styles"
                spatial = {s.name for s in specs if s.geometry is not None}
                n_styles = write_styles(cur, target.schema, [s for s in styles if getattr(s, "table", None) in spatial],
                                        GEOMETRY_COLUMN)
        except psycopg.Error as exc:
            raise database_error(target, exc, step) from None
    logger.info("plan written to %s: %d tables, %d QGIS styles", target.label, len(specs), n_styles)
    return target.label
