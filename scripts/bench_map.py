"""Benchmark of the maps: file size and drawing time in headless Chromium, against plain folium.

1. The councillor map of the largest available plan (``out/demo`` if the pipeline has written it, else a
   synthetic 12 000-address plan), as the pipeline writes it (offline, with the base layer of roads and
   place names when the plan directory has ``area.gpkg``), and the same map without the base layer.
2. Reference, in the same process and browser: the same address points and network segments drawn the
   usual folium way (``folium.GeoJson`` with circle markers, canvas renderer, popups as folium builds
   them).  Printed as a ratio: file size and time to draw of the planner's map over folium's.
3. The communes map (issue #19) of a synthetic national grid of ``--communes`` communes over Poland's
   extent, with wavy boundaries (a stand-in for real commune polygons).

Each page is opened in Debian Chromium (network blocked); times are medians of ``--runs`` loads:

* navigation to the ``load`` event (parsing the inlined Leaflet and data), and
* time until ``window.plannerMapReady`` (every layer added and the canvas drawn; for the folium
  reference: the load event plus two animation frames).

Goals: councillor map < 3 s to ready and <= 10 MB.  Usage::

    python scripts/bench_map.py [--plan DIR] [--runs 3] [--communes 2500] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from planner import maps  # noqa: E402
from planner.config import MapConfig  # noqa: E402

GOAL_S = 3.0
GOAL_MB = 10.0
_FOLIUM_READY = "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"


def _layers(plan: Path | None, n_synthetic: int):
    if plan is not None and (plan / "plan.gpkg").is_file():
        return f"plan {plan}", maps.read_plan_layers(plan)
    from _map_fixtures import make_fixture_layers, make_fixture_roads

    layers = make_fixture_layers(n_synthetic)
    return f"synthetic plan, {n_synthetic} addresses", {**layers, "roads": make_fixture_roads(layers)}


def _folium_reference(layers, path: Path) -> Path:
    """Address points and segments as plain folium GeoJson layers (canvas), popups by folium."""
    import folium

    a = layers["addresses"].to_crs("EPSG:4326")
    b = a.total_bounds
    m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=13, tiles=None, prefer_canvas=True)
    assets = ROOT / "planner" / "assets" / "leaflet"  # the same Leaflet, from disk (no CDN, no network)
    m.default_js = [("leaflet", (assets / "leaflet.js").as_uri())]
    m.default_css = [("leaflet_css", (assets / "leaflet.css").as_uri())]
    cols = [c for c in ("locality", "street", "house_number", "plan_status") if c in a.columns]
    folium.GeoJson(a[[*cols, "geometry"]], name="addresses", marker=folium.CircleMarker(radius=4),
                   popup=folium.GeoJsonPopup(fields=cols)).add_to(m)
    if "segments" in layers:
        s = layers["segments"].to_crs("EPSG:4326")
        folium.GeoJson(s[["deployment", "length_m", "geometry"]], name="segments",
                       popup=folium.GeoJsonPopup(fields=["deployment", "length_m"])).add_to(m)
    folium.LayerControl().add_to(m)
    m.save(str(path))
    return path


def _synthetic_communes(n: int):
    """``n`` communes on a grid over Poland's extent, boundaries wavy (a few hundred vertices each)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(11)
    side = int(np.ceil(np.sqrt(n)))
    w, h = 700_000 / side, 640_000 / side
    rows = []
    for i in range(n):
        x0, y0 = 170_000 + (i % side) * w, 140_000 + (i // side) * h
        box = shapely.segmentize(shapely.box(x0, y0, x0 + w, y0 + h), 100.0)
        xy = shapely.get_coordinates(box)
        # wobble: the same function of position on both sides of a shared edge (no gaps)
        wob = 300 * np.sin(xy[:, 0] / 2_500 + xy[:, 1] / 3_100) + 150 * np.sin(xy[:, 1] / 900)
        xy = xy + np.column_stack([wob, wob[::-1] * 0.5])
        poly = shapely.make_valid(shapely.Polygon(xy))
        if poly.geom_type not in ("Polygon", "MultiPolygon"):
            poly = shapely.box(x0, y0, x0 + w, y0 + h)
        white = int(rng.integers(50, 5_000))
        km = rng.uniform(5, 200, 3)
        cost = float(km.sum() * 90_000 + white * 1_100)
        rows.append({"terc": f"{1 + i // 400:02d}{i % 400:04d}2", "commune": f"Gmina {i}", "white_spots": white,
                     "targets": white, "connected": int(white * 0.9), "km_aerial": km[0], "km_duct": km[1],
                     "km_trench": km[2], "cost_pln": cost, "cost_per_home_pln": cost / white,
                     "milestones_ok": bool(rng.random() < 0.8), "failed": bool(rng.random() < 0.01),
                     "geometry": poly})
    return gpd.GeoDataFrame(rows, crs="EPSG:2180")


def _load_times(pages: list[tuple[Path, str]], runs: int) -> list[tuple[float, float]]:
    """Median (load, ready) seconds of each page, the pages interleaved run by run."""
    from playwright.sync_api import sync_playwright

    exe = maps.find_chromium()
    if exe is None:
        raise SystemExit("Chromium not found: run `make browser`")
    times: list[list[tuple[float, float]]] = [[] for _ in pages]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=list(maps.CHROMIUM_ARGS))
        try:
            for _ in range(runs):
                for k, (html, ready) in enumerate(pages):
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    errors: list[str] = []
                    page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                               else r.abort())
                    t0 = time.perf_counter()
                    page.goto(html.resolve().as_uri(), wait_until="load", timeout=120_000)
                    t_load = time.perf_counter() - t0
                    page.wait_for_function(ready, timeout=120_000, polling="raf")
                    t_ready = time.perf_counter() - t0
                    if errors:
                        raise SystemExit(f"JavaScript errors in {html.name}: {errors}")
                    times[k].append((t_load, t_ready))
                    page.close()
        finally:
            browser.close()
    return [(statistics.median(t for t, _ in ts), statistics.median(r for _, r in ts)) for ts in times]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", type=Path, default=ROOT / "out" / "demo")
    ap.add_argument("--synthetic", type=int, default=12_000, help="addresses of the synthetic plan")
    ap.add_argument("--communes", type=int, default=2_500, help="communes of the synthetic national map (0: skip)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="keep the maps in this directory (default: temporary)")
    args = ap.parse_args(argv)

    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"cores: {os.cpu_count()}")
    what, layers = _layers(args.plan, args.synthetic)
    n_addr = len(layers["addresses"])
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        html = maps.write_map(layers, out / "map.html", config=MapConfig())
        t_build = time.perf_counter() - t0
        bare = maps.write_map(layers, out / "map_no_base.html", config=MapConfig(base_layer=False))
        t0 = time.perf_counter()
        ref = _folium_reference(layers, out / "folium_reference.html")
        t_ref = time.perf_counter() - t0
        pages = [(html, "window.plannerMapReady === true"), (bare, "window.plannerMapReady === true"),
                 (ref, _FOLIUM_READY)]
        t_comm = 0.0
        if args.communes:
            communes = _synthetic_communes(args.communes)
            t0 = time.perf_counter()
            comm = maps.write_communes_map(communes, out / "communes.html")
            t_comm = time.perf_counter() - t0
            pages.append((comm, "window.plannerMapReady === true"))
        times = _load_times(pages, args.runs)
        sizes = [p.stat().st_size / 1e6 for p, _ in pages]

    (load, ready), (load_b, ready_b), (load_r, ready_r) = times[:3]
    print(f"map benchmark: {what} ({n_addr} address points, {len(layers.get('roads', []))} road pieces)")
    print(f"  build + write HTML        : {t_build:6.2f} s   (folium reference: {t_ref:.2f} s)")
    size_ok = "OK" if sizes[0] <= GOAL_MB else "OVER"
    print(f"  file size                 : {sizes[0]:6.2f} MB   (goal <= {GOAL_MB:g} MB)  {size_ok}; "
          f"without base layer {sizes[1]:.2f} MB; folium reference {sizes[2]:.2f} MB "
          f"(ratio {sizes[0] / sizes[2]:.2f})")
    print(f"  load event                : {load:6.2f} s   (median of {args.runs}); "
          f"without base layer {load_b:.2f} s; folium reference {load_r:.2f} s")
    verdict = "OK" if ready < GOAL_S else "OVER"
    print(f"  layers drawn (ready)      : {ready:6.2f} s   (goal < {GOAL_S:g} s)  {verdict}; "
          f"without base layer {ready_b:.2f} s; folium reference (addresses + segments only) {ready_r:.2f} s "
          f"(ratio {ready / ready_r:.2f})")
    if args.communes:
        c_load, c_ready = times[3]
        print(f"communes map: {args.communes} synthetic communes over Poland")
        print(f"  build + write HTML        : {t_comm:6.2f} s")
        print(f"  file size                 : {sizes[3]:6.2f} MB")
        print(f"  load event / ready        : {c_load:6.2f} s / {c_ready:.2f} s")
    return 0 if (ready < GOAL_S and sizes[0] <= GOAL_MB) else 1


if __name__ == "__main__":
    raise SystemExit(main())
