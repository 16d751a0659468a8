"""A small, realistic synthetic plan near Serock for the map tests and benchmark.

Three localities east of the Zegrze reservoir (EPSG:2180 E ~ 640 000,
N ~ 518 000), each a grid of streets with address points along them; a POP in
the first; network segments of every deployment type; drops to each connected
or to-be-connected point, one of them a farmstead 260 m from the road (distance
fee); poles along the aerial segments; an existing duct; milestones M1-M3.
Deterministic (seeded), so the map of it is byte-stable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.schema import OUT_ADDRESS_COLUMNS, OUT_DROP_COLUMNS, OUT_LOCALITY_COLUMNS, OUT_SEGMENT_COLUMNS

CRS = "EPSG:2180"

#: (name, simc, terc, commune, centre E, centre N, milestone, milestone date, street names)
LOCALITIES = (
    ("Jadwisin", "0019427", "1408055", "Serock", 640_000.0, 518_000.0, "M1", "2025-07-31",
     ("Warszawska", "Łąkowa", "Kościuszki", "Żeromskiego")),
    ("Wola Kiełpińska", "0019551", "1408055", "Serock", 641_300.0, 518_750.0, "M2", "2025-12-31",
     ("Zegrzyńska", "Polna", "Słoneczna")),
    ("Skrzeszew", "0035411", "1408075", "Wieliszew", 638_600.0, 517_350.0, "M3", "2026-12-31",
     ("Pułtuska", "Leśna", "Ogrodowa")),
)
STREET_SPACING_M = 120.0
STREET_LENGTH_M = 700.0
PLOT_SPACING_M = 25.0
#: plan_status shares of the generated address points.
STATUS_P = {"connect": 0.58, "connected": 0.06, "unconnected": 0.05, "barrier": 0.09, "grey": 0.1, "black": 0.12}
#: Network class of each street, cycling: (deployment, pole_owner).
STREET_CLASSES = (("aerial", "commune_lighting"), ("trench", ""), ("aerial", "telecom"), ("duct", ""))
#: The long drop: address id, length and the fee it pays.
LONG_DROP_ID = "A-FARM-1"
LONG_DROP_M = 260.0
DROP_LIMIT_M = 200.0
FEE_PLN_PER_M = 60.0


def _streets(n_addresses: int) -> gpd.GeoDataFrame:
    """Horizontal streets of each locality (enough of them for ``n_addresses``)."""
    per_street = int(2 * STREET_LENGTH_M // PLOT_SPACING_M)
    n_streets = max(len(LOCALITIES), int(np.ceil(n_addresses / per_street)))
    rows = []
    for i in range(n_streets):
        li = i % len(LOCALITIES)
        name, simc, terc, commune, e, n, *_rest, streets = LOCALITIES[li]
        k = i // len(LOCALITIES)
        y = n + (k - 1.5) * STREET_SPACING_M
        rows.append({"street": streets[k % len(streets)] + ("" if k < len(streets) else f" {k // len(streets) + 1}"),
                     "locality": name, "simc": simc, "terc": terc, "commune": commune, "li": li, "k": k,
                     "geometry": shapely.LineString([(e - STREET_LENGTH_M / 2, y), (e + STREET_LENGTH_M / 2, y)])})
    return gpd.GeoDataFrame(rows, crs=CRS)


def make_fixture_layers(n_addresses: int = 300, seed: int = 7) -> dict[str, gpd.GeoDataFrame]:
    """Plan layers (as :func:`planner.maps.read_plan_layers` returns them) of a synthetic plan.

    Parameters
    ----------
    n_addresses
        Number of address points (one more is the remote farmstead).
    seed
        RNG seed.
    """
    rng = np.random.default_rng(seed)
    streets = _streets(n_addresses)
    per_street = int(2 * STREET_LENGTH_M // PLOT_SPACING_M)
    # address points: both sides of each street, 18 m from the centreline
    idx = np.arange(n_addresses)
    s_i = idx // per_street
    j = idx % per_street
    side = np.where(j % 2 == 0, 1.0, -1.0)
    along = (j // 2 + 0.5) * PLOT_SPACING_M + rng.uniform(-4, 4, n_addresses)
    st = streets.iloc[s_i].reset_index(drop=True)
    x0 = shapely.get_coordinates(st.geometry.to_numpy())[::2, 0]
    y0 = shapely.get_coordinates(st.geometry.to_numpy())[::2, 1]
    ax = x0 + along
    ay = y0 + side * (18.0 + rng.uniform(-3, 3, n_addresses))
    house = (j + 1).astype(str)
    house = np.where(rng.random(n_addresses) < 0.1, np.char.add(house, "A"), house)
    status = rng.choice(list(STATUS_P), size=n_addresses, p=list(STATUS_P.values()))
    a = pd.DataFrame({
        "id": [f"A{i:05d}" for i in idx], "terc": st["terc"], "simc": st["simc"], "ulic": "",
        "locality": st["locality"], "street": st["street"], "house_number": house, "postcode": "05-140",
        "is_business": rng.random(n_addresses) < 0.06, "status": "istniejacy", "plan_status": status,
    })
    # the remote farmstead: a white spot 260 m north of the first street's west end
    farm = {"id": LONG_DROP_ID, "terc": st["terc"].iloc[0], "simc": st["simc"].iloc[0], "ulic": "",
            "locality": st["locality"].iloc[0], "street": "", "house_number": "77", "postcode": "05-140",
            "is_business": False, "status": "istniejacy", "plan_status": "connect"}
    a = pd.concat([a, pd.DataFrame([farm])], ignore_index=True)
    ax = np.append(ax, x0[0] + 10.0)
    ay = np.append(ay, y0[0] + LONG_DROP_M)
    a_street = np.append(s_i, 0)
    st_all = streets.iloc[a_street].reset_index(drop=True)
    ps = a["plan_status"]
    a["ws_class"] = np.select([ps == "grey", ps == "black"], ["grey", "black"], "white")
    a["ws_reason"] = np.select(
        [ps == "grey", ps == "black"],
        ["only VDSL2 30 Mb/s (Orange)", "FTTH 1 Gb/s (Orange, Netia)"], "no NGA offer")
    a["n_nga_now"] = np.select([ps == "grey", ps == "black"], [1, 2], 0)
    a["n_nga_planned"] = 0
    a["match_method"] = "address_key"
    a["is_barrier"] = ps == "barrier"
    reason = np.where(rng.random(len(a)) < 0.7, "no_building", "summer_house")
    a["barrier_reason"] = np.where(ps == "barrier", reason, "")
    a["is_target"] = ps.isin(["connect", "unconnected", "connected"])
    a["unconnected_reason"] = np.where(ps == "unconnected", "consent_refused", "")
    served = ps.isin(["connect", "connected"]).to_numpy()
    pts = shapely.points(ax, ay)
    street_geoms = st_all.geometry.to_numpy()
    drop_lines = shapely.shortest_line(street_geoms, pts)
    drop_len = shapely.length(drop_lines)
    a["drop_length_m"] = np.where(served, np.round(drop_len, 1), np.nan)
    a["drop_fee_pln"] = np.where(served, np.round(np.maximum(drop_len - DROP_LIMIT_M, 0) * FEE_PLN_PER_M, 2), np.nan)
    li = np.array([next(i for i, L in enumerate(LOCALITIES) if L[0] == n) for n in a["locality"]])
    a["milestone"] = np.where(a["is_target"], np.array([L[6] for L in LOCALITIES])[li], "")
    mdate = pd.to_datetime(pd.Series(np.array([L[7] for L in LOCALITIES])[li]))
    a["milestone_date"] = mdate.where(a["is_target"])
    a["passed_date"] = (mdate - pd.to_timedelta(rng.integers(10, 120, len(a)), unit="D")).where(served)
    a = a[[*a.columns[:10], *OUT_ADDRESS_COLUMNS]]
    addresses = gpd.GeoDataFrame(a, geometry=pts, crs=CRS)

    # segments: every street (its class cycles) plus trunk links POP -> localities
    pop_xy = (LOCALITIES[0][4] - STREET_LENGTH_M / 2 - 60.0, LOCALITIES[0][5])
    cls = [STREET_CLASSES[i % len(STREET_CLASSES)] for i in range(len(streets))]
    seg_geoms = list(streets.geometry)
    seg_loc = list(streets["locality"])
    seg_simc = list(streets["simc"])
    trunk_cls = []
    for i, L in enumerate(LOCALITIES):
        first = streets[streets["li"] == i].geometry.iloc[0]
        start = shapely.get_coordinates(first)[0]
        seg_geoms.append(shapely.LineString([pop_xy, (pop_xy[0], start[1]), tuple(start)]))
        seg_loc.append(L[0])
        seg_simc.append(L[1])
        trunk_cls.append(("trench", "") if i == 0 else ("aerial", "telecom"))
    cls += trunk_cls
    n_seg = len(seg_geoms)
    seg_geoms_arr = np.array(seg_geoms, dtype=object)
    length = shapely.length(seg_geoms_arr)
    dep = np.array([c[0] for c in cls])
    owner = np.array([c[1] for c in cls])
    n_poles = np.where(dep == "aerial", np.ceil(length / 40.0).astype(int) + 1, 0)
    segments = gpd.GeoDataFrame({
        "segment_id": np.arange(n_seg), "parent_id": -1, "u": np.arange(n_seg) * 2, "v": np.arange(n_seg) * 2 + 1,
        "deployment": dep, "pole_owner": owner, "pole_ids": "", "n_poles": n_poles,
        "duct_id": np.where(dep == "duct", "D1", ""),
        "surface": np.where(dep == "trench", np.where(np.arange(n_seg) % 2 == 0, "unpaved", "paved"), ""),
        "road_crossings": np.arange(n_seg) % 3, "consent": np.where(np.arange(n_seg) % 5 == 0, "pending", "not_needed"),
        "parcel_id": "", "length_m": np.round(length, 1),
        "cost_pln": np.round(length * np.select([dep == "aerial", dep == "duct"], [25.0, 15.0], 120.0), 2),
        "simc": seg_simc, "locality": seg_loc, "dist_from_pop_m": np.round(length, 1), "n_targets_downstream": 10,
    }, geometry=seg_geoms_arr, crs=CRS)[[*OUT_SEGMENT_COLUMNS, "geometry"]]

    # drops
    d = addresses[served].reset_index(drop=True)
    dl = drop_lines[served]
    dlen = shapely.length(dl)
    over = np.maximum(dlen - DROP_LIMIT_M, 0)
    drops = gpd.GeoDataFrame({
        "address_id": d["id"], "simc": d["simc"], "locality": d["locality"], "segment_id": -1, "access_node": -1,
        "length_m": np.round(dlen, 1), "slack_m": 30.0, "over_limit_m": np.round(over, 1),
        "fee_pln": np.round(over * FEE_PLN_PER_M, 2), "cost_pln": np.round(450 + 35 * dlen, 2),
        "fibre_distance_m": np.round(dlen + 1000, 1),
    }, geometry=dl, crs=CRS)[[*OUT_DROP_COLUMNS, "geometry"]]

    # poles along the aerial segments, every 40 m
    aer = segments[segments["deployment"] == "aerial"]
    reps = aer["n_poles"].to_numpy()
    gi = np.repeat(np.arange(len(aer)), reps)
    frac = np.concatenate([np.linspace(0, 1, r) for r in reps])
    pole_pts = shapely.line_interpolate_point(aer.geometry.to_numpy()[gi], frac, normalized=True)
    poles = gpd.GeoDataFrame({"id": [f"P{i:05d}" for i in range(len(gi))],
                              "owner": aer["pole_owner"].to_numpy()[gi]}, geometry=pole_pts, crs=CRS)
    poles = poles.drop_duplicates(subset="geometry").reset_index(drop=True)

    # existing ducts: under the duct-class streets plus one unused
    duct_geoms = list(segments.loc[segments["deployment"] == "duct", "geometry"])
    duct_geoms.append(shapely.LineString([(pop_xy[0], pop_xy[1] - 400), (pop_xy[0] + 500, pop_xy[1] - 400)]))
    ducts = gpd.GeoDataFrame({"id": [f"D{i + 1}" for i in range(len(duct_geoms))],
                              "owner": "Gmina Serock", "free_subducts": 2}, geometry=duct_geoms, crs=CRS)

    # localities: buffered hulls of their points, with the per-locality table
    rows = []
    for L in LOCALITIES:
        m = (addresses["locality"] == L[0]).to_numpy()
        if not m.any():
            continue
        sub = addresses[m]
        ps_l = sub["plan_status"]
        segl = segments[segments["locality"] == L[0]]
        km = {dt: float(segl.loc[segl["deployment"] == dt, "length_m"].sum()) / 1000
              for dt in ("aerial", "duct", "trench")}
        targets = int(sub["is_target"].sum())
        passed = int(ps_l.isin(["connect", "connected"]).sum())
        rows.append({
            "terc": L[2], "simc": L[1], "locality": L[0], "commune": L[3], "points": int(m.sum()),
            "businesses": int(sub["is_business"].sum()), "white": int((sub["ws_class"] == "white").sum()),
            "grey": int((ps_l == "grey").sum()), "black": int((ps_l == "black").sum()),
            "barriers": int((ps_l == "barrier").sum()), "targets": targets,
            "connected": int((ps_l == "connected").sum()), "unconnected": int((ps_l == "unconnected").sum()),
            "km_aerial": round(km["aerial"], 3), "km_duct": round(km["duct"], 3), "km_trench": round(km["trench"], 3),
            "cost_pln": float(segl["cost_pln"].sum()), "milestone": L[6], "milestone_date": pd.Timestamp(L[7]),
            "pct_passed_by_deadline": round(100.0 * passed / max(targets, 1), 1),
            "geometry": shapely.MultiPoint(shapely.get_coordinates(sub.geometry.to_numpy())).convex_hull.buffer(60.0),
        })
    localities = gpd.GeoDataFrame(rows, crs=CRS)[[*OUT_LOCALITY_COLUMNS, "geometry"]]

    pops = gpd.GeoDataFrame({"id": ["POP-1"], "name": ["POP Jadwisin"]}, geometry=[shapely.Point(pop_xy)], crs=CRS)
    return {"addresses": addresses, "segments": segments, "drops": drops, "poles_used": poles,
            "ducts": ducts, "localities": localities, "pops": pops}


def write_plan_dir(layers: dict[str, gpd.GeoDataFrame], plan_dir: Path) -> Path:
    """Write ``plan_dir/plan.gpkg`` with one layer per entry of ``layers``."""
    plan_dir = Path(plan_dir)
    plan_dir.mkdir(parents=True, exist_ok=True)
    gpkg = plan_dir / "plan.gpkg"
    for name, gdf in layers.items():
        gdf.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio")
    return plan_dir


def make_fixture_plan_dir(tmp_path: Path, n_addresses: int = 300) -> Path:
    """A plan directory (``plan.gpkg``) of the synthetic plan, under ``tmp_path``."""
    return write_plan_dir(make_fixture_layers(n_addresses), Path(tmp_path) / "plan")


def make_fixture_roads(layers: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Roads of the synthetic plan: each street and trunk line split into 25 m pieces (as OSM ways
    between nodes; the trunk lines are tertiary roads) and a winding track; ``highway`` as in OSM."""
    seg = layers["segments"]
    rows = []
    for i, g in enumerate(seg.geometry):
        coords = shapely.get_coordinates(shapely.segmentize(g, 25.0))
        for j in range(len(coords) - 1):
            rows.append({"id": f"r{i:03d}-{j:03d}", "highway": "residential" if i < len(seg) - 3 else "tertiary",
                         "geometry": shapely.LineString(coords[j:j + 2])})
    e0, n0 = LOCALITIES[0][4], LOCALITIES[0][5]
    x = np.arange(-300.0, 301.0, 10.0)
    rows.append({"id": "track-1", "highway": "track",  # a winding track: what simplification acts on
                 "geometry": shapely.LineString(np.column_stack([e0 + x, n0 + 380 + 12 * np.sin(x / 25)]))})
    return gpd.GeoDataFrame(rows, crs=CRS)


def with_progress(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The synthetic plan after re-planning from what is built: Jadwisin built, Wola Kiełpińska remaining,
    Skrzeszew at risk; the segments of Jadwisin built; two segments of Skrzeszew wait for consents."""
    loc = layers["localities"].copy()
    loc["village_state"] = ["built", "remaining", "at_risk"]
    loc["pct_passed_now"] = [100.0, 40.0, 5.0]
    loc["milestone_reachable"] = [True, True, False]
    seg = layers["segments"].copy()
    seg["built"] = (seg["locality"] == "Jadwisin").to_numpy()
    sk = np.flatnonzero((seg["locality"] == "Skrzeszew").to_numpy())[:2]
    seg["consent"] = seg["consent"].where(seg["locality"] != "Skrzeszew", "not_needed")
    seg.loc[seg.index[sk], "consent"] = "pending"
    return {**layers, "localities": loc, "segments": seg}


#: TERC code and name of the synthetic communes (real TERC codes of Legionowo county and neighbours).
COMMUNES = (("1408011", "Legionowo"), ("1408022", "Jabłonna"), ("1408035", "Nieporęt"),
            ("1408045", "Serock"), ("1408055", "Wieliszew"), ("1432013", "Nowy Dwór Mazowiecki"))
#: The synthetic commune whose plan failed.
FAILED_TERC = "1408035"


def make_fixture_communes(n: int = 6, seed: int = 3) -> gpd.GeoDataFrame:
    """Communes of a synthetic region (EPSG:2180): a grid (3 or sqrt(n) wide) of irregular 8 km cells near Serock,
    with plan figures; the commune :data:`FAILED_TERC` failed (its figures are NaN)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        terc, name = COMMUNES[i % len(COMMUNES)] if i < len(COMMUNES) else (f"14{i:05d}", f"Gmina {i}")
        width = max(3, int(np.ceil(np.sqrt(n))))
        x0, y0 = 620_000.0 + (i % width) * 8_000.0, 505_000.0 + (i // width) * 8_000.0
        ring = [(x0, y0), (x0 + 4_000, y0 - 300 * rng.random()), (x0 + 8_000, y0), (x0 + 8_000 + 200 * rng.random(),
                y0 + 8_000), (x0, y0 + 8_000)]
        white = int(rng.integers(200, 3_000))
        targets = int(white * 0.95)
        km = rng.uniform(20, 120, 3)
        cost = float(km.sum() * 80_000 + targets * 1_200)
        rows.append({"terc": terc, "commune": name, "white_spots": white, "targets": targets,
                     "connected": int(targets * 0.9), "km_aerial": km[0], "km_duct": km[1], "km_trench": km[2],
                     "cost_pln": cost, "cost_per_home_pln": cost / targets, "milestones_ok": bool(i % 4),
                     "failed": terc == FAILED_TERC, "geometry": shapely.Polygon(ring)})
    gdf = gpd.GeoDataFrame(rows, crs=CRS)
    num = ["white_spots", "targets", "connected", "km_aerial", "km_duct", "km_trench", "cost_pln", "cost_per_home_pln"]
    gdf[num] = gdf[num].astype(float)
    gdf.loc[gdf["failed"], num] = np.nan
    return gdf


def write_area_roads(roads: gpd.GeoDataFrame, plan_dir: Path) -> Path:
    """Write ``plan_dir/area.gpkg`` with its ``roads`` layer (as the pipeline keeps the study area)."""
    roads.to_file(Path(plan_dir) / "area.gpkg", layer="roads", driver="GPKG", engine="pyogrio")
    return Path(plan_dir)


# --- reading a written map ------------------------------------------------------

_LAYER_DATA = re.compile(r'<script type="application/json" id="\w+">(.*?)</script>', re.S)


def page_specs(html_text: str) -> list[dict[str, Any]]:
    """The compact layer specs embedded in a map page, in layer-control order."""
    return [json.loads(m.group(1)) for m in _LAYER_DATA.finditer(html_text)]


def spec_values(spec: dict[str, Any], label: str) -> list:
    """Decoded values of the popup field ``label`` of a layer spec."""
    col = next(c for c in spec["cols"] if c["label"] == label)
    return [col["dict"][v] for v in col["v"]] if "dict" in col else col["v"]


def spec_styles(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The style of each feature of a layer spec."""
    n = len(spec["rows"]) if "rows" in spec else len(spec["geom"]) if "geom" in spec else len(spec["lat"])
    return [spec["styles"][spec["si"][k] if spec["si"] else 0] for k in range(n)]


# --- headless Chromium (the session fixture ``chromium`` of conftest.py) ---------------------


class MapPage:
    """A map opened in Chromium with network requests blocked, console errors and requests recorded."""

    def __init__(self, browser: Any, html_path: Path, *, width: int = 1400, height: int = 900) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                        else r.abort())
        self.page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
        self.page.wait_for_function("window.plannerMapReady === true", timeout=30_000)

    def network(self) -> list[str]:
        """Requests that left the machine (none for an offline map)."""
        return [u for u in self.requests if u.startswith(("http:", "https:"))]

    def patch(self, lat: float, lon: float, r: int) -> np.ndarray:
        """RGB (0..255) of the rendered page in a square of ``2r + 1`` pixels around a map position."""
        import io

        import matplotlib.image

        x, y = self._xy(lat, lon)
        img = matplotlib.image.imread(io.BytesIO(self.page.screenshot()), format="png")
        return np.round(img[y - r:y + r + 1, x - r:x + r + 1, :3].astype(float) * 255).astype(int)

    def _xy(self, lat: float, lon: float) -> tuple[int, int]:
        x, y = self.page.evaluate("""([lat, lon]) => {
            const p = plannerMap.map.latLngToContainerPoint([lat, lon]);
            const r = plannerMap.map.getContainer().getBoundingClientRect();
            return [Math.round(r.left + p.x), Math.round(r.top + p.y)]; }""", [lat, lon])
        return int(x), int(y)

    def pixel(self, lat: float, lon: float) -> tuple[int, int, int]:
        """RGB of the rendered page at a map position (from a screenshot)."""
        px = self.patch(lat, lon, 0)[0, 0]
        return int(px[0]), int(px[1]), int(px[2])

    def close(self) -> None:
        """Close the page."""
        self.page.close()


def blend(fill: str, opacity: float, background: str = "#f2efe9") -> tuple[int, int, int]:
    """The colour of ``fill`` at ``opacity`` over ``background`` (the map's CSS background)."""
    f = [int(fill[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(background[i:i + 2], 16) for i in (1, 3, 5)]
    return tuple(round(opacity * fv + (1 - opacity) * bv) for fv, bv in zip(f, b))  # type: ignore[return-value]
