/* planner_map.js - runtime of the planner's councillor map (MIT licence).
 *
 * planner/maps/ (page.py, encoding.py) writes each layer as one compact,
 * column-oriented JSON object and calls plannerMap.addLayer(group, spec) for
 * it; plannerMap.init then adds the legend, the title box, the search and the
 * attribution and sets window.plannerMapReady once the canvas has drawn.
 *
 * spec = {
 *   kind: "point" | "line" | "polygon" | "label" (a place name drawn as text),
 *   heading: "text shown under the popup title",
 *   title: index of the column used as popup title and search label (the
 *          text of a label), or -1,
 *   lat: [...], lon: [...]            (points, labels)
 *   geom: [GeoJSON coordinates, ...]  (lines, polygons; lon, lat)
 *   share: "name": register geom under this name for later layers (optional),
 *   geomFrom: "name", rows: [i, ...]: instead of geom, the geometries i of a
 *          layer added before with share: "name" (optional)
 *   styles: [Leaflet path options, ...], si: [style index per feature] or null;
 *           a style with fillPattern: "hatch" is filled with grey hatching,
 *           a label's style is {className: "..."},
 *   cols: [{label: "...", v: [values], dict: [decoded values] (optional),
 *           unit: " m", dec: 0, lang: "pl" (numbers, formatted here)}, ...],
 *   search: true if the features go into the search box,
 *   show: false if the layer starts switched off,
 *   tooltip: index of a column shown as a permanent label (none where empty), or -1,
 *   legend: HTML shown in the legend while this (base) layer is on (optional)
 * }
 *
 * Two ways to draw a layer:
 * - bulk (points and lines without permanent labels: the address points,
 *   drops, route, cables, roads, ...): one canvas path object for the whole
 *   layer (P.Bulk), drawn with the very canvas calls Leaflet makes for an
 *   L.circleMarker / L.polyline of the same options; it is defined in
 *   planner_map_bulk.js, inlined right after this file in every map page.
 * - per feature (polygons, place names, layers with permanent labels, and
 *   every layer when window.plannerMapPerFeature is true before the page
 *   runs, the reference the bulk drawing is tested against): one Leaflet
 *   layer per feature, as folium draws them (below).
 * This file only uses planner_map_bulk.js's P.Bulk, P.bulkDrawn and
 * P.groupFeatures from P.addLayer and later calls, which run once every
 * script of the page has run.
 */
(function (global) {
  "use strict";
  var P = global.plannerMap = global.plannerMap || {};
  P.sorted = false;
  P.shared = {};  /* geometries shared between layers: name -> [GeoJSON coordinates] */
  P.layerControls = [];  /* folium's layer controls, made after this file runs */
  L.Control.Layers.addInitHook(function () { P.layerControls.push(this); });

  var ESC = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"};
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }
  P.esc = esc;

  /* Lower case, no diacritics (Polish l-stroke included), so "kielpinska" finds "Kiełpińska". */
  function norm(s) {
    return String(s).toLowerCase().replace(/\u0142/g, "l")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }
  P.norm = norm;

  function value(spec, k, i) {
    var c = spec.cols[i], v = c.v[k];
    if (v === null || v === undefined) { return ""; }
    if (c.dict) { v = c.dict[v]; }
    if (c.unit !== undefined && typeof v === "number") {
      return v.toLocaleString(c.lang, {minimumFractionDigits: c.dec, maximumFractionDigits: c.dec}) + c.unit;
    }
    return (v === null || v === undefined) ? "" : String(v);
  }

  function popupHtml(spec, k) {
    var h = "<div class=\"pm-popup\">";
    var title = spec.title >= 0 ? value(spec, k, spec.title) : "";
    if (title) { h += "<div class=\"pm-title\">" + esc(title) + "</div>"; }
    if (spec.heading) { h += "<div class=\"pm-heading\">" + esc(spec.heading) + "</div>"; }
    h += "<table>";
    for (var i = 0; i < spec.cols.length; i++) {
      if (i === spec.title || !spec.cols[i].label) { continue; }  /* unlabelled: title or label text */
      var v = value(spec, k, i);
      if (v !== "") {
        h += "<tr><th>" + esc(spec.cols[i].label) + "</th><td>" + esc(v) + "</td></tr>";
      }
    }
    return h + "</table></div>";
  }

  function depth(a) {
    var d = 0;
    while (Array.isArray(a)) { a = a[0]; d++; }
    return d;
  }
  P.depth = depth;

  function featureCount(spec) {
    return spec.rows ? spec.rows.length : spec.geom ? spec.geom.length : spec.lat.length;
  }
  P.featureCount = featureCount;

  function geometry(spec, k) {
    return spec.rows ? P.shared[spec.geomFrom][spec.rows[k]] : spec.geom[k];
  }
  P.geometry = geometry;

  /* Grey diagonal hatching as a canvas fill (CanvasRenderingContext2D.fillStyle
   * takes a pattern where Leaflet's canvas renderer sets the fill colour). */
  function hatch(st) {
    if (!P.hatch) {
      var c = document.createElement("canvas");
      c.width = c.height = 8;
      var g = c.getContext("2d");
      g.fillStyle = st.fillColor || "#bdbdbd";
      g.fillRect(0, 0, 8, 8);
      g.strokeStyle = st.color || "#636363";
      g.lineWidth = 1.2;
      g.beginPath();
      g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6);
      g.stroke();
      P.hatch = c;
    }
    return L.extend({}, st, {fillColor: document.createElement("canvas").getContext("2d")
      .createPattern(P.hatch, "repeat")});
  }

  /* ---- per feature: one Leaflet layer each ------------------------------------ */

  function makeLayer(spec, k) {
    var st = spec.styles[spec.si ? spec.si[k] : 0];
    if (st.fillPattern === "hatch") {
      spec._hatched = spec._hatched || {};
      var key = spec.si ? spec.si[k] : 0;
      st = spec._hatched[key] = spec._hatched[key] || hatch(st);
    }
    if (spec.kind === "label") {
      var icon = L.divIcon({className: st.className || "pm-place", iconSize: null,
                            html: "<span>" + esc(value(spec, k, spec.title)) + "</span>"});
      return L.marker([spec.lat[k], spec.lon[k]], {icon: icon, interactive: false, keyboard: false,
                                                   pane: "pmLabels"});
    }
    if (spec.kind === "point") {
      var m = L.circleMarker([spec.lat[k], spec.lon[k]], st);
      m._pmR0 = st.radius;
      return m;
    }
    var g = geometry(spec, k);
    var ll = L.GeoJSON.coordsToLatLngs(g, depth(g) - 2);
    return spec.kind === "line" ? L.polyline(ll, st) : L.polygon(ll, st);
  }

  function build(group, spec) {
    var n = featureCount(spec), layers = [];
    for (var k = 0; k < n; k++) {
      var layer = makeLayer(spec, k);
      layer._pmSpec = spec;
      layer._pmK = k;
      var tip = spec.tooltip >= 0 ? value(spec, k, spec.tooltip) : "";
      if (tip !== "") {
        var area = spec.kind === "polygon";  /* below the area's name label */
        layer.bindTooltip(esc(tip), {permanent: true, direction: area ? "bottom" : "top",
                                     offset: area ? [0, 8] : [0, -8], className: "pm-label"});
      }
      layers.push(layer);
      group.addLayer(layer);
    }
    if (spec.search && spec.title >= 0) { searchSources.push({group: group, spec: spec, layers: layers}); }
    if (P.radiusFactor && spec.kind === "point") { P.scaleGroup(group, P.radiusFactor); }
  }

  /* ---- popups, search index ---------------------------------------------------- */

  /* Open the one (reused) popup on a feature, at latlng (default: the point itself). */
  function openPopup(layer, latlng) {
    var map = layer._map || P.map;
    var at = latlng || (layer.getLatLng ? layer.getLatLng() : layer.getCenter());
    P.popup = P.popup || L.popup({maxWidth: 340});  /* one popup, reused */
    /* keep the popup clear of the title box (top) and the layer list (right) */
    var c = map.getContainer().getBoundingClientRect();
    var info = map.getContainer().querySelector(".pm-info");
    var layers = map.getContainer().querySelector(".leaflet-control-layers");
    var legend = map.getContainer().querySelector(".pm-legend");
    var top = info ? info.getBoundingClientRect().bottom - c.top + 10 : 10;
    var right = layers ? c.right - layers.getBoundingClientRect().left + 10 : 10;
    var left = 10;
    if (legend) {
      /* the popup opens above its point: a point lower than the legend's top
       * edge would put the popup over the legend (which is drawn above popups),
       * so such a popup is panned to the right of the legend */
      var lr = legend.getBoundingClientRect();
      if (map.latLngToContainerPoint(at).y > lr.top - c.top - 20) { left = lr.right - c.left + 10; }
    }
    if (top > 0.5 * c.height) { top = 10; }
    if (right > 0.5 * c.width) { right = 10; }
    if (left > 0.5 * c.width) { left = 10; }
    P.popup.options.autoPanPaddingTopLeft = L.point(left, top);
    P.popup.options.autoPanPaddingBottomRight = L.point(right, 10);
    P.popupLayer = layer;
    return P.popup.setLatLng(at).setContent(popupHtml(layer._pmSpec, layer._pmK)).openOn(map);
  }
  P.openPopup = openPopup;

  /* The search index, built on first use (the first query, or reading
   * plannerMap.index): {label, norm, group, layer} per searched feature. */
  var searchSources = [], searchIndex = [];
  function index() {
    for (var i = 0; i < searchSources.length; i++) {
      var src = searchSources[i], spec = src.spec, n = featureCount(spec);
      for (var k = 0; k < n; k++) {
        var label = value(spec, k, spec.title);
        searchIndex.push({label: label, norm: norm(label), group: src.group,
                          layer: src.layers ? src.layers[k] : src.bulk.feature(k)});
      }
      P.sorted = false;
    }
    searchSources = [];
    return searchIndex;
  }
  Object.defineProperty(P, "index", {get: index, enumerable: true, configurable: true});

  /* Fill a folium FeatureGroup with the features of one layer.  The group
   * stays off the map until init() has set the final view, so that every
   * feature is projected once.  A bulk layer is one object; per feature, a
   * layer that starts switched off (and is not searched) is built when first
   * switched on.  One click handler per group builds popups. */
  P.addLayer = function (group, spec) {
    if (spec.share) { P.shared[spec.share] = spec.geom; }
    group._pmShow = spec.show !== false;
    group._pmLegend = spec.legend;
    if (P.bulkDrawn(spec)) {
      var bulk = new P.Bulk(spec);
      group.addLayer(bulk);
      group.getLayers = P.groupFeatures;
      if (spec.search && spec.title >= 0) { searchSources.push({group: group, spec: spec, bulk: bulk}); }
      if (P.radiusFactor && spec.kind === "point") { P.scaleGroup(group, P.radiusFactor); }
    } else if (group._pmShow || spec.search) {
      build(group, spec);
    } else {
      group.once("add", function () { build(group, spec); });
    }
    group.on("click", function (e) {
      var target = e.propagatedFrom || e.layer;
      if (target instanceof P.Bulk) { target = target._pmHit >= 0 ? target.feature(target._pmHit) : null; }
      if (target && target._pmSpec) {
        openPopup(target, target.getLatLng ? null : e.latlng);
      }
    });
    return group;
  };

  /* ---- controls ------------------------------------------------------------------ */

  function htmlControl(map, html, position, className) {
    var Ctl = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", className);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    return new Ctl({position: position}).addTo(map);
  }

  function search(map, opts) {
    var Ctl = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", "pm-search leaflet-bar");
        var input = L.DomUtil.create("input", "pm-search-input", div);
        input.type = "search";
        input.placeholder = opts.placeholder;
        input.setAttribute("aria-label", opts.placeholder);
        var list = L.DomUtil.create("ul", "pm-results", div);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        var hits = [];
        function clear() {
          list.innerHTML = "";
          hits = [];
        }
        /* The list stays, with the chosen hit marked, until the map is clicked,
         * Escape is pressed or the query changes: removing the clicked item
         * inside its own click would let the click (or the second click of a
         * double click) reach the map, which closes the popup just opened. */
        function show(i) {
          var h = hits[i];
          if (!h) { return; }
          if (!map.hasLayer(h.group)) { map.addLayer(h.group); }
          if (h.layer.getLatLng) {
            map.setView(h.layer.getLatLng(), Math.max(map.getZoom(), opts.zoom), {animate: false});
          } else {
            fit(map, h.layer.getBounds());
          }
          openPopup(h.layer);
          var items = list.querySelectorAll("li.pm-hit");
          for (var k = 0; k < items.length; k++) { items[k].classList.toggle("pm-chosen", k === i); }
        }
        map.on("click", clear);
        input.addEventListener("input", function () {
          var entries = index();
          if (!P.sorted) {
            entries.sort(function (a, b) { return a.label.localeCompare(b.label, opts.lang, {numeric: true}); });
            P.sorted = true;
          }
          var q = norm(input.value.trim());
          clear();
          if (q.length < 2) { return; }
          var toks = q.split(/[\s,]+/).filter(Boolean);
          for (var i = 0; i < entries.length && hits.length < opts.max; i++) {
            var e = entries[i], ok = true;
            for (var t = 0; t < toks.length; t++) {
              if (e.norm.indexOf(toks[t]) < 0) { ok = false; break; }
            }
            if (ok) { hits.push(e); }
          }
          if (!hits.length) {
            L.DomUtil.create("li", "pm-none", list).textContent = opts.none;
          }
          hits.forEach(function (h, j) {
            var li = L.DomUtil.create("li", "pm-hit", list);
            li.textContent = h.label;
            li.addEventListener("click", function (ev) { L.DomEvent.stop(ev); show(j); });
          });
        });
        input.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter") { show(0); }
          if (ev.key === "Escape") { clear(); }
        });
        return div;
      }
    });
    return new Ctl({position: "topleft"}).addTo(map);
  }

  /* Draw order: later groups on top; re-applied when a layer is switched on again. */
  function keepOrder(map, groups) {
    map.on("overlayadd baselayerchange", function () {
      for (var i = 0; i < groups.length; i++) {
        if (map.hasLayer(groups[i])) { groups[i].bringToFront(); }
      }
    });
  }

  /* The part of the legend that belongs to the base layer on the map (the theme of a choropleth). */
  function themeLegend(map, groups) {
    var box = map.getContainer().querySelector(".pm-legend .pm-theme");
    if (!box) { return; }
    function show() {
      for (var i = 0; i < groups.length; i++) {
        if (groups[i]._pmLegend && map.hasLayer(groups[i])) { box.innerHTML = groups[i]._pmLegend; }
      }
    }
    show();
    map.on("baselayerchange", show);
  }

  /* Smaller dots when zoomed out, so that dense villages stay readable. */
  function radiusFactor(zoom) {
    return zoom >= 16 ? 1 : zoom >= 15 ? 0.85 : zoom >= 14 ? 0.7 : zoom >= 13 ? 0.6 : 0.5;
  }
  P.scaleGroup = function (group, f) {
    group.eachLayer(function (l) {
      if (l instanceof P.Bulk) {
        l._pmScale(f);
      } else if (l._pmR0 && !l.getTooltip()) {
        l.setRadius(Math.max(1.5, l._pmR0 * f));
      }
    });
  };
  function scalePoints(map, groups) {
    var f = radiusFactor(map.getZoom());
    if (f === P.radiusFactor) { return; }
    P.radiusFactor = f;
    for (var i = 0; i < groups.length; i++) { P.scaleGroup(groups[i], f); }
  }

  /* Fit the study area into the part of the map not covered by the panels. */
  function fit(map, bounds) {
    var c = map.getContainer(), size = map.getSize();
    function box(sel) {
      var el = c.querySelector(sel);
      return el ? el.getBoundingClientRect() : null;
    }
    var cr = c.getBoundingClientRect(), pad = 20;
    var legend = box(".pm-legend"), layers = box(".leaflet-control-layers"), info = box(".pm-info");
    var left = legend ? legend.right - cr.left + pad : pad;
    var right = layers ? cr.right - layers.left + pad : pad;
    var top = info ? info.bottom - cr.top + pad : pad;
    if (size.x - left - right < 0.4 * size.x) { left = right = pad; }
    if (size.y - top - pad < 0.4 * size.y) { top = pad; }
    map.fitBounds(bounds, {paddingTopLeft: [left, top], paddingBottomRight: [right, pad], animate: false});
  }

  /* Controls, attribution and the ready flag; called once, after every layer. */
  P.init = function (map, groups, cfg) {
    P.map = map;
    P.groups = groups;
    map.createPane("pmLabels");  /* place names: above the canvas, never catching clicks */
    if (cfg.attribution) { map.attributionControl.addAttribution(cfg.attribution); }
    L.control.scale({imperial: false}).addTo(map);
    if (cfg.search) { search(map, cfg.search); }
    if (cfg.info) {
      var box = L.DomUtil.create("div", "pm-info", map.getContainer());
      box.innerHTML = cfg.info;
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
    }
    var themed = groups.some(function (g) { return g._pmLegend; });
    if (cfg.legend || themed) {
      htmlControl(map, (themed ? "<div class=\"pm-theme\"></div>" : "") + (cfg.legend || ""),
                  "bottomleft", "pm-legend");
    }
    if (cfg.bounds) { fit(map, cfg.bounds); }
    scalePoints(map, groups);
    map.on("zoomend", function () { scalePoints(map, groups); });
    /* Put the layers on the map in drawing order (bottom first), at the final view.
     * A layer control rebuilds its list on every layer added, unless it is
     * adding the layer itself (_handlingClick): its list is built once, after. */
    P.layerControls.forEach(function (c) { c._handlingClick = true; });
    for (var i = 0; i < groups.length; i++) {
      if (groups[i]._pmShow) { map.addLayer(groups[i]); }
    }
    P.layerControls.forEach(function (c) { c._handlingClick = false; c._update(); });
    themeLegend(map, groups);
    keepOrder(map, groups);
    map.on("overlayremove", function () {
      var l = P.popupLayer;
      if (l && !map.hasLayer(l._pmBulk || l)) { map.closePopup(); }
    });
    /* Canvas redraws run on the next animation frame; flag after it. */
    L.Util.requestAnimFrame(function () {
      L.Util.requestAnimFrame(function () { global.plannerMapReady = true; });
    });
  };
}(window));
