"""Reductions of Steiner tree instances, kept as a mapping back to the original edges.

Exact tests (every optimal tree of the reduced instance maps to an optimal
tree of the original one), applied until none changes the graph:

* parallel edges: only the cheapest (ties: lowest index) can be in an
  optimal tree; self-loops never are;
* non-terminal of degree 0 or 1: not in any optimal tree (NTD1);
* chains of non-terminals of degree 2 (NTD2): replaced by one edge of their
  total weight between the chain's ends (a chain that returns to its start
  is dropped);
* terminal of degree 1: its edge is in every tree; the terminal is merged
  into its neighbour, which becomes a terminal;
* parts of the graph without the root (after deletions) hold no terminal and go;
* minimum edge to a terminal: if the cheapest edge at a terminal ``t`` leads
  to another terminal, some optimal tree contains it (exchange argument: on
  the tree path from ``t`` to that terminal the first edge costs at least as
  much); merged likewise.  All such edges of one pass are merged at once
  (the cheapest edge at a merged node is still the one chosen; with ties
  that close a cycle only a spanning forest of them is merged).

Edges merged into a node are *fixed*: they belong to every tree of the
original instance built from a tree of the reduced one.  Bound-based tests
(:mod:`planner.routing.steiner.bounds`) delete further edges; they preserve
the optimum too (see there), and the reduced instance is reduced again.

:class:`Reduced` maps a tree of the reduced instance back: the original
edges of its edges' paths plus the fixed edges.

References
----------
C. Duin, A. Volgenant (1989), "Reduction tests for the Steiner problem in
graphs", Networks 19, 549-567.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from planner.routing._jit import B1, F64, I64

__all__ = ["Reduced", "reduce_instance", "identity"]


@dataclass(frozen=True)
class Reduced:
    """A reduced Steiner instance and its mapping to the instance it came from.

    Attributes
    ----------
    n
        Number of nodes (``0 .. n - 1``).
    u, v, w
        Edges of the reduced instance (no parallel edges, no self-loops).
    is_term
        Terminal mask (length ``n``).
    root
        Root (a terminal).
    node_orig
        Original node of each reduced node (the node it was merged into).
    path_ptr, path_edges
        CSR lists: the original edges ``path_edges[path_ptr[e]:path_ptr[e + 1]]``
        that reduced edge ``e`` stands for.
    fixed
        Original edges in every tree (sorted).
    offset
        Their total weight.
    """

    n: int
    u: I64
    v: I64
    w: F64
    is_term: B1
    root: int
    node_orig: I64
    path_ptr: I64
    path_edges: I64
    fixed: I64
    offset: float

    @property
    def n_terminals(self) -> int:
        """Number of terminals."""
        return int(self.is_term.sum())

    def expand(self, edges: I64) -> I64:
        """Original edges (sorted) of the reduced tree ``edges`` plus the fixed edges."""
        parts = _gather(self.path_ptr, self.path_edges, np.asarray(edges, dtype=np.int64))
        return np.unique(np.concatenate([parts, self.fixed]))

    def restrict(self, orig_edges: I64, n_orig_edges: int) -> B1:
        """Mask of the reduced edges all of whose original edges are among ``orig_edges``.

        For a tree of the original instance this is its image in the reduced
        one: connected and spanning the terminals unless the reductions
        dropped one of its edges (a dearer parallel edge, a deleted one).
        """
        inside = np.zeros(n_orig_edges, dtype=np.bool_)
        inside[orig_edges] = True
        miss = np.zeros(self.path_edges.size + 1, dtype=np.int64)  # original edges outside, cumulated
        np.cumsum(~inside[self.path_edges], out=miss[1:])
        out: B1 = (miss[self.path_ptr[1:]] - miss[self.path_ptr[:-1]]) == 0
        return out

    def compose(self, inner: Reduced) -> Reduced:
        """The reduction of this instance followed by ``inner`` (a reduction of it), as one mapping."""
        seg = _gather(self.path_ptr, self.path_edges, inner.path_edges)
        cum = np.zeros(inner.path_edges.size + 1, dtype=np.int64)
        np.cumsum(np.diff(self.path_ptr)[inner.path_edges], out=cum[1:])
        ptr = cum[inner.path_ptr]
        fixed = np.unique(np.concatenate([self.fixed, self.expand(inner.fixed)]))
        return Reduced(
            n=inner.n, u=inner.u, v=inner.v, w=inner.w, is_term=inner.is_term, root=inner.root,
            node_orig=self.node_orig[inner.node_orig], path_ptr=ptr, path_edges=seg, fixed=fixed,
            offset=self.offset + inner.offset,
        )


def _gather(ptr: I64, items: I64, rows: I64) -> I64:
    """Concatenation of the CSR rows ``rows`` (in the given order)."""
    if rows.size == 0:
        return np.empty(0, dtype=np.int64)
    start = ptr[rows]
    lens = ptr[rows + 1] - start
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    first = np.repeat(np.cumsum(lens) - lens, lens)
    idx = np.repeat(start, lens) + np.arange(total, dtype=np.int64) - first
    out: I64 = items[idx]
    return out


def identity(n: int, u: I64, v: I64, w: F64, is_term: B1, root: int) -> Reduced:
    """The instance itself as a (trivial) :class:`Reduced`."""
    m = u.size
    return Reduced(n=n, u=u, v=v, w=w, is_term=is_term, root=root, node_orig=np.arange(n, dtype=np.int64),
                   path_ptr=np.arange(m + 1, dtype=np.int64), path_edges=np.arange(m, dtype=np.int64),
                   fixed=np.empty(0, dtype=np.int64), offset=0.0)


class _State:
    """Working copy of an instance during reduction (original node ids, merges by representative)."""

    def __init__(self, n: int, u: I64, v: I64, w: F64, is_term: B1, root: int) -> None:
        self.n = n
        self.u, self.v, self.w = u.copy(), v.copy(), w.copy()
        self.is_term = is_term.copy()
        self.root = root
        self.ptr = np.arange(u.size + 1, dtype=np.int64)
        self.items = np.arange(u.size, dtype=np.int64)
        self.fixed: list[I64] = []
        self.offset = 0.0

    def keep(self, mask: B1) -> None:
        """Keep the edges in ``mask``."""
        idx = np.flatnonzero(mask)
        self.u, self.v, self.w = self.u[idx], self.v[idx], self.w[idx]
        self.items = _gather(self.ptr, self.items, idx)
        lens = np.diff(self.ptr)[idx]
        self.ptr = np.zeros(idx.size + 1, dtype=np.int64)
        np.cumsum(lens, out=self.ptr[1:])

    def degree(self) -> I64:
        """Degree of every node."""
        return np.bincount(self.u, minlength=self.n) + np.bincount(self.v, minlength=self.n)

    def dedupe(self) -> bool:
        """Drop self-loops and all but the cheapest of parallel edges."""
        if self.u.size == 0:
            return False
        a, b = np.minimum(self.u, self.v), np.maximum(self.u, self.v)
        pair = np.sort(a * self.n + b)
        if not (a == b).any() and not (pair[1:] == pair[:-1]).any():  # the common case: nothing to drop
            return False
        order = np.lexsort((np.arange(a.size), self.w, b, a))
        first = np.r_[True, (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])]
        keep = np.zeros(a.size, dtype=bool)
        keep[order[first]] = True
        keep &= a != b
        if keep.all():
            return False
        self.keep(keep)
        return True

    def peel(self) -> bool:
        """Remove non-terminals of degree 1, repeatedly."""
        changed = False
        while self.u.size:
            deg = self.degree()
            leaf = (deg == 1) & ~self.is_term
            drop = leaf[self.u] | leaf[self.v]
            if not drop.any():
                break
            self.keep(~drop)
            changed = True
        return changed

    def contract_chains(self) -> bool:
        """Replace chains of degree-2 non-terminals by one edge (drop chains that close a loop)."""
        deg = self.degree()
        s = (deg == 2) & ~self.is_term
        in_u, in_v = s[self.u], s[self.v]
        touch = in_u | in_v
        if not touch.any():
            return False
        internal = in_u & in_v
        iu, iv = self.u[internal], self.v[internal]
        mat = sp.csr_matrix((np.ones(iu.size, dtype=np.int8), (iu, iv)), shape=(self.n, self.n))
        _, lab = connected_components(mat, directed=False)
        e_touch = np.flatnonzero(touch)
        chain = np.where(in_u[e_touch], lab[self.u[e_touch]], lab[self.v[e_touch]])
        boundary = e_touch[~internal[e_touch]]
        b_chain = np.where(in_u[boundary], lab[self.u[boundary]], lab[self.v[boundary]])
        b_end = np.where(in_u[boundary], self.v[boundary], self.u[boundary])  # the node outside the chain
        order = np.lexsort((boundary, b_chain))
        b_chain, b_end = b_chain[order], b_end[order]
        chains, first = np.unique(b_chain, return_index=True)
        end_a, end_b = b_end[first], b_end[first + 1]  # exactly two boundary edges per open chain
        good = end_a != end_b
        # new edges for chains with distinct ends; members of every chain are removed
        keep = ~touch
        good_chain = chains[good]
        member = np.isin(chain, good_chain)
        e_mem, c_mem = e_touch[member], chain[member]
        o = np.lexsort((e_mem, c_mem))
        e_mem, c_mem = e_mem[o], c_mem[o]
        c_ids, c_first = np.unique(c_mem, return_index=True)
        new_w = np.add.reduceat(self.w[e_mem], c_first) if e_mem.size else np.empty(0)
        new_items = _gather(self.ptr, self.items, e_mem)
        lens = np.diff(self.ptr)[e_mem]
        new_len = np.add.reduceat(lens, c_first) if e_mem.size else np.empty(0, dtype=np.int64)
        pos = np.searchsorted(chains, c_ids)
        na, nb = end_a[pos], end_b[pos]
        base_items = _gather(self.ptr, self.items, np.flatnonzero(keep))
        base_lens = np.diff(self.ptr)[keep]
        self.u = np.concatenate([self.u[keep], na])
        self.v = np.concatenate([self.v[keep], nb])
        self.w = np.concatenate([self.w[keep], new_w])
        self.items = np.concatenate([base_items, new_items])
        self.ptr = np.zeros(self.u.size + 1, dtype=np.int64)
        np.cumsum(np.concatenate([base_lens, new_len]), out=self.ptr[1:])
        return True

    def contract_terminals(self) -> bool:
        """Merge terminals of degree 1, and terminals whose cheapest edge leads to a terminal."""
        m = self.u.size
        if m == 0 or int(self.is_term.sum()) <= 1:
            return False
        # the cheapest edge at every node (ties: lowest id)
        lightest = np.full(self.n, np.inf)
        np.minimum.at(lightest, self.u, self.w)
        np.minimum.at(lightest, self.v, self.w)
        eid = np.arange(m)
        pick = np.full(self.n, m)
        for end in (self.u, self.v):
            tie = self.w == lightest[end]
            np.minimum.at(pick, end[tie], eid[tie])
        at = np.flatnonzero(pick < m)
        best_e = pick[at]
        to = np.where(self.u[best_e] == at, self.v[best_e], self.u[best_e])
        deg = self.degree()
        sel = self.is_term[at] & (self.is_term[to] | (deg[at] == 1))
        if not sel.any():
            return False
        edges = np.unique(best_e[sel])
        # merge along a spanning forest of the selected edges (ties may close a cycle)
        parent = np.arange(self.n, dtype=np.int64)

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = int(parent[x])
            return x

        fixed = []
        for e in edges.tolist():
            a, b = find(int(self.u[e])), find(int(self.v[e]))
            if a != b:
                parent[max(a, b)] = min(a, b)
                fixed.append(e)
        fx = np.asarray(fixed, dtype=np.int64)
        self.fixed.append(_gather(self.ptr, self.items, fx))
        self.offset += float(self.w[fx].sum())
        root_of = parent
        while True:  # pointer jumping to the representatives
            nxt = root_of[root_of]
            if np.array_equal(nxt, root_of):
                break
            root_of = nxt
        merged_term = np.zeros(self.n, dtype=bool)
        np.logical_or.at(merged_term, root_of, self.is_term)
        self.is_term = merged_term & (root_of == np.arange(self.n))
        self.root = int(root_of[self.root])
        self.u, self.v = root_of[self.u], root_of[self.v]
        keep = self.u != self.v
        self.keep(keep)
        return True


def reduce_instance(n: int, u: I64, v: I64, w: F64, is_term: B1, root: int) -> Reduced:
    """Apply the exact reductions until none changes the instance.

    Parameters
    ----------
    n
        Number of nodes.
    u, v, w
        Edges (int64 ends, float64 weights >= 0); parallel edges and
        self-loops are allowed.
    is_term
        Terminal mask; ``root`` must be a terminal.
    root
        Root node.

    Returns
    -------
    Reduced
        The reduced instance, its nodes renumbered ``0 .. n' - 1`` (nodes that
        are neither terminals nor ends of a remaining edge are dropped).
    """
    st = _State(n, u, v, w, is_term, root)
    changed = True
    while changed:
        changed = st.dedupe()
        changed |= st.contract_chains()
        changed |= st.peel()
        changed |= st.contract_terminals()
    if st.u.size:  # parts without the root hold no terminal (all terminals reach the root): drop them
        mat = sp.csr_matrix((np.ones(st.u.size, dtype=np.int8), (st.u, st.v)), shape=(n, n))
        _, lab = connected_components(mat, directed=False)
        st.keep(lab[st.u] == lab[st.root])
    alive = st.is_term.copy()
    alive[st.u] = True
    alive[st.v] = True
    alive[st.root] = True
    new_id = np.full(n, -1, dtype=np.int64)
    node_orig = np.flatnonzero(alive).astype(np.int64)
    new_id[node_orig] = np.arange(node_orig.size)
    fixed = np.unique(np.concatenate(st.fixed)) if st.fixed else np.empty(0, dtype=np.int64)
    return Reduced(
        n=int(node_orig.size), u=new_id[st.u], v=new_id[st.v], w=st.w, is_term=st.is_term[node_orig],
        root=int(new_id[st.root]), node_orig=node_orig, path_ptr=st.ptr, path_edges=st.items,
        fixed=fixed, offset=st.offset,
    )
