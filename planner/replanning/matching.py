"""Checking an as-built layer against the plan, record by record.

Every record of the as-built layer is either counted or listed in
``asbuilt_issues.csv`` with its reason (:data:`planner.schema.ASBUILT_ISSUE_REASONS`);
nothing is dropped silently.  Rules:

* ``built_on`` after the as-of date: ``future_dated``, not counted; before the
  project start: ``before_project_start``, counted.
* A ``segment`` that is not a line or a ``connection`` that is not a point:
  ``geometry_kind_mismatch``, not counted.
* Segments are sampled every 2 m at least.  A line longer than twice
  ``as_built_match_m`` whose samples lie, for 95 % of its length, within
  ``as_built_match_m`` of earlier lines (by ``built_on``, then row) is a
  ``duplicate_segment`` (not counted twice); one with less than that share within ``as_built_match_m`` of
  the planned network is ``off_plan`` (counted in km built, and for the planned
  segments it happens to cover).  A line built with another deployment than
  the planned segments it follows (by length) is ``deployment_differs``.
* An optional ``segment_id`` column names planned segments directly; an id not
  in the plan is ``unknown_segment_id`` (the geometry is used instead), an id
  whose line lies away from that segment is ``id_geometry_mismatch`` (the id
  wins).
* Connections: no or an unknown ``address_id`` (``unknown_address``) and
  addresses that are not targets (``not_a_target``) are not counted; the same
  address connected again is a ``duplicate_connection`` (counted once);
  targets the design leaves unconnected (``not_in_plan``) and connection points
  far from their address (``far_from_address``) are counted and listed.
  Connected targets without a built path to the POP
  (``connected_without_path``) are listed after the segments are matched
  (:func:`path_issues`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.config import ScheduleConfig
from planner.schema import ASBUILT_ISSUE_COLUMNS

__all__ = ["AsBuiltCheck", "check_records", "id_matches", "path_issues", "issue_table"]

_STEP_M = 2.0  # sampling step along lines, metres
# A line is a second record of earlier ones when this share of it lies within the match distance of them
# (a line continuing another one from its end has its last match-distance metres there: lines up to
# twice the match distance long are never called duplicates). [A]
_DUP_SHARE = 0.95


@dataclass
class AsBuiltCheck:
    """Which as-built records count, and why others are listed.

    Attributes
    ----------
    counted
        Per row of the layer: the record counts towards progress.
    is_segment, is_connection
        Per row: its kind (with a geometry of that kind).
    on_plan_share
        Per row: share of a segment line within the match distance of the plan
        (NaN for connections).
    segment_ids
        Per row: planned segment ids the line follows (``;``-joined).
    id_segment
        Per row: planned segment id given in a ``segment_id`` column and found
        in the plan, else -1.
    connected_ids
        Address ids whose connection counts.
    connected_on
        ``built_on`` of each counted connection (index: address id).
    issues
        One dict per (record, reason), see :func:`issue_table`.
    """

    counted: np.ndarray
    is_segment: np.ndarray
    is_connection: np.ndarray
    on_plan_share: np.ndarray
    segment_ids: list[str]
    id_segment: np.ndarray
    connected_ids: set[str]
    connected_on: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns]"))
    issues: list[dict[str, Any]] = field(default_factory=list)


def _samples(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points at most ``_STEP_M`` apart along each line: (points, line index of each, samples per line).

    The vertices of the lines densified to ``_STEP_M`` (equal spacing within
    each original vertex-to-vertex piece).
    """
    import shapely

    coords, idx = shapely.get_coordinates(shapely.segmentize(lines, _STEP_M), return_index=True)
    pts = shapely.points(coords) if len(coords) else np.zeros(0, dtype=object)
    n = np.bincount(idx, minlength=len(lines)).astype(np.int64)
    return pts, idx.astype(np.int64), np.maximum(n, 1)


def _issue(issues: list[dict[str, Any]], row: int, reason: str, detail: str, counted: bool,
           segment_ids: str = "") -> None:
    issues.append({"row": int(row), "reason": reason, "detail": detail, "counted": bool(counted),
                   "segment_ids": segment_ids})


def check_records(as_built: Any, segments: Any, addresses: Any, tgt: pd.DataFrame, config: ScheduleConfig,
                  as_of: dt.date) -> AsBuiltCheck:
    """Check every as-built record against the plan (see the module docstring).

    Parameters
    ----------
    as_built
        The as-built layer (:data:`planner.schema.AS_BUILT`, optional
        ``segment_id`` column), validated.
    segments
        Planned segments with geometry.
    addresses
        The plan's addresses (``id, is_target, plan_status``, geometry).
    tgt
        Targets of the prepared schedule (``id, connectable``).
    config
        Schedule configuration (match distance, start date, replan options).
    as_of
        Status date.

    Returns
    -------
    AsBuiltCheck
    """
    import shapely

    ab = as_built.reset_index(drop=True)
    n = len(ab)
    rc = config.replan
    issues: list[dict[str, Any]] = []
    kind = ab["kind"].astype(str).to_numpy() if n else np.zeros(0, dtype=object)
    dates = pd.to_datetime(ab["built_on"]).to_numpy() if n else np.zeros(0, dtype="datetime64[ns]")
    geom = ab.geometry.to_numpy() if n else np.zeros(0, dtype=object)
    gtype = np.array(shapely.get_type_id(geom)) if n else np.zeros(0, dtype=int)
    is_line = np.isin(gtype, (1, 5))       # LineString, MultiLineString
    is_point = np.isin(gtype, (0, 4))      # Point, MultiPoint
    counted = np.ones(n, dtype=bool)
    as_of64 = np.datetime64(as_of, "ns")
    start64 = np.datetime64(config.start_date, "ns")

    for r in np.flatnonzero(dates > as_of64).tolist():
        counted[r] = False
        _issue(issues, r, "future_dated", f"built_on {pd.Timestamp(dates[r]).date()} is after the as-of date "
               f"{as_of}; not counted", False)
    for r in np.flatnonzero(dates < start64).tolist():
        _issue(issues, r, "before_project_start", f"built_on {pd.Timestamp(dates[r]).date()} is before the "
               f"project start {config.start_date}; counted", counted[r])
    is_segment = (kind == "segment") & is_line
    is_connection = (kind == "connection") & is_point
    for r in np.flatnonzero(~(is_segment | is_connection)).tolist():
        counted[r] = False
        want = "a line" if kind[r] == "segment" else "a point"
        got = shapely.get_type_id(geom[r]) if geom[r] is not None else -1
        name = {0: "a point", 1: "a line", 3: "a polygon", 4: "points", 5: "lines", 6: "polygons"}.get(int(got),
                                                                                                   "no geometry")
        _issue(issues, r, "geometry_kind_mismatch", f"a {kind[r]!r} record must be {want}, it is {name}; "
               "not counted", False)

    # --- segments -------------------------------------------------------
    share = np.full(n, np.nan)
    seg_ids = [""] * n
    id_segment = np.full(n, -1, dtype=np.int64)
    srows = np.flatnonzero(is_segment & counted)
    plan_geom = segments.geometry.to_numpy()
    plan_id = segments["segment_id"].astype("int64").to_numpy()
    plan_dep = segments["deployment"].astype(str).to_numpy()
    if len(srows):
        pts, idx, per_line = _samples(geom[srows])
        # duplicates: samples near an earlier line (by date, then row)
        rank = np.empty(len(srows), dtype=np.int64)
        rank[np.lexsort((srows, dates[srows]))] = np.arange(len(srows))
        tree_ab = shapely.STRtree(geom[srows])
        p_i, l_j = tree_ab.query(pts, predicate="dwithin", distance=config.as_built_match_m)
        earlier = rank[l_j] < rank[idx[p_i]]
        near_earlier = np.zeros(len(pts), dtype=bool)
        near_earlier[p_i[earlier]] = True
        dup_share = np.bincount(idx, weights=near_earlier, minlength=len(srows)) / per_line
        # on plan: samples near planned segments
        tree_plan = shapely.STRtree(plan_geom)
        p_k, s_k = tree_plan.query(pts, predicate="dwithin", distance=config.as_built_match_m)
        hit = np.zeros(len(pts), dtype=bool)
        hit[p_k] = True
        on_plan = np.bincount(idx, weights=hit, minlength=len(srows)) / per_line
        dep_ab = ab["deployment"].astype(str).to_numpy() if "deployment" in ab else np.array([""] * n)
        given = _given_ids(ab, plan_id)
        known = set(plan_id.tolist())
        follows, dep_of = _follows(idx[p_k], s_k, plan_id, plan_dep, len(srows))
        for j, r in enumerate(srows.tolist()):
            share[r] = float(on_plan[j])
            seg_ids[r] = ";".join(str(x) for x in follows[j])
            length = float(shapely.length(geom[r]))
            if dup_share[j] >= _DUP_SHARE and length > 2 * config.as_built_match_m:
                counted[r] = False
                _issue(issues, r, "duplicate_segment", f"{dup_share[j]:.0%} of its {length:.0f} m lies within "
                       f"{config.as_built_match_m:g} m of an earlier as-built line; not counted twice", False,
                       seg_ids[r])
                continue
            gid = given[r]
            if gid is not None:
                if gid in known:
                    id_segment[r] = gid
                    if gid not in follows[j]:
                        _issue(issues, r, "id_geometry_mismatch", f"segment_id {gid} names a planned segment "
                               f"its line does not follow (it follows {seg_ids[r] or 'none'}); counted by the id",
                               True, str(gid))
                else:
                    _issue(issues, r, "unknown_segment_id", f"segment_id {gid} is not in the plan; matched by "
                           "geometry instead", True, seg_ids[r])
            if on_plan[j] < rc.on_plan_min_share and id_segment[r] < 0:
                _issue(issues, r, "off_plan", f"only {on_plan[j]:.0%} of its {length:.0f} m lies within "
                       f"{config.as_built_match_m:g} m of a planned segment; counted in km built, not as planned "
                       "work", True, seg_ids[r])
            elif dep_ab[r] and dep_of[j] and dep_of[j] != dep_ab[r]:
                _issue(issues, r, "deployment_differs", f"built as {dep_ab[r]}, planned as {dep_of[j]}; counted",
                       True, seg_ids[r])

    # --- connections ----------------------------------------------------
    crows = np.flatnonzero(is_connection & counted)
    connected: set[str] = set()
    conn_on: dict[str, Any] = {}
    if len(crows):
        aid = ab["address_id"].astype(str).to_numpy() if "address_id" in ab else np.array([""] * n)
        a_ids = addresses["id"].astype(str).to_numpy()
        a_idx: dict[str, int] = {}
        for i, x in enumerate(a_ids.tolist()):
            a_idx.setdefault(x, i)
        is_target = addresses["is_target"].fillna(False).astype(bool).to_numpy()
        connectable = set(tgt.loc[tgt["connectable"], "id"])
        a_geom = addresses.geometry.to_numpy()
        where = np.array([a_idx.get(x, -1) for x in aid[crows]], dtype=np.int64)
        dist = np.zeros(n)
        okw = where >= 0
        dist[crows[okw]] = shapely.distance(geom[crows[okw]], a_geom[where[okw]])
        order = crows[np.lexsort((crows, dates[crows]))]
        seen: dict[str, int] = {}
        for r in order.tolist():
            a = aid[r]
            if not a or a not in a_idx:
                counted[r] = False
                _issue(issues, r, "unknown_address", (f"address_id {a!r} is not an address of the area"
                                                          if a else "no address_id") + "; not counted", False)
                continue
            if a in seen:
                counted[r] = False
                _issue(issues, r, "duplicate_connection", f"address {a} was already connected in row "
                       f"{seen[a]}; counted once", False)
                continue
            seen[a] = r
            i = a_idx[a]
            if not is_target[i]:
                counted[r] = False
                _issue(issues, r, "not_a_target", f"address {a} is not a target of the plan "
                       f"({addresses['plan_status'].iloc[i] if 'plan_status' in addresses else 'not white'}); "
                       "not counted", False)
                continue
            connected.add(a)
            conn_on[a] = dates[r]
            if a not in connectable:
                _issue(issues, r, "not_in_plan", f"target {a} is left unconnected by the design "
                       f"({addresses['unconnected_reason'].iloc[i] if 'unconnected_reason' in addresses else ''}); "
                       "counted as connected", True)
            off = float(dist[r]) if np.isfinite(dist[r]) else 0.0
            if off > rc.connection_max_offset_m:
                _issue(issues, r, "far_from_address", f"the connection point lies {off:.0f} m from address "
                       f"{a} (more than {rc.connection_max_offset_m:g} m); counted", True)
    return AsBuiltCheck(counted=counted, is_segment=is_segment, is_connection=is_connection, on_plan_share=share,
                        segment_ids=seg_ids, id_segment=id_segment, connected_ids=connected,
                        connected_on=pd.Series(conn_on, dtype="datetime64[ns]"), issues=issues)


def _follows(line: np.ndarray, seg: np.ndarray, plan_id: np.ndarray, plan_dep: np.ndarray,
             n_lines: int) -> tuple[list[list[int]], list[str]]:
    """Planned segments each line follows (>= 2 samples near it) and their main deployment (by samples).

    Parameters
    ----------
    line, seg
        Sample pairs: line index of the sample, planned segment row near it.
    plan_id, plan_dep
        Planned segment ids and deployments.
    n_lines
        Number of lines.

    Returns
    -------
    follows : list of list of int
        Sorted planned segment ids per line.
    deployment : list of str
        Deployment with the most samples per line (ties: alphabetical), ``''`` if none.
    """
    follows: list[list[int]] = [[] for _ in range(n_lines)]
    dep: list[str] = [""] * n_lines
    if not len(line):
        return follows, dep
    nseg = len(plan_id)
    u, cnt = np.unique(line.astype(np.int64) * nseg + seg.astype(np.int64), return_counts=True)
    keep = cnt >= 2
    ln, sg, cnt = u[keep] // nseg, u[keep] % nseg, cnt[keep]
    names, code = np.unique(plan_dep[sg], return_inverse=True)
    w = np.zeros((n_lines, len(names)))
    np.add.at(w, (ln, code), cnt)
    has = w.sum(axis=1) > 0
    best = np.argmax(w, axis=1)
    for j in np.flatnonzero(has).tolist():
        dep[j] = str(names[best[j]])
    order = np.lexsort((plan_id[sg], ln))
    ln_s, id_s = ln[order], plan_id[sg][order]
    cut = np.flatnonzero(np.diff(ln_s)) + 1
    for part_l, part_i in zip(np.split(ln_s, cut), np.split(id_s, cut)):
        if len(part_l):
            follows[int(part_l[0])] = part_i.tolist()
    return follows, dep


def _given_ids(ab: pd.DataFrame, plan_id: np.ndarray) -> list[int | None]:
    """Planned segment id named by each row's ``segment_id`` column (None if absent/empty)."""
    if "segment_id" not in ab:
        return [None] * len(ab)
    vals = pd.to_numeric(ab["segment_id"].replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    return [int(v) if np.isfinite(v) and v >= 0 else None for v in vals]


def id_matches(check: AsBuiltCheck, as_built: Any, seg_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Planned segments named by id in counted rows: (row in ``seg_ids``, built_on).

    Parameters
    ----------
    check
        Result of :func:`check_records`.
    as_built
        The as-built layer.
    seg_ids
        ``segment_id`` of the checked segment table, sorted.

    Returns
    -------
    rows, dates : numpy.ndarray
    """
    rows = np.flatnonzero((check.id_segment >= 0) & check.counted)
    if not len(rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="datetime64[ns]")
    pos = np.searchsorted(seg_ids, check.id_segment[rows])
    dates = pd.to_datetime(as_built["built_on"].reset_index(drop=True)).to_numpy()[rows]
    return pos.astype(np.int64), dates


def path_issues(check: AsBuiltCheck, as_built: Any, by_path: set[str], planned: set[str]) -> None:
    """List connected targets whose path from the POP is not built (``connected_without_path``).

    Parameters
    ----------
    check
        Result of :func:`check_records`; its ``issues`` grow.
    as_built
        The as-built layer.
    by_path
        Target ids passed by a built path.
    planned
        Target ids the design connects (the others are ``not_in_plan`` already).
    """
    ab = as_built.reset_index(drop=True)
    if not len(ab) or "address_id" not in ab:
        return
    aid = ab["address_id"].astype(str).to_numpy()
    seen: set[str] = set()
    for r in np.flatnonzero(check.is_connection & check.counted).tolist():
        a = aid[r]
        if a in check.connected_ids and a in planned and a not in by_path and a not in seen:
            seen.add(a)
            _issue(check.issues, r, "connected_without_path", f"address {a} is reported connected, but the "
                   "network from the POP to its drop is not built (as-built lines); counted as connected", True)


def issue_table(check: AsBuiltCheck, as_built: Any) -> pd.DataFrame:
    """The issues as a table (:data:`planner.schema.ASBUILT_ISSUE_COLUMNS`), by row then reason.

    Parameters
    ----------
    check
        Result of :func:`check_records` (and :func:`path_issues`).
    as_built
        The as-built layer the rows refer to.

    Returns
    -------
    pandas.DataFrame
    """
    ab = as_built.reset_index(drop=True)
    t = pd.DataFrame(check.issues, columns=["row", "reason", "detail", "counted", "segment_ids"])
    rows = t["row"].to_numpy(dtype=np.int64)

    def col(name: str) -> np.ndarray:
        return ab[name].astype(str).to_numpy()[rows] if name in ab else np.full(len(rows), "", dtype=object)

    t["id"], t["kind"], t["address_id"] = col("id"), col("kind"), col("address_id")
    dates = pd.to_datetime(ab["built_on"]).to_numpy() if len(ab) else np.zeros(0, dtype="datetime64[ns]")
    t["built_on"] = pd.to_datetime(dates[rows]).astype("datetime64[ns]")
    t["row"] = t["row"].astype("int64")
    t["counted"] = t["counted"].astype(bool)
    t = t[list(ASBUILT_ISSUE_COLUMNS)]
    return t.sort_values(["row", "reason"], kind="stable").reset_index(drop=True)
