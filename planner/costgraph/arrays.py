"""Array and table helpers of the cost graph: grouping, neighbours along lines, column access."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["first_per_group", "prev_next", "str_col", "bool_col", "geoms", "nearest_line"]


def first_per_group(group: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each ``group`` value after sorting by ``keys``.

    Rows are ordered by ``group`` then ``keys`` (earlier keys more significant);
    the first row of every group is returned, so ties are broken by the keys
    and finally by the original position (stable).
    """
    if group.size == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort(tuple(reversed((group,) + keys)))
    g = group[order]
    first = np.r_[True, g[1:] != g[:-1]]
    return order[first]


def prev_next(line_a: np.ndarray, d_a: np.ndarray, line_q: np.ndarray, d_q: np.ndarray,
               q_after: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """For query positions on lines, the previous and next anchor on the same line.

    Anchors (``line_a``, ``d_a``) and queries are merged in the exact order
    (line, distance, kind); with ``q_after`` a query at the same distance as an
    anchor sorts after it.  Returns anchor indices (``-1`` where there is none on
    the same line).
    """
    na, nq = line_a.size, line_q.size
    if na == 0:
        return np.full(nq, -1, dtype=np.int64), np.full(nq, -1, dtype=np.int64)
    line = np.concatenate([line_a, line_q])
    d = np.concatenate([d_a, d_q])
    kind = np.concatenate([np.zeros(na, np.int8), np.full(nq, 1 if q_after else -1, np.int8)])
    ident = np.concatenate([np.arange(na), -np.ones(nq, dtype=np.int64)])
    order = np.lexsort((kind, d, line))
    is_anchor = ident[order] >= 0
    pos = np.arange(order.size)
    last = np.maximum.accumulate(np.where(is_anchor, pos, -1))
    nxt = np.minimum.accumulate(np.where(is_anchor, pos, order.size)[::-1])[::-1]
    q_pos = np.flatnonzero(~is_anchor)
    q_ids = order[q_pos] - na
    prev = np.full(nq, -1, dtype=np.int64)
    nextr = np.full(nq, -1, dtype=np.int64)
    lp = last[q_pos]
    ok = lp >= 0
    prev[q_ids[ok]] = ident[order[lp[ok]]]
    np_ = nxt[q_pos]
    ok = np_ < order.size
    nextr[q_ids[ok]] = ident[order[np_[ok]]]
    # only anchors on the same line count
    prev[(prev >= 0) & (line_a[np.maximum(prev, 0)] != line_q)] = -1
    nextr[(nextr >= 0) & (line_a[np.maximum(nextr, 0)] != line_q)] = -1
    return prev, nextr


def str_col(df: pd.DataFrame, name: str, default: str) -> np.ndarray:
    """Column ``name`` as an object array of strings (missing or empty -> ``default``)."""
    if name not in df:
        return np.full(len(df), default, dtype=object)
    s = df[name].astype(object)
    text: np.ndarray = s.where(s.notna() & (s != ""), default).astype(str).to_numpy(dtype=object)
    return text


def bool_col(df: pd.DataFrame, name: str, default: bool) -> np.ndarray:
    """Column ``name`` as a boolean array (missing -> ``default``)."""
    if name not in df:
        return np.full(len(df), default, dtype=bool)
    flags: np.ndarray = df[name].fillna(default).astype(bool).to_numpy()
    return flags


def geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """The geometries of ``gdf`` as an object array."""
    return np.asarray(gdf.geometry.values, dtype=object)


def nearest_line(tree: Any, pts: np.ndarray, max_distance: float | None) -> np.ndarray:
    """Index of the nearest line for each point (``-1`` beyond ``max_distance``); ties -> lowest index."""
    out = np.full(len(pts), -1, dtype=np.int64)
    if len(pts) == 0:
        return out
    idx = tree.nearest(pts, return_all=True, max_distance=max_distance)
    if idx.shape[1]:
        first = first_per_group(idx[0], idx[1])
        out[idx[0, first]] = idx[1, first]
    return out
