"""Streamed readers of national layers (planner.scale.sources, planner.scale.prg_stream); no cluster.

Oracles: the whole-file readers of planner.io (read_prg, read_osm, geopandas)
on the same files -- concatenated chunks must equal them.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from planner import datasets
from planner._errors import InputDataError
from planner.io import read_prg
from planner.scale.partitioning import partition_keyed
from planner.scale.prg_stream import iter_prg_gml
from planner.scale.sources import iter_osm_features, plan_chunks, read_chunk


@pytest.mark.parametrize("name", ["prg2012", "prg2021"])
def test_prg_gml_blocks_equal_read_prg(name):
    path = datasets.get_path(name)
    whole = read_prg(path)
    blocks = list(iter_prg_gml(path, rows=1))
    assert [len(b) for b in blocks] == [1] * len(whole)  # one point per block: each resolves its own xlinks
    assert_geodataframe_equal(pd.concat(blocks, ignore_index=True), whole)
    assert (whole.terc != "").all() and (whole.simc != "").all()


def test_truncated_prg_gml_names_the_file(tmp_path):
    text = datasets.get_path("prg2021").read_text(encoding="utf-8")
    bad = tmp_path / "truncated.gml"
    bad.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InputDataError, match="truncated.gml") as exc:
        list(iter_prg_gml(bad))
    assert "not well-formed" in str(exc.value)


def test_prg_gml_chunk_is_split_by_commune(tmp_path):
    path = datasets.get_path("prg2021")
    whole = read_prg(path)
    chunk = plan_chunks([path], 1000)
    assert len(chunk) == 1 and chunk[0].kind == "prg"
    res = partition_keyed(chunk[0], "addresses", str(tmp_path), None)
    assert res["dropped"] == 0 and sum(res["counts"].values()) == len(whole)
    for code, n in res["counts"].items():
        parts = sorted((tmp_path / "addresses" / code).glob("*.parquet"))
        got = pd.concat([gpd.read_parquet(p) for p in parts], ignore_index=True)
        assert len(got) == n and set(got.terc.str[:6]) == {code[:6]}


def test_parquet_row_group_chunks_and_ogr_ranges_cover_the_file(tmp_path):
    g = read_prg(datasets.get_path("prg2021"))
    big = pd.concat([g.assign(id=g.id + f"-{k}") for k in range(40)], ignore_index=True)
    big = gpd.GeoDataFrame(big, geometry="geometry", crs=g.crs)
    big.to_parquet(tmp_path / "a.parquet", row_group_size=7)
    chunks = plan_chunks([tmp_path / "a.parquet"], 20)
    assert all(sum(1 for _ in c.row_groups) >= 1 for c in chunks) and len(chunks) == 6
    got = pd.concat([f for c in chunks for f in read_chunk(c)], ignore_index=True)
    assert_geodataframe_equal(gpd.GeoDataFrame(got, geometry="geometry"), big)
    big.to_file(tmp_path / "a.gpkg", driver="GPKG", engine="pyogrio")
    chunks = plan_chunks([tmp_path / "a.gpkg"], 50)
    assert [c.skip for c in chunks] == [0, 50, 100]
    got = pd.concat([f for c in chunks for f in read_chunk(c)], ignore_index=True)
    assert list(got.id) == list(big.id)


def test_streamed_osm_features_give_the_layers_of_read_osm():
    from planner.io.osm import layers_from_features, read_osm

    path = datasets.get_path("helsinki")
    blocks = list(iter_osm_features(path, block=5_000))
    assert len(blocks) > 1
    mine = layers_from_features(pd.concat(blocks, ignore_index=True).pipe(gpd.GeoDataFrame, crs="EPSG:4326"),
                                "EPSG:3067")
    ref = read_osm(path, crs="EPSG:3067")
    for name in ("roads", "poles", "pops"):
        assert_geodataframe_equal(mine[name].sort_values("id").reset_index(drop=True),
                                  ref[name].sort_values("id").reset_index(drop=True), check_less_precise=True)


def test_uke_inventory_keeps_its_operator_when_split(tmp_path):
    """A UKE 'usługi w adresach' file is split by its ua04 TERC column and read per commune with the
    operator planner.io gives the whole file (its stem), as `planner plan --layer coverage=FILE` would."""
    from planner.io import read_uke_services
    from planner.scale.communes import commune_codes
    from planner.scale.partitioning import materialize

    src = datasets.DATA_DIR / "uke" / "zestaw7_csv" / "z7_uslugi_wadresach_2_szablon_20230131.csv"
    path = tmp_path / "orange_pl.csv"
    path.write_bytes(src.read_bytes())
    whole = read_uke_services(path)
    (chunk,) = plan_chunks([path], 1000)
    res = partition_keyed(chunk, "uke-0", str(tmp_path / "parts"), None)
    (code,) = res["counts"]
    assert code == commune_codes(whole.terc).iloc[0]
    materialize(code, str(tmp_path / "parts"), str(tmp_path / "areas"), (), {"uke-0": "orange_pl"})
    got = gpd.read_parquet(tmp_path / "areas" / code / "coverage.parquet")
    assert set(got.operator) == {"orange_pl"} == set(whole.operator)
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(whole.drop(columns="geometry")), check_dtype=False)
    assert (got.geometry.distance(whole.to_crs(2180).geometry) < 1e-6).all()
