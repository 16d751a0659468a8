"""Former home of the input checks, now :mod:`planner.validation` (issue #15).

Kept as a re-export so that code written against ``planner._validate`` (other
branches, notebooks) keeps working until it imports :mod:`planner.validation`;
it defines nothing of its own.
"""

from __future__ import annotations

from planner.validation import (
    CODE_WIDTHS,
    COLUMN_ALIASES,
    EXTRA_COLUMNS_ATTR,
    MEDIA,
    VALUE_SYNONYMS,
    Bounds,
    as_text,
    fold_text,
    log_warnings,
    medium_from_text,
    parse_numbers,
    raise_for_problems,
    validate_area,
    validate_layer,
)

__all__ = [
    "Bounds",
    "validate_layer",
    "validate_area",
    "raise_for_problems",
    "log_warnings",
    "parse_numbers",
    "fold_text",
    "medium_from_text",
    "MEDIA",
    "VALUE_SYNONYMS",
    "as_text",
    "EXTRA_COLUMNS_ATTR",
    "COLUMN_ALIASES",
    "CODE_WIDTHS",
]
