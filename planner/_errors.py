"""Exception hierarchy of the planner.

One base class, :class:`PlannerError`; each concrete error also subclasses the
matching built-in (as r5py does), so callers may catch ``ValueError`` or
``FileNotFoundError`` without knowing this package.

Every error carries a list of :class:`Problem` records, so that *all* problems
of an input file are reported at once, each naming the file, the row or id and
the fix.  The CLI maps :class:`ConfigError` and :class:`UsageError` to exit
code 2 and every other :class:`PlannerError` to exit code 1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input.

    Parameters
    ----------
    file
        Path (or layer name) of the input the problem is in.
    message
        What is wrong, in plain words.
    fix
        What the user should do about it.
    row
        Row number (0-based position in the file) or feature id, if the
        problem concerns one row.
    layer
        Layer name inside a multi-layer file, if any.
    """

    file: str
    message: str
    fix: str = ""
    row: object | None = None
    layer: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.layer:
            where += f" [layer {self.layer}]"
        if self.row is not None:
            where += f", row {self.row}"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f" -> fix: {self.fix}"
        return text


class PlannerError(Exception):
    """Base class of all errors raised by :mod:`planner`."""

    exit_code: int = 1

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.problems: list[Problem] = list(problems or [])
        super().__init__(message)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        lines = [head] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class InputDataError(PlannerError, ValueError):
    """An input layer is missing, malformed or inconsistent (exit code 1)."""


class InputFileNotFoundError(PlannerError, FileNotFoundError):
    """An input path does not exist (exit code 2)."""

    exit_code = 2


class ConfigError(PlannerError, ValueError):
    """The configuration file or a command-line option is invalid (exit code 2)."""

    exit_code = 2


class UsageError(PlannerError, ValueError):
    """The command was called in a way that cannot work (exit code 2)."""

    exit_code = 2


class UnreachableError(PlannerError, RuntimeError):
    """The network cannot reach targets it must reach (exit code 1)."""


class CRSWarning(UserWarning):
    """A layer's coordinate reference system was assumed or transformed."""
