"""The manifest of a ``plan-many`` output directory: which run it belongs to, which communes are done.

``manifest.json`` records the run's identity (mode and resolved inputs), the
hash of its configuration, the fingerprint of the national inputs the
partitions were made from, and one entry per *finished* commune: the hash of
its inputs and configuration, its TERC code and when it finished.  A re-run
skips a commune whose hash is unchanged.  The file is rewritten atomically
(temporary file + rename), so an interrupted run leaves either the previous
or the new manifest, never a torn one; a commune is entered only after all of
its outputs are in place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import __version__
from planner._errors import Problem, UsageError
from planner.config import Config
from planner.output.files import write_text

__all__ = ["MANIFEST_NAME", "Manifest", "config_hash", "hash_paths", "unit_hash"]

logger = logging.getLogger(__name__)

#: File name of the manifest inside the output directory.
MANIFEST_NAME = "manifest.json"
#: Format version of the manifest.
_FORMAT = 1
#: Config sections that never change a plan (engine options, progress bars).
_NOT_HASHED = ("progress", "scale")


def config_hash(config: Config) -> str:
    """SHA-256 of the configuration that decides the plans (engine options left out).

    Parameters
    ----------
    config
        The configuration.

    Returns
    -------
    str
        Hex digest of the canonical JSON of every section except ``scale`` and ``progress``.
    """
    data = {k: v for k, v in config.model_dump(mode="json").items() if k not in _NOT_HASHED}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_paths(paths: Iterable[str | Path], *, root: Path | None = None) -> str:
    """SHA-256 over the contents of files (directories: every file inside, sorted by relative path).

    Parameters
    ----------
    paths
        Files or directories.
    root
        Names are hashed relative to this directory (default: each path's parent),
        so a moved input directory keeps its hashes.

    Returns
    -------
    str
        Hex digest; files starting with ``.`` (temporary files) are left out.
    """
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        base = root if root is not None else p.parent
        for f in files:
            rel = f.relative_to(base)
            if any(part.startswith(".") for part in rel.parts):
                continue
            h.update(str(rel.as_posix()).encode("utf-8") + b"\0")
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            h.update(b"\0")
    return h.hexdigest()


def unit_hash(input_hash: str, cfg_hash: str, options: dict[str, Any]) -> str:
    """Hash of one commune's work: its inputs, the configuration, the run options and the planner version."""
    text = json.dumps({"inputs": input_hash, "config": cfg_hash, "options": options, "planner": __version__},
                      sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Manifest:
    """State of a ``plan-many`` output directory.

    Attributes
    ----------
    path
        The ``manifest.json`` file.
    identity
        What run the directory belongs to: ``mode`` and the resolved ``inputs``.
    config_hash
        :func:`config_hash` of the last run.
    partition
        Fingerprint of the national inputs the ``areas/`` partitions were made from.
    communes
        Key -> ``{"hash", "terc", "finished"}`` of every finished commune.
    """

    path: Path
    identity: dict[str, Any]
    config_hash: str = ""
    partition: dict[str, Any] = field(default_factory=dict)
    communes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, out_dir: Path, identity: dict[str, Any]) -> Manifest:
        """The manifest of ``out_dir`` for a run with ``identity`` (new when there is none).

        Raises
        ------
        UsageError
            ``out_dir`` is a file, a non-empty directory without a manifest (another
            program's or another command's output), or the output of another run
            (other mode or inputs).
        """
        out_dir = Path(out_dir)
        path = out_dir / MANIFEST_NAME
        if out_dir.exists() and not out_dir.is_dir():
            raise UsageError(f"output path {out_dir} is a file", [Problem(
                file=str(out_dir), message="the output path exists and is not a directory",
                fix="give a directory with --out")])
        if not path.is_file():
            if out_dir.is_dir() and any(out_dir.iterdir()):
                raise UsageError(f"refusing to write into {out_dir}: not an output directory of plan-many", [Problem(
                    file=str(out_dir), message=f"the directory is not empty and has no {MANIFEST_NAME} "
                                               "(it is not the output of a `planner plan-many` run)",
                    fix="choose a new or empty --out directory")])
            return cls(path=path, identity=identity)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != _FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
        except (ValueError, OSError) as exc:
            raise UsageError(f"cannot read {path}", [Problem(
                file=str(path), message=f"the manifest is unreadable ({exc})",
                fix="choose a new --out directory, or delete this one to start afresh")]) from None
        if data.get("identity") != identity:
            old = data.get("identity", {})
            raise UsageError(f"refusing to write into {out_dir}: it holds the output of another run", [Problem(
                file=str(path), message=f"that run planned {old.get('mode')} inputs {old.get('inputs')}; this run "
                                        f"plans {identity.get('mode')} inputs {identity.get('inputs')}",
                fix="choose another --out directory for these inputs (or delete the old output)")])
        return cls(path=path, identity=identity, config_hash=data.get("config_hash", ""),
                   partition=data.get("partition", {}), communes=dict(data.get("communes", {})))

    def finished(self, key: str, unit_hash_: str, terc: str) -> None:
        """Record a finished commune (call only once all of its outputs are in place)."""
        self.communes[key] = {"hash": unit_hash_, "terc": terc, "finished": _now()}

    def forget(self, key: str) -> None:
        """Drop a commune (it is being re-planned or failed)."""
        self.communes.pop(key, None)

    def save(self) -> Path:
        """Write the manifest atomically."""
        data = {"format": _FORMAT, "planner": __version__, "identity": self.identity,
                "config_hash": self.config_hash, "partition": self.partition,
                "communes": dict(sorted(self.communes.items()))}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", self.path)
