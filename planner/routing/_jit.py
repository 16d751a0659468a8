"""Typed front end of ``numba.njit`` for the routing kernels.

numba ships no type stubs, so ``@numba.njit`` would make every kernel
``Any`` to mypy.  :func:`kernel` wraps it and returns the decorated function
with its own signature, so the kernels' annotations (which numba ignores; it
infers types from the arguments of the first call) are checked by mypy like
any Python function.  Nothing is compiled at import time: numba compiles a
kernel on its first call and caches the machine code on disk
(``cache=True``; ``NUMBA_CACHE_DIR`` selects the directory).

Conventions that keep compile time down (every distinct argument type of a
kernel is one more compilation): node ids in edge lists are ``int64``, CSR
offsets ``int64``, neighbour and edge ids in the CSR arrays ``int32``,
weights ``float64``, masks ``bool``; integer flags are passed as ``int``
(a Python bool constant would be typed as a literal and compiled twice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["kernel", "I32", "I64", "F64", "B1", "U64", "Flag", "Int"]

F = TypeVar("F", bound=Callable[..., Any])

#: Array aliases used in kernel signatures.
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B1 = NDArray[np.bool_]
U64 = NDArray[np.uint64]
#: A flag argument: pass ``np.bool_(...)`` from inside kernels (a bare ``True`` is a literal type).
Flag = bool | np.bool_
#: A scalar index: pass ``np.int64(...)`` inside kernels (one specialisation for int32 and int64 values).
Int = int | np.int64


def kernel(*, helper: bool = False, parallel: bool = False, inline: bool = False,
           forceinline: bool = False) -> Callable[[F], F]:
    """Decorator: ``numba.njit(cache=True, nogil=True)`` with the function's own type.

    Parameters
    ----------
    helper
        Called only from other kernels: no CPython entry point is compiled
        (the Python function itself stays callable as ``.py_func``).
    parallel
        Compile with ``parallel=True`` (``numba.prange`` loops).
    inline
        Inline the function into its callers in numba's IR (``inline="always"``):
        numba types and lowers the body again at every call site (slow to compile).
    forceinline
        Compile the function once and let LLVM inline it into its callers
        (``alwaysinline``), as the heap operations of the Dijkstra loops are: the
        same machine code as ``inline``, for a fraction of the compile time.

    Returns
    -------
    callable
        The decorator.
    """

    def wrap(fn: F) -> F:
        opts: dict[str, Any] = {"cache": True, "nogil": True, "no_cfunc_wrapper": True}
        if helper:
            opts["no_cpython_wrapper"] = True
        if parallel:
            opts["parallel"] = True
        if inline:
            opts["inline"] = "always"
        if forceinline:
            opts["forceinline"] = True
        return cast(F, njit(**opts)(fn))

    return wrap
