"""Working-day calendars: weekends, public holidays and the trench winter stop.

Times are fractional days from the schedule's start date; day ``d`` spans
``[d, d + 1)``.  Calendar ``0`` is the general one, ``1`` the trench one (the
general calendar minus the winter stop, ``MM-DD`` to ``MM-DD`` inclusive,
across the year boundary).  Holidays come from the ``holidays`` library.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

import numpy as np

from planner._errors import ConfigError, Problem
from planner.config import ScheduleConfig

__all__ = ["Calendar", "working_days"]

#: The calendar reaches this many years beyond the project end.
_HORIZON_YEARS = 30


@lru_cache(maxsize=16)
def _holiday_days(country: str, first_year: int, last_year: int) -> np.ndarray:
    """Public holidays of ``country`` in the years, as ``datetime64[D]``."""
    import holidays

    try:
        hol = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    except NotImplementedError:
        raise ConfigError(f"unknown holidays country {country!r}", [Problem(
            file="config", message=f"schedule.holidays_country = {country!r} is not known to the holidays library",
            fix="use an ISO 3166 alpha-2 code such as 'PL'")]) from None
    return np.array(sorted(hol.keys()), dtype="datetime64[D]")


def _md(s: str) -> int:
    """``'MM-DD'`` as the number ``MMDD``."""
    m, d = s.split("-")
    return int(m) * 100 + int(d)


class Calendar:
    """Working days from ``start`` on, as day offsets; one mask per calendar.

    Calendar ``0`` is the general one, ``1`` the trench one (general minus the
    winter stop).  ``relaxed`` makes every day a working day.
    """

    def __init__(self, sc: ScheduleConfig, relaxed: bool = False) -> None:
        self.start = np.datetime64(sc.start_date, "D")
        end = max(sc.project_end, max((m.deadline for m in sc.milestones), default=sc.project_end))
        n = (end - sc.start_date).days + 366 * _HORIZON_YEARS
        self.n = n
        dates = self.start + np.arange(n).astype("timedelta64[D]")
        if relaxed:
            general = np.ones(n, dtype=bool)
            trench = general
        else:
            weekday = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
            general = weekday < (6 if sc.work_saturdays else 5)
            years = dates.astype("datetime64[Y]").astype(int) + 1970
            general &= ~np.isin(dates, _holiday_days(sc.holidays_country, int(years[0]), int(years[-1])))
            trench = general.copy()
            if sc.trench_winter_stop is not None:
                months = dates.astype("datetime64[M]").astype(int) % 12 + 1
                days = (dates - dates.astype("datetime64[M]")).astype(int) + 1
                md = months * 100 + days
                a, b = (_md(x) for x in sc.trench_winter_stop)
                stop = (md >= a) & (md <= b) if a <= b else (md >= a) | (md <= b)
                trench &= ~stop
        self.work = (general, trench)
        self.cum = tuple(np.cumsum(w).astype(np.int64) for w in self.work)
        # O(1) look-ups as plain lists (the list scheduler calls these in its inner loop)
        self._cum: tuple[list[int], ...] = tuple(c.tolist() for c in self.cum)
        self._work = tuple(w.tolist() for w in self.work)
        self._pos: tuple[list[int], ...] = tuple(np.flatnonzero(w).tolist() for w in self.work)
        nxt = []
        for w in self.work:
            pos = np.flatnonzero(w)
            i = np.searchsorted(pos, np.arange(n), side="left")
            at = pos[np.minimum(i, max(len(pos) - 1, 0))] if len(pos) else -1
            nxt.append(np.where(i < len(pos), at, -1).tolist())
        self._next = tuple(nxt)

    def first(self, cal: int, t: float) -> float:
        """Earliest working time ``>= t`` (``-1`` beyond the horizon).

        Times are in days from ``start``; day ``d`` spans ``[d, d + 1)``.
        """
        d = int(math.floor(t + 1e-9))
        if d >= self.n:
            return -1.0
        if self._work[cal][d]:
            return t if t > d else float(d)
        nd = self._next[cal][d]
        return float(nd) if nd >= 0 else -1.0

    def finish(self, cal: int, start: float, duration: float) -> float:
        """Time at which ``duration`` working days started at working time ``start`` end."""
        d = int(math.floor(start + 1e-9))
        v = self._cum[cal][d] - 1 + (start - d) + duration
        k = int(math.ceil(v - 1e-9)) - 1
        pos = self._pos[cal]
        if k >= len(pos):
            return -1.0
        return pos[max(k, 0)] + (v - max(k, 0))

    def count(self, cal: int, first: int, last: int) -> int:
        """Working days in ``[first, last]``."""
        if last < first:
            return 0
        cum = self.cum[cal]
        return int(cum[min(last, self.n - 1)] - (cum[first - 1] if first > 0 else 0))

    def date(self, day: int) -> dt.date:
        """Date of day index ``day``."""
        date: dt.date = (self.start + np.timedelta64(int(day), "D")).astype(dt.date)
        return date

    def day(self, date: dt.date) -> int:
        """Day index of ``date`` (negative before the start date)."""
        return int((np.datetime64(date, "D") - self.start).astype(int))


def working_days(first: dt.date, last: dt.date, config: ScheduleConfig | None = None, *,
                 trench: bool = False) -> list[dt.date]:
    """Working days between two dates (inclusive) under the schedule calendar.

    Parameters
    ----------
    first, last
        Date range.
    config
        Schedule configuration; defaults when ``None``.  Its ``start_date``
        is replaced by ``first``.
    trench
        Use the trench calendar (also without the winter stop).

    Returns
    -------
    list of datetime.date
    """
    sc = (config or ScheduleConfig()).model_copy(update={"start_date": first})
    cal = Calendar(sc)
    n = (last - first).days + 1
    return [cal.date(int(i)) for i in np.flatnonzero(cal.work[int(trench)][:n])]
