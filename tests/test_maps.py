"""Councillor map: content, determinism, offline self-containment, errors, and a real headless Chromium.

The fixture plan (tests/_map_fixtures.py) is synthetic; its numbers are checked
against independent computations (pandas counts, pyproj transforms, hand-made
long drop), not against the map module's own helpers.  The browser tests
(marker ``browser``; Debian Chromium via playwright, the ``chromium`` fixture: a hint to run
``make browser`` where it is missing) open the pipeline's demo plan
``out/demo/plan.gpkg`` when it exists, else the synthetic plan, and use only
properties every plan has.
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from _map_fixtures import (
    DROP_LIMIT_M,
    FEE_PLN_PER_M,
    LONG_DROP_ID,
    LONG_DROP_M,
    make_fixture_layers,
    make_fixture_plan_dir,
)

from planner import maps
from planner._errors import InputDataError, InputFileNotFoundError, UsageError

#: The demo plan's xdist group: one worker builds the demo plan, its map and Chromium once.
pytestmark = pytest.mark.xdist_group("demo")

_TO_WGS84 = pyproj.Transformer.from_crs("EPSG:2180", "EPSG:4326", always_xy=True)
_LAYER_DATA = re.compile(r'<script type="application/json" id="\w+">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def layers():
    return make_fixture_layers()


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    return make_fixture_plan_dir(tmp_path_factory.mktemp("mapplan"))


@pytest.fixture(scope="module")
def offline_html(plan_dir, tmp_path_factory):
    return maps.write_map(plan_dir, tmp_path_factory.mktemp("mapout") / "map.html")


@pytest.fixture(scope="module")
def online_html(layers, tmp_path_factory):
    return maps.write_map(layers, tmp_path_factory.mktemp("mapout_en") / "map_en.html", lang="en", offline=False)


def _specs(html_text: str) -> list[dict]:
    """The compact layer specs embedded in the page, in layer-control order."""
    return [json.loads(m.group(1)) for m in _LAYER_DATA.finditer(html_text)]


def _spec(html_text: str, heading: str) -> dict:
    found = [s for s in _specs(html_text) if s["heading"] == heading]
    assert len(found) == 1, [s["heading"] for s in _specs(html_text)]
    return found[0]


def _values(spec: dict, label: str) -> list:
    col = next(c for c in spec["cols"] if c["label"] == label)
    return [col["dict"][v] for v in col["v"]] if "dict" in col else col["v"]


def _label(row: pd.Series) -> str:
    return f"{row.street} {row.house_number}, {row.locality}" if row.street else f"{row.locality} {row.house_number}"


# --- reading ------------------------------------------------------------------


def test_read_plan_layers_reads_every_layer(plan_dir, layers):
    read = maps.read_plan_layers(plan_dir)
    # the fixture plan has no optical network: its layers (cabinets, cables, ...) are simply absent
    assert set(read) == {name for name in maps.PLAN_LAYERS if name in layers}
    assert {"addresses", "segments", "drops", "pops"} <= set(read)
    for name, gdf in read.items():
        assert len(gdf) == len(layers[name]), name
        assert gdf.crs.to_epsg() == 2180
    pd.testing.assert_series_equal(read["addresses"]["plan_status"].astype(object),
                                   layers["addresses"]["plan_status"].astype(object), check_names=False)


def test_read_plan_layers_missing_plan(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="no plan found") as exc:
        maps.read_plan_layers(tmp_path)
    assert "plan.gpkg" in str(exc.value) and "planner plan" in str(exc.value)


# --- content -------------------------------------------------------------------


def test_layer_names_carry_independent_counts_and_km(layers):
    names = maps.layer_names(layers)
    counts = layers["addresses"]["plan_status"].value_counts()
    assert f"Biała plama – do podłączenia ({counts['connect']})" in names
    assert f"Bariera inwestycyjna ({counts['barrier']})" in names
    assert f"Podłączony (powykonawczo) ({counts['connected']})" in names
    seg = layers["segments"]
    trench_km = seg.loc[seg["deployment"] == "trench", "length_m"].sum() / 1000
    assert f"Sieć doziemna (nowy wykop) ({trench_km:.1f} km)".replace(".", ",") in names
    lighting = seg[(seg["deployment"] == "aerial") & (seg["pole_owner"] == "commune_lighting")]
    assert f"Sieć napowietrzna – słupy oświetleniowe gminy ({lighting['length_m'].sum() / 1000:.1f} km)".replace(
        ".", ",") in names
    n_long = int((layers["drops"]["over_limit_m"] > 0).sum())
    assert n_long == 1
    assert f"Przyłącza ponad {DROP_LIMIT_M:.0f} m (opłata dystansowa) (1)" in names
    assert f"Przyłącza do ogrodzenia ({len(layers['drops']) - 1})" in names
    # one layer per status and per network class present, plus POP, drops, long drops, poles, ducts, localities,
    # and (offline) the place names of the base layer (the fixture has no roads)
    assert len(names) == len(counts) + 4 + 6 + 1 and names[-1] == "Podkład: nazwy miejscowości"
    assert len(maps.layer_names(layers, offline=False)) == len(counts) + 4 + 6
    assert maps.layer_names(layers, lang="en")[0].startswith("White spot – to be connected")


def test_address_points_coordinates_and_popups(offline_html, layers):
    text = offline_html.read_text(encoding="utf-8")
    spec = _spec(text, "Biała plama – do podłączenia")
    a = layers["addresses"]
    white = a[a["plan_status"] == "connect"]
    assert len(spec["lat"]) == len(white)
    labels = _values(spec, "")
    # the farmstead with the long drop: its position is the pyproj transform of its EPSG:2180 point
    farm = a[a["id"] == LONG_DROP_ID].iloc[0]
    k = labels.index(_label(farm))
    lon, lat = _TO_WGS84.transform(farm.geometry.x, farm.geometry.y)
    assert spec["lat"][k] == round(lat, 6) and spec["lon"][k] == round(lon, 6)
    assert _values(spec, "Przyłącze")[k] == LONG_DROP_M
    assert _values(spec, "Opłata dystansowa")[k] == (LONG_DROP_M - DROP_LIMIT_M) * FEE_PLN_PER_M
    assert _values(spec, "Kamień milowy")[k] == "M1 – do 31.07.2025"
    # every coordinate rounded to MapConfig.coordinate_precision (6) decimals
    for s in _specs(text):
        flat = np.asarray(s["lat"] + s["lon"]) if s["kind"] in ("point", "label") else np.asarray(
            [c for g in s["geom"] for c in shapely.get_coordinates(shapely.from_geojson(
                json.dumps({"type": "MultiPoint", "coordinates": _flatten(g)}))).ravel()])
        assert np.all(np.abs(flat * 1e6 - np.round(flat * 1e6)) < 1e-6), s["heading"]
    # reasons, translated per status
    barrier = _spec(text, "Bariera inwestycyjna")
    expected = {"no_building": "brak budynku (pusta działka)", "summer_house": "zabudowa letniskowa"}
    got = sorted(_values(barrier, "Powód"))
    want = sorted(a.loc[a["plan_status"] == "barrier", "barrier_reason"].map(expected))
    assert got == want
    unconnected = _spec(text, "Biała plama – niepodłączona")
    assert set(_values(unconnected, "Powód")) == {"brak zgody właściciela działki"}
    grey = _spec(text, "Punkt szary (zasięg NGA jednego operatora)")
    assert set(_values(grey, "Powód")) == {"tylko VDSL2 30 Mb/s (Orange)"}


def _flatten(coords) -> list:
    if isinstance(coords[0], (int, float)):
        return [coords]
    return [c for part in coords for c in _flatten(part)]


def test_long_drop_layer_has_its_fee(offline_html, layers):
    text = offline_html.read_text(encoding="utf-8")
    spec = _spec(text, f"Przyłącze ponad {DROP_LIMIT_M:.0f} m – opłata dystansowa")
    farm = layers["addresses"].set_index("id").loc[LONG_DROP_ID]
    assert _values(spec, "") == [_label(farm)]
    assert _values(spec, "Długość") == [LONG_DROP_M]
    assert _values(spec, "Ponad limit umowy") == [LONG_DROP_M - DROP_LIMIT_M]
    assert _values(spec, "Opłata dystansowa") == [(LONG_DROP_M - DROP_LIMIT_M) * FEE_PLN_PER_M]
    assert "Przyłącza ponad 200 m (opłata dystansowa): 1, 3600 zł" in text  # legend (Polish: no 4-digit grouping)


def test_localities_popup_and_milestone_colours(offline_html, layers):
    text = offline_html.read_text(encoding="utf-8")
    spec = _spec(text, "Miejscowość")
    loc = layers["localities"]
    assert _values(spec, "") == list(loc["locality"])
    assert _values(spec, "Kamień milowy") == ["M1 – do 31.07.2025", "M2 – do 31.12.2025", "M3 – do 31.12.2026"]
    assert _values(spec, "Białe plamy") == list(loc["white"])
    assert _values(spec, "Punkty z siecią do terminu") == [round(v) for v in loc["pct_passed_by_deadline"]]
    fills = [spec["styles"][i]["fillColor"] for i in spec["si"]]
    assert len(set(fills)) == 3  # one colour per milestone


def test_offline_html_is_self_contained(offline_html):
    text = offline_html.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=", text)
    assert "tile.openstreetmap.org" not in text and "cdn.jsdelivr" not in text and "cdnjs" not in text
    assert not re.search(r"url\((?!data:|#)", text)  # CSS images inlined as data URIs
    leaflet = (Path(maps.__file__).parents[1] / "assets" / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    assert leaflet in text
    assert "jquery" not in text.lower() and "bootstrap" not in text.lower()
    assert "https://www.openstreetmap.org/copyright" in text  # attribution link (checked rendered in the browser)
    assert "bez internetu" in text
    assert offline_html.stat().st_size < 2_000_000


def test_online_html_uses_osm_tiles_and_english(online_html):
    text = online_html.read_text(encoding="utf-8")
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in text
    assert not re.search(r"<script[^>]+src=", text)
    assert "White spot – to be connected" in text and "Biała plama" not in text
    assert "Base map: OpenStreetMap" in text


def test_same_plan_same_bytes(plan_dir, tmp_path, offline_html):
    again = maps.write_map(plan_dir, tmp_path / "again.html")
    assert again.read_bytes() == offline_html.read_bytes()
    assert not re.search(r"_[0-9a-f]{32}\b", again.read_text(encoding="utf-8"))  # no folium uuid left


def test_only_addresses_still_renders(layers):
    only = {"addresses": layers["addresses"]}
    names = maps.layer_names(only)
    assert len(names) == layers["addresses"]["plan_status"].nunique() + 1  # + place names (offline base layer)
    text = maps.build_map(only).get_root().render()
    assert len(_specs(text)) == len(names)


# --- bad input ---------------------------------------------------------------------


def _problems(exc: pytest.ExceptionInfo) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_error_missing_crs(layers):
    bad = {**layers, "ducts": layers["ducts"].set_crs(None, allow_override=True)}
    with pytest.raises(InputDataError) as exc:
        maps.build_map(bad)
    assert "[layer ducts]" in _problems(exc) and "coordinate reference system" in _problems(exc)


def test_error_swapped_axes(layers):
    pops = layers["pops"].copy()
    pops["geometry"] = shapely.transform(pops.geometry.to_numpy(), lambda c: c[:, ::-1])
    with pytest.raises(InputDataError) as exc:
        maps.build_map({**layers, "pops": pops})
    assert "[layer pops]" in _problems(exc) and "axis order" in _problems(exc)


def test_error_wrong_crs_declared(layers):
    loc = layers["localities"].set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(InputDataError) as exc:
        maps.build_map({**layers, "localities": loc})
    assert "[layer localities]" in _problems(exc)


def test_error_bad_status_and_empty_geometry(layers):
    a = layers["addresses"].copy()
    a.loc[a.index[3], "plan_status"] = "maybe"
    a.loc[a.index[5], "geometry"] = None
    with pytest.raises(InputDataError) as exc:
        maps.build_map({**layers, "addresses": a})
    text = _problems(exc)
    assert f"row {a['id'].iloc[3]}" in text and "plan_status" in text
    assert f"row {a['id'].iloc[5]}" in text and "empty geometry" in text


def test_error_missing_columns_and_language(layers):
    with pytest.raises(InputDataError, match="missing column"):
        maps.build_map({"addresses": layers["addresses"].drop(columns=["plan_status"])})
    with pytest.raises(UsageError):
        maps.build_map(layers, lang="de")


def test_write_map_failure_leaves_previous_file(layers, tmp_path):
    out = tmp_path / "map.html"
    out.write_text("previous map")
    bad = {**layers, "addresses": layers["addresses"].drop(columns=["plan_status"])}
    with pytest.raises(InputDataError):
        maps.write_map(bad, out)
    assert out.read_text() == "previous map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]
    with pytest.raises(UsageError):
        maps.write_map(layers, tmp_path / "plan.gpkg")


# --- real browser (the session fixture ``chromium`` of conftest.py) ------------------------

_PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


class _Page:
    """A page on a map with console errors, page errors and every request recorded."""

    def __init__(self, browser, html_path: Path, *, tiles: bool = False) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:")):
                r.continue_()
            elif tiles and url.startswith("https://tile.openstreetmap.org/"):
                r.fulfill(status=200, content_type="image/png", body=_PNG_1x1)
            else:
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(html_path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_function("window.plannerMapReady === true", timeout=30_000)

    def network(self) -> list[str]:
        return [u for u in self.requests if u.startswith(("http:", "https:"))]


#: The browser tests run on the demo plan written by the pipeline (the session fixture
#: ``demo_plan_dir`` of conftest.py), or on the plan directory in $PLANNER_MAP_TEST_PLAN;
#: they only use properties every plan has.
_ENV_PLAN = os.environ.get("PLANNER_MAP_TEST_PLAN")


@pytest.fixture(scope="module")
def browser_plan(request):
    if _ENV_PLAN:
        return Path(_ENV_PLAN)
    return request.getfixturevalue("demo_plan_dir")


@pytest.fixture(scope="module")
def browser_layers(browser_plan):
    return maps.read_plan_layers(browser_plan)


@pytest.fixture(scope="module")
def offline_page(chromium, browser_plan, plan_dir, offline_html, tmp_path_factory):
    if browser_plan == plan_dir:
        html = offline_html
    else:
        html = maps.write_map(browser_plan, tmp_path_factory.mktemp("mapbrowser") / "map.html")
    p = _Page(chromium, html)
    yield p
    p.page.close()


def _fold(text: str) -> str:
    """What a user types: lower case, no Polish diacritics."""
    import unicodedata

    text = text.lower().replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _open_popup(page, text: str):
    """The popup showing ``text``, checked to still be open after Leaflet's 200 ms fade-out
    (a popup that a stray map click closes stays in the DOM, transparent, for 200 ms)."""
    popup = page.locator(".leaflet-popup-content").filter(has_text=text)
    popup.wait_for(timeout=30_000)
    page.wait_for_timeout(400)
    assert page.evaluate("() => !!plannerMap.map._popup && plannerMap.map._popup.isOpen()"), "popup closed again"
    assert popup.count() == 1
    assert popup.evaluate("e => getComputedStyle(e.closest('.leaflet-popup')).opacity") == "1"
    return popup


@pytest.mark.browser
def test_offline_map_loads_without_network_or_errors(offline_page, browser_layers):
    assert offline_page.errors == []
    assert offline_page.network() == []
    assert offline_page.requests and all(u.startswith(("file:", "data:")) for u in offline_page.requests)
    n_points = offline_page.page.evaluate("plannerMap.index.length")
    assert n_points == len(browser_layers["addresses"])  # every address point drawn and searchable


@pytest.mark.browser
def test_layer_control_lists_every_layer(offline_page, browser_layers):
    texts = offline_page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in texts] == maps.layer_names(browser_layers)


@pytest.mark.browser
def test_legend_present(offline_page, browser_layers):
    page = offline_page.page
    legend = page.locator(".pm-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    counts = browser_layers["addresses"]["plan_status"].value_counts()
    labels = {"connect": "Biała plama – do podłączenia", "barrier": "Bariera inwestycyjna",
              "grey": "Punkt szary", "black": "Punkt czarny", "connected": "Podłączony",
              "unconnected": "Biała plama – niepodłączona"}
    for status in counts.index:
        assert labels[status] in text
    assert "Punkty adresowe" in text and "Sieć planowana" in text
    a = browser_layers["addresses"]
    if "localities" in browser_layers and "milestone" in a and (a["milestone"].fillna("") != "").any():
        assert "Kamienie milowe" in text
    assert page.locator(".pm-info h1").inner_text().startswith("Sieć światłowodowa w białych plamach")
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    for credit in ("© OpenStreetMap contributors", "PRG: GUGiK", "TERYT: GUS"):
        assert credit in attribution
    assert page.locator(".leaflet-control-scale").is_visible()
    assert page.locator(".pm-search input").is_visible()
    # drops over the contract length carry a permanent label with their fee
    drops = browser_layers.get("drops")
    n_long = 0 if drops is None else int((drops["over_limit_m"] > 0).sum())
    if 0 < n_long <= 100:
        fees = [t.strip() for t in page.locator(".pm-label").all_inner_texts() if t.strip().endswith(" zł")]
        assert len(fees) == n_long
        assert all(re.fullmatch(r"[\d\s\u00a0]+ zł", f) for f in fees), fees


def _isolated_white_spot(addresses: pd.DataFrame) -> pd.Series:
    """The white spot farthest from any other address point: a click there hits only it."""
    a = addresses.reset_index(drop=True)
    idx, dist = a.sindex.nearest(a.geometry, return_all=False, exclusive=True, return_distance=True)
    nearest = np.full(len(a), -1.0)
    nearest[idx[0]] = dist
    nearest[a["plan_status"].to_numpy() != "connect"] = -1.0
    row = a.iloc[int(np.argmax(nearest))]
    return row


@pytest.mark.browser
def test_click_on_white_spot_opens_its_popup(offline_page, browser_layers):
    row = _isolated_white_spot(browser_layers["addresses"])
    lon, lat = _TO_WGS84.transform(row.geometry.x, row.geometry.y)
    page = offline_page.page
    page.evaluate("([lat, lon]) => { plannerMap.map.setView([lat, lon], 18, {animate: false}); }", [lat, lon])
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    x, y = page.evaluate("""([lat, lon]) => {
        const p = plannerMap.map.latLngToContainerPoint([lat, lon]);
        const r = plannerMap.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", [lat, lon])
    page.mouse.click(x, y)
    popup = _open_popup(page, _label(row))
    text = popup.inner_text()
    assert _label(row) in text
    assert "Biała plama – do podłączenia" in text
    page.evaluate("() => { plannerMap.map.closePopup(); }")


@pytest.mark.browser
def test_search_finds_an_address(offline_page, browser_layers):
    page = offline_page.page
    a = browser_layers["addresses"]
    labels = a.apply(_label, axis=1)
    # an address with Polish diacritics, typed without them
    polish = labels[labels.str.contains("[ąćęłńóśźż]", case=False, regex=True)
                    & (a["plan_status"] == "connect").to_numpy()]
    target = sorted(polish)[0] if len(polish) else sorted(labels)[0]
    row = a[(labels == target).to_numpy()].iloc[0]
    box = page.locator(".pm-search input")
    box.fill(_fold(target))
    hits = page.locator(".pm-results li.pm-hit")
    assert target in hits.all_inner_texts()
    hits.filter(has_text=re.compile("^" + re.escape(target) + "$")).first.click()
    _open_popup(page, target)
    center = page.evaluate("() => { const c = plannerMap.map.getCenter(); return [c.lat, c.lng]; }")
    lon, lat = _TO_WGS84.transform(row.geometry.x, row.geometry.y)
    assert abs(center[0] - lat) < 1e-4 and abs(center[1] - lon) < 1e-4  # the map moved to the address
    box.fill("no such street 999")
    assert page.locator(".pm-results li.pm-none").count() == 1
    page.evaluate("() => { plannerMap.map.closePopup(); }")


def _diacritic_target(a: pd.DataFrame) -> str:
    labels = a.apply(_label, axis=1)
    polish = labels[labels.str.contains("[ąćęłńóśźż]", case=False, regex=True)
                    & (a["plan_status"] == "connect").to_numpy()]
    return sorted(polish)[-1] if len(polish) else sorted(labels)[-1]


@pytest.mark.browser
def test_search_hit_double_click_keeps_popup_and_enter_after_map_click_does_nothing(offline_page, browser_layers):
    page = offline_page.page
    target = _diacritic_target(browser_layers["addresses"])
    box = page.locator(".pm-search input")
    box.fill(_fold(target))
    hit = page.locator(".pm-results li.pm-hit").filter(has_text=re.compile("^" + re.escape(target) + "$")).first
    hit.click()
    _open_popup(page, target)
    zoom = page.evaluate("() => plannerMap.map.getZoom()")
    assert "pm-chosen" in hit.get_attribute("class")  # the list stays, the chosen hit marked
    page.evaluate("() => { plannerMap.map.closePopup(); }")
    # a double click on a hit: both clicks land on the hit; no map click, no zoom
    b = hit.bounding_box()
    page.mouse.dblclick(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    _open_popup(page, target)
    assert page.evaluate("() => plannerMap.map.getZoom()") == zoom
    # a click on the map closes the list; Enter then has no stale hit to jump to
    size = page.evaluate("() => { const s = plannerMap.map.getSize(); return [s.x, s.y]; }")
    rect = page.evaluate(
        "() => { const r = plannerMap.map.getContainer().getBoundingClientRect(); return [r.left, r.top]; }")
    page.evaluate("() => { plannerMap.map.closePopup(); }")
    page.mouse.click(rect[0] + size[0] * 0.6, rect[1] + size[1] * 0.7)
    assert page.locator(".pm-results li").count() == 0
    page.wait_for_timeout(500)  # a popup the click opened (a locality) may auto-pan the map
    page.evaluate("() => { plannerMap.map.closePopup(); }")
    center = page.evaluate("() => { const c = plannerMap.map.getCenter(); return [c.lat, c.lng]; }")
    box.press("Enter")
    page.wait_for_timeout(300)
    assert page.evaluate("() => { const c = plannerMap.map.getCenter(); return [c.lat, c.lng]; }") == center
    assert not page.evaluate("() => !!plannerMap.map._popup && plannerMap.map._popup.isOpen()")
    box.fill("")
    assert offline_page.errors == []


@pytest.mark.browser
def test_popup_closes_when_its_layer_is_switched_off(offline_page, browser_layers):
    page = offline_page.page
    target = _diacritic_target(browser_layers["addresses"])
    page.locator(".pm-search input").fill(_fold(target))
    page.locator(".pm-results li.pm-hit").filter(has_text=re.compile("^" + re.escape(target) + "$")).first.click()
    _open_popup(page, target)
    label = page.locator(".leaflet-control-layers-overlays label").filter(has_text="Biała plama – do podłączenia")
    assert label.count() == 1
    label.locator("input").click()
    page.wait_for_timeout(400)
    try:
        assert not page.evaluate("() => !!plannerMap.map._popup && plannerMap.map._popup.isOpen()")
    finally:
        label.locator("input").click()  # the page is shared by the module's tests
        page.locator(".pm-search input").fill("")


@pytest.mark.browser
def test_popup_of_a_point_beside_the_legend_is_not_hidden_under_it(offline_page, browser_layers):
    row = _isolated_white_spot(browser_layers["addresses"])
    lon, lat = _TO_WGS84.transform(row.geometry.x, row.geometry.y)
    page = offline_page.page
    legend = page.evaluate("() => { const r = document.querySelector('.pm-legend').getBoundingClientRect();"
                           " return [r.left, r.top, r.right, r.bottom]; }")
    # put the point 40 px right of the legend, 120 px below its top edge; its popup opens above it
    x, y = page.evaluate("""([lat, lon, tx, ty]) => { const m = plannerMap.map;
        m.setView([lat, lon], 17, {animate: false});
        const r = m.getContainer().getBoundingClientRect();
        const p = m.latLngToContainerPoint([lat, lon]);
        m.panBy([p.x - (tx - r.left), p.y - (ty - r.top)], {animate: false});
        const q = m.latLngToContainerPoint([lat, lon]);
        return [r.left + q.x, r.top + q.y]; }""", [lat, lon, legend[2] + 40, legend[1] + 120])
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.mouse.click(x, y)
    popup = _open_popup(page, _label(row))
    page.wait_for_timeout(400)  # the auto-pan animation
    w = popup.evaluate("e => { const r = e.closest('.leaflet-popup').getBoundingClientRect();"
                       " return [r.left, r.top, r.right, r.bottom]; }")
    overlap = w[0] < legend[2] and legend[0] < w[2] and w[1] < legend[3] and legend[1] < w[3]
    page.evaluate("() => { plannerMap.map.closePopup(); }")
    assert not overlap, (w, legend)


@pytest.mark.browser
def test_search_enter_opens_first_hit(chromium, offline_html, layers):
    """Fixture plan: 'jadwisin 77' has exactly one hit, the farmstead; Enter opens it."""
    p = _Page(chromium, offline_html)
    try:
        box = p.page.locator(".pm-search input")
        box.fill("jadwisin 77")
        farm = layers["addresses"].set_index("id").loc[LONG_DROP_ID]
        assert p.page.locator(".pm-results li.pm-hit").all_inner_texts() == [_label(farm)]
        box.press("Enter")
        _open_popup(p.page, _label(farm))
        box.fill("kielpinska")
        hits = p.page.locator(".pm-results li.pm-hit").all_inner_texts()
        assert hits and all("Wola Kiełpińska" in h for h in hits)
        assert p.errors == [] and p.network() == []
    finally:
        p.page.close()


@pytest.mark.browser
def test_online_map_requests_only_osm_tiles(chromium, online_html):
    p = _Page(chromium, online_html, tiles=True)
    try:
        net = p.network()
        assert net and all(u.startswith("https://tile.openstreetmap.org/") for u in net)
        assert p.errors == []
    finally:
        p.page.close()


@pytest.mark.browser
def test_screenshot(offline_html, tmp_path):
    """map.png through Chromium's DevTools pipe (planner.maps.cdp): the viewport asked for, not blank."""
    png = maps.screenshot(offline_html, tmp_path / "map.png", width=800, height=600)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (800, 600)
    import matplotlib.image

    img = matplotlib.image.imread(png)
    assert img.reshape(-1, img.shape[-1]).std(axis=0).max() > 0.05  # not a blank page


@pytest.mark.browser
def test_hidden_layer_is_built_when_switched_on(chromium, offline_html, layers):
    """Poles start switched off; ticking them in the layer control draws every pole used, with no error."""
    p = _Page(chromium, offline_html)
    try:
        n_poles = len(layers["poles_used"])
        label = p.page.locator(".leaflet-control-layers-overlays label").filter(has_text="Wykorzystane słupy")
        box = label.locator("input")
        assert not box.is_checked()
        box.check()
        n = p.page.evaluate("""() => plannerMap.groups.filter(g => plannerMap.map.hasLayer(g))
            .map(g => g.getLayers()).flat()
            .filter(l => l._pmSpec && l._pmSpec.heading === "Wykorzystane słupy").length""")
        assert n == n_poles
        assert p.errors == []
    finally:
        p.page.close()
