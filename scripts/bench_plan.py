"""Benchmark of a whole plan: `planner plan --area demo`, warm, and where its time goes.

Measures

* the command itself, ``planner plan --area demo --out DIR`` in a fresh process with a warm
  numba cache (best and median of ``--runs``; goal <= 6 s on the 2-core machine), every
  output written and the UKE export validated against the official XSDs;
* in this process: loading the area, each stage of ``planner.plan`` and each output of
  ``planner.output.write_plan`` written alone, one after the other in one process (wall
  seconds: what each costs), map.png included (Chromium's wall and the CPU seconds of its
  whole process group); then the plan made and written the way ``planner plan`` does it
  (:class:`planner.output.PlanWriter`: area.gpkg and uke/ forked while later stages run, the
  browser started first), with the wall seconds of each stage and output and the total;
* with ``--cold``, the command's first run on an empty numba cache against the next run
  (the compilation a fresh clone pays once; goal <= 15 s), wall and CPU seconds, and where the
  compile time goes: a numba compile-event listener in the command's process sums each
  dispatcher's compile CPU time (exclusive of the callees it compiles; ``--cold-only`` skips
  everything else, ``--cold-repeat N`` repeats the pair);
* the XSD validation of the demo's UKE export by libxml2 (lxml, what the planner runs) and by
  the pure-Python ``xmlschema`` the planner used before, on the same documents;
* the CPU seconds (``time.process_time``, best of 3 in this process) of the whole UKE export
  (``planner.output.uke.export_uke``: layers, XSD check of every feature, CSV + GeoJSON written;
  goal <= 0.8 s).

Usage::

    python scripts/bench_plan.py [--runs 3] [--skip-command] [--cold] [--cold-only] [--cold-repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def _command_times(runs: int) -> list[float]:
    """Wall seconds of ``runs + 1`` runs of the command; the first (warming the caches) is included."""
    exe = Path(sys.executable).with_name("planner")
    cmd = [str(exe) if exe.exists() else "planner", "plan", "--area", "demo", "--quiet"]
    env = {**os.environ, "TQDM_DISABLE": "1"}
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs + 1):
            out = Path(tmp) / f"demo{k}"
            t0 = time.perf_counter()
            subprocess.run([*cmd, "--out", str(out)], check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
            times.append(time.perf_counter() - t0)
    return times


#: The command in a process with a numba compile-event listener; the compile CPU seconds per dispatcher
#: (exclusive of the callees compiled for it) and its signatures go to the JSON file named in argv[1].
_LISTENED_RUN = """
import atexit, json, sys, threading, time
from collections import defaultdict
from numba.core import event
seconds, sigs, local = defaultdict(float), defaultdict(list), threading.local()
class Listener(event.Listener):
    def on_start(self, ev):
        local.stack = getattr(local, "stack", [])
        local.stack.append([time.thread_time(), 0.0])
    def on_end(self, ev):
        t0, inner = local.stack.pop()
        d = time.thread_time() - t0
        if local.stack:
            local.stack[-1][1] += d
        f = ev.data["dispatcher"].py_func
        name = f.__module__ + "." + f.__qualname__
        seconds[name] += d - inner
        sigs[name].append(str(ev.data["args"]))
event.register("numba:compile", Listener())
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps({"seconds": seconds, "signatures": sigs})))
sys.argv = ["planner", *sys.argv[2:]]
from planner.cli import main
main()
"""


def _listened_runs(cache: str, n: int = 2) -> list[tuple[float, float, dict]]:
    """Wall seconds, CPU seconds and compile report of ``n`` runs of the command on the numba cache ``cache``."""
    env = {**os.environ, "TQDM_DISABLE": "1", "NUMBA_CACHE_DIR": cache}
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(n):
            report = Path(tmp) / f"compile{k}.json"
            cmd = [sys.executable, "-c", _LISTENED_RUN, str(report), "plan", "--area", "demo", "--quiet",
                   "--out", str(Path(tmp) / f"demo{k}")]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            runs.append((wall, cpu, json.loads(report.read_text())))
    return runs


def _cold(repeat: int, top: int = 12) -> None:
    """Print the command's first run on an empty numba cache against the next, ``repeat`` times."""
    for r in range(repeat):
        with tempfile.TemporaryDirectory() as cache:
            (cold, cold_cpu, rep), (warm, warm_cpu, _) = _listened_runs(cache)
        print(f"\nfirst run on an empty numba cache (a fresh clone), load average {os.getloadavg()[0]:.2f}: "
              f"{cold:.2f} s wall ({cold_cpu:.2f} s CPU), the next {warm:.2f} s ({warm_cpu:.2f} s CPU): "
              f"{cold - warm:.1f} s wall, {cold_cpu - warm_cpu:.1f} s CPU of compilation "
              f"(goal <= {COMPILE_GOAL_S:.0f} s: {'met' if cold - warm <= COMPILE_GOAL_S else 'NOT met'})")
        if r == 0:
            sec, sigs = rep["seconds"], rep["signatures"]
            impl = {k for k in sigs if "<locals>" in k}  # implementations of overloads (numpy's, ...)
            again = sorted(k for k, v in sigs.items() if len(v) > 1 and k not in impl)
            lib = sorted((k for k in impl if len(sigs[k]) > 1), key=lambda k: -len(sigs[k]))
            print(f"numba compile CPU (listener, each dispatcher without the callees it compiles): "
                  f"{sum(sec.values()):.1f} s in {len(sec)} dispatchers, {sum(map(len, sigs.values()))} "
                  f"compilations; kernels compiled more than once: {', '.join(again) or 'none'}; overload "
                  "implementations compiled per argument types and caller flags: "
                  + ", ".join(f"{k.split('.<locals>')[0].rsplit('.', 1)[-1]} {len(sigs[k])}x" for k in lib))
            for name in sorted(sec, key=sec.get, reverse=True)[:top]:
                print(f"  {sec[name]:5.2f} s  {len(sigs[name])}x  {name}")


def _screenshot_alone(html: Path, png: Path) -> tuple[float, float]:
    """Wall seconds of map.png with a browser started for it, and the CPU seconds of Chromium's processes."""
    from planner.maps.browser import CHROMIUM_ARGS, find_chromium, screenshot
    from planner.maps.cdp import Browser

    exe = find_chromium()
    if exe is None:
        return float("nan"), float("nan")
    t0 = time.perf_counter()
    with Browser(exe, CHROMIUM_ARGS) as b:
        screenshot(html, png, browser=b)
        cpu = b.cpu_seconds()
    return time.perf_counter() - t0, cpu


def _in_process() -> tuple[dict[str, float], dict[str, float], dict[str, float], float, planner.Plan]:
    from planner.output import PlanWriter
    from planner.output.screenshot import Screenshotter

    t0 = time.perf_counter()
    area = planner.load_area("demo")
    t_load = time.perf_counter() - t0
    cfg = planner.load_config("demo").updated(progress=False)
    official = planner.datasets.get_path("demo_official_list")
    p = planner.plan(area, cfg, official_list=official)  # warm (numba cache, imports)
    alone: dict[str, float] = {}
    stages: dict[str, float] = {}
    outputs: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_plan(p, Path(tmp) / "warm")
        write_plan(p, Path(tmp) / "alone", processes=1, screenshot=False, timings=alone)
        alone["map.png"], alone["map.png: Chromium CPU"] = _screenshot_alone(Path(tmp) / "alone" / "map.html",
                                                                             Path(tmp) / "map.png")
        shooter = Screenshotter().start()
        t0 = time.perf_counter()
        with PlanWriter(Path(tmp) / "demo", timings=outputs, shooter=shooter) as writer:
            p = planner.plan(area, cfg, official_list=official, timings=stages, on_stage=writer.stage_done)
            writer.write(p)
        outputs["TOTAL (wall, plan and outputs)"] = time.perf_counter() - t0
    return stages, alone, outputs, t_load, p


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


#: Goal for the CPU seconds of the demo's UKE export (issue #15).
UKE_CPU_GOAL_S = 0.8


def _uke_export_cpu(p: planner.Plan, runs: int = 3) -> float:
    """Best CPU seconds of ``export_uke`` on the plan (the first call, which compiles the XSDs, apart)."""
    out = p.config.output
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs + 1):
            t0 = time.process_time()
            uke.export_uke(p, Path(tmp) / f"uke{k}", operator_id=out.uke_operator_id,
                           project_number=out.uke_project_number)
            times.append(time.process_time() - t0)
    return min(times[1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-command", action="store_true", help="only the in-process breakdown")
    ap.add_argument("--cold", action="store_true", help="also the command's first run on an empty numba cache")
    ap.add_argument("--cold-only", action="store_true", help="only the first run on an empty numba cache")
    ap.add_argument("--cold-repeat", type=int, default=1, help="first/next run pairs of --cold")
    args = ap.parse_args()
    if args.cold_only:
        print(f"machine: {os.cpu_count()} CPUs")
        _cold(args.cold_repeat)
        return
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    stages, alone, outputs, t_load, p = _in_process()
    print(f"\nload_area('demo'): {t_load:.2f} s")
    print("each output written alone, one after the other in one process (s):")
    for k, v in alone.items():
        print(f"  {k:<32} {v:6.2f}")
    print(f"  {'TOTAL (without Chromium CPU)':<32} {sum(v for k, v in alone.items() if 'CPU' not in k):6.2f}")
    print("planned and written as `planner plan` does (PlanWriter), stages (s):")
    for k, v in stages.items():
        print(f"  {k:<32} {v:6.2f}")
    print(f"  {'TOTAL':<32} {sum(stages.values()):6.2f}")
    print("  outputs (s; area.gpkg from the white-spot stage and uke/ from the design stage on, and the "
          "workbooks, Gantt chart and report, in forked processes; map.png in the browser process):")
    for k, v in outputs.items():
        print(f"  {k:<32} {v:6.2f}")
    val = _validators(p)
    print(f"\nUKE XSD validation of {val['features']:.0f} features: libxml2 (lxml) {val['lxml']:.3f} s, "
          f"xmlschema {val['xmlschema']:.2f} s = {val['xmlschema'] / val['lxml']:.0f}x slower")
    cpu = _uke_export_cpu(p)
    print(f"UKE export (export_uke: layers, XSD check of every feature, CSV + GeoJSON): {cpu:.3f} CPU s, "
          f"best of 3 (goal <= {UKE_CPU_GOAL_S} s: {'met' if cpu <= UKE_CPU_GOAL_S else 'NOT met'})")
    if not args.skip_command:
        times = _command_times(args.runs)[1:]  # the first run warms the numba cache and the OS file cache
        best, med = min(times), statistics.median(times)
        print(f"\n`planner plan --area demo`, warm, {len(times)} runs: best {best:.2f} s, median {med:.2f} s "
              f"(goal <= {GOAL_S:.0f} s: {'met' if best <= GOAL_S else 'NOT met'})")
    if args.cold:
        _cold(args.cold_repeat)


if __name__ == "__main__":
    main()
