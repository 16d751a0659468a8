"""Wall time per named step, for ``scripts/bench_plan.py`` (no cost when nobody asks)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

__all__ = ["Clock"]


class Clock:
    """Adds the wall time of named steps to a dict (does nothing when there is no dict).

    Examples
    --------
    >>> t = {}
    >>> clock = Clock(t)
    >>> with clock("step"):
    ...     pass
    >>> list(t)
    ['step']
    """

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if self.timings is not None:
                self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0
