"""A small hand-made plan near Serock for the writer tests (report, UKE export, compare).

Network (EPSG:2180, POP at E 640 000, N 518 000)::

    POP --s1 (aerial, lighting L1..L5, 300 m)--> A --s3 (duct D1, 400 m)--> C
        --s4 (aerial telecom T1..T3, 300 m, pending P2)--> D
                                                 |
                                                 s2 (trench paved, 400 m, pending P1)
                                                 v
                                                 B --s5 (trench unpaved, 200 m, pending P1)--> E

Segments s1, s2, s5 serve Zegrze (Serock, TERC 1408045); s3, s4 serve Skrzeszew (Wieliszew, 1408052).
Consent worklist by hand: parcel P1 (s2 + s5 = 600 m) -> addresses a1, a2, a3 (drops on s2, s5);
parcel P2 (s4, 300 m) -> a5, a6 (drops on s4).  a4 hangs off s3 with a 260 m drop (60 m over the
200 m contract, fee 60 * 60 = 3 600 PLN).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point, box

from planner.area import Area
from planner.config import Config
from planner.schema import OUT_BOM_COLUMNS, POLE_OWNERS

CRS = "EPSG:2180"
X0, Y0 = 640_000.0, 518_000.0
NODES = {"POP": (X0, Y0), "A": (X0 + 300, Y0), "B": (X0 + 300, Y0 + 400), "C": (X0 + 700, Y0),
         "D": (X0 + 700, Y0 + 300), "E": (X0 + 100, Y0 + 400)}
NODE_ID = {"POP": 0, "A": 1, "B": 2, "C": 3, "D": 4, "E": 5}
ZEGRZE = ("1408045", "0009014", "Zegrze", "Serock")
SKRZESZEW = ("1408052", "0010060", "Skrzeszew", "Wieliszew")


def _segments() -> gpd.GeoDataFrame:
    rows = [
        # id parent u v dep owner poles n duct surface cross consent parcel len cost loc down
        (1, -1, "POP", "A", "aerial", "commune_lighting", "L1;L2;L3;L4;L5", 5, "", "", 0, "not_needed", "",
         300.0, 300 * 22.0 + 5 * 30.0, ZEGRZE, 6),
        (2, 1, "A", "B", "trench", "", "", 0, "", "paved", 1, "pending", "140804_5.0001.12/3",
         400.0, 400 * 190.0 + 2500 + 8000, ZEGRZE, 3),
        (3, 1, "A", "C", "duct", "", "", 0, "D1", "", 0, "not_needed", "", 400.0, 400 * 15.0, SKRZESZEW, 3),
        (4, 3, "C", "D", "aerial", "telecom", "T1;T2;T3", 3, "", "", 0, "pending", "140805_2.0007.45",
         300.0, 300 * 22.0 + 3 * 120.0 + 8000, SKRZESZEW, 2),
        (5, 2, "B", "E", "trench", "", "", 0, "", "unpaved", 0, "pending", "140804_5.0001.12/3",
         200.0, 200 * 85.0 + 8000, ZEGRZE, 2),
    ]
    recs, geoms = [], []
    dist = {}
    for (sid, parent, u, v, dep, owner, poles, n, duct, surf, cross, consent, parcel, length, cost, loc,
         down) in rows:
        dist[v] = dist.get(u, 0.0) + length
        recs.append(dict(segment_id=sid, parent_id=parent, u=NODE_ID[u], v=NODE_ID[v], deployment=dep,
                         pole_owner=owner, pole_ids=poles, n_poles=n, duct_id=duct, surface=surf,
                         road_crossings=cross, consent=consent, parcel_id=parcel, length_m=length,
                         cost_pln=float(cost), simc=loc[1], locality=loc[2], dist_from_pop_m=dist[v],
                         n_targets_downstream=down))
        geoms.append(LineString([NODES[u], NODES[v]]))
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=geoms, crs=CRS)


def _addresses() -> gpd.GeoDataFrame:
    # id, locality tuple, street, number, business, x, y, ws_class, barrier_reason, plan_status, seg, drop_len
    rows = [
        ("a1", ZEGRZE, "Leśna", "1", False, X0 + 320, Y0 + 150, "white", "", "connect", 2, 20.0),
        ("a2", ZEGRZE, "Leśna", "3", True, X0 + 280, Y0 + 380, "white", "", "connect", 2, 20.0),
        ("a3", ZEGRZE, "Polna", "7", False, X0 + 150, Y0 + 430, "white", "", "connect", 5, 30.0),
        ("a4", SKRZESZEW, "Jesionowa", "2", False, X0 + 500, Y0 - 260, "white", "", "connect", 3, 260.0),
        ("a5", SKRZESZEW, "Jesionowa", "10", False, X0 + 720, Y0 + 100, "white", "", "connect", 4, 20.0),
        ("a6", SKRZESZEW, "Jesionowa", "12A", True, X0 + 680, Y0 + 290, "white", "", "connect", 4, 20.0),
        ("a7", ZEGRZE, "Polna", "9", False, X0 + 60, Y0 + 420, "white", "summer_house", "barrier", -1, np.nan),
        ("a8", ZEGRZE, "Leśna", "5", False, X0 + 330, Y0 + 20, "grey", "", "grey", -1, np.nan),
        ("a9", SKRZESZEW, "Jesionowa", "14", True, X0 + 710, Y0 + 20, "black", "", "black", -1, np.nan),
        ("a10", SKRZESZEW, "", "33", False, X0 + 1200, Y0 + 600, "white", "", "unconnected", -1, np.nan),
    ]
    recs, geoms = [], []
    for (aid, loc, street, num, biz, x, y, ws, br, status, _seg, dl) in rows:
        terc, simc, name, _commune = loc
        target = ws == "white" and br == ""
        milestone = ("M1" if simc == ZEGRZE[1] else "M2") if target else ""
        mdate = {"M1": pd.Timestamp("2025-07-31"), "M2": pd.Timestamp("2025-12-31")}.get(milestone, pd.NaT)
        over = max(0.0, (dl if dl == dl else 0.0) - 200.0)
        recs.append(dict(
            id=aid, terc=terc, simc=simc, ulic="",
            locality=name, street=street, house_number=num, postcode="05-140", is_business=biz,
            status="istniejacy", ws_class=ws, ws_reason="no NGA offer" if ws == "white" else "FTTH (Orange)",
            n_nga_now=0 if ws == "white" else (1 if ws == "grey" else 2), n_nga_planned=0,
            match_method="address_key", is_barrier=br != "", barrier_reason=br, is_target=target,
            plan_status=status, unconnected_reason="consent_refused" if status == "unconnected" else "",
            drop_length_m=dl, drop_fee_pln=over * 60.0 if dl == dl else np.nan,
            milestone=milestone, milestone_date=mdate,
            passed_date=pd.Timestamp("2025-06-30") if status == "connect" else pd.NaT,
        ))
        geoms.append(Point(x, y))
    df = pd.DataFrame(recs)
    df["ulic"] = df["street"].map({"Leśna": "11873", "Polna": "16970", "Jesionowa": "07846", "": ""})
    return gpd.GeoDataFrame(df, geometry=geoms, crs=CRS)


def _drops(addresses: gpd.GeoDataFrame, segments: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    seg_of = {"a1": 2, "a2": 2, "a3": 5, "a4": 3, "a5": 4, "a6": 4}
    recs, geoms = [], []
    a = addresses.set_index("id")
    s = segments.set_index("segment_id")
    for aid, sid in seg_of.items():
        pt = a.loc[aid, "geometry"]
        line = s.loc[sid, "geometry"]
        start = line.interpolate(line.project(pt))
        length = float(a.loc[aid, "drop_length_m"])
        over = max(0.0, length - 200.0)
        recs.append(dict(address_id=aid, simc=a.loc[aid, "simc"], locality=a.loc[aid, "locality"],
                         segment_id=sid, access_node=100 + int(aid[1:]), length_m=length, slack_m=30.0,
                         over_limit_m=over, fee_pln=over * 60.0, cost_pln=450.0 + 35.0 * length + 4.0 * 30
                         + over * 60.0,
                         fibre_distance_m=float(s.loc[sid, "dist_from_pop_m"]) + length))
        geoms.append(LineString([start, pt]))
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=geoms, crs=CRS)


def bom_table(segments: pd.DataFrame, drops: pd.DataFrame, localities: list[tuple]) -> pd.DataFrame:
    """Per-locality BOM with a TOTAL row, computed the plain way (the fixture's oracle)."""
    rows = []
    for _terc, simc, name, _commune in localities + [("", "TOTAL", "", "")]:
        s = segments if simc == "TOTAL" else segments[segments["simc"] == simc]
        d = drops if simc == "TOTAL" else drops[drops["simc"] == simc]
        r: dict = {"simc": simc, "locality": name if simc != "TOTAL" else "RAZEM (total)"}
        for o in POLE_OWNERS:
            r[f"km_aerial_{o}"] = s.loc[(s.deployment == "aerial") & (s.pole_owner == o), "length_m"].sum() / 1e3
            r[f"poles_{o}"] = int(s.loc[(s.deployment == "aerial") & (s.pole_owner == o), "n_poles"].sum())
        r["km_duct"] = s.loc[s.deployment == "duct", "length_m"].sum() / 1e3
        for surf in ("unpaved", "paved", "carriageway"):
            r[f"km_trench_{surf}"] = s.loc[(s.deployment == "trench") & (s.surface == surf), "length_m"].sum() / 1e3
        r["road_crossings"] = int(s["road_crossings"].sum())
        r["drops"] = int(len(d))
        r["km_drops"] = d["length_m"].sum() / 1e3
        r["km_slack"] = d["slack_m"].sum() / 1e3
        r["long_drops"] = int((d["over_limit_m"] > 0).sum())
        r["distance_fees_pln"] = float(d["fee_pln"].sum())
        r["cost_network_pln"] = float(s["cost_pln"].sum())
        r["cost_drops_pln"] = float(d["cost_pln"].sum())
        r["cost_total_pln"] = r["cost_network_pln"] + r["cost_drops_pln"]
        r["homes_passed"] = int(len(d))
        r["cost_per_home_pln"] = r["cost_total_pln"] / max(1, len(d))
        rows.append(r)
    return pd.DataFrame(rows)[list(OUT_BOM_COLUMNS)]


def _localities(addresses: gpd.GeoDataFrame, segments: pd.DataFrame) -> gpd.GeoDataFrame:
    recs, geoms = [], []
    for (terc, simc, name, commune), poly, ms in (
        (ZEGRZE, box(X0 - 100, Y0 + 60, X0 + 450, Y0 + 500), "M1"),
        (SKRZESZEW, box(X0 + 450, Y0 - 350, X0 + 1300, Y0 + 700), "M2"),
    ):
        a = addresses[addresses["simc"] == simc]
        s = segments[segments["simc"] == simc]
        recs.append(dict(
            terc=terc, simc=simc, locality=name, commune=commune, points=len(a),
            businesses=int(a["is_business"].sum()), white=int((a.ws_class == "white").sum()),
            grey=int((a.ws_class == "grey").sum()), black=int((a.ws_class == "black").sum()),
            barriers=int(a["is_barrier"].sum()), targets=int(a["is_target"].sum()),
            connected=int((a.plan_status == "connect").sum()), unconnected=int((a.plan_status == "unconnected").sum()),
            km_aerial=s.loc[s.deployment == "aerial", "length_m"].sum() / 1e3,
            km_duct=s.loc[s.deployment == "duct", "length_m"].sum() / 1e3,
            km_trench=s.loc[s.deployment == "trench", "length_m"].sum() / 1e3,
            cost_pln=float(s["cost_pln"].sum()), milestone=ms,
            milestone_date=pd.Timestamp("2025-07-31" if ms == "M1" else "2025-12-31"),
            pct_passed_by_deadline=100.0 if ms == "M1" else 75.0,
        ))
        geoms.append(poly)
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=geoms, crs=CRS)


def _area(segments: gpd.GeoDataFrame, addresses: gpd.GeoDataFrame) -> Area:
    poles = []
    for _, s in segments[segments.deployment == "aerial"].iterrows():
        ids = s["pole_ids"].split(";")
        for k, pid in enumerate(ids):
            poles.append((pid, s["pole_owner"], s.geometry.interpolate((k + 0.5) / len(ids), normalized=True)))
    poles.append(("L99", "commune_lighting", Point(X0 - 500, Y0 - 500)))  # not used by the design
    pole_gdf = gpd.GeoDataFrame({"id": [p[0] for p in poles], "owner": [p[1] for p in poles],
                                 "usable": [True] * len(poles)}, geometry=[p[2] for p in poles], crs=CRS)
    ducts = gpd.GeoDataFrame({"id": ["D1"], "owner": ["Gmina Wieliszew"], "free_subducts": [2]},
                             geometry=[LineString([NODES["A"], NODES["C"]])], crs=CRS)
    pops = gpd.GeoDataFrame({"id": ["POP1"], "name": ["POP Serock"]}, geometry=[Point(*NODES["POP"])], crs=CRS)
    base = addresses[["id", "terc", "simc", "ulic", "locality", "street", "house_number", "postcode",
                      "is_business", "status", "geometry"]].copy()
    minx, miny, maxx, maxy = addresses.total_bounds
    return Area(name="fixture", crs=CRS, bounds=(minx - 500, miny - 500, maxx + 500, maxy + 500),
                layers={"addresses": base, "poles": pole_gdf, "ducts": ducts, "pops": pops})


def _schedule() -> SimpleNamespace:
    compliance = pd.DataFrame({
        "milestone": ["M1", "M2"], "deadline": pd.to_datetime(["2025-07-31", "2025-12-31"]),
        "simc": [ZEGRZE[1], SKRZESZEW[1]], "locality": ["Zegrze", "Skrzeszew"], "targets": [3, 4],
        "passed_by_deadline": [3, 3], "pct_passed": [100.0, 75.0], "required_pct": [80.0, 80.0],
        "ok": [True, False], "slack_days": pd.array([20, pd.NA], dtype="Int64"),
        "threshold_date": pd.to_datetime(["2025-06-30", pd.NaT]),
        "locality_complete_date": pd.to_datetime(["2025-06-30", pd.NaT]),
        "points_missing": [0, 1], "missing_reason": ["", "1 unconnected (consent_refused: 1)"],
    })
    milestones = pd.DataFrame({
        "milestone": ["M1", "M2", "M3"], "deadline": pd.to_datetime(["2025-07-31", "2025-12-31", "2026-12-31"]),
        "localities": [1, 1, 0], "targets": [3, 4, 0], "ok": [True, False, True],
        "worst_pct": [100.0, 75.0, np.nan], "min_slack_days": pd.array([20, pd.NA, pd.NA], dtype="Int64"),
    })
    wp = pd.DataFrame({
        "wp_id": ["WP001", "WP002"], "milestone": ["M1", "M2"], "needed_by": ["M1", "M2"],
        "simc": [ZEGRZE[1], SKRZESZEW[1]], "locality": ["Zegrze", "Skrzeszew"], "kind": ["aerial", "duct"],
        "quantity": [300.0, 400.0], "unit": ["m", "m"], "crew_type": ["aerial", "duct"], "crew": [1, 1],
        "start": pd.to_datetime(["2025-04-01", "2025-05-01"]), "end": pd.to_datetime(["2025-04-02", "2025-05-02"]),
        "duration_days": [2, 2], "depends_on": ["", "WP001"], "consent_wait_until": pd.to_datetime([pd.NaT, pd.NaT]),
        "n_segments": [1, 1],
    })
    return SimpleNamespace(work_packages=wp, compliance=compliance, milestones=milestones, progress=None,
                           feasible=False, binding_constraint="unconnected_points",
                           min_crews=None)


def make_fixture_plan(*, scale_cost: float = 1.0, aerial: bool = True) -> SimpleNamespace:
    """A lightweight stand-in for :class:`planner.pipeline.Plan` (same attributes).

    Parameters
    ----------
    scale_cost
        Multiplies every segment cost (a second scenario for compare tests).
    aerial
        ``False`` turns the aerial segments into paved trench (an "all-underground" scenario).
    """
    segments = _segments()
    if not aerial:
        m = segments["deployment"] == "aerial"
        segments.loc[m, "cost_pln"] = segments.loc[m, "length_m"] * 190.0
        segments.loc[m, ["deployment", "pole_owner", "pole_ids", "surface"]] = ["trench", "", "", "paved"]
        segments.loc[m, "n_poles"] = 0
    segments["cost_pln"] = segments["cost_pln"] * scale_cost
    addresses = _addresses()
    drops = _drops(addresses, segments)
    bom = bom_table(segments, drops, [ZEGRZE, SKRZESZEW])
    bom_naive = bom.copy()
    for c in ("cost_network_pln", "cost_total_pln", "cost_per_home_pln"):
        bom_naive[c] = bom_naive[c] * 1.25
    unconnected = pd.DataFrame({"address_id": ["a10"], "simc": [SKRZESZEW[1]], "locality": ["Skrzeszew"],
                                "reason": ["consent_refused"], "detail": ["parcel 140805_2.0007.99 refused"]})
    t = bom.iloc[-1]
    km_aerial = float(sum(t[f"km_aerial_{o}"] for o in POLE_OWNERS))
    km_duct = float(t["km_duct"])
    km_trench = float(t["km_trench_unpaved"] + t["km_trench_paved"] + t["km_trench_carriageway"])
    summary = {
        "targets": 7, "connected": 6, "unconnected": 1, "unconnected_by_reason": {"consent_refused": 1},
        "segments": len(segments), "km_network": km_aerial + km_duct + km_trench, "km_aerial": km_aerial,
        "km_duct": km_duct, "km_trench": km_trench, "km_underground": km_duct + km_trench,
        "km_drops": float(t["km_drops"]), "km_slack": float(t["km_slack"]), "road_crossings": int(t["road_crossings"]),
        "long_drops": int(t["long_drops"]), "distance_fees_pln": float(t["distance_fees_pln"]),
        "pending_consent_segments": int((segments["consent"] == "pending").sum()),
        "cost_network_pln": float(t["cost_network_pln"]), "cost_drops_pln": float(t["cost_drops_pln"]),
        "cost_total_pln": float(t["cost_total_pln"]), "cost_per_home_pln": float(t["cost_per_home_pln"]),
        "naive_cost_network_pln": float(bom_naive.iloc[-1]["cost_network_pln"]),
        "naive_cost_total_pln": float(bom_naive.iloc[-1]["cost_total_pln"]),
        "naive_km_network": km_aerial + km_duct + km_trench, "saving_pct": 20.0,
    }
    design = SimpleNamespace(segments=segments, drops=drops, bom=bom, bom_naive=bom_naive,
                             unconnected=unconnected, summary=summary, addresses=addresses)
    whitespots = SimpleNamespace(official_diff=None, reallocation=None)
    area = _area(segments, addresses)
    localities = _localities(addresses, segments)
    config = Config()
    schedule = _schedule()
    plan = SimpleNamespace(area=area, config=config, addresses=addresses, localities=localities, network=None,
                           whitespots=whitespots, design=design, schedule=schedule,
                           stages=("whitespots", "design", "schedule"))
    plan.segments, plan.drops, plan.bom = segments, drops, bom

    def summary_fn() -> dict:
        from planner.pipeline import jsonable

        a = addresses
        white = a["ws_class"] == "white"
        return jsonable({"area": area.name, "address_points": int(len(a)), "businesses": int(a["is_business"].sum()),
                "white_spots": int(white.sum()), "white_spot_businesses": int((white & a["is_business"]).sum()),
                "grey": int((a.ws_class == "grey").sum()), "black": int((a.ws_class == "black").sum()),
                "barriers": int(a["is_barrier"].sum()), "targets": int(a["is_target"].sum()),
                "design": dict(summary),
                "schedule": {"feasible": False, "binding_constraint": "unconnected_points", "min_crews": None,
                             "milestones": schedule.milestones.to_dict(orient="records")}})

    plan.summary = summary_fn
    return plan


#: Dates used by the fixture (for assertions).
M1_DEADLINE = dt.date(2025, 7, 31)
