"""The network layer through the ``planner`` command: bad input gives one clear message, nothing written.

Configuration problems exit 2 (capacity smaller than one address's demand,
unknown split ratio, a cable catalogue too small for a segment); data
problems exit 1 (no allowed cabinet site within reach).  An area without a
POP gets a proposed one, marked in the outputs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "good" / "mini_area"
PLANNER = Path(sys.executable).with_name("planner")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PLANNER), *args], capture_output=True, text=True, timeout=900)


def _config(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "planner.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("toml, fragments", [
    ("[network]\ncabinet_capacity_ports = 1\n", ["cabinet_capacity_ports", "smaller than the demand of one address"]),
    ("[network]\nsplit_ratio = 48\n", ["unknown split ratio 1:48", "splitter_loss_db"]),
    ("[network]\ncable_sizes = [1, 2]\nmin_cable_size = 1\nmax_parallel_cables = 1\n"
     "[network.cable_pln_per_m]\n1 = 1.0\n2 = 1.0\n",
     ["catalogue is too small", "needs", "fix: add a larger size"]),
])
def test_bad_network_config_exit_2_nothing_written(tmp_path, toml, fragments):
    out = tmp_path / "out"
    r = run("plan", "--area", str(MINI), "--config", str(_config(tmp_path, toml)), "--out", str(out), "-q")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for f in fragments:
        assert f in r.stderr, (f, r.stderr)
    assert not out.exists()


def test_no_cabinet_site_within_reach_exit_1_nothing_written(tmp_path):
    area = tmp_path / "area"
    shutil.copytree(MINI, area)
    # one candidate site 30 m off the route node of a2 on ul. Kościuszki; a4..a6 are farther than 150 m
    pd.DataFrame({"id": ["s1"], "name": ["plac"], "x": [640120.0], "y": [518000.0]}).to_csv(
        area / "cabinet_sites.csv", index=False)
    shutil.copy(area / "pops.prj", area / "cabinet_sites.prj")
    out = tmp_path / "out"
    cfg = _config(tmp_path, "[network]\nmax_distribution_m = 150.0\n")
    r = run("plan", "--area", str(area), "--config", str(cfg), "--out", str(out), "-q")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no allowed cabinet site within reach" in r.stderr and "fix: add a cabinet site near it" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
    # within reach, the cabinet stands at the site
    cfg = _config(tmp_path, "[network]\nmax_distribution_m = 5000.0\n")
    r = run("plan", "--area", str(area), "--config", str(cfg), "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    cab = pd.read_csv(out / "cabinets.csv")
    assert cab["site_id"].tolist() == ["s1"] and cab[["x", "y"]].round().values.tolist() == [[640150, 518000]]


def test_area_without_pop_gets_a_proposed_one(tmp_path):
    out = tmp_path / "out"
    r = run("plan", "--area", str(ROOT / "data" / "osm" / "kotka_suburb.osm.pbf"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "has no POP: proposing one" in r.stderr
    olt = pd.read_csv(out / "olt.csv")
    assert olt["proposed"].tolist() == [True] and "1-median" in olt["basis"].iloc[0]
    assert "(proposed)" in r.stdout
    loss = pd.read_csv(out / "loss_budget.csv")
    addr = pd.read_csv(out / "addresses.csv", dtype={"id": str})
    assert set(loss["address_id"]) == set(addr.loc[addr["plan_status"].isin(["connect", "connected"]), "id"])


def test_bench_network_runs_on_a_small_tree():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_network.py"), "--skip-demo", "--homes",
                           "3000", "--milp", "1"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "synthetic route tree: 3,000 homes" in done.stdout and "worst gap" in done.stdout
