"""The whole configuration (:class:`Config`) and how it is read from TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from planner._errors import ConfigError, Problem
from planner.config._base import Section
from planner.config.area import AreaConfig
from planner.config.costs import CostConfig
from planner.config.design import DesignConfig
from planner.config.maps import MapConfig
from planner.config.network import NetworkConfig
from planner.config.output import OutputConfig
from planner.config.scale import ScaleConfig  # issue #19
from planner.config.schedule import ScheduleConfig
from planner.config.whitespots import WhiteSpotConfig

__all__ = ["Config", "config_from_dict", "load_config"]


class Config(Section):
    """The whole configuration of one plan."""

    name: str = "plan"
    area: AreaConfig = Field(default_factory=AreaConfig)
    whitespots: WhiteSpotConfig = Field(default_factory=WhiteSpotConfig)
    costs: CostConfig = Field(default_factory=CostConfig)
    design: DesignConfig = Field(default_factory=DesignConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    map: MapConfig = Field(default_factory=MapConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    scale: ScaleConfig = Field(default_factory=ScaleConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    # Show progress bars (CLI --quiet turns them off).
    progress: bool = True

    def updated(self, **sections: Any) -> Config:
        """Return a copy with some sections' fields replaced, validated.

        Examples
        --------
        >>> Config().updated(design={"allow_aerial": False}).design.allow_aerial
        False
        """
        return config_from_dict(_deep_merge(self.model_dump(), sections), source="<updated>")


def _problems_from_validation(exc: ValidationError, source: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{loc}'"
            fix = "remove it or check its spelling against planner/config/"
        else:
            msg = f"'{loc}': {err['msg']}"
            fix = "see the documented defaults in planner/config/"
        problems.append(Problem(file=source, message=msg, fix=fix))
    return problems


def config_from_dict(data: dict[str, Any], source: str = "<dict>") -> Config:
    """Validate a nested dict[str, Any] into a :class:`Config` or raise :class:`ConfigError`."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration in {source}", _problems_from_validation(exc, source)) from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_config_path(path: str | Path, relative_to: Path | None = None) -> Path:
    if str(path) == "demo":
        from planner import datasets

        return datasets.get_path("demo_config")
    p = Path(path)
    if relative_to is not None and not p.is_absolute():
        p = relative_to / p
    return p


def _read_toml(p: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a TOML file, following ``extends = "<base file or 'demo'>"`` (base first, this file over it)."""
    if not p.is_file():
        where = f" (extended by {seen[-1]})" if seen else ""
        raise ConfigError(f"configuration file not found: {p}{where}",
                          [Problem(file=str(p), message="no such file", fix="give the path of a TOML file")])
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot parse {p}",
                          [Problem(file=str(p), message=str(exc), fix="fix the TOML syntax")]) from None
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"invalid configuration in {p}",
                          [Problem(file=str(p), message="'extends' must be a file name or \"demo\"",
                                   fix='e.g. extends = "demo"')])
    base_path = _resolve_config_path(base, p.parent).resolve()
    if base_path in seen or base_path == p.resolve():
        raise ConfigError(f"invalid configuration in {p}",
                          [Problem(file=str(p), message=f"'extends' loops back to {base_path}",
                                   fix="remove the cycle")])
    return _deep_merge(_read_toml(base_path, seen + (p.resolve(),)), data)


def load_config(path: str | Path | None = None, **overrides: dict[str, Any]) -> Config:
    """Read and validate a TOML configuration file.

    Parameters
    ----------
    path
        TOML file; ``None`` gives the documented defaults; ``"demo"`` the
        configuration of the embedded demo area (``data/demo/planner.toml``).
        A file may start from another one with ``extends = "base.toml"``
        (relative to the file) or ``extends = "demo"``; its own keys win.
    **overrides
        Section dicts merged over the file (as :meth:`Config.updated`).

    Raises
    ------
    ConfigError
        Unreadable TOML, unknown keys or invalid values; all problems at once.
    """
    if path is None:
        cfg = Config()
    else:
        p = _resolve_config_path(path)
        cfg = config_from_dict(_read_toml(p), source=str(p))
    return cfg.updated(**overrides) if overrides else cfg
