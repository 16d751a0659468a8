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
 *   layer (Bulk, below), drawn by the map's canvas renderer in the layers'
 *   drawing order with the very canvas calls Leaflet makes for an
 *   L.circleMarker / L.polyline of the same options, so the picture is the
 *   same; no Leaflet object, event or closure per feature at load time.
 *   A feature becomes a small object (Feature: spec, index, options,
 *   position) only when a popup, the search or group.getLayers() asks for it.
 * - per feature (polygons, place names, layers with permanent labels, and
 *   every layer when window.plannerMapPerFeature is true before the page
 *   runs, the reference the bulk drawing is tested against): one Leaflet
 *   layer per feature, as folium draws them.
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

  function featureCount(spec) {
    return spec.rows ? spec.rows.length : spec.geom ? spec.geom.length : spec.lat.length;
  }

  function geometry(spec, k) {
    return spec.rows ? P.shared[spec.geomFrom][spec.rows[k]] : spec.geom[k];
  }

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

  /* ---- bulk: one canvas path for all the points or lines of a layer ----------- */

  /* Point shapes of bulk layers: the canvas path of a shape of size r at the
   * layer point (x, y) (Leaflet's _updateCircle), and its hit test at offset
   * (dx, dy) within r (CircleMarker._containsPoint).  The optical network's
   * runtime adds one. */
  P.shapes = {
    circle: {
      path: function (ctx, x, y, r) { ctx.arc(x, y, r, 0, Math.PI * 2, false); },
      hit: function (dx, dy, r) { return Math.sqrt(dx * dx + dy * dy) <= r; }
    }
  };

  /* Layer points (map.latLngToLayerPoint: projected, rounded, minus the pixel
   * origin) of n positions into X, Y.  Spherical Mercator (folium's CRS) is
   * computed inline with Leaflet's own formula and operation order, so the
   * numbers are the same; any other CRS goes through Leaflet. */
  function project(map, lat, lon, n, X, Y) {
    var crs = map.options.crs, o = map.getPixelOrigin(), m = crs.projection, t = crs.transformation, i;
    if (m === L.Projection.SphericalMercator && crs.latLngToPoint === L.CRS.EPSG3857.latLngToPoint &&
        t instanceof L.Transformation && t._transform === L.Transformation.prototype._transform) {
      var d = Math.PI / 180, max = m.MAX_LATITUDE, R = m.R, s = crs.scale(map.getZoom());
      var a = t._a, b = t._b, c = t._c, e = t._d, ox = o.x, oy = o.y;
      for (i = 0; i < n; i++) {
        var sin = Math.sin(Math.max(Math.min(max, lat[i]), -max) * d);
        X[i] = Math.round(s * (a * (R * lon[i] * d) + b)) - ox;
        Y[i] = Math.round(s * (c * (R * Math.log((1 + sin) / (1 - sin)) / 2) + e)) - oy;
      }
    } else {
      for (i = 0; i < n; i++) {
        var p = map.latLngToLayerPoint(L.latLng(lat[i], lon[i]));
        X[i] = p.x;
        Y[i] = p.y;
      }
    }
  }

  /* Scratch buffers of the line clipping and simplification (grown on demand). */
  var CX = new Float64Array(256), CY = new Float64Array(256), CS = new Int32Array(64), cn = 0, cp = 0;
  var RX = new Float64Array(256), RY = new Float64Array(256), MARK = new Uint8Array(256);
  var SX = new Float64Array(256), SY = new Float64Array(256), SS = new Int32Array(64), sn = 0, sp = 0;

  function scratch(nv) {
    var size = 2 * nv + 2;
    if (CX.length < size) {
      CX = new Float64Array(size); CY = new Float64Array(size); RX = new Float64Array(size);
      RY = new Float64Array(size); SX = new Float64Array(size); SY = new Float64Array(size);
      MARK = new Uint8Array(size); CS = new Int32Array(size); SS = new Int32Array(size);
    }
  }

  /* Cohen-Sutherland outcode of (x, y) against B = [minX, minY, maxX, maxY] (LineUtil._getBitCode). */
  function outcode(x, y, B) {
    var c = 0;
    if (x < B[0]) { c |= 1; } else if (x > B[2]) { c |= 2; }
    if (y < B[1]) { c |= 4; } else if (y > B[3]) { c |= 8; }
    return c;
  }

  /* Leaflet's Polyline._clipPoints for one ring (points i0 .. i1-1 of X, Y):
   * the parts inside B appended to CX, CY (part starts in CS).  Same
   * arithmetic as LineUtil.clipSegment with rounding. */
  function clipRing(X, Y, i0, i1, B) {
    var last = i1 - i0 - 2, open = false;
    for (var j = 0; j <= last; j++) {
      var ax = X[i0 + j], ay = Y[i0 + j], bx = X[i0 + j + 1], by = Y[i0 + j + 1];
      var ca = outcode(ax, ay, B), cb = outcode(bx, by, B), cut = false, out = false;
      while (ca | cb) {
        if (ca & cb) { out = true; break; }
        var co = ca || cb, dx = bx - ax, dy = by - ay, x, y;
        if (co & 8) {         /* beyond max y */
          x = ax + dx * (B[3] - ay) / dy; y = B[3];
        } else if (co & 4) {  /* beyond min y */
          x = ax + dx * (B[1] - ay) / dy; y = B[1];
        } else if (co & 2) {  /* beyond max x */
          x = B[2]; y = ay + dy * (B[2] - ax) / dx;
        } else {              /* beyond min x */
          x = B[0]; y = ay + dy * (B[0] - ax) / dx;
        }
        x = Math.round(x);
        y = Math.round(y);
        if (co === ca) {
          ax = x; ay = y; ca = outcode(x, y, B);
        } else {
          bx = x; by = y; cb = outcode(x, y, B); cut = true;
        }
      }
      if (out) { continue; }
      if (!open) { CS[cp++] = cn; open = true; }
      CX[cn] = ax; CY[cn++] = ay;
      if (cut || j === last) {  /* the part leaves the bounds, or the ring ends */
        CX[cn] = bx; CY[cn++] = by;
        open = false;
      }
    }
  }

  /* Squared distance of p to the segment 1-2 (LineUtil._sqClosestPointOnSegment). */
  function sqSegDist(px, py, x, y, x2, y2) {
    var dx = x2 - x, dy = y2 - y, dot = dx * dx + dy * dy, t;
    if (dot > 0) {
      t = ((px - x) * dx + (py - y) * dy) / dot;
      if (t > 1) {
        x = x2; y = y2;
      } else if (t > 0) {
        x += dx * t; y += dy * t;
      }
    }
    dx = px - x;
    dy = py - y;
    return dx * dx + dy * dy;
  }

  function douglasPeucker(sqTol, first, last) {
    var maxSq = 0, index = 0;
    for (var i = first + 1; i <= last - 1; i++) {
      var sq = sqSegDist(RX[i], RY[i], RX[first], RY[first], RX[last], RY[last]);
      if (sq > maxSq) { index = i; maxSq = sq; }
    }
    if (maxSq > sqTol) {
      MARK[index] = 1;
      douglasPeucker(sqTol, first, index);
      douglasPeucker(sqTol, index, last);
    }
  }

  /* Leaflet's LineUtil.simplify (radial reduction, then Douglas-Peucker) of
   * the clipped part CX, CY [s, e), appended to SX, SY (part starts in SS). */
  function simplifyPart(s, e, tol) {
    var i, m = 0;
    SS[sp++] = sn;
    if (!tol || e - s < 3) {  /* up to two points: nothing to simplify */
      for (i = s; i < e; i++) { SX[sn] = CX[i]; SY[sn++] = CY[i]; }
      return;
    }
    var sqTol = tol * tol, prev = s;
    RX[0] = CX[s]; RY[0] = CY[s]; m = 1;
    for (i = s + 1; i < e; i++) {
      var dx = CX[prev] - CX[i], dy = CY[prev] - CY[i];
      if (dx * dx + dy * dy > sqTol) { RX[m] = CX[i]; RY[m++] = CY[i]; prev = i; }
    }
    if (prev < e - 1) { RX[m] = CX[e - 1]; RY[m++] = CY[e - 1]; }
    MARK.fill(0, 0, m);
    MARK[0] = MARK[m - 1] = 1;
    douglasPeucker(sqTol, 0, m - 1);
    for (i = 0; i < m; i++) {
      if (MARK[i]) { SX[sn] = RX[i]; SY[sn++] = RY[i]; }
    }
  }

  /* Leaflet's canvas _fillStroke, setting only the context state that changed
   * since the last feature (ps: the state this layer has set). */
  function paint(ctx, o, ps) {
    if (o.fill) {
      if (ps.alpha !== o.fillOpacity) { ctx.globalAlpha = ps.alpha = o.fillOpacity; }
      var fill = o.fillColor || o.color;
      if (ps.fill !== fill) { ctx.fillStyle = ps.fill = fill; }
      ctx.fill(o.fillRule || "evenodd");
    }
    if (o.stroke && o.weight !== 0) {
      if (ps.stroke !== o) {
        ctx.setLineDash(o._dashArray || []);
        ctx.lineWidth = o.weight;
        ctx.strokeStyle = o.color;
        ctx.lineCap = o.lineCap;
        ctx.lineJoin = o.lineJoin;
        ps.stroke = o;
      }
      if (ps.alpha !== o.opacity) { ctx.globalAlpha = ps.alpha = o.opacity; }
      ctx.stroke();
    }
  }

  /* A feature of a bulk layer as an object: spec, index, options and position,
   * what popups, the search and tests use of a Leaflet layer. */
  function Feature(bulk, k) {
    this._pmBulk = bulk;
    this._pmSpec = bulk._pmSpec;
    this._pmK = k;
    this.options = bulk._st[bulk._si ? bulk._si[k] : 0];
  }
  function PointFeature(bulk, k) { Feature.call(this, bulk, k); }
  PointFeature.prototype.getLatLng = function () {
    return L.latLng(this._pmSpec.lat[this._pmK], this._pmSpec.lon[this._pmK]);
  };
  function LineFeature(bulk, k) { Feature.call(this, bulk, k); }
  /* As L.polyline's: flat for a line, one array per line for a multi-line. */
  LineFeature.prototype.getLatLngs = function () {
    var g = geometry(this._pmSpec, this._pmK);
    return L.GeoJSON.coordsToLatLngs(g, depth(g) - 2);
  };
  LineFeature.prototype.getBounds = function () {
    var ll = this.getLatLngs();
    return L.latLngBounds(L.LineUtil.isFlat(ll) ? ll : [].concat.apply([], ll));
  };
  LineFeature.prototype.getCenter = function () {
    var ll = this.getLatLngs();
    return L.LineUtil.polylineCenter(L.LineUtil.isFlat(ll) ? ll : ll[0], P.map.options.crs);
  };

  var Bulk = L.Path.extend({
    initialize: function (spec) {
      var point = spec.kind === "point";
      var base = point ? L.CircleMarker.prototype.options : L.Polyline.prototype.options;
      this._pmSpec = spec;
      this._isPoint = point;
      this._si = spec.si;
      this._n = featureCount(spec);
      /* each style with Leaflet's defaults and parsed dash array, as a layer's options */
      this._st = spec.styles.map(function (st) {
        var o = L.extend({}, base, st);
        L.Canvas.prototype._updateDashArray({options: o});
        return o;
      });
      this._r0 = spec.styles.map(function (st) { return st.radius; });  /* scaled by zoom where given */
      this._rad = this._st.map(function (o) { return o.radius; });
      this._shape = this._st.map(function (o) { return P.shapes[o.shape] || P.shapes.circle; });
      this._features = [];
      if (point) { this._pmR0 = true; }  /* scaled by zoom; the network runtime's fixedRadius deletes it */
      L.setOptions(this, {
        interactive: this._st.some(function (o) { return o.interactive; }),
        weight: Math.max.apply(null, this._st.map(function (o) { return o.stroke ? o.weight : 0; }))
      });
    },

    /* The lines' coordinates as flat arrays: feature k has the lines
     * FR[k] .. FR[k+1]-1, line r the vertices VR[r] .. VR[r+1]-1. */
    _flatten: function () {
      var spec = this._pmSpec, n = this._n, all = new Array(n), nv = 0, nr = 0, most = 0, k, r, i, rings;
      for (k = 0; k < n; k++) {
        var g = geometry(spec, k), fv = 0;
        rings = all[k] = g.length && Array.isArray(g[0][0]) ? g : [g];  /* a multi-line, or a line */
        for (r = 0; r < rings.length; r++) { fv += rings[r].length; }
        nr += rings.length;
        nv += fv;
        if (fv > most) { most = fv; }
      }
      var lat = new Float64Array(nv), lon = new Float64Array(nv);
      var FR = new Int32Array(n + 1), VR = new Int32Array(nr + 1);
      nv = nr = 0;
      for (k = 0; k < n; k++) {
        FR[k] = nr;
        rings = all[k];
        for (r = 0; r < rings.length; r++) {
          VR[nr++] = nv;
          var ring = rings[r];
          for (i = 0; i < ring.length; i++) {
            lon[nv] = ring[i][0];
            lat[nv++] = ring[i][1];
          }
        }
      }
      FR[n] = nr;
      VR[nr] = nv;
      this._lat = lat; this._lon = lon; this._FR = FR; this._VR = VR; this._nv = nv; this._most = most;
      this._x = new Float64Array(nv);
      this._y = new Float64Array(nv);
      this._bb = new Float64Array(4 * n);  /* pixel bounds of each feature: minX, minY, maxX, maxY */
    },

    _project: function () {
      var spec = this._pmSpec, n = this._n, k, i;
      if (this._isPoint) {
        if (!this._x) { this._x = new Float64Array(n); this._y = new Float64Array(n); }
        project(this._map, spec.lat, spec.lon, n, this._x, this._y);
      } else {
        if (!this._lat) { this._flatten(); }
        var X = this._x, Y = this._y, FR = this._FR, VR = this._VR, bb = this._bb;
        project(this._map, this._lat, this._lon, this._nv, X, Y);
        for (k = 0, i = 0; k < n; k++) {
          var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, end = VR[FR[k + 1]];
          for (; i < end; i++) {
            var x = X[i], y = Y[i];
            if (x < x0) { x0 = x; }
            if (x > x1) { x1 = x; }
            if (y < y0) { y0 = y; }
            if (y > y1) { y1 = y; }
          }
          bb[4 * k] = x0; bb[4 * k + 1] = y0; bb[4 * k + 2] = x1; bb[4 * k + 3] = y1;
        }
      }
      this._updateBounds();
    },

    /* Hit tolerance of style s (Path._clickTolerance). */
    _tol: function (s) {
      var o = this._st[s];
      return (o.stroke ? o.weight / 2 : 0) + (this._renderer.options.tolerance || 0);
    },

    /* The layer's pixel bounds: every feature with its radius and tolerance. */
    _updateBounds: function () {
      var n = this._n, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, e = 0, s, k;
      if (!n || !this._x) { return; }
      for (s = 0; s < this._st.length; s++) { e = Math.max(e, this._tol(s) + (this._isPoint ? this._rad[s] : 0)); }
      if (this._isPoint) {
        var X = this._x, Y = this._y;
        for (k = 0; k < n; k++) {
          if (X[k] < x0) { x0 = X[k]; }
          if (X[k] > x1) { x1 = X[k]; }
          if (Y[k] < y0) { y0 = Y[k]; }
          if (Y[k] > y1) { y1 = Y[k]; }
        }
      } else {
        var bb = this._bb;
        for (k = 0; k < 4 * n; k += 4) {
          if (bb[k] < x0) { x0 = bb[k]; }
          if (bb[k + 1] < y0) { y0 = bb[k + 1]; }
          if (bb[k + 2] > x1) { x1 = bb[k + 2]; }
          if (bb[k + 3] > y1) { y1 = bb[k + 3]; }
        }
      }
      this._pxBounds = L.bounds([x0 - e, y0 - e], [x1 + e, y1 + e]);
    },

    _update: function () {},  /* clipped and simplified while drawing */

    _updatePath: function () {
      var r = this._renderer;
      if (!r._drawing || !this._n) { return; }
      var b = r._bounds, B = [b.min.x, b.min.y, b.max.x, b.max.y], rb = r._redrawBounds;
      var D = rb ? [rb.min.x, rb.min.y, rb.max.x, rb.max.y] : null;
      var ps = {};  /* other layers drew in between: set every state once */
      if (this._isPoint) { this._drawPoints(r._ctx, B, D, ps); } else { this._drawLines(r._ctx, B, D, ps); }
    },

    /* Each point as Leaflet draws an L.circleMarker: skipped when its box
     * misses the renderer's bounds (_empty) or the redrawn area, radius
     * rounded, fill then stroke. */
    _drawPoints: function (ctx, B, D, ps) {
      var X = this._x, Y = this._y, si = this._si, cur = -1, o, shape, R = 0, e = 0;
      for (var k = 0; k < this._n; k++) {
        var s = si ? si[k] : 0;
        if (s !== cur) {
          cur = s; o = this._st[s]; shape = this._shape[s]; R = this._rad[s]; e = R + this._tol(s);
        }
        var x = X[k], y = Y[k];
        if (R && (x - e > B[2] || x + e < B[0] || y - e > B[3] || y + e < B[1])) { continue; }
        if (D && (x - e > D[2] || x + e < D[0] || y - e > D[3] || y + e < D[1])) { continue; }
        ctx.beginPath();
        shape.path(ctx, x, y, Math.max(Math.round(R), 1));
        paint(ctx, o, ps);
      }
    },

    /* The parts of line k as Leaflet's polyline has them after _update
     * (clipped to B, simplified): SX, SY with part starts SS[0 .. sp-1]. */
    _parts: function (k, B) {
      var FR = this._FR, VR = this._VR, o = this._st[this._si ? this._si[k] : 0];
      scratch(this._most);
      cn = cp = 0;
      for (var r = FR[k]; r < FR[k + 1]; r++) {
        if (o.noClip) {  /* the whole line, as Leaflet's option noClip */
          CS[cp++] = cn;
          for (var i = VR[r]; i < VR[r + 1]; i++) { CX[cn] = this._x[i]; CY[cn++] = this._y[i]; }
        } else {
          clipRing(this._x, this._y, VR[r], VR[r + 1], B);
        }
      }
      CS[cp] = cn;
      sn = sp = 0;
      for (var j = 0; j < cp; j++) { simplifyPart(CS[j], CS[j + 1], o.smoothFactor); }
      SS[sp] = sn;
    },

    /* Each line as Leaflet draws an L.polyline: nothing when its box (with
     * tolerance) misses the renderer's bounds or the redrawn area, else its
     * clipped, simplified parts as one path, then fill and stroke. */
    _drawLines: function (ctx, B, D, ps) {
      var bb = this._bb, si = this._si, cur = -1, o, w = 0;
      for (var k = 0; k < this._n; k++) {
        var s = si ? si[k] : 0;
        if (s !== cur) { cur = s; o = this._st[s]; w = this._tol(s); }
        var x0 = bb[4 * k] - w, y0 = bb[4 * k + 1] - w, x1 = bb[4 * k + 2] + w, y1 = bb[4 * k + 3] + w;
        if (x0 > B[2] || x1 < B[0] || y0 > B[3] || y1 < B[1]) { continue; }
        if (D && (x0 > D[2] || x1 < D[0] || y0 > D[3] || y1 < D[1])) { continue; }
        this._parts(k, B);
        if (!sp) { continue; }
        ctx.beginPath();
        for (var i = 0; i < sp; i++) {
          ctx.moveTo(SX[SS[i]], SY[SS[i]]);
          for (var j = SS[i] + 1; j < SS[i + 1]; j++) { ctx.lineTo(SX[j], SY[j]); }
        }
        paint(ctx, o, ps);
      }
    },

    /* The topmost (last drawn) interactive feature at layer point p, as the
     * canvas renderer finds a clicked or hovered layer; kept in _pmHit. */
    _containsPoint: function (p) {
      this._pmHit = this._isPoint ? this._hitPoint(p) : this._hitLine(p);
      return this._pmHit >= 0;
    },

    _hitPoint: function (p) {
      var si = this._si;
      for (var k = this._n - 1; k >= 0; k--) {
        var s = si ? si[k] : 0;
        if (this._st[s].interactive &&
            this._shape[s].hit(this._x[k] - p.x, this._y[k] - p.y, this._rad[s] + this._tol(s))) { return k; }
      }
      return -1;
    },

    _hitLine: function (p) {
      var b = this._renderer._bounds, B = [b.min.x, b.min.y, b.max.x, b.max.y], bb = this._bb, si = this._si;
      for (var k = this._n - 1; k >= 0; k--) {
        var s = si ? si[k] : 0, w = this._tol(s);
        if (!this._st[s].interactive || p.x < bb[4 * k] - w || p.x > bb[4 * k + 2] + w ||
            p.y < bb[4 * k + 1] - w || p.y > bb[4 * k + 3] + w) { continue; }
        this._parts(k, B);
        for (var i = 0; i < sp; i++) {
          for (var j = SS[i] + 1; j < SS[i + 1]; j++) {
            if (Math.sqrt(sqSegDist(p.x, p.y, SX[j - 1], SY[j - 1], SX[j], SY[j])) <= w) { return k; }
          }
        }
      }
      return -1;
    },

    /* The geographical bounds of every feature (as FeatureGroup.getBounds takes them). */
    getBounds: function () {
      var spec = this._pmSpec, b = new L.LatLngBounds(), i;
      if (this._isPoint) {
        for (i = 0; i < this._n; i++) { b.extend([spec.lat[i], spec.lon[i]]); }
      } else {
        if (!this._lat) { this._flatten(); }
        for (i = 0; i < this._nv; i++) { b.extend([this._lat[i], this._lon[i]]); }
      }
      return b;
    },

    /* Radii of the styles that have one scaled by f (at least 1.5 px), as P.scaleGroup does per layer. */
    _pmScale: function (f) {
      if (!this._pmR0) { return; }
      for (var s = 0; s < this._r0.length; s++) {
        if (this._r0[s]) { this._rad[s] = Math.max(1.5, this._r0[s] * f); }
      }
      this.redraw();
    },

    /* Feature k as an object (made once). */
    feature: function (k) {
      return this._features[k] || (this._features[k] =
        this._isPoint ? new PointFeature(this, k) : new LineFeature(this, k));
    },

    features: function () {
      var out = new Array(this._n);
      for (var k = 0; k < this._n; k++) { out[k] = this.feature(k); }
      return out;
    }
  });
  P.Bulk = Bulk;

  /* Which layers are drawn in bulk: points and lines without permanent labels. */
  function bulkDrawn(spec) {
    return !global.plannerMapPerFeature && !spec.perFeature && (spec.kind === "point" || spec.kind === "line") &&
      !(spec.tooltip >= 0) && spec.styles.every(function (st) { return !st.fillPattern; });
  }

  /* A group's features: those of its bulk layer as Feature objects, the other layers as they are. */
  function groupFeatures() {
    var out = [];
    this.eachLayer(function (l) { out = out.concat(l instanceof Bulk ? l.features() : [l]); });
    return out;
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
    if (bulkDrawn(spec)) {
      var bulk = new Bulk(spec);
      group.addLayer(bulk);
      group.getLayers = groupFeatures;
      if (spec.search && spec.title >= 0) { searchSources.push({group: group, spec: spec, bulk: bulk}); }
      if (P.radiusFactor && spec.kind === "point") { P.scaleGroup(group, P.radiusFactor); }
    } else if (group._pmShow || spec.search) {
      build(group, spec);
    } else {
      group.once("add", function () { build(group, spec); });
    }
    group.on("click", function (e) {
      var target = e.propagatedFrom || e.layer;
      if (target instanceof Bulk) { target = target._pmHit >= 0 ? target.feature(target._pmHit) : null; }
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
      if (l instanceof Bulk) {
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
