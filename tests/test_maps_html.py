"""The offline map page written without folium is byte for byte what folium renders (the oracle)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from _map_fixtures import make_fixture_layers, make_fixture_roads, with_progress
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import maps
from planner.io.plan_dir import read_table
from planner.maps.encoding import Group
from planner.maps.html import asset, page_html
from planner.maps.page import add_runtime, finish_map, new_map


@pytest.fixture(scope="module")
def layers():
    return make_fixture_layers()


def _folium_bytes(layers, **kw) -> bytes:
    return maps.build_map(layers, **kw).get_root().render().encode("utf-8")


@pytest.mark.parametrize("kw", [
    {},
    {"lang": "en"},
    {"title": 'Gmina <Serock> & "Wieliszew" \'24', "precision": 5},
    {"drop_limit_m": 150.0},
])
def test_offline_map_as_folium_renders_it(layers, tmp_path, kw):
    out = maps.write_map(layers, tmp_path / "map.html", offline=True, **kw)
    assert out.read_bytes() == _folium_bytes(layers, offline=True, **kw)


def test_base_layer_and_progress_as_folium_renders_them(layers, tmp_path):
    both = {**with_progress(layers), "roads": make_fixture_roads(layers)}
    out = maps.write_map(both, tmp_path / "map.html", offline=True)
    assert out.read_bytes() == _folium_bytes(both, offline=True)
    assert b"feature_group_" in out.read_bytes() and b"L.tileLayer" not in out.read_bytes()


def test_online_map_is_rendered_by_folium(layers, tmp_path):
    out = maps.write_map(layers, tmp_path / "map.html", offline=False, lang="en")
    assert out.read_bytes() == _folium_bytes(layers, offline=False, lang="en")
    assert b"L.tileLayer" in out.read_bytes()


@pytest.mark.xdist_group("demo")
def test_demo_plan_map_as_folium_renders_it(demo_plan_dir, tmp_path):
    """The demo plan: optical network (runtime addition), loss budget, base layer, every status."""
    out = maps.write_map(demo_plan_dir, tmp_path / "map.html")
    layers = maps.read_plan_layers(demo_plan_dir)
    budget = read_table(demo_plan_dir, "loss_budget", columns=("address_id", "within_budget", "headroom_db",
                                                                "cause", "fix"))
    assert out.read_bytes() == _folium_bytes(layers, loss_budget=budget)
    assert asset("planner_map_network.js") in out.read_bytes()  # the optical network's runtime, inlined


def test_writing_the_offline_map_does_not_import_folium(tmp_path):
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from _map_fixtures import make_fixture_layers
from planner import maps
maps.write_map(make_fixture_layers(60), {str(tmp_path / "m.html")!r})
assert "folium" not in sys.modules and "branca" not in sys.modules, "folium imported"
maps.build_map(make_fixture_layers(60))
assert "folium" in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


# --- the skeleton alone, on random layer lists -------------------------------------------------

#: No braces: folium compiles rendered macros as Jinja templates again, so "{{" in a layer name
#: would be evaluated there (the direct page keeps it as it is).
_NAMES = st.text(alphabet=st.sampled_from(list("ab <>&'\"\\/łż€\n\t")), max_size=8)


@settings(max_examples=60, deadline=None)
@given(
    title=_NAMES,
    groups=st.lists(st.tuples(st.sampled_from(["a", "b", "net.x", "status.connect"]), _NAMES, st.booleans(),
                              st.booleans(), st.integers(-5, 5)), max_size=5),
    runtime=st.booleans(),
    zoom=st.integers(1, 18),
    centre=st.tuples(st.floats(49.0, 55.0), st.floats(14.0, 24.2)),
)
def test_page_skeleton_as_folium_renders_it(title, groups, runtime, zoom, centre):
    layer_groups = [Group(key, name, {"kind": "point", "n": n, "text": "</b>"}, show=show, base=base)
                    for key, name, show, base, n in groups]
    extra = ("planner_map_network.js",) if runtime else ()
    south, west = centre[0] - 0.1, centre[1] - 0.2
    north, east = centre[0] + 0.1, centre[1] + 0.2
    m = new_map((south, west, north, east), title=title, offline=True, zoom_start=zoom)
    for name in extra:
        add_runtime(m, name)
    init = {"legend": "<div>łąka</div>", "bounds": [[south, west], [north, east]]}
    finish_map(m, layer_groups, init, lambda k: (len(k), k))
    direct = page_html(title=title, center=((south + north) / 2, (west + east) / 2), groups=layer_groups,
                       init=init, draw_rank=lambda k: (len(k), k), runtime=extra, zoom_start=zoom)
    assert direct == m.get_root().render()
