/* planner_map_bulk.js - bulk drawing of the planner's map runtime (MIT licence).
 *
 * Inlined right after planner_map.js in every map page (planner/maps/html.py,
 * head_assets); it reads the runtime's helpers from window.plannerMap (P) and
 * adds to it what the runtime calls when layers are added (P.addLayer, after
 * every script has run):
 *
 *   P.Bulk           one canvas path object for all the points or lines of a
 *                    layer, drawn by the map's canvas renderer in the layers'
 *                    drawing order with the very canvas calls Leaflet makes
 *                    for an L.circleMarker / L.polyline of the same options
 *                    (projection, clipping, simplification, fill and stroke),
 *                    so the picture is the same; no Leaflet object, event or
 *                    closure per feature at load time.  A feature becomes a
 *                    small object (Feature: spec, index, options, position)
 *                    only when a popup, the search or group.getLayers() asks;
 *   P.bulkDrawn      which layers are drawn in bulk;
 *   P.groupFeatures  a group's getLayers() with its bulk layer's features;
 *   P.shapes         point shapes of bulk layers (the optical network's
 *                    runtime, inlined after this file, adds one).
 */
(function (global) {
  "use strict";
  var P = global.plannerMap;
  var featureCount = P.featureCount, geometry = P.geometry, depth = P.depth;
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

  /* Scratch buffers of the line clipping and simplification, all of one size (grown together on
   * demand): a line of nv vertices clips into at most nv parts, so the part starts CS and SS need
   * as many entries as the vertices. */
  var CX = new Float64Array(256), CY = new Float64Array(256), CS = new Int32Array(256), cn = 0, cp = 0;
  var RX = new Float64Array(256), RY = new Float64Array(256), MARK = new Uint8Array(256);
  var SX = new Float64Array(256), SY = new Float64Array(256), SS = new Int32Array(256), sn = 0, sp = 0;

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

  P.bulkDrawn = bulkDrawn;
  P.groupFeatures = groupFeatures;
}(window));
