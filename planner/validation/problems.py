"""Problem records of the input checks: many rows summarised, warnings logged, errors raised."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from planner._errors import InputDataError, Problem

__all__ = ["MAX_ROWS_LISTED", "describe_rows", "log_warnings", "raise_for_problems", "row_problems"]

logger = logging.getLogger(__name__)

#: How many rows a many-row problem names before summarising the rest.
MAX_ROWS_LISTED = 5

#: ``{value}`` or ``{value!r}`` (etc.) in a message template.
_VALUE_FIELD = re.compile(r"\{value(?:![rsa])?\}")


def describe_rows(rows: np.ndarray, ids: pd.Series | None) -> str:
    """Rows for :attr:`Problem.row <planner._errors.Problem.row>`: ``"3 (id 'A3'), 7 (id 'A7')"``.

    Parameters
    ----------
    rows
        0-based row positions.
    ids
        Id of every row of the layer, or ``None`` (rows only).

    Returns
    -------
    str
    """
    parts = []
    for r in rows:
        if ids is not None:
            parts.append(f"{int(r)} (id {ids.iloc[int(r)]!r})")
        else:
            parts.append(str(int(r)))
    return ", ".join(parts)


def row_problems(
    out: list[Problem],
    *,
    source: str,
    layer: str | None,
    rows: np.ndarray,
    ids: pd.Series | None,
    message: str,
    fix: str,
    values: Sequence[object] | None = None,
) -> None:
    """Append problems for ``rows`` (0-based positions), summarising long lists.

    Parameters
    ----------
    out
        Problems are appended here.
    source, layer
        File (and layer inside it) named in the problems.
    rows
        Row positions.
    ids
        Id of every row of the layer, for the row descriptions (or ``None``).
    message
        Template; ``{value}`` (or ``{value!r}``) is filled from ``values``
        (aligned with ``rows``).  Up to :data:`MAX_ROWS_LISTED` rows each get a
        problem; more get one problem naming the first rows and the count, its
        message filled with the first value, marked "(first of them)".
    fix
        How to fix it.
    values
        One value per row, for the message.
    """
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    if n == 0:
        return
    if n <= MAX_ROWS_LISTED:
        for i, r in enumerate(rows):
            msg = message.format(value=values[i] if values is not None else "")
            out.append(Problem(file=source, layer=layer, row=describe_rows(np.array([r]), ids), message=msg, fix=fix))
        return
    shown = rows[:MAX_ROWS_LISTED]
    example: object = ""
    if values is not None and _VALUE_FIELD.search(message):
        message = _VALUE_FIELD.sub(lambda m: m.group(0) + " (first of them)", message)
        example = values[0]
    out.append(
        Problem(
            file=source,
            layer=layer,
            row=f"{describe_rows(shown, ids)} and {n - len(shown)} more ({n} rows)",
            message=message.format(value=example),
            fix=fix,
        )
    )


def log_warnings(warnings: Iterable[Problem]) -> None:
    """Log warning problems (``logging.WARNING``), one line each.

    Parameters
    ----------
    warnings
        Problems that do not stop the run.
    """
    for w in warnings:
        logger.warning("%s", w)


def raise_for_problems(problems: list[Problem], what: str) -> None:
    """Raise :class:`~planner._errors.InputDataError` listing ``problems`` if there are any.

    Parameters
    ----------
    problems
        Error problems (warnings must not be passed).
    what
        Short description of the input, used in the headline.

    Raises
    ------
    InputDataError
        If ``problems`` is not empty.
    """
    if problems:
        n = len(problems)
        raise InputDataError(f"{what}: {n} problem{'s' if n != 1 else ''} in the input data", problems)
