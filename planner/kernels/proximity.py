"""Point-to-feature proximity search on a uniform grid (numba).

Used by the white-spot stage for "which buildings are within 30 m of this
address" and "which address point is nearest to this coverage point".  Both
ask the same question of up to millions of query points against up to
millions of small features, once per run; building and querying a GEOS
STRtree costs about 1.3 s per million queries, while this grid (a sort of the
features by cell, then a two-pass scan of the queries in cell order) does it
in a fraction of that.  When the queries are few against many features, only
the features in cells some query reaches enter the grid.

Each feature is reduced to its bounding box and entered into every grid cell
the box overlaps; a query point scans the cells overlapped by the square of
side ``2 * distance`` around it and keeps the features whose *box* is within
``distance``.  For points the box distance is the exact Euclidean distance,
computed as GEOS does (``sqrt(dx*dx + dy*dy)``), so the result equals
``STRtree.query(..., predicate="dwithin")``; for other geometries it is a
superset that the caller filters with :func:`shapely.dwithin`.

The kernels that do the per-feature and per-query work (entering features
into cells, gathering them, scanning the cells of queries) run on row ranges
in threads (:mod:`planner.kernels.threads`); the sorts are numpy's.  They are
compiled on first call (``cache=True``), never at import time, and only for
large inputs: the white-spot stage asks GEOS' STRtree below
:data:`planner.kernels.MIN_COMPILED_ROWS` rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from planner._radix import bin_starts_into
from planner.kernels.threads import readonly, run_chunks

__all__ = ["FEW_QUERIES", "MAX_ENTRIES_PER_FEATURE", "box_pairs", "degenerate_boxes", "nearest_runs"]

#: Largest number of (feature, cell) entries per feature before the grid is
#: judged unsuitable (huge polygons) and the caller should use an STRtree.
MAX_ENTRIES_PER_FEATURE = 8

#: With fewer than one query per this many features, only the features in
#: cells that some query scans are entered into the grid.
FEW_QUERIES = 4


@njit(cache=True, nogil=True)
def _degenerate(boxes: np.ndarray) -> bool:
    for i in range(boxes.shape[0]):
        if np.isfinite(boxes[i, 0]) and (boxes[i, 0] != boxes[i, 2] or boxes[i, 1] != boxes[i, 3]):
            return False
    return True


def degenerate_boxes(boxes: np.ndarray) -> bool:
    """Whether every box is a point or missing.

    Parameters
    ----------
    boxes
        ``(m, 4)`` bounds ``xmin, ymin, xmax, ymax`` (NaN: no geometry).

    Returns
    -------
    bool
        ``True`` when every box has ``xmin == xmax`` and ``ymin == ymax`` or is NaN.
    """
    return bool(_degenerate(readonly(np.asarray(boxes, dtype=np.float64).reshape(-1, 4), np.float64)))


@njit(cache=True, nogil=True)
def _box_stats(boxes: np.ndarray, size: float) -> tuple[int, float, float, float, float, float]:
    """Boxes without NaN, their bounds, and (for ``size > 0``) the grid entries of cells of side ``size``.

    The entries are counted as a float, which cannot overflow for huge
    boxes; a point (the common case) takes one cell without a division.
    """
    m = 0
    xmin, ymin, xmax, ymax = np.inf, np.inf, -np.inf, -np.inf
    entries = 0.0
    for i in range(boxes.shape[0]):
        x0, y0, x1, y1 = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        if np.isfinite(x0) and np.isfinite(y0) and np.isfinite(x1) and np.isfinite(y1):
            m += 1
            xmin, ymin, xmax, ymax = min(xmin, x0), min(ymin, y0), max(xmax, x1), max(ymax, y1)
            if size > 0:
                w, h = x1 - x0, y1 - y0
                entries += 1.0 if w == 0.0 and h == 0.0 else (w // size + 1) * (h // size + 1)
    return m, xmin, ymin, xmax, ymax, entries


@njit(cache=True, nogil=True, inline="always")
def _cell_range(lo: float, hi: float, origin: float, size: float, n: int) -> tuple[int, int]:
    """First and last cell overlapped by ``[lo, hi]``, clipped to ``[0, n - 1]`` (first > last: none)."""
    a = int(np.floor((lo - origin) / size))
    b = int(np.floor((hi - origin) / size))
    if a < 0:
        a = 0
    if b > n - 1:
        b = n - 1
    return a, b


@njit(cache=True, nogil=True, error_model="numpy")
def _entries(boxes: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int, ny: int, bits: int,
             first: np.ndarray, keys: np.ndarray, lo: int, hi: int) -> None:
    """Grid entries of the features ``lo..hi - 1``.

    With empty ``keys``: ``first[i + 1]`` is set to the number of cells
    feature ``i``'s box overlaps.  Otherwise each entry is written from
    ``keys[first[i]]`` on as ``cell << bits | feature`` (cell ``cx * ny + cy``).
    """
    count = keys.shape[0] == 0
    for i in range(lo, hi):
        if not np.isfinite(boxes[i, 0]):
            if count:
                first[i + 1] = 0
            continue
        x0, x1 = _cell_range(boxes[i, 0], boxes[i, 2], origin_x, size, nx)
        y0, y1 = _cell_range(boxes[i, 1], boxes[i, 3], origin_y, size, ny)
        if count:
            first[i + 1] = max(x1 - x0 + 1, 0) * max(y1 - y0 + 1, 0)
            continue
        k = first[i]
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                keys[k] = (np.uint64(cx * ny + cy) << np.uint64(bits)) | np.uint64(i)
                k += 1


def _build(boxes: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int,
           ny: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """CSR grid of the features: ``start``, ``items``, ``gbox``.

    ``start[c]:start[c + 1]`` of ``items`` are the features in cell
    ``c = cx * ny + cy`` (in ascending feature order); ``gbox`` holds their
    boxes in the same order, so that a scan reads one contiguous run per cell
    instead of one random row per feature (the scan is memory-bound).
    ``None`` if a cell number and a feature number do not fit in one 64-bit
    word.  The entries are ordered by numpy's sort of one word per entry
    (cell above feature): a counting sort scattering a million features
    straight into a million cells missed the cache on every write and took
    2-3x longer.
    """
    m = boxes.shape[0]
    bits = max(m - 1, 1).bit_length()
    if (nx * ny).bit_length() + bits > 64:
        return None
    first = np.zeros(m + 1, dtype=np.int64)
    no_keys = np.empty(0, dtype=np.uint64)
    run_chunks(lambda lo, hi: _entries(boxes, origin_x, origin_y, size, nx, ny, bits, first, no_keys, lo, hi), m)
    np.cumsum(first, out=first)
    keys = np.empty(int(first[m]), dtype=np.uint64)
    run_chunks(lambda lo, hi: _entries(boxes, origin_x, origin_y, size, nx, ny, bits, first, keys, lo, hi), m)
    keys.sort()
    items, gbox = np.empty(len(keys), dtype=np.int64), np.empty((len(keys), 4), dtype=np.float64)
    keys = readonly(keys, np.uint64)
    run_chunks(lambda lo, hi: _fill_grid(keys, bits, boxes, items, gbox, lo, hi), len(keys))
    start = np.empty(nx * ny + 1, dtype=np.int64)
    bin_starts_into(keys, bits, start)
    return readonly(start, np.int64), readonly(items, np.int64), readonly(gbox, np.float64)


@njit(cache=True, nogil=True)
def _fill_grid(keys: np.ndarray, bits: int, boxes: np.ndarray, items: np.ndarray, gbox: np.ndarray, lo: int,
               hi: int) -> None:
    """The features and boxes of the sorted entries ``lo..hi - 1`` of :func:`_build`."""
    mask = np.uint64((1 << bits) - 1)
    for e in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no negative-index wraparound to check
        i = keys[e] & mask
        items[e] = i
        gbox[e, 0], gbox[e, 1], gbox[e, 2], gbox[e, 3] = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]


@njit(cache=True, nogil=True, error_model="numpy")
def _reached_cells(qxy: np.ndarray, distance: float, pad: float, origin_x: float, origin_y: float, size: float,
                   nx: int, ny: int, reached: np.ndarray) -> None:
    """Mark in ``reached`` the cells some query scans (as :func:`_scan` does)."""
    r = distance + pad
    for q in range(qxy.shape[0]):
        px, py = qxy[q, 0], qxy[q, 1]
        if np.isfinite(px) and np.isfinite(py):
            qx0, qx1 = _cell_range(px - r, px + r, origin_x, size, nx)
            qy0, qy1 = _cell_range(py - r, py + r, origin_y, size, ny)
            for cx in range(qx0, qx1 + 1):
                for cy in range(qy0, qy1 + 1):
                    reached[cx * ny + cy] = True


@njit(cache=True, nogil=True, error_model="numpy")
def _touching(boxes: np.ndarray, reached: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int,
              ny: int, keep: np.ndarray, lo: int, hi: int) -> None:
    """Mark in ``keep`` the features ``lo..hi - 1`` whose box overlaps a reached cell."""
    for i in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no negative-index wraparound to check
        if not np.isfinite(boxes[i, 0]):
            continue
        x0, x1 = _cell_range(boxes[i, 0], boxes[i, 2], origin_x, size, nx)
        y0, y1 = _cell_range(boxes[i, 1], boxes[i, 3], origin_y, size, ny)
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                if reached[cx * ny + cy]:
                    keep[i] = True


@njit(cache=True, nogil=True, inline="always")
def _scan(q: int, qxy: np.ndarray, distance: float, pad: float, origin_x: float,
          origin_y: float, size: float, nx: int, ny: int, start: np.ndarray, items: np.ndarray,
          gbox: np.ndarray, out_l: np.ndarray, out_d: np.ndarray, at: int | np.int64) -> int:
    """Pairs of query ``q``, and how many there are.

    They are written from ``out[at]`` on when ``at >= 0``; else only the
    first one, at ``out[q]``.  A feature spanning several cells is reported
    once, from the first cell (lowest column, then row) shared by its box and
    the query square.
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


@njit(cache=True, nogil=True, error_model="numpy")
def _query_keys(qxy: np.ndarray, origin_x: float, origin_y: float, size: float, nx: int, ny: int, bits: int,
                keys: np.ndarray, lo: int, hi: int) -> None:
    """Queries ``lo..hi - 1`` as ``cell << bits | query``, cells clipped to the grid (NaN: the cell after the last)."""
    for q in range(np.uint64(lo), np.uint64(hi)):  # unsigned: no negative-index wraparound to check
        px, py = qxy[q, 0], qxy[q, 1]
        cell: int | np.int64 = nx * ny
        if np.isfinite(px) and np.isfinite(py):
            cx = min(max(np.floor((px - origin_x) / size), 0.0), nx - 1.0)
            cy = min(max(np.floor((py - origin_y) / size), 0.0), ny - 1.0)
            cell = np.int64(cx) * ny + np.int64(cy)
        keys[q] = (np.uint64(cell) << np.uint64(bits)) | q


@njit(cache=True, nogil=True, error_model="numpy")
def _scan_queries(qxy: np.ndarray, keys: np.ndarray, bits: int, sxy: np.ndarray, distance: float, pad: float,
                  origin_x: float, origin_y: float, size: float, nx: int, ny: int, start: np.ndarray,
                  items: np.ndarray, gbox: np.ndarray, first_l: np.ndarray, first_d: np.ndarray, offset: np.ndarray,
                  out_q: np.ndarray, out_l: np.ndarray, out_d: np.ndarray, lo: int, hi: int) -> None:
    """Scan the queries ``lo..hi - 1`` in cell order (``keys``: :func:`_query_keys`, sorted).

    With empty ``out_l``: gathers each query's point into ``sxy``, counts its
    pairs into ``offset[s + 1]`` and keeps its first pair in
    ``first_l``/``first_d``.  Otherwise (``offset``: the prefix sums of the
    counts) writes the pairs from ``offset[s]`` on, their query into
    ``out_q``; a query with one pair keeps the one it found.
    """
    mask = np.uint64((1 << bits) - 1)
    if out_l.shape[0] == 0:
        for s in range(lo, hi):
            q = np.int64(keys[s] & mask)
            sxy[s, 0], sxy[s, 1] = qxy[q, 0], qxy[q, 1]
        for s in range(lo, hi):
            offset[s + 1] = _scan(s, sxy, distance, pad, origin_x, origin_y, size, nx, ny, start, items, gbox,
                                  first_l, first_d, np.int64(-1))  # not a literal: one compilation of _scan
        return
    for s in range(lo, hi):
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
    """All pairs, grouped by query, the queries in the order of their grid cell (then ascending).

    ``None`` if a cell number and a query number do not fit in one 64-bit
    word.  The queries are scanned in the order of their grid cell (numpy's
    sort of one word per query), so that neighbouring queries read the same
    cells while they are in cache; in input order every query missed the
    cache on its cells.  The pairs are written in that order too: writing
    each query's pairs at its place in input order missed the cache on every
    write.  The pairs of each query are counted first (keeping the first),
    then only the queries with more are scanned again.
    """
    n = qxy.shape[0]
    bits = max(n - 1, 1).bit_length()
    if (nx * ny + 1).bit_length() + bits > 64:
        return None
    keys = np.empty(n, dtype=np.uint64)
    run_chunks(lambda lo, hi: _query_keys(qxy, origin_x, origin_y, size, nx, ny, bits, keys, lo, hi), n)
    keys.sort()
    keys = readonly(keys, np.uint64)
    sxy = np.empty((n, 2), dtype=np.float64)
    first_l, first_d = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float64)
    offset = np.zeros(n + 1, dtype=np.int64)
    grid = (distance, pad, origin_x, origin_y, size, nx, ny, start, items, gbox, first_l, first_d, offset)
    none_q, none_d = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    run_chunks(lambda lo, hi: _scan_queries(qxy, keys, bits, sxy, *grid, none_q, none_q, none_d, lo, hi), n)
    np.cumsum(offset, out=offset)
    total = int(offset[n])
    out_q, out_l, out_d = np.empty(total, np.int64), np.empty(total, np.int64), np.empty(total, np.float64)
    if total:
        run_chunks(lambda lo, hi: _scan_queries(qxy, keys, bits, sxy, *grid, out_q, out_l, out_d, lo, hi), n)
    return out_q, out_l, out_d


def nearest_runs(q: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """The nearest pair of every run of equal query positions.

    Parameters
    ----------
    q
        Query position (>= 0) of every pair.
    dist
        Distance of every pair (not NaN).

    Returns
    -------
    run_q, best, n_min : numpy.ndarray
        Per run: the query, the position of its first pair at the smallest
        distance, and how many of its pairs are at that distance.
    grouped : bool
        Whether the runs are grouped (no query has two runs).  Linear, no sort
        (numpy: a few passes over the pairs).
    """
    q = np.asarray(q, dtype=np.int64)
    dist = np.asarray(dist, dtype=np.float64)
    n = len(q)
    if not n:
        e = np.empty(0, dtype=np.int64)
        return e, e.copy(), e.copy(), True
    starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    run_q = q[starts]
    at_min = dist == np.repeat(np.minimum.reduceat(dist, starts), np.diff(np.r_[starts, n]))
    best = np.minimum.reduceat(np.where(at_min, np.arange(n, dtype=np.int64), n), starts)
    n_min = np.add.reduceat(at_min.astype(np.int64), starts)
    return run_q, best, n_min, bool(np.bincount(run_q).max() <= 1)


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

    Raises
    ------
    ValueError
        ``distance`` is negative or not finite.
    """
    qxy = readonly(np.asarray(qxy, dtype=np.float64).reshape(-1, 2), np.float64)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    distance = float(distance)
    if not np.isfinite(distance) or distance < 0:
        raise ValueError(f"distance must be finite and >= 0, got {distance!r}")
    empty = np.empty(0, dtype=np.int64)
    boxes = readonly(boxes, np.float64)
    m, xmin, ymin, xmax, ymax, _ = _box_stats(boxes, -1.0)
    if m < len(boxes):  # missing or empty geometries: no box
        ok = np.isfinite(boxes).all(axis=1)
        boxes = readonly(np.where(ok[:, None], boxes, np.nan), np.float64)
    if not m or not len(qxy):
        return empty, empty, np.empty(0, dtype=np.float64)
    w, h = xmax - xmin, ymax - ymin
    # about one cell per feature, never smaller than the search distance (so a
    # query scans at most 3 x 3 cells) nor so fine that cell numbers overflow
    size = max(distance, np.sqrt(w * h / m), (w + h) / m, 1e-9 * (1.0 + max(abs(xmin), abs(ymin), w, h)))
    nx, ny = int(w // size) + 1, int(h // size) + 1
    if _box_stats(boxes, size)[5] > MAX_ENTRIES_PER_FEATURE * m:
        return None
    # widen the scanned square by a few ulps of the coordinates, so that rounding in
    # px +- distance never drops a cell holding a feature exactly at the distance
    pad = 4 * np.finfo(float).eps * (max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) + distance + 1.0)
    subset = None
    if FEW_QUERIES * len(qxy) < m:
        # few queries (coverage points against all address points): enter only the
        # features in cells some query scans; positions map back in ascending order
        reached = np.zeros(nx * ny, dtype=np.bool_)
        _reached_cells(qxy, distance, pad, xmin, ymin, size, nx, ny, reached)
        keep = np.zeros(len(boxes), dtype=np.bool_)
        reached_ro = readonly(reached, np.bool_)
        run_chunks(lambda lo, hi: _touching(boxes, reached_ro, xmin, ymin, size, nx, ny, keep, lo, hi), len(boxes))
        subset = np.flatnonzero(keep)
        boxes = readonly(boxes[subset], np.float64)
    grid = _build(boxes, xmin, ymin, size, nx, ny)
    pairs = None if grid is None else _query(qxy, distance, pad, xmin, ymin, size, nx, ny, *grid)
    if pairs is None:
        return None
    qi, li, d = pairs
    return qi, (li if subset is None else subset[li]), d
