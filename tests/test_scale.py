"""plan-many on a real Dask LocalCluster (worker processes): a synthetic region of 6 communes.

Oracles: ``planner.plan`` of each commune run here in the test process (the
merged results must equal them), ``planner plan`` (its CSVs must equal the
commune's plan directory byte for byte), pandas filters of the national layers
(the partitions must equal them), and the message ``planner plan`` prints for
the planted bad commune (two address points share an id).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from _dask_cluster import local_client
from geopandas.testing import assert_geodataframe_equal
from typer.testing import CliRunner

from planner.cli import app
from planner.config import Config
from planner.scale.merge import MAP_COLUMNS
from planner.scale.tasks import dataset_file

pytestmark = [pytest.mark.xdist_group("scale"), pytest.mark.slow]

N_COMMUNES = 6
BAD = "1401042"  # the 4th commune of the region: two of its address points share an id


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    """The region as study areas (``areas/<TERC>.gpkg``) and as national layers (``national/``)."""
    from planner.synthetic.files import write_region_areas, write_region_national
    from planner.synthetic.region import iter_region

    root = tmp_path_factory.mktemp("region")
    communes = list(iter_region(N_COMMUNES))
    assert BAD in {c.commune.terc for c in communes}
    write_region_areas(communes, root / "areas", bad=frozenset({BAD}))
    write_region_national(communes, root / "national", bad=frozenset({BAD}))
    return root


@pytest.fixture(scope="module")
def client():
    with local_client(2) as c:
        yield c


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config().updated(progress=False)


@pytest.fixture(scope="module")
def run1(region, client, cfg, tmp_path_factory):
    import planner

    out = tmp_path_factory.mktemp("run1") / "out"
    res = planner.plan_many(region / "areas", out=out, config=cfg, client=client, progress=False)
    return res


@pytest.fixture(scope="module")
def oracle_plans(region, cfg):
    """``planner.plan`` of every good commune, run in this process."""
    from planner.io import load_area
    from planner.pipeline import plan

    out = {}
    for f in sorted((region / "areas").glob("*.gpkg")):
        if f.stem != BAD:
            out[f.stem] = plan(load_area(f, cfg), cfg, progress=False)
    return out


def _dataset(out: Path, layer: str, terc: str, key: str) -> gpd.GeoDataFrame:
    return gpd.read_parquet(dataset_file(out, layer, terc, key))


# --- a directory of study areas ----------------------------------------------------------


def test_bad_commune_fails_with_the_message_of_planner_plan(run1, region):
    assert run1.exit_code == 1
    assert run1.failed == [BAD]
    assert sorted(run1.planned) == sorted(f.stem for f in (region / "areas").glob("*.gpkg") if f.stem != BAD)
    # the message planner plan prints for that commune
    res = CliRunner().invoke(app, ["plan", "--area", str(region / "areas" / f"{BAD}.gpkg"), "--out",
                                   str(region / "bad_plan"), "--quiet"])
    assert res.exit_code == 1
    printed = "\n".join(line for line in res.output.strip().splitlines() if not line.startswith("WARNING "))
    fail = pd.read_csv(run1.out_dir / "failures.csv", dtype=str, keep_default_na=False)
    assert list(fail.key) == [BAD]
    assert printed == f"error: {fail.message.iloc[0]}"
    assert "duplicate id" in printed
    # no output of the failed commune, a flagged row in the merged table
    assert not list((run1.out_dir / "dataset").rglob(f"{BAD}.parquet"))
    table = pd.read_csv(run1.out_dir / "communes.csv", dtype={"terc": str})
    row = table[table.key.astype(str) == BAD].iloc[0]
    assert bool(row.failed) and "duplicate id" in row.error and row.commune == "Stara Błotnica"


def test_merged_results_equal_per_commune_plans(run1, oracle_plans):
    table = pd.read_csv(run1.out_dir / "communes.csv", dtype={"terc": str, "key": str})
    assert len(table) == N_COMMUNES and table.terc.is_monotonic_increasing
    for key, p in oracle_plans.items():
        row = table[table.key == key].iloc[0]
        a = p.addresses
        assert row.white_spots == (a.ws_class == "white").sum()
        assert row.targets == a.is_target.sum()
        assert row.connected == a.plan_status.isin(["connect", "connected"]).sum()
        seg = p.design.segments
        for dep in ("aerial", "duct", "trench"):
            assert row[f"km_{dep}"] == pytest.approx(seg.loc[seg.deployment == dep, "length_m"].sum() / 1000,
                                                     abs=5e-4)
        total = p.design.bom[p.design.bom.simc == "TOTAL"].iloc[0]
        assert row.cost_pln == pytest.approx(total.cost_total_pln, abs=5e-3)
        assert row.cost_per_home_pln == pytest.approx(total.cost_per_home_pln, abs=5e-3)
        assert bool(row.milestones_ok) == bool(p.schedule.milestones.ok.all())
        # the national dataset holds exactly the plan's addresses and segments
        got = _dataset(run1.out_dir, "addresses", row.terc, key)
        assert_geodataframe_equal(got, a.sort_values("id", kind="stable").reset_index(drop=True), check_dtype=False)
        assert_geodataframe_equal(_dataset(run1.out_dir, "segments", row.terc, key), seg.reset_index(drop=True),
                                  check_dtype=False)


def test_dataset_is_a_hive_partitioned_geoparquet(run1):
    ds = gpd.read_parquet(run1.out_dir / "dataset" / "addresses")
    assert set(ds["commune_terc"].astype(str)) == set(run1.communes.terc[~run1.communes.failed])
    assert len(ds) == run1.communes.address_points.sum()


def test_communes_layer_is_the_map_frame(run1):
    g = gpd.read_file(run1.out_dir / "communes.gpkg", layer="communes")
    assert list(g.columns) == [*MAP_COLUMNS, "geometry"]
    assert g.crs.to_epsg() == 2180 and len(g) == N_COMMUNES
    assert g.failed.sum() == 1 and g.geom_type[~g.failed].eq("Polygon").all()
    assert g.milestones_ok.dtype == bool


def test_communes_map_written(run1):
    assert run1.files["map"] == run1.out_dir / "communes_map.html"
    html = (run1.out_dir / "communes_map.html").read_text(encoding="utf-8")
    planned = run1.communes.loc[~run1.communes["failed"].astype(bool), "commune"]
    assert len(planned) >= 4
    for name in planned:  # every planned commune, by name (as text or JSON-escaped in the map data)
        assert name in html or json.dumps(name)[1:-1] in html, name


def test_task_tables_equal_planner_plan_byte_for_byte(region, client, cfg, tmp_path):
    """One commune with --plan-dirs: its plan directory's tables equal a `planner plan` of that commune."""
    import planner

    areas = tmp_path / "one"
    areas.mkdir()
    shutil.copy(region / "areas" / "1401022.gpkg", areas / "1401022.gpkg")
    res = planner.plan_many(areas, out=tmp_path / "out", config=cfg, client=client, plan_dirs=True, progress=False)
    assert res.exit_code == 0 and res.planned == ["1401022"]
    ref = tmp_path / "ref"
    cli = CliRunner().invoke(app, ["plan", "--area", str(areas / "1401022.gpkg"), "--out", str(ref), "--quiet"])
    assert cli.exit_code == 0, cli.output
    mine = tmp_path / "out" / "communes" / "1401022"
    tables = sorted(p.name for p in ref.glob("*.csv"))
    assert len(tables) >= 10 and tables == sorted(p.name for p in mine.glob("*.csv"))
    for name in tables + ["summary.json", "summary.txt"]:
        assert (mine / name).read_bytes() == (ref / name).read_bytes(), name


def test_second_run_skips_everything(run1, region, client, cfg):
    import planner

    before = (run1.out_dir / "communes.csv").read_bytes()
    stamps = {p: p.stat().st_mtime_ns for p in (run1.out_dir / "dataset").rglob("*.parquet")}
    res = planner.plan_many(region / "areas", out=run1.out_dir, config=cfg, client=client, progress=False)
    assert res.planned == [] and res.failed == [BAD]  # the bad commune is tried again
    assert sorted(res.skipped) == sorted(run1.planned)
    assert (run1.out_dir / "communes.csv").read_bytes() == before
    assert {p: p.stat().st_mtime_ns for p in (run1.out_dir / "dataset").rglob("*.parquet")} == stamps


def test_changed_config_reruns_everything(run1, region, client, cfg, tmp_path):
    import planner

    out = tmp_path / "out"
    shutil.copytree(run1.out_dir, out)
    before = pd.read_csv(out / "communes.csv", dtype={"key": str}).set_index("key")
    cheap = cfg.updated(costs={"trench_unpaved_pln_per_m": cfg.costs.trench_unpaved_pln_per_m / 2})
    res = planner.plan_many(region / "areas", out=out, config=cheap, client=client, progress=False)
    assert sorted(res.planned) == sorted(run1.planned) and res.skipped == []
    after = pd.read_csv(out / "communes.csv", dtype={"key": str}).set_index("key")
    good = [k for k in run1.planned]
    assert (after.loc[good, "cost_pln"] < before.loc[good, "cost_pln"]).any()
    assert (after.loc[good, "cost_pln"] <= before.loc[good, "cost_pln"] + 1e-6).all()


def test_killed_worker_is_survived(run1, region, client, cfg, tmp_path):
    """SIGKILL the worker process running a commune: Dask reruns it elsewhere; results are identical."""
    import planner

    areas = tmp_path / "areas"
    areas.mkdir()
    keys = sorted(run1.planned)[:3]
    for k in keys:
        shutil.copy(region / "areas" / f"{k}.gpkg", areas)
    pids = client.run(os.getpid)
    box: dict = {}

    def run() -> None:
        box["res"] = planner.plan_many(areas, out=tmp_path / "out", config=cfg, client=client, progress=False)

    th = threading.Thread(target=run)
    th.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        for addr, running in client.processing().items():
            if any(str(k).startswith("commune-") for k in running) and addr in pids:
                time.sleep(0.3)  # well inside the task (a commune takes seconds)
                victim = pids[addr]
                break
        time.sleep(0.05)
    assert victim is not None, "no commune task seen running"
    os.kill(victim, signal.SIGKILL)
    th.join(timeout=300)
    assert not th.is_alive()
    res = box["res"]
    assert victim not in client.run(os.getpid).values()  # the worker process did die (and was replaced)
    assert res.failed == [] and sorted(res.planned) == keys
    table = pd.read_csv(tmp_path / "out" / "communes.csv", dtype=str, keep_default_na=False)
    ref = pd.read_csv(run1.out_dir / "communes.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(table, ref[ref.key.isin(keys)].reset_index(drop=True))
    files = sorted(f.relative_to(tmp_path / "out") for f in (tmp_path / "out" / "dataset").rglob("*.parquet"))
    assert len(files) == 4 * len(keys)
    for rel in files:
        assert_geodataframe_equal(gpd.read_parquet(tmp_path / "out" / rel), gpd.read_parquet(run1.out_dir / rel))


# --- national layers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national_run(region, client, cfg, tmp_path_factory):
    import planner
    from planner.scale.partitioning import NationalInputs

    n = region / "national"
    inputs = NationalInputs(addresses=(n / "addresses.parquet",), osm=n / "region.osm.pbf",
                            coverage=(n / "coverage.parquet",),
                            layers={"buildings": n / "buildings.parquet", "ducts": n / "ducts.parquet",
                                    "parcels": n / "parcels.parquet"})
    out = tmp_path_factory.mktemp("national") / "out"
    return inputs, planner.plan_many(national=inputs, out=out, config=cfg, client=client, progress=False)


def test_national_partitions_equal_filters_of_the_national_layers(national_run, region, cfg):
    from planner.io.osm import read_osm

    inputs, res = national_run
    nat = gpd.read_parquet(region / "national" / "addresses.parquet")
    commune = nat.terc.str[:6].map({t[:6]: t for t in res.communes.terc})
    roads = read_osm(region / "national" / "region.osm.pbf")["roads"]
    bnd = gpd.read_parquet(res.out_dir / "boundaries.parquet")
    assert sorted(bnd.terc) == sorted(commune.unique())
    for r in bnd.itertuples():
        area = res.out_dir / "areas" / r.terc
        got = gpd.read_parquet(area / "addresses.parquet")
        want = nat[commune == r.terc].reset_index(drop=True)
        assert_geodataframe_equal(got, want)
        # roads: every road touching the commune grown by the clip buffer, whole
        zone = r.geometry.buffer(cfg.scale.clip_buffer_m)
        want_ids = set(roads.id[roads.intersects(zone)])
        got_ids = set(gpd.read_parquet(area / "roads.parquet").id)
        assert got_ids == want_ids
        assert r.geometry.contains(got.union_all())  # the derived boundary holds the commune's points


def test_national_results_equal_plans_of_the_partitions(national_run, cfg):
    from planner.io import load_area
    from planner.pipeline import plan

    _, res = national_run
    assert res.failed == [BAD] and len(res.planned) == N_COMMUNES - 1
    for terc in res.planned[:2]:
        p = plan(load_area(res.out_dir / "areas" / terc, cfg), cfg, progress=False)
        got = _dataset(res.out_dir, "addresses", terc, terc)
        assert_geodataframe_equal(got, p.addresses.sort_values("id", kind="stable").reset_index(drop=True),
                                  check_dtype=False)
    row = res.communes.set_index("terc").loc[BAD]
    assert row.failed and "duplicate id" in row.error and row.geometry is not None


def test_national_second_run_reuses_partitions_and_skips(national_run, client, cfg):
    import planner

    inputs, res = national_run
    stamp = (res.out_dir / "areas" / res.planned[0] / "addresses.parquet").stat().st_mtime_ns
    again = planner.plan_many(national=inputs, out=res.out_dir, config=cfg, client=client, progress=False)
    assert again.planned == [] and sorted(again.skipped) == sorted(res.planned)
    assert (res.out_dir / "areas" / res.planned[0] / "addresses.parquet").stat().st_mtime_ns == stamp


def test_addresses_without_terc_placed_by_boundaries(region, client, cfg, tmp_path):
    """Address points without TERC codes are split by the commune polygons instead."""
    from planner.scale.partitioning import NationalInputs, partition_national

    nat = gpd.read_parquet(region / "national" / "addresses.parquet")
    nat.drop(columns="terc").to_parquet(tmp_path / "no_terc.parquet")
    inputs = NationalInputs(addresses=(tmp_path / "no_terc.parquet",),
                            boundaries=region / "national" / "communes.gpkg")
    bnd = partition_national(client, inputs, tmp_path / "work", tmp_path / "areas", chunk_rows=1000,
                             clip_buffer_m=0.0, hull_buffer_m=0.0, progress=False)
    assert set(bnd.boundary_source) == {"layer"}
    commune = nat.terc.str[:6].map({t[:6]: t for t in bnd.terc})
    for terc in bnd.terc:
        got = gpd.read_parquet(tmp_path / "areas" / terc / "addresses.parquet")
        assert sorted(got.id) == sorted(nat.id[commune == terc])
    assert not (tmp_path / "work").exists()


# --- the command line: own cluster, bad input ------------------------------------------------


def test_cli_resumes_on_its_own_local_cluster(run1, region, tmp_path):
    before = (run1.out_dir / "manifest.json").read_text()
    res = CliRunner().invoke(app, ["plan-many", "--areas", str(region / "areas"), "--out", str(run1.out_dir),
                                   "--workers", "1", "--quiet"])
    assert res.exit_code == 1, res.output  # the bad commune fails again
    assert "Dask dashboard: http://127.0.0.1:" in res.output
    assert f"0 planned, {N_COMMUNES - 1} unchanged (skipped), 1 failed" in res.output
    assert f"error: commune {BAD}:" in res.output
    assert (run1.out_dir / "manifest.json").read_text().split('"communes"')[1] == before.split('"communes"')[1]


def test_unreachable_scheduler(region, tmp_path):
    toml = tmp_path / "fast.toml"
    toml.write_text("[scale]\nconnect_timeout_s = 1\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["plan-many", "--areas", str(region / "areas"), "--out", str(tmp_path / "out"),
                                   "--scheduler", "tcp://127.0.0.1:9", "--config", str(toml), "--quiet"])
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output and "fix:" in res.output
    assert not (tmp_path / "out").exists()


def test_output_directory_of_another_run_is_refused(run1, region, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(region / "areas" / "1401022.gpkg", other)
    before = {p: p.read_bytes() for p in run1.out_dir.rglob("*") if p.is_file()}
    res = CliRunner().invoke(app, ["plan-many", "--areas", str(other), "--out", str(run1.out_dir), "--quiet"])
    assert res.exit_code == 2
    assert "holds the output of another run" in res.output and "fix:" in res.output
    assert {p: p.read_bytes() for p in run1.out_dir.rglob("*") if p.is_file()} == before
    # a directory plan-many did not write (here: a `planner plan` output) is refused too
    plan_out = tmp_path / "plan_out"
    plan_out.mkdir()
    (plan_out / ".planner-output").write_text("x")
    res = CliRunner().invoke(app, ["plan-many", "--areas", str(other), "--out", str(plan_out), "--quiet"])
    assert res.exit_code == 2 and "not an output directory of plan-many" in res.output
    assert sorted(p.name for p in plan_out.iterdir()) == [".planner-output"]


def test_national_layer_without_terc_and_no_boundaries(region, tmp_path):
    nat = gpd.read_parquet(region / "national" / "addresses.parquet")
    nat.drop(columns="terc").to_parquet(tmp_path / "no_terc.parquet")
    res = CliRunner().invoke(app, ["plan-many", "--addresses", str(tmp_path / "no_terc.parquet"),
                                   "--out", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 1
    assert "no_terc.parquet" in res.output and "no TERC column" in res.output and "--boundaries" in res.output
    assert not (tmp_path / "out").exists()


# --- the synthetic region ----------------------------------------------------------------------


def test_synthetic_region_is_real_names_on_demo_geometry_rules():
    import networkx as nx
    import numpy as np

    from planner import datasets
    from planner.synthetic.region import build_commune, region_communes
    from planner.synthetic.teryt import read_communes

    communes = region_communes(3)
    real = {c.terc: c.name for c in read_communes()}
    simc = pd.read_csv(datasets.get_path("teryt_simc"), dtype=str)
    a_prev = None
    codes: set[str] = set()
    for i, c in enumerate(communes):
        rc = build_commune(c, i)
        assert real[c.terc] == c.name
        a = rc.layers["addresses"]
        assert set(a.terc.str[:6]) == {c.terc[:6]}
        assert set(a.locality) <= set(simc["NAZWA_MIEJSCOWOŚCI"])
        assert a.simc.str.fullmatch(rf"9{i:04d}\d\d").all() and not (set(a.simc) & codes)
        codes |= set(a.simc)
        assert rc.boundary.contains(a.union_all())
        g = nx.Graph()
        for geom in rc.layers["roads"].geometry:
            xy = np.round(np.asarray(geom.coords), 1)
            g.add_edge(tuple(xy[0]), tuple(xy[-1]))
        assert nx.number_connected_components(g) == 1
        assert len(rc.layers["pops"]) == 1 and len(a) > 100
        a_prev = a
    again = build_commune(communes[-1], len(communes) - 1)  # a commune is the same whatever else is generated
    assert_geodataframe_equal(again.layers["addresses"], a_prev)
