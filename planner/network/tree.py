"""The route tree as arrays: nodes, parents, lengths, paths along it.

The design stage returns the shared route as *segments* (edges of a forest
oriented away from the POPs: ``u`` nearer the POP, ``v`` the far end) and the
*drops* hanging off its nodes.  :func:`route_tree` turns them into flat arrays
indexed by tree node (parent, length to the parent, depth from the POP, the
segment that ends at the node, coordinates), :func:`contract` keeps only the
nodes a placement needs (POPs, branch points, nodes with homes, candidate
sites), and :func:`walk_paths` counts fibres along many paths at once -- the
one numba kernel of the module (every path is walked node by node up to the
meeting point; the total work is the summed path length).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from planner.network.partition import _levels, preorder
from planner.routing._jit import kernel

__all__ = ["RouteTree", "route_tree", "segments_tree", "contract", "walk_paths", "tree_distance",
           "marked_ancestor"]


@dataclass(frozen=True)
class RouteTree:
    """A forest of route segments, one tree per POP.

    Attributes
    ----------
    node
        Graph node id (the design's ``u``/``v``) of each tree node.
    parent
        Tree index of the parent, ``-1`` at a POP.
    length
        Length of the segment from the parent, metres (0 at a POP).
    segment
        Row (in the segments frame given) of the segment ending at the node,
        ``-1`` at a POP.
    xy
        Node coordinates, ``(n, 2)``.
    pre, pos, size
        Preorder, position in it and subtree size (:func:`planner.network.partition.preorder`).
    depth
        Route distance from the node's POP, metres.
    hops
        Number of segments from the node's POP.
    root
        Tree index of each node's POP node.
    """

    node: np.ndarray
    parent: np.ndarray
    length: np.ndarray
    segment: np.ndarray
    xy: np.ndarray
    pre: np.ndarray
    pos: np.ndarray
    size: np.ndarray
    depth: np.ndarray
    hops: np.ndarray
    root: np.ndarray

    @property
    def n(self) -> int:
        """Number of nodes."""
        return int(self.node.size)

    def index_of(self, graph_nodes: np.ndarray) -> np.ndarray:
        """Tree index of graph node ids (``-1`` for ids not in the tree)."""
        order = np.argsort(self.node, kind="stable")
        srt = self.node[order]
        q = np.asarray(graph_nodes, dtype=np.int64)
        at = np.minimum(np.searchsorted(srt, q), max(srt.size - 1, 0))
        ok = srt.size > 0
        hit = (srt[at] == q) if ok else np.zeros(q.size, dtype=bool)
        return np.where(hit, order[at] if ok else -1, -1).astype(np.int64)


def route_tree(u: np.ndarray, v: np.ndarray, length: np.ndarray, geometry: np.ndarray | None = None) -> RouteTree:
    """Build the route forest from oriented segments.

    Parameters
    ----------
    u, v
        Graph node ids of each segment, ``u`` nearer the POP.
    length
        Segment lengths, metres.
    geometry
        Segment lines from ``u`` to ``v`` (for node coordinates); ``None``
        leaves the coordinates at NaN.

    Returns
    -------
    RouteTree

    Raises
    ------
    ValueError
        If a node is the far end of two segments or the segments form a cycle.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    nodes = np.unique(np.concatenate([u, v]))
    iu = np.searchsorted(nodes, u)
    iv = np.searchsorted(nodes, v)
    n = nodes.size
    if np.unique(iv).size != iv.size:
        raise ValueError("the segments are not a forest: a node is the far end of two segments")
    parent = np.full(n, -1, dtype=np.int64)
    parent[iv] = iu
    seg = np.full(n, -1, dtype=np.int64)
    seg[iv] = np.arange(v.size)
    plen = np.zeros(n)
    plen[iv] = np.asarray(length, dtype=float)
    pre, pos, size = preorder(parent)
    depth, hops, root = _levels(pre, parent, plen)
    xy = np.full((n, 2), np.nan)
    if geometry is not None and len(geometry):
        coords, idx = shapely.get_coordinates(np.asarray(geometry, dtype=object), return_index=True)
        first = np.r_[0, np.flatnonzero(idx[1:] != idx[:-1]) + 1]
        last = np.r_[first[1:] - 1, idx.size - 1]
        xy[iu[idx[first]]] = coords[first]
        xy[iv[idx[last]]] = coords[last]
    return RouteTree(node=nodes, parent=parent, length=plen, segment=seg, xy=xy, pre=pre, pos=pos, size=size,
                     depth=depth, hops=hops, root=root)


def segments_tree(segments: pd.DataFrame) -> RouteTree:
    """:func:`route_tree` of a segments frame (``u``, ``v``, ``length_m``, ``geometry``)."""
    geom = segments.geometry.values if "geometry" in segments else None
    return route_tree(segments["u"].to_numpy(), segments["v"].to_numpy(), segments["length_m"].to_numpy(dtype=float),
                      None if geom is None else np.asarray(geom, dtype=object))


def contract(tree: RouteTree, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contract the tree to the nodes in ``keep`` (POPs are always kept).

    Parameters
    ----------
    tree
        The route tree.
    keep
        Boolean mask of nodes to keep.

    Returns
    -------
    nodes, parent, length
        Tree indices of the kept nodes (in preorder), the index (into
        ``nodes``) of each one's nearest kept ancestor (``-1`` at POPs) and
        the route distance to it.
    """
    keep = np.asarray(keep, dtype=bool) | (tree.parent < 0)
    nodes = tree.pre[keep[tree.pre]]
    anc = _kept_ancestor(tree.pre, tree.parent, keep)
    kid = np.full(tree.n, -1, dtype=np.int64)
    kid[nodes] = np.arange(nodes.size)
    a = anc[nodes]
    par = np.where(a >= 0, kid[np.maximum(a, 0)], -1)
    ln = np.where(a >= 0, tree.depth[nodes] - tree.depth[np.maximum(a, 0)], 0.0)
    return nodes, par.astype(np.int64), ln


def marked_ancestor(tree: RouteTree, mark: np.ndarray, self_included: bool = True) -> np.ndarray:
    """Nearest marked node on the way to the POP, ``-1`` where none.

    The node itself counts when it is marked and ``self_included``.
    """
    mark = np.ascontiguousarray(mark, dtype=np.bool_)
    anc = _kept_ancestor(tree.pre, tree.parent, mark)
    return np.where(mark, np.arange(tree.n), anc) if self_included else anc


@kernel()
def _kept_ancestor(pre: np.ndarray, parent: np.ndarray, keep: np.ndarray) -> np.ndarray:
    n = pre.size
    anc = np.empty(n, np.int64)   # nearest kept proper ancestor
    for i in range(n):
        v = pre[i]
        p = parent[v]
        anc[v] = -1 if p < 0 else p if keep[p] else anc[p]
    return anc


@kernel()
def _walk(parent: np.ndarray, hops: np.ndarray, a: np.ndarray, b: np.ndarray, mult: np.ndarray, flag: np.ndarray,
          counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = a.size
    trans = np.zeros(k, np.int64)
    meet = np.empty(k, np.int64)
    for i in range(k):
        x = a[i]
        y = b[i]
        m = mult[i]
        sx = 0
        sy = 0
        lx = 0
        ly = 0
        nx = 0
        ny = 0
        while x != y:
            if x < 0 or y < 0:
                raise ValueError("path ends lie in different trees")
            if hops[x] >= hops[y]:
                counts[x] += m
                sx += flag[x]
                lx = flag[x]
                nx += 1
                x = parent[x]
            else:
                counts[y] += m
                sy += flag[y]
                ly = flag[y]
                ny += 1
                y = parent[y]
        meet[i] = x
        t = 0
        if nx > 0:
            t += sx - lx
        if ny > 0:
            t += sy - ly
        if nx > 0 and ny > 0:
            t += 1
        trans[i] = t
    return trans, meet


def walk_paths(tree: RouteTree, a: np.ndarray, b: np.ndarray, mult: np.ndarray | None = None,
               flag: np.ndarray | None = None, counts: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add ``mult`` to every segment on the tree path between ``a[i]`` and ``b[i]``.

    Parameters
    ----------
    tree
        The route tree.
    a, b
        Tree indices of the path ends (same tree).
    mult
        Fibres each path carries (default 1).
    flag
        0/1 per node: the segment ending at the node starts a new cable
        (used to count cable changes along each path).
    counts
        Array (per node: the segment ending there) to add into; a new one by
        default.

    Returns
    -------
    counts, changes, meet
        Fibres per node's segment, the number of cable changes (splices)
        inside each path -- where two consecutive segments of the path belong
        to different cables, counting the turn at the meeting point of a path
        that goes up and down again -- and the meeting node of each path.
    """
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    m = np.ones(a.size, dtype=np.int64) if mult is None else np.ascontiguousarray(mult, dtype=np.int64)
    f = np.zeros(tree.n, dtype=np.int64) if flag is None else np.ascontiguousarray(flag, dtype=np.int64)
    c = np.zeros(tree.n, dtype=np.int64) if counts is None else counts
    trans, meet = _walk(tree.parent, tree.hops, a, b, m, f, c)
    return c, trans, meet


def tree_distance(tree: RouteTree, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Route distance between node pairs (same tree)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    _, _, meet = walk_paths(tree, a, b, counts=np.zeros(tree.n, dtype=np.int64))
    out: np.ndarray = tree.depth[a] + tree.depth[b] - 2.0 * tree.depth[meet]
    return out
