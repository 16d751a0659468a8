"""Pictures councillors read: S-curve, villages passed vs required, Gantt of the remaining work.

Figures are built without pyplot (no global state); save them with
``fig.savefig(path, metadata={'Software': None})`` for deterministic PNGs
(:func:`png_bytes`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.styles import VILLAGE_STATE_COLOURS

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from planner.replanning.stage import ReplanResult

__all__ = ["remaining_gantt_figure", "scurve_figure", "villages_figure"]

_PLAN, _ACTUAL, _FORECAST = "#7f7f7f", "#1b9e77", "#d95f02"


def _num(dates: Any) -> np.ndarray:
    """Dates as matplotlib date numbers (days since 1970-01-01)."""
    import matplotlib.dates as mdates

    epoch = mdates.date2num(dt.datetime(1970, 1, 1))
    days: np.ndarray = pd.to_datetime(pd.Series(dates)).to_numpy().astype("datetime64[D]").astype(np.int64) + epoch
    return days


def _mark_dates(ax: Any, r: ReplanResult, top: bool) -> None:
    """Milestone deadlines, the project end and the as-of date as vertical lines."""
    import matplotlib.dates as mdates

    for name, d in sorted(((m.name, m.deadline) for m in r.config.milestones), key=lambda x: (x[1], x[0])):
        x = mdates.date2num(pd.Timestamp(d).to_pydatetime())
        ax.axvline(x, color="#555555", linestyle="--", linewidth=0.8)
        if top:
            ax.text(x, 1.01, f"{name}\n{pd.Timestamp(d).date()}", transform=ax.get_xaxis_transform(), fontsize=7,
                    ha="center", va="bottom", color="#555555")
    x = mdates.date2num(pd.Timestamp(r.as_of).to_pydatetime())
    ax.axvline(x, color="black", linewidth=1.2)
    if top:
        ax.text(x, 1.01, f"stan na\n{r.as_of}", transform=ax.get_xaxis_transform(), fontsize=7, ha="center",
                va="bottom")


def scurve_figure(r: ReplanResult) -> Figure:
    """S-curve: planned vs actual vs forecast km of network and % of target points passed.

    Parameters
    ----------
    r
        A re-plan.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the time axis; milestone deadlines dashed, the
        as-of date solid.
    """
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    c = r.curves
    x = _num(c["date"])
    fig = Figure(figsize=(11, 7.5))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    panels = ((ax1, "km", "km sieci (network km)"), (ax2, "pct_passed", "% punktów (target points passed)"))
    for ax, col, unit in panels:
        ax.plot(x, c[f"planned_{col}"], color=_PLAN, linewidth=1.6, label="plan (harmonogram bazowy)")
        ok = c[f"actual_{col}"].notna().to_numpy()
        ax.plot(x[ok], c[f"actual_{col}"][ok], color=_ACTUAL, linewidth=2.2, marker="o" if col != "km" else None,
                markersize=3, label="wykonanie (as built)")
        ok = c[f"forecast_{col}"].notna().to_numpy()
        ax.plot(x[ok], c[f"forecast_{col}"][ok], color=_FORECAST, linewidth=1.6, linestyle="-.",
                label="prognoza (re-plan, obecne brygady)")
        ax.set_ylabel(unit, fontsize=8)
        ax.grid(linewidth=0.3)
        ax.tick_params(labelsize=7)
        _mark_dates(ax, r, top=ax is ax1)
    ax2.axhline(100 * r.config.pass_threshold, color="#999999", linewidth=0.6, linestyle=":")
    ax2.set_ylim(0, 100)
    ax1.legend(loc="upper left", fontsize=7)
    ax2.xaxis_date()
    ax2.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    p = r.progress
    fig.suptitle(f"Postęp budowy (S-curve) na {r.as_of}: {p.km_built:.1f} km zbudowane, "
                 f"{p.km_underground:.1f} km doziemnie, {p.pct_passed:.1f} % punktów", fontsize=10)
    fig.tight_layout()
    return fig


def villages_figure(r: ReplanResult) -> Figure:
    """Per village: % of target points passed now and forecast at its deadline vs the required share.

    Parameters
    ----------
    r
        A re-plan.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars by milestone: the light bar is the forecast at the
        deadline (actual for a passed milestone), the dark one the share now,
        coloured by the village state; the dotted line is the required share.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    v = r.villages
    n = len(v)
    fig = Figure(figsize=(9, min(0.19 * max(n, 1) + 1.6, 40.0)))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(n)
    colours = [VILLAGE_STATE_COLOURS[s].outline if s in VILLAGE_STATE_COLOURS else "#999999"
               for s in v["village_state"]]
    ax.barh(y, v["pct_at_deadline"].astype(float), color=colours, alpha=0.3, height=0.8)
    ax.barh(y, v["pct_passed_now"].astype(float), color=colours, height=0.45)
    ax.axvline(float(v["required_pct"].iloc[0]) if n else 80.0, color="black", linestyle=":", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{loc} ({m})" for loc, m in zip(v["locality"], v["milestone"])], fontsize=6)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% punktów adresowych (target points passed)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    last = None
    for i, m in enumerate(v["milestone"]):
        if last is not None and m != last:
            ax.axhline(i - 0.5, color="#555555", linewidth=0.5)
        last = m
    labels = {"built": "osiągnięte (built)", "remaining": "w terminie (remaining)", "at_risk": "zagrożone (at risk)"}
    ax.legend(handles=[Patch(color=c.outline, label=labels[k]) for k, c in VILLAGE_STATE_COLOURS.items()], fontsize=7,
              loc="lower right")
    ax.set_title(f"Miejscowości: teraz (ciemny) i w terminie kamienia milowego (jasny) na {r.as_of}", fontsize=9)
    fig.tight_layout()
    return fig


def remaining_gantt_figure(r: ReplanResult) -> Figure:
    """Gantt chart of the remaining work by village (:func:`planner.schedule.gantt_figure`) with the as-of date."""
    import matplotlib.dates as mdates

    from planner.output.charts import gantt_figure

    fig: Figure = gantt_figure(r.remaining)
    ax = fig.axes[0]
    ax.axvline(mdates.date2num(pd.Timestamp(r.as_of).to_pydatetime()), color="black", linewidth=1.2)
    ax.set_title(f"Pozostałe prace od {r.as_of} (remaining work, Gantt)", fontsize=9)
    return fig
