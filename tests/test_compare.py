"""Scenario comparison on two hand-made plan directories with hand-computed differences."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _report_fixtures import make_fixture_plan

from planner import compare
from planner._errors import InputFileNotFoundError, UsageError
from planner.output import files, plan_tables


def _write_dir(p, d: Path) -> Path:
    """The files compare reads, written as write_plan writes them (without the slow layers)."""
    d.mkdir(parents=True)
    for name, table in plan_tables(p).items():
        files.write_csv(table, d / f"{name}.csv")
    files.write_text(json.dumps(p.summary(), indent=2, sort_keys=True), d / "summary.json")
    return d


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> list[Path]:
    base = tmp_path_factory.mktemp("cmp")
    return [_write_dir(make_fixture_plan(), base / "aerial"),
            _write_dir(make_fixture_plan(aerial=False), base / "underground")]


def test_hand_computed_differences(dirs):
    df = compare.compare_plans(dirs)
    assert list(df.index) == ["aerial", "underground"]
    a, u = df.loc["aerial"], df.loc["underground"]
    # aerial s1: 300 m * 22 + 5 poles * 30 = 6 750 -> 300 m * 190 = 57 000 (+50 250)
    # aerial s4: 300 m * 22 + 3 * 120 + 8 000 consent = 14 960 -> 57 000 (+42 040)
    assert a["cost_total_pln"] == pytest.approx(159_180.0)
    assert u["cost_total_pln_diff"] == pytest.approx(50_250.0 + 42_040.0)
    assert u["cost_per_home_pln_diff"] == pytest.approx((50_250.0 + 42_040.0) / 6)
    assert a["km_aerial"] == pytest.approx(0.6) and u["km_aerial"] == pytest.approx(0.0)
    assert u["km_trench_diff"] == pytest.approx(0.6) and u["km_duct_diff"] == pytest.approx(0.0)
    assert a["pct_underground"] == pytest.approx(62.5) and u["pct_underground"] == pytest.approx(100.0)
    assert a["points_connected"] == 6 and a["unconnected"] == 1 and u["points_connected_diff"] == 0
    assert a["localities_ok"] == 1 and a["localities_total"] == 2 and a["worst_pct"] == pytest.approx(75.0)
    assert a["milestones_ok"] == 2
    assert (df.loc["aerial", [c for c in df.columns if c.endswith("_diff")]] == 0).all()


def test_names_and_errors(dirs, tmp_path):
    df = compare.compare_plans(dirs, names=["A", "B"])
    assert list(df.index) == ["A", "B"]
    with pytest.raises(UsageError):
        compare.compare_plans(dirs, names=["A"])
    with pytest.raises(InputFileNotFoundError):
        compare.compare_plans([dirs[0], tmp_path])


def test_format_and_write(dirs, tmp_path):
    df = compare.compare_plans(dirs)
    text = compare.format_comparison(df)
    assert "underground (Δ vs aerial)" in text
    assert "159 180" in text and "(+92 290)" in text and "(-0.60)" in text
    out = compare.write_comparison(df, tmp_path / "comparison")
    back = pd.read_csv(out["csv"]).set_index("scenario")
    assert back.loc["underground", "cost_total_pln_diff"] == pytest.approx(92_290.0)
    md = out["md"].read_text(encoding="utf-8")
    assert md.count("\n|") >= 10 and "(+92 290)" in md


def test_compare_command_line(dirs, tmp_path):
    """`planner compare` prints the table and writes the CSV; a bad call exits 2."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("planner")
    out = tmp_path / "cmp.csv"
    r = subprocess.run([str(exe), "compare", str(dirs[0]), str(dirs[1]), "--names", "A,B", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "B (Δ vs A)" in r.stdout and "(+92 290)" in r.stdout
    back = pd.read_csv(out).set_index("scenario")
    assert back.loc["B", "cost_total_pln_diff"] == pytest.approx(92_290.0)
    r = subprocess.run([str(exe), "compare", str(dirs[0]), str(dirs[1]), "--names", "A"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr
