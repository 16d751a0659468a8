"""The network layer on the demo plan (Serock + Wieliszew, 7,351 homes)."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook

from planner.config.network import NetworkConfig
from planner.network import design_optical_network, format_summary, plan_tables
from planner.network.baseline import fibre_m, kmeans_placement
from planner.network.cabinets import allowed_nodes, place
from planner.network.fibres import count_fibres
from planner.network.tree import segments_tree

pytestmark = pytest.mark.xdist_group("demo")


def test_summary_is_plausible_for_7351_homes(demo_plan):
    net, nc = demo_plan.network, demo_plan.config.network
    s = net.summary
    connected = int(demo_plan.addresses["plan_status"].isin(["connect", "connected"]).sum())
    assert s["homes"] == connected == 7351
    # 1:32 with homes x 1.1 ports: at least ceil(7351 x 1.1 / 32) = 253 PON ports (issue: >= 230)
    assert s["pon_ports"] >= math.ceil(7351 * 1.1 / 32) >= 230
    assert s["splitters_by_ratio"] == {"1:32 (cabinet)": s["pon_ports"]}
    assert s["pon_cards"] == sum(math.ceil(o["pon_ports"] / nc.olt_ports_per_card) for o in s["olt"])
    assert (net.cabinets["homes"] <= nc.cabinet_homes).all() and net.cabinets["homes"].sum() == 7351
    # every route segment carries fibre: the cables cover the route exactly
    assert s["km_cable"] == pytest.approx(demo_plan.design.summary["km_network"], rel=1e-5)
    text = format_summary(net)
    for fragment in ("OLT:", "cabinets:", "splitters:", "cable km by size:", "closures:", "worst loss:"):
        assert fragment in text


def test_every_connected_address_within_budget_or_listed_with_cause(demo_plan):
    net = demo_plan.network
    lb = net.loss_budget
    a = demo_plan.addresses
    conn = a["plan_status"].isin(["connect", "connected"])   # 'connected': built already (as-built)
    assert set(lb["address_id"]) == set(a.loc[conn, "id"].astype(str))
    over = ~lb["within_budget"]
    assert (lb.loc[over, "cause"] != "").all() and (lb.loc[over, "fix"] != "").all()
    assert (lb.loc[~over, "cause"] == "").all()
    worst = np.maximum(lb["loss_db_1310"], lb["loss_db_1490"])
    assert (worst[~over] <= lb.loc[~over, "budget_db"] + 1e-9).all()
    assert a.loc[conn, "loss_db_1310"].notna().all() and a.loc[~conn, "loss_db_1310"].isna().all()
    assert (a.loc[conn & ~a["express_fibre"], "cabinet_id"] != "").all()
    assert (a.loc[conn, "olt_port"] != "").all()
    # the flat reach stays a secondary check: the design keeps every path within it
    assert lb["within_reach"].all()


def test_feeder_and_express_fibres_leave_the_pops_once_per_port(demo_plan):
    net = demo_plan.network
    sf = net.segment_fibres.merge(demo_plan.design.segments[["segment_id", "parent_id"]], on="segment_id")
    at_pop = sf[sf["parent_id"] < 0]
    fd = demo_plan.config.network.fibres_per_drop
    assert at_pop["feeder"].sum() == net.summary["pon_ports"]
    assert at_pop["express"].sum() == net.summary["express_homes"] * fd


def test_costs_include_the_optical_network(demo_plan):
    d, net = demo_plan.design, demo_plan.network
    for bom in (d.bom, d.bom_naive):
        t = bom[bom["simc"] == "TOTAL"].iloc[0]
        assert t["cost_optical_pln"] > 0
        assert t["cost_total_pln"] == pytest.approx(t["cost_network_pln"] + t["cost_drops_pln"]
                                                    + t["cost_optical_pln"])
        assert t["cost_per_home_pln"] == pytest.approx(t["cost_total_pln"] / t["homes_passed"])
    total = net.bom_items[net.bom_items["category"] == "TOTAL"]["cost_pln"].iloc[0]
    assert d.bom[d.bom["simc"] == "TOTAL"]["cost_optical_pln"].iloc[0] == pytest.approx(total)
    per_loc = d.bom[d.bom["simc"] != "TOTAL"]["cost_optical_pln"].sum()
    assert per_loc == pytest.approx(total, rel=1e-9)


def test_network_tables_are_deterministic(demo_plan):
    again = design_optical_network(demo_plan.area, demo_plan.config, demo_plan.design)
    a, b = plan_tables(demo_plan.network), plan_tables(again)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].to_csv(index=False) == b[k].to_csv(index=False), k


def test_outputs_of_the_network_layer(demo_plan_dir):
    for name in ("cables.csv", "cabinets.csv", "loss_budget.csv", "splitters.csv", "closures.csv", "olt.csv"):
        assert (demo_plan_dir / name).exists(), name
    layers = {n for n, _ in pyogrio.list_layers(demo_plan_dir / "plan.gpkg")}
    assert {"cabinets", "cabinet_areas", "cables", "closures", "olt", "splitters"} <= layers
    con = sqlite3.connect(demo_plan_dir / "plan.gpkg")
    styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
    con.close()
    assert {"cabinets", "cabinet_areas", "cables", "closures", "olt", "splitters"} <= styled
    wb = load_workbook(demo_plan_dir / "bom.xlsx", read_only=True)
    assert {"cables", "cabinets", "splitters"} <= set(wb.sheetnames)
    addr = pd.read_csv(demo_plan_dir / "addresses.csv", dtype=str)
    for c in ("cabinet_id", "splitter_id", "splitter_port", "olt_port", "loss_db_1310", "loss_db_1490",
              "express_fibre"):
        assert c in addr.columns
    # UKE: cabinets are street cabinets (01); cable fibres come from the catalogue
    pe = pd.read_csv(next((demo_plan_dir / "uke").glob("z7_punkty_elastycznosci*.csv")), dtype=str)
    lk = pd.read_csv(next((demo_plan_dir / "uke").glob("z7_liniekablowe*.csv")), dtype=str)
    cabinets = pd.read_csv(demo_plan_dir / "cabinets.csv")
    assert (pe["pe02_typ_pe"] == "01").sum() == cabinets["node"].nunique()
    assert set(lk["lk07_liczba_wlokien"].astype(int)) <= set(NetworkConfig().cable_sizes)
    assert (lk["lk08_liczba_wlokien_wykorzystywanych"].astype(int) <= lk["lk07_liczba_wlokien"].astype(int)).all()


def test_tree_placement_beats_euclidean_kmeans_on_the_demo(demo_plan):
    d, nc = demo_plan.design, demo_plan.config.network
    tree = segments_tree(d.segments.sort_values("segment_id").reset_index(drop=True))
    drops = d.drops.sort_values("address_id").reset_index(drop=True)
    home = tree.index_of(drops["access_node"].to_numpy())
    express = np.zeros(home.size, dtype=bool)
    xy = shapely.get_coordinates(d.addresses.set_index("id").geometry.loc[drops["address_id"]].values)
    ours = place(tree, home, express, nc, allowed=allowed_nodes(tree, demo_plan.area.layers["parcels"], nc))
    k = ours.cabinet_node.size
    base = kmeans_placement(tree, home, xy, express, nc, k=k)       # as many cabinets as ours
    km = {}
    for name, pl in (("tree", ours), ("kmeans", base)):
        f = count_fibres(tree, pl, home, express, nc)
        km[name] = sum(fibre_m(tree, f.feeder, f.distribution)) / 1000.0
    assert km["tree"] < 0.8 * km["kmeans"], km
