"""Validation of input layers against :mod:`planner.schema`.

This is the one package that checks inputs.  Readers (:mod:`planner.io`) map a
file onto the schema columns as well as they can and hand the result to
:func:`validate_layer`, which

* maps a few common alternative column names onto the schema names
  (``housenumber`` -> ``house_number``, ``miejscowosc`` -> ``locality``, ...),
* reports missing required columns with close-match suggestions
  (``column 'hous_number' not found; did you mean 'house_number'?``),
* warns about unknown columns.  **Unknown columns are kept** (after the schema
  columns, before ``geometry``) so that extra attributes survive into the
  outputs; stages never rely on them,
* coerces every schema column to its dtype (``str`` columns become ``object``
  holding ``str`` with ``""`` for "no value"; TERYT codes are left-padded with
  zeros where a spreadsheet dropped them), reporting unparseable numbers,
  booleans and dates and values outside the allowed vocabularies,
* fills optional columns with their schema defaults,
* checks ids (empty, duplicate -- the repeated values named) and geometry
  (missing CRS, empty, wrong type, invalid -> repaired with
  :func:`shapely.make_valid` and a warning, rejected if still invalid),
  reprojects to the working CRS (``always_xy``) and checks the coordinates
  against the study-area bounds, recognising axis-swapped input.

Every problem of a layer is collected; nothing stops at the first one.  A
problem concerning many rows is reported once with the first few rows and the
count.  :func:`raise_for_problems` turns the error list into one
:class:`~planner._errors.InputDataError`.

Modules: :mod:`~planner.validation.text` (reading cell values),
:mod:`~planner.validation.columns` (names, dtypes, vocabularies, ids),
:mod:`~planner.validation.geometry` (CRS, types, validity, bounds),
:mod:`~planner.validation.layers` (whole layers and areas),
:mod:`~planner.validation.official_list` (the layout of an official
white-spot list) and :mod:`~planner.validation.problems` (problem records).
"""

from __future__ import annotations

from planner.validation.columns import CODE_WIDTHS, COLUMN_ALIASES, EXTRA_COLUMNS_ATTR
from planner.validation.geometry import Bounds
from planner.validation.layers import validate_area, validate_layer
from planner.validation.problems import log_warnings, raise_for_problems
from planner.validation.text import MEDIA, VALUE_SYNONYMS, as_text, fold_text, medium_from_text, parse_numbers

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
