"""Benchmark of the writers of a plan directory that run in the main process: map.html, GeoPackages, CSVs.

For the demo plan (planned once in this process), each writer as ``write_plan`` calls it, CPU
seconds (``time.process_time``: robust to other load on the machine; best of ``--repeat``),
against the reference library doing the same job in the same process, with a byte check:

* ``map.html``: :func:`planner.maps.write_map` (offline page written directly,
  :mod:`planner.maps.html`) against ``build_map(...).get_root().render()`` (folium, as before);
  plus ``import folium`` in a fresh interpreter that has pandas and geopandas loaded, the cost a
  ``planner plan`` process no longer pays;
* ``area.gpkg`` + ``plan.gpkg``: :func:`planner.output.files.write_gpkg` against
  ``pyogrio.write_dataframe(..., use_arrow=True)`` per layer with the same GDAL settings except
  SpatiaLite loading (as before);
* ``*.csv``: :func:`planner.output.files.write_csv` against ``DataFrame.to_csv``.

The ratio ``reference / planner`` is printed for each (> 1: the planner is faster).  With
``--gc-freeze`` the map is also timed after ``gc.freeze()`` (the objects of the plan no longer
scanned by the garbage collector, what a caller can do before writing).  Usage::

    python scripts/bench_writers.py [--repeat 5] [--out DIR] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
import pyogrio  # noqa: E402

from planner import datasets, maps  # noqa: E402
from planner.config import load_config  # noqa: E402
from planner.io import load_area  # noqa: E402
from planner.output import files, gpkg_styles  # noqa: E402
from planner.output.tables import plan_layers, plan_tables  # noqa: E402
from planner.pipeline import plan  # noqa: E402
from planner.report.worklists import milestone_names  # noqa: E402

_FOLIUM_IMPORT = ("import time, geopandas, pandas, numpy, shapely, pyproj; t = time.process_time(); import folium; "
                  "print(time.process_time() - t)")


def _best(fn: Callable[[Path], None], out: Path, repeat: int) -> float:
    """Best CPU seconds of ``fn`` over ``repeat`` runs, each into a fresh directory (as in a staging directory)."""
    best = float("inf")
    for k in range(repeat):
        d = out / f"run{k}"
        d.mkdir(parents=True)
        t0 = time.process_time()
        fn(d)
        best = min(best, time.process_time() - t0)
    return best


def _reference_gpkg(layers: dict[str, pd.DataFrame], path: Path) -> None:
    """The GeoPackage written layer by layer by pyogrio (GDAL settings of write_gpkg, SpatiaLite loaded)."""
    opts = {"OGR_CURRENT_DATE": files._GPKG_TIMESTAMP, "OGR_SQLITE_SYNCHRONOUS": "OFF"}
    old = {k: pyogrio.get_gdal_config_option(k) for k in opts}
    pyogrio.set_gdal_config_options(opts)
    try:
        for name, df in layers.items():
            df = files._gpkg_ready(df)
            if isinstance(df, gpd.GeoDataFrame) and df.active_geometry_name is not None:
                geometry_type = "Unknown" if df.geometry.isna().all() else None
                pyogrio.write_dataframe(df, path, layer=name, driver="GPKG", geometry_type=geometry_type,
                                        use_arrow=True)
            else:
                pyogrio.write_dataframe(pd.DataFrame(df), path, layer=name, driver="GPKG", use_arrow=True)
    finally:
        pyogrio.set_gdal_config_options(old)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per writer."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="runs per writer (best taken)")
    ap.add_argument("--out", type=Path, default=None, help="directory for the files (default: a temp dir)")
    ap.add_argument("--gc-freeze", action="store_true", help="also time the map after gc.freeze()")
    args = ap.parse_args(argv)

    cfg = load_config("demo").updated(progress=False)
    p = plan(load_area("demo", cfg, progress=False), cfg, official_list=datasets.get_path("demo_official_list"))
    layers = plan_layers(p)
    area = {k: v for k, v in p.area.layers.items() if len(v)}
    roads = {"roads": p.area.layers["roads"]} if len(p.area.layers.get("roads", ())) else {}
    map_kw = {"config": p.config.map, "drop_limit_m": p.config.design.drop_contract_max_m}
    styles = gpkg_styles.plan_styles(list(layers), milestones=milestone_names(p))

    def planner_map(d: Path) -> None:
        maps.write_map({**layers, **roads}, d / "map.html", **map_kw)

    def folium_map(d: Path) -> None:
        text = maps.build_map({**layers, **roads}, **map_kw).get_root().render()
        files.write_bytes(text.encode("utf-8"), d / "map.html")

    def planner_gpkg(d: Path) -> None:
        files.write_gpkg(area, d / "area.gpkg")
        files.write_gpkg(layers, d / "plan.gpkg")
        gpkg_styles.write_layer_styles(d / "plan.gpkg", styles)

    def reference_gpkg(d: Path) -> None:
        _reference_gpkg(area, d / "area.gpkg")
        _reference_gpkg(layers, d / "plan.gpkg")
        gpkg_styles.write_layer_styles(d / "plan.gpkg", styles)

    def planner_csv(d: Path) -> None:
        for name, table in plan_tables(p).items():
            files.write_csv(table, d / f"{name}.csv")

    def pandas_csv(d: Path) -> None:
        for name, table in plan_tables(p).items():
            files._csv_frame(table).to_csv(d / f"{name}.csv", index=False, float_format="%.3f", lineterminator="\n",
                                           encoding="utf-8")

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        rows = []
        for slug, label, mine, ref, names in (
            ("map", "map.html", planner_map, folium_map, ["map.html"]),
            ("gpkg", "area.gpkg + plan.gpkg", planner_gpkg, reference_gpkg, ["area.gpkg", "plan.gpkg"]),
            ("csv", "*.csv (22 tables)", planner_csv, pandas_csv, [f"{n}.csv" for n in plan_tables(p)]),
        ):
            check_mine, check_ref = out / slug / "check_planner", out / slug / "check_reference"
            check_mine.mkdir(parents=True)
            check_ref.mkdir(parents=True)
            mine(check_mine)
            ref(check_ref)
            same = all((check_mine / n).read_bytes() == (check_ref / n).read_bytes() for n in names)
            rows.append((label, _best(mine, out / slug / "planner", args.repeat),
                         _best(ref, out / slug / "reference", args.repeat), same))
        folium_import = float(subprocess.run([sys.executable, "-c", _FOLIUM_IMPORT], capture_output=True, text=True,
                                             check=True).stdout)
        frozen = None
        if args.gc_freeze:
            gc.freeze()
            frozen = _best(planner_map, out / "map_frozen", args.repeat)
            gc.unfreeze()

    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f}; CPU seconds, best of {args.repeat}")
    print(f"{'output':24s} {'planner':>8s} {'reference':>10s} {'ratio':>6s}  same bytes")
    for label, mine_s, ref_s, same in rows:
        print(f"{label:24s} {mine_s:8.3f} {ref_s:10.3f} {ref_s / mine_s:6.2f}  {same}")
    print(f"{'import folium':24s} {0.0:8.3f} {folium_import:10.3f}      -  (fresh interpreter; not imported to write "
          "an offline map)")
    if frozen is not None:
        print(f"{'map.html after gc.freeze':24s} {frozen:8.3f}")
    total_mine = sum(r[1] for r in rows)
    total_ref = sum(r[2] for r in rows) + folium_import
    print(f"{'total':24s} {total_mine:8.3f} {total_ref:10.3f} {total_ref / total_mine:6.2f}")
    return 0 if all(r[3] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
