"""The map runtime's bulk drawing (``planner/assets/planner_map.js``) against Leaflet's own per-feature drawing.

The points and lines of a layer without permanent labels are drawn by one canvas path object per layer
(``plannerMap.Bulk``) instead of one Leaflet layer per feature.  The oracle is Leaflet itself: the same
page opened with ``window.plannerMapPerFeature = true`` draws every feature as its own
``L.circleMarker`` / ``L.polyline`` (as folium does).  The two must give the same pixels at several
views (zoom-dependent radii, squares, dashes, lines cut by the canvas edge, layers switched on later),
and a click at the same place must open the same popup, or none.  The tests run on the demo plan (the
session fixture ``demo_plan_dir``, or ``$PLANNER_MAP_TEST_PLAN``), which has every kind of layer.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

from planner import maps

pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.browser]

_TO_WGS84 = pyproj.Transformer.from_crs("EPSG:2180", "EPSG:4326", always_xy=True)
_ENV_PLAN = os.environ.get("PLANNER_MAP_TEST_PLAN")
_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture(scope="module")
def plan(request) -> Path:
    return Path(_ENV_PLAN) if _ENV_PLAN else request.getfixturevalue("demo_plan_dir")


@pytest.fixture(scope="module")
def plan_layers(plan):
    return maps.read_plan_layers(plan)


@pytest.fixture(scope="module")
def html(plan, tmp_path_factory) -> Path:
    return maps.write_map(plan, tmp_path_factory.mktemp("runtime") / "map.html")


class _Page:
    """The map in Chromium (network blocked), drawn in bulk or, with ``per_feature``, by Leaflet per feature."""

    def __init__(self, browser, html: Path, *, per_feature: bool = False) -> None:
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                        else r.abort())
        if per_feature:
            self.page.add_init_script("window.plannerMapPerFeature = true;")
        self.page.goto(html.resolve().as_uri(), wait_until="load")
        self.page.wait_for_function("window.plannerMapReady === true", timeout=60_000)

    def n_bulk(self) -> int:
        """Bulk layers on the map."""
        return int(self.page.evaluate("""() => plannerMap.groups.filter(g => plannerMap.map.hasLayer(g))
            .map(g => Object.values(g._layers)).flat().filter(l => l instanceof plannerMap.Bulk).length"""))

    def view(self, lat: float, lon: float, zoom: float) -> None:
        self.page.evaluate("([lat, lon, z]) => { plannerMap.map.setView([lat, lon], z, {animate: false}); }",
                           [lat, lon, zoom])
        self.page.evaluate(_FRAMES)

    def pixels(self) -> np.ndarray:
        import matplotlib.image

        return matplotlib.image.imread(io.BytesIO(self.page.screenshot()), format="png")

    def switch_on(self, name_start: str) -> None:
        label = self.page.locator(".leaflet-control-layers-overlays label").filter(has_text=name_start)
        assert label.count() == 1, name_start
        label.locator("input").check()
        self.page.evaluate(_FRAMES)

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def pages(chromium, html):
    bulk, leaflet = _Page(chromium, html), _Page(chromium, html, per_feature=True)
    yield bulk, leaflet
    assert bulk.errors == [] and leaflet.errors == []
    bulk.close()
    leaflet.close()


def _lat_lon(geom) -> tuple[float, float]:
    lon, lat = _TO_WGS84.transform(geom.x, geom.y)
    return lat, lon


def _same_pixels(bulk: _Page, leaflet: _Page, what: str) -> None:
    a, b = bulk.pixels(), leaflet.pixels()
    diff = np.abs(a - b).max(axis=-1) * 255
    assert (diff > 0).sum() == 0, f"{what}: {(diff > 0).sum()} pixels differ, by up to {diff.max():.0f}/255"


def test_the_page_draws_in_bulk_and_the_reference_per_feature(pages, plan_layers):
    bulk, leaflet = pages
    # address points of six statuses, route, drops, cables, cabinets, roads... one object per layer
    assert bulk.n_bulk() >= 10
    assert leaflet.n_bulk() == 0
    # the same features either way, as group.getLayers() lists them
    count = """() => plannerMap.groups.filter(g => plannerMap.map.hasLayer(g)).map(g => g.getLayers()).flat()
        .filter(l => l._pmSpec && l._pmSpec.kind === 'point').length"""
    assert bulk.page.evaluate(count) == leaflet.page.evaluate(count) >= len(plan_layers["addresses"])
    assert bulk.page.evaluate("plannerMap.index.length") == len(plan_layers["addresses"])


def test_bulk_drawing_is_leaflets_pixel_for_pixel(pages, plan_layers):
    bulk, leaflet = pages
    _same_pixels(bulk, leaflet, "the view at load")
    cab = _lat_lon(plan_layers["cabinets"].sort_values("cabinet_id").geometry.iloc[0])
    pop = _lat_lon(plan_layers["pops"].geometry.iloc[0])
    # radii scaled at 14 and 15, full at 17, squares and dashes up close, lines cut by the canvas edge
    for lat, lon, zoom in (cab + (14,), cab + (15.5,), pop + (17,), (cab[0] + 0.004, cab[1] - 0.006, 18)):
        for p in (bulk, leaflet):
            p.view(lat, lon, zoom)
        _same_pixels(bulk, leaflet, f"zoom {zoom} at {lat:.4f}, {lon:.4f}")
    # layers that start switched off (poles, closures) drawn when switched on, in their drawing order
    for p in (bulk, leaflet):
        p.view(cab[0], cab[1], 16)
        p.switch_on("Wykorzystane słupy")
        p.switch_on("Mufy")
    _same_pixels(bulk, leaflet, "poles and closures switched on")


def _clicks(bulk: _Page, plan_layers) -> list[tuple[float, float]]:
    """Page positions on and next to address points, drops, route segments and cables near the first
    cabinet, and between them, where the map (not a panel) takes the click."""
    cab = plan_layers["cabinets"].sort_values("cabinet_id").geometry.iloc[0]
    near = cab.buffer(120.0)
    geoms = []
    for name, n in (("addresses", 12), ("drops", 6), ("segments", 6), ("cables", 3)):
        g = plan_layers[name]
        g = g[g.intersects(near)].geometry.iloc[:n]
        geoms += [x if x.geom_type == "Point" else x.interpolate(0.5, normalized=True) for x in g]
    geoms += [shapely.Point(cab.x + dx, cab.y + dy) for dx, dy in ((60, 60), (-70, 40), (30, -80))]
    lat_lon = [_lat_lon(g) for g in geoms]
    out = []
    for lat, lon in lat_lon:
        x, y = bulk.page.evaluate("""([lat, lon]) => { const m = plannerMap.map;
            const p = m.latLngToContainerPoint([lat, lon]), r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""", [lat, lon])
        for dx, dy in ((0, 0), (3, 0), (0, -5), (7, 2)):
            free = bulk.page.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y);"
                                      " return !!e && e.tagName === 'CANVAS'; }", [x + dx, y + dy])
            if free:
                out.append((x + dx, y + dy))
    return out


def _popup_at(page: _Page, x: float, y: float) -> str | None:
    page.page.mouse.click(x, y)
    text = page.page.evaluate("""() => { const p = plannerMap.map._popup;
        const t = p && p.isOpen() ? p.getElement().querySelector('.leaflet-popup-content').innerText : null;
        plannerMap.map.closePopup(); return t; }""")
    return text


def test_a_click_opens_the_popup_leaflet_opens(pages, plan_layers):
    bulk, leaflet = pages
    cab = _lat_lon(plan_layers["cabinets"].sort_values("cabinet_id").geometry.iloc[0])
    for p in (bulk, leaflet):
        # the view stays put: no auto-pan to fit a popup, no fade-out of a closed one
        p.page.evaluate("() => { L.Popup.prototype.options.autoPan = false; plannerMap.map._fadeAnimated = false; }")
    got, want = [], []
    for zoom in (17, 14):  # at 14, dots of one layer overlap: the one drawn last is hit
        for p in (bulk, leaflet):
            p.view(cab[0], cab[1], zoom)
        spots = _clicks(bulk, plan_layers)
        assert len(spots) >= 60
        got += [_popup_at(bulk, x, y) for x, y in spots]
        want += [_popup_at(leaflet, x, y) for x, y in spots]
    assert got == want
    # address points (on the dot, at its rim), drops and cables (bulk lines) and, beside them, the cabinet
    # areas drawn below (a click that no bulk feature takes goes to the layers under it)
    texts = [t or "" for t in got]
    assert sum("Biała plama – do podłączenia" in t for t in texts) >= 10
    for heading in ("Przyłącze", "Kabel światłowodowy", "Obszar szafy kablowej"):
        assert any(heading in t for t in texts), heading


def test_a_feature_as_an_object_opens_the_popup_leaflet_opens(pages):
    """plannerMap.openPopup on a feature of group.getLayers(): same place (a line's centre as
    L.polyline.getCenter computes it) and same content."""
    bulk, leaflet = pages
    # a point, and the line of a layer with the most vertices (its centre is not its box's)
    js = """([heading, kind]) => { const ls = plannerMap.groups.map(g => g.getLayers()).flat()
            .filter(l => l._pmSpec && l._pmSpec.heading === heading && l._pmSpec.kind === kind);
        const first = l => { const ll = l.getLatLngs(); return L.LineUtil.isFlat(ll) ? ll : ll[0]; };
        const l = kind === "line" ? ls.reduce((a, b) => first(b).length > first(a).length ? b : a) : ls[3];
        const p = plannerMap.openPopup(l), at = p.getLatLng(), text = p.getElement().innerText;
        plannerMap.map.closePopup(); return [at.lat, at.lng, text, l._pmK, kind === "line" ? first(l).length : 1]; }"""
    vertices = {}
    for heading, kind in (("Przyłącze", "line"), ("Kabel światłowodowy", "line"), ("", "line"),
                          ("Biała plama – do podłączenia", "point")):
        a, b = bulk.page.evaluate(js, [heading, kind]), leaflet.page.evaluate(js, [heading, kind])
        assert a[2:] == b[2:] and heading in a[2]
        assert a[:2] == pytest.approx(b[:2], abs=1e-9), heading
        vertices[heading] = a[4]
    assert vertices[""] > 2  # a road (the base layer, heading "") with bends


def test_labels_from_a_zoom_are_made_when_the_map_first_reaches_it(chromium, html, plan_layers):
    """The cabinet areas' labels (shown from zoom 15) do not exist at the opening view (zoom < 15)."""
    page = _Page(chromium, html)
    try:
        labels = "() => [...document.querySelectorAll('.pm-area-label')].map(e => !!e.offsetParent)"
        assert page.page.evaluate("() => plannerMap.map.getZoom()") < 15
        assert page.page.evaluate(labels) == []
        cab = _lat_lon(plan_layers["cabinets"].sort_values("cabinet_id").geometry.iloc[0])
        page.view(cab[0], cab[1], 16)
        shown = page.page.evaluate(labels)
        assert len(shown) == len(plan_layers["cabinet_areas"]) and any(shown)
        page.view(cab[0], cab[1], 13)
        assert page.page.evaluate(labels) == [False] * len(plan_layers["cabinet_areas"])
        assert page.errors == []
    finally:
        page.close()


_ZIGZAG = """() => {
    const P = plannerMap, b = P.map.getBounds(), w = b.getEast() - b.getWest();
    const geom = [];  // 100 vertices outside, left and right by turns: each segment crosses the view, 99 parts
    for (let i = 0; i < 100; i++) {
      geom.push([i % 2 ? b.getEast() + 0.6 * w : b.getWest() - 0.6 * w,
                 b.getSouth() + (b.getNorth() - b.getSouth()) * (i + 0.5) / 100]);
    }
    const group = L.featureGroup();
    P.addLayer(group, {kind: "line", heading: "", title: -1, geom: [geom], styles: [{color: "#d00", weight: 3}],
                       si: null, cols: [], tooltip: -1});
    P.map.addLayer(group);
}"""


def test_a_short_line_cut_into_many_parts_is_drawn_whole(chromium, tmp_path):
    """On a map whose lines are all short (the scratch buffers never grew), a line of 100 vertices that
    the view cuts into 99 parts is drawn as Leaflet draws it."""
    from _map_fixtures import make_fixture_plan_dir

    html = maps.write_map(make_fixture_plan_dir(tmp_path / "plan"), tmp_path / "map.html")
    bulk, leaflet = _Page(chromium, html), _Page(chromium, html, per_feature=True)
    try:
        for p in (bulk, leaflet):
            p.page.evaluate(_ZIGZAG)
            p.page.evaluate(_FRAMES)
        _same_pixels(bulk, leaflet, "a zigzag across the view")
        assert bulk.errors == [] and leaflet.errors == []
    finally:
        bulk.close()
        leaflet.close()
