"""Point-to-feature proximity search on a uniform grid (numba).

Used by :mod:`planner.whitespots` for "which buildings are within 30 m of
this address" and "which address point is nearest to this coverage point".
Both ask the same question of up to millions of query points against up to
millions of small features, once per run; building and querying a GEOS
STRtree costs about 1.3 s per million queries, while this grid (a sort of
the features by cell, then a parallel two-pass scan of the queries in cell
order) does it in a fraction of that.  When the queries are few against many
features, only the features in cells some query reaches enter the grid.

Each feature is reduced to its bounding box and entered into every grid cell
the box overlaps; a query point scans the cells overlapped by the square of
side ``2 * distance`` around it and keeps the features whose *box* is within
``distance``.  For points the box distance is the exact Euclidean distance,
computed as GEOS does (``sqrt(dx*dx + dy*dy)``), so the result equals
``STRtree.query(..., predicate="dwithin")``; for other geometries it is a
superset that the caller filters with :func:`shapely.dwithin`.

Like :mod:`planner.routing`, the kernels are compiled on first call
(``cache=True``), never at import time.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from planner._radix import bin_starts_into

#: Largest number of (feature, cell) entries per feature before the grid is
#: judged unsuitable (huge polygons) and the caller should use an STRtree.
MAX_ENTRIES_PER_FEATURE = 8

#: With fewer than one query per this many features, only the features in
#: cells that some query scans are entered into the grid.
FEW_QUERIES = 4


@njit(cache=True, nogil=True)
def _cell_range(lo: float, hi: float, origin: float, size: float, n: int) -> tuple[int, int]:
    """First and last cell index overlapped by ``[lo, hi]``, clipped to ``[0, n - 1]``
    (first > last when the interval misses the grid)."""
    a = int(np.floor((lo - origin) / size))
    b = int(np.floor((hi - origin) / size))
    if a < 0:
        a = 0
    if b > n - 1:
        b = n - 1
    return a, b


@njit(cache=True, nogil=True, inline="always")
def _box_cells(boxes: np.ndarray, i: int, origin_x: float, origin_y: float, size: float, nx: int,
               ny: int) -> tuple[int, int, int, int]:
    """Cell columns ``x0..x1`` and rows ``y0..y1`` of feature ``i`` (an empty range if it has no box)."""
    if not np.isfinite(boxes[i, 0]):
        return 1, 0, 1, 0
    x0, x1 = _cell_range(boxes[i, 0], boxes[i, 2], origin_x, size, nx)
    y0, y1 = _cell_range(boxes[i, 1], boxes[i, 3], origin_y, size, ny)
    return x0, x1, y0, y1


@njit(cache=True, nogil=True)
def degenerate_boxes(boxes: np.ndarray) -> bool:
    """Whether every box is a point (``xmin == xmax`` and ``ymin == ymax``) or missing (NaN)."""
    for i in range(boxes.shape[0]):
        if np.isfinite(boxes[i, 0]) and (boxes[i, 0] != boxes[i, 2] or boxes[i, 1] != boxes[i, 3]):
            return False
    return True


@njit(cache=True, nogil=True)
def _extent(boxes: np.ndarray) -> tuple[int, float, float, float, float]:
    """Number of boxes without NaN, and the bounds of those boxes."""
    m = 0
    xmin, ymin, xmax, ymax = np.inf, np.inf, -np.inf, -np.inf
    for i in range(boxes.shape[0]):
        x0, y0, x1, y1 = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        if np.isfinite(x0) and np.isfinite(y0) and np.isfinite(x1) and np.isfinite(y1):
            m += 1
            xmin, ymin, xmax, ymax = min(xmin, x0), min(ymin, y0), max(xmax, x1), max(ymax, y1)
    return m, xmin, ymin, xmax, ymax


@njit(cache=True, nogil=True)
def _n_entries(boxes: np.ndarray, size: float) -> float:
    """Number of (feature, cell) entries of a grid of cells of side ``size`` (boxes with NaN skipped;
    a float, which cannot overflow for huge boxes)."""
    total = 0.0
    for i in range(boxes.shape[0]):
        w, h = boxes[i, 2] - boxes[i, 0], boxes[i, 3] - boxes[i, 1]
        if w == 0.0 and h == 0.0:  # a point (the common case): float '//' costs an fmod call each
            total += 1.0
        elif np.isfinite(boxes[i, 0]):
            total += (w // size + 1) * (h // size + 1)
    return total


@njit(cache=True, nogil=True, parallel=True)
def _entry_counts(boxes: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int, ny: int,
                  first: np.ndarray) -> None:
    """``first[i]:first[i + 1]``: the (cell, feature) entries of feature ``i`` (``first``: zeros, one
    longer than the features)."""
    m = boxes.shape[0]
    for i in prange(m):
        x0, x1, y0, y1 = _box_cells(boxes, i, origin_x, origin_y, size, nx, ny)
        first[i + 1] = max(x1 - x0 + 1, 0) * max(y1 - y0 + 1, 0)
    for i in range(m):
        first[i + 1] += first[i]


@njit(cache=True, nogil=True, parallel=True)
def _entry_keys(boxes: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int, ny: int,
                first: np.ndarray, bits: int, keys: np.ndarray) -> None:
    """The entries as ``cell << bits | feature``, cell ``cx * ny + cy``."""
    for i in prange(boxes.shape[0]):
        x0, x1, y0, y1 = _box_cells(boxes, i, origin_x, origin_y, size, nx, ny)
        k = first[i]
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                keys[k] = (np.uint64(cx * ny + cy) << np.uint64(bits)) | np.uint64(i)
                k += 1


@njit(cache=True, nogil=True, parallel=True)
def _grid_from_keys(keys: np.ndarray, bits: int, boxes: np.ndarray, items: np.ndarray, gbox: np.ndarray,
                    start: np.ndarray) -> None:
    """The CSR grid of :func:`_build` from its sorted entry keys."""
    mask = np.uint64((1 << bits) - 1)
    for e in prange(keys.shape[0]):
        i = np.int64(keys[e] & mask)
        items[e] = i
        gbox[e, 0], gbox[e, 1], gbox[e, 2], gbox[e, 3] = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
    bin_starts_into(keys, bits, start)


def _build(boxes: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int,
           ny: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """CSR grid: ``start[c]:start[c + 1]`` of ``items`` are the features in cell ``c = cx * ny + cy``
    (in ascending feature order); ``gbox`` holds their boxes in the same order,
    so that a scan reads one contiguous run per cell instead of one random row
    per feature (the scan is memory-bound).  ``None`` if a cell number and a
    feature number do not fit in one 64-bit word.

    The entries are ordered by numpy's sort of one word per entry (cell above
    feature): a counting sort scattering a million features straight into a
    million cells misses the cache on every write and took 2-3x longer, and
    the arrays come from numpy, whose fresh memory takes far fewer page
    faults than numba's (huge pages).
    """
    m = boxes.shape[0]
    bits = max(m - 1, 1).bit_length()
    if (nx * ny).bit_length() + bits > 64:
        return None
    first = np.zeros(m + 1, dtype=np.int64)
    _entry_counts(boxes, origin_x, origin_y, size, nx, ny, first)
    keys = np.empty(int(first[m]), dtype=np.uint64)
    _entry_keys(boxes, origin_x, origin_y, size, nx, ny, first, bits, keys)
    keys.sort()
    items, gbox = np.empty(len(keys), dtype=np.int64), np.empty((len(keys), 4), dtype=np.float64)
    start = np.empty(nx * ny + 1, dtype=np.int64)
    _grid_from_keys(keys, bits, boxes, items, gbox, start)
    return start, items, gbox


@njit(cache=True, nogil=True)
def _reached_cells(qxy: np.ndarray, distance: float, pad: float, origin_x: float, origin_y: float, size: float,
                   nx: int, ny: int) -> np.ndarray:
    """Cells scanned by some query (as in :func:`_scan`)."""
    reached = np.zeros(nx * ny, dtype=np.bool_)
    r = distance + pad
    for q in range(qxy.shape[0]):
        px, py = qxy[q, 0], qxy[q, 1]
        if np.isfinite(px) and np.isfinite(py):
            qx0, qx1 = _cell_range(px - r, px + r, origin_x, size, nx)
            qy0, qy1 = _cell_range(py - r, py + r, origin_y, size, ny)
            for cx in range(qx0, qx1 + 1):
                for cy in range(qy0, qy1 + 1):
                    reached[cx * ny + cy] = True
    return reached


@njit(cache=True, nogil=True, parallel=True)
def _touching(boxes: np.ndarray, reached: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int,
              ny: int) -> np.ndarray:
    """Features whose box overlaps a reached cell."""
    m = boxes.shape[0]
    keep = np.zeros(m, dtype=np.bool_)
    for i in prange(m):
        x0, x1, y0, y1 = _box_cells(boxes, i, origin_x, origin_y, size, nx, ny)
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                if reached[cx * ny + cy]:
                    keep[i] = True
    return keep


@njit(cache=True, nogil=True, inline="always")
def _scan(q: int, qxy: np.ndarray, distance: float, pad: float, origin_x: float,
          origin_y: float, size: float, nx: int, ny: int, start: np.ndarray, items: np.ndarray,
          gbox: np.ndarray, out_l: np.ndarray, out_d: np.ndarray, at: int) -> int:
    """Pairs of query ``q``: written from ``out[at]`` when ``at >= 0``, else only the first one, at
    ``out[q]``; returns their number.

    A feature spanning several cells is reported once, from the first cell
    (lowest column, then row) shared by its box and the query square.
    """
    px, py = qxy[q, 0], qxy[q, 1]
    if not (np.isfinite(px) and np.isfinite(py)):
        return 0
    r = distance + pad
    qx0, qx1 = _cell_range(px - r, px + r, origin_x, size, nx)
    qy0, qy1 = _cell_range(py - r, py + r, origin_y, size, ny)
    k = 0
    for cx in range(qx0, qx1 + 1):
        for cy in range(qy0, qy1 + 1):
            c = cx * ny + cy
            for e in range(start[c], start[c + 1]):
                x0, y0, x1, y1 = gbox[e, 0], gbox[e, 1], gbox[e, 2], gbox[e, 3]
                if x0 != x1 or y0 != y1:  # may span cells: report from the first shared one
                    if (max(int(np.floor((x0 - origin_x) / size)), qx0) != cx
                            or max(int(np.floor((y0 - origin_y) / size)), qy0) != cy):
                        continue
                dx = max(x0 - px, px - x1, 0.0)
                dy = max(y0 - py, py - y1, 0.0)
                d = np.sqrt(dx * dx + dy * dy)
                if d <= distance:
                    if at >= 0:
                        out_l[at + k] = items[e]
                        out_d[at + k] = d
                    elif k == 0:
                        out_l[q] = items[e]
                        out_d[q] = d
                    k += 1
    return k


@njit(cache=True, nogil=True, parallel=True)
def _query_keys(qxy: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int, ny: int, bits: int,
                keys: np.ndarray) -> None:
    """Each query as ``cell << bits | query`` (queries with NaN in the cell after the last)."""
    for q in prange(qxy.shape[0]):
        px, py = qxy[q, 0], qxy[q, 1]
        cell = nx * ny
        if np.isfinite(px) and np.isfinite(py):
            cx = min(max(int(np.floor((px - origin_x) / size)), 0), nx - 1)
            cy = min(max(int(np.floor((py - origin_y) / size)), 0), ny - 1)
            cell = cx * ny + cy
        keys[q] = (np.uint64(cell) << np.uint64(bits)) | np.uint64(q)


@njit(cache=True, nogil=True, parallel=True)
def _count_pairs(keys: np.ndarray, bits: int, qxy: np.ndarray, distance: float, pad: float, origin_x: float,
                 origin_y: float, size: float, nx: int, ny: int, start: np.ndarray, items: np.ndarray,
                 gbox: np.ndarray, sxy: np.ndarray, first_l: np.ndarray, first_d: np.ndarray,
                 offset: np.ndarray) -> None:
    """The queries in key order into ``sxy``; the number of pairs of each into ``offset`` (as offsets:
    zeros, one longer than the queries), and its first pair."""
    n = keys.shape[0]
    mask = np.uint64((1 << bits) - 1)
    for s in prange(n):
        q = np.int64(keys[s] & mask)
        sxy[s, 0], sxy[s, 1] = qxy[q, 0], qxy[q, 1]
    for s in prange(n):
        offset[s + 1] = _scan(s, sxy, distance, pad, origin_x, origin_y, size, nx, ny, start, items, gbox,
                              first_l, first_d, -1)
    for s in range(n):
        offset[s + 1] += offset[s]


@njit(cache=True, nogil=True, parallel=True)
def _write_pairs(keys: np.ndarray, bits: int, sxy: np.ndarray, distance: float, pad: float, origin_x: float,
                 origin_y: float, size: float, nx: int, ny: int, start: np.ndarray, items: np.ndarray,
                 gbox: np.ndarray, first_l: np.ndarray, first_d: np.ndarray, offset: np.ndarray,
                 out_q: np.ndarray, out_l: np.ndarray, out_d: np.ndarray) -> None:
    """The pairs counted by :func:`_count_pairs`; a query with one pair keeps the one it found."""
    mask = np.uint64((1 << bits) - 1)
    for s in prange(keys.shape[0]):
        k = offset[s + 1] - offset[s]
        if k == 1:
            out_l[offset[s]], out_d[offset[s]] = first_l[s], first_d[s]
        elif k > 1:
            _scan(s, sxy, distance, pad, origin_x, origin_y, size, nx, ny, start, items, gbox, out_l, out_d,
                  offset[s])
        q = np.int64(keys[s] & mask)
        for e in range(offset[s], offset[s + 1]):
            out_q[e] = q


def _query(qxy: np.ndarray, distance: float, pad: float, origin_x: float, origin_y: float,
           size: float, nx: int, ny: int, start: np.ndarray, items: np.ndarray,
           gbox: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """All pairs, grouped by query, the queries in the order of their grid cell (then ascending); ``None``
    if a cell number and a query number do not fit in one 64-bit word.

    The queries are scanned in the order of their grid cell (numpy's sort of
    one word per query), so that neighbouring queries read the same cells
    while they are in cache; in input order every query missed the cache on
    its cells.  The pairs are written in that order too: writing each query's
    pairs at its place in input order missed the cache on every write.  The
    pairs of each query are counted first (keeping the first), then only the
    queries with more are scanned again.
    """
    n = qxy.shape[0]
    bits = max(n - 1, 1).bit_length()
    if (nx * ny + 1).bit_length() + bits > 64:
        return None
    keys = np.empty(n, dtype=np.uint64)
    _query_keys(qxy, origin_x, origin_y, size, nx, ny, bits, keys)
    keys.sort()
    sxy = np.empty((n, 2), dtype=np.float64)
    first_l, first_d = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float64)
    offset = np.zeros(n + 1, dtype=np.int64)
    _count_pairs(keys, bits, qxy, distance, pad, origin_x, origin_y, size, nx, ny, start, items, gbox, sxy,
                 first_l, first_d, offset)
    total = int(offset[n])
    out_q, out_l, out_d = np.empty(total, np.int64), np.empty(total, np.int64), np.empty(total, np.float64)
    _write_pairs(keys, bits, sxy, distance, pad, origin_x, origin_y, size, nx, ny, start, items, gbox, first_l,
                 first_d, offset, out_q, out_l, out_d)
    return out_q, out_l, out_d


@njit(cache=True, nogil=True)
def nearest_runs(q: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """The nearest pair of every run of equal query positions.

    Returns, per run: the query, the position of its first pair at the
    smallest distance, and how many of its pairs are at that distance; and
    whether the runs are grouped (no query has two runs).  Linear, no sort.
    """
    n = q.shape[0]
    n_runs = 0
    for i in range(n):
        if i == 0 or q[i] != q[i - 1]:
            n_runs += 1
    run_q = np.empty(n_runs, dtype=np.int64)
    best = np.empty(n_runs, dtype=np.int64)
    n_min = np.zeros(n_runs, dtype=np.int64)
    top = 0
    for i in range(n):
        top = max(top, q[i])
    seen = np.zeros(top + 1 if n else 0, dtype=np.bool_)
    grouped = True
    r = -1
    for i in range(n):
        if i == 0 or q[i] != q[i - 1]:
            r += 1
            run_q[r], best[r], n_min[r] = q[i], i, 1
            if seen[q[i]]:
                grouped = False
            seen[q[i]] = True
        elif dist[i] < dist[best[r]]:
            best[r], n_min[r] = i, 1
        elif dist[i] == dist[best[r]]:
            n_min[r] += 1
    return run_q, best, n_min, grouped


def box_pairs(qxy: np.ndarray, boxes: np.ndarray,
              distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Pairs (query, feature, box distance) with the feature's box within ``distance``.

    Parameters
    ----------
    qxy
        ``(n, 2)`` query coordinates; rows with NaN are skipped.
    boxes
        ``(m, 4)`` feature bounds ``xmin, ymin, xmax, ymax`` (as from
        :func:`shapely.bounds`); rows with NaN (missing or empty geometry) are skipped.
    distance
        Search distance (>= 0, finite), in the units of the coordinates.

    Returns
    -------
    tuple of numpy.ndarray or None
        Query positions, feature positions and box distances of the pairs with
        box distance ``<= distance``; each query's pairs are contiguous (the
        queries in the order of their grid cell, not ascending), its features
        ascending within each cell.  The order is deterministic.  ``None``
        when the features' boxes are so large against their spacing that a
        grid would hold more than :data:`MAX_ENTRIES_PER_FEATURE` entries per
        feature, or a cell number and a row number would not fit in one
        64-bit word -- use an STRtree then.
    """
    qxy = np.ascontiguousarray(qxy, dtype=np.float64).reshape(-1, 2)
    boxes = np.ascontiguousarray(boxes, dtype=np.float64).reshape(-1, 4)
    distance = float(distance)
    if not np.isfinite(distance) or distance < 0:
        raise ValueError(f"distance must be finite and >= 0, got {distance!r}")
    empty = np.empty(0, dtype=np.int64)
    m, xmin, ymin, xmax, ymax = _extent(boxes)
    if m < len(boxes):  # missing or empty geometries: no box
        ok = np.isfinite(boxes).all(axis=1)
        boxes = np.where(ok[:, None], boxes, np.nan)
    if not m or not len(qxy):
        return empty, empty, np.empty(0, dtype=np.float64)
    w, h = xmax - xmin, ymax - ymin
    # about one cell per feature, never smaller than the search distance (so a
    # query scans at most 3 x 3 cells) nor so fine that cell numbers overflow
    size = max(distance, np.sqrt(w * h / m), (w + h) / m, 1e-9 * (1.0 + max(abs(xmin), abs(ymin), w, h)))
    nx, ny = int(w // size) + 1, int(h // size) + 1
    if _n_entries(boxes, size) > MAX_ENTRIES_PER_FEATURE * m:
        return None
    # widen the scanned square by a few ulps of the coordinates, so that rounding in
    # px +- distance never drops a cell holding a feature exactly at the distance
    pad = 4 * np.finfo(float).eps * (max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) + distance + 1.0)
    subset = None
    if FEW_QUERIES * len(qxy) < m:
        # few queries (coverage points against all address points): enter only the
        # features in cells some query scans; positions map back in ascending order
        reached = _reached_cells(qxy, distance, pad, xmin, ymin, size, nx, ny)
        subset = np.flatnonzero(_touching(boxes, reached, xmin, ymin, size, nx, ny))
        boxes = boxes[subset]
    grid = _build(boxes, xmin, ymin, size, nx, ny)
    pairs = None if grid is None else _query(qxy, distance, pad, xmin, ymin, size, nx, ny, *grid)
    if pairs is None:
        return None
    qi, li, d = pairs
    return qi, (li if subset is None else subset[li]), d
