"""What a plan says to people: the text summary, key figures, worklists and the report document.

Nothing here touches files: :mod:`planner.output` writes what these functions
return.  :mod:`~planner.report.summary` (``summary.txt``, the CLI output),
:mod:`~planner.report.figures` (key figures by commune, village, milestone),
:mod:`~planner.report.worklists` (the sheets of ``bom.xlsx``: consents,
distance fees, barriers, unconnected points) and
:mod:`~planner.report.document` (``report.md`` / ``report.html``).
"""

from __future__ import annotations

from planner.report.document import report_html, report_markdown
from planner.report.figures import format_figure, report_figures
from planner.report.summary import format_summary
from planner.report.worklists import bom_sheets, consent_worklist

__all__ = [
    "bom_sheets",
    "consent_worklist",
    "format_figure",
    "format_summary",
    "report_figures",
    "report_html",
    "report_markdown",
]
