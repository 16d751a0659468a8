"""Stable argsort of float keys for the kernels (LSD radix sort, numba)."""

from __future__ import annotations

import numpy as np

from planner._radix import argsort_u64
from planner.routing._jit import F64, I64, kernel

__all__ = ["argsort_f64"]


@kernel()
def argsort_f64(x: F64) -> I64:
    """Stable ascending argsort of a float64 array: ``np.argsort(x, kind="stable")``.

    An LSD radix sort (:func:`planner._radix.argsort_u64`) on the
    order-preserving unsigned-integer image of the floats, several times
    faster than a merge sort on the 10^4..10^5 keys of the local search.
    ``-0.0`` counts as ``0.0``; NaN is not expected.  For a descending order
    with ties in index order sort ``-x``.

    Parameters
    ----------
    x
        Keys.

    Returns
    -------
    numpy.ndarray
        int64 positions that sort ``x``; equal keys keep their order.
    """
    n = x.shape[0]
    sign = np.uint64(1) << np.uint64(63)
    keys = np.empty(n, np.uint64)
    bits = (x + 0.0).view(np.uint64)
    for i in range(n):
        k = bits[i]
        keys[i] = ~k if k & sign else k | sign  # order-preserving map of IEEE doubles
    return argsort_u64(keys)
