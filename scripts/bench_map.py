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

Goals: councillor map < 3 s to ready and <= 10 MB.

4. The renderer's cost of ``map.png`` (:mod:`planner.maps.cdp`, the way the pipeline takes it): the
   councillor map opened with the map runtime of this checkout (``planner/assets/planner_map*.js``, ``.css``)
   and, in the same browser, with the runtime of ``--base-rev`` swapped into the same page (a git
   revision; the data and the rest of the page are the same bytes).  Per page, best of ``--cdp-runs``
   loads in one Chromium: ``Performance.getMetrics``' ``ScriptDuration`` and ``TaskDuration`` of the
   page, and the CPU time of Chromium's whole process group (``/proc``: browser, renderers, GPU and
   utility processes) from navigation to the PNG; then the same CPU from launching Chromium to the PNG,
   one browser per load, as the pipeline pays it.  Ratios old/new; the two screenshots are compared
   pixel by pixel.  Other processes on the machine inflate every figure: ``uptime`` is printed.

Usage::

    python scripts/bench_map.py [--plan DIR] [--runs 3] [--communes 2500] [--out DIR] [--base-rev REV]
    python scripts/bench_map.py --renderer out/demo/map.html [--base-rev REV] [--cdp-runs 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import re
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
#: Revision whose map runtime the renderer comparison swaps in: the commit before the bulk drawing.
BASE_REV = "d70e884"
#: The runtime files inlined into a map page, by the first line of their text.
_RUNTIME = ("planner_map.js", "planner_map_bulk.js", "planner_map_network.js", "planner_map.css")
#: Revisions before the bulk drawing had its own file have it inside ``planner_map.js``.
_NO_BULK = "/* planner_map_bulk.js - not in this revision: the bulk drawing is inside planner_map.js */"
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


# --- 4. the renderer's cost of map.png ---------------------------------------------------------------


def _with_runtime(html: str, assets: dict[str, str]) -> str:
    """``html`` with each inlined runtime file (found by its first line, ``/* name - ...``) replaced by ``assets``."""
    for name, text in assets.items():
        tag = "style" if name.endswith(".css") else "script"
        found = list(re.finditer(rf"<{tag}>\n(/\* {re.escape(name)} - .*?)\n</{tag}>", html, re.S))
        if len(found) != 1:
            if name == "planner_map_network.js" and not found:  # only in maps of an optical network
                continue
            if name == "planner_map_bulk.js" and not found:  # a page of a revision before the split
                core = list(re.finditer(r"<script>\n/\* planner_map\.js - .*?\n</script>", html, re.S))
                if len(core) == 1:
                    html = html[:core[0].end()] + f"\n    <script>\n{text}\n</script>" + html[core[0].end():]
                    continue
            raise SystemExit(f"the page does not inline {name} once")
        html = html[:found[0].start(1)] + text + html[found[0].end(1):]
    return html


def _runtime_at(rev: str | None) -> dict[str, str]:
    """The runtime files of a git revision (``None``: of this checkout)."""
    if rev is None:
        return {n: (ROOT / "planner" / "assets" / n).read_text(encoding="utf-8") for n in _RUNTIME}
    out = {}
    for n in _RUNTIME:
        done = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:planner/assets/{n}"],
                              capture_output=True, text=True)
        if done.returncode != 0 and n == "planner_map_bulk.js":
            out[n] = _NO_BULK
            continue
        if done.returncode != 0:
            raise SystemExit(f"cannot read planner/assets/{n} at {rev}: {done.stderr.strip()}")
        out[n] = done.stdout
    return out


def _renderer_costs(pages: list[Path], runs: int) -> tuple[list[dict[str, float]], list[float], list[bytes]]:
    """Best-of-``runs`` renderer metrics per page (one warm browser), cold launch-to-PNG CPU, a screenshot each."""
    from planner.maps.cdp import Browser

    exe = maps.find_chromium()
    if exe is None:
        raise SystemExit("Chromium not found: run `make browser`")
    keys = ("ScriptDuration", "TaskDuration", "cpu", "wall")
    best = [dict.fromkeys(keys, float("inf")) for _ in pages]
    shots: list[bytes] = [b"" for _ in pages]
    with Browser(exe, maps.CHROMIUM_ARGS) as b:
        for _ in range(runs):
            for k, html in enumerate(pages):
                session = b.new_page(1400, 900)
                target = b.send("Target.getTargetInfo", session=session)["targetInfo"]["targetId"]
                b.send("Performance.enable", session=session)
                cpu0, t0 = b.cpu_seconds(), time.perf_counter()
                shots[k] = b.screenshot(html.resolve().as_uri(), 1400, 900, session=session)
                wall, cpu = time.perf_counter() - t0, b.cpu_seconds() - cpu0
                got = {m["name"]: m["value"] for m in b.send("Performance.getMetrics", session=session)["metrics"]}
                got.update(cpu=cpu, wall=wall)
                best[k] = {m: min(best[k][m], got[m]) for m in keys}
                b.send("Target.closeTarget", {"targetId": target})
    cold = [float("inf")] * len(pages)
    for _ in range(runs):
        for k, html in enumerate(pages):
            with Browser(exe, maps.CHROMIUM_ARGS) as b:
                b.screenshot(html.resolve().as_uri(), 1400, 900)
                cold[k] = min(cold[k], b.cpu_seconds())
    return best, cold, shots


def _pixels_differing(a: bytes, b: bytes) -> tuple[int, int]:
    """Pixels whose colour differs between two PNGs of one size, and the largest difference (0..255)."""
    import matplotlib.image
    import numpy as np

    x, y = (np.round(matplotlib.image.imread(io.BytesIO(p), format="png")[..., :3] * 255).astype(int) for p in (a, b))
    if x.shape != y.shape:
        return x.shape[0] * x.shape[1], 255
    d = np.abs(x - y).max(axis=-1)
    return int((d > 0).sum()), int(d.max())


def renderer_benchmark(html: Path, base_rev: str, runs: int, out: Path | None) -> None:
    """Print the renderer's cost of ``map.png`` for ``html`` with this checkout's runtime and ``base_rev``'s."""
    text = html.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        folder = out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        new = folder / "map_runtime_new.html"
        old = folder / "map_runtime_old.html"
        new.write_text(_with_runtime(text, _runtime_at(None)), encoding="utf-8")
        old.write_text(_with_runtime(text, _runtime_at(base_rev)), encoding="utf-8")
        (m_old, m_new), (c_old, c_new), (s_old, s_new) = (list(t) for t in _renderer_costs([old, new], runs))
        if out is not None:
            (folder / "map_runtime_old.png").write_bytes(s_old)
            (folder / "map_runtime_new.png").write_bytes(s_new)
    n_diff, worst = _pixels_differing(s_old, s_new)
    print(f"map.png in Chromium over the DevTools pipe: {html} ({html.stat().st_size / 1e6:.2f} MB), 1400x900, "
          f"best of {runs}; old = map runtime of {base_rev}, new = this checkout")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"  {'':40s} {'old':>8s} {'new':>8s} {'old/new':>8s}")
    rows = [("page ScriptDuration, s", m_old["ScriptDuration"], m_new["ScriptDuration"]),
            ("page TaskDuration, s", m_old["TaskDuration"], m_new["TaskDuration"]),
            ("process-group CPU, navigation to PNG, s", m_old["cpu"], m_new["cpu"]),
            ("wall, navigation to PNG, s", m_old["wall"], m_new["wall"]),
            ("process-group CPU, launch to PNG, s", c_old, c_new)]
    for label, a, b in rows:
        print(f"  {label:40s} {a:8.3f} {b:8.3f} {a / b:8.2f}")
    same = "the same picture" if n_diff == 0 else f"{n_diff} pixels differ, by at most {worst}/255"
    print(f"  screenshots old vs new: {same}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", type=Path, default=ROOT / "out" / "demo")
    ap.add_argument("--synthetic", type=int, default=12_000, help="addresses of the synthetic plan")
    ap.add_argument("--communes", type=int, default=2_500, help="communes of the synthetic national map (0: skip)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="keep the maps in this directory (default: temporary)")
    ap.add_argument("--renderer", type=Path, default=None, metavar="MAP_HTML",
                    help="only the renderer comparison (4.), on this written map")
    ap.add_argument("--base-rev", default=BASE_REV, help=f"git revision of the old map runtime (default {BASE_REV})")
    ap.add_argument("--cdp-runs", type=int, default=5, help="loads per page of the renderer comparison")
    args = ap.parse_args(argv)
    if args.renderer is not None:
        renderer_benchmark(args.renderer, args.base_rev, args.cdp_runs, args.out)
        return 0

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
        print()
        renderer_benchmark(html, args.base_rev, args.cdp_runs, args.out)
        print()

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
