"""Councillor map: every [map] key has an effect, the drop contract limit, the offline base layer of roads
and place names, and build progress per village (built / remaining / at risk, network built).

Oracles are independent of the map code: pandas sums and counts on the fixture layers, shapely distances
between the drawn roads (transformed back with pyproj) and the input roads, the colours of planner.styles.
"""

from __future__ import annotations

import re

import numpy as np
import pyproj
import pytest
import shapely
from _map_fixtures import (
    DROP_LIMIT_M,
    MapPage,
    blend,
    make_fixture_layers,
    make_fixture_plan_dir,
    make_fixture_roads,
    page_specs,
    spec_styles,
    spec_values,
    with_progress,
    write_area_roads,
)

from planner import maps, styles
from planner._errors import InputDataError
from planner.config import MapConfig, config_from_dict

_TO_2180 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2180", always_xy=True)


@pytest.fixture(scope="module")
def layers():
    base = make_fixture_layers()
    return {**base, "roads": make_fixture_roads(base)}


@pytest.fixture(scope="module")
def progress(layers):
    return with_progress(layers)


def _html(layers, **kw) -> str:
    return maps.build_map(layers, **kw).get_root().render()


def _by_heading(text: str, heading: str) -> dict:
    found = [s for s in page_specs(text) if s["heading"] == heading]
    assert len(found) == 1, [s["heading"] for s in page_specs(text)]
    return found[0]


def _roads(text: str) -> dict:
    found = [s for s in page_specs(text) if s["kind"] == "line" and s["heading"] == ""]
    assert len(found) == 1
    return found[0]


def _coords(spec: dict) -> np.ndarray:
    if spec["kind"] in ("point", "label"):
        return np.column_stack([spec["lon"], spec["lat"]])
    return np.concatenate([shapely.get_coordinates(shapely.from_geojson(
        f'{{"type":"MultiPoint","coordinates":{_flat(g)}}}')) for g in spec["geom"]])


def _flat(g) -> list:
    if isinstance(g[0], (int, float)):
        return [g]
    return [c for part in g for c in _flat(part)]


# --- every [map] key changes the output ------------------------------------------------------------


def test_config_from_toml_reaches_the_map(layers):
    cfg = config_from_dict({"map": {"lang": "en", "offline": False, "coordinate_precision": 5,
                                    "base_layer": False, "road_simplify_m": 20.0}}).map
    text = _html(layers, config=cfg)
    assert "White spot – to be connected" in text and "Biała plama" not in text  # lang
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in text  # offline = False
    for s in page_specs(text):  # coordinate_precision = 5
        c = _coords(s)
        assert np.allclose(c, np.round(c, 5), rtol=0, atol=1e-12), s["heading"]
    assert not any(s["kind"] == "label" for s in page_specs(text))  # online: no base layer


def test_coordinate_precision_changes_coordinates(layers):
    six, four = (page_specs(_html(layers, config=MapConfig(coordinate_precision=p))) for p in (6, 4))
    a6, a4 = _coords(six[0]), _coords(four[0])
    assert np.allclose(a4, np.round(a6, 4), atol=1e-9) and not np.allclose(a4, a6, rtol=0, atol=1e-6)
    # an explicit argument overrides the config
    again = page_specs(_html(layers, config=MapConfig(coordinate_precision=4), precision=6))
    assert _coords(again[0]).tolist() == a6.tolist()


def test_lang_and_offline_keys(layers):
    en = maps.layer_names(layers, config=MapConfig(lang="en"))
    assert en[0].startswith("White spot – to be connected")
    assert maps.layer_names(layers, config=MapConfig(lang="en"), lang="pl")[0].startswith("Biała plama")
    online = _html(layers, config=MapConfig(offline=False))
    offline = _html(layers, config=MapConfig(offline=True))
    assert "tile.openstreetmap.org" in online and "tile.openstreetmap.org" not in offline


def test_base_layer_key(layers):
    on = maps.layer_names(layers, config=MapConfig(base_layer=True))
    off = maps.layer_names(layers, config=MapConfig(base_layer=False))
    assert on[-2:] == ["Podkład: drogi", "Podkład: nazwy miejscowości"]
    assert off == on[:-2]
    assert "uproszczone drogi" in _html(layers) and "uproszczone drogi" not in _html(
        layers, config=MapConfig(base_layer=False))


def test_road_simplify_key_and_roads_follow_the_input(layers):
    roads = layers["roads"]
    n_in = int(shapely.get_num_coordinates(roads.geometry.to_numpy()).sum())
    drawn = {}
    for tol in (0.0, 5.0, 40.0):
        spec = _roads(_html(layers, config=MapConfig(road_simplify_m=tol)))
        assert spec["kind"] == "line" and all(st["interactive"] is False for st in spec["styles"])
        lines = [shapely.LineString(np.column_stack(_TO_2180.transform(*np.asarray(g).T))) for g in spec["geom"]]
        drawn[tol] = shapely.MultiLineString(lines)
        # every drawn line lies on the input roads, and every road is drawn, within the tolerance (+ rounding)
        assert shapely.hausdorff_distance(drawn[tol], shapely.union_all(roads.geometry.to_numpy())) <= tol + 0.5
    n = {tol: int(shapely.get_num_coordinates(g)) for tol, g in drawn.items()}
    assert n[0.0] < n_in  # merged: shared end points written once
    assert n[40.0] < n[5.0] <= n[0.0]


# --- the drop contract limit: from the plan data or an argument, never a default config ---------------------


def test_drop_limit_argument_and_data(layers):
    implied = maps.layer_names(layers)
    assert f"Przyłącza ponad {DROP_LIMIT_M:.0f} m (opłata dystansowa) (1)" in implied
    explicit = maps.layer_names(layers, drop_limit_m=180)
    assert "Przyłącza ponad 180 m (opłata dystansowa) (1)" in explicit


def test_drop_limit_unknown_is_not_guessed(layers):
    drops = layers["drops"].copy()
    # two long drops whose lengths imply different limits: no limit can be read from the data
    k = drops.index[0]
    drops.loc[k, ["length_m", "over_limit_m", "fee_pln"]] = [320.0, 170.0, 170.0 * 60]
    names = maps.layer_names({**layers, "drops": drops})
    assert "Przyłącza ponad limit umowy (opłata dystansowa) (2)" in names
    assert not any(re.search(r"ponad \d+ m", n) for n in names)
    text = _html({**layers, "drops": drops})
    assert "Przyłącze ponad limit umowy – opłata dystansowa" in text


# --- base layer from a plan directory --------------------------------------------------------------


def test_read_plan_layers_reads_roads_from_area_gpkg(tmp_path, layers):
    plan_dir = make_fixture_plan_dir(tmp_path)
    assert "roads" not in maps.read_plan_layers(plan_dir)
    write_area_roads(layers["roads"], plan_dir)
    read = maps.read_plan_layers(plan_dir)
    assert len(read["roads"]) == len(layers["roads"]) and read["roads"].crs.to_epsg() == 2180
    assert "Podkład: drogi" in maps.layer_names(read)


def test_place_labels_inside_their_localities(layers):
    specs = [s for s in page_specs(_html(layers)) if s["kind"] == "label"]
    assert len(specs) == 1
    spec = specs[0]
    loc = layers["localities"]
    assert spec_values(spec, "") == list(loc["locality"])
    x, y = _TO_2180.transform(spec["lon"], spec["lat"])
    inside = shapely.contains_xy(loc.geometry.to_numpy(), np.asarray(x), np.asarray(y))
    assert inside.all()
    # without localities the labels sit at the median of each locality's address points
    a = layers["addresses"]
    only = [s for s in page_specs(_html({"addresses": a})) if s["kind"] == "label"][0]
    med = a.groupby("locality").apply(lambda g: (g.geometry.x.median(), g.geometry.y.median()))
    got = dict(zip(spec_values(only, ""), zip(*_TO_2180.transform(only["lon"], only["lat"]))))
    for name, (mx, my) in med.items():
        assert abs(got[name][0] - mx) < 0.2 and abs(got[name][1] - my) < 0.2


# --- build progress per village (#18) ---------------------------------------------------------------


def test_villages_styled_by_state_with_council_vocabulary(progress):
    text = _html(progress)
    spec = _by_heading(text, "Miejscowość – postęp budowy")
    loc = progress["localities"]
    assert spec_values(spec, "") == list(loc["locality"])
    assert spec_values(spec, "Stan budowy") == ["Zbudowana – sieć doprowadzona",
                                                "Do budowy – kamień milowy niezagrożony",
                                                "Zagrożony kamień milowy (poniżej 80 % punktów do terminu)"]
    fills = [st["fillColor"] for st in spec_styles(spec)]
    assert fills == [styles.VILLAGE_STATE_COLOURS[s].fill for s in loc["village_state"]]
    assert spec_values(spec, "Punkty z siecią dziś") == [100, 40, 5]
    assert spec_values(spec, "Kamień milowy osiągalny") == ["tak", "tak", "nie"]
    assert spec_values(spec, "Białe plamy") == list(loc["white"])
    assert spec_values(spec, "Bariery inwestycyjne") == list(loc["barriers"])
    seg = progress["segments"]
    pending = [int(((seg["locality"] == n) & (seg["consent"] == "pending") & ~seg["built"]).sum())
               for n in loc["locality"]]
    assert spec_values(spec, "Zgody oczekujące (odcinki sieci)") == [p or None for p in pending]
    assert pending[2] == 2
    km_built = [round(seg.loc[(seg["locality"] == n) & seg["built"], "length_m"].sum() / 1000, 2)
                for n in loc["locality"]]
    assert spec_values(spec, "Sieć zbudowana") == km_built
    # the milestone layer stays, switched off; the legend explains the states
    milestones = _by_heading(text, "Miejscowość")
    assert milestones["show"] is False and spec["show"] is True
    assert "Postęp budowy (miejscowości)" in text and "Zagrożony kamień milowy" in text
    assert "miejscowości z zagrożonym kamieniem milowym: 1" in text


def test_villages_in_english(progress):
    text = _html(progress, lang="en")
    spec = _by_heading(text, "Locality – build progress")
    assert spec_values(spec, "Build state")[2] == "Milestone at risk (under 80 % of points by the deadline)"
    assert spec_values(spec, "Milestone reachable") == ["yes", "yes", "no"]
    assert "Consents pending (network segments)" in text


def test_built_segments_drawn_apart_from_planned(progress):
    seg = progress["segments"]
    text = _html(progress)
    built = _by_heading(text, "Sieć zbudowana")
    assert len(built["geom"]) == int(seg["built"].sum())
    dashed = ["dashArray" in st for st in spec_styles(built)]
    assert dashed == list((seg.loc[seg["built"], "deployment"] == "aerial").to_numpy())
    assert {st["color"] for st in spec_styles(built)} == {styles.BUILT_COLOUR}
    names = maps.layer_names(progress)
    km_built = seg.loc[seg["built"], "length_m"].sum() / 1000
    assert f"Sieć zbudowana ({km_built:.1f} km)".replace(".", ",") in names
    planned = seg[~seg["built"]]
    trench = planned.loc[planned["deployment"] == "trench", "length_m"].sum() / 1000
    assert f"Sieć doziemna (nowy wykop) ({trench:.1f} km)".replace(".", ",") in names
    under = seg.loc[seg["built"] & (seg["deployment"] != "aerial"), "length_m"].sum() / 1000
    assert f"Sieć zbudowana – pod ziemią ({under:.1f} km)".replace(".", ",") in text


def test_without_progress_columns_the_map_is_unchanged(layers):
    """Absent columns, or columns with no values, draw the map of today (same bytes)."""
    plain = _html(layers)
    loc = layers["localities"].assign(village_state="", pct_passed_now=np.nan, milestone_reachable=None)
    seg = layers["segments"].assign(built=False)
    assert _html({**layers, "localities": loc, "segments": seg}) == plain
    assert "postęp budowy" not in plain and "Sieć zbudowana" not in plain


@pytest.mark.parametrize(("layer", "column", "value", "message"), [
    ("localities", "village_state", "maybe", "village_state not one of"),
    ("localities", "pct_passed_now", 140.0, "pct_passed_now is not a percentage"),
    ("localities", "milestone_reachable", "perhaps", "milestone_reachable is not true/false"),
    ("segments", "built", "half", "built is not true/false"),
])
def test_bad_progress_values(progress, layer, column, value, message):
    bad = progress[layer].copy()
    bad[column] = bad[column].astype(object)
    bad.loc[bad.index[1], column] = value
    with pytest.raises(InputDataError) as exc:
        maps.build_map({**progress, layer: bad})
    text = "\n".join(str(p) for p in exc.value.problems)
    assert f"[layer {layer}]" in text and message in text and "fix:" in text


def test_bad_roads(layers):
    roads = layers["roads"].copy()
    roads["geometry"] = roads.geometry.centroid
    with pytest.raises(InputDataError) as exc:
        maps.build_map({**layers, "roads": roads})
    assert "[layer roads]" in str(exc.value) and "LineString" in str(exc.value)
    with pytest.raises(InputDataError, match="coordinate reference system"):
        maps.build_map({**layers, "roads": layers["roads"].set_crs(None, allow_override=True)})


# --- in Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
def test_progress_map_in_chromium(chromium, progress, tmp_path):
    html = maps.write_map(progress, tmp_path / "progress.html")
    p = MapPage(chromium, html)
    try:
        assert p.errors == [] and p.network() == []
        page = p.page
        # roads drawn (non-interactive), place names shown as text
        n_roads = page.evaluate("""() => plannerMap.groups.filter(g => plannerMap.map.hasLayer(g))
            .map(g => g.getLayers()).flat().filter(l => l._pmSpec && l._pmSpec.kind === 'line'
            && l.options.interactive === false).length""")
        assert n_roads > 0
        places = page.locator(".pm-place span").all_inner_texts()
        assert sorted(places) == sorted(progress["localities"]["locality"])
        # the at-risk village: its popup in council words
        text = page.evaluate("""() => {
            const l = plannerMap.groups.map(g => g.getLayers()).flat()
                .find(l => l._pmSpec && l._pmSpec.heading === 'Miejscowość – postęp budowy' && l._pmK === 2);
            plannerMap.openPopup(l);
            return document.querySelector('.leaflet-popup-content').innerText; }""")
        for word in ("Skrzeszew", "Zagrożony kamień milowy", "Kamień milowy osiągalny", "nie",
                     "Zgody oczekujące", "Białe plamy", "Bariery inwestycyjne"):
            assert word in text, (word, text)
        legend = page.locator(".pm-legend").inner_text()
        assert "Postęp budowy" in legend and "Sieć zbudowana" in legend
        # the at-risk fill is drawn inside the village, away from its points and lines
        poly = progress["localities"].geometry.iloc[2]
        lines = shapely.union_all(np.concatenate([progress["segments"].geometry.to_numpy(),
                                                  progress["drops"].geometry.to_numpy(),
                                                  progress["roads"].geometry.to_numpy()]))
        ring = poly.buffer(-15.0).exterior
        cands = [ring.interpolate(f, normalized=True) for f in np.linspace(0, 1, 200, endpoint=False)]
        best = max(cands, key=lambda q: min(lines.distance(q), progress["addresses"].distance(q).min()))
        lon, lat = pyproj.Transformer.from_crs("EPSG:2180", "EPSG:4326", always_xy=True).transform(best.x, best.y)
        page.evaluate("([lat, lon]) => { plannerMap.map.closePopup(); plannerMap.map.setView([lat, lon], 17,"
                      " {animate: false}); }", [lat, lon])
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        page.wait_for_timeout(500)  # the closed popup fades out for 200 ms
        assert page.locator(".leaflet-popup").count() == 0
        want = blend(styles.VILLAGE_STATE_COLOURS["at_risk"].fill, 0.45)
        got = p.pixel(lat, lon)
        assert max(abs(a - b) for a, b in zip(got, want)) <= 6, (got, want)
        assert p.errors == []
    finally:
        p.close()


def test_layer_names_of_plan_dir_without_area(tmp_path):
    plan_dir = make_fixture_plan_dir(tmp_path)
    names = maps.layer_names(maps.read_plan_layers(plan_dir))
    assert "Podkład: drogi" not in names and names[-1] == "Podkład: nazwy miejscowości"


def test_colours_come_from_styles(layers):
    """One home of colours: the map's milestones, statuses and network take planner.styles' colours."""
    from planner import schema

    assert maps.PLAN_STATUSES is schema.PLAN_STATUSES
    text = _html(layers)
    loc = _by_heading(text, "Miejscowość")
    assert [s["fillColor"] for s in spec_styles(loc)] == list(styles.MILESTONE_FILLS[:3])  # M1, M2, M3 in order
    connect = _by_heading(text, "Biała plama – do podłączenia")
    assert (connect["styles"][0]["fillColor"], connect["styles"][0]["color"]) == tuple(styles.STATUS_COLOURS["connect"])
    trench = _by_heading(text, "Sieć doziemna (nowy wykop)")
    assert trench["styles"][0]["color"] == styles.NETWORK_COLOURS["trench"]
    assert styles.milestone_colours(["M1", "M2"]) == {"M1": "#1b9e77", "M2": "#d95f02", "": "#999999"}
