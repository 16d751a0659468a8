"""The ``planner`` command: exit codes, messages, atomic outputs, determinism.

These run the installed console script in a subprocess, as a user would.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
MINI = ROOT / "tests" / "data" / "good" / "mini_area"
PLANNER = Path(sys.executable).with_name("planner")

# Expected fragments of the one clear message for each bad-input fixture.
BAD_CASES = {
    "no_crs.gpkg": ["no_crs.gpkg", "CRS", "fix"],
    "swapped_axes.gpkg": ["swapped_axes.gpkg", "swap", "fix"],
    "duplicate_ids": ["duplicate", "fix"],
    "empty_layer": ["empty", "fix"],
    "invalid_geometry": ["invalid", "fix"],
    "missing_column_typo": ["did you mean", "fix"],
    "speed_as_text": ["down_mbps", "fix"],
    "wrong_geometry_type": ["geometry", "fix"],
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PLANNER), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def digest(folder: Path, pattern: str = "*.csv") -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(pattern))}


def test_help_everywhere():
    for cmd in ([], ["plan"], ["validate"], ["whitespots"], ["design"], ["schedule"], ["map"], ["compare"]):
        r = run(*cmd, "--help")
        assert r.returncode == 0, (cmd, r.stderr)
        assert "Usage" in r.stdout


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_validate_bad_input_one_clear_message(name, tmp_path):
    r = run("validate", str(BAD / name))
    assert r.returncode == 1, r.stdout + r.stderr
    err = r.stderr
    assert "Traceback" not in err
    for fragment in BAD_CASES[name]:
        assert fragment.lower() in err.lower(), (fragment, err)
    # the same input through `plan` writes nothing
    out = tmp_path / "out"
    r = run("plan", "--area", str(BAD / name), "--out", str(out), "-q")
    assert r.returncode == 1 and not out.exists()


def test_validate_good_area_and_usage_errors(tmp_path):
    r = run("validate", str(MINI))
    assert r.returncode == 0 and "OK" in r.stdout
    assert run("validate", str(tmp_path / "nope.gpkg")).returncode == 2
    r = run("map", "--plan", str(tmp_path), "--lang", "de")
    assert r.returncode == 2 and "--lang" in r.stderr


def test_bad_config_exit_2_and_previous_output_untouched(tmp_path):
    out = tmp_path / "out"
    assert run("plan", "--area", str(MINI), "--out", str(out), "-q").returncode == 0
    before = digest(out)
    assert "addresses.csv" in before and "bom.csv" in before and (out / "map.html").is_file()
    bad = tmp_path / "bad.toml"
    bad.write_text("[design]\nmax_reach_km = 20\n", encoding="utf-8")
    r = run("plan", "--area", str(MINI), "--config", str(bad), "--out", str(out), "-q")
    assert r.returncode == 2
    assert "unknown key 'design.max_reach_km'" in r.stderr and "bad.toml" in r.stderr
    assert digest(out) == before
    # Outputs are never written into a folder holding the inputs.
    r = run("plan", "--area", str(MINI), "--out", str(MINI), "-q")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_plan_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("plan", "--area", str(MINI), "--out", str(a), "-q").returncode == 0
    assert run("plan", "--area", str(MINI), "--out", str(b), "-q").returncode == 0
    da, db = digest(a), digest(b)
    assert len(da) >= 8 and da == db
    assert digest(a, "*.xlsx") == digest(b, "*.xlsx")
    assert digest(a, "*.html") == digest(b, "*.html")


@pytest.mark.slow
def test_plan_on_real_osm_uses_lamps_and_utility_poles(tmp_path):
    out = tmp_path / "hel"
    r = run("plan", "--area", str(ROOT / "data" / "osm" / "helsinki_center.osm.pbf"), "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    seg = gpd.read_file(out / "plan.gpkg", layer="segments")
    used = gpd.read_file(out / "plan.gpkg", layer="poles_used")
    addr = gpd.read_file(out / "plan.gpkg", layer="addresses")
    assert len(addr) > 1000 and (addr["plan_status"] == "connect").sum() > 1000
    aerial = seg[seg["deployment"] == "aerial"]
    assert aerial["length_m"].sum() > 1000
    assert set(aerial["pole_owner"]) >= {"commune_lighting"}
    # Every pole id named by a segment is one of the OSM street lamps / utility poles used.
    named = {i for ids in aerial["pole_ids"] for i in ids.split(";") if i}
    assert named == set(used["id"])
    assert used["owner"].isin(["commune_lighting", "telecom"]).all()


def test_corrupt_files_give_a_message_not_a_traceback(tmp_path):
    """Junk behind a valid suffix: one message naming the file and a fix, exit 1."""
    import shutil

    junk = bytes(range(256)) * 2
    (tmp_path / "junk.gpkg").write_bytes(junk)
    area = tmp_path / "area"
    shutil.copytree(MINI, area)
    for f in area.glob("roads.*"):
        f.unlink()
    (area / "roads.parquet").write_bytes(junk)
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir()
    (plan_dir / "summary.json").write_text("{not json", encoding="utf-8")
    cases = [
        (("validate", str(tmp_path / "junk.gpkg")), "junk.gpkg"),
        (("validate", str(area)), "roads.parquet"),
        (("compare", str(plan_dir), str(plan_dir)), "summary.json"),
    ]
    for args, name in cases:
        r = run(*args)
        assert r.returncode == 1, (args, r.stderr)
        assert "Traceback" not in r.stderr, r.stderr
        assert name in r.stderr and "fix" in r.stderr, r.stderr


def test_layer_option_and_partial_validation(tmp_path):
    # a single coverage file checked against an area, with its own clear message
    r = run("validate", "demo", "--layer", f"coverage={BAD / 'uke_speed_as_text.csv'}", "-q")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "uke_speed_as_text.csv" in r.stderr and "ua21" in r.stderr and "fix" in r.stderr
    # a bare PRG file is validated on its own (no roads/POPs required) ...
    prg = ROOT / "data" / "prg" / "prg_punkty_adresowe_model2021_sample.gml"
    r = run("validate", str(prg), "-q")
    assert r.returncode == 0 and "OK" in r.stdout, r.stderr
    # ... unless a complete area is asked for
    r = run("validate", str(prg), "--complete", "-q")
    assert r.returncode == 1 and "roads" in r.stderr and "--layer roads=PATH" in r.stderr
    # a bad --layer is a usage error
    r = run("plan", "--layer", "popz=x.csv", "--out", str(tmp_path / "o"), "-q")
    assert r.returncode == 2 and "popz" in r.stderr and not (tmp_path / "o").exists()


def test_default_console_shows_the_planners_messages_only(tmp_path):
    """Without --verbose the libraries underneath stay at WARNING (no GDAL/pyogrio 'Created N records',
    no matplotlib font cache lines); the planner's own INFO messages stay. --verbose shows both."""
    r = run("plan", "--area", str(MINI), "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    names = {line.split(":", 1)[0].split(" ", 1)[-1] for line in r.stderr.splitlines() if line.startswith("INFO ")}
    assert names and all(n == "planner" or n.startswith("planner.") for n in names), names
    r = run("plan", "--area", str(MINI), "--out", str(tmp_path / "b"), "--verbose")
    assert r.returncode == 0, r.stderr
    # (the GeoPackages are written through Arrow now, so pyogrio has no INFO line to show: check the levels)
    from planner import cli

    cli._setup_logging(quiet=False, verbose=False)
    assert not logging.getLogger("pyogrio").isEnabledFor(logging.INFO)
    assert logging.getLogger("planner.output").isEnabledFor(logging.INFO)
    cli._setup_logging(quiet=False, verbose=True)
    assert logging.getLogger("pyogrio").isEnabledFor(logging.INFO)
    assert logging.getLogger("matplotlib.font_manager").isEnabledFor(logging.INFO)
