"""Matching coverage rows to address points.

In this order (each row uses the first stage that matches it; an address
takes the best method of its rows):

1. ``address_id``: the row's ``address_id`` equals the address point's ``id``.
2. ``address_key``: SIMC + ULIC + house number, normalised; then, for rows
   still unmatched (typically no ULIC), SIMC + normalised street name + house
   number (:func:`planner.whitespots.keys.key_pairs`).  SIMC identifies a
   locality nationally, so it implies the commune; the TERC is compared as a
   consistency check only (first 6 digits, the rodzaj digit differs between
   sources: 1408043 vs 1408044 for the town of Serock), and a mismatch is
   warned about (:func:`terc_warning`).
3. ``nearest_point``: a row with a Point geometry goes to the nearest address
   point within ``match_distance_m`` (:func:`within`, :func:`nearest_first`).
4. ``area``: a row with a Polygon geometry covers every address point inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import planner.kernels
from planner._radix import argsort_u64
from planner.config import WhiteSpotConfig
from planner.kernels.proximity import box_pairs, degenerate_boxes, nearest_runs
from planner.schema import MATCH_METHODS
from planner.whitespots.codes import codes
from planner.whitespots.coverage import MAX_EXAMPLES
from planner.whitespots.keys import KeyHashes, arrow_terc6, column, key_pairs

__all__ = ["METHODS", "NO_MATCH", "match", "nearest_first", "terc_warning", "unmatched_warning", "within"]

#: Match methods, best first (the column ``match_method``).
METHODS: tuple[str, ...] = MATCH_METHODS
#: Index of ``'none'`` in :data:`METHODS`.
NO_MATCH = len(METHODS) - 1


def within(points: gpd.GeoSeries, layer: gpd.GeoDataFrame, distance: float, *,
           points_bounds: np.ndarray | None = None, layer_bounds: np.ndarray | None = None,
           min_rows: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (point position, layer position, distance) not farther apart than ``distance``.

    Parameters
    ----------
    points
        Query geometries.
    layer
        Features searched.
    distance
        Search distance, in the units of the CRS.
    points_bounds, layer_bounds
        :func:`shapely.bounds` of the two, if already computed (so that a
        caller asking twice about the same layer extracts its coordinates once).
    min_rows
        The grid is used when the points or the layer have at least this many
        rows; smaller searches go to the layer's STRtree.  ``None``:
        :data:`planner.kernels.MIN_COMPILED_ROWS`.

    Returns
    -------
    qi, li, dist : numpy.ndarray
        Same pairs as ``layer.sindex.query(points, predicate="dwithin")``.

    Notes
    -----
    Large point queries go through the numba grid of
    :func:`planner.kernels.proximity.box_pairs` (exact for point layers; for
    other layers a superset of candidates, filtered with
    :func:`shapely.dwithin`), which needs no STRtree; the tree is used only
    for non-point queries or features too large for a grid.  A geometry
    counts as a point when its bounds do (all its coordinates coincide):
    GEOS measures a degenerate segment as the point it is.
    """
    pts = points.to_numpy()
    geoms = layer.geometry.to_numpy()
    if min_rows is None:
        min_rows = planner.kernels.MIN_COMPILED_ROWS
    pairs = None
    boxes = None
    if np.isfinite(distance) and distance >= 0 and max(len(pts), len(geoms)) >= min_rows:
        qbox = shapely.bounds(pts) if points_bounds is None else points_bounds
        if degenerate_boxes(qbox):  # points (or geometries whose coordinates all coincide)
            boxes = shapely.bounds(geoms) if layer_bounds is None else layer_bounds
            pairs = box_pairs(qbox[:, :2], boxes, distance)
    if pairs is None:
        qi, li = layer.sindex.query(points, predicate="dwithin", distance=distance)
        qi, li = qi.astype(np.int64), li.astype(np.int64)
        return qi, li, shapely.distance(pts[qi], geoms[li])
    qi, li, dist = pairs
    assert boxes is not None  # set with the pairs
    if not degenerate_boxes(boxes):  # box distance is a lower bound only
        keep = shapely.dwithin(pts[qi], geoms[li], distance)
        qi, li = qi[keep], li[keep]
        dist = shapely.distance(pts[qi], geoms[li])
    return qi, li, dist


def nearest_first(q: np.ndarray, dist: np.ndarray, ids_of: Callable[[np.ndarray], np.ndarray],
                  features: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The nearest pair of every query, ties broken by id, then by feature position (or pair position).

    Parameters
    ----------
    q, dist
        Query position and distance of every pair; linear time when each
        query's pairs are contiguous (as :func:`within` gives them), a stable
        sort by query first otherwise.
    ids_of
        Ids of the pairs at the given positions; called only for the pairs
        tied at their query's smallest distance (ids ranked as by
        ``pd.factorize(..., sort=True)``), so the ids of all pairs need not be
        sorted.
    features
        Feature position of every pair: pairs with equal ids are decided by it
        (so the answer does not depend on the order the search gave the pairs
        in); without it, by pair position.

    Returns
    -------
    tuple of numpy.ndarray
        The queries (each once, in the order of their pairs; ascending when
        they were not contiguous) and the position of each one's nearest pair.
    """
    q = np.ascontiguousarray(q, dtype=np.int64)
    dist = np.ascontiguousarray(dist, dtype=np.float64)
    run_q, best, n_min, grouped = nearest_runs(q, dist)
    if not grouped:
        order = argsort_u64(q.view(np.uint64))  # stable: positions stay ascending within a query
        run_q, best, n_min, _ = nearest_runs(q[order], dist[order])
        tied_q, tied_best = _break_ties(q[order], dist[order], run_q, best, n_min,
                                        lambda sel: ids_of(order[sel]), None if features is None else features[order])
        return tied_q, order[tied_best]
    return _break_ties(q, dist, run_q, best, n_min, ids_of, features)


def _break_ties(q: np.ndarray, dist: np.ndarray, run_q: np.ndarray, best: np.ndarray, n_min: np.ndarray,
                ids_of: Callable[[np.ndarray], np.ndarray],
                features: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest_first` of contiguous runs.

    Among a run's pairs at its smallest distance, the smallest id wins, then
    the smallest feature position, then the first pair.
    """
    tied = np.flatnonzero(n_min >= 2)
    if not len(tied):
        return run_q, best
    run = np.repeat(np.arange(len(run_q)), np.diff(np.r_[np.flatnonzero(np.r_[True, q[1:] != q[:-1]]), len(q)]))
    sel = np.flatnonzero((n_min[run] >= 2) & (dist == dist[best[run]]))  # ascending: runs stay contiguous
    rank = pd.factorize(ids_of(sel), sort=True)[0]
    r = run[sel]
    then = sel if features is None else features[sel]
    order = np.lexsort((sel, then, rank, r))  # per run: the smallest id, feature, pair
    first = np.r_[True, r[order][1:] != r[order][:-1]]
    best = best.copy()
    best[r[order][first]] = sel[order][first]
    return run_q, best


def match(addresses: gpd.GeoDataFrame, cov: pd.DataFrame, config: WhiteSpotConfig, address_bounds: np.ndarray,
          id_positions: Future[np.ndarray], address_keys: Future[KeyHashes],
          coverage_keys: KeyHashes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (coverage row, address position, method index) of all matches, and the matched rows.

    Parameters
    ----------
    addresses
        The address layer.
    cov
        Output of :func:`planner.whitespots.coverage.prepare_coverage`.
    config
        White-spot rules (``match_distance_m``).
    address_bounds
        :func:`shapely.bounds` of the address points.
    id_positions
        Gives :func:`planner.whitespots.keys.id_positions` of the coverage rows
        (computed beside the key matching).
    address_keys
        Gives :func:`planner.whitespots.keys.key_hashes` of the addresses
        (computed while the coverage is checked).
    coverage_keys
        :func:`~planner.whitespots.keys.key_hashes` of the coverage rows.

    Returns
    -------
    rows, addrs, methods : numpy.ndarray
        The pairs (method: index into :data:`METHODS`).
    matched : numpy.ndarray
        Which coverage rows matched something.

    Notes
    -----
    Every row is matched, duplicate rows too: an exact repeat matches what its
    first row matches, so the caller drops its pairs afterwards (and the
    duplicate check can run meanwhile).  Likewise the address keys of every
    row are joined, and the pairs of rows the id matched are dropped: each
    row's matches depend on it alone.
    """
    pair_r: list[np.ndarray] = []
    pair_a: list[np.ndarray] = []
    pair_m: list[np.ndarray] = []
    matched = np.zeros(len(cov), dtype=bool)

    def add(rows: np.ndarray, addrs: np.ndarray, method: int) -> None:
        pair_r.append(rows)
        pair_a.append(addrs)
        pair_m.append(np.full(len(rows), method, dtype=np.int8))
        matched[rows] = True

    # 2. address keys: SIMC+ULIC+number, then SIMC+street+number (while 1. runs); rows
    # without SIMC or number match nothing (hashing their empty keys is cheaper than a copy of the rest)
    by_ulic, by_street = key_pairs(coverage_keys, address_keys.result())

    # 1. address id
    pos = id_positions.result()
    r = np.flatnonzero(pos >= 0)
    add(r, pos[r], 0)
    for r, a in (by_ulic, by_street):
        keep = pos[r] < 0
        add(r[keep], a[keep], 1)

    # 3. nearest address point within match_distance_m; 4. areas
    todo = np.flatnonzero(~matched)
    if len(todo) and len(addresses):
        geoms = cov["geometry"].to_numpy()[todo]
        gtype = shapely.get_type_id(geoms)  # -1: missing
        has = (gtype >= 0) & ~shapely.is_empty(geoms)
        pts = np.flatnonzero(has & (gtype == shapely.GeometryType.POINT))
        if len(pts):
            qi, ai, dist = within(gpd.GeoSeries(geoms[pts], crs=addresses.crs), addresses, config.match_distance_m,
                                  layer_bounds=address_bounds)
            # nearest; ties: the smallest address position, whatever the row order
            q1, k1 = nearest_first(qi, dist, lambda sel: ai[sel])
            add(todo[pts[q1]], ai[k1].astype(np.int64), 2)
        polys = np.flatnonzero(has & np.isin(gtype, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON]))
        if len(polys):
            qi, ai = addresses.sindex.query(geoms[polys], predicate="intersects")
            add(todo[polys[qi]], ai.astype(np.int64), 3)

    if not pair_r:
        e = np.empty(0, dtype=np.int64)
        return e, e, np.empty(0, dtype=np.int8), matched
    return np.concatenate(pair_r), np.concatenate(pair_a), np.concatenate(pair_m), matched


def terc_warning(addresses: gpd.GeoDataFrame, cov: pd.DataFrame, key_r: np.ndarray, key_a: np.ndarray,
                 source: str) -> list[str]:
    """A warning about the key-matched pairs whose TERC disagree (first 6 digits), if any.

    Parameters
    ----------
    addresses
        The address layer.
    cov
        Output of :func:`planner.whitespots.coverage.prepare_coverage`.
    key_r, key_a
        Coverage rows and address positions of the pairs matched by key.
    source
        File named in the warning.

    Returns
    -------
    list of str
        Empty, or one warning.
    """
    if not len(key_r):
        return []
    # each column coded whole (a pass over it, its few distinct values normalised once): cheaper than
    # gathering the strings of the pairs, which are in random order on the address side
    a_codes, a_u = codes(column(addresses, "terc"), arrow_terc6)
    c_codes, c_u = codes(column(cov, "terc"), arrow_terc6)
    c_as_a = pd.Index(a_u).get_indexer(c_u)  # the coverage's values as the addresses' codes (-1: none)
    a6, c6 = a_codes[key_a], c_codes[key_r]
    bad = (c_u != "")[c6] & (a_u != "")[a6] & (c_as_a[c6] != a6)
    if not bad.any():
        return []
    rows = np.unique(key_r[bad])
    return [f"{len(rows)} coverage row(s) of {source} match an address by SIMC/street/number but name "
            f"another commune TERC (e.g. row {int(rows[0])}: {c_u[c6[bad][0]]}... vs address "
            f"{a_u[a6[bad][0]]}...) "
            "-> fix: check the TERC codes of those rows"]


def unmatched_warning(cov: pd.DataFrame, unmatched: np.ndarray, source: str, config: WhiteSpotConfig) -> list[str]:
    """A warning about the coverage rows that match no address point, if any.

    Parameters
    ----------
    cov
        Output of :func:`planner.whitespots.coverage.prepare_coverage`.
    unmatched
        Positions of the rows.
    source
        File named in the warning.
    config
        White-spot rules (``match_distance_m``, named in the fix).

    Returns
    -------
    list of str
        Empty, or one warning.
    """
    if not len(unmatched):
        return []
    ex = cov.iloc[unmatched[:MAX_EXAMPLES]]
    desc = "; ".join(
        f"row {int(r.row)} (operator {cov.attrs['op_display'][r.op]}, SIMC {r.simc!s}, ULIC {r.ulic!s}, "
        f"street {r.street!s}, nr {r.house_number!s}, id {r.address_id!s})"
        for r in ex.itertuples())
    return [f"{len(unmatched)} coverage row(s) of {source} match no address point and were ignored: {desc} "
            f"-> fix: check their TERYT codes, street names and house numbers against the address layer, "
            f"or give them a point within {config.match_distance_m:g} m of the address"]
