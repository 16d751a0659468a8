"""Benchmark of the councillor map: file size and load time in headless Chromium.

Builds the offline map of the largest available plan (``out/demo/plan.gpkg``
if the pipeline has written it, else a synthetic 12 000-address plan), then
opens it in Debian Chromium (network blocked) and measures

* navigation to the ``load`` event (parsing the inlined Leaflet and data), and
* time until ``window.plannerMapReady``: every layer added and the canvas drawn.

Goal: < 3 s to ready, file <= 10 MB.  Usage::

    python scripts/bench_map.py [--plan DIR] [--runs 3] [--out out/bench/map.html]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from planner import maps  # noqa: E402

GOAL_S = 3.0
GOAL_MB = 10.0


def _layers(plan: Path | None, n_synthetic: int):
    if plan is not None and (plan / "plan.gpkg").is_file():
        return f"plan {plan}", maps.read_plan_layers(plan)
    from _map_fixtures import make_fixture_layers

    return f"synthetic plan, {n_synthetic} addresses", make_fixture_layers(n_synthetic)


def _load_times(html: Path, runs: int) -> list[tuple[float, float]]:
    from playwright.sync_api import sync_playwright

    exe = maps.find_chromium()
    if exe is None:
        raise SystemExit("Chromium not found: run `make browser`")
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=list(maps.CHROMIUM_ARGS))
        try:
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                           else r.abort())
                t0 = time.perf_counter()
                page.goto(html.resolve().as_uri(), wait_until="load", timeout=60_000)
                t_load = time.perf_counter() - t0
                page.wait_for_function("window.plannerMapReady === true", timeout=60_000, polling="raf")
                t_ready = time.perf_counter() - t0
                if errors:
                    raise SystemExit(f"JavaScript errors: {errors}")
                out.append((t_load, t_ready))
                page.close()
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", type=Path, default=ROOT / "out" / "demo")
    ap.add_argument("--synthetic", type=int, default=12_000, help="addresses of the synthetic plan")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="keep the map here (default: temporary)")
    args = ap.parse_args(argv)

    what, layers = _layers(args.plan, args.synthetic)
    n_addr = len(layers["addresses"])
    with tempfile.TemporaryDirectory() as tmp:
        html = args.out or Path(tmp) / "map.html"
        t0 = time.perf_counter()
        maps.write_map(layers, html, offline=True)
        t_build = time.perf_counter() - t0
        size_mb = html.stat().st_size / 1e6
        times = _load_times(html, args.runs)
    load = statistics.median(t for t, _ in times)
    ready = statistics.median(r for _, r in times)
    print(f"map benchmark: {what} ({n_addr} address points)")
    print(f"  build + write HTML : {t_build:6.2f} s")
    size_ok = "OK" if size_mb <= GOAL_MB else "OVER"
    print(f"  file size          : {size_mb:6.2f} MB   (goal <= {GOAL_MB:g} MB)  {size_ok}")
    print(f"  load event         : {load:6.2f} s   (median of {len(times)})")
    print(f"  layers drawn       : {ready:6.2f} s   (goal < {GOAL_S:g} s)  {'OK' if ready < GOAL_S else 'OVER'}")
    return 0 if (ready < GOAL_S and size_mb <= GOAL_MB) else 1


if __name__ == "__main__":
    raise SystemExit(main())
