"""What a user says about a re-plan: the as-of date and the crews (``--as-of``, ``--crews``)."""

from __future__ import annotations

import datetime as dt

from planner._errors import Problem, UsageError

__all__ = ["parse_as_of", "parse_crews"]


def parse_as_of(text: str | dt.date) -> dt.date:
    """An as-of date from ``YYYY-MM-DD`` text (or a date).

    Raises
    ------
    UsageError
        Not a date.
    """
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", [Problem(
            file="--as-of", message=f"{text!r} is not a date", fix="give the date as YYYY-MM-DD, e.g. 2025-03-31")]
        ) from None


def parse_crews(text: str | None) -> dict[str, int]:
    """``aerial=2,trench=4`` as ``{'aerial': 2, 'trench': 4}``.

    Raises
    ------
    UsageError
        A part that is not ``TYPE=NUMBER``.
    """
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, num = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = int(num.strip())
        except ValueError:
            raise UsageError(f"bad --crews part {part!r}", [Problem(
                file="--crews", row=part, message="expected TYPE=NUMBER",
                fix="e.g. --crews aerial=2,duct=1,trench=4,drop=3")]) from None
    return out
