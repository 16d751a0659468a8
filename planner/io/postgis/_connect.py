"""Connections and database errors turned into one clear message with the fix.

Credentials are libpq's business: ``PGPASSWORD``, ``~/.pgpass``, a service
file (``PGSERVICE`` / ``?service=``) or a password in the URL.  Every message
built here goes through :meth:`PgTarget.scrub`, so a password given in the URL
never reaches a log line, an error message or a :class:`Problem` record.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg.conninfo import make_conninfo

from planner._errors import PlannerError, Problem
from planner.io.postgis._url import PgTarget

__all__ = ["DatabaseError", "connect", "database_error"]

logger = logging.getLogger(__name__)


class DatabaseError(PlannerError, ConnectionError):
    """The database cannot be reached or used: server down, login refused, no privilege (exit code 1)."""


_FIX_UNREACHABLE = ("check that the server runs and that host and port in the URL are right "
                    "(`pg_isready -h HOST -p PORT`); the server must accept TCP connections from this machine "
                    "(listen_addresses, pg_hba.conf)")
_FIX_LOGIN = ("give the password the libpq way: PGPASSWORD, ~/.pgpass (host:port:dbname:user:password, chmod 600) "
              "or a service file (?service=NAME); check the user name (URL user@host, PGUSER)")
_FIX_DATABASE = "check the database name in the URL (postgresql://host/DBNAME?schema=...) or create it (createdb)"


def _kind(exc: psycopg.Error, text: str) -> tuple[str, str]:
    """(what went wrong, fix) for a connection error."""
    low = text.lower()
    state = getattr(exc, "sqlstate", None)
    if state == "28P01" or "password authentication failed" in low or "no password supplied" in low \
            or "authentication failed" in low:
        return "login refused", _FIX_LOGIN
    if state == "28000" or "pg_hba.conf" in low or ("role" in low and "does not exist" in low):
        return "login refused", ("check the user name; the database admin must create the role and allow it in "
                                 "pg_hba.conf (see the README, 'Team database')")
    if state == "3D000" or ("database" in low and "does not exist" in low):
        return "no such database", _FIX_DATABASE
    return "server unreachable", _FIX_UNREACHABLE


def connect(target: PgTarget) -> psycopg.Connection:
    """Open a connection to ``target`` (not in autocommit mode).

    Raises
    ------
    DatabaseError
        Server unreachable, login refused or no such database; the message
        names the (redacted) URL and the fix.
    """
    try:
        conn = psycopg.connect(make_conninfo(**target.params))
    except psycopg.Error as exc:
        text = target.scrub(str(exc).strip()) or type(exc).__name__
        what, fix = _kind(exc, text)
        raise DatabaseError(f"cannot connect to {target.label}: {what}", [Problem(
            file=target.label, message=f"{what}: {text}", fix=fix)]) from None
    logger.debug("connected to %s", target.label)
    return conn


def database_error(target: PgTarget, exc: psycopg.Error, doing: str, *, table: str | None = None) -> PlannerError:
    """A :class:`DatabaseError` for a failed statement, with the fix for the usual causes.

    Parameters
    ----------
    target
        The database.
    exc
        The driver's error.
    doing
        What was being done, e.g. ``"reading table roads"``.
    table
        Table concerned, named in the problem.
    """
    text = target.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        db = target.params.get("dbname", "<db>")
        fix = (f"the database owner grants it (README, 'Team database'): to read an area GRANT USAGE ON SCHEMA "
               f"{target.schema} and GRANT SELECT ON ALL TABLES IN SCHEMA {target.schema}; to write plans GRANT "
               f"CREATE ON DATABASE {db} and SELECT, INSERT, DELETE ON public.layer_styles")
    elif isinstance(exc, (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled)):
        fix = "another session (e.g. QGIS) holds a lock on the schema; close it or retry later"
    elif isinstance(exc, psycopg.OperationalError):
        fix = _FIX_UNREACHABLE
    else:
        fix = "check the table against the layer schema (planner/schema.py) and the [area.tables] mapping"
    return DatabaseError(f"database error while {doing} ({target.label})", [Problem(
        file=target.label, layer=table, message=f"{doing}: {text}", fix=fix)])
