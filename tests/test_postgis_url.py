"""Database URLs without a server: parsing, redaction, rejected schemes and names (issues #20, #21).

Everything here fails before a connection is attempted, so no server is needed;
the server-side proof that nothing was sent is in tests/test_postgis.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner._errors import ConfigError, UsageError
from planner.config import Config
from planner.io.postgis import is_url, parse_url, redact

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "good" / "mini_area"
PLANNER = Path(sys.executable).with_name("planner")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(PLANNER), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_parse_url_splits_libpq_parameters_and_keeps_the_password_out_of_the_label():
    t = parse_url("postgresql://ann:p%40ss%2Fw@db.example:5433/gis?schema=serock&sslmode=require")
    assert t.schema == "serock"
    assert t.params == {"user": "ann", "password": "p@ss/w", "host": "db.example", "port": "5433", "dbname": "gis",
                        "sslmode": "require", "connect_timeout": "10", "application_name": "planner"}
    assert t.label == "postgresql://ann:***@db.example:5433/gis?schema=serock&sslmode=require"
    assert "p@ss" not in repr(t) and "p%40ss" not in repr(t)
    assert t.secrets == ("p@ss/w",)


@pytest.mark.parametrize("url, expected", [
    ("postgres://[::1]:5432/db?schema=a", {"host": "::1", "port": "5432", "dbname": "db"}),
    ("postgresql:///gis?host=/var/run/postgresql&schema=a", {"host": "/var/run/postgresql", "dbname": "gis"}),
    ("postgresql://%2Ftmp%2Fpg/gis?schema=a", {"host": "/tmp/pg", "dbname": "gis"}),
    ("postgresql:///?service=team&schema=a", {"service": "team"}),
    ("postgresql://localhost/gis?schema=a&password=x", {"host": "localhost", "dbname": "gis", "password": "x"}),
])
def test_parse_url_accepts_the_usual_libpq_forms(url, expected):
    t = parse_url(url)
    assert {k: t.params[k] for k in expected} == expected
    assert "password=x" not in t.label


@pytest.mark.parametrize("url, fragment", [
    ("s3://bucket/area.gpkg", "'s3://' is not supported"),
    ("http://example.com/area.gpkg", "'http://' is not supported"),
    ("postgresql://localhost/gis", "no schema given"),
    ("postgresql://localhost/gis?schema=", "no schema given"),
    ("postgresql://localhost/gis?schema=a&schema=b", "given twice"),
    ("postgresql://localhost/gis?schema=a&options=-csearch_path%3Dx", "unknown query parameter 'options'"),
    ("postgresql://h1,h2/gis?schema=a", "several hosts"),
    ("postgresql://localhost:99999/gis?schema=a", "port"),
    ("postgresql://localhost/gis/plans?schema=a", "names more than a database"),
    ("postgresql://localhost/gis?schema=x;%20DROP%20TABLE%20addresses", "not a plain identifier"),
    ("postgresql://localhost/gis?schema=1abc", "not a plain identifier"),
    ("postgresql://localhost/gis?schema=" + "a" * 64, "not a plain identifier"),
    ("postgresql://localhost/gis?schema=plan%22%3B--", "not a plain identifier"),
])
def test_bad_urls_are_usage_errors_with_a_fix(url, fragment):
    with pytest.raises(UsageError) as err:
        parse_url(url)
    assert fragment in str(err.value)
    assert err.value.exit_code == 2
    assert all(p.fix for p in err.value.problems)


@given(user=st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
       password=st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x00\n\r"), min_size=4,
                        max_size=24),
       host=st.sampled_from(["localhost", "db.example", "10.0.0.7"]))
def test_redact_hides_any_url_password(user, password, host):
    # as users type them: percent-encoded, or raw (then parsing may fail, but no message may show it)
    from urllib.parse import quote

    for pw in (quote(password, safe=""), password):
        url = f"postgresql://{user}:{pw}@{host}:5432/gis?schema=plan"
        if not any(c.isspace() for c in pw):  # redact() of free text ends a URL at whitespace
            assert pw not in redact(url).replace(f"{user}:***@", "")
        try:
            t = parse_url(url)
        except UsageError as exc:
            text = str(exc)
        else:
            text = t.label + repr(t)
        assert pw not in text.replace(f"{user}:***@", "") or pw in "postgresql://localhost:5432/gis?schema=plan"


def test_is_url_tells_urls_from_paths():
    assert is_url("postgresql://h/db?schema=a") and is_url("s3://b/k") and is_url("HTTP://x")
    assert not is_url("out/demo") and not is_url("C:/data/area.gpkg") and not is_url("demo")
    assert not is_url(Path("/tmp/x"))


def test_area_tables_mapping_is_validated_in_the_config():
    cfg = Config().updated(area={"tables": {"addresses": "prg.punkty_adresowe", "metadata": "meta"}})
    assert cfg.area.tables["addresses"] == "prg.punkty_adresowe"
    with pytest.raises(ConfigError) as err:
        Config().updated(area={"tables": {"adresses": "a", "roads": "x; DROP TABLE addresses"}})
    text = str(err.value)
    assert "adresses" in text and "x; DROP TABLE addresses" in text and "not plain identifiers" in text


@pytest.mark.parametrize("out", ["s3://bucket/plans/serock", "http://user:hunter2@example.com/plan",
                                 "ftp://example.com/x"])
def test_cli_refuses_an_out_url_of_another_scheme_and_creates_nothing(tmp_path, out):
    r = run("plan", "--area", str(MINI), "--out", out, "--quiet", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "is not supported" in r.stderr and "fix:" in r.stderr
    assert "hunter2" not in r.stdout + r.stderr
    assert list(tmp_path.iterdir()) == []  # no directory named 's3:' / 'http:' (issue #21)


def test_cli_refuses_an_area_url_of_another_scheme(tmp_path):
    r = run("validate", "https://user:hunter2@example.com/area.gpkg", cwd=tmp_path)
    assert r.returncode == 2
    assert "'https://' is not supported" in r.stderr and "hunter2" not in r.stdout + r.stderr
    r = run("whitespots", "--area", "s3://bucket/area.gpkg", "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert r.returncode == 2 and "'s3://' is not supported" in r.stderr
    assert not (tmp_path / "o").exists()


def test_cli_out_postgresql_url_with_a_bad_schema_fails_before_planning(tmp_path):
    r = run("plan", "--area", str(MINI), "--out",
            "postgresql://ann:hunter2@127.0.0.1:1/gis?schema=x;%20DROP%20TABLE%20addresses", cwd=tmp_path)
    assert r.returncode == 2
    assert "not a plain identifier" in r.stderr and "nothing was sent to the database" in r.stderr
    assert "hunter2" not in r.stdout + r.stderr
    assert "Area " not in r.stdout  # refused before planning
    assert list(tmp_path.iterdir()) == []


def test_file_only_out_options_refuse_urls(tmp_path):
    r = run("map", "--plan", "out/demo", "--out", "s3://bucket/map.html", cwd=tmp_path)
    assert r.returncode == 2 and "a local file path is needed, not a 's3://' URL" in r.stderr
    r = run("compare", "out/a", "out/b", "--out", "https://u:hunter2@x/c.csv", cwd=tmp_path)
    assert r.returncode == 2 and "'https://' URL" in r.stderr and "hunter2" not in r.stderr
    assert list(tmp_path.iterdir()) == []
