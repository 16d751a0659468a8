"""Shared fixtures.

The demo area and its full plan are expensive, so they are computed once per
test worker; tests that use them carry ``@pytest.mark.xdist_group("demo")`` so
that ``pytest -n 2 --dist loadgroup`` keeps them on one worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Quiet, deterministic runs: no progress bars from library calls.
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def demo_area():
    from planner.io import load_area

    return load_area("demo")


@pytest.fixture(scope="session")
def demo_plan(demo_area):
    from planner import datasets
    from planner.config import load_config
    from planner.pipeline import plan

    return plan(demo_area, load_config("demo", progress=False),
                official_list=datasets.get_path("demo_official_list"))


@pytest.fixture(scope="session")
def demo_plan_dir(demo_plan, tmp_path_factory) -> Path:
    """The demo plan written to disk (map included, no screenshot)."""
    from planner.output import write_plan

    out = tmp_path_factory.mktemp("demo_plan") / "demo"
    write_plan(demo_plan, out, screenshot=False)
    return out


def require_or_skip(what: str, fix: str) -> None:
    """Skip a test that needs a missing real component, or fail when the run requires them.

    ``make test`` (and so CI) sets ``PLANNER_REQUIRE_COMPONENTS=1``: there a missing
    Chromium or PostgreSQL is an error, never a silent skip.
    """
    if os.environ.get("PLANNER_REQUIRE_COMPONENTS") == "1":
        pytest.fail(f"{what} is required by this test run: {fix}")
    pytest.skip(f"{what}: {fix}")


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium driven by playwright (one per test worker)."""
    from planner import maps

    exe = maps.find_chromium()
    if exe is None:
        require_or_skip("Chromium not installed", "run `make browser` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=list(maps.CHROMIUM_ARGS))
        yield browser
        browser.close()


# issue #20: the throw-away PostgreSQL/PostGIS server fixture (tests/_postgis_server.py)
from _postgis_server import postgis_server  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _restore_logging():
    """Undo what a CLI run inside a test does to logging (issue #20's log assertions rely on it).

    ``planner.cli`` configures logging for a process that runs one command: a root handler on
    the ``sys.stderr`` of that moment (CliRunner's, closed after ``invoke``) and the level of the
    ``planner`` logger.  Tests share worker processes, so each test starts from the state the
    previous one found.
    """
    import logging

    root, planner_logger = logging.getLogger(), logging.getLogger("planner")
    handlers, root_level, level = list(root.handlers), root.level, planner_logger.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(root_level)
    planner_logger.setLevel(level)
