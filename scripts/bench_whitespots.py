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
Run: ``python scripts/bench_whitespots.py``.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import threading
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

import planner.whitespots as ws
from planner.area import Area
from planner.config import WhiteSpotConfig
from planner.whitespots import _key_pairs, _within, classify

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


#: Stages of classify timed by --stages (functions of planner.whitespots).
STAGES = ("_prepare_addresses", "_check_unique_ids", "_prepare_coverage", "_duplicate_rows", "_match",
          "_id_positions", "_key_hashes", "_key_pairs", "_summarise", "_building_flags", "_barriers", "_within")


def time_stages(names: tuple[str, ...]) -> dict[str, float]:
    """Wrap the named functions of planner.whitespots so that each call adds its time to the returned dict
    (calls from the worker threads too; a stage called in two threads at once counts both calls)."""
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

    for name in names:
        setattr(ws, name, timed(name, getattr(ws, name)))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="also print the time of each stage of classify")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

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
        (r1, _), (r2, _) = _key_pairs(area["coverage"], area.addresses)
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
        qi, li, _dist = _within(pts, bld, d)
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
