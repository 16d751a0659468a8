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
    from planner.config import load_config
    from planner.pipeline import plan

    from planner import datasets

    return plan(demo_area, load_config("demo", progress=False),
                official_list=datasets.get_path("demo_official_list"))


@pytest.fixture(scope="session")
def demo_plan_dir(demo_plan, tmp_path_factory) -> Path:
    """The demo plan written to disk (map included, no screenshot)."""
    from planner.report import write_plan

    out = tmp_path_factory.mktemp("demo_plan") / "demo"
    write_plan(demo_plan, out, screenshot=False)
    return out


# issue #20: the throw-away PostgreSQL/PostGIS server fixture (tests/_postgis_server.py)
from _postgis_server import postgis_server  # noqa: E402, F401
