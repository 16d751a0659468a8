"""The as-built example of the demo area: what was built by March 2025.

Segments grow as a tree from the POP along the shortest-path tree within the
reported budgets (59 km, 17 km of it underground); about 26 % of the Serock
white points are connected (:data:`planner.synthetic.calibration.AS_BUILT_SEROCK_SHARE`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.synthetic.calibration import (
    AS_BUILT_KM,
    AS_BUILT_SEROCK_SHARE,
    AS_BUILT_UNDERGROUND_KM,
    CRS,
    M1_VILLAGES,
    POP_XY,
    TERC_WIELISZEW,
)

__all__ = ["as_built_layer"]


def as_built_layer(rng: np.random.Generator, roads: gpd.GeoDataFrame, R: pd.DataFrame, S: pd.DataFrame,
              node_xy: np.ndarray, node_simc: np.ndarray, addresses: gpd.GeoDataFrame, A: pd.DataFrame,
              loc_rows: pd.DataFrame, ducts: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """The as-built example of the demo: what was built by March 2025.

    Segments grow as a tree from the POP along the shortest-path tree: first to
    the M1 villages, then greedily where they pass the most eligible white
    points per metre, within the reported budgets (aerial where the road has
    poles, duct along a duct, trench elsewhere).  Connections are eligible
    Serock white points within 200 m of a built segment, dated after it.

    Parameters
    ----------
    rng
        The random generator (consumed: connection dates).
    roads, R, S
        Roads layer, its edge table and the street table (:func:`planner.synthetic.network.finish_roads`).
    node_xy, node_simc
        Nodes of the network and their locality.
    addresses
        The addresses layer.
    A
        Address table (``id, white, has_building, use, status, simc_terc``).
    loc_rows
        Localities indexed by SIMC (``terc``, ``locality``).
    ducts
        The ducts layer.

    Returns
    -------
    as_built : geopandas.GeoDataFrame
        Dated segments and connections (schema layer ``as_built``).
    facts : dict
        Built km (aerial, underground), connections and the localities touched.
    """
    G = nx.Graph()
    length = roads.length.to_numpy()
    for k, (u, v) in enumerate(zip(R.u, R.v)):
        if not roads.private.iat[k]:
            G.add_edge(int(u), int(v), k=k, w=float(length[k]))
    pop_node = int(np.argmin(np.linalg.norm(node_xy - POP_XY, axis=1)))
    dist, paths = nx.single_source_dijkstra(G, pop_node, weight="w")
    # deployment of each edge: duct where a duct runs, aerial where poles line it, else trench
    mids = shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True)
    has_pole = (R.street.map(S.lit) | R.street.map(S.telecom)).to_numpy(bool)
    in_duct = np.zeros(len(roads), bool)
    di = ducts.sindex.query(mids, predicate="dwithin", distance=1.0)
    in_duct[np.unique(di[0])] = True
    dep = np.where(in_duct, "duct", np.where(has_pole, "aerial", "trench"))
    # priority localities: M1 villages, then Serock rural by distance from the POP
    serock_simcs = [s for s in loc_rows.index if loc_rows.loc[s, "terc"] != TERC_WIELISZEW]

    def loc_dist(s: str) -> float:
        ns = np.flatnonzero(node_simc == s)
        nearest: float = min(dist.get(int(n), 1e12) for n in ns)
        return nearest
    # build towards the roads that serve eligible white points (non-barrier, existing)
    ok = (A.white & A.has_building & (A.use != "summer_house") & (A.status == "istniejacy")
          & (A.simc_terc != TERC_WIELISZEW)).to_numpy()
    ids = A.id.to_numpy()
    pts = addresses.set_index("id").loc[ids].geometry.values
    _, near = roads.sindex.nearest(pts[ok], return_all=False)
    want_nodes = set(R.u.to_numpy()[near].tolist()) | set(R.v.to_numpy()[near].tolist())
    m1 = sorted([s for s in serock_simcs if loc_rows.loc[s, "locality"] in M1_VILLAGES], key=loc_dist)
    budget = {"aerial": (AS_BUILT_KM - AS_BUILT_UNDERGROUND_KM) * 1000, "under": AS_BUILT_UNDERGROUND_KM * 1000}
    used = {"aerial": 0.0, "under": 0.0}
    built: dict[int, int] = {}  # edge -> order
    built_nodes = {pop_node}

    def build_path(path: list[int]) -> None:
        for a, b in zip(path[:-1], path[1:]):
            k = G[a][b]["k"]
            if k in built:
                continue
            if a not in built_nodes:
                return
            kind = "aerial" if dep[k] == "aerial" else "under"
            if used[kind] + length[k] > budget[kind]:
                return
            used[kind] += length[k]
            built[k] = len(built)
            built_nodes.add(b)

    # phase 1: the M1 villages (first milestone) from the POP
    for s in m1:
        for t in sorted((n for n in want_nodes if node_simc[n] == s and n in dist), key=lambda n: dist[n]):
            build_path(paths[t])
    # phase 2: grow the shortest-path tree where it serves most white points per metre
    tree_nodes = sorted(dist, key=lambda n: (dist[n], len(paths[n]), n))  # parents first, also on 0-length edges
    parent = {n: paths[n][-2] for n in tree_nodes if n != pop_node}
    pedge = {n: G[parent[n]][n]["k"] for n in parent}
    w_edge = np.bincount(near, minlength=len(roads)).astype(float)
    serock_node = {n: (node_simc[n] in serock_simcs) or node_simc[n] == "" for n in tree_nodes}
    while True:
        cost, gain, cu = {pop_node: 0.0}, {pop_node: 0.0}, {pop_node: (0.0, 0.0)}
        best, best_score = None, 0.0
        for n in tree_nodes[1:]:
            k = pedge[n]
            p_ = parent[n]
            if k in built:
                cost[n], gain[n], cu[n] = cost[p_], gain[p_], cu[p_]
                continue
            ca, cun = cu[p_]
            if dep[k] == "aerial":
                ca += length[k]
            else:
                cun += length[k]
            cu[n] = (ca, cun)
            cost[n] = cost[p_] + length[k]
            gain[n] = gain[p_] + w_edge[k]
            if (serock_node[n] and gain[n] > 0 and used["aerial"] + ca <= budget["aerial"]
                    and used["under"] + cun <= budget["under"]):
                score = gain[n] / cost[n]
                if score > best_score:
                    best, best_score = n, score
        if best is None:
            break
        build_path(paths[best])
    order = sorted(built, key=lambda k: built[k])
    start, end = np.datetime64("2024-04-02"), np.datetime64("2025-03-14")
    span = (end - start).astype(int)
    seg_dates = {k: start + np.timedelta64(int(span * i / max(len(order) - 1, 1)), "D") for i, k in enumerate(order)}
    # connections: Serock white, non-barrier points whose nearest road edge is built
    built_geom = gpd.GeoSeries([roads.geometry.iat[k] for k in order], crs=roads.crs)
    built_date = np.array([seg_dates[k] for k in order])
    qi, qj = built_geom.sindex.query(pts, predicate="dwithin", distance=200.0)
    first = pd.Series(built_date[qj]).groupby(qi).min() if len(qi) else pd.Series(dtype="datetime64[ns]")
    conn_date = dict(zip(first.index.tolist(), first.to_numpy()))
    cand = [i for i in np.flatnonzero(ok) if i in conn_date]
    cand.sort(key=lambda i: (conn_date[i], ids[i]))
    n_serock_white = int((A.white & (A.simc_terc != TERC_WIELISZEW)).sum())
    n_conn = min(len(cand), int(round(AS_BUILT_SEROCK_SHARE * n_serock_white)))
    conn = cand[:n_conn]
    last = np.datetime64("2025-03-28")
    rows = []
    for j, k in enumerate(order):
        rows.append((f"ab-s{j + 1:05d}", "segment", str(dep[k]), "", seg_dates[k], roads.geometry.iat[k]))
    for j, i in enumerate(sorted(conn, key=lambda i: ids[i])):
        d = min(np.datetime64(conn_date[i], "D") + np.timedelta64(int(rng.integers(7, 45)), "D"), last)
        rows.append((f"ab-c{j + 1:05d}", "connection", "", ids[i], d, pts[i]))
    ab = gpd.GeoDataFrame({"id": pd.Series([r[0] for r in rows], dtype=object),
                           "kind": pd.Series([r[1] for r in rows], dtype=object),
                           "deployment": pd.Series([r[2] for r in rows], dtype=object),
                           "address_id": pd.Series([r[3] for r in rows], dtype=object),
                           "built_on": pd.to_datetime(pd.Series([r[4] for r in rows])).astype("datetime64[ns]")},
                          geometry=[r[5] for r in rows], crs=CRS)
    km = sum(length[k] for k in order) / 1000
    km_u = sum(length[k] for k in order if dep[k] != "aerial") / 1000
    facts = dict(as_built_km=round(km, 2), as_built_underground_km=round(km_u, 2), as_built_connections=n_conn,
                 as_built_serock_share=round(n_conn / n_serock_white, 4), n_serock_white=n_serock_white,
                 as_built_localities=sorted({loc_rows.loc[s, "locality"]
                                             for s in node_simc[[int(R.u[k]) for k in order]] if s}))
    return ab, facts
