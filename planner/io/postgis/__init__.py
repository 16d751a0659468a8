"""PostGIS for teams: study areas read from, plans written to PostgreSQL/PostGIS.

``--area postgresql://[user@]host[:port]/dbname?schema=NAME`` reads the
schema's tables as the layers of a study area (:func:`read_area`, called by
:func:`planner.io.load_area`, which validates them exactly as file layers);
``--out postgresql://...?schema=NAME`` writes a plan's layers and tables into
that schema in one transaction, all or nothing, with the QGIS styles in
``public.layer_styles`` (:mod:`planner.output.postgis`, the writing side).

Credentials come the libpq way (``PGPASSWORD``, ``~/.pgpass``, a service
file); a password in the URL is accepted but never printed: every message
names the URL as :func:`redact` shows it.  Schema and table names are checked
(:data:`planner.schema.SQL_IDENTIFIER_PATTERN`) before anything is sent and
always quoted (:class:`psycopg.sql.Identifier`); values travel as query
parameters.  Any other URL scheme (``http://``, ``s3://``) is a usage error.

Submodules: :mod:`~planner.io.postgis.reader`, ``_url`` (parsing, redaction)
and ``_connect`` (connections, error messages); the writer, with the tables
and ``layer_styles``, is :mod:`planner.output.postgis`.  The driver (psycopg) is imported on first use only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.io.postgis._url import DB_SCHEMES, PgTarget, is_url, local_path, parse_url, redact, url_scheme

if TYPE_CHECKING:  # pragma: no cover
    from planner.io.postgis._connect import DatabaseError
    from planner.io.postgis.reader import DbArea, read_area

__all__ = [
    "DB_SCHEMES", "PgTarget", "is_url", "url_scheme", "parse_url", "redact", "local_path",
    "DatabaseError", "DbArea", "read_area",
]

_LAZY = {
    "DatabaseError": "planner.io.postgis._connect",
    "DbArea": "planner.io.postgis.reader",
    "read_area": "planner.io.postgis.reader",
}


def __getattr__(name: str) -> Any:
    """Import the driver-dependent parts on first use (``planner.io`` stays light)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
