"""QGIS default styles of a plan in ``public.layer_styles``.

QGIS keeps the styles of PostGIS layers in a ``layer_styles`` table of its own
layout (created by QGIS's ``QgsPostgresUtils::createStylesTable``): ``id``
serial key, ``f_table_catalog`` (the database), ``f_table_schema``,
``f_table_name``, ``f_geometry_column``, ``stylename``, ``styleqml`` and
``stylesld`` (``xml``), ``useasdefault``, ``description``, ``owner``, ``ui``,
``update_time`` and, since QGIS 3.22, ``type`` and ``r_raster_column``.  When a
layer is opened, QGIS applies the row of that table and geometry column with
``useasdefault`` (newest ``update_time`` first).

The planner's rows carry a ``stylename`` starting with ``planner_`` and the
fixed ``update_time`` of :data:`planner.output.gpkg_styles.UPDATE_TIME`: each run
replaces them, while a style a user saved in QGIS as the default of a layer
(newer ``update_time``) keeps winning over the planner's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import psycopg
from psycopg import sql

__all__ = ["write_styles", "STYLES_TABLE", "STYLES_DDL"]

logger = logging.getLogger(__name__)

#: Schema and name of QGIS's style table.
STYLES_TABLE = ("public", "layer_styles")

#: The table as QGIS creates it (column names folded to lower case, as QGIS's unquoted DDL does).
STYLES_DDL = (
    "CREATE TABLE IF NOT EXISTS {table} ("
    "id serial PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar, f_table_name varchar, "
    "f_geometry_column varchar, stylename text, styleqml xml, stylesld xml, useasdefault boolean, "
    "description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml, "
    "update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar, r_raster_column varchar)"
)

# advisory lock key: concurrent runs must not race on CREATE TABLE IF NOT EXISTS
_LOCK_KEY = "planner:layer_styles"


def write_styles(cur: psycopg.Cursor, schema: str, styles: Sequence[object], geometry_column: str) -> int:
    """Replace the planner's rows of ``schema`` in ``public.layer_styles`` (inside the caller's transaction).

    Parameters
    ----------
    cur
        Cursor of the writer's transaction.
    schema
        The plan schema.
    styles
        :class:`planner.output.gpkg_styles.LayerStyle` records (``table``,
        ``name``, ``qml``, ``description``).
    geometry_column
        Geometry column of the styled tables.

    Returns
    -------
    int
        Number of rows written.
    """
    from planner.output.gpkg_styles import UPDATE_TIME

    table = sql.Identifier(*STYLES_TABLE)
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (_LOCK_KEY,))
    # created only when missing: CREATE ... IF NOT EXISTS would need CREATE on schema public even then
    cur.execute("SELECT to_regclass('public.layer_styles') IS NOT NULL")
    if not cur.fetchone()[0]:  # type: ignore[index]
        cur.execute(sql.SQL(STYLES_DDL).format(table=table))
    cur.execute("SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('public.layer_styles') "
                "AND attnum > 0 AND NOT attisdropped")
    has_type = "type" in {r[0] for r in cur.fetchall()}
    cur.execute(sql.SQL("DELETE FROM {} WHERE f_table_catalog = current_database() AND f_table_schema = %s "
                        "AND stylename LIKE %s").format(table), (schema, "planner\\_%"))
    cols = ["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "stylename", "styleqml",
            "stylesld", "useasdefault", "description", "owner", "ui", "update_time"]
    vals = ("current_database(), %s, %s, %s, %s, XMLPARSE(DOCUMENT %s), NULL, true, %s, current_user, NULL, "
            "%s::timestamptz AT TIME ZONE 'UTC'")
    if has_type:
        cols.append("type")
        vals += ", 'vector'"
    insert = sql.SQL("INSERT INTO {} ({}) VALUES (" + vals + ")").format(
        table, sql.SQL(", ").join(map(sql.Identifier, cols)))
    rows = [(schema, s.table, geometry_column, s.name, s.qml, s.description, UPDATE_TIME)  # type: ignore[attr-defined]
            for s in styles]
    if rows:
        cur.executemany(insert, rows)
    logger.debug("%d QGIS styles for schema %s in public.layer_styles", len(rows), schema)
    return len(rows)
