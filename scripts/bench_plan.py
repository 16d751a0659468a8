"""Benchmark of a whole plan: `planner plan --area demo`, warm, and where its time goes.

Measures

* the command itself, ``planner plan --area demo --out DIR`` in a fresh process with a warm
  numba cache (best and median of ``--runs``; goal <= 6 s on the 2-core machine), every
  output written and the UKE export validated against the official XSDs;
* in this process: loading the area, each stage of ``planner.plan`` and each output of
  ``planner.output.write_plan`` (wall seconds);
* with ``--cold``, the command's first run on an empty numba cache against the next run
  (the compilation a fresh clone pays once; goal <= 15 s);
* the XSD validation of the demo's UKE export by libxml2 (lxml, what the planner runs) and by
  the pure-Python ``xmlschema`` the planner used before, on the same documents.

Usage::

    python scripts/bench_plan.py [--runs 3] [--skip-command] [--cold]
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

import planner  # noqa: E402
from planner.output import uke, write_plan  # noqa: E402
from planner.output.uke.templates import UKE_LAYERS, template_columns, templates_dir  # noqa: E402
from planner.output.uke.validate import xsd_errors  # noqa: E402

GOAL_S = 6.0
#: Goal for the numba compilation of a fresh clone's first `make demo` plan (issue #17).
COMPILE_GOAL_S = 15.0


def _command_times(runs: int, numba_cache: str | None = None) -> list[float]:
    """Wall seconds of ``runs + 1`` runs of the command; the first (warming the caches) is included.

    ``numba_cache``: a ``NUMBA_CACHE_DIR`` for the runs (an empty one makes the first run compile
    every kernel, as on a fresh clone).
    """
    exe = Path(sys.executable).with_name("planner")
    cmd = [str(exe) if exe.exists() else "planner", "plan", "--area", "demo", "--quiet"]
    env = {**os.environ, "TQDM_DISABLE": "1", **({"NUMBA_CACHE_DIR": numba_cache} if numba_cache else {})}
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs + 1):
            out = Path(tmp) / f"demo{k}"
            t0 = time.perf_counter()
            subprocess.run([*cmd, "--out", str(out)], check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
            times.append(time.perf_counter() - t0)
    return times


def _in_process() -> tuple[dict[str, float], dict[str, float], float, planner.Plan]:
    t0 = time.perf_counter()
    area = planner.load_area("demo")
    t_load = time.perf_counter() - t0
    cfg = planner.load_config("demo").updated(progress=False)
    planner.plan(area, cfg)  # warm (numba cache, imports)
    stages: dict[str, float] = {}
    p = planner.plan(area, cfg, official_list=planner.datasets.get_path("demo_official_list"), timings=stages)
    outputs: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_plan(p, Path(tmp) / "warm")
        t0 = time.perf_counter()
        write_plan(p, Path(tmp) / "demo", timings=outputs)
        outputs["TOTAL (wall)"] = time.perf_counter() - t0
    return stages, outputs, t_load, p


def _validators(p: planner.Plan) -> dict[str, float]:
    tables = uke.uke_tables(p, operator_id=p.config.output.uke_operator_id)
    xsd_dir = templates_dir() / "zestaw7_xsd"
    out = {}
    for engine in ("lxml", "xmlschema"):
        for key, gdf in tables.items():  # parse the schemas once, outside the timing
            xsd_errors(gdf.head(1), xsd_dir / f"{UKE_LAYERS[key]}.xsd", template_columns(key), engine)
        t0 = time.perf_counter()
        n_errors = sum(len(xsd_errors(gdf, xsd_dir / f"{UKE_LAYERS[key]}.xsd", template_columns(key), engine))
                       for key, gdf in tables.items())
        out[engine] = time.perf_counter() - t0
        assert n_errors == 0, f"{engine}: {n_errors} XSD errors"
    out["features"] = float(sum(len(g) for g in tables.values()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-command", action="store_true", help="only the in-process breakdown")
    ap.add_argument("--cold", action="store_true", help="also the command's first run on an empty numba cache")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    stages, outputs, t_load, p = _in_process()
    print(f"\nload_area('demo'): {t_load:.2f} s")
    print("stages of planner.plan (s):")
    for k, v in stages.items():
        print(f"  {k:<28} {v:6.2f}")
    print(f"  {'TOTAL':<28} {sum(stages.values()):6.2f}")
    print("outputs of write_plan (s; the map screenshot and the jobs marked (process) run in other processes):")
    for k, v in outputs.items():
        print(f"  {k:<28} {v:6.2f}")
    val = _validators(p)
    print(f"\nUKE XSD validation of {val['features']:.0f} features: libxml2 (lxml) {val['lxml']:.3f} s, "
          f"xmlschema {val['xmlschema']:.2f} s = {val['xmlschema'] / val['lxml']:.0f}x slower")
    if not args.skip_command:
        times = _command_times(args.runs)[1:]  # the first run warms the numba cache and the OS file cache
        best, med = min(times), statistics.median(times)
        print(f"\n`planner plan --area demo`, warm, {len(times)} runs: best {best:.2f} s, median {med:.2f} s "
              f"(goal <= {GOAL_S:.0f} s: {'met' if best <= GOAL_S else 'NOT met'})")
    if args.cold:
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = _command_times(1, numba_cache=cache)
        print(f"first run on an empty numba cache (a fresh clone): {cold:.2f} s, the next {warm:.2f} s: "
              f"{cold - warm:.1f} s of compilation (goal <= {COMPILE_GOAL_S:.0f} s: "
              f"{'met' if cold - warm <= COMPILE_GOAL_S else 'NOT met'})")


if __name__ == "__main__":
    main()
