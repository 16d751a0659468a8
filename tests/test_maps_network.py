"""Councillor map: the optical network (issue #16) -- cabinets and their service areas, cables by size,
closures, the OLT, address popups with the optical budget -- in Polish and English, and in Chromium.

The network of the fixture is built here by hand on the synthetic plan of ``tests/_map_fixtures.py``
(cables from the route segments' coordinates, as :mod:`planner.network.cables` builds them); its loss
budget comes from :func:`planner.network.loss.loss_budget`, so the popups are checked against the real
cause and fix phrases.  Oracles are independent of the map code: pandas sums, shapely lengths of the
decoded lines, hand-written widths (mm x 2.5 px) and colours of :mod:`planner.styles`, alpha blending
of the rendered pixels.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from _map_fixtures import (
    CRS,
    MapPage,
    make_fixture_layers,
    page_specs,
    spec_styles,
    spec_values,
    write_plan_dir,
)

from planner import maps, styles
from planner._errors import InputDataError
from planner.config.network import NetworkConfig
from planner.maps import optical
from planner.network.loss import LossInputs, loss_budget
from planner.network.styles import CABLE_WIDTHS_MM
from planner.network.tables import NETWORK_LAYERS

_TO_WGS84 = pyproj.Transformer.from_crs("EPSG:2180", "EPSG:4326", always_xy=True)
_TO_2180 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:2180", always_xy=True)

#: Cable sizes of the six streets (west to east, by locality) and of the three trunks.
STREET_SIZES = (12, 24, 48, 24, 48, 12)
TRUNK_SIZES = (288, 96, 144)
#: Addresses pushed over the optical budget (positions among the served ones).
OVER_BUDGET = (3, 40, 77)


# --- the fixture's optical network ---------------------------------------------------------------


def _network(base: dict[str, gpd.GeoDataFrame], proposed: bool = False) -> tuple[dict[str, gpd.GeoDataFrame],
                                                                                   pd.DataFrame]:
    """The synthetic plan with a hand-made optical network, and its loss budget table."""
    seg = base["segments"].copy()
    # the first trunk split at its corner into two segments: its cable then has two parts
    trunk0 = len(seg) - 3
    coords = shapely.get_coordinates(seg.geometry.iloc[trunk0])
    second = seg.iloc[[trunk0]].copy()
    second["segment_id"] = len(seg)
    second = second.set_geometry([shapely.LineString(coords[1:])], crs=CRS)
    seg.loc[seg.index[trunk0], "geometry"] = shapely.LineString(coords[:2])
    seg = pd.concat([seg, second], ignore_index=True)
    seg["length_m"] = np.round(seg.geometry.length, 1)
    streets = seg.iloc[:trunk0]
    rows = []
    for i, g in enumerate(streets.geometry):
        kind = "feeder+distribution" if i == 1 else "distribution"
        rows.append((f"K-{i + 10:03d}", kind, STREET_SIZES[i], g))
    joined = shapely.LineString(np.vstack([coords[:2], coords[2:]]))
    rows.append(("K-001", "feeder", TRUNK_SIZES[0], joined))
    rows.append(("K-002", "feeder", TRUNK_SIZES[1], seg.geometry.iloc[trunk0 + 1]))
    rows.append(("K-003", "feeder", TRUNK_SIZES[2], seg.geometry.iloc[trunk0 + 2]))
    # a cable off the route (a hand-made plan): drawn from its own line
    y0 = shapely.get_coordinates(streets.geometry.iloc[0])[0]
    rows.append(("K-099", "distribution", 24, shapely.LineString([y0 + (0, -45), y0 + (300, -45)])))
    cables = gpd.GeoDataFrame({
        "cable_id": [r[0] for r in rows], "kind": [r[1] for r in rows], "cable_size": [r[2] for r in rows],
        "parallel": [2 if r[0] == "K-003" else 1 for r in rows],
    }, geometry=[r[3] for r in rows], crs=CRS)
    cables["fibres_used"] = (cables["cable_size"] * 0.6).round().astype(int)
    cables["fibres_spare"] = cables["cable_size"] * cables["parallel"] - cables["fibres_used"]
    cables["length_m"] = np.round(cables.geometry.length, 2)
    cables = cables.iloc[::-1].reset_index(drop=True)  # the map sorts by id

    loc = base["localities"]
    first = [streets[streets["locality"] == n].geometry.iloc[0] for n in loc["locality"]]
    cab_ids = [f"CAB-{i + 1:04d}" for i in range(len(loc))]
    cab_pts = [shapely.Point(shapely.get_coordinates(g)[0] + (40, 6)) for g in first]
    a = base["addresses"].copy()
    served = a["plan_status"].isin(["connect", "connected"]).to_numpy()
    cab_of = dict(zip(loc["locality"], cab_ids))
    s_idx = np.flatnonzero(served)
    cab = a["locality"].map(cab_of).to_numpy()[s_idx]
    rank = pd.Series(np.arange(s_idx.size)).groupby(cab).cumcount().to_numpy()
    pop = base["pops"].geometry.iloc[0]
    dist = a.geometry.iloc[s_idx].distance(pop).to_numpy()
    path = dist.copy()
    detour = np.zeros(s_idx.size)
    # over a B+ budget: far beyond C+ too (a POP nearer), within C+ (C+ optics), a detour (move the cabinet)
    path[list(OVER_BUDGET)] = [26_000.0, 20_000.0, 22_000.0]
    detour[list(OVER_BUDGET)] = [0.0, 0.0, 9_000.0]
    inp = LossInputs(
        address_id=a["id"].to_numpy(dtype=object)[s_idx], cabinet_id=cab.astype(object),
        splitter_id=np.array([f"{c}/S{1 + r // 32}" for c, r in zip(cab, rank)], dtype=object),
        olt_port=np.array([f"POP-1/1/{1 + i // 32}" for i in range(s_idx.size)], dtype=object),
        express=a["is_business"].to_numpy()[s_idx], path_m=path, route_m=path - detour,
        drop_m=a["drop_length_m"].to_numpy()[s_idx], cable_changes=np.full(s_idx.size, 2))
    lb = loss_budget(inp, NetworkConfig(optical_class="B+"), max_reach_m=20_000.0)
    by_id = lb.set_index("address_id")
    ids = a["id"].to_numpy(dtype=object)
    a["cabinet_id"] = ""
    a["splitter_id"] = ""
    a["splitter_port"] = 0
    a["olt_port"] = ""
    a["loss_db_1310"] = np.nan
    a["loss_db_1490"] = np.nan
    a["express_fibre"] = False
    a.loc[served, "cabinet_id"] = cab
    a.loc[served, "splitter_id"] = by_id.loc[ids[s_idx], "splitter_id"].to_numpy()
    a.loc[served, "splitter_port"] = rank % 32 + 1
    a.loc[served, "olt_port"] = by_id.loc[ids[s_idx], "olt_port"].to_numpy()
    for c in ("loss_db_1310", "loss_db_1490", "express_fibre"):
        a.loc[served, c] = by_id.loc[ids[s_idx], c].to_numpy()
    a.loc[served & a["is_business"].to_numpy(), "cabinet_id"] = ""
    a.loc[served & a["is_business"].to_numpy(), "splitter_id"] = ""
    a.loc[served & a["is_business"].to_numpy(), "splitter_port"] = 0
    homes = pd.Series(cab).value_counts()
    cabinets = gpd.GeoDataFrame({
        "cabinet_id": cab_ids, "pop_id": "POP-1", "locality": list(loc["locality"]),
        "homes": [int(homes.get(c, 0)) for c in cab_ids], "splitters": ["2x1:32", "3x1:32", "1x1:32"],
        "olt_ports": ["POP-1/1/1;POP-1/1/2", "POP-1/1/3;POP-1/1/4;POP-1/1/5", "POP-1/1/6"],
        "max_distance_m": [612.5, 480.0, 733.1],
    }, geometry=cab_pts, crs=CRS).iloc[[2, 0, 1]]
    areas = gpd.GeoDataFrame({"cabinet_id": cab_ids, "homes": [int(homes.get(c, 0)) for c in cab_ids]},
                             geometry=loc.geometry.buffer(-25.0).to_numpy(), crs=CRS)
    ends = [shapely.Point(shapely.get_coordinates(g)[-1]) for g in streets.geometry]
    kinds = ["branch", "branch+splitter", "size_change", "joint", "splitter", "branch"]
    closures = gpd.GeoDataFrame({
        "closure_id": [f"M-{i + 1:05d}" for i in range(len(ends))], "kind": kinds[:len(ends)],
        "splices": [12 + 3 * i for i in range(len(ends))],
        "splitters": [1 if "splitter" in k else 0 for k in kinds[:len(ends)]],
    }, geometry=ends, crs=CRS)
    olt = gpd.GeoDataFrame({
        "pop_id": ["POP-1"], "name": ["POP Jadwisin"], "proposed": [proposed],
        "basis": ["demand-weighted 1-median of the targets (no POP given)" if proposed else "given"],
        "pon_ports": [6], "pon_cards": [1], "p2p_ports": [int(a["is_business"].to_numpy()[served].sum())],
    }, geometry=[pop], crs=CRS)
    splitters = gpd.GeoDataFrame({"splitter_id": ["CAB-0001/S1"], "stage": [1]}, geometry=[cab_pts[0]], crs=CRS)
    layers = {**base, "addresses": a, "segments": seg, "cabinet_areas": areas, "cables": cables,
              "closures": closures, "splitters": splitters, "cabinets": cabinets, "olt": olt}
    return layers, lb


@pytest.fixture(scope="module")
def base():
    return make_fixture_layers()


@pytest.fixture(scope="module")
def net(base):
    return _network(base)


@pytest.fixture(scope="module")
def layers(net):
    return net[0]


@pytest.fixture(scope="module")
def budget(net):
    return net[1]


@pytest.fixture(scope="module")
def html_pl(layers, budget):
    return maps.build_map(layers, loss_budget=budget).get_root().render()


@pytest.fixture(scope="module")
def html_en(layers, budget):
    return maps.build_map(layers, loss_budget=budget, lang="en").get_root().render()


def _spec(text: str, heading: str) -> dict:
    found = [s for s in page_specs(text) if s["heading"] == heading]
    assert len(found) == 1, [s["heading"] for s in page_specs(text)]
    return found[0]


def _to_2180(lonlat) -> np.ndarray:
    xy = np.asarray(lonlat, dtype=float)
    x, y = _TO_2180.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _lines(g) -> list:
    """LineString coordinate lists of a line or multi-line (GeoJSON coordinates)."""
    return g if isinstance(g[0][0], list) else [g]


def _drawn_cables(text: str) -> list[shapely.MultiLineString]:
    """The cables as drawn: their own lines, or the route lines of the pool they name (EPSG:2180)."""
    pool: list = []
    for s in page_specs(text):
        if s.get("pool") == "route":
            pool += s["geom"]
    cab = _spec(text, "Kabel światłowodowy")
    out = []
    for k, rows in enumerate(cab["parts"]):
        parts = [p for r in rows for p in _lines(pool[r])] if rows is not None else _lines(cab["geom"][k])
        out.append(shapely.MultiLineString([_to_2180(p) for p in parts]))
    return out


# --- the data contract -----------------------------------------------------------------------------


def test_plan_layers_list_the_network_layers():
    assert set(NETWORK_LAYERS) <= set(maps.PLAN_LAYERS)
    assert maps.PLAN_LAYERS[:7] == ("addresses", "segments", "drops", "poles_used", "ducts", "localities", "pops")


# --- without a network: the map of before -------------------------------------------------------------


def test_without_network_layers_the_map_is_unchanged(base, layers, html_pl):
    before = {**base, "segments": layers["segments"]}  # the same plan without its network
    plain = maps.build_map(before).get_root().render()
    empty = {**before, **{n: layers[n].iloc[:0] for n in NETWORK_LAYERS}}
    assert maps.build_map(empty).get_root().render() == plain  # network disabled: empty layers
    assert maps.build_map(before, loss_budget=None).get_root().render() == plain
    for word in ("planner_map_network", '"pool"', '"parts"', "Szafy kablowe", "Kable", "square", "Tłumienie"):
        assert word not in plain, word
    # the network only adds: every layer of the plain map is in the network map, the same but for
    # the route's pool key and the addresses' network fields
    net_fields = {"Szafa kablowa", "Splitter", "Port OLT", "Tłumienie 1310 nm", "Tłumienie 1490 nm",
                  "Własne włókno (bez splittera)", "Budżet optyczny", "Przyczyna", "Rozwiązanie"}
    with_net = {s["heading"]: s for s in page_specs(html_pl)}
    for s in page_specs(plain):
        other = dict(with_net[s["heading"]])
        assert other.pop("pool", "route") == "route"
        other["cols"] = [c for c in other["cols"] if c["label"] not in net_fields]
        assert other == s, s["heading"]


# --- content ---------------------------------------------------------------------------------------


def test_layer_names_counts_and_km(layers):
    names = maps.layer_names(layers)
    cb = layers["cables"]
    km = float((cb["length_m"] * cb["parallel"]).sum()) / 1000.0
    for name in ("OLT w punkcie dostępowym (POP)", "Szafy kablowe (3)", "Obszary szaf kablowych",
                 f"Kable światłowodowe ({km:.1f} km)".replace(".", ","), f"Mufy ({len(layers['closures'])})"):
        assert name in names, (name, names)
    # control order: the route and drops, then the network, then the localities
    first = {key: next(i for i, n in enumerate(names) if n.startswith(key))
             for key in ("Sieć doziemna", "Przyłącza do ogrodzenia", "OLT w", "Mufy", "Miejscowości")}
    assert first["Sieć doziemna"] < first["Przyłącza do ogrodzenia"] < first["OLT w"] < first["Mufy"]
    assert first["Mufy"] < first["Miejscowości"]
    assert "Adresy ponad budżet optyczny (3)" not in names  # the budget table was not given


def test_cables_width_and_colour_by_size(layers, html_pl):
    spec = _spec(html_pl, "Kabel światłowodowy")
    cb = layers["cables"].sort_values("cable_id")
    assert spec_values(spec, "") == list(cb["cable_id"])
    got = spec_styles(spec)
    for st, size in zip(got, cb["cable_size"]):
        assert st["weight"] == pytest.approx(max(1.0, CABLE_WIDTHS_MM[size] * 2.5), abs=0.051)
        assert st["color"] == styles.CABLE_COLOURS[size]
    by_size = {size: st["weight"] for st, size in zip(got, cb["cable_size"])}
    widths = [by_size[s] for s in sorted(by_size)]
    assert widths == sorted(widths) and len(set(widths)) == len(widths)  # wider with every size
    assert spec_values(spec, "Pojemność kabla")[list(cb["cable_id"]).index("K-001")] == "288 włókien"
    assert spec_values(spec, "Rodzaj kabla")[list(cb["cable_id"]).index("K-011")] == "magistralny i rozdzielczy"
    assert spec_values(spec, "Włókna zapasowe") == list(cb["fibres_spare"])
    assert spec_values(spec, "Kable równoległe") == list(cb["parallel"])


def test_cables_reuse_the_route_coordinates(layers, html_pl):
    spec = _spec(html_pl, "Kabel światłowodowy")
    ids = spec_values(spec, "")
    parts = dict(zip(ids, spec["parts"]))
    assert parts["K-099"] is None and spec["geom"][ids.index("K-099")] is not None  # off the route: own line
    assert all(parts[c] is not None for c in ids if c != "K-099")
    assert len(parts["K-001"]) == 2  # the trunk of two segments
    assert all(g is None for c, g in zip(ids, spec["geom"]) if c != "K-099")  # not encoded twice
    drawn = dict(zip(ids, _drawn_cables(html_pl)))
    for cid, g in layers["cables"].set_index("cable_id").geometry.items():
        assert drawn[cid].length == pytest.approx(g.length, rel=0.002), cid
        assert shapely.hausdorff_distance(drawn[cid], g) < 0.5, cid


def test_cabinets_areas_closures_olt(layers, html_pl):
    cab = _spec(html_pl, "Szafa kablowa ze splitterami")
    c = layers["cabinets"].sort_values("cabinet_id")
    assert spec_values(cab, "") == list(c["cabinet_id"])
    assert spec_values(cab, "Obsługiwane punkty adresowe") == list(c["homes"])
    assert spec_values(cab, "Porty OLT")[1] == "POP-1/1/3, POP-1/1/4, POP-1/1/5"
    assert spec_values(cab, "Miejscowość") == list(c["locality"])
    assert cab["styles"] == [{"shape": "square", "radius": 5, "color": styles.CABINET_OUTLINE, "weight": 1.5,
                              "fillColor": styles.CABINET_FILL, "fillOpacity": 1.0}]
    area = _spec(html_pl, "Obszar szafy kablowej")
    assert area["kind"] == "polygon" and area["tooltip"] == 0 and area["labelMinZoom"] == 15
    assert (area["styles"][0]["fillColor"], area["styles"][0]["color"]) == (styles.CABINET_AREA_FILL,
                                                                              styles.CABINET_AREA_OUTLINE)
    assert 0 < area["styles"][0]["fillOpacity"] < 0.5  # translucent: the points and localities show through
    clo = _spec(html_pl, "Mufa")
    cl = layers["closures"]
    fills = [st["fillColor"] for st in spec_styles(clo)]
    assert fills == [styles.CLOSURE_COLOURS["splitter" if s > 0 else "closure"].fill for s in cl["splitters"]]
    assert spec_values(clo, "Rodzaj mufy")[1] == "rozgałęźna, ze splitterem"
    assert spec_values(clo, "Spawy") == list(cl["splices"])
    olt = _spec(html_pl, "OLT w punkcie dostępowym (POP)")
    assert olt["styles"][olt["si"][0]]["shape"] == "square" and olt["fixedRadius"] is True
    assert spec_values(olt, "Lokalizacja") == ["POP podany w danych"]
    assert spec_values(olt, "Porty PON") == [6]
    tip = olt["cols"][olt["tooltip"]]
    assert (tip["dict"][tip["v"][0]] if "dict" in tip else tip["v"][0]) == ""  # a given POP: no label
    assert olt["styles"][olt["si"][0]]["fillOpacity"] == 1.0


def test_proposed_olt_is_hollow_and_labelled(base):
    layers, _ = _network(base, proposed=True)
    for lang, word, basis in (("pl", "proponowany", "proponowany: "), ("en", "proposed", "proposed: ")):
        text = maps.build_map(layers, lang=lang).get_root().render()
        olt = next(s for s in page_specs(text) if s["cols"] and s.get("fixedRadius"))
        st = olt["styles"][olt["si"][0]]
        assert st["fillOpacity"] == 0.0 and "dashArray" in st  # hollow
        tip = olt["cols"][olt["tooltip"]]
        assert (tip["dict"][tip["v"][0]] if "dict" in tip else tip["v"][0]) == word
        assert spec_values(olt, "Lokalizacja" if lang == "pl" else "Site")[0].startswith(basis)


def test_address_popups_carry_the_network(layers, budget, html_pl):
    a = layers["addresses"]
    spec = _spec(html_pl, "Biała plama – do podłączenia")
    labels = spec_values(spec, "")
    rows = a[a["plan_status"] == "connect"]
    lab = np.where(rows["street"] != "", rows["street"] + " " + rows["house_number"] + ", " + rows["locality"],
                   rows["locality"] + " " + rows["house_number"])
    rows = rows.assign(label=lab).set_index("label").loc[labels]
    assert spec_values(spec, "Szafa kablowa") == list(rows["cabinet_id"])
    want = [f"{s}, port {p}" if s else "" for s, p in zip(rows["splitter_id"], rows["splitter_port"])]
    assert spec_values(spec, "Splitter") == want
    assert spec_values(spec, "Port OLT") == list(rows["olt_port"])
    assert spec_values(spec, "Tłumienie 1310 nm") == pytest.approx(list(rows["loss_db_1310"].round(2)))
    assert spec_values(spec, "Własne włókno (bez splittera)") == ["tak" if e else "" for e in rows["express_fibre"]]
    # the budget: headroom where within, the excess, its cause and fix (in Polish) where over
    lb = budget.set_index("address_id").loc[rows["id"]]
    state = spec_values(spec, "Budżet optyczny")
    for s, ok, h in zip(state, lb["within_budget"], lb["headroom_db"]):
        v = f"{abs(h):.1f}".replace(".", ",")
        assert s == (f"w normie (zapas {v} dB)" if ok else f"przekroczony o {v} dB")
    over = ~lb["within_budget"].to_numpy()
    assert over.sum() >= 1
    causes = np.array(spec_values(spec, "Przyczyna"), dtype=object)
    fixes = np.array(spec_values(spec, "Rozwiązanie"), dtype=object)
    assert all("km światłowodu" in c and "podział 1:32" in c for c in causes[over])
    words = {"move cabinet": "przesunąć szafę CAB-", "use C+ optics (32 dB)": "zastosować optykę klasy C+ (32 dB)",
             "lower the last split to 1:16": "zmniejszyć ostatni podział do 1:16 (oszczędność ",
             "add a POP/OLT nearer": "dodać POP/OLT bliżej adresu"}
    seen = set()
    for en, pl in zip(lb["fix"].to_numpy()[over], fixes[over]):
        assert len(en.split("; ")) == len(pl.split("; ")), (en, pl)
        for e, p in zip(en.split("; "), pl.split("; ")):
            key = next(k for k in words if e.startswith(k))
            assert p.startswith(words[key]), (e, p)
            seen.add(key)
    assert seen == set(words)  # every fix the loss budget gives, in Polish
    assert any("w tym 9000 m objazdu przez szafę" in c for c in causes[over])
    assert not any(re.search(r"[a-z]+ the |fibre|split \(", f) for f in list(causes[over]) + list(fixes[over]))
    assert (causes[~over] == "").all()
    # points the network does not serve get no network fields
    grey = _spec(html_pl, "Punkt szary (zasięg NGA jednego operatora)")
    assert not {c["label"] for c in grey["cols"]} & {"Szafa kablowa", "Tłumienie 1310 nm", "Budżet optyczny"}


def test_over_budget_ring_layer_and_legend(layers, budget):
    text = maps.build_map(layers, loss_budget=budget).get_root().render()
    lb = budget[~budget["within_budget"]]
    spec = _spec(text, "Adres ponad budżetem optycznym")
    a = layers["addresses"].set_index("id").loc[lb["address_id"]]
    lab = np.where(a["street"] != "", a["street"] + " " + a["house_number"] + ", " + a["locality"],
                   a["locality"] + " " + a["house_number"])
    assert sorted(spec_values(spec, "")) == sorted(lab)
    assert spec["styles"][0]["color"] == styles.OVER_BUDGET_COLOUR and spec["styles"][0]["fill"] is False
    assert f"Adresy ponad budżet optyczny ({len(lb)})" in maps.layer_names(layers, loss_budget=budget)
    assert f"ponad budżetem optycznym: {len(lb)}" in _init(text)["info"]
    # the same from the addresses' own columns (a plan whose addresses carry the budget)
    a2 = layers["addresses"].merge(budget[["address_id", "within_budget", "headroom_db", "cause", "fix"]],
                                   left_on="id", right_on="address_id", how="left").drop(columns="address_id")
    a2 = gpd.GeoDataFrame(a2, geometry="geometry", crs=CRS)
    names = maps.layer_names({**layers, "addresses": a2})
    assert f"Adresy ponad budżet optyczny ({len(lb)})" in names


def _init(text: str) -> dict:
    """The options of the runtime's init call (legend, title box, ...)."""
    return json.loads(re.search(r"plannerMap\.init\(\w+, \[.*?\], (\{.*\})\);", text).group(1))


def test_legend_width_scale_and_note(layers, html_pl, html_en):
    legend = _init(html_pl)["legend"]
    assert "Sieć światłowodowa" in legend and "Szafa kablowa ze splitterami (3)" in legend
    cb = layers["cables"]
    km = (cb["length_m"] * cb["parallel"]).groupby(cb["cable_size"]).sum() / 1000.0
    found = re.findall(r'stroke="(#\w+)" stroke-width="([\d.]+)" stroke-opacity="[\d.]+"/></svg>(\d+) włók\w+ '
                       r'\(([\d,]+) km\)', legend)
    assert [int(f[2]) for f in found] == sorted(km.index)
    assert [float(f[1]) for f in found] == sorted(float(f[1]) for f in found)
    for colour, _, size, k in found:
        assert colour == styles.CABLE_COLOURS[int(size)]
        assert k == f"{km[int(size)]:.1f}".replace(".", ",")
    assert "12 włókien" in legend and "24 włókna" in legend and "144 włókna" in legend and "288 włókien" in legend
    assert "<rect" in legend  # square swatches of cabinets and the OLT
    info = _init(html_pl)["info"]
    assert "Pomarańczowe kwadraty to szafy kablowe" in info and "szafy kablowe: 3" in info
    legend_en = _init(html_en)["legend"]
    for word in ("Fibre network", "24 fibres", "Street cabinet with splitters (3)"):
        assert word in legend_en


def test_english_labels(layers, html_en, budget):
    names = maps.layer_names(layers, lang="en", loss_budget=budget)
    for name in ("OLT at the point of presence (POP)", "Street cabinets (3)", "Cabinet service areas",
                 "Splice closures (6)", "Addresses over the optical budget (3)"):
        assert name in names, names
    assert any(n.startswith("Fibre cables (") for n in names)
    spec = _spec(html_en, "White spot – to be connected")
    assert "Loss at 1490 nm" in [c["label"] for c in spec["cols"]]
    causes = [c for c in spec_values(spec, "Cause") if c]
    assert causes and all(c in set(budget["cause"]) for c in causes)  # English: the table's own words
    assert spec_values(_spec(html_en, "Fibre cable"), "Cable size")[0].endswith("fibres")


@pytest.mark.parametrize(("n", "pl", "en"), [(1, "1 włókno", "1 fibre"), (12, "12 włókien", "12 fibres"),
                                             (22, "22 włókna", "22 fibres"), (24, "24 włókna", "24 fibres"),
                                             (25, "25 włókien", "25 fibres"), (144, "144 włókna", "144 fibres"),
                                             (288, "288 włókien", "288 fibres")])
def test_fibre_counts_in_words(n, pl, en):
    assert optical.fibres_label(n, "pl") == pl
    assert optical.fibres_label(n, "en") == en


def test_cable_sizes_beyond_the_catalogue(layers):
    cb = layers["cables"].copy()
    cb["cable_size"] = cb["cable_size"].replace({12: 192, 24: 1000})
    spec = _spec(maps.build_map({**layers, "cables": cb}).get_root().render(), "Kabel światłowodowy")
    w = {s: st["weight"] for s, st in zip(cb.sort_values("cable_id")["cable_size"], spec_styles(spec))}
    assert w[144] < w[192] < w[288] < w[1000] == pytest.approx(CABLE_WIDTHS_MM[576] * 2.5)


def test_drawing_order(html_pl):
    """Areas under the route, the cables over it, the network's points over the address points."""
    heading_of = {}
    for m in re.finditer(r'plannerMap\.addLayer\((feature_group_\w+), JSON\.parse\(document\.getElementById\("(\w+)"\)',
                         html_pl):
        data = re.search(rf'<script type="application/json" id="{m.group(2)}">(.*?)</script>', html_pl, re.S)
        heading_of[m.group(1)] = page_specs(data.group(0))[0]["heading"]
    order = re.search(r"plannerMap\.init\(\w+, \[(.*?)\]", html_pl).group(1).split(", ")
    rank = {heading_of[g]: i for i, g in enumerate(order)}
    assert rank["Miejscowość"] < rank["Obszar szafy kablowej"] < rank["Sieć doziemna (nowy wykop)"]
    assert rank["Sieć doziemna (nowy wykop)"] < rank["Kabel światłowodowy"] < rank["Przyłącze"]
    assert rank["Biała plama – do podłączenia"] < rank["Mufa"] < rank["Szafa kablowa ze splitterami"]
    assert rank["Szafa kablowa ze splitterami"] < rank["OLT w punkcie dostępowym (POP)"] < rank[
        "Punkt dostępowy (POP)"]


def test_shown_at_start(html_pl):
    shown = {s["heading"]: s["show"] for s in page_specs(html_pl)}
    assert shown["Mufa"] is False  # many small points: off at start
    for h in ("Obszar szafy kablowej", "Kabel światłowodowy", "Szafa kablowa ze splitterami",
              "OLT w punkcie dostępowym (POP)"):
        assert shown[h] is True, h


def test_runtime_inlined_once_after_the_map_runtime(html_pl):
    assert html_pl.count("planner_map_network.js - the optical network") == 1
    assert html_pl.index("P.addLayer = function") < html_pl.index("var addLayer = P.addLayer")


def test_deterministic_and_independent_of_row_order(layers, budget, html_pl):
    assert maps.build_map(layers, loss_budget=budget).get_root().render() == html_pl
    shuffled = {k: (v.sample(frac=1.0, random_state=3) if k in NETWORK_LAYERS else v) for k, v in layers.items()}
    lb = budget.sample(frac=1.0, random_state=5)
    assert maps.build_map(shuffled, loss_budget=lb).get_root().render() == html_pl


# --- a plan directory and the CLI ----------------------------------------------------------------


def test_plan_directory_map_reads_the_network_and_the_loss_budget(layers, budget, tmp_path):
    plan = write_plan_dir(layers, tmp_path / "plan")
    budget.to_csv(plan / "loss_budget.csv", index=False)
    read = maps.read_plan_layers(plan)
    assert set(NETWORK_LAYERS) <= set(read)
    out = maps.write_map(plan, tmp_path / "map.html")
    text = out.read_text(encoding="utf-8")
    heads = {s["heading"] for s in page_specs(text)}
    assert {"Kabel światłowodowy", "Obszar szafy kablowej", "Adres ponad budżetem optycznym"} <= heads
    assert "splitter" not in {s["heading"].lower() for s in page_specs(text)}  # splitters are not drawn
    # the CLI draws the same layers
    from typer.testing import CliRunner

    from planner.cli import app

    res = CliRunner().invoke(app, ["map", "--plan", str(plan), "--out", str(tmp_path / "cli.html")])
    assert res.exit_code == 0, res.output
    cli_heads = {s["heading"] for s in page_specs((tmp_path / "cli.html").read_text(encoding="utf-8"))}
    assert {"Kabel światłowodowy", "Szafa kablowa ze splitterami", "Mufa"} <= cli_heads


def test_cli_refuses_a_bad_network_layer(layers, tmp_path):
    cb = layers["cables"].copy()
    cb.loc[0, "cable_id"] = cb.loc[1, "cable_id"]
    plan = write_plan_dir({**layers, "cables": cb}, tmp_path / "plan")
    from typer.testing import CliRunner

    from planner.cli import app

    res = CliRunner().invoke(app, ["map", "--plan", str(plan), "--out", str(tmp_path / "m.html")])
    assert res.exit_code == 1
    assert "duplicate cable_id" in res.output and not (tmp_path / "m.html").exists()


# --- bad input ---------------------------------------------------------------------------------------


def _with(layers, name, column, value, row=0):
    g = layers[name].copy()
    if column == "geometry":
        g = g.set_geometry(g.geometry.to_numpy().copy())
        g.geometry.values[row] = value
    else:
        g[column] = g[column].astype(object)
        g.loc[g.index[row], column] = value
    return {**layers, name: g}


@pytest.mark.parametrize(("name", "column", "value", "message"), [
    ("cables", "cable_size", 0, "cable_size is not a whole number >= 1"),
    ("cables", "cable_size", 12.5, "cable_size is not a whole number >= 1"),
    ("cables", "cable_size", "twelve", "cable_size is not a whole number >= 1"),
    ("cables", "cable_size", None, "cable_size is not a whole number >= 1"),
    ("cables", "fibres_spare", -3, "fibres_spare is not a whole number >= 0"),
    ("cables", "cable_id", "K-002", "duplicate cable_id"),
    ("cabinets", "cabinet_id", "CAB-0002", "duplicate cabinet_id"),
    ("cabinets", "geometry", shapely.box(640_000, 518_000, 640_010, 518_010), "geometry is not Point"),
    ("cabinet_areas", "geometry", shapely.Point(640_000, 518_000), "geometry is not Polygon or MultiPolygon"),
    ("cabinet_areas", "geometry", shapely.Polygon(), "missing or empty geometry"),
    ("closures", "splitters", -1, "splitters is not a whole number >= 0"),
    ("closures", "closure_id", "M-00002", "duplicate closure_id"),
    ("olt", "proposed", "maybe", "proposed is not true/false"),
    ("addresses", "express_fibre", "perhaps", "express_fibre is not true/false"),
    ("addresses", "loss_db_1310", "loud", "loss_db_1310 is not a number >= 0"),
    ("addresses", "splitter_port", -2, "splitter_port is not a whole number >= 0"),
])
def test_bad_network_values(layers, name, column, value, message):
    with pytest.raises(InputDataError, match="cannot draw the map") as exc:
        maps.build_map(_with(layers, name, column, value))
    assert message in str(exc.value) and name in str(exc.value)


def test_bad_network_layers(layers):
    cb = layers["cables"].drop(columns="cable_size")
    with pytest.raises(InputDataError, match=r"missing column\(s\) \['cable_size'\]"):
        maps.build_map({**layers, "cables": cb})
    with pytest.raises(InputDataError, match="no coordinate reference system"):
        maps.build_map({**layers, "cabinets": layers["cabinets"].set_crs(None, allow_override=True)})
    swapped = layers["cables"].set_geometry(
        shapely.transform(layers["cables"].geometry.to_numpy(), lambda c: c[:, ::-1]), crs=CRS)
    with pytest.raises(InputDataError, match="cables.*outside the study area.*axis order"):
        maps.build_map({**layers, "cables": swapped})
    far = layers["closures"].set_geometry(layers["closures"].geometry.translate(60_000, 0), crs=CRS)
    with pytest.raises(InputDataError, match="outside the study area"):
        maps.build_map({**layers, "closures": far})


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.assign(address_id=t["address_id"].where(t.index != 0, "NO-SUCH")), "not among the plan's address"),
    (lambda t: t.drop(columns="within_budget"), "missing column(s) ['within_budget']"),
    (lambda t: t.assign(within_budget=t["within_budget"].astype(object).where(t.index != 1, "sometimes")),
     "within_budget is not true/false"),
    (lambda t: t.assign(headroom_db=t["headroom_db"].astype(object).where(t.index != 2, "lots")),
     "headroom_db is not a number"),
    (lambda t: list(t["address_id"]), "must be a DataFrame"),
])
def test_bad_loss_budget(layers, budget, change, message):
    with pytest.raises(InputDataError) as exc:
        maps.build_map(layers, loss_budget=change(budget))
    assert message in str(exc.value)


# --- the demo plan, as the pipeline writes it ----------------------------------------------------------


@pytest.mark.xdist_group("demo")
def test_demo_plan_map_draws_its_network(demo_plan_dir, tmp_path):
    read = maps.read_plan_layers(demo_plan_dir)
    out = maps.write_map(demo_plan_dir, tmp_path / "map.html")
    text = out.read_text(encoding="utf-8")
    assert out.stat().st_size <= 10e6
    cab = _spec(text, "Kabel światłowodowy")
    assert len(cab["parts"]) == len(read["cables"])
    assert all(p is not None for p in cab["parts"])  # every cable drawn from the route's coordinates
    assert len(_spec(text, "Szafa kablowa ze splitterami")["lat"]) == len(read["cabinets"])
    assert len(_spec(text, "Obszar szafy kablowej")["geom"]) == len(read["cabinet_areas"])
    assert f"Mufy ({len(read['closures'])})" in maps.layer_names(read)


# --- in Chromium ---------------------------------------------------------------------------------


def _clear_spot(line: shapely.LineString, avoid: shapely.Geometry) -> shapely.Point:
    """The point of ``line`` (its middle half) farthest from ``avoid``."""
    cands = [line.interpolate(f, normalized=True) for f in np.linspace(0.25, 0.75, 41)]
    return max(cands, key=lambda p: avoid.distance(p))


def _transect(page: MapPage, p: shapely.Point, q: shapely.Point, half: int = 14) -> np.ndarray:
    """RGB along the screen perpendicular to p->q through p, ``2 half + 1`` pixels."""
    ll = [_TO_WGS84.transform(g.x, g.y) for g in (p, q)]
    (x0, y0), (x1, y1) = [page._xy(lat, lon) for lon, lat in ll]
    d = np.array([x1 - x0, y1 - y0], dtype=float)
    n = np.array([-d[1], d[0]]) / np.hypot(*d)
    img = page.patch(*ll[0][::-1], half + 2)
    c = half + 2
    pts = [(int(round(c + n[1] * t)), int(round(c + n[0] * t))) for t in range(-half, half + 1)]
    return np.array([img[r, k] for r, k in pts])


def _view(page: MapPage, lat: float, lon: float, zoom: int) -> None:
    page.page.evaluate("([lat, lon, z]) => { plannerMap.map.setView([lat, lon], z, {animate: false}); }",
                       [lat, lon, zoom])
    page.page.wait_for_timeout(300)


def _set_layer(page, heading: str, on: bool) -> None:
    page.page.evaluate("""([h, on]) => {
        const g = plannerMap.groups.find(g => g.getLayers().some(l => l._pmSpec && l._pmSpec.heading === h));
        if (on) { plannerMap.map.addLayer(g); } else { plannerMap.map.removeLayer(g); } }""", [heading, on])
    page.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.mark.browser
def test_network_drawn_in_chromium(chromium, layers, budget, tmp_path):
    html = maps.write_map(layers, tmp_path / "map.html", loss_budget=budget)
    page = MapPage(chromium, html)
    try:
        assert page.errors == [] and page.network() == []
        assert page.page.evaluate("plannerMap.index.length") == len(layers["addresses"])
        n_cables = page.page.evaluate("""() => plannerMap.groups.map(g => g.getLayers()).flat()
            .filter(l => l._pmSpec && l._pmSpec.heading === 'Kabel światłowodowy').length""")
        assert n_cables == len(layers["cables"])
        a, d = layers["addresses"], layers["drops"]
        avoid = shapely.union_all(np.concatenate([a.geometry.to_numpy(), d.geometry.to_numpy(),
                                                  layers["closures"].geometry.to_numpy(),
                                                  layers["cabinets"].geometry.to_numpy()]))
        cb = layers["cables"].set_index("cable_id")
        widths = {}
        for cid in ("K-010", "K-002", "K-001"):  # 12, 96 and 288 fibres
            xy = shapely.get_coordinates(cb.geometry[cid])
            line = shapely.LineString(xy[-2:])  # the last leg: the trunks share their first (south of the POP)
            spot = _clear_spot(line, avoid)
            ahead = line.interpolate(line.project(spot) + 5.0)
            lon, lat = _TO_WGS84.transform(spot.x, spot.y)
            _view(page, lat, lon, 18)
            on = _transect(page, spot, ahead)
            _set_layer(page, "Kabel światłowodowy", False)
            off = _transect(page, spot, ahead)
            _set_layer(page, "Kabel światłowodowy", True)
            changed = np.abs(on - off).sum(axis=1) > 40
            widths[cid] = int(changed.sum())
            size = int(cb.loc[cid, "cable_size"])
            assert abs(widths[cid] - CABLE_WIDTHS_MM[size] * 2.5) <= 2.0, (cid, widths[cid], changed)
        assert widths["K-010"] < widths["K-002"] < widths["K-001"]
        # a cabinet area: its fill blended over what lies under it, inside, away from lines and points
        area = layers["cabinet_areas"].geometry.iloc[0]
        lines = shapely.union_all(np.concatenate([layers["segments"].geometry.to_numpy(), d.geometry.to_numpy(),
                                                  cb.geometry.to_numpy()]))
        ring = area.buffer(-8.0).exterior
        cands = [ring.interpolate(f, normalized=True) for f in np.linspace(0, 1, 300, endpoint=False)]
        best = max(cands, key=lambda q: min(lines.distance(q), a.distance(q).min()))
        lon, lat = _TO_WGS84.transform(best.x, best.y)
        _view(page, lat, lon, 17)
        with_area = page.pixel(lat, lon)
        _set_layer(page, "Obszar szafy kablowej", False)
        under = page.pixel(lat, lon)
        _set_layer(page, "Obszar szafy kablowej", True)
        fill = [int(styles.CABINET_AREA_FILL[i:i + 2], 16) for i in (1, 3, 5)]
        alpha = optical.CABINET_AREA_STYLE["fillOpacity"]
        want = [round(alpha * f + (1 - alpha) * u) for f, u in zip(fill, under)]
        assert max(abs(g - w) for g, w in zip(with_area, want)) <= 4, (with_area, want, under)
        # squares: a cabinet is orange at its centre; the OLT square (half side 11 px, under the POP's
        # dot of 9 px) is black at (9, +-9) px from the POP (below it: the POP's name is above), where a
        # circle of the same radius would not reach (12.7 px)
        c = layers["cabinets"].sort_values("cabinet_id").geometry.iloc[0]
        lon, lat = _TO_WGS84.transform(c.x, c.y)
        _view(page, lat, lon, 18)
        want = [int(styles.CABINET_FILL[i:i + 2], 16) for i in (1, 3, 5)]
        assert np.abs(page.patch(lat, lon, 0)[0, 0] - want).max() <= 6
        pop = layers["pops"].geometry.iloc[0]
        lon, lat = _TO_WGS84.transform(pop.x, pop.y)
        _view(page, lat, lon, 17)
        patch = page.patch(lat, lon, 12)
        for dy, dx in ((9, -9), (9, 9)):  # the darkest pixel around (a pixel of rounding either way)
            near = patch[12 + dy - 1:12 + dy + 2, 12 + dx - 1:12 + dx + 2].max(axis=2)
            assert near.min() <= 40, (dy, dx, near)
        # area labels: shown from zoom 15 on
        visible = "() => [...document.querySelectorAll('.pm-area-label')].filter(e => e.offsetParent).length"
        assert page.page.evaluate(visible) >= 1
        page.page.evaluate("() => { plannerMap.map.setZoom(13, {animate: false}); }")
        page.page.wait_for_timeout(300)
        assert page.page.evaluate(visible) == 0
        # a click on a cable opens its popup
        page.page.evaluate("""() => { const l = plannerMap.groups.map(g => g.getLayers()).flat()
            .find(l => l._pmSpec && l._pmSpec.heading === 'Kabel światłowodowy' && l._pmK === 0);
            plannerMap.openPopup(l); }""")
        text = page.page.locator(".leaflet-popup-content").inner_text()
        assert "K-001" in text and "288 włókien" in text and "Włókna zapasowe" in text
        assert page.errors == []
    finally:
        page.close()
