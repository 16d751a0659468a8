"""Read the layers of a study area from a PostGIS schema.

The tables of the schema are the layers, named and shaped like the layers of
the demo GeoPackage (``addresses``, ``roads``, ``pops``, ...; an optional
``metadata`` key/value table with ``name`` and ``bounds``); ``[area.tables]``
maps layers onto tables of other names, or of another schema
(``addresses = "prg.punkty_adresowe"``).  All tables are read in one
read-only, repeatable-read transaction, so the layers are one consistent
snapshot even while colleagues edit them in QGIS.

Like the file readers (:func:`planner.io.files.read_raw`) this module only
maps tables onto frames in their own CRS; :func:`planner.io.load_area`
validates them exactly as file layers.  What is specific to a database is
checked here, each with one message and the fix: schema or mapped table
missing, a table without a geometry column, a geometry column without SRID,
no privilege to read.

Tables as GDAL writes them (``ogr2ogr -f PostgreSQL``, QGIS's DB Manager) are
read as they are: a single integer primary key that is not a layer column
(``ogc_fid``, ``fid``, ``gid``) is the feature id, not an attribute, as the
``fid`` of a GeoPackage; rows come in primary-key order.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql
from pyproj import CRS

from planner._errors import InputDataError, InputFileNotFoundError, Problem
from planner.io.postgis._connect import DatabaseError, connect, database_error
from planner.io.postgis._url import PgTarget, check_identifier, parse_url
from planner.schema import LAYERS

__all__ = ["DbArea", "read_area"]

logger = logging.getLogger(__name__)

#: Preferred geometry column names when a table has several.
_GEOMETRY_NAMES = ("geom", "geometry", "the_geom", "wkb_geometry", "way", "shape")
_INT_TYPES = ("int2", "int4", "int8")
_FLOAT_TYPES = ("float4", "float8")
_TEXT_TYPES = ("text", "varchar", "bpchar", "name", "char")
_NATIVE_TYPES = ("bool", *_INT_TYPES, *_FLOAT_TYPES, *_TEXT_TYPES, "date", "timestamp")

Raw = tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]


@dataclass
class DbArea:
    """The raw layers of a study area read from PostGIS (not validated yet).

    Attributes
    ----------
    name
        Area name: ``name`` of the ``metadata`` table, else the schema name.
    label
        The URL without its password (names the source in every message).
    tables
        Layer -> table it was read from (``table`` or ``schema.table``).
    raw
        Layer -> ``(frame in its own CRS, problems, warnings)``, as
        :func:`planner.io.files.read_raw` returns for one file.
    metadata
        The ``metadata`` key/value table (``_path`` is :attr:`label`).
    warnings
        Things ignored (tables that look like misspelt layers, extra geometry columns).
    """

    name: str
    label: str
    tables: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Raw] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class _Column:
    name: str
    typname: str
    srid: int = 0


def _split(target: PgTarget, layer: str, mapped: str | None) -> tuple[str, str]:
    """(schema, table) of a layer; mapped names are re-checked (Python callers bypass the config)."""
    if mapped is None:
        return target.schema, layer
    what = f"table for layer '{layer}' ([area.tables])"
    schema, dot, table = mapped.partition(".")
    if not dot:
        return target.schema, check_identifier(mapped, what=what, source=target.label)
    return (check_identifier(schema, what=f"schema of the {what}", source=target.label),
            check_identifier(table, what=what, source=target.label))


def _table_label(target: PgTarget, schema: str, table: str) -> str:
    return table if schema == target.schema else f"{schema}.{table}"


def _check_schema(cur: psycopg.Cursor, target: PgTarget) -> None:
    cur.execute("SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace WHERE nspname = %s", (target.schema,))
    row = cur.fetchone()
    if row is None:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' "
                    "ORDER BY nspname")
        names = [r[0] for r in cur.fetchall()]
        close = difflib.get_close_matches(target.schema, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise InputFileNotFoundError(f"study area not found: {target.label}", [Problem(
            file=target.label, message=f"schema '{target.schema}' does not exist in the database{hint}",
            fix=f"give one of the schemas ({', '.join(names) or 'none'}) with ?schema=NAME, or load the layers "
                f"first, e.g. `ogr2ogr -f PostgreSQL PG:dbname=DB area.gpkg -lco SCHEMA={target.schema} "
                "-lco GEOMETRY_NAME=geom` (create the schema first)")])
    if not row[0]:
        raise DatabaseError(f"no access to schema '{target.schema}' ({target.label})", [Problem(
            file=target.label, message=f"the login role has no USAGE privilege on schema '{target.schema}'",
            fix=f"GRANT USAGE ON SCHEMA {target.schema} TO <role>; GRANT SELECT ON ALL TABLES IN SCHEMA "
                f"{target.schema} TO <role> (README, 'Team database')")])
    cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")
    if cur.fetchone() is None:
        raise InputDataError(f"PostGIS is not installed in the database of {target.label}", [Problem(
            file=target.label, message="the database has no postgis extension, so it holds no geometry",
            fix="CREATE EXTENSION postgis; (as the database owner), then load the layers")])


def _relations(cur: psycopg.Cursor, schemas: list[str]) -> set[tuple[str, str]]:
    cur.execute("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND NOT c.relispartition",
                (schemas,))
    return {(r[0], r[1]) for r in cur.fetchall()}


def _columns(cur: psycopg.Cursor, schema: str, table: str) -> tuple[list[_Column], list[str]]:
    """Columns (with geometry SRIDs) and primary-key columns of a table."""
    cur.execute(
        "SELECT a.attname, t.typname, CASE WHEN t.typname IN ('geometry', 'geography') "
        "THEN coalesce(postgis_typmod_srid(a.atttypmod), 0) ELSE 0 END "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (schema, table))
    cols = [_Column(r[0], r[1], int(r[2] or 0)) for r in cur.fetchall()]
    cur.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE n.nspname = %s AND c.relname = %s AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)", (schema, table))
    return cols, [r[0] for r in cur.fetchall()]


def _pick_geometry(cols: list[_Column]) -> tuple[_Column | None, list[_Column]]:
    geo = [c for c in cols if c.typname in ("geometry", "geography")]
    if not geo:
        return None, []
    # geometry before geography, then the usual names, then table order
    rank = {c.name: (c.typname != "geometry",
                     _GEOMETRY_NAMES.index(c.name) if c.name in _GEOMETRY_NAMES else len(_GEOMETRY_NAMES), i)
            for i, c in enumerate(geo)}
    chosen = min(geo, key=lambda c: rank[c.name])
    return chosen, [c for c in geo if c is not chosen]


def _srid_of(cur: psycopg.Cursor, ident: sql.Composable, col: _Column) -> list[int]:
    """SRIDs found in a geometry column (its declared SRID, else those of its rows)."""
    if col.srid:
        return [col.srid]
    if col.typname == "geography":
        return [4326]
    cur.execute(sql.SQL("SELECT DISTINCT ST_SRID({c}) FROM {t} WHERE {c} IS NOT NULL LIMIT 3").format(
        c=sql.Identifier(col.name), t=ident))
    return sorted(int(r[0]) for r in cur.fetchall())


def _crs_of(cur: psycopg.Cursor, srid: int) -> CRS | None:
    cur.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = %s", (srid,))
    row = cur.fetchone()
    if row is None:
        return None
    if str(row[0]).upper() == "EPSG" and row[1]:
        return CRS.from_epsg(int(row[1]))
    return CRS.from_wkt(row[2]) if row[2] else None


def _select_expr(col: _Column, geometry: _Column | None) -> sql.Composable:
    ident = sql.Identifier(col.name)
    if geometry is not None and col.name == geometry.name:
        return sql.SQL("ST_AsBinary({}::geometry)").format(ident)
    if col.typname in _NATIVE_TYPES:
        return ident
    if col.typname == "numeric":
        return sql.SQL("{}::float8").format(ident)
    if col.typname == "timestamptz":
        return sql.SQL("({} AT TIME ZONE 'UTC')").format(ident)
    return sql.SQL("{}::text").format(ident)


def _series(values: list[Any], typname: str) -> pd.Series:
    """A column as the GeoPackage reader would give it (NULL -> None / NaN / NaT)."""
    has_null = any(v is None for v in values)
    if typname == "bool":
        return pd.Series(values, dtype=object if has_null else bool)
    if typname in _INT_TYPES:
        return pd.Series(values, dtype="Int64" if has_null else "int64")
    if typname in _FLOAT_TYPES or typname == "numeric":
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    if typname in ("date", "timestamp", "timestamptz"):
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)))
    return pd.Series(values, dtype=object)


def _read_table(cur: psycopg.Cursor, target: PgTarget, layer: str, schema: str, table: str,
                assume_crs: str | None) -> Raw:
    label = _table_label(target, schema, table)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    spec = LAYERS[layer]
    ident = sql.Identifier(schema, table)
    cols, pk = _columns(cur, schema, table)
    geometry, others = _pick_geometry(cols)
    if others:
        warnings.append(Problem(file=target.label, layer=label,
                                message=f"geometry column(s) {', '.join(c.name for c in others)} ignored; "
                                        f"the layer's geometry is '{geometry.name}'",  # type: ignore[union-attr]
                                fix="keep one geometry column per table, or use a view"))
    keep = [c for c in cols if c not in others]
    # a surrogate integer key (ogc_fid, fid, gid) is the feature id, not an attribute
    if len(pk) == 1 and pk[0] not in spec.column_names and \
            next((c.typname for c in cols if c.name == pk[0]), "") in _INT_TYPES:
        keep = [c for c in keep if c.name != pk[0]]
    crs: CRS | None = None
    if geometry is not None:
        srids = _srid_of(cur, ident, geometry)
        if len(srids) > 1:
            problems.append(Problem(file=target.label, layer=label,
                                    message=f"geometry column '{geometry.name}' mixes SRIDs {srids}",
                                    fix=f"transform every row to one CRS: UPDATE {schema}.{table} SET "
                                        f"{geometry.name} = ST_Transform({geometry.name}, 2180)"))
        elif srids and srids[0] != 0:
            crs = _crs_of(cur, srids[0])
            if crs is None:
                problems.append(Problem(
                    file=target.label, layer=label,
                    message=f"SRID {srids[0]} of column '{geometry.name}' is not in spatial_ref_sys",
                    fix="transform the column to EPSG:2180 (ST_Transform)"))
        elif assume_crs:
            crs = CRS.from_user_input(assume_crs)
            warnings.append(Problem(file=target.label, layer=label,
                                    message=f"layer '{layer}' has no SRID; assumed {assume_crs} (--assume-crs)",
                                    fix="declare the SRID in the table to silence this"))
        else:
            problems.append(Problem(
                file=target.label, layer=label,
                message=f"geometry column '{geometry.name}' of table {label} has no SRID (0): its coordinates "
                        "cannot be placed",
                fix=f"declare it, e.g. ALTER TABLE {schema}.{table} ALTER COLUMN {geometry.name} TYPE "
                    f"geometry(Geometry, 2180) USING ST_SetSRID({geometry.name}, 2180); or pass --assume-crs "
                    "EPSG:2180"))
    if problems:
        return gpd.GeoDataFrame(geometry=[], crs=None), problems, warnings

    query = sql.SQL("SELECT {cols} FROM {t}").format(
        cols=sql.SQL(", ").join(_select_expr(c, geometry) for c in keep) if keep else sql.SQL("NULL"), t=ident)
    if pk:
        query = sql.SQL("{q} ORDER BY {k}").format(q=query, k=sql.SQL(", ").join(map(sql.Identifier, pk)))
    cur.execute(query)
    rows = cur.fetchall()
    data: list[tuple[Any, ...]] = list(zip(*rows)) if rows else [() for _ in keep]
    frame = pd.DataFrame({c.name: _series(list(v), c.typname) for c, v in zip(keep, data)
                          if geometry is None or c.name != geometry.name}, index=pd.RangeIndex(len(rows)))
    if geometry is not None:
        wkb = list(data[keep.index(geometry)]) if keep else []
        geoms = shapely.from_wkb(np.array([None if v is None else bytes(v) for v in wkb], dtype=object))
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index, crs=crs), crs=crs)
        return gdf, problems, warnings
    from planner.io.files import table_to_geodataframe

    gdf, more = table_to_geodataframe(frame, source=f"{target.label} [{label}]")
    problems += more
    if spec.geometry_required and len(gdf) and not gdf.geometry.notna().any():
        problems.append(Problem(
            file=target.label, layer=label, message=f"table {label} has no geometry column (layer '{layer}' needs "
                                                    f"{'/'.join(spec.geometry)} geometries)",
            fix=f"add one with its SRID, e.g. ALTER TABLE {schema}.{table} ADD COLUMN geom "
                f"geometry({spec.geometry[0]}, 2180), and fill it; or map another table in [area.tables]"))
    return gdf, problems, warnings


def _read_metadata(cur: psycopg.Cursor, schema: str, table: str) -> dict[str, str]:
    cols, _ = _columns(cur, schema, table)
    if not {"key", "value"} <= {c.name for c in cols}:
        return {}
    cur.execute(sql.SQL("SELECT key::text, value::text FROM {}").format(sql.Identifier(schema, table)))
    return {str(k): str(v) for k, v in cur.fetchall() if k is not None and v is not None}


def read_area(url: str, tables: dict[str, str] | None = None, *, assume_crs: str | None = None,
              require: bool = True) -> DbArea:
    """Read every layer of a study area from a PostGIS schema, in one snapshot.

    Parameters
    ----------
    url
        ``postgresql://[user@]host[:port]/dbname?schema=NAME``.
    tables
        Layer (or ``"metadata"``) -> table name where it differs from the
        layer name (``[area.tables]``); ``"schema.table"`` for another schema.
    assume_crs
        CRS for geometry columns without SRID (else such a table is an error).
    require
        Report required layers whose table is missing (``False`` for a
        partial area, ``planner validate --partial``).

    Returns
    -------
    DbArea
        The raw layers; :func:`planner.io.load_area` validates them.

    Raises
    ------
    UsageError
        Bad URL or table name (nothing is sent to the server).
    DatabaseError
        Server unreachable, login refused, no privilege.
    InputFileNotFoundError
        The schema does not exist.
    """
    target = parse_url(url, option="--area")
    tables = dict(tables or {})
    where = {name: _split(target, name, tables.get(name)) for name in (*LAYERS, "metadata")}
    area = DbArea(name=target.schema, label=target.label)
    with connect(target) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        step = f"opening schema '{target.schema}'"
        current: str | None = None
        try:
            with conn.cursor() as cur:
                _check_schema(cur, target)
                rels = _relations(cur, sorted({s for s, _ in where.values()}))
                step = "reading the metadata table"
                if where["metadata"] in rels:
                    area.metadata = _read_metadata(cur, *where["metadata"])
                for name, (schema, table) in where.items():
                    if name == "metadata":
                        continue
                    label = _table_label(target, schema, table)
                    if (schema, table) in rels:
                        step, current = f"reading table {label}", label
                        area.tables[name] = label
                        area.raw[name] = _read_table(cur, target, name, schema, table, assume_crs)
                    elif name in tables or (require and LAYERS[name].required):
                        how = "mapped in [area.tables]" if name in tables else "required"
                        area.tables[name] = label
                        area.raw[name] = (gpd.GeoDataFrame(geometry=[], crs=None), [Problem(
                            file=target.label, layer=label,
                            message=f"table {label} for layer '{name}' ({how}) does not exist",
                            fix=f"load the '{name}' layer into {schema}.{table} or map the table that holds it: "
                                f"[area.tables] {name} = \"TABLE\"")], [])
        except psycopg.Error as exc:
            raise database_error(target, exc, step, table=current) from None
    for schema, table in sorted(rels):
        if schema != target.schema or (schema, table) in where.values():
            continue
        close = difflib.get_close_matches(table, list(LAYERS), n=1, cutoff=0.7)
        if close and close[0] not in area.raw:
            area.warnings.append(Problem(
                file=target.label, layer=table, message=f"table {table!r} is not a layer of the study area and was "
                                                        f"ignored; did you mean '{close[0]}'?",
                fix=f"rename it, or map it: [area.tables] {close[0]} = \"{table}\""))
    area.name = area.metadata.get("name") or target.schema
    area.metadata["_path"] = target.label
    logger.info("read %d layer(s) from %s: %s", len(area.raw), target.label,
                ", ".join(f"{k} {len(v[0])}" for k, v in area.raw.items()))
    return area
