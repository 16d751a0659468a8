"""Acceptance on the embedded demo area: the full plan, end to end.

Figures are checked against independent computations on the plan's own
tables (networkx on the segments, pandas on the addresses), not against the
code that produced them.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from planner._errors import InputDataError

pytestmark = pytest.mark.xdist_group("demo")

STASI_LAS_WHITE_STREETS = {"Jutrzenki", "Księżycowa", "Pałacowa", "Pogodna", "Prosta", "Radosna", "Tęczowa",
                           "Warszawska", "Helenki"}
REASONS = {"consent_refused", "no_road_access", "reach", "long_drop_excluded"}


def test_white_spots_match_the_contract(demo_plan):
    a = demo_plan.addresses
    white = a["ws_class"] == "white"
    assert white.sum() == 7614
    assert (white & a["is_business"]).sum() == 438
    serock = a["terc"].str.startswith("140804")
    assert 0.62 <= (white & serock).sum() / white.sum() <= 0.72
    stasi = a[a["locality"] == "Stasi Las"]
    assert set(stasi.loc[stasi["ws_class"] == "white", "street"]) == STASI_LAS_WHITE_STREETS
    assert (stasi.loc[~stasi["street"].isin(STASI_LAS_WHITE_STREETS), "ws_class"] != "white").all()
    koch = a["street"].str.contains("Kochanowskiego")
    assert koch.sum() > 0 and (a.loc[koch, "ws_class"] != "white").all()
    # The per-locality table adds up to the address layer.
    loc = demo_plan.localities
    assert loc["white"].sum() == 7614 and loc["points"].sum() == len(a)


def test_every_target_is_connected_or_listed_with_a_reason(demo_plan):
    a = demo_plan.addresses
    d = demo_plan.design
    targets = a[a["is_target"]]
    status = targets["plan_status"]
    assert status.isin(["connect", "unconnected", "connected"]).all()
    unconnected = set(d.unconnected["address_id"])
    assert unconnected == set(targets.loc[status == "unconnected", "id"])
    assert set(d.unconnected["reason"]) <= REASONS
    connected = set(targets.loc[status != "unconnected", "id"])
    assert connected == set(d.drops["address_id"])
    # Nearly all targets are reachable in the demo; the few exceptions have a reason.
    assert len(connected) >= 0.99 * len(targets)


def test_tree_is_a_tree_rooted_at_the_pops_and_costs_less_than_naive(demo_plan):
    seg = demo_plan.design.segments
    g = nx.Graph()
    g.add_edges_from(zip(seg["u"], seg["v"]))
    assert nx.is_forest(g)
    # Every segment's parent is upstream: following parent ids ends at a root (-1).
    parent = dict(zip(seg["segment_id"], seg["parent_id"]))
    for sid in seg["segment_id"].to_numpy()[:: max(1, len(seg) // 500)]:
        seen = 0
        while sid != -1:
            sid = parent[sid]
            seen += 1
            assert seen <= len(seg)
    tree = demo_plan.design.bom.set_index("simc").loc["TOTAL"]
    naive = demo_plan.design.bom_naive.set_index("simc").loc["TOTAL"]
    assert tree["cost_network_pln"] < naive["cost_network_pln"]
    assert np.isclose(seg["cost_pln"].sum(), tree["cost_network_pln"], rtol=1e-6)
    # The cable hangs on existing poles where there are any, and uses the Norwida duct.
    assert tree["km_aerial_commune_lighting"] > 10 and tree["km_duct"] > 0


def test_drops_fees_and_slack(demo_plan):
    cfg = demo_plan.config
    drops = demo_plan.design.drops
    assert (drops["slack_m"] == cfg.design.drop_slack_m).all()
    over = np.maximum(drops["length_m"] - cfg.design.drop_contract_max_m, 0.0)
    assert np.allclose(drops["over_limit_m"], over, atol=1e-6)
    assert np.allclose(drops["fee_pln"], over * cfg.costs.drop_distance_fee_pln_per_m, atol=1e-3)


def test_schedule_meets_milestones_or_reports_why(demo_plan):
    s = demo_plan.schedule
    comp = s.compliance
    thr = 100 * demo_plan.config.schedule.pass_threshold
    assert set(s.milestones["milestone"]) == {"M1", "M2", "M3"}
    m1 = set(comp.loc[comp["milestone"] == "M1", "locality"])
    assert m1 == {"Dębinki", "Wola Kiełpińska", "Wola Smolana", "Szadki"}
    if s.feasible:
        assert (comp["pct_passed"] >= thr - 1e-9).all() and comp["ok"].all()
    else:
        assert s.binding_constraint and s.min_crews
    # Work packages respect the tree: no package starts before the ones it depends on end.
    wp = s.work_packages.set_index("wp_id")
    for wid, row in wp.iterrows():
        for dep in filter(None, str(row["depends_on"]).split(";")):
            assert row["start"] >= wp.loc[dep, "end"] or row["start"] >= wp.loc[type(wid)(dep), "end"]


def test_as_built_progress_resembles_the_march_2025_report(demo_plan):
    progress = demo_plan.schedule.progress_summary
    assert progress is not None, "the demo has an as-built layer"
    assert 55 <= progress.km_built <= 63 and 15 <= progress.km_underground <= 19, progress.to_text()
    # about a quarter of Serock's (TERC 140804) points passed by March 2025
    serock = progress.by_commune.set_index("commune").loc["140804"]
    assert 20 <= serock["pct_passed"] <= 32, progress.by_commune
    # per milestone: the points of its localities add up, and the at-risk list agrees
    ms = progress.milestones.set_index("milestone")
    loc = progress.localities
    for m, row in ms.iterrows():
        sub = loc[loc["milestone"] == m]
        assert row["targets"] == sub["targets"].sum() and row["passed"] == sub["passed"].sum()
    assert sorted(ms.index[ms["at_risk"]]) == sorted(progress.milestones_at_risk)


def test_plan_directory_has_every_output(demo_plan_dir):
    names = {p.name for p in demo_plan_dir.iterdir()}
    expected = {"plan.gpkg", "area.gpkg", "addresses.csv", "localities.csv", "bom.csv", "bom_naive.csv",
                "bom.xlsx", "schedule.csv", "schedule.xlsx", "compliance.csv", "gantt.html", "gantt.png",
                "map.html", "report.html", "report.md", "summary.json", "uke", "official_diff.csv",
                "reallocation.csv", "progress.csv", "progress_milestones.csv"}
    assert expected <= names, expected - names
    layers = set(gpd.list_layers(demo_plan_dir / "plan.gpkg")["name"])
    assert {"addresses", "segments", "drops", "poles_used", "localities", "pops", "ducts", "layer_styles"} <= layers
    seg = gpd.read_file(demo_plan_dir / "plan.gpkg", layer="segments")
    assert seg.crs.to_epsg() == 2180 and len(seg) > 100
    addr = pd.read_csv(demo_plan_dir / "addresses.csv", dtype=str)
    assert (addr["ws_class"] == "white").sum() == 7614
    assert (demo_plan_dir / "map.html").stat().st_size <= 10 * 1024 * 1024


def test_three_demo_scenarios_compare(demo_plan, demo_plan_dir, demo_area, tmp_path):
    from planner import compare
    from planner.config import load_config
    from planner.output import write_plan
    from planner.pipeline import plan

    dirs = [demo_plan_dir]
    for name, section in (("all_underground", {"allow_aerial": False}),
                          ("no_duct_reuse", {"allow_duct_reuse": False})):
        cfg = load_config("demo", progress=False).updated(design=section)
        out = tmp_path / name
        write_plan(plan(demo_area, cfg), out, write_map=False, uke=False)
        dirs.append(out)
    df = compare.compare_plans(dirs, ["aerial_first", "all_underground", "no_duct_reuse"])
    assert df.loc["all_underground", "km_aerial"] == 0
    assert df.loc["no_duct_reuse", "km_duct"] == 0
    assert df.loc["aerial_first", "km_aerial"] > 0 and df.loc["aerial_first", "km_duct"] > 0
    # Using the existing poles and ducts is what makes the default cheapest.
    assert df.loc["all_underground", "cost_total_pln"] > df.loc["aerial_first", "cost_total_pln"]
    assert df.loc["no_duct_reuse", "cost_total_pln"] >= df.loc["aerial_first", "cost_total_pln"]
    assert "all_underground" in compare.format_comparison(df)


def test_demo_uke_files_read_back_validate(demo_plan_dir):
    """The UKE CSVs as written (read back as text) pass the XSD and code-list checks."""
    from planner.output import uke as ue

    tables = {}
    for key, name in ue.UKE_LAYERS.items():
        stem = name.replace("_szablon_20230131", "")
        geo = gpd.read_file(demo_plan_dir / "uke" / f"{stem}.geojson")
        text = pd.read_csv(demo_plan_dir / "uke" / f"{stem}.csv", dtype=str, keep_default_na=False)
        assert list(text.columns) == ue.template_columns(key) and len(text) == len(geo) > 0
        tables[key] = gpd.GeoDataFrame(text, geometry=geo.geometry.to_numpy(), crs=geo.crs)
    ue.validate_uke(tables)
    # and the check is live: a code outside the lk06 list is reported
    bad = dict(tables)
    bad["lk"] = tables["lk"].copy()
    bad["lk"].iloc[0, bad["lk"].columns.get_loc("lk06_rodzaj_linii_kablowej")] = "99"
    with pytest.raises(InputDataError, match="does not validate"):
        ue.validate_uke(bad)
