"""Route tree of the naive alternative, to price its optical network with the same rules.

The design compares its shared tree with the *naive* alternative -- routing
without a cost model: the union of the shortest (by length) road paths from
the POPs to every connected target.  Its bill of quantities is the design's;
this module rebuilds that union from the design's cost graph (usable edges,
every POP a source, one shortest-path tree) so that the optical layer can lay
cabinets, cables and closures on it exactly as on the shared tree.  Each
segment's locality is that of the access node nearest to its far end.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

__all__ = ["naive_segments"]


def naive_segments(graph: Any, drops: pd.DataFrame) -> pd.DataFrame | None:
    """Segments of the naive alternative's tree.

    Parameters
    ----------
    graph
        The design's cost graph (``edges`` with ``u``, ``v``, ``length_m``,
        ``usable``; ``node_xy``; ``pop_nodes``), or ``None``.
    drops
        The design's drops (``access_node``, ``simc``).

    Returns
    -------
    pandas.DataFrame or None
        ``segment_id, u, v, length_m, simc`` oriented away from the POPs, or
        ``None`` without a graph.
    """
    if graph is None or not hasattr(graph, "edges") or len(drops) == 0:
        return None
    e = graph.edges
    e = e[e["usable"].to_numpy(dtype=bool)]
    u, v = e["u"].to_numpy(dtype=np.int64), e["v"].to_numpy(dtype=np.int64)
    w = e["length_m"].to_numpy(dtype=float)
    n = int(graph.n_nodes)
    # cheapest of parallel edges, then a symmetric matrix (explicit tiny weights keep zero-length edges)
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((w, b, a))
    keep = np.r_[True, (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])]
    a, b, w = a[order][keep], b[order][keep], np.maximum(w[order][keep], 1e-9)
    m = sparse.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    pops = np.unique(np.asarray(graph.pop_nodes, dtype=np.int64))
    pops = pops[pops >= 0]
    if pops.size == 0:
        return None
    _, pred = dijkstra(m, directed=False, indices=pops, min_only=True, return_predecessors=True)[:2]
    nodes = np.unique(drops["access_node"].to_numpy(dtype=np.int64))
    seen = np.zeros(n, dtype=bool)
    seen[pops] = True
    cu: list[np.ndarray] = []
    cv: list[np.ndarray] = []
    front = nodes[~seen[nodes]]
    while front.size:
        seen[front] = True
        p = pred[front]
        ok = p >= 0
        cu.append(p[ok])
        cv.append(front[ok])
        front = np.unique(p[ok])
        front = front[~seen[front]]
    if not cu:
        return pd.DataFrame({"segment_id": [], "u": [], "v": [], "length_m": [], "simc": []})
    su, sv = np.concatenate(cu), np.concatenate(cv)
    key = np.minimum(su, sv) * n + np.maximum(su, sv)
    ekey = a * n + b
    ln = w[np.searchsorted(ekey, key)] if ekey.size else np.zeros(su.size)
    xy = np.asarray(graph.node_xy, dtype=float)
    acc = drops["access_node"].to_numpy(dtype=np.int64)
    _, j = cKDTree(xy[acc]).query(xy[sv], k=1)
    simc = drops["simc"].astype(str).to_numpy(dtype=object)[np.atleast_1d(j)]
    order = np.argsort(sv, kind="stable")
    return pd.DataFrame({"segment_id": np.arange(su.size, dtype=np.int64), "u": su[order], "v": sv[order],
                         "length_m": np.where(ln[order] < 1e-6, 0.0, ln[order]), "simc": simc[order]})
