"""Tests of planner.replanning on small hand-made trees.

Oracles: the plan's own schedule (an empty as-built re-plans to it), hand-built
as-built layers (everything built, digitising offsets, planted off-plan and
inconsistent records), exhaustive search over small crew grids for the crew
search, and hand-computed calendars for the binding constraints.
"""

from __future__ import annotations

import datetime as dt
import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from shapely.affinity import translate
from shapely.geometry import LineString, Point
from test_schedule import FAR, _random_tree, cfg, make_case, oracle_end

from planner._errors import ConfigError, UsageError
from planner.config import Milestone
from planner.replanning import replan_schedule
from planner.replanning.stage import replan_problem
from planner.replanning.whatittakes import Evaluator
from planner.schedule import build_schedule
from planner.schema import ASBUILT_ISSUE_COLUMNS, ASBUILT_ISSUE_REASONS, VILLAGE_STATES

START = dt.date(2025, 4, 28)


def as_built(seg, ids=None, *, dx=0.0, dy=0.0, date="2025-05-05", connections=(), addr=None, extra=()):
    """As-built layer: the planned lines of ``ids`` (shifted), connection points of ``connections``."""
    g = seg.set_index("segment_id")
    rows = []
    for sid in (g.index if ids is None else ids):
        rows.append({"id": f"s{sid}", "kind": "segment", "deployment": g.loc[sid, "deployment"], "address_id": "",
                     "built_on": pd.Timestamp(date), "geometry": translate(g.loc[sid, "geometry"], dx, dy)})
    if connections:
        a = addr.set_index("id")
        for aid in connections:
            rows.append({"id": f"c{aid}", "kind": "connection", "deployment": "", "address_id": aid,
                         "built_on": pd.Timestamp(date), "geometry": a.loc[aid, "geometry"]})
    rows += list(extra)
    cols = ["id", "kind", "deployment", "address_id", "built_on", "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry="geometry", crs="EPSG:2180")


def two_milestones(**kw):
    ms = (Milestone(name="M1", deadline=dt.date(2026, 6, 30), localities=("Beta",)), Milestone(name="M2", deadline=FAR))
    return cfg(milestones=ms, **kw)


# --------------------------------------------------------------------------
# the re-plan equals the plan when nothing is built; nothing remains when all is
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed,auto", [(1, False), (2, False), (3, True)])
def test_empty_as_built_replans_to_the_original_schedule(seed, auto):
    seg, drops, addr = _random_tree(seed)
    if auto:
        sc = cfg(milestones=(Milestone(name="M1", deadline=dt.date(2025, 9, 30)), Milestone(name="M2", deadline=FAR)),
                 auto_assign=True, max_package_days=5)
    else:
        sc = two_milestones(max_package_days=5)
    base = build_schedule(seg, drops, addr, sc)
    for ab in (None, as_built(seg, [])):
        r = replan_schedule(seg, drops, addr, ab, sc, as_of=sc.start_date)
        pd.testing.assert_frame_equal(r.remaining.work_packages, base.work_packages)
        pd.testing.assert_frame_equal(r.remaining.compliance, base.compliance)
        pd.testing.assert_frame_equal(r.remaining.milestones, base.milestones)
        assert r.remaining.addresses["passed_date"].equals(base.addresses["passed_date"])
        assert r.progress.km_built == 0.0 and r.progress.pct_passed == 0.0
        assert (r.segments["state"] == "remaining").all() and len(r.issues) == 0


def test_everything_built_nothing_remains():
    seg, drops, addr = _random_tree(4, n=25)
    sc = two_milestones()
    targets = addr.loc[addr["is_target"], "id"].tolist()
    r = replan_schedule(seg, drops, addr, as_built(seg, dx=1.5, dy=-1.0, connections=targets, addr=addr), sc,
                        as_of=dt.date(2025, 9, 1))
    assert len(r.remaining.work_packages) == 0
    assert (r.segments["state"] == "built").all() and (r.segments["remaining_m"] == 0).all()
    assert (r.villages["village_state"] == "built").all() and (r.villages["pct_passed_now"] == 100.0).all()
    assert r.progress.pct_passed == 100.0 and r.progress.pct_connected == 100.0
    assert r.progress.km_built == pytest.approx(seg["length_m"].sum() / 1000.0, abs=1e-3)
    assert len(r.issues) == 0
    assert r.milestones.set_index("goal").loc["all", "met_with_current_crews"]
    # network built, no connection yet: only drops remain, every point already passed
    r = replan_schedule(seg, drops, addr, as_built(seg), sc, as_of=dt.date(2025, 9, 1))
    assert set(r.remaining.work_packages["kind"]) == {"drops"}
    assert r.progress.pct_passed == 100.0 and r.progress.pct_connected == 0.0


# --------------------------------------------------------------------------
# matching: digitising offsets, off-plan and inconsistent records
# --------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [1.0, 2.0])
def test_matching_tolerates_offsets_and_reports_off_plan_lines(offset):
    segs = [(1, -1, "aerial", "", 900, "0000001", "not_needed"),
            (2, 1, "trench", "unpaved", 300, "0000001", "not_needed"),
            (3, -1, "aerial", "", 1200, "0000002", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 2, 2: 2, 3: 3})
    off = LineString([(510_000.0, 520_000.0), (510_250.0, 520_000.0)])  # 20 km away from the plan
    extra = [{"id": "far", "kind": "segment", "deployment": "trench", "address_id": "",
              "built_on": pd.Timestamp("2025-05-06"), "geometry": off}]
    ab = as_built(seg, [1, 2], dx=offset, dy=offset / 2, extra=extra)
    r = replan_schedule(seg, drops, addr, ab, cfg(), as_of=dt.date(2025, 6, 2))
    state = r.segments.set_index("segment_id")["state"]
    assert state.to_dict() == {1: "built", 2: "built", 3: "remaining"}
    # the off-plan line is reported, not dropped: in km built, not as planned work
    issues = r.issues.set_index("id")
    assert issues.loc["far", "reason"] == "off_plan" and bool(issues.loc["far", "counted"])
    assert "0% of its 250 m" in issues.loc["far", "detail"]
    assert r.progress.km_built == pytest.approx((900 + 300 + 250) / 1000.0, abs=1e-6)
    assert r.progress.km_underground == pytest.approx((300 + 250) / 1000.0, abs=1e-6)
    assert r.progress.km_planned_built == pytest.approx(1.2)
    assert list(r.issues.columns) == list(ASBUILT_ISSUE_COLUMNS)
    # the remaining work is segment 3 and every drop not connected yet
    wp = r.remaining.work_packages
    assert wp.loc[wp["unit"] == "m", "quantity"].sum() == pytest.approx(1200, abs=0.1)


def test_inconsistent_records_are_listed_never_dropped():
    segs = [(1, -1, "aerial", "", 900, "0000001", "not_needed"),
            (2, 1, "aerial", "", 900, "0000001", "not_needed"),
            (3, -1, "trench", "paved", 300, "0000002", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 2, 2: 2, 3: 2}, unconnected={"0000002": 1})
    grey = addr.iloc[[0]].assign(id="grey1", is_target=False, plan_status="grey")
    addr = pd.concat([addr, grey], ignore_index=True)
    g = seg.set_index("segment_id").geometry
    ab = as_built(seg, [1], connections=["a001_000", "a002_000"], addr=addr, date="2025-05-05")
    d = pd.Timestamp
    extra = [
        # a future-dated line, a second record of segment 1, a line recorded as a point
        {"id": "future", "kind": "segment", "deployment": "aerial", "address_id": "", "built_on": d("2025-09-01"),
         "geometry": g[2]},
        {"id": "again", "kind": "segment", "deployment": "aerial", "address_id": "", "built_on": d("2025-05-07"),
         "geometry": translate(g[1], 0.5, 0.5)},
        {"id": "point", "kind": "segment", "deployment": "aerial", "address_id": "", "built_on": d("2025-05-07"),
         "geometry": Point(g[3].coords[0])},
        # built as aerial where trench is planned, and before the project started
        {"id": "dep", "kind": "segment", "deployment": "aerial", "address_id": "", "built_on": d("2025-01-10"),
         "geometry": g[3]},
        # connections: twice the same address, unknown, not a target, unconnected by the design, far away
        {"id": "dupc", "kind": "connection", "deployment": "", "address_id": "a001_000", "built_on": d("2025-05-09"),
         "geometry": Point(g[1].coords[-1])},
        {"id": "nobody", "kind": "connection", "deployment": "", "address_id": "zzz", "built_on": d("2025-05-09"),
         "geometry": Point(0, 0)},
        {"id": "greyc", "kind": "connection", "deployment": "", "address_id": "grey1", "built_on": d("2025-05-09"),
         "geometry": addr.geometry.iloc[-1]},
        {"id": "uncon", "kind": "connection", "deployment": "", "address_id": "u0000002_000",
         "built_on": d("2025-05-09"), "geometry": Point(500_600.0, 501_000.0)},
    ]
    ab = pd.concat([ab, as_built(seg, [], extra=extra)], ignore_index=True)
    r = replan_schedule(seg, drops, addr, ab, cfg(), as_of=dt.date(2025, 6, 2))
    by_id = r.issues.groupby("id")["reason"].apply(set).to_dict()
    assert by_id["future"] == {"future_dated"}
    assert by_id["again"] == {"duplicate_segment"}
    assert by_id["point"] == {"geometry_kind_mismatch"}
    assert by_id["dep"] == {"deployment_differs", "before_project_start"}
    assert by_id["dupc"] == {"duplicate_connection"}
    assert by_id["nobody"] == {"unknown_address"}
    assert by_id["greyc"] == {"not_a_target"}
    assert by_id["uncon"] == {"not_in_plan", "far_from_address"}
    # a002_000 hangs off segment 2, which is not built: connected without a built path
    assert by_id["ca002_000"] == {"connected_without_path"}
    assert set(r.issues["reason"]) <= set(ASBUILT_ISSUE_REASONS)
    # never dropped: every record not counted is listed with a reason saying so
    counted = ~ab["id"].isin(r.issues.loc[~r.issues["counted"], "id"])
    not_counted = set(ab.loc[~counted, "id"])
    assert not_counted == {"future", "again", "point", "dupc", "nobody", "greyc"}
    # counted: segment 1 and 3 built (deployment differs but it is there), connections of a001_000, a002_000,
    # the unconnected target (the field wins over the design)
    assert r.segments.set_index("segment_id")["state"].to_dict() == {1: "built", 2: "remaining", 3: "built"}
    assert r.progress.pct_connected == pytest.approx(100 * 3 / 7, abs=0.05)
    assert r.progress.km_built == pytest.approx(1.2)  # 900 + 300; the duplicate is not counted twice


def test_short_line_continuing_another_is_not_a_duplicate():
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000001", "not_needed")], {1: 2})
    (x0, y0), (x1, y1) = seg.geometry.iloc[0].coords
    stub = {"id": "stub", "kind": "segment", "deployment": "aerial", "address_id": "",
            "built_on": pd.Timestamp("2025-05-06"), "geometry": LineString([(x1, y1), (x1 + 8.0, y1)])}
    r = replan_schedule(seg, drops, addr, as_built(seg, [1], extra=[stub]), cfg(), as_of=dt.date(2025, 6, 2))
    assert "duplicate_segment" not in set(r.issues["reason"])
    assert r.progress.km_built == pytest.approx(0.908)


def test_segment_ids_name_planned_segments():
    segs = [(1, -1, "aerial", "", 900, "0000001", "not_needed"), (2, 1, "aerial", "", 900, "0000001", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 2, 2: 2})
    far = LineString([(510_000.0, 520_000.0), (510_900.0, 520_000.0)])
    extra = [{"id": "byid", "kind": "segment", "deployment": "aerial", "address_id": "",
              "built_on": pd.Timestamp("2025-05-05"), "geometry": far},
             {"id": "badid", "kind": "segment", "deployment": "aerial", "address_id": "",
              "built_on": pd.Timestamp("2025-05-05"), "geometry": seg.geometry.iloc[1]}]
    ab = as_built(seg, [], extra=extra).assign(segment_id=[1, 99])
    r = replan_schedule(seg, drops, addr, ab, cfg(), as_of=dt.date(2025, 6, 2))
    assert r.segments.set_index("segment_id")["state"].to_dict() == {1: "built", 2: "built"}
    by_id = r.issues.set_index("id")["reason"].to_dict()
    assert by_id == {"byid": "id_geometry_mismatch", "badid": "unknown_segment_id"}


# --------------------------------------------------------------------------
# dates and milestones
# --------------------------------------------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(seed=st.integers(1, 50), built_share=st.floats(0.0, 1.0), days=st.integers(0, 500))
def test_dates_never_before_the_as_of_date(seed, built_share, days):
    seg, drops, addr = _random_tree(seed, n=20)
    sc = two_milestones(max_package_days=5)
    as_of = START + dt.timedelta(days=days)
    rng = np.random.default_rng(seed)
    ids = [i for i in seg["segment_id"] if rng.random() < built_share]
    r = replan_schedule(seg, drops, addr, as_built(seg, ids, date=str(START)), sc, as_of=as_of)
    ts = pd.Timestamp(as_of)
    wp = r.remaining.work_packages
    assert (wp["start"].dropna() >= ts).all() and (wp["end"].dropna() >= ts).all()
    assert (r.segments["start"].dropna() >= ts).all()
    assert (r.villages["threshold_date"].dropna() >= ts).all()
    assert (r.villages["complete_date"].dropna() >= ts).all()
    assert (r.curves.loc[r.curves["forecast_km"].notna(), "date"] >= ts).all()
    assert (r.curves.loc[r.curves["actual_km"].notna(), "date"] <= ts).all()
    assert set(r.villages["village_state"]) <= set(VILLAGE_STATES)
    # the remaining network is the plan minus what is built (lines of other segments within the match
    # distance cover parts of some unbuilt ones in these synthetic trees)
    rem = wp.loc[wp["unit"] == "m", "quantity"].sum()
    left = seg.loc[~seg["segment_id"].isin(ids), "length_m"].sum()
    assert rem == pytest.approx(r.segments["remaining_m"].sum(), abs=0.05 * max(len(wp), 1))
    assert rem <= left + 0.05 * max(len(wp), 1)


def test_passed_milestone_reports_share_and_lateness():
    # Alfa's milestone M1 passed before the as-of date with half of it built
    segs = [(1, -1, "aerial", "", 900, "0000001", "not_needed"), (2, 1, "aerial", "", 9000, "0000001", "not_needed"),
            (3, -1, "aerial", "", 900, "0000002", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 5, 2: 5, 3: 4})
    ms = (Milestone(name="M1", deadline=dt.date(2025, 6, 30), localities=("Alfa",)), Milestone(name="M2", deadline=FAR))
    sc = cfg(milestones=ms, crews={"aerial_m_per_day": 900.0, "aerial_crews": 1})
    ab = as_built(seg, [1], date="2025-05-02")
    as_of = dt.date(2025, 9, 1)  # a Monday
    r = replan_schedule(seg, drops, addr, ab, sc, as_of=as_of)
    m1 = r.milestones.set_index("goal").loc["M1"]
    assert m1["status"] == "passed" and m1["binding_constraint"] == "deadline_passed"
    assert not m1["met_with_current_crews"]
    assert m1["pct_at_deadline"] == 50.0 and m1["villages_below_now"] == 1
    v = r.villages.set_index("locality").loc["Alfa"]
    assert v["milestone_passed"] and v["village_state"] == "at_risk" and v["pct_passed_now"] == 50.0
    # 10 working days of aerial from Mon 1 Sep: the 80 % is reached on Fri 12 Sep, 74 days late
    assert v["threshold_date"] == pd.Timestamp("2025-09-12") and v["days_late"] == 74
    assert "74 days late" in m1["answer"]


# --------------------------------------------------------------------------
# what it takes: crew search (exhaustive oracle), binding constraints, village order
# --------------------------------------------------------------------------


def _rates(sc):
    return {t: getattr(sc.crews, f"{t}_day_rate_pln") for t in ("aerial", "duct", "trench", "drop")}


@pytest.mark.parametrize("seed,rates", [(5, {}), (11, {}), (17, {}),
                                        (11, {"aerial_day_rate_pln": 20_000.0, "trench_day_rate_pln": 1_000.0})])
def test_crew_search_returns_the_cheapest_mix(seed, rates):
    seg, drops, addr = _random_tree(seed, n=14)
    ms = (Milestone(name="M1", deadline=dt.date(2025, 7, 15), localities=("Beta",)),
          Milestone(name="M2", deadline=dt.date(2025, 10, 31)))
    sc = cfg(milestones=ms, max_package_days=3, consent_lead_days=20, project_end=dt.date(2026, 3, 31), crews=rates)
    sc = sc.model_copy(update={"replan": sc.replan.model_copy(update={"max_crews_per_type": 3})})
    as_of = dt.date(2025, 5, 5)
    r = replan_schedule(seg, drops, addr, None, sc, as_of=as_of, crews={"aerial": 1, "duct": 1, "trench": 1})
    ev = Evaluator(replan_problem(seg, drops, addr, None, sc, as_of=as_of,
                                  crews={"aerial": 1, "duct": 1, "trench": 1}).remaining)
    rates = _rates(sc)
    n_pk = {t: sum(1 for x in ev.model.graph.crew_type if x == t) for t in rates}
    checked = 0
    for row in r.milestones[r.milestones["status"] == "ahead"].itertuples():
        types = ["aerial", "duct", "trench"] + (["drop"] if row.goal in ("project end", "all") else [])
        grid = [range(min(3, n_pk[t]) + 1) for t in types]
        best = None
        for combo in itertools.product(*grid):  # exhaustive oracle
            crews = {"aerial": 1, "duct": 1, "trench": 1, "drop": 3, **dict(zip(types, combo))}
            if ev.goal(ev.verdict(crews), row.goal):
                cost = sum(rates[t] * crews[t] for t in rates)
                best = cost if best is None else min(best, cost)
        if best is None:
            assert pd.isna(row.aerial_crews) and row.binding_constraint
        else:
            checked += 1
            assert row.day_cost_pln == pytest.approx(best) and row.minimal
            mix = {t: int(getattr(row, f"{t}_crews")) for t in rates}
            assert ev.goal(ev.verdict(mix), row.goal)
    assert checked


def test_replan_options_from_toml(tmp_path):
    from planner.config import load_config

    p = tmp_path / "c.toml"
    p.write_text('extends = "demo"\n[schedule.crews]\ntrench_day_rate_pln = 9000\n'
                 "[schedule.replan]\nmax_crews_per_type = 6\nconsent_lead_days = 30\n", encoding="utf-8")
    c = load_config(p).schedule
    assert c.crews.trench_day_rate_pln == 9000 and c.crews.trench_crews == 4
    assert c.replan.max_crews_per_type == 6 and c.replan.consent_lead_days == 30
    p.write_text("[schedule.replan]\nmax_crews = 6\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_crews"):
        load_config(p)


def test_consent_lead_time_counts_from_the_as_of_date():
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000001", "pending")], {1: 3})
    sc = cfg(consent_lead_days=90)
    as_of = dt.date(2025, 9, 1)
    r = replan_schedule(seg, drops, addr, None, sc, as_of=as_of)
    wp = r.remaining.work_packages
    # 90 calendar days from the as-of date fall on Sunday 30 November: the first working day after it
    assert wp.loc[wp["kind"] == "aerial", "start"].iloc[0] == pd.Timestamp(oracle_end(as_of + dt.timedelta(days=90), 1))
    assert oracle_end(as_of + dt.timedelta(days=90), 1) == dt.date(2025, 12, 1)
    sc = sc.model_copy(update={"replan": sc.replan.model_copy(update={"consent_lead_days": 10})})
    wp = replan_schedule(seg, drops, addr, None, sc, as_of=as_of).remaining.work_packages
    assert wp.loc[wp["kind"] == "aerial", "start"].iloc[0] == pd.Timestamp("2025-09-11")


def _one_village(segs, n_points, deadline, **kw):
    seg, drops, addr = make_case(segs, n_points)
    sc = cfg(milestones=(Milestone(name="M1", deadline=deadline),), **kw)
    return seg, drops, addr, sc


def _binding(r, goal="M1"):
    row = r.milestones.set_index("goal").loc[goal]
    return row["binding_constraint"], row["answer"]


def test_binding_constraints_when_no_crews_help():
    as_of = dt.date(2025, 12, 1)
    # consent: the only segment waits 200 days for its consent
    seg, drops, addr, sc = _one_village([(1, -1, "aerial", "", 900, "0000001", "pending")], {1: 3},
                                        dt.date(2026, 3, 31), consent_lead_days=200)
    b, answer = _binding(replan_schedule(seg, drops, addr, None, sc, as_of=as_of))
    assert b == "consent_lead_time" and "consents" in answer
    # winter stop: 20 trenching days from 1 Dec cannot end by 31 Jan with the stop 15 Dec - 28 Feb
    seg, drops, addr, sc = _one_village([(1, -1, "trench", "unpaved", 180 * 20, "0000001", "not_needed")], {1: 3},
                                        dt.date(2026, 1, 31), max_package_days=100,
                                        trench_winter_stop=("12-15", "02-28"))
    assert _binding(replan_schedule(seg, drops, addr, None, sc, as_of=as_of))[0] == "winter_stop"
    # calendar: 2 working days from Friday 5 Dec, deadline Saturday
    seg, drops, addr, sc = _one_village([(1, -1, "aerial", "", 1800, "0000001", "not_needed")], {1: 3},
                                        dt.date(2025, 12, 6))
    r = replan_schedule(seg, drops, addr, None, sc, as_of=dt.date(2025, 12, 5))
    assert _binding(r)[0] == "calendar"
    # dependency chain: 4 working days cannot end on the as-of date
    seg, drops, addr, sc = _one_village([(1, -1, "aerial", "", 3600, "0000001", "not_needed")], {1: 3},
                                        dt.date(2025, 12, 1))
    assert _binding(replan_schedule(seg, drops, addr, None, sc, as_of=as_of))[0] == "dependency_chain"
    # unconnected points: the design connects 1 of 5
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000001", "not_needed")], {1: 1},
                                 unconnected={"0000001": 4})
    sc = cfg(milestones=(Milestone(name="M1", deadline=FAR),))
    assert _binding(replan_schedule(seg, drops, addr, None, sc, as_of=as_of))[0] == "unconnected_points"
    # crew capacity: four 10-day villages by 30 working days need 2 crews; at most 1 allowed
    segs = [(i, -1, "aerial", "", 9000, s, "not_needed") for i, s in enumerate(["0000001", "0000002", "0000004"], 1)]
    seg, drops, addr, sc = _one_village(segs, {1: 2, 2: 2, 3: 2}, dt.date(2026, 1, 9),
                                        crews={"aerial_m_per_day": 900.0})
    sc = sc.model_copy(update={"replan": sc.replan.model_copy(update={"max_crews_per_type": 1})})
    b, answer = _binding(replan_schedule(seg, drops, addr, None, sc, as_of=as_of, crews={"aerial": 1}))
    assert b == "crew_capacity" and "more than 1 crews" in answer


def test_village_order_saves_a_milestone():
    # Alfa (M1, passed, nothing built) takes 10 days, Beta (M2, due in 7 working days) 5; one aerial crew
    segs = [(1, -1, "aerial", "", 9000, "0000001", "not_needed"), (2, -1, "aerial", "", 4500, "0000002", "not_needed")]
    seg, drops, addr = make_case(segs, {1: 4, 2: 4})
    ms = (Milestone(name="M1", deadline=dt.date(2025, 8, 29), localities=("Alfa",)),
          Milestone(name="M2", deadline=dt.date(2025, 9, 9), localities=("Beta",)))
    sc = cfg(milestones=ms, crews={"aerial_crews": 1, "aerial_m_per_day": 900.0})
    r = replan_schedule(seg, drops, addr, None, sc, as_of=dt.date(2025, 9, 1))
    m2 = r.milestones.set_index("goal").loc["M2"]
    assert not m2["met_with_current_crews"] and m2["aerial_crews"] == 2
    s = r.order_summary
    assert s["improves"] and s["postponed"] == ["Alfa"]
    assert (s["milestones_met_now"], s["milestones_met_proposed"]) == (0, 1)
    o = r.order.set_index("locality")
    assert o.loc["Beta", "rank"] == 1 and o.loc["Alfa", "postponed"]
    assert not o.loc["Beta", "on_time_now"] and o.loc["Beta", "on_time_proposed"]
    assert o.loc["Beta", "threshold_date_proposed"] == pd.Timestamp("2025-09-05")


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------


def test_bad_as_of_and_crews_are_refused():
    seg, drops, addr = make_case([(1, -1, "aerial", "", 900, "0000001", "not_needed")], {1: 2})
    sc = cfg(project_end=dt.date(2027, 1, 21))
    with pytest.raises(UsageError, match="before the project start"):
        replan_schedule(seg, drops, addr, None, sc, as_of=dt.date(2025, 4, 27))
    with pytest.raises(UsageError, match="far in the future"):
        replan_schedule(seg, drops, addr, None, sc, as_of=dt.date(2030, 1, 1))
    with pytest.raises(ConfigError, match="invalid crews") as exc:
        replan_schedule(seg, drops, addr, None, sc, as_of=START, crews={"ariel": 2, "trench": -1})
    text = str(exc.value)
    assert "unknown crew type 'ariel'" in text and "trench=-1" in text
