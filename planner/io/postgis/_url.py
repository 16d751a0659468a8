"""Database URLs: recognise, parse, validate and redact them.

A study area or a plan in PostGIS is named by a libpq URL with one extra query
parameter, the schema::

    postgresql://[user[:password]@][host][:port]/[dbname]?schema=NAME[&sslmode=...]

Everything is checked here, before any connection is made: the scheme, the
query parameters (a short list of libpq's), and the schema name
(:data:`planner.schema.SQL_IDENTIFIER_PATTERN`).  The password, when the URL
carries one, is kept apart from every text that may be printed
(:attr:`PgTarget.label`, :func:`redact`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from planner._errors import Problem, UsageError
from planner.schema import SQL_IDENTIFIER_PATTERN

__all__ = ["PgTarget", "is_url", "url_scheme", "parse_url", "redact", "check_identifier", "local_path", "DB_SCHEMES"]

#: URL schemes read and written by :mod:`planner.io.postgis` (libpq accepts both).
DB_SCHEMES = ("postgresql", "postgres")

#: libpq connection parameters accepted in the query string besides ``schema``
#: (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS).
#: ``options`` (arbitrary server settings) is left out on purpose.
_LIBPQ_PARAMS = frozenset({
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service", "connect_timeout",
    "application_name", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword",
    "gssencmode", "krbsrvname", "channel_binding", "target_session_attrs", "require_auth",
})
_SECRET_PARAMS = ("password", "sslpassword")

#: Default ``connect_timeout`` in seconds, so an unreachable server fails fast
#: instead of waiting for the TCP stack. [A]
CONNECT_TIMEOUT_S = 10

_SCHEME_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]+)://")
_IDENT_RE = re.compile(SQL_IDENTIFIER_PATTERN)
# a URL token (its user info is redacted up to its last '@', so that an unencoded '@', '/' or '?'
# in a password cannot leak), and password=... in a query string or conninfo
_URL_TOKEN_RE = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]+://)(?P<rest>\S*)")
_PARAM_RE = re.compile(r"(?P<head>\b(?:ssl)?password\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^&\s]*)", re.IGNORECASE)


def url_scheme(text: object) -> str | None:
    """The scheme of ``text`` if it looks like a URL (``scheme://...``), else ``None``.

    Examples
    --------
    >>> url_scheme("postgresql://localhost/gis?schema=serock"), url_scheme("out/demo"), url_scheme("C:/x")
    ('postgresql', None, None)
    """
    m = _SCHEME_RE.match(str(text))
    return m.group(1).lower() if m else None


def is_url(text: object) -> bool:
    """Whether ``text`` looks like a URL (``scheme://...``) rather than a file path."""
    return url_scheme(text) is not None


def redact(text: object) -> str:
    """``text`` with every password of a URL or ``password=`` parameter replaced by ``***``.

    Examples
    --------
    >>> redact("postgresql://ann:s3cret@db:5432/gis?schema=x&sslpassword=k")
    'postgresql://ann:***@db:5432/gis?schema=x&sslpassword=***'
    """
    out = _URL_TOKEN_RE.sub(_redact_url_token, str(text))
    return _PARAM_RE.sub(lambda m: f"{m['head']}***", out)


def _label(url: str) -> str:
    """``url`` redacted as one token (a password with spaces or any other character cannot leak)."""
    m = re.match(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]+://)(?P<rest>.*)", url, re.DOTALL)
    out = _redact_url_token(m) if m else url
    return re.sub(r"(?P<head>[?&](?:ssl)?password=)[^&]*", lambda m: f"{m['head']}***", out, flags=re.IGNORECASE)


def _redact_url_token(m: re.Match[str]) -> str:
    rest = m["rest"]
    at = rest.rfind("@")
    colon = rest.find(":", 0, max(at, 0))
    if at > 0 and colon >= 0:
        rest = f"{rest[:colon]}:***{rest[at:]}"
    return str(m["head"]) + rest


def local_path(text: str | Path, *, option: str = "--out") -> Path:
    """``text`` as a local path; a URL (``s3://``, ``http://``, even ``postgresql://``) is a usage error.

    For options that only write files (``planner map --out``, ``planner compare --out``).

    Raises
    ------
    UsageError
        ``text`` looks like a URL.
    """
    scheme = url_scheme(text)
    if scheme is None:
        return Path(text)
    raise UsageError(f"{option}: a local file path is needed, not a '{scheme}://' URL", [Problem(
        file=_label(str(text)), message=f"{option} of this command writes a local file; URLs are not supported",
        fix="give a local path (postgresql:// URLs are read and written by --area and `planner plan --out`)")])


def check_identifier(name: str, *, what: str, source: str) -> str:
    """Return ``name`` if it is a plain SQL identifier, else raise :class:`UsageError`.

    Parameters
    ----------
    name
        Schema or table name.
    what
        What the name is, for the message (``"schema"``, ``"table for layer 'roads'"``).
    source
        Where it came from (redacted URL, configuration key).
    """
    if _IDENT_RE.fullmatch(name) and len(name.encode()) <= 63:
        return name
    raise UsageError(f"invalid {what} name {name!r}", [Problem(
        file=source, message=f"{what} name {name!r} is not a plain identifier; nothing was sent to the database",
        fix="use ASCII letters, digits and _ only, not starting with a digit, at most 63 characters "
            "(e.g. ?schema=serock_2025)")])


@dataclass(frozen=True)
class PgTarget:
    """A parsed database URL: where to connect and which schema.

    Attributes
    ----------
    schema
        The schema named by ``?schema=``.
    label
        The URL with its passwords replaced by ``***``: the only form that is
        ever printed or logged.
    params
        libpq connection parameters (passwords included; never print these).
    """

    schema: str
    label: str
    params: dict[str, str] = field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Passwords given in the URL (to scrub from any text before it is shown)."""
        return tuple(v for k, v in self.params.items() if k in _SECRET_PARAMS and v)

    def scrub(self, text: object) -> str:
        """``text`` with URL passwords and this target's passwords replaced by ``***``."""
        out = redact(text)
        for s in self.secrets:
            out = out.replace(s, "***")
        return out

    def with_schema(self, schema: str) -> PgTarget:
        """The same database, another schema (validated)."""
        check_identifier(schema, what="schema", source=self.label)
        label = re.sub(r"([?&]schema=)[^&]*", lambda m: m.group(1) + quote(schema), self.label)
        return PgTarget(schema=schema, label=label, params=dict(self.params))

    def same_database(self, other: PgTarget) -> bool:
        """Whether ``other`` names the same server and database (as far as the URLs tell)."""
        keys = ("host", "hostaddr", "port", "dbname", "service")
        return all(self.params.get(k) == other.params.get(k) for k in keys)


def _usage(url_label: str, message: str, fix: str) -> UsageError:
    return UsageError(f"bad database URL {url_label}", [Problem(file=url_label, message=message, fix=fix)])


def parse_url(url: str, *, option: str = "--area") -> PgTarget:
    """Parse and validate a ``postgresql://`` URL; no connection is made.

    Parameters
    ----------
    url
        ``postgresql://[user[:password]@][host][:port]/[dbname]?schema=NAME``;
        further query parameters are libpq's (``sslmode``, ``service``,
        ``connect_timeout``, ``host`` for a Unix-socket directory, ...).
        Credentials come, as in ``psql``, from ``PGPASSWORD``, ``~/.pgpass`` or
        a service file; a password in the URL is accepted but never shown.
    option
        The command-line option the URL was given to, for messages.

    Returns
    -------
    PgTarget

    Raises
    ------
    UsageError
        Not a ``postgresql://`` URL (e.g. ``http://``, ``s3://``), several
        hosts, an unknown or repeated query parameter, a missing or invalid
        ``schema``.

    Examples
    --------
    >>> t = parse_url("postgresql://ann:pw@db.example:5433/gis?schema=serock&sslmode=require")
    >>> t.schema, t.label, t.params["port"]
    ('serock', 'postgresql://ann:***@db.example:5433/gis?schema=serock&sslmode=require', '5433')
    """
    text = str(url).strip()
    label = _label(text)
    scheme = url_scheme(text)
    if scheme not in DB_SCHEMES:
        raise UsageError(f"{option}: unsupported URL scheme '{scheme}://'", [Problem(
            file=label, message=f"{option} takes a file path or a postgresql:// URL; '{scheme}://' is not supported",
            fix="download the data and give its local path, or give "
                "postgresql://[user@]host[:port]/dbname?schema=NAME")])
    authority = re.split(r"[/?#]", text[text.index("://") + 3:], maxsplit=1)
    if len(authority) > 1 and "@" in authority[1]:
        # an unencoded / ? # in a password moves the '@' out of the host part; say so without echoing any of it
        raise _usage(label, "the URL has an '@' after its host part (a password with an unencoded / ? # or @?)",
                     "percent-encode those characters in the password (/ %2F, ? %3F, # %23, @ %40), or better "
                     "keep the password out of the URL: PGPASSWORD, ~/.pgpass or a service file")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise _usage(label, "the URL cannot be parsed", "check its brackets and special characters; "
                                                        "percent-encode them in user names and passwords") from None
    if parts.fragment:
        raise _usage(label, "the URL has a '#' fragment", "remove everything from '#' on; percent-encode a '#' "
                                                          "in a password as %23")
    params: dict[str, str] = {}
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, password = userinfo.partition(":")
        if user:
            params["user"] = unquote(user)
        if colon:
            params["password"] = unquote(password)
    if "," in hostport:
        raise _usage(label, "several hosts in one URL are not supported",
                     "give one host, or name a service of your pg_service.conf: postgresql:///?service=NAME&schema=..")
    if hostport:
        host, port = hostport, ""
        if hostport.startswith("["):  # [IPv6]:port
            close = hostport.find("]")
            host, port = hostport[1:close], hostport[close + 1:].lstrip(":")
        elif ":" in hostport:
            host, _, port = hostport.rpartition(":")
        if host:
            params["host"] = unquote(host)
        if port:
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise _usage(label, "the port is not a number between 1 and 65535",
                             "e.g. host:5432; in a password percent-encode / @ : ? # (%2F %40 %3A %3F %23), or "
                             "better keep it out of the URL (PGPASSWORD, ~/.pgpass)")
            params["port"] = port
    dbname = unquote(parts.path.lstrip("/"))
    if "/" in dbname:
        raise _usage(label, "the URL path names more than a database",
                     "give /dbname and the schema as ?schema=NAME (not /dbname/schema)")
    if dbname:
        params["dbname"] = dbname
    schema: str | None = None
    seen: set[str] = set()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in seen:
            raise _usage(label, f"query parameter {key!r} is given twice", "give it once")
        seen.add(key)
        if key == "schema":
            schema = value
        elif key in _LIBPQ_PARAMS:
            params[key] = value
        else:
            raise _usage(label, f"unknown query parameter {key!r}",
                         f"use schema=NAME and libpq's {', '.join(sorted(_LIBPQ_PARAMS))}")
    if not schema:
        raise _usage(label, "no schema given", f"add ?schema=NAME to the URL of {option} (e.g. ?schema=public)")
    check_identifier(schema, what="schema", source=label)
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    params.setdefault("application_name", "planner")
    return PgTarget(schema=schema, label=label, params=params)
