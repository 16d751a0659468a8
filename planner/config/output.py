"""What a plan directory carries besides the plan (``[output]``).

Sources of the defaults are named in :mod:`planner.config`.
"""

from __future__ import annotations

from pydantic import Field

from planner.config._base import Section

__all__ = ["OutputConfig"]


class OutputConfig(Section):
    """Identifiers of the UKE inventory export."""

    # Operator id (identyfikator podmiotu) prefixed to every id of the UKE export; the
    # operator's own id from the UKE register replaces it. [UKE; A: placeholder "OP"]
    uke_operator_id: str = Field("OP", min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    # Number of the public-funding project (numer projektu FERC) in the UKE export. [UKE; A: none]
    uke_project_number: str | None = Field(None, min_length=1, max_length=64)
