"""The numba proximity grid (planner.kernels.proximity) against brute force and the GEOS STRtree."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import planner.kernels.threads
from planner.kernels import proximity
from planner.kernels.proximity import box_pairs, nearest_runs
from planner.kernels.threads import single_thread, thread_limit


def _brute(qxy: np.ndarray, boxes: np.ndarray, distance: float) -> set[tuple[int, int]]:
    dx = np.maximum.reduce([boxes[None, :, 0] - qxy[:, None, 0], qxy[:, None, 0] - boxes[None, :, 2],
                            np.zeros((len(qxy), len(boxes)))])
    dy = np.maximum.reduce([boxes[None, :, 1] - qxy[:, None, 1], qxy[:, None, 1] - boxes[None, :, 3],
                            np.zeros((len(qxy), len(boxes)))])
    with np.errstate(invalid="ignore"):
        d = np.sqrt(dx * dx + dy * dy)
    qi, li = np.nonzero(d <= distance)
    return set(zip(qi.tolist(), li.tolist()))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60), m=st.integers(0, 80),
       distance=st.sampled_from([0.0, 0.5, 3.0, 5.0, 30.0, 250.0]),
       offset=st.sampled_from([0.0, 480_000.0, -1e7]), scale=st.sampled_from([1.0, 10.0, 1000.0]))
def test_pairs_equal_brute_force(seed, n, m, distance, offset, scale):
    rng = np.random.default_rng(seed)
    # integer grid coordinates: many features exactly at the distance
    qxy = offset + rng.integers(-20, 20, (n, 2)) * scale / 4
    lo = offset + rng.integers(-20, 20, (m, 2)) * scale / 4
    size = rng.integers(0, 3, (m, 2)) * scale / 4 * (rng.random((m, 1)) < 0.5)  # half are points
    boxes = np.column_stack([lo, lo + size])
    if m:
        boxes[rng.random(m) < 0.1] = np.nan  # missing geometries
    if n:
        qxy[rng.random(n) < 0.1] = np.nan
    got = box_pairs(qxy, boxes, distance)
    assert got is not None
    qi, li, d = got
    assert set(zip(qi.tolist(), li.tolist())) == _brute(qxy, boxes, distance)
    assert len(set(zip(qi.tolist(), li.tolist()))) == len(qi)  # no pair twice
    runs = qi[np.r_[True, qi[1:] != qi[:-1]]] if len(qi) else qi
    assert len(runs) == len(set(runs.tolist()))  # each query's pairs contiguous
    if len(qi):
        b = boxes[li]
        dx = np.maximum.reduce([b[:, 0] - qxy[qi, 0], qxy[qi, 0] - b[:, 2], np.zeros(len(qi))])
        dy = np.maximum.reduce([b[:, 1] - qxy[qi, 1], qxy[qi, 1] - b[:, 3], np.zeros(len(qi))])
        assert np.array_equal(d, np.sqrt(dx * dx + dy * dy))


def test_point_distances_are_those_of_geos():
    rng = np.random.default_rng(3)
    q = rng.uniform(400_000, 401_000, (500, 2))
    p = rng.uniform(400_000, 401_000, (3000, 2))
    qi, li, d = box_pairs(q, np.column_stack([p, p]), 40.0)
    want = shapely.distance(shapely.points(q[qi]), shapely.points(p[li]))
    assert len(qi) > 100 and np.array_equal(d, want)
    tree = shapely.STRtree(shapely.points(p))
    q2, l2 = tree.query(shapely.points(q), predicate="dwithin", distance=40.0)
    assert sorted(zip(qi.tolist(), li.tolist())) == sorted(zip(q2.tolist(), l2.tolist()))


def test_deterministic_and_independent_of_thread_count(monkeypatch):
    """Ranges of 500 rows on up to 4 threads, or everything in turn: the very same arrays."""
    monkeypatch.setattr(planner.kernels.threads, "MIN_ROWS_PER_THREAD", 500)
    rng = np.random.default_rng(5)
    q = rng.uniform(0, 1000, (4000, 2))
    p = rng.uniform(0, 1000, (4000, 2))
    boxes = np.column_stack([p, p + rng.uniform(0, 30, (4000, 2))])  # some spanning several cells
    with thread_limit(4):
        first = box_pairs(q, boxes, 25.0)
    with single_thread():
        single = box_pairs(q, boxes, 25.0)
    assert len(first[0]) > 1000
    for a, b in zip(first, single):
        assert np.array_equal(a, b)


def test_huge_features_ask_for_an_strtree_and_bad_distance_is_refused():
    # 100 overlapping boxes each as large as the whole extent: each would fill ~121 cells
    big = np.array([[i * 1.0, i * 1.0, 1e6 + i, 1e6 + i] for i in range(100)])
    assert box_pairs(np.zeros((1, 2)), big, 1.0) is None
    boxes = np.array([[i * 1.0, 0.0, i * 1.0, 0.0] for i in range(100)])
    with pytest.raises(ValueError, match="distance"):
        box_pairs(np.zeros((1, 2)), boxes, -1.0)
    with pytest.raises(ValueError, match="distance"):
        box_pairs(np.zeros((1, 2)), boxes, float("nan"))
    qi, li, d = box_pairs(np.zeros((0, 2)), boxes, 1.0)
    assert len(qi) == len(li) == len(d) == 0


def test_few_queries_enter_only_the_reached_features(monkeypatch):
    """The subset grid (few queries, many features) returns the very same arrays as the full one."""
    rng = np.random.default_rng(11)
    lo = rng.uniform(0, 5000, (20_000, 2))
    boxes = np.column_stack([lo, lo + rng.uniform(0, 20, (20_000, 2)) * (rng.random((20_000, 1)) < 0.3)])
    qxy = rng.uniform(-50, 5050, (300, 2))
    few = box_pairs(qxy, boxes, 30.0)
    monkeypatch.setattr(proximity, "FEW_QUERIES", 10**9)  # never "few": every feature in the grid
    full = box_pairs(qxy, boxes, 30.0)
    assert len(few[0]) > 100
    for a, b in zip(few, full):
        assert np.array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 80), n_queries=st.integers(1, 12))
def test_nearest_runs_equal_a_plain_python_oracle(seed, n, n_queries):
    rng = np.random.default_rng(seed)
    q = rng.integers(0, n_queries, n)
    if rng.random() < 0.5:
        q = np.sort(q)  # grouped runs
    dist = rng.integers(0, 4, n).astype(float)  # many ties
    run_q, best, n_min, grouped = nearest_runs(q, dist)
    runs = []  # oracle: the runs of equal queries, one by one
    for i in range(n):
        if i == 0 or q[i] != q[i - 1]:
            runs.append([i])
        else:
            runs[-1].append(i)
    assert run_q.tolist() == [int(q[r[0]]) for r in runs]
    assert best.tolist() == [min(r, key=lambda i: (dist[i], i)) for r in runs]
    assert n_min.tolist() == [sum(dist[i] == min(dist[r]) for i in r) for r in runs]
    assert grouped == (len({int(q[r[0]]) for r in runs}) == len(runs))


def _pairs_in_child(args: tuple[np.ndarray, np.ndarray]) -> int:
    q, boxes = args
    return len(box_pairs(q, boxes, 2.0)[0])


def test_threads_work_in_a_forked_child(monkeypatch):
    """A child forked after the parent's kernels ran on threads gets threads of its own (no hang)."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(planner.kernels.threads, "MIN_ROWS_PER_THREAD", 100)
    rng = np.random.default_rng(0)
    q = rng.uniform(0, 100, (3000, 2))
    boxes = np.column_stack([q, q])
    with thread_limit(2):
        want = _pairs_in_child((q, boxes))  # the parent's pool exists now
    with mp.get_context("fork").Pool(1) as pool:
        assert pool.map(_pairs_in_child, [(q, boxes)], chunksize=1) == [want]
