"""Writers in forked processes (issue #15): same files as one process, errors travel, nothing half-written."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from _report_fixtures import make_fixture_plan

from planner._errors import InputDataError, Problem
from planner.output import PlanWriter, files, plan_dir, write_plan
from planner.output.forked import ForkedJobs, can_fork, forked_jobs
from planner.output.screenshot import Screenshotter

pytestmark = pytest.mark.skipif(not can_fork(), reason="writers are forked on Linux only")


@pytest.fixture
def fixture_plan(monkeypatch):
    """The hand-made plan; its schedule is a stub, so the schedule files are stubbed too (as in test_report)."""
    def fake_schedule_files(p, tmp: Path) -> bytes:
        (Path(tmp) / "gantt.png").write_bytes(b"\x89PNG fake")
        return b"\x89PNG fake"

    monkeypatch.setattr(plan_dir, "_write_schedule_files", fake_schedule_files)
    return make_fixture_plan()


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _siblings(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


@pytest.mark.xdist_group("demo")
def test_forked_and_serial_writers_write_the_same_bytes(demo_plan, demo_plan_dir, tmp_path):
    timings: dict[str, float] = {}
    forked = _tree(write_plan(demo_plan, tmp_path / "forked", screenshot=False, processes=2, timings=timings))
    serial = _tree(write_plan(demo_plan, tmp_path / "serial", screenshot=False, processes=1))
    assert forked.keys() == serial.keys()
    assert {"map.html", "plan.gpkg", "bom.xlsx", "schedule.xlsx", "gantt.png", "report.html",
            "uke/z7_liniekablowe_2.geojson"} <= forked.keys()
    assert [k for k in forked if forked[k] != serial[k]] == []
    # the child's timings came back through the pipe
    assert {"schedule.xlsx, gantt", "bom.xlsx", "uke/", "report", "map.html", "plan.gpkg"} <= timings.keys()
    assert _tree(demo_plan_dir) == forked  # and the session's demo directory (written forked too) is the same


def test_error_in_the_writer_process_is_raised_and_the_old_output_kept(fixture_plan, tmp_path, monkeypatch):
    p = fixture_plan
    out = write_plan(p, tmp_path / "out", write_map=False)
    before = _tree(out)

    def broken_uke(plan, path):
        raise InputDataError("UKE export failed", [Problem(file="uke", row=7, message="bad value", fix="fix it")])

    monkeypatch.setattr(plan_dir, "_write_uke", broken_uke)
    parent = os.getpid()
    with pytest.raises(InputDataError) as err:
        write_plan(p, out, write_map=False, processes=2)
    assert os.getpid() == parent
    assert err.value.problems == [Problem(file="uke", row=7, message="bad value", fix="fix it")]
    assert any("broken_uke" in note for note in err.value.__notes__)  # the child's traceback
    assert _tree(out) == before
    assert _siblings(tmp_path) == ["out"]  # no staging directory left


def test_a_writer_process_that_dies_is_an_error(fixture_plan, tmp_path, monkeypatch):
    p = fixture_plan
    monkeypatch.setattr(plan_dir, "_write_bom", lambda plan, path: os._exit(3))
    with pytest.raises(ChildProcessError, match="without a report"):
        write_plan(p, tmp_path / "out", write_map=False, processes=2)
    assert _siblings(tmp_path) == []


def test_an_error_in_the_parent_stops_the_writer_process(fixture_plan, tmp_path, monkeypatch):
    p = fixture_plan
    started: list[ForkedJobs] = []
    pids: list[int] = []
    real_start = ForkedJobs.start

    def start(self):
        started.append(self)
        out = real_start(self)
        pids.append(self.pid)
        return out

    def broken_csv(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ForkedJobs, "start", start)
    monkeypatch.setattr(files, "write_csv", broken_csv)
    with pytest.raises(OSError, match="disk full"):
        write_plan(p, tmp_path / "out", write_map=False, processes=2)
    assert len(started) == 1 and started[0].pid == 0 and pids[0] > 0
    with pytest.raises(ChildProcessError):
        os.waitpid(pids[0], os.WNOHANG)  # killed and reaped: no child left behind
    assert _siblings(tmp_path) == []


def test_forked_jobs_run_in_order_in_another_process(tmp_path):
    log = tmp_path / "log.txt"

    def job(k: int) -> None:
        with log.open("a") as f:
            f.write(f"{k}:{os.getpid()}\n")

    timings: dict[str, float] = {}
    with forked_jobs([("one", lambda: job(1)), ("two", lambda: job(2))], processes=2, timings=timings) as child:
        assert child is not None and child.pid != os.getpid()
    lines = log.read_text().split()
    assert [x.split(":")[0] for x in lines] == ["1", "2"]
    assert {x.split(":")[1] for x in lines} != {str(os.getpid())}
    assert set(timings) == {"one", "two"}
    log.unlink()
    with forked_jobs([("one", lambda: job(1))], processes=1) as child:
        assert child is None
    assert log.read_text().split() == [f"1:{os.getpid()}"]


def test_screenshotter_without_a_request_ends_at_once():
    shot = Screenshotter().start()
    pid = shot.pid
    assert pid > 0
    shot.close()
    assert shot.pid == 0
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    assert shot.wait() == 0.0


@pytest.mark.browser
def test_a_screenshotter_started_early_renders_the_written_map(fixture_plan, tmp_path, chromium):
    """The browser process started before the plan renders map.png of the written map (real Chromium)."""
    import matplotlib.image
    import numpy as np

    del chromium  # only makes the test require Chromium (fails under PLANNER_REQUIRE_COMPONENTS=1)
    shot = Screenshotter().start()
    timings: dict[str, float] = {}
    out = write_plan(fixture_plan, tmp_path / "out", shooter=shot, timings=timings)
    assert shot.pid == 0
    png = (out / "map.png").read_bytes()
    img = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert img.shape[:2] == (900, 1400)
    assert len(np.unique(img.reshape(-1, img.shape[2]), axis=0)) > 20  # drawn, not a blank page
    assert timings["map.png (process)"] > 0


@pytest.mark.xdist_group("demo")
def test_plan_writer_writes_during_planning_the_same_bytes(demo_area, demo_plan_dir, tmp_path, monkeypatch):
    """`planner plan`'s way: area.gpkg and uke/ forked at the end of their stages, then the rest; same files."""
    from planner import datasets
    from planner.config import load_config
    from planner.pipeline import plan

    events: list[tuple[str, ...]] = []
    real_start = ForkedJobs.start

    def start(self):
        events.append(("fork", *(name for name, _ in self.jobs)))
        return real_start(self)

    monkeypatch.setattr(ForkedJobs, "start", start)
    timings: dict[str, float] = {}
    with PlanWriter(tmp_path / "demo", screenshot=False, timings=timings) as writer:
        p = plan(demo_area, load_config("demo", progress=False), on_stage=writer.stage_done,
                 official_list=datasets.get_path("demo_official_list"))
        events.append(("planned",))
        writer.write(p)
    assert events[:3] == [("fork", "area.gpkg"), ("fork", "uke/"), ("planned",)]
    assert events[3][:2] == ("fork", "schedule.xlsx, gantt")
    assert {"area.gpkg", "uke/", "map.html", "report"} <= timings.keys()
    assert _tree(tmp_path / "demo") == _tree(demo_plan_dir)


def test_an_error_while_planning_stops_the_early_writers_and_keeps_the_old_output(fixture_plan, tmp_path,
                                                                                  monkeypatch):
    p = fixture_plan
    out = write_plan(p, tmp_path / "out", write_map=False)
    before = _tree(out)
    pids: list[int] = []
    real_start = ForkedJobs.start

    def start(self):
        real_start(self)
        pids.append(self.pid)
        return self

    monkeypatch.setattr(ForkedJobs, "start", start)
    with pytest.raises(RuntimeError, match="the schedule stage failed"), PlanWriter(out, write_map=False) as w:
        w.stage_done("whitespots", p)
        w.stage_done("design", p)
        raise RuntimeError("the schedule stage failed")
    assert len(pids) == 2 and all(pids)
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # killed and reaped
    assert _tree(out) == before
    assert _siblings(tmp_path) == ["out"]


def test_a_plan_writer_left_without_write_leaves_nothing(fixture_plan, tmp_path):
    with PlanWriter(tmp_path / "new", write_map=False) as w:
        w.stage_done("whitespots", fixture_plan)
    assert _siblings(tmp_path) == []
    with PlanWriter(tmp_path / "serial", write_map=False, processes=1) as w:  # serial: nothing starts early
        w.stage_done("whitespots", fixture_plan)
        assert _siblings(tmp_path)[0].startswith(".serial.staging-")
        assert not list((tmp_path / _siblings(tmp_path)[0]).iterdir())
    assert _siblings(tmp_path) == []
