/* planner_map_network.js - the optical network's additions to planner_map.js (MIT licence).
 *
 * planner/maps/optical.py inlines this file after planner_map.js only in maps
 * that draw the optical network (cabinets, cables, closures, OLT), so maps
 * without it keep their bytes.  It adds to the layer spec of planner_map.js:
 *
 *   pool: "name"   append this layer's geom (lines) to the pool "name", for
 *                  the parts of layers added after it;
 *   partsFrom: "name", parts: [[i, ...] | null, ...]
 *                  feature k is drawn as the lines i of pool "name" (one
 *                  multi-line: the cables reuse the coordinates of the route
 *                  segments they run along); where null, from its own geom[k];
 *   styles[j].shape: "square"
 *                  a point drawn as a square of side 2 x radius;
 *   labelMinZoom: z
 *                  the permanent labels (tooltip column) shown from zoom z on,
 *                  small and translucent (class pm-area-label);
 *   fixedRadius: true
 *                  points keep their radius when zoomed out (the OLT square
 *                  around its POP's dot).
 */
(function (global) {
  "use strict";
  var P = global.plannerMap;
  P.pools = {};
  P.minZooms = {};

  /* Squares: points with the option shape: "square", in bulk layers (P.shapes)
   * and as circle markers (canvas and SVG renderers). */
  P.shapes.square = {
    path: function (ctx, x, y, r) { ctx.rect(x - r, y - r, 2 * r, 2 * r); },
    hit: function (dx, dy, r) { return Math.abs(dx) <= r && Math.abs(dy) <= r; }
  };
  L.Canvas.include({
    _updateSquare: function (layer) {
      if (!this._drawing || layer._empty()) { return; }
      var p = layer._point, ctx = this._ctx;
      ctx.beginPath();
      P.shapes.square.path(ctx, p.x, p.y, Math.max(Math.round(layer._radius), 1));
      this._fillStroke(ctx, layer);
    }
  });
  L.SVG.include({
    _updateSquare: function (layer) {
      var p = layer._point.round(), r = Math.max(Math.round(layer._radius), 1);
      this._setPath(layer, layer._empty() ? "M0 0" :
        "M" + (p.x - r) + "," + (p.y - r) + "h" + 2 * r + "v" + 2 * r + "h" + (-2 * r) + "z");
    }
  });
  var updatePath = L.CircleMarker.prototype._updatePath;
  var containsPoint = L.CircleMarker.prototype._containsPoint;
  L.CircleMarker.include({
    _updatePath: function () {
      if (this.options.shape === "square") { this._renderer._updateSquare(this); } else { updatePath.call(this); }
    },
    _containsPoint: function (p) {
      if (this.options.shape !== "square") { return containsPoint.call(this, p); }
      return P.shapes.square.hit(p.x - this._point.x, p.y - this._point.y, this._radius + this._clickTolerance());
    }
  });

  /* The LineString coordinates of a line or a multi-line. */
  function lines(g) {
    return Array.isArray(g[0][0]) ? g : [g];
  }

  function cell(spec, k, i) {
    var c = spec.cols[i], v = c.v[k];
    if (c.dict && v !== null && v !== undefined) { v = c.dict[v]; }
    return (v === null || v === undefined) ? "" : String(v);
  }

  function css(rule) {
    var style = document.getElementById("pm-network-css");
    if (!style) {
      style = document.createElement("style");
      style.id = "pm-network-css";
      style.appendChild(document.createTextNode(
        ".leaflet-tooltip.pm-area-label{font-size:11px;padding:0 3px;background:rgba(255,255,255,0.7);" +
        "box-shadow:none}"));
      document.head.appendChild(style);
    }
    style.appendChild(document.createTextNode(rule));
  }

  /* Labels shown from a zoom on: the map container gets pm-below-<z> below it. */
  function minZoomRule(z) {
    if (P.minZooms[z]) { return; }
    P.minZooms[z] = true;
    css(".pm-below-" + z + " .pm-minzoom-" + z + "{display:none}");
  }

  /* The labels are bound here, with their class, to each feature's layer;
   * not before the map first reaches zoom z: below it they are hidden anyway,
   * and each permanent label costs a DOM element and a layout when opened. */
  function labelFromZoom(group, spec) {
    var col = spec.tooltip, z = spec.labelMinZoom, area = spec.kind === "polygon", waiting = [], map = null;
    minZoomRule(z);
    spec.tooltip = -1;
    spec.perFeature = true;
    function bind() {
      if (!map || map.getZoom() < z || !map.hasLayer(group)) { return; }
      waiting.forEach(function (layer) {
        var tip = cell(spec, layer._pmK, col);
        if (tip !== "") {
          layer.bindTooltip(P.esc(tip), {permanent: true, direction: "center", offset: area ? [0, 0] : [0, -8],
                                         className: "pm-label pm-area-label pm-minzoom-" + z});
        }
      });
      waiting = [];
    }
    group.on("layeradd", function (e) {
      if (e.layer._pmSpec === spec) { waiting.push(e.layer); }
      bind();
    });
    group.on("add", function () {
      if (!map) {
        map = group._map;
        map.on("zoomend", bind);
      }
      bind();
    });
  }

  var addLayer = P.addLayer;
  P.addLayer = function (group, spec) {
    if (spec.parts) {
      var pool = P.pools[spec.partsFrom] || [];
      spec.geom = spec.parts.map(function (rows, k) {
        if (!rows) { return spec.geom[k]; }
        var out = [];
        for (var i = 0; i < rows.length; i++) { out.push.apply(out, lines(pool[rows[i]])); }
        return out;
      });
      delete spec.parts;
    }
    if (spec.pool) { P.pools[spec.pool] = (P.pools[spec.pool] || []).concat(spec.geom); }
    if (spec.labelMinZoom !== undefined && spec.tooltip >= 0) { labelFromZoom(group, spec); }
    if (spec.fixedRadius) {  /* a circle marker's radius to scale by zoom, or a bulk layer's flag */
      group.on("layeradd", function (e) { delete e.layer._pmR0; });
    }
    return addLayer(group, spec);
  };

  var init = P.init;
  P.init = function (map, groups, cfg) {
    function zoomClasses() {
      var z = map.getZoom(), c = map.getContainer();
      Object.keys(P.minZooms).forEach(function (m) {
        if (z < +m) { L.DomUtil.addClass(c, "pm-below-" + m); } else { L.DomUtil.removeClass(c, "pm-below-" + m); }
      });
    }
    map.on("zoomend", zoomClasses);
    zoomClasses();
    init(map, groups, cfg);
    zoomClasses();
  };
}(window));
