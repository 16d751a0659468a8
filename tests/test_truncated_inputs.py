"""Every reader turns a truncated, empty or garbage file of its format into one clear error.

Each fixture file (one per supported format) is cut at offsets that hypothesis
draws, emptied, or replaced by bytes of another format; reading it must either
succeed (a cut at a record boundary may leave a valid file) or raise a
:class:`~planner._errors.PlannerError` naming the file, never another exception
(an ``IndexError`` from pyogrio, a ``UnicodeDecodeError``, a ``KeyError``...).
The CLI is checked on a few of them for the message and exit code 1.
"""

from __future__ import annotations

import bz2
import gzip
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from _io_fixtures import GOOD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner import datasets
from planner._errors import PlannerError
from planner.config import load_config
from planner.io import load_area, read_layer
from planner.output.files import write_gpkg

MINI = GOOD / "mini_area"


def _addresses() -> gpd.GeoDataFrame:
    return read_layer(MINI / "addresses.csv", "addresses")


def _build(kind: str, folder: Path) -> tuple[Path, Callable[[Path], object]]:
    """A fixture file of one format in ``folder`` and the reader that reads it."""
    def layer(path: Path) -> object:
        return read_layer(path, "addresses")

    if kind == "csv":
        p = folder / "addresses.csv"
        shutil.copy(MINI / "addresses.csv", p)
        return p, layer
    if kind == "gpkg":
        p = folder / "addresses.gpkg"
        write_gpkg({"addresses": _addresses()}, p)
        return p, layer
    if kind == "geoparquet":
        p = folder / "addresses.parquet"
        _addresses().to_parquet(p)
        return p, layer
    if kind == "geojson":
        p = folder / "addresses.geojson"
        _addresses().to_crs(4326).to_file(p, driver="GeoJSON", engine="pyogrio")
        return p, layer
    if kind == "shp":
        p = folder / "addresses.shp"
        _addresses().to_file(p, engine="pyogrio")
        return p, layer
    if kind == "prg_gml":
        p = folder / "prg.gml"
        shutil.copy(datasets.get_path("prg2021"), p)
        return p, layer
    if kind == "prg_xml":
        p = folder / "prg.xml"
        shutil.copy(datasets.get_path("prg2012"), p)
        return p, layer
    if kind == "uke_csv":
        p = folder / "uke.csv"
        shutil.copy(datasets.get_path("uke_ua_csv"), p)
        return p, lambda path: read_layer(path, "coverage")
    if kind == "osm_xml":
        p = folder / "village.osm"
        shutil.copy(datasets.get_path("kirchberg"), p)
        return p, lambda path: load_area(path, partial=True)
    if kind == "osm_pbf":
        p = folder / "village.osm.pbf"
        import osmium

        with osmium.SimpleWriter(str(p)) as writer:
            for obj in osmium.FileProcessor(str(datasets.get_path("kirchberg"))):
                writer.add(obj)
        return p, lambda path: load_area(path, partial=True)
    if kind == "toml":
        p = folder / "planner.toml"
        shutil.copy(datasets.get_path("demo_config"), p)
        return p, load_config
    raise AssertionError(kind)


KINDS = ("csv", "gpkg", "geoparquet", "geojson", "shp", "prg_gml", "prg_xml", "uke_csv", "osm_xml", "osm_pbf",
         "toml")


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> dict[str, tuple[Path, Callable[[Path], object]]]:
    out = {}
    for kind in KINDS:
        folder = tmp_path_factory.mktemp(kind)
        out[kind] = _build(kind, folder)
    return out


def _read_or_clear_error(reader: Callable[[Path], object], path: Path) -> None:
    try:
        reader(path)
    except PlannerError as exc:
        assert exc.exit_code in (1, 2)
        assert path.name in str(exc), str(exc)
    # anything else propagates and fails the test


def _variant(src: Path, tmp: Path, data: bytes) -> Path:
    """``data`` written under ``src``'s name in a fresh directory (SHP side files copied)."""
    tmp.mkdir(parents=True, exist_ok=True)
    for side in src.parent.glob(src.stem + ".*"):
        if side != src:
            shutil.copy(side, tmp / side.name)
    p = tmp / src.name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("kind", KINDS)
def test_the_whole_fixture_reads(fixtures, kind):
    path, reader = fixtures[kind]
    reader(path)  # the untouched file is valid


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_file_gives_one_clear_error(fixtures, kind, tmp_path_factory, data):
    path, reader = fixtures[kind]
    raw = path.read_bytes()
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="offset")
    _read_or_clear_error(reader, _variant(path, tmp_path_factory.mktemp("cut"), raw[:cut]))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_garbage_file_gives_one_clear_error(fixtures, kind, tmp_path_factory, data):
    path, reader = fixtures[kind]
    raw = path.read_bytes()
    # random bytes, or a valid file of this format with a run of bytes overwritten
    if data.draw(st.booleans(), label="all garbage"):
        junk = data.draw(st.binary(min_size=1, max_size=2048), label="bytes")
    else:
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        patch = data.draw(st.binary(min_size=1, max_size=64), label="patch")
        junk = raw[:at] + patch + raw[at + len(patch):]
    _read_or_clear_error(reader, _variant(path, tmp_path_factory.mktemp("junk"), junk))


@pytest.mark.parametrize("kind", KINDS)
def test_empty_file_gives_one_clear_error(fixtures, kind, tmp_path):
    path, reader = fixtures[kind]
    _read_or_clear_error(reader, _variant(path, tmp_path, b""))


@pytest.mark.parametrize("cut", [0, 40, 200])
def test_truncated_prg_gml_on_the_command_line(fixtures, tmp_path, cut):
    """`planner validate` of a cut PRG file: one message naming the file, exit 1, no traceback."""
    path, _ = fixtures["prg_gml"]
    bad = _variant(path, tmp_path, path.read_bytes()[:cut] if cut else
                   b'<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2"><gml:featureMember>')
    r = subprocess.run([sys.executable, "-m", "planner.cli", "validate", str(bad)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and str(bad) in r.stderr


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress], ids=["gz", "bz2"])
def test_compressed_osm_xml_reads_like_the_plain_file(tmp_path, compress):
    src = datasets.get_path("kirchberg")
    suffix = ".osm.gz" if compress is gzip.compress else ".osm.bz2"
    packed = tmp_path / f"kirchberg{suffix}"
    packed.write_bytes(compress(src.read_bytes()))
    plain = load_area(src, partial=True)
    got = load_area(packed, partial=True)
    assert got.name == "kirchberg"
    assert set(got.layers) == set(plain.layers)
    for name, layer in plain.layers.items():
        assert len(got.layers[name]) == len(layer), name
        assert got.layers[name].geometry.equals(layer.geometry), name
