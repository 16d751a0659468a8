"""White spots (białe plamy), investment barriers, official-list diff, reallocation.

Stage 2 of the pipeline: from the address points and the operators' coverage
declarations of a study area, decide for every address point whether it is a
**white** spot (no fixed NGA network now or planned within the horizon),
**grey** (one NGA network) or **black** (two or more), and whether a white spot
is really buildable or an **investment barrier** (bariera inwestycyjna).
Defaults of the rules: :class:`planner.config.WhiteSpotConfig`.

The stage takes data and its config section and returns results
(:func:`run`); it reads no files (the official list:
:func:`planner.io.official_list.read_official_list`; new buildings: the area's
``new_buildings`` layer).  Modules, in pipeline order:

* :mod:`~planner.whitespots.keys` -- normalised address keys and their hashes;
* :mod:`~planner.whitespots.codes` -- integer codes of text columns;
* :mod:`~planner.whitespots.coverage` -- checks, NGA categories, distinct
  declarations and exact repeats of the coverage rows;
* :mod:`~planner.whitespots.matching` -- coverage rows to address points
  (id, address key, nearest point, area);
* :mod:`~planner.whitespots.reasons` -- reason texts, Polish wording;
* :mod:`~planner.whitespots.summaries` -- per-address NGA operators, class
  and reason;
* :mod:`~planner.whitespots.barriers` -- investment barriers;
* :mod:`~planner.whitespots.classification` -- :func:`classify`, the stages in threads;
* :mod:`~planner.whitespots.localities` -- the per-locality table;
* :mod:`~planner.whitespots.official_list` -- the official list against the classes;
* :mod:`~planner.whitespots.reallocation` -- new buildings for the barriers' places;
* :mod:`~planner.whitespots.stage` -- :func:`run` and :class:`WhiteSpotResult`.

The compiled kernels (text keys, proximity grid) live in :mod:`planner.kernels`.
"""

from __future__ import annotations

from planner.whitespots.classification import classify
from planner.whitespots.coverage import KNOWN_TECHNOLOGIES, MEDIA
from planner.whitespots.keys import normalise_house_number, normalise_street
from planner.whitespots.localities import locality_table
from planner.whitespots.official_list import official_list_diff
from planner.whitespots.reallocation import propose_reallocation
from planner.whitespots.reasons import localize_reasons
from planner.whitespots.stage import WhiteSpotResult, run

__all__ = [
    "KNOWN_TECHNOLOGIES",
    "MEDIA",
    "WhiteSpotResult",
    "classify",
    "locality_table",
    "localize_reasons",
    "normalise_house_number",
    "normalise_street",
    "official_list_diff",
    "propose_reallocation",
    "run",
]
