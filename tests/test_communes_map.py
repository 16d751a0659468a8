"""Communes map (issue #19): structure of the page, classes, popups, determinism, bad input, and headless
Chromium drawing the polygons in the colours of their classes.

Oracles: the input frame's own numbers, numpy quantiles for the class breaks, np.digitize for the classes,
the palettes of planner.styles blended over the map background for the rendered pixels.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely
from _map_fixtures import (
    FAILED_TERC,
    MapPage,
    blend,
    make_fixture_communes,
    page_specs,
    spec_styles,
    spec_values,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import maps, styles
from planner._errors import InputDataError, UsageError
from planner.maps.communes import class_breaks


@pytest.fixture(scope="module")
def communes():
    return make_fixture_communes()


@pytest.fixture(scope="module")
def html_path(communes, tmp_path_factory):
    return maps.write_communes_map(communes, tmp_path_factory.mktemp("communes") / "communes.html")


def _specs(path) -> dict[str, dict]:
    specs = page_specs(path.read_text(encoding="utf-8"))
    out = {}
    for s in specs:
        key = ("communes" if s.get("share") == "communes" else "names" if s["kind"] == "label"
               else "theme:" + re.search(r"<h4>(.*?)</h4>", s["legend"]).group(1))
        out[key] = s
    return out


# --- structure -----------------------------------------------------------------------------------


def test_page_structure(html_path, communes):
    text = html_path.read_text(encoding="utf-8")
    specs = _specs(html_path)
    assert set(specs) == {"communes", "names", "theme:Koszt sieci na dom", "theme:Białe plamy"}
    ordered = communes.sort_values("terc")
    outline = specs["communes"]
    assert len(outline["geom"]) == len(communes)  # geometry written once ...
    ok = ~ordered["failed"].to_numpy()
    for key in ("theme:Koszt sieci na dom", "theme:Białe plamy"):
        theme = specs[key]
        assert "geom" not in theme and theme["geomFrom"] == "communes"  # ... and shared by both themes
        assert theme["rows"] == np.flatnonzero(ok).tolist()
    # two radio-button themes (base layers), the cost per home shown first
    block = re.search(r"base_layers : \{(.*?)\}", text, re.S).group(1)
    assert [json.loads(m) for m in re.findall(r'("(?:[^"\\]|\\.)*") :', block)] == [
        "Koszt na dom (zł)", "Białe plamy (punkty adresowe)"]
    assert specs["theme:Koszt sieci na dom"]["show"] is True and specs["theme:Białe plamy"]["show"] is False
    # self-contained, no network
    assert not re.search(r"<script[^>]+src=", text) and "tile.openstreetmap.org" not in text
    assert "Gminy: 6 (błąd: 1)" in text


def test_popups_carry_the_key_figures(html_path, communes):
    outline = _specs(html_path)["communes"]
    c = communes.sort_values("terc").reset_index(drop=True)
    assert spec_values(outline, "") == [f"{n} ({t})" for n, t in zip(c["commune"], c["terc"])]
    ok = ~c["failed"]
    white = spec_values(outline, "Białe plamy")
    assert [w for w, k in zip(white, ok) if k] == c.loc[ok, "white_spots"].astype(int).tolist()
    assert [w for w, k in zip(white, ok) if not k] == [None]
    cph = spec_values(outline, "Koszt na dom")
    assert [v for v, k in zip(cph, ok) if k] == c.loc[ok, "cost_per_home_pln"].round().astype(int).tolist()
    km = spec_values(outline, "Sieć doziemna")
    assert [v for v, k in zip(km, ok) if k] == c.loc[ok, "km_trench"].round(1).tolist()
    ms = spec_values(outline, "Kamienie milowe")
    want = np.where(c["milestones_ok"], "dotrzymane", "zagrożone")
    assert [m for m, k in zip(ms, ok) if k] == want[ok].tolist()
    status = spec_values(outline, "Stan")
    assert [s for s in status if s] == ["błąd – plan nie powstał, zob. failures.csv"]
    assert status.index("błąd – plan nie powstał, zob. failures.csv") == c.index[c["terc"] == FAILED_TERC][0]


def test_failed_commune_grey_hatched_and_labelled(html_path, communes):
    outline = _specs(html_path)["communes"]
    c = communes.sort_values("terc").reset_index(drop=True)
    st_ = spec_styles(outline)
    k = int(np.flatnonzero(c["terc"] == FAILED_TERC)[0])
    assert st_[k]["fillPattern"] == "hatch" and st_[k]["fillColor"] == styles.FAILED_FILL
    assert all("fillPattern" not in s for i, s in enumerate(st_) if i != k)
    tips = outline["cols"][outline["tooltip"]]
    labels = [tips["dict"][v] for v in tips["v"]]
    assert labels[k] == "błąd" and [x for i, x in enumerate(labels) if i != k] == [""] * (len(c) - 1)


def test_classes_are_quantiles_and_every_commune_is_in_its_class(html_path, communes):
    specs = _specs(html_path)
    c = communes.sort_values("terc").reset_index(drop=True)
    ok = c[~c["failed"]]
    for key, column, palette in (("theme:Koszt sieci na dom", "cost_per_home_pln", styles.CHOROPLETH_COST),
                                 ("theme:Białe plamy", "white_spots", styles.CHOROPLETH_WHITE_SPOTS)):
        v = ok[column].to_numpy()
        breaks = class_breaks(v)
        q = np.quantile(v, [0.2, 0.4, 0.6, 0.8])
        assert all(abs(b - qq) <= 0.05 * abs(qq) for b, qq in zip(breaks, q))  # rounded quantiles
        cls = np.digitize(v, breaks, right=True)
        fills = [s["fillColor"] for s in spec_styles(specs[key])]
        assert fills == [palette[i] for i in cls]  # 5 classes: the palette's 5 colours in order
        legend = specs[key]["legend"]
        assert legend.count("<svg") == len(breaks) + 1


def test_english_and_title(communes):
    text = maps.communes_map(communes, lang="en", title="Mazowieckie").get_root().render()
    assert "<title>Mazowieckie</title>" in text and "Cost per home (PLN)" in text
    assert "No plan (the commune failed)" in text and "błąd" not in text


def test_same_communes_same_bytes(communes, html_path, tmp_path):
    shuffled = communes.sample(frac=1.0, random_state=1)
    again = maps.write_communes_map(shuffled, tmp_path / "again.html")
    assert again.read_bytes() == html_path.read_bytes()
    assert not re.search(r"_[0-9a-f]{32}\b", again.read_text(encoding="utf-8"))


def test_large_region_size():
    """250 communes: geometry shared, simplified; the file stays small."""
    big = make_fixture_communes(250)
    text = maps.communes_map(big).get_root().render()
    assert len(text.encode("utf-8")) < 1_500_000
    assert not _specs_of(text)["names"]["show"]  # too many names to show at start


def _specs_of(text: str) -> dict:
    return {("names" if s["kind"] == "label" else s.get("share") or s.get("geomFrom") + str(len(s["rows"]))): s
            for s in page_specs(text)}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=0, max_size=40),
       st.integers(min_value=2, max_value=7))
def test_class_breaks_properties(values, k):
    b = class_breaks(values, k)
    assert b == sorted(set(b)) and len(b) <= k - 1
    if b:
        assert min(values) < b[0] and b[-1] < max(values)
    if len(set(values)) < 2:
        assert b == []


# --- bad input -----------------------------------------------------------------------------------


def _problems(exc) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_error_wrong_crs(communes):
    with pytest.raises(InputDataError) as exc:
        maps.communes_map(communes.to_crs("EPSG:4326"))
    assert "[layer communes]" in _problems(exc) and "to_crs('EPSG:2180')" in _problems(exc)
    with pytest.raises(InputDataError, match="coordinate reference system"):
        maps.communes_map(communes.set_crs(None, allow_override=True))


def test_error_missing_columns_and_kinds(communes):
    bad = communes.drop(columns=["cost_per_home_pln", "failed"])
    with pytest.raises(InputDataError) as exc:
        maps.communes_map(bad)
    assert "missing column(s) ['cost_per_home_pln', 'failed']" in _problems(exc)
    bad = communes.assign(white_spots=communes["white_spots"].astype(object),
                          milestones_ok=communes["milestones_ok"].astype(object))
    bad.loc[bad.index[0], "white_spots"] = "many"
    bad.loc[bad.index[1], "milestones_ok"] = "sometimes"
    bad.loc[bad.index[2], "terc"] = bad["terc"].iloc[3]
    with pytest.raises(InputDataError) as exc:
        maps.communes_map(bad)
    text = _problems(exc)
    assert f"row {communes['terc'].iloc[0]}" in text and "'white_spots' is not a number" in text
    assert "'milestones_ok' is not true/false" in text and "duplicate TERC code" in text


def test_error_empty_and_not_a_frame(communes):
    with pytest.raises(InputDataError, match="empty") as exc:
        maps.communes_map(communes.iloc[:0])
    assert "one row per TERC" in str(exc.value)
    with pytest.raises(InputDataError, match="GeoDataFrame"):
        maps.communes_map(communes.drop(columns="geometry").to_dict())  # type: ignore[arg-type]


def test_error_geometry(communes):
    bad = communes.copy()
    bad.loc[bad.index[0], "geometry"] = shapely.Point(630_000, 510_000)
    bad.loc[bad.index[1], "geometry"] = None
    with pytest.raises(InputDataError) as exc:
        maps.communes_map(bad)
    text = _problems(exc)
    assert "not a Polygon" in text and "missing or empty commune polygon" in text
    degrees = communes.to_crs("EPSG:4326").set_crs("EPSG:2180", allow_override=True)  # a wrong CRS declared
    with pytest.raises(InputDataError, match="outside Poland"):
        maps.communes_map(degrees)


def test_failed_commune_without_polygon_is_counted_not_drawn(communes):
    c = communes.copy()
    c.loc[c["terc"] == FAILED_TERC, "geometry"] = None
    text = maps.communes_map(c).get_root().render()
    assert "Gminy: 6 (błąd: 1)" in text
    assert len(next(s for s in page_specs(text) if s.get("share"))["geom"]) == 5


def test_write_failure_keeps_previous_file(communes, tmp_path):
    out = tmp_path / "communes.html"
    out.write_text("previous")
    with pytest.raises(InputDataError):
        maps.write_communes_map(communes.to_crs("EPSG:4326"), out)
    assert out.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["communes.html"]
    with pytest.raises(UsageError):
        maps.write_communes_map(communes, tmp_path / "communes.csv")
    with pytest.raises(UsageError):
        maps.communes_map(communes, lang="de")


# --- in Chromium --------------------------------------------------------------------------------


def _inside_point(poly) -> tuple[float, float]:
    """A point well inside a commune, away from its name label (lon, lat)."""
    import pyproj

    c = poly.representative_point()
    minx, miny, maxx, maxy = poly.bounds
    p = shapely.Point(c.x, c.y + 0.25 * (maxy - miny))
    if not poly.contains(p):
        p = shapely.Point(c.x, c.y - 0.25 * (maxy - miny))
    return pyproj.Transformer.from_crs("EPSG:2180", "EPSG:4326", always_xy=True).transform(p.x, p.y)


@pytest.mark.browser
def test_polygons_draw_in_their_class_colours(chromium, html_path, communes):
    p = MapPage(chromium, html_path)
    try:
        assert p.errors == [] and p.network() == []
        page = p.page
        c = communes.sort_values("terc").reset_index(drop=True)
        ok = c[~c["failed"]]
        # every commune projected and drawn on the canvas
        n = page.evaluate("""() => plannerMap.groups.filter(g => plannerMap.map.hasLayer(g))
            .map(g => g.getLayers()).flat().filter(l => l._pmSpec && l._pmSpec.kind === 'polygon'
            && l._parts && l._parts.length > 0).length""")
        assert n == len(c) + len(ok)  # boundaries + the cost theme
        cost = class_breaks(ok["cost_per_home_pln"])
        white = class_breaks(ok["white_spots"])
        for _, row in ok.iterrows():
            lon, lat = _inside_point(row.geometry)
            want = blend(styles.CHOROPLETH_COST[int(np.digitize(row.cost_per_home_pln, cost, right=True))], 0.85)
            got = p.pixel(lat, lon)
            assert max(abs(a - b) for a, b in zip(got, want)) <= 6, (row.commune, got, want)
        # the failed commune: hatched, so its pixels vary between the grey fill and the hatch lines
        failed = c[c["failed"]].iloc[0]
        lon, lat = _inside_point(failed.geometry)
        patch = p.patch(lat, lon, 12)
        grey = np.asarray(blend(styles.FAILED_FILL, 0.9))
        near_grey = (np.abs(patch - grey).max(axis=-1) <= 8).mean()
        darker = (patch.sum(axis=-1) < grey.sum() - 60).mean()
        assert near_grey > 0.5 and 0.05 < darker < 0.5, (near_grey, darker)
        # switch the theme: the legend and the colours follow
        assert "Koszt sieci na dom" in page.locator(".pm-legend").inner_text()
        page.locator(".leaflet-control-layers-base label").filter(has_text="Białe plamy").locator("input").check()
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        legend = page.locator(".pm-legend").inner_text()
        assert "Białe plamy" in legend and "Koszt sieci na dom" not in legend
        row = ok.iloc[0]
        lon, lat = _inside_point(row.geometry)
        want = blend(styles.CHOROPLETH_WHITE_SPOTS[int(np.digitize(row.white_spots, white, right=True))], 0.85)
        got = p.pixel(lat, lon)
        assert max(abs(a - b) for a, b in zip(got, want)) <= 6, (got, want)
        # a click opens the commune's popup; the search finds a commune
        page.locator(".pm-search input").fill("wielisz")
        hits = page.locator(".pm-results li.pm-hit").all_inner_texts()
        assert hits == ["Wieliszew (1408055)"]
        page.locator(".pm-results li.pm-hit").first.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=10_000)
        assert "Białe plamy" in popup.inner_text() and "Koszt na dom" in popup.inner_text()
        assert p.errors == []
    finally:
        p.close()
