"""Tests of planner.schedule on small hand-made trees.

Oracles: hand-computed calendars (weekends, Polish holidays listed by hand and
taken from the ``holidays`` library), networkx on the package graph, and
re-running the scheduler with the crew numbers it reports.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import holidays
import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from planner import schedule as S
from planner._errors import ConfigError
from planner.config import CrewConfig, Milestone, ScheduleConfig
from planner.output import charts, files, schedule_files
from planner.schedule.calendar import Calendar
from planner.schedule.listsched import end_day

NAMES = {"0000001": "Alfa", "0000002": "Beta", "0000003": "Dębinki", "0000004": "Gamma"}
FAR = dt.date(2030, 12, 31)


def make_case(segs, n_points, *, unconnected=None):
    """GeoDataFrames for a tree.

    segs: (segment_id, parent_id, deployment, surface, length_m, simc, consent);
    segment i is drawn from (x_i, y_i) along +x, with a child starting at its
    parent's far end (so as-built lines can be matched).
    n_points: segment_id -> number of target points whose drop hangs off it
    (segment -1 -> points at the POP, for simc '0000001').
    """
    ends: dict[int, tuple[float, float]] = {-1: (500_000.0, 500_000.0)}
    rows = []
    for k, (sid, par, dep, surf, length, simc, cons) in enumerate(segs):
        x0, y0 = ends[par]
        y0 = y0 + 10.0 * k  # offset branches so siblings do not overlap
        ends[sid] = (x0 + length, y0)
        rows.append(dict(segment_id=sid, parent_id=par, deployment=dep, surface=surf, length_m=float(length),
                         consent=cons, simc=simc, locality=NAMES[simc], cost_pln=10.0 * length,
                         dist_from_pop_m=float(x0 + length - 500_000.0),
                         geometry=LineString([(x0, y0), (x0 + length, y0)])))
    seg = gpd.GeoDataFrame(rows, crs="EPSG:2180")
    simc_of = {r["segment_id"]: r["simc"] for r in rows}
    addr, drops = [], []
    for sid, n in n_points.items():
        simc = simc_of.get(sid, "0000001")
        for j in range(n):
            aid = f"a{sid:03d}_{j:03d}"
            addr.append(dict(id=aid, terc="1408045", simc=simc, locality=NAMES[simc], is_target=True,
                             plan_status="connect", unconnected_reason="", geometry=Point(ends[sid][0], 5.0)))
            drops.append(dict(address_id=aid, simc=simc, locality=NAMES[simc], segment_id=sid, cost_pln=500.0,
                              geometry=LineString([(ends[sid][0], 0.0), (ends[sid][0], 5.0)])))
    for simc, n in (unconnected or {}).items():
        for j in range(n):
            addr.append(dict(id=f"u{simc}_{j:03d}", terc="1408045", simc=simc, locality=NAMES[simc], is_target=True,
                             plan_status="unconnected", unconnected_reason="consent_refused",
                             geometry=Point(0.0, 0.0)))
    return (seg, gpd.GeoDataFrame(drops, crs="EPSG:2180"), gpd.GeoDataFrame(addr, crs="EPSG:2180"))


def cfg(start=dt.date(2025, 4, 28), milestones=None, **kw) -> ScheduleConfig:
    crews = kw.pop("crews", {})
    return ScheduleConfig(
        start_date=start, project_end=kw.pop("project_end", FAR),
        milestones=milestones or (Milestone(name="M1", deadline=FAR),),
        crews=CrewConfig(**crews), **{"auto_assign": False, **kw},
    )


def wp_of(result, kind=None, simc=None) -> pd.DataFrame:
    wp = result.work_packages
    if kind is not None:
        wp = wp[wp["kind"] == kind]
    if simc is not None:
        wp = wp[wp["simc"] == simc]
    return wp


def oracle_end(start: dt.date, n: int, *, saturdays=False, trench_stop=None) -> dt.date:
    """n-th working day from start (inclusive), by walking the calendar."""
    hol = holidays.country_holidays("PL", years=range(start.year, start.year + 3))
    d, left = start, n
    while True:
        md = (d.month, d.day)
        stopped = trench_stop is not None and (md >= trench_stop[0] or md <= trench_stop[1])
        if d.weekday() < (6 if saturdays else 5) and d not in hol and not stopped:
            left -= 1
            if left == 0:
                return d
        d += dt.timedelta(days=1)


# --------------------------------------------------------------------------
# calendar
# --------------------------------------------------------------------------


def test_polish_holidays_may_and_christmas():
    # 10 working days of aerial from Mon 2025-04-28: 1 May (holiday), 3 May is a Saturday.
    seg, drops, addr = make_case([(1, -1, "aerial", "", 9000, "0000001", "not_needed")], {1: 1})
    r = S.build_schedule(seg, drops, addr, cfg(crews={"aerial_m_per_day": 900.0}))
    w = wp_of(r, "aerial").iloc[0]
    assert w["duration_days"] == 10
    hand = [dt.date(2025, 4, d) for d in (28, 29, 30)] + [dt.date(2025, 5, d) for d in (2, 5, 6, 7, 8, 9, 12)]
    assert w["end"].date() == hand[-1] == oracle_end(dt.date(2025, 4, 28), 10)
    # the drops package starts the next working day
    assert wp_of(r, "drops").iloc[0]["start"].date() == dt.date(2025, 5, 13)
    # Christmas 2025: 24, 25, 26 December are holidays (Wigilia since 2025), 31 Dec is a working day.
    r = S.build_schedule(seg, drops, addr, cfg(start=dt.date(2025, 12, 22),
                                               crews={"aerial_m_per_day": 1800.0}))
    w = wp_of(r, "aerial").iloc[0]
    assert w["duration_days"] == 5
    assert w["end"].date() == dt.date(2025, 12, 31) == oracle_end(dt.date(2025, 12, 22), 5)
    # next working day after New Year is Friday 2 January 2026
    assert wp_of(r, "drops").iloc[0]["start"].date() == dt.date(2026, 1, 2)
    assert S.working_days(dt.date(2025, 12, 22), dt.date(2026, 1, 2), cfg()) == [
        dt.date(2025, 12, 22), dt.date(2025, 12, 23), dt.date(2025, 12, 29), dt.date(2025, 12, 30),
        dt.date(2025, 12, 31), dt.date(2026, 1, 2)]


@pytest.mark.parametrize("saturdays", [False, True])
def test_weekend_rule(saturdays):
    # Thursday start, 4 working days
    seg, drops, addr = make_case([(1, -1, "aerial", "", 3600, "0000001", "not_needed")], {1: 1})
    r = S.build_schedule(seg, drops, addr, cfg(start=dt.date(2025, 6, 5), work_saturdays=saturdays,
                                               crews={"aerial_m_per_day": 900.0}))
    w = wp_of(r, "aerial").iloc[0]
    expected = dt.date(2025, 6, 9) if saturdays else dt.date(2025, 6, 10)  # Thu, Fri, (Sat), Mon, (Tue)
    assert w["end"].date() == expected == oracle_end(dt.date(2025, 6, 5), 4, saturdays=saturdays)


def test_trench_winter_stop_across_year_boundary():
    segs = [(1, -1, "trench", "paved", 1500, "0000001", "not_needed"),
            (2, -1, "aerial", "", 1500 * 900 / 100, "0000002", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 1, 2: 1})
    sc = cfg(start=dt.date(2025, 12, 1), trench_winter_stop=("12-15", "02-28"),
             crews={"trench_paved_m_per_day": 100.0, "aerial_m_per_day": 900.0}, max_package_days=100)
    r = S.build_schedule(seg, drops, addr, sc)
    t = wp_of(r, "trench_paved").iloc[0]
    assert t["duration_days"] == 15
    # 10 days 1-12 Dec, then nothing until Mon 2 March 2026
    assert t["end"].date() == dt.date(2026, 3, 6) == oracle_end(dt.date(2025, 12, 1), 15,
                                                                trench_stop=((12, 15), (2, 28)))
    a = wp_of(r, "aerial").iloc[0]  # aerial works through the winter
    assert a["end"].date() == oracle_end(dt.date(2025, 12, 1), 15) < dt.date(2026, 1, 31)


# --------------------------------------------------------------------------
# dependencies, capacity, consents
# --------------------------------------------------------------------------


def _random_tree(seed: int, n: int = 40):
    rng = np.random.default_rng(seed)
    segs = []
    kinds = [("aerial", ""), ("duct", ""), ("trench", "unpaved"), ("trench", "paved"), ("trench", "carriageway")]
    for sid in range(1, n + 1):
        par = -1 if sid == 1 else int(rng.integers(1, sid))
        dep, surf = kinds[int(rng.integers(0, len(kinds)))]
        simc = ["0000001", "0000002", "0000004"][int(rng.integers(0, 3))]
        cons = "pending" if rng.random() < 0.1 else "not_needed"
        segs.append((sid, par, dep, surf, float(rng.integers(50, 3000)), simc, cons))
    pts = {sid: int(rng.integers(0, 4)) for sid in range(1, n + 1)}
    return make_case(segs, pts)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dependency_order_child_after_parent(seed):
    seg, drops, addr = _random_tree(seed)
    sc = cfg(milestones=(Milestone(name="M1", deadline=dt.date(2026, 6, 30), localities=("Beta",)),
                         Milestone(name="M2", deadline=FAR)), max_package_days=5)
    r = S.build_schedule(seg, drops, addr, sc)
    wp = r.work_packages.set_index("wp_id")
    # segment level: a child's package never starts before its parent's package ends
    s = r.segments.set_index("segment_id")
    par = seg.set_index("segment_id")["parent_id"]
    for sid, p in par.items():
        if p < 0:
            continue
        a, b = s.loc[sid, "wp_id"], s.loc[p, "wp_id"]
        if a != b:
            assert wp.loc[a, "start"] >= wp.loc[b, "end"], (sid, p)
    # package graph: a DAG (networkx oracle) and every dependency respected
    g = nx.DiGraph()
    g.add_nodes_from(wp.index)
    for w, deps in wp["depends_on"].items():
        for d in filter(None, deps.split(";")):
            g.add_edge(d, w)
            assert wp.loc[w, "start"] >= wp.loc[d, "end"]
    assert nx.is_directed_acyclic_graph(g)
    # a point is passed when the package of its drop's segment ends, never before its upstream packages
    dseg = drops.set_index("address_id")["segment_id"]
    ad = r.addresses.set_index("id")
    for aid, sid in dseg.items():
        assert ad.loc[aid, "passed_date"] == wp.loc[s.loc[sid, "wp_id"], "end"]
        for anc in nx.ancestors(g, s.loc[sid, "wp_id"]):
            assert wp.loc[anc, "end"] <= ad.loc[aid, "passed_date"]
    # every segment's length is in exactly one package
    net = r.work_packages[r.work_packages["unit"] == "m"]
    assert net["quantity"].sum() == pytest.approx(seg["length_m"].sum(), abs=0.5)
    assert net["n_segments"].sum() == len(seg)
    # each crew works one package at a time
    for crew, g2 in r.work_packages.groupby("crew"):
        g2 = g2.sort_values(["start", "end"])
        assert (g2["start"].to_numpy()[1:] >= g2["end"].to_numpy()[:-1]).all(), crew
        # and no more work than the working days it spans
        span = S.working_days(g2["start"].min().date(), g2["end"].max().date(), sc,
                              trench=crew.startswith("trench"))
        assert g2["duration_days"].sum() <= len(span) + 1e-6, crew


@pytest.mark.parametrize("n_crews", [1, 2])
def test_crew_capacity(n_crews):
    segs = [(1, -1, "aerial", "", 4500, "0000001", "not_needed"),
            (2, -1, "aerial", "", 4500, "0000002", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 1, 2: 1})
    r = S.build_schedule(seg, drops, addr, cfg(crews={"aerial_crews": n_crews, "aerial_m_per_day": 900.0}))
    a = wp_of(r, "aerial").sort_values("start")
    assert (a["duration_days"] == 5).all()
    if n_crews == 1:
        assert a["crew"].tolist() == ["aerial-1", "aerial-1"]
        assert a["start"].iloc[1] > a["end"].iloc[0]
        assert a["start"].iloc[1].date() == oracle_end(dt.date(2025, 4, 28), 6)
    else:
        assert sorted(a["crew"]) == ["aerial-1", "aerial-2"]
        assert a["start"].iloc[0] == a["start"].iloc[1]


def test_long_run_cut_into_packages_shared_by_crews():
    segs = [(i, i - 1 if i > 1 else -1, "aerial", "", 900.0 * 10, "0000001", "not_needed") for i in range(1, 5)]
    seg, drops, addr = make_case(segs, {4: 1})
    r = S.build_schedule(seg, drops, addr, cfg(max_package_days=20, crews={"aerial_m_per_day": 900.0}))
    a = wp_of(r, "aerial")
    assert len(a) == 2 and (a["duration_days"] == 20).all()
    assert a["depends_on"].tolist() == ["", a["wp_id"].iloc[0]]


def test_consent_lead_time():
    segs = [(1, -1, "aerial", "", 900, "0000001", "not_needed"),
            (2, 1, "trench", "unpaved", 180, "0000001", "pending"),
            (3, 1, "duct", "", 1500, "0000002", "granted")]
    seg, drops, addr = make_case(segs, {1: 1, 2: 1, 3: 1})
    r = S.build_schedule(seg, drops, addr, cfg(consent_lead_days=60))
    wait = dt.date(2025, 4, 28) + dt.timedelta(days=60)  # Fri 2025-06-27
    t = wp_of(r, "trench_unpaved").iloc[0]
    assert t["consent_wait_until"].date() == wait
    assert t["start"].date() == wait
    d = wp_of(r, "duct").iloc[0]
    assert pd.isna(d["consent_wait_until"])
    assert d["start"].date() == dt.date(2025, 4, 29)  # right after the aerial feeder
    r0 = S.build_schedule(seg, drops, addr, cfg(consent_lead_days=0))
    assert wp_of(r0, "trench_unpaved").iloc[0]["start"].date() == dt.date(2025, 4, 29)


# --------------------------------------------------------------------------
# milestones: the 80 % rule, infeasibility, locality names, automatic mode
# --------------------------------------------------------------------------


@pytest.mark.parametrize("early,expected_ok", [(79, False), (80, True)])
def test_eighty_percent_rule(early, expected_ok):
    segs = [(1, -1, "aerial", "", 900, "0000001", "not_needed"),
            (2, 1, "trench", "carriageway", 35 * 100, "0000001", "not_needed")]  # 100 working days
    seg, drops, addr = make_case(segs, {1: early, 2: 100 - early})
    sc = cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 6, 30), localities=("Alfa",)),),
             crews={"aerial_m_per_day": 900.0, "trench_carriageway_m_per_day": 35.0}, max_package_days=100,
             project_end=dt.date(2026, 12, 31))
    r = S.build_schedule(seg, drops, addr, sc)
    c = r.compliance.iloc[0]
    assert c["targets"] == 100 and c["passed_by_deadline"] == early
    assert c["pct_passed"] == float(early) and c["required_pct"] == 80.0
    assert bool(c["ok"]) is expected_ok and r.feasible is expected_ok
    assert c["points_missing"] == 100 - early
    assert "passed after the deadline" in c["missing_reason"]
    if expected_ok:
        assert c["slack_days"] == (dt.date(2025, 6, 30) - dt.date(2025, 4, 28)).days
        assert r.binding_constraint == ""
    else:
        assert c["slack_days"] < 0
        assert r.binding_constraint == "dependency_chain"  # one trench run cannot be shared by crews
        assert r.min_crews is None
    passed = r.addresses["passed_date"] <= pd.Timestamp("2025-06-30")
    assert int(passed.sum()) == early
    assert (r.addresses["milestone"] == "M1").all()
    assert (r.addresses["milestone_date"] == pd.Timestamp("2025-06-30")).all()


def test_unconnected_targets_count_against_the_rule():
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000001", "not_needed")], {1: 7},
                                 unconnected={"0000001": 3})
    r = S.build_schedule(seg, drops, addr, cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 6, 30)),)))
    c = r.compliance.iloc[0]
    assert c["targets"] == 10 and c["passed_by_deadline"] == 7 and not c["ok"]
    assert "3 unconnected (consent_refused: 3)" in c["missing_reason"]
    assert r.binding_constraint == "unconnected_points" and not r.feasible


def _capacity_case():
    # four villages straight off the POP, 10 aerial days each; M1 needs all by ~4 weeks
    segs = [(i, -1, "aerial", "", 9000, s, "not_needed")
            for i, s in enumerate(["0000001", "0000002", "0000003", "0000004"], start=1)]
    seg, drops, addr = make_case(segs, {1: 2, 2: 2, 3: 2, 4: 2})
    ms = (Milestone(name="M1", deadline=dt.date(2025, 5, 31), localities=("Alfa", "Beta", "Dębinki", "0000004")),)
    return seg, drops, addr, ms


def test_infeasible_capacity_reported_with_min_crews():
    seg, drops, addr, ms = _capacity_case()
    sc = cfg(milestones=ms, crews={"aerial_crews": 1, "aerial_m_per_day": 900.0})
    r = S.build_schedule(seg, drops, addr, sc)
    assert r.feasible is False
    assert r.binding_constraint == "crew_capacity"
    assert not r.milestones["ok"].iloc[0]
    assert r.min_crews is not None and r.min_crews["aerial_crews"] == 2
    # oracle: the reported crews meet the deadline, one aerial crew less does not
    ok = S.build_schedule(seg, drops, addr, cfg(milestones=ms, crews={**r.min_crews, "aerial_m_per_day": 900.0}))
    assert ok.feasible
    less = {**r.min_crews, "aerial_crews": r.min_crews["aerial_crews"] - 1, "aerial_m_per_day": 900.0}
    assert not S.build_schedule(seg, drops, addr, cfg(milestones=ms, crews=less)).feasible


def test_infeasible_zero_crews_and_consent_and_chain():
    seg, drops, addr, ms = _capacity_case()
    r = S.build_schedule(seg, drops, addr, cfg(milestones=ms, crews={"aerial_crews": 0, "aerial_m_per_day": 900.0}))
    assert not r.feasible and r.binding_constraint == "crew_capacity"
    assert r.work_packages["start"].isna().all()
    assert r.min_crews["aerial_crews"] == 2
    # consent: a pending village behind a 90-day lead time
    segs = [(1, -1, "aerial", "", 900, "0000001", "pending")]
    seg, drops, addr = make_case(segs, {1: 5})
    m = (Milestone(name="M1", deadline=dt.date(2025, 6, 30)),)
    r = S.build_schedule(seg, drops, addr, cfg(milestones=m, consent_lead_days=90))
    assert not r.feasible and r.binding_constraint == "consent_lead_time" and r.min_crews is None
    assert "pending consent" in r.compliance["missing_reason"].iloc[0]
    # deadline before the first working day can end
    m = (Milestone(name="M1", deadline=dt.date(2025, 4, 28)),)
    r = S.build_schedule(seg, drops, addr, cfg(milestones=m, consent_lead_days=0,
                                               crews={"aerial_m_per_day": 450.0}))
    assert not r.feasible and r.binding_constraint == "dependency_chain"
    # a long weekend: 2 working days from Wed 2025-04-30 end on Fri 2 May; every-day calendar ends 1 May
    m = (Milestone(name="M1", deadline=dt.date(2025, 5, 1)),)
    r = S.build_schedule(seg, drops, addr, cfg(start=dt.date(2025, 4, 30), milestones=m, consent_lead_days=0,
                                               crews={"aerial_m_per_day": 450.0}))
    assert not r.feasible and r.binding_constraint == "calendar"


def test_unknown_locality_suggests_close_names():
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000003", "not_needed")], {1: 2})
    sc = cfg(milestones=(Milestone(name="M1", deadline=FAR, localities=("Debinki", "Zarzecze")),))
    with pytest.raises(ConfigError) as exc:
        S.build_schedule(seg, drops, addr, sc)
    text = str(exc.value)
    assert "'Debinki'" in text and "did you mean 'Dębinki'" in text
    assert "'Zarzecze'" in text
    # by SIMC and case-insensitively it resolves
    for name in ("0000003", "dębinki"):
        ms = (Milestone(name="M1", deadline=FAR, localities=(name,)),)
        r = S.build_schedule(seg, drops, addr, cfg(milestones=ms))
        assert r.assignment["how"].tolist() == ["config"]


def test_rest_milestone_and_feeder_inherits_priority():
    # Beta (M2) is the feeder of Alfa (M1): its package is needed by M1 and built first
    segs = [(1, -1, "aerial", "", 4500, "0000002", "not_needed"),
            (2, 1, "aerial", "", 4500, "0000001", "not_needed"),
            (3, -1, "aerial", "", 4500, "0000004", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 1, 2: 1, 3: 1})
    ms = (Milestone(name="M1", deadline=dt.date(2025, 5, 31), localities=("Alfa",)),
          Milestone(name="M2", deadline=dt.date(2025, 12, 31)))
    r = S.build_schedule(seg, drops, addr, cfg(milestones=ms, crews={"aerial_crews": 1, "aerial_m_per_day": 900.0}))
    a = wp_of(r, "aerial").set_index("simc")
    assert a.loc["0000002", "milestone"] == "M2" and a.loc["0000002", "needed_by"] == "M1"
    assert a.loc["0000002", "end"] < a.loc["0000001", "start"] < a.loc["0000004", "start"]
    assert dict(zip(r.assignment["simc"], r.assignment["how"])) == {
        "0000001": "config", "0000002": "rest", "0000004": "rest"}
    assert r.feasible


def test_auto_assign_meets_deadlines_with_fewest_crews():
    seg, drops, addr, _ = _capacity_case()
    ms = (Milestone(name="M1", deadline=dt.date(2025, 5, 31)), Milestone(name="M2", deadline=dt.date(2025, 7, 31)))
    r = S.build_schedule(seg, drops, addr, cfg(milestones=ms, auto_assign=True,
                                               crews={"aerial_crews": 4, "aerial_m_per_day": 900.0}))
    assert r.feasible
    assert set(r.assignment["how"]) == {"auto"}
    # every locality sits in the earliest milestone whose deadline its 80 % date meets
    for row in r.compliance.itertuples():
        assert row.ok
        earlier = [m for m in ms if m.deadline < row.deadline.date()]
        assert all(row.threshold_date.date() > m.deadline for m in earlier)
    assert r.min_crews is not None and r.min_crews["aerial_crews"] == 1  # the M2 deadline allows one crew
    assert S.build_schedule(seg, drops, addr, cfg(milestones=ms, auto_assign=True,
                                                  crews={**r.min_crews, "aerial_m_per_day": 900.0})).feasible


# --------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------


def _demo_result():
    seg, drops, addr = _random_tree(7, n=25)
    sc = cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 9, 30), localities=("Beta",)),
                         Milestone(name="M2", deadline=dt.date(2026, 12, 31))))
    return seg, drops, addr, sc


def test_determinism_csv_xlsx_png(tmp_path):
    seg, drops, addr, sc = _demo_result()
    r1 = S.build_schedule(seg, drops, addr, sc)
    # shuffled input rows give the same schedule
    r2 = S.build_schedule(seg.sample(frac=1, random_state=3), drops.sample(frac=1, random_state=4),
                          addr.sample(frac=1, random_state=5), sc)
    files.write_csv(r1.work_packages, tmp_path / "a.csv")
    files.write_csv(r2.work_packages, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    files.write_bytes(schedule_files.schedule_xlsx_bytes(r1), tmp_path / "a.xlsx")
    files.write_bytes(schedule_files.schedule_xlsx_bytes(r2), tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert charts.figure_png(charts.gantt_figure(r1)) == charts.figure_png(charts.gantt_figure(r2))
    assert schedule_files.gantt_html(r1) == schedule_files.gantt_html(r2)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.csv", "a.xlsx", "b.csv", "b.xlsx"]  # no temp files


def test_xlsx_layout(tmp_path):
    seg, drops, addr, sc = _demo_result()
    r = S.build_schedule(seg, drops, addr, sc)
    files.write_bytes(schedule_files.schedule_xlsx_bytes(r), tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert wb.sheetnames[:4] == ["Summary", "Compliance", "M1", "M2"]
    ws = wb["M1"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions
    header = [c.value for c in ws[1]]
    assert header[:4] == ["wp_id", "milestone", "needed_by", "simc"]
    j = header.index("start") + 1
    cell = ws.cell(row=2, column=j)
    assert isinstance(cell.value, dt.datetime) and cell.number_format == "yyyy-mm-dd"
    m1 = r.work_packages[r.work_packages["milestone"] == "M1"]
    assert ws.max_row == len(m1) + 1
    assert cell.value == m1["start"].iloc[0].to_pydatetime()
    assert ws.column_dimensions["A"].width >= len(m1["wp_id"].iloc[0])


def test_gantt_outputs():
    seg, drops, addr, sc = _demo_result()
    r = S.build_schedule(seg, drops, addr, sc)
    fig = charts.gantt_figure(r)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels and all("(" in x for x in labels)
    assert len(fig.axes[0].lines) == 2  # two deadline lines
    png = charts.figure_png(charts.gantt_figure(r))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    h = schedule_files.gantt_html(r)
    assert "<svg" in h and "http://" not in h.replace("http://www.w3.org/2000/svg", "") and "https://" not in h
    assert h.count("<rect") == r.work_packages["start"].notna().sum()


# --------------------------------------------------------------------------
# progress against as-built
# --------------------------------------------------------------------------


def test_as_built_progress_hand_example():
    segs = [(1, -1, "aerial", "", 3000, "0000001", "not_needed"),      # built
            (2, 1, "trench", "unpaved", 1000, "0000001", "not_needed"),  # built
            (3, 1, "duct", "", 2000, "0000002", "not_needed"),          # half built -> not built
            (4, 3, "aerial", "", 1000, "0000002", "not_needed")]        # built, but upstream is not
    seg, drops, addr = make_case(segs, {1: 2, 2: 2, 3: 3, 4: 3})
    g = seg.set_index("segment_id").geometry
    half = LineString([g[3].coords[0], g[3].interpolate(1000).coords[0]])
    ab = gpd.GeoDataFrame({
        "id": ["s1", "s2", "s3", "s4", "c1", "c2"],
        "kind": ["segment"] * 4 + ["connection"] * 2,
        "deployment": ["aerial", "trench", "duct", "aerial", "", ""],
        "address_id": ["", "", "", "", "a001_000", "a002_001"],
        "built_on": pd.to_datetime(["2025-05-05", "2025-05-20", "2025-05-30", "2025-05-30", "2025-06-02",
                                    "2025-06-03"]),
    }, geometry=[g[1], g[2], half, g[4], Point(0, 0), Point(0, 0)], crs="EPSG:2180")
    sc = cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 6, 30), localities=("Alfa",)),
                         Milestone(name="M2", deadline=dt.date(2025, 7, 31))))
    r = S.build_schedule(seg, drops, addr, sc, as_built=ab)
    p = S.progress_report(r)
    assert p.km_built == pytest.approx((3000 + 1000 + 1000 + 1000) / 1000)
    assert p.km_underground == pytest.approx((1000 + 1000) / 1000)  # trench + half the duct
    assert p.km_planned == pytest.approx(7.0) and p.km_planned_built == pytest.approx(5.0)
    assert r.segments.set_index("segment_id")["as_built"].to_dict() == {1: True, 2: True, 3: False, 4: True}
    assert p.pct_passed == pytest.approx(100 * 4 / 10)  # Alfa's 4 passed; Beta's path not built
    assert p.pct_connected == pytest.approx(100 * 2 / 10)
    loc = r.progress.set_index("simc")
    assert loc.loc["0000001", "pct_passed"] == 100.0 and loc.loc["0000002", "pct_passed"] == 0.0
    assert loc.loc["0000001", "km_underground_built"] == pytest.approx(1.0)
    assert p.as_of == dt.date(2025, 6, 3)
    # rate: 5000 m over the working days 5 May .. 3 June
    wd = len(S.working_days(dt.date(2025, 5, 5), dt.date(2025, 6, 3)))
    assert p.rate_m_per_day == pytest.approx(round(5000 / wd, 1))
    assert p.milestones_at_risk == []
    # remaining 2 km at the rate, from the first working day after as_of
    assert p.forecast_completion == oracle_end(dt.date(2025, 6, 4), int(np.ceil(2000 / (5000 / wd))))
    tight = cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 6, 30), localities=("Alfa",)),
                            Milestone(name="M2", deadline=dt.date(2025, 6, 10))))
    assert S.progress_report(S.build_schedule(seg, drops, addr, tight, as_built=ab)).milestones_at_risk == ["M2"]
    assert S.progress_report(S.build_schedule(seg, drops, addr, tight)) is None
    ms = p.milestones.set_index("milestone")
    assert ms.loc["M1", "remaining_km"] == 0.0 and ms.loc["M2", "remaining_km"] == pytest.approx(2.0)
    assert "km built" in p.to_text()
    assert (r.addresses.set_index("id").loc[["a001_000", "a002_001"], "plan_status"] == "connected").all()
    # village states for maps: Alfa has passed 80 %, Beta not yet but its milestone is not at risk
    st = S.village_states(r.progress, sc.pass_threshold).set_index("simc")
    assert st["village_state"].to_dict() == {"0000001": "built", "0000002": "remaining"}
    assert st["milestone_reachable"].all() and list(st["pct_passed_now"]) == [100.0, 0.0]
    st = S.village_states(S.build_schedule(seg, drops, addr, tight, as_built=ab).progress, 0.8).set_index("simc")
    assert st.loc["0000002", "village_state"] == "at_risk" and not st.loc["0000002", "milestone_reachable"]


def test_project_end_overrun_is_infeasible():
    # milestones met, but the drops run past the project end with one slow drop crew
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000001", "not_needed")], {1: 40})
    sc = cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 6, 30)),), project_end=dt.date(2025, 5, 16),
             crews={"drop_crews": 1, "drops_per_day": 2.0}, max_package_days=5)
    r = S.build_schedule(seg, drops, addr, sc)
    assert r.milestones["ok"].all()
    assert r.work_packages["end"].max() > pd.Timestamp("2025-05-16")
    assert not r.feasible and r.binding_constraint == "crew_capacity"
    # 40 drops at 2/day = 20 drop-days in 4 packages of 5 days: one crew ends 27 May, two crews 12 May
    assert r.min_crews["drop_crews"] == 2
    assert S.build_schedule(seg, drops, addr, cfg(milestones=sc.milestones, project_end=sc.project_end,
                                                  crews={**r.min_crews, "drops_per_day": 2.0},
                                                  max_package_days=5)).feasible


def test_as_built_survey_gap_tolerated():
    # 10 segments in a chain; the survey misses segment 2 (10 % of the path): points beyond still passed
    segs = [(i, i - 1 if i > 1 else -1, "aerial", "", 100, "0000001", "not_needed") for i in range(1, 11)]
    seg, drops, addr = make_case(segs, {10: 4, 3: 1})
    g = seg.set_index("segment_id").geometry
    ids = [i for i in range(1, 11) if i != 2]
    ab = gpd.GeoDataFrame({"id": [f"s{i}" for i in ids], "kind": "segment", "deployment": "aerial",
                           "address_id": "", "built_on": pd.Timestamp("2025-05-05")},
                          geometry=[g[i] for i in ids], crs="EPSG:2180")
    r = S.build_schedule(seg, drops, addr, cfg(), as_built=ab)
    p = S.progress_report(r)
    # segment 3: path 300 m, 200 m built (67 %) -> not passed; segment 10: 900/1000 m -> passed
    assert p.pct_passed == pytest.approx(100 * 4 / 5)
    assert p.km_built == pytest.approx(0.9) and p.km_underground == 0.0


@settings(max_examples=25, deadline=None)
@given(start=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31)),
       n=st.integers(min_value=1, max_value=60), saturdays=st.booleans(), trench=st.booleans())
def test_calendar_matches_oracle(start, n, saturdays, trench):
    """End of n working days from any start = walking the calendar with the holidays library."""
    sc = cfg(start=start, work_saturdays=saturdays, trench_winter_stop=("12-15", "02-28"))
    cal = Calendar(sc)
    c = 1 if trench else 0
    s = cal.first(c, 0.0)
    e = cal.finish(c, s, float(n))
    first_day = cal.date(int(s))
    stop = ((12, 15), (2, 28)) if trench else None
    assert first_day == oracle_end(start, 1, saturdays=saturdays, trench_stop=stop)
    assert cal.date(int(end_day(np.array([e]))[0])) == oracle_end(first_day, n, saturdays=saturdays,
                                                                       trench_stop=stop)
    # half a day more ends on the next working day
    e2 = cal.finish(c, s, n + 0.5)
    assert cal.date(int(end_day(np.array([e2]))[0])) == oracle_end(first_day, n + 1, saturdays=saturdays,
                                                                        trench_stop=stop)


def test_no_network_and_bad_trees_reported():
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000001", "not_needed")], {1: 3})
    # targets the design could not reach: reported, no crash, every writer works
    a = addr.assign(plan_status="unconnected", unconnected_reason="reach")
    r = S.build_schedule(seg.iloc[:0], drops.iloc[:0], a,
                         cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 6, 30)),)))
    assert not r.feasible and r.binding_constraint == "unconnected_points" and len(r.work_packages) == 0
    assert r.compliance["missing_reason"].tolist() == ["3 unconnected (reach: 3)"]
    assert schedule_files.schedule_xlsx_bytes(r)[:2] == b"PK" and "<svg" in schedule_files.gantt_html(r)
    assert charts.figure_png(charts.gantt_figure(r))
    # a parent that does not exist, and a cycle
    from planner._errors import InputDataError

    bad = seg.assign(parent_id=7)
    with pytest.raises(InputDataError, match="unknown parents"):
        S.build_schedule(bad, drops, addr, cfg())
    cyc, d2, a2 = make_case([(3, -1, "aerial", "", 100, "0000001", "not_needed")], {3: 1})
    cyc = pd.concat([cyc, cyc.iloc[[0, 0]].assign(segment_id=[1, 2], parent_id=[2, 1])], ignore_index=True)
    with pytest.raises(InputDataError, match="cycle"):
        S.build_schedule(gpd.GeoDataFrame(cyc, crs="EPSG:2180"), d2, a2, cfg())


# --------------------------------------------------------------------------
# infeasibility in words (issue #21)
# --------------------------------------------------------------------------


def test_infeasible_schedule_explained_in_words(caplog):
    # no crew count helps: 2 working days of aerial from Wed 2025-04-30 cannot end by Thu 1 May (a holiday)
    segs = [(1, -1, "aerial", "", 900, "0000001", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 5})
    m = (Milestone(name="M1", deadline=dt.date(2025, 5, 1)),)
    sc = cfg(start=dt.date(2025, 4, 30), milestones=m, consent_lead_days=0, crews={"aerial_m_per_day": 450.0})
    with caplog.at_level("WARNING", logger="planner.schedule"):
        r = S.build_schedule(seg, drops, addr, sc)
    assert r.binding_constraint == "calendar" and r.min_crews is None
    text = caplog.text
    assert "minimum crews None" not in text and "binding constraint calendar" not in text
    assert "no crew count meets them" in text and r.diagnosis in text
    assert "M1 (2025-05-01): 1 of its localities below 80 % (Alfa)" in r.diagnosis
    assert "even with unlimited crews and every pending consent granted at once" in r.diagnosis
    assert "with every day a working day they would be met" in r.diagnosis
    # the trench winter stop alone: named as the reason
    segs = [(1, -1, "trench", "unpaved", 180 * 20, "0000001", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 5})
    sc = cfg(start=dt.date(2025, 12, 1), milestones=(Milestone(name="M1", deadline=dt.date(2026, 1, 31)),),
             consent_lead_days=0, max_package_days=100, trench_winter_stop=("12-15", "02-28"))
    r = S.build_schedule(seg, drops, addr, sc)
    assert r.binding_constraint == "calendar"
    assert "the trench winter stop (12-15 to 02-28: no trenching) leaves too few working days" in r.diagnosis
    # more crews would help: said so, with the crews
    seg, drops, addr, ms = _capacity_case()
    r = S.build_schedule(seg, drops, addr, cfg(milestones=ms, crews={"aerial_crews": 1, "aerial_m_per_day": 900.0}))
    assert "more crews would meet them" in r.diagnosis and "2 aerial" in r.diagnosis
    # feasible: nothing to explain
    assert S.build_schedule(seg, drops, addr, cfg(milestones=ms, crews={"aerial_crews": 2,
                                                                          "aerial_m_per_day": 900.0})).diagnosis == ""
