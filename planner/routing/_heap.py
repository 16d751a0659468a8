"""Indexed 4-ary min-heap with decrease-key, and software prefetch (numba).

``heap[0:size]`` holds node ids, ``hkey[i]`` the key of ``heap[i]`` and
``pos[node]`` the slot of a node or ``-1``.  The helpers are inlined into
the Dijkstra-like kernels of :mod:`planner.routing.dijkstra` and
:mod:`planner.routing.steiner` by LLVM (``forceinline``): each is compiled
once, not typed and lowered again at every call site as numba's IR inlining
would (a fresh clone's first plan compiles ~2 s faster, same machine code
speed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from planner.routing._jit import F64, I32, I64, Int, kernel

__all__ = ["prefetch", "prefetch_top", "sift_up", "sift_down", "push_or_decrease", "pop"]


def _prefetch_impl(typingctx: Any, arr: Any, idx: Any) -> tuple[Any, Callable[..., Any]]:
    """Hint the CPU to load ``arr[idx]`` into cache (LLVM ``llvm.prefetch``).

    Dijkstra on a large road graph is bound by cache misses, not by heap
    work: nodes are settled in distance order, i.e. scattered in memory.
    Prefetching the next node's arcs and its neighbours' labels while the
    current node is relaxed overlaps those misses.  A prefetch never faults
    and has no visible effect.
    """
    sig = types.void(arr, idx)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        addr = builder.bitcast(builder.gep(ary.data, [args[1]]), i8p)
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", [i8p], ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        )
        # read access, high temporal locality, data cache
        builder.call(fn, [addr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


_prefetch: Any = intrinsic(_prefetch_impl)


def prefetch(arr: Any, idx: Any) -> None:
    """Cache hint for ``arr[idx]`` inside a kernel; a no-op when the kernel runs as Python."""


@overload(prefetch, inline="always")
def _prefetch_overload(arr: Any, idx: Any) -> Callable[[Any, Any], None]:
    def impl(arr: Any, idx: Any) -> None:
        _prefetch(arr, idx)

    return impl


@kernel(helper=True, forceinline=True)
def prefetch_top(heap: I32, size: Int, indptr: I64, adj: I32, adj_w: F64, label: F64, pos: I32) -> None:
    """Prefetch the arcs of the heap's top node and its neighbours' labels and slots.

    The top node is likely the next one settled.
    """
    if size > 0:
        t = heap[0]
        a = indptr[t]
        prefetch(adj, a)
        prefetch(adj_w, a)
        for k in range(a, indptr[t + 1]):
            j = np.int64(adj[k])  # int64 indices throughout: one compiled prefetch per array type
            prefetch(label, j)
            prefetch(pos, j)


@kernel(helper=True, forceinline=True)
def sift_up(heap: I32, hkey: F64, pos: I32, i: Int, node: Int, k: float) -> None:
    """Move the hole at ``i`` up and place ``node`` with key ``k``."""
    while i > 0:
        p = (i - 1) >> 2
        pk = hkey[p]
        if pk <= k:
            break
        pn = heap[p]
        heap[i] = pn
        hkey[i] = pk
        pos[pn] = i
        i = p
    heap[i] = node
    hkey[i] = k
    pos[node] = i


@kernel(helper=True, forceinline=True)
def sift_down(heap: I32, hkey: F64, pos: I32, size: Int, i: Int, node: Int, k: float) -> None:
    """Move the hole at ``i`` down and place ``node`` with key ``k``."""
    while True:
        c = 4 * i + 1
        if c >= size:
            break
        best = c
        bk = hkey[c]
        if c + 4 <= size:  # all four children exist: constant trip count, unrolled
            for j in range(c + 1, c + 4):
                jk = hkey[j]
                if jk < bk:
                    best = j
                    bk = jk
        else:
            for j in range(c + 1, size):
                jk = hkey[j]
                if jk < bk:
                    best = j
                    bk = jk
        if bk >= k:
            break
        bn = heap[best]
        heap[i] = bn
        hkey[i] = bk
        pos[bn] = i
        i = best
    heap[i] = node
    hkey[i] = k
    pos[node] = i


@kernel(helper=True, forceinline=True)
def push_or_decrease(heap: I32, hkey: F64, pos: I32, size: Int, node: Int, k: float) -> np.int64:
    """Insert ``node`` with key ``k``, or lower its key to ``k``; returns the size.

    One ``sift_up`` call site, not one per case: every inlined copy is typed
    and compiled again in each caller.
    """
    p = np.int64(pos[node])
    new = p < 0
    if new:
        p = np.int64(size)
    sift_up(heap, hkey, pos, p, node, k)
    return np.int64(size + 1) if new else np.int64(size)


@kernel(helper=True, forceinline=True)
def pop(heap: I32, hkey: F64, pos: I32, size: Int) -> tuple[np.int64, np.int64]:
    """Remove the minimum; returns ``(node, size)``."""
    node = np.int64(heap[0])
    pos[node] = -1
    rest = np.int64(size - 1)
    if rest > 0:
        sift_down(heap, hkey, pos, rest, np.int64(0), np.int64(heap[rest]), hkey[rest])
    return node, rest
