"""Running serial kernels over row ranges in threads, and their input arrays.

The kernels of :mod:`planner.kernels` are compiled without ``parallel=True``:
every ``prange`` loop of a parallel kernel is compiled again as a separate
function, which tripled the first-run compile time of the white-spot stage.
They release the GIL instead (``nogil=True``), and :func:`run_chunks` calls
one on a few row ranges at once from a small thread pool.  The results do not
depend on the number of threads: every range writes its own rows.

The number of threads is numba's (``NUMBA_NUM_THREADS``, by default the CPU
count; read without starting numba's threading layer), lowered for the
calling thread by :func:`limit_threads` -- the stage's worker threads, which
run beside each other, use one each.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager

import numba
import numpy as np

__all__ = [
    "MIN_ROWS_PER_THREAD",
    "limit_threads",
    "readonly",
    "run_chunks",
    "single_thread",
    "thread_count",
    "thread_limit",
]

#: Ranges are never shorter than this many rows (below it a thread costs more than it saves).
MIN_ROWS_PER_THREAD = 1 << 14

_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def thread_count() -> int:
    """Threads that :func:`run_chunks` may use in the calling thread.

    Returns
    -------
    int
        ``NUMBA_NUM_THREADS``, or the calling thread's limit (:func:`limit_threads`).
    """
    limit = getattr(_local, "limit", None)
    # numba's config stub omits the settings it reads from the environment at import
    return int(limit if limit is not None else numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]


def limit_threads(n: int) -> None:
    """Let :func:`run_chunks` use at most ``n`` threads when called from the calling thread.

    Parameters
    ----------
    n
        Number of threads (>= 1); e.g. as a thread pool's ``initializer``.
    """
    if n < 1:
        raise ValueError(f"thread limit must be >= 1, got {n}")
    _local.limit = n


@contextmanager
def thread_limit(n: int) -> Iterator[None]:
    """Within the block, :func:`run_chunks` uses at most ``n`` threads when called from the calling thread.

    Parameters
    ----------
    n
        Number of threads (>= 1).

    Yields
    ------
    None
    """
    before = getattr(_local, "limit", None)
    limit_threads(n)
    try:
        yield
    finally:
        _local.limit = before


def single_thread() -> AbstractContextManager[None]:
    """Within the block, :func:`run_chunks` (and the white-spot stage) run everything in the calling thread.

    Returns
    -------
    contextlib.AbstractContextManager
        ``thread_limit(1)``.
    """
    return thread_limit(1)


def _shared_pool() -> ThreadPoolExecutor:
    """The pool of this process (a forked child gets a new one: its parent's threads did not come along)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            # numba's config stub omits the settings it reads from the environment at import
            threads = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
            _pool = ThreadPoolExecutor(max_workers=max(threads - 1, 1),
                                       thread_name_prefix="planner-kernels")
            _pool_pid = os.getpid()
        return _pool


def run_chunks(kernel: Callable[[int, int], object], n: int, *, min_rows: int | None = None) -> None:
    """Call ``kernel(lo, hi)`` on consecutive ranges covering ``0..n``, some of them in other threads.

    Parameters
    ----------
    kernel
        Processes rows ``lo`` to ``hi - 1``; ranges must not depend on each
        other (each writes its own rows).  Usually a lambda around a compiled
        kernel that releases the GIL.
    n
        Number of rows.
    min_rows
        Shortest range worth a thread of its own (``None``: :data:`MIN_ROWS_PER_THREAD`).

    Notes
    -----
    The first range runs in the calling thread, the others in a shared pool
    of ``NUMBA_NUM_THREADS - 1`` threads; the first error raised by any range
    is re-raised after all of them ended.
    """
    if min_rows is None:
        min_rows = MIN_ROWS_PER_THREAD
    k = max(1, min(thread_count(), n // max(min_rows, 1)))
    if k == 1:
        kernel(0, n)
        return
    bounds = [i * n // k for i in range(k + 1)]
    pool = _shared_pool()
    futures = [pool.submit(kernel, bounds[i], bounds[i + 1]) for i in range(1, k)]
    try:
        kernel(bounds[0], bounds[1])
    finally:
        errors = [f.exception() for f in futures]
    for exc in errors:
        if exc is not None:
            raise exc


def readonly(a: np.ndarray, dtype: type | np.dtype) -> np.ndarray:
    """``a`` as a C-contiguous read-only array of ``dtype`` (a view when it already is one).

    Parameters
    ----------
    a
        Array (or array-like).
    dtype
        Element type the kernel takes.

    Returns
    -------
    numpy.ndarray
        Read-only, so that arrays from numpy, pandas (read-only under
        copy-on-write) and Arrow buffers (always read-only) give numba one
        argument type, and one compilation.
    """
    v = np.ascontiguousarray(a, dtype=dtype).view()
    v.flags.writeable = False
    return v
