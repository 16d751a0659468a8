"""Benchmark of planner.whitespots.classify on synthetic address points.

Builds ``--points`` address points (default 1,000,000) in 2,000 localities with
50 streets each, about one coverage row per point (60 % keyed by address id,
25 % by SIMC/ULIC/number written differently -- 'ul.' prefix, lower case, no
leading zeros, flat numbers --, 10 % by street name without ULIC, 5 % as points
a few metres off) and one building per point (5 % missing, 2 % summer houses),
then times

* the key matching alone (normalised SIMC+ULIC+number and SIMC+street+number
  keys of addresses and coverage, and the join), and
* the whole :func:`planner.whitespots.classify` (checks, duplicate rows,
  id/key/point matching, classes, reasons, barriers),

and prints points per second.  The building-barrier search (every address
point against the buildings within 30 m) is also timed against geopandas'
STRtree (``sindex`` build + ``query(predicate="dwithin")``) in the same
process, with the same pairs asserted.  ``--stages`` also prints the time of
each stage of ``classify`` (best of the runs; stages nest, e.g. the key
matching is part of the matching, and overlap: the building search, the id
matching and the duplicate check run in worker threads beside the others).
``--compile`` also times the first white-spot stage of the demo area in a
fresh process with an empty numba cache (``NUMBA_CACHE_DIR``), as a fresh
clone's first run compiles it, and names the kernels compiled.
Run: ``python scripts/bench_whitespots.py``.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.area import Area
from planner.config import WhiteSpotConfig
from planner.whitespots import barriers, classification, classify, matching
from planner.whitespots.keys import key_pairs
from planner.whitespots.matching import within

CRS = "EPSG:2180"


def make_area(n: int, seed: int = 0) -> Area:
    """A synthetic study area with ``n`` address points, coverage and buildings."""
    rng = np.random.default_rng(seed)
    n_loc, n_str = 2_000, 50
    loc = rng.integers(0, n_loc, n)
    street = rng.integers(0, n_str, n)
    # unique house numbers within (locality, street): running number, some with a letter
    key = loc * n_str + street
    order = np.argsort(key, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(key[order])) + 1]
    counts = np.diff(np.r_[starts, n])
    rank[order] = np.arange(n) - np.repeat(starts, counts)
    num = (rank // 2 + 1).astype(str)
    letter = np.where(rank % 2 == 1, "A", "")
    hn = pd.Series(num) + letter
    simc = pd.Series(loc + 100_000).astype(str).str.zfill(7)
    ulic_code = loc * n_str + street
    ulic = pd.Series(ulic_code % 99_999 + 1).astype(str).str.zfill(5)
    street_name = "Księżycowa " + pd.Series(ulic_code).astype(str)
    x = 300_000 + (loc % 50) * 6_000 + rng.uniform(0, 5_000, n)
    y = 300_000 + (loc // 50) * 6_000 + rng.uniform(0, 5_000, n)
    addresses = gpd.GeoDataFrame({
        "id": "A" + pd.Series(np.arange(n)).astype(str),
        "terc": "1408045", "simc": simc, "ulic": ulic, "locality": "L" + pd.Series(loc, dtype=object).astype(str),
        "street": street_name, "house_number": hn, "postcode": "", "is_business": rng.random(n) < 0.06,
        "status": np.where(rng.random(n) < 0.002, "prognozowany", "istniejacy"),
    }, geometry=gpd.points_from_xy(x, y), crs=CRS)

    m = n
    target = rng.integers(0, n, m)
    kind = rng.choice(4, m, p=[0.60, 0.25, 0.10, 0.05])
    tech = rng.choice(4, m)
    techs = np.array(["GPON", "VDSL2", "(EURO)DOCSIS 3.x", "LTE"], dtype=object)
    media = np.array(["fibre", "copper", "coax", "radio"], dtype=object)
    speeds = np.array([1000.0, 50.0, 500.0, 150.0])
    ops = np.array(["FibreCo", "Orange", "Vectra", "Play", "LocalNet"], dtype=object)
    planned = rng.random(m) < 0.1
    empty = pd.Series([""] * m, dtype=object)
    t_simc = simc.to_numpy()[target]
    t_hn = hn.to_numpy()[target]
    hn_var = np.where(rng.random(m) < 0.5, pd.Series(t_hn).str.lower().to_numpy(),
                      (pd.Series(t_hn) + "/2").to_numpy())
    coverage = gpd.GeoDataFrame({
        "address_id": np.where(kind == 0, addresses["id"].to_numpy()[target], ""),
        "terc": np.where(kind == 1, "1408045", ""),
        "simc": np.where(kind == 1, pd.Series(t_simc).str.lstrip("0").to_numpy(), np.where(kind == 2, t_simc, "")),
        "ulic": np.where(kind == 1, ulic.to_numpy()[target], ""),
        "street": np.where(kind == 2, ("ul. " + street_name.str.upper()).to_numpy()[target], ""),
        "house_number": np.where(kind == 1, hn_var, np.where(kind == 2, t_hn, "")),
        "operator": ops[rng.integers(0, len(ops), m)],
        "medium": media[tech], "technology": techs[tech], "down_mbps": speeds[tech], "up_mbps": np.nan,
        "status": np.where(planned, "planned", "existing"),
        "year": pd.array(np.where(planned, rng.choice([2025, 2026, 2027], m), 0), dtype="Int64"),
    }, geometry=gpd.GeoSeries(np.where(kind == 3, gpd.points_from_xy(x[target] + 3, y[target] - 2), None), crs=CRS),
        crs=CRS)
    coverage.loc[~planned, "year"] = pd.NA
    del empty

    has_b = rng.random(n) >= 0.05
    buildings = gpd.GeoDataFrame({
        "id": "B" + pd.Series(np.flatnonzero(has_b), dtype=object).astype(str),
        "use": np.where(rng.random(has_b.sum()) < 0.02, "summer_house", "residential"),
    }, geometry=gpd.points_from_xy(x[has_b] + 8, y[has_b] + 6), crs=CRS)
    bounds = (float(x.min()), float(y.min()), float(x.max()), float(y.max()))
    return Area(name="bench", crs=CRS, bounds=bounds,
                layers={"addresses": addresses, "coverage": coverage, "buildings": buildings})


#: Stages of classify timed by --stages: (module whose name is looked up, function name).
STAGES: tuple[tuple[ModuleType, str], ...] = (
    (classification, "check_unique_ids"), (classification, "prepare_coverage"),
    (classification, "duplicate_rows"), (classification, "match"), (classification, "id_positions"),
    (classification, "key_hashes"), (matching, "key_pairs"), (classification, "summarise"),
    (classification, "building_flags"), (classification, "barriers"), (matching, "within"), (barriers, "within"))

#: The first white-spot stage of the demo, run by --compile in a fresh process.
_COMPILE_RUN = """
import json, sys, time
from numba.core import event
compiled = []
class Listener(event.Listener):
    def on_start(self, ev):
        pass
    def on_end(self, ev):
        f = ev.data["dispatcher"].py_func
        compiled.append(f.__module__ + "." + f.__qualname__)
event.register("numba:compile", Listener())
import planner
import planner.kernels
if sys.argv[1:] == ["all"]:  # every kernel, as on an area of 50,000 points or more
    planner.kernels.MIN_COMPILED_ROWS = 0
area = planner.load_area("demo")
config = planner.load_config("demo").updated(progress=False)
t, c = time.perf_counter(), time.process_time()
planner.plan(area, config, until="whitespots")
first = (time.perf_counter() - t, time.process_time() - c)
t, c = time.perf_counter(), time.process_time()
planner.plan(area, config, until="whitespots")
again = (time.perf_counter() - t, time.process_time() - c)
print(json.dumps({"first": first, "again": again, "compiled": compiled}))
"""


def time_compile() -> None:
    """Print the first white-spot stage of the demo in a fresh process with an empty numba cache.

    Twice: as the demo runs (small inputs take the library paths), and with every kernel forced (as an
    area of :data:`planner.kernels.MIN_COMPILED_ROWS` points or more compiles them).
    """
    import json

    for mode, what in (("demo", "as run"), ("all", "every kernel forced")):
        with tempfile.TemporaryDirectory() as cache:
            done = subprocess.run([sys.executable, "-c", _COMPILE_RUN, mode], capture_output=True, text=True,
                                  env={**os.environ, "NUMBA_CACHE_DIR": cache}, check=True)
        res = json.loads(done.stdout.strip().splitlines()[-1])
        (wall, cpu), (wall2, cpu2) = res["first"], res["again"]
        kernels = sorted({k for k in res["compiled"] if k.startswith("planner.")})
        print(f"first white-spot stage of the demo ({what}), empty numba cache: {wall:.1f} s wall ({cpu:.1f} s CPU), "
              f"then {wall2:.2f} s wall ({cpu2:.2f} s CPU); {len(kernels)} kernels compiled: "
              + ", ".join(k.rsplit(".", 1)[1] for k in kernels))


def time_stages(names: tuple[tuple[ModuleType, str], ...]) -> dict[str, float]:
    """Wrap the named functions so that each call adds its time to the returned dict.

    Calls from the worker threads count too; a stage called in two threads at once counts both calls.
    """
    spent: dict[str, float] = {}
    lock = threading.Lock()

    def timed(name: str, f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                with lock:
                    spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    for module, name in names:
        setattr(module, name, timed(name, getattr(module, name)))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="also print the time of each stage of classify")
    parser.add_argument("--compile", action="store_true",
                        help="also time the demo's first white-spot stage with an empty numba cache")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.compile:
        time_compile()

    t0 = time.perf_counter()
    area = make_area(args.points)
    print(f"synthetic area: {len(area.addresses):,} address points, {len(area['coverage']):,} coverage rows, "
          f"{len(area['buildings']):,} buildings (built in {time.perf_counter() - t0:.1f} s)")

    cfg = WhiteSpotConfig()
    n = len(area.addresses)
    best_keys = best_all = cpu_keys = cpu_all = float("inf")
    spent = time_stages(STAGES) if args.stages else {}
    best_stage: dict[str, float] = {}
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        (r1, _), by_street = key_pairs(area["coverage"], area.addresses)
        r2 = by_street[0] if by_street is not None else []
        best_keys = min(best_keys, time.perf_counter() - t)
        cpu_keys = min(cpu_keys, time.process_time() - c)
        spent.clear()
        t, c = time.perf_counter(), time.process_time()
        out = classify(area, cfg)
        best_all = min(best_all, time.perf_counter() - t)
        cpu_all = min(cpu_all, time.process_time() - c)
        for name, sec in spent.items():
            best_stage[name] = min(best_stage.get(name, float("inf")), sec)
    # barrier search: numba grid vs geopandas' STRtree (a fresh index each time: classify builds none)
    pts, bld, d = area.addresses.geometry, area["buildings"], cfg.barrier_building_distance_m
    best_grid = best_tree = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        qi, li, _dist = within(pts, bld, d, min_rows=0)  # the grid, whatever the size
        best_grid = min(best_grid, time.perf_counter() - t)
        fresh = gpd.GeoDataFrame(geometry=bld.geometry.to_numpy(), crs=bld.crs)
        t = time.perf_counter()
        q2, l2 = fresh.sindex.query(pts, predicate="dwithin", distance=d)
        best_tree = min(best_tree, time.perf_counter() - t)
    assert len(qi) == len(q2) and set(zip(qi.tolist(), li.tolist())) == set(zip(q2.tolist(), l2.tolist()))
    print(f"barrier search ({n:,} points x {len(bld):,} buildings, {len(qi):,} pairs within {d:g} m): grid "
          f"{best_grid:.2f} s vs geopandas STRtree {best_tree:.2f} s = {best_grid / best_tree:.2f}x the STRtree's time")
    counts = out["ws_class"].value_counts().to_dict()
    methods = out["match_method"].value_counts().to_dict()
    print(f"key matching: {len(r1):,} ULIC-key and {len(r2):,} street-key pairs in {best_keys:.2f} s wall "
          f"({cpu_keys:.2f} s CPU) -> {n / best_keys:,.0f} points/s wall, {n / cpu_keys:,.0f} points/CPU-s")
    print(f"classify:     {n:,} points in {best_all:.2f} s wall ({cpu_all:.2f} s CPU) -> {n / best_all:,.0f} points/s "
          f"wall, {n / cpu_all:,.0f} points/CPU-s (best of {args.repeat}; goal >= 1,000,000 points/s)")
    if best_stage:
        print("stages of classify (best of the runs, s): "
              + ", ".join(f"{name.lstrip('_')} {sec:.2f}" for name, sec in best_stage.items()))
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"classes {counts}; match methods {methods}; barriers {int(out['is_barrier'].sum()):,}")


if __name__ == "__main__":
    main()
