"""Configuration: defaults, TOML loading, rejection of unknown keys and bad values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from planner._errors import ConfigError
from planner.config import Config, load_config


def test_defaults_carry_the_contract_figures():
    c = Config()
    assert c.whitespots.nga_min_down_mbps == 100
    assert c.whitespots.horizon_years == 3
    assert c.design.drop_contract_max_m == 200
    assert c.design.drop_slack_m == 30
    assert c.schedule.project_end == dt.date(2027, 1, 21)
    assert [m.deadline for m in c.schedule.milestones] == [
        dt.date(2025, 7, 31), dt.date(2025, 12, 31), dt.date(2026, 12, 31)]
    assert c.schedule.pass_threshold == 0.8


def test_toml_overrides_and_unknown_keys(tmp_path: Path):
    good = tmp_path / "good.toml"
    good.write_text('[costs]\ntrench_paved_pln_per_m = 250\n[design]\nallow_aerial = false\n', encoding="utf-8")
    c = load_config(good)
    assert c.costs.trench_paved_pln_per_m == 250 and c.design.allow_aerial is False
    assert c.costs.trench_unpaved_pln_per_m == Config().costs.trench_unpaved_pln_per_m

    bad = tmp_path / "bad.toml"
    bad.write_text('[costs]\ntrench_pln_per_metre = 250\nroad_crossing_pln = -5\n', encoding="utf-8")
    with pytest.raises(ConfigError) as ei:
        load_config(bad)
    text = str(ei.value)
    # Both problems are reported at once, naming the file and the key.
    assert "bad.toml" in text and "costs.trench_pln_per_metre" in text and "unknown key" in text
    assert "costs.road_crossing_pln" in text


def test_unparseable_toml_and_missing_file(tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[costs\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot parse"):
        load_config(broken)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    # ConfigError is also a ValueError (one base class + the matching built-in).
    with pytest.raises(ValueError):
        load_config(tmp_path / "nope.toml")


def test_milestone_rules(tmp_path: Path):
    f = tmp_path / "m.toml"
    f.write_text(
        '[[schedule.milestones]]\nname = "A"\ndeadline = 2025-07-31\n'
        '[[schedule.milestones]]\nname = "A"\ndeadline = 2025-12-31\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unique"):
        load_config(f)
    with pytest.raises(ConfigError, match="MM-DD"):
        Config().updated(schedule={"trench_winter_stop": ("12-45", "02-28")})
    with pytest.raises(ConfigError, match="bounds"):
        Config().updated(area={"bounds": (10, 10, 5, 20)})


def test_extends_demo_and_cycles(tmp_path: Path):
    f = tmp_path / "scenario.toml"
    f.write_text('extends = "demo"\nname = "s"\n[design]\nallow_aerial = false\n', encoding="utf-8")
    c = load_config(f)
    demo = load_config("demo")
    assert c.design.allow_aerial is False and c.name == "s"
    assert c.schedule.milestones == demo.schedule.milestones and not c.schedule.auto_assign
    loop = tmp_path / "loop.toml"
    loop.write_text('extends = "loop.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="loops"):
        load_config(loop)
    missing = tmp_path / "m.toml"
    missing.write_text('extends = "base.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="extended by"):
        load_config(missing)
