"""Matching an as-built layer to the planned network.

A planned segment is built when as-built lines within ``as_built_match_m``
cover ``as_built_min_cover`` of its length; a target is passed when its drop's
segment is built and that share of its whole path from the POP is built
(surveys have gaps), or when it is connected (an as-built connection point
names it).  Used by the progress report (:mod:`planner.schedule.progress`) and
the re-plan (:mod:`planner.replanning`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SegmentMatch", "segment_geometries", "match_segments", "path_built", "passed_targets"]


@dataclass
class SegmentMatch:
    """Planned segments matched by as-built lines (arrays aligned with the segment table).

    Attributes
    ----------
    built
        Segment counts as built.
    built_on
        Latest ``built_on`` of the as-built lines touching a built segment
        (``NaT`` if not built).
    cover
        Share of the segment's length within the match distance of as-built
        lines (0..1).
    """

    built: np.ndarray
    built_on: np.ndarray
    cover: np.ndarray


def segment_geometries(segments: Any, seg: pd.DataFrame) -> np.ndarray:
    """Geometries of ``segments`` in the row order of the checked table ``seg`` (by ``segment_id``)."""
    geoms: np.ndarray = segments.set_index(segments["segment_id"].astype("int64")).geometry.reindex(
        seg["segment_id"]).to_numpy()
    return geoms


def match_segments(g_seg: np.ndarray, lines: np.ndarray, dates: np.ndarray, match_m: float,
                   min_cover: float) -> SegmentMatch:
    """Which planned segments the as-built lines cover.

    Parameters
    ----------
    g_seg
        Planned segment lines.
    lines
        As-built segment lines (same CRS).
    dates
        ``built_on`` of each as-built line (``datetime64``).
    match_m
        Buffer around the as-built lines, metres.
    min_cover
        Share of a segment's length that must lie in the buffer.

    Returns
    -------
    SegmentMatch
    """
    import shapely

    n = len(g_seg)
    built = np.zeros(n, dtype=bool)
    bdate = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    share = np.zeros(n, dtype=float)
    if n and len(lines):
        buf = shapely.buffer(lines, match_m)
        tree = shapely.STRtree(buf)
        seg_i, line_i = tree.query(g_seg, predicate="intersects")
        if len(seg_i):
            # each segment against the union of the buffers touching it (the same
            # intersection as with the union of all buffers, without building that)
            order = np.argsort(seg_i, kind="stable")
            s_sorted, l_sorted = seg_i[order], line_i[order]
            cand, first = np.unique(s_sorted, return_index=True)
            last = np.append(first[1:], len(s_sorted))
            near = np.empty(len(cand), dtype=object)
            for k, (i0, i1) in enumerate(zip(first.tolist(), last.tolist())):
                near[k] = buf[l_sorted[i0]] if i1 - i0 == 1 else shapely.union_all(buf[l_sorted[i0:i1]])
            cover = shapely.length(shapely.intersection(g_seg[cand], near))
            seglen = shapely.length(g_seg[cand])
            ok = cover >= min_cover * np.maximum(seglen, 1e-9)
            built[cand[ok]] = True
            share[cand] = np.clip(cover / np.maximum(seglen, 1e-9), 0.0, 1.0)
            pair = pd.DataFrame({"s": seg_i, "d": np.asarray(dates)[line_i]}).groupby("s")["d"].max()
            bdate[pair.index.to_numpy()] = pair.to_numpy()
            bdate[~built] = np.datetime64("NaT")
    return SegmentMatch(built=built, built_on=bdate, cover=share)


def path_built(seg: pd.DataFrame, built: np.ndarray, min_cover: float) -> np.ndarray:
    """Segments whose path from the POP counts as built.

    A segment's path counts as built when the segment is built and
    ``min_cover`` of the length of its path from the POP is.

    Parameters
    ----------
    seg
        Checked segment table (``pidx, preorder, length_m``).
    built
        Built segments.
    min_cover
        Share of the path's length that must be built.

    Returns
    -------
    numpy.ndarray of bool
    """
    order = np.argsort(seg["preorder"].to_numpy(), kind="stable")
    pidx = seg["pidx"].to_numpy().tolist()
    seg_len = seg["length_m"].to_numpy()
    cum_len = seg_len.astype(float).tolist()  # plain lists: the loop runs over every segment
    cum_built = np.where(built, seg_len, 0.0).astype(float).tolist()
    for i in order.tolist():
        p = pidx[i]
        if p >= 0:
            cum_len[i] += cum_len[p]
            cum_built[i] += cum_built[p]
    covered: np.ndarray = built & (np.array(cum_built) >= min_cover * np.maximum(np.array(cum_len), 1e-9))
    return covered


def passed_targets(tgt: pd.DataFrame, path: np.ndarray,
                   connected_ids: set[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targets passed and connected given the built paths and the connected address ids.

    Parameters
    ----------
    tgt
        Targets (``id, connectable, seg_row, plan_status``).
    path
        Per segment row: its path from the POP counts as built (:func:`path_built`).
    connected_ids
        Address ids with an as-built connection, or a boolean mask over ``tgt``.

    Returns
    -------
    passed, connected : numpy.ndarray of bool
        A connected target is passed; a target whose drop hangs at the POP is
        passed when connectable.
    """
    n = len(path)
    r = tgt["seg_row"].to_numpy()
    on_path = path[np.clip(r, 0, max(n - 1, 0))] if n else np.zeros(len(r), dtype=bool)
    passed = tgt["connectable"].to_numpy() & np.where(r >= 0, on_path, True)
    given = (np.asarray(connected_ids, dtype=bool) if isinstance(connected_ids, np.ndarray)
             else tgt["id"].isin(connected_ids).to_numpy())
    connected = given | (tgt["plan_status"] == "connected").to_numpy()
    return passed | connected, connected
