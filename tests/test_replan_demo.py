"""Re-planning the demo from its March 2025 as-built layer, end to end (Python and CLI).

Oracles: the council's progress figures (59 km built, 17 km underground, 26 % of
Serock's points; the demo data are calibrated to them), re-running the schedule
with the crew mix the search reports (it meets the milestone, one crew less of
any type it raised does not), and the files on disk.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon

from planner.config import load_config
from planner.schema import ASBUILT_ISSUE_COLUMNS, VILLAGE_STATES

pytestmark = pytest.mark.xdist_group("demo")

AS_OF = dt.date(2025, 3, 31)
PLANNER = Path(sys.executable).with_name("planner")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PLANNER), *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def demo_config():
    return load_config("demo").updated(progress=False)


@pytest.fixture(scope="module")
def demo_replan(demo_area, demo_plan, demo_config):
    import planner

    return planner.replan(demo_area, demo_config, as_of=AS_OF, plan=demo_plan)


def test_demo_progress_figures(demo_replan):
    p = demo_replan.progress
    assert round(p.km_built, 1) == 58.7
    assert round(p.km_underground, 1) == 17.0
    serock = p.by_commune.set_index("commune").loc["140804"]  # Serock town + rural (TERC 1408044/5)
    assert serock["pct_passed"] == 26.2
    text = demo_replan.to_text()
    assert "58.7 km, 17.0 km of it underground" in text and "140804: 26.2 %" in text


def test_demo_milestones_reachable_and_what_it_takes(demo_replan, demo_area, demo_plan, demo_config):
    from planner.replanning.stage import replan_problem
    from planner.replanning.whatittakes import Evaluator

    ms = demo_replan.milestones.set_index("goal")
    assert list(ms.index) == ["M1", "M2", "M3", "project end", "all"]
    assert (ms["status"] == "ahead").all()  # as of March 2025 no deadline has passed
    for goal, row in ms.iterrows():
        assert row["met_with_current_crews"] in (True, False)
        assert row["answer"]
        assert pd.notna(row["trench_crews"]) or row["binding_constraint"] or goal == "M1"
    assert ms.loc["M1", "met_with_current_crews"] and ms.loc["M1", "answer"].startswith("already met")
    # M3 is not reachable with the demo crews (2 aerial, 1 duct, 4 trench, 3 drop) from the March 2025 state
    assert not ms.loc["M3", "met_with_current_crews"]
    # oracle: the reported mix meets M3, one crew less of any type it needs does not
    pb = replan_problem(demo_plan.segments, demo_plan.drops, demo_plan.addresses, demo_area.layers["as_built"],
                        demo_config.schedule, as_of=AS_OF)
    ev = Evaluator(pb.remaining)
    mix = {t: int(ms.loc["M3", f"{t}_crews"]) for t in ("aerial", "duct", "trench", "drop")}
    assert ev.goal(ev.verdict(mix), "M3")
    for t in ("aerial", "trench"):
        if mix[t] > 0:
            assert not ev.goal(ev.verdict({**mix, t: mix[t] - 1}), "M3"), t
    assert bool(ms.loc["M3", "minimal"])
    assert demo_replan.search["schedules"] > 0 and demo_replan.search["seconds"] > 0


def test_demo_remaining_work_and_states(demo_replan):
    r = demo_replan
    ts = pd.Timestamp(AS_OF)
    wp = r.remaining.work_packages
    assert len(wp) and (wp["start"].dropna() >= ts).all()
    assert (r.segments["state"] == "built").sum() > 0 and (r.segments["state"] == "remaining").sum() > 0
    v = r.villages
    assert set(v["village_state"]) <= set(VILLAGE_STATES)
    assert (v.loc[v["village_state"] == "built", "pct_passed_now"] >= 80).all()
    loc = r.localities
    assert isinstance(loc, gpd.GeoDataFrame) and len(loc) == len(v)
    assert {"village_state", "pct_passed_now", "milestone_reachable"} <= set(loc.columns)
    assert loc.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    # the off-plan part of the March 2025 survey is listed, not dropped
    assert (r.issues["reason"] == "off_plan").sum() > 0 and list(r.issues.columns) == list(ASBUILT_ISSUE_COLUMNS)
    assert r.issues["counted"].all()  # nothing of the demo survey is discarded


def test_demo_outputs_written_atomically_and_deterministically(demo_replan, tmp_path):
    from planner.output.replan_dir import write_replan

    a = write_replan(demo_replan, tmp_path / "a")
    b = write_replan(demo_replan, tmp_path / "b")
    names = sorted(p.name for p in a.iterdir())
    for f in ("summary.txt", "milestones.csv", "villages.csv", "remaining_schedule.csv", "village_order.csv",
              "asbuilt_issues.csv", "segments_status.csv", "scurve.csv", "progress_by_commune.csv", "replan.xlsx",
              "scurve.png", "villages.png", "gantt_remaining.png", "report.html", "replan.gpkg"):
        assert f in names, f
    assert not [n for n in names if n.endswith(".tmp") or ".staging" in n]
    for f in names:
        if f.endswith((".csv", ".png", ".xlsx", ".txt", ".html")):
            assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "scurve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (a / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3
    assert "http://" not in html and "https://" not in html
    issues = pd.read_csv(a / "asbuilt_issues.csv")
    assert len(issues) == len(demo_replan.issues)
    layers = gpd.list_layers(a / "replan.gpkg")["name"].tolist()
    assert layers == ["localities", "segments"]


def test_planner_replan_is_the_function_also_after_the_package_is_imported():
    import planner
    import planner.replanning.stage  # noqa: F401 - importing the package must not hide the function
    from planner.pipeline import replan

    assert planner.replan is replan
    assert planner.replanning.replan_schedule is not None


@pytest.mark.slow
def test_cli_replan_demo(tmp_path):
    out = tmp_path / "replan"
    r = run("replan", "--area", "demo", "--as-of", "2025-03-31", "--crews", "trench=6", "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    assert "58.7 km, 17.0 km of it underground" in r.stdout and "6 trench" in r.stdout
    assert (out / "report.html").exists() and (out / "asbuilt_issues.csv").exists()


# --------------------------------------------------------------------------
# bad input: one clear message, nothing written
# --------------------------------------------------------------------------


def _bad(args, tmp_path, code, *fragments):
    out = tmp_path / "out"
    r = run("replan", "--area", "demo", "--out", str(out), "-q", *args)
    assert r.returncode == code, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    for f in fragments:
        assert f.lower() in r.stderr.lower(), (f, r.stderr)
    assert not out.exists()


def test_cli_bad_as_of_and_crews(tmp_path):
    _bad(["--as-of", "2023-01-01"], tmp_path, 2, "before the project start", "fix")
    _bad(["--as-of", "2031-06-01"], tmp_path, 2, "far in the future", "fix")
    _bad(["--as-of", "31.03.2025"], tmp_path, 2, "not a date", "YYYY-MM-DD")
    _bad(["--as-of", "2025-03-31", "--crews", "aerial=two"], tmp_path, 2, "--crews", "TYPE=NUMBER")
    _bad(["--as-of", "2025-03-31", "--crews", "ariel=2"], tmp_path, 2, "unknown crew type 'ariel'")


def test_cli_bad_as_built_files(demo_area, tmp_path):
    ab = demo_area.layers["as_built"].iloc[:20]
    no_dates = tmp_path / "no_dates.gpkg"
    ab.drop(columns=["built_on"]).to_file(no_dates, layer="as_built")
    _bad(["--as-of", "2025-03-31", "--as-built", str(no_dates)], tmp_path, 1, "no_dates.gpkg", "built_on", "fix")
    polys = tmp_path / "polygons.gpkg"
    ab.assign(geometry=[Polygon(g.buffer(2).exterior) for g in ab.geometry]).to_file(polys, layer="as_built")
    _bad(["--as-of", "2025-03-31", "--as-built", str(polys)], tmp_path, 1, "polygons.gpkg", "geometry", "fix")
    shp = tmp_path / "no_prj.shp"
    ab[ab["kind"] == "segment"].to_crs("EPSG:4326").to_file(shp)
    shp.with_suffix(".prj").unlink()
    _bad(["--as-of", "2025-03-31", "--as-built", str(shp)], tmp_path, 1, "no_prj.shp", "CRS", "fix")


@pytest.mark.slow
def test_bench_replan_script_runs():
    script = Path(__file__).resolve().parents[1] / "scripts" / "bench_replan.py"
    done = subprocess.run([sys.executable, str(script), "--repeat", "1"], capture_output=True, text=True,
                          timeout=1800)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "re-plan as of 2025-03-31 (warm, 1 runs)" in out and "uptime:" in out
    assert "crew search:" in out and "schedules evaluated in" in out and "ratios:" in out
