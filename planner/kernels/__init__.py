"""Compiled (numba) kernels of the white-spot stage, usable on their own.

* :mod:`planner.kernels.text_normalise` -- byte-level normalisation of TERYT
  codes, street names and house numbers;
* :mod:`planner.kernels.text_hash` -- Arrow string buffers, 128-bit hashes of
  (normalised) text columns and of multi-column keys;
* :mod:`planner.kernels.text_join` -- sort-merge join on such hashes, repeated
  values and rows;
* :mod:`planner.kernels.hash_table` -- numbering values by first appearance in
  an in-cache open-addressing table (Arrow-compatible ``factorize``);
* :mod:`planner.kernels.proximity` -- point-to-feature search on a uniform grid;
* :mod:`planner.kernels.threads` -- running a serial kernel over row ranges in
  threads.

Compile time matters as much as run time here: a fresh clone compiles every
kernel on its first run (``cache=True`` keeps them afterwards).  So the
kernels are serial (``parallel=True`` compiles a kernel several times over,
once per ``prange`` loop); they run in parallel by being called on row ranges
from threads (:func:`planner.kernels.threads.run_chunks`; they release the
GIL).  Each takes one array type per argument: inputs are passed as
C-contiguous read-only views (:func:`planner.kernels.threads.readonly`),
outputs as fresh numpy arrays, so that numba compiles one specialisation.
Work that numpy does as fast (a pass or two over an array) is left to numpy,
and small inputs to the libraries (:data:`MIN_COMPILED_ROWS`).  Nothing is
compiled at import time; kernels raise plain built-in errors.
"""

from __future__ import annotations

__all__ = ["MIN_COMPILED_ROWS"]

#: Inputs shorter than this go to the library paths (Arrow compute, GEOS' STRtree; numpy for the
#: raw hashes, their chaining and the join) instead of the kernels, which pay off only on large
#: inputs: a run on one commune (~10k address points) then compiles only the kernels it cannot do
#: without, saving seconds on a fresh clone's first run (compiled kernels are cached on disk
#: afterwards).  Both paths give the same results (tested).
MIN_COMPILED_ROWS = 50_000
