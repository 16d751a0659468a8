"""The text of a map page, without folium: the inlined assets, and the offline page as folium renders it.

Every map is a folium/Leaflet page (:mod:`planner.maps.page`), but writing one
does not need folium: importing it (with branca, jinja2 and requests) and
building and rendering its element tree takes about as long as drawing the
councillor map's layers.  :func:`page_html` writes the same bytes directly for
offline pages (no tile layer): the page skeleton of folium's ``Map``,
``FeatureGroup`` and ``LayerControl`` templates with the element ids
:func:`planner.maps.page.finish_map` gives, the layers' JSON data blocks and
the runtime's init call.  ``tests/test_maps_html.py`` checks byte identity with
folium's rendering of the same page; an online page (OpenStreetMap tiles) is
rendered by folium.

The helpers :func:`asset`, :func:`inline_css` and :func:`inline` read and
inline ``planner/assets`` (Leaflet, its CSS with images as data URIs, the map
runtime) for both renderers.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from planner.maps.encoding import Group, dumps

__all__ = ["asset", "head_assets", "inline", "inline_css", "page_html"]


def asset(name: str) -> bytes:
    """A file of :mod:`planner.assets`.

    Parameters
    ----------
    name
        Path relative to ``planner/assets``, e.g. ``'leaflet/leaflet.js'``.

    Returns
    -------
    bytes
    """
    return resources.files("planner").joinpath("assets", name).read_bytes()


def inline_css(name: str) -> str:
    """CSS of :mod:`planner.assets` with its ``url(images/...)`` references replaced by data URIs.

    Parameters
    ----------
    name
        Path of the stylesheet relative to ``planner/assets``; its images are
        looked up next to it.

    Returns
    -------
    str
    """
    css = asset(name).decode("utf-8")
    folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""

    def _data_uri(m: re.Match[str]) -> str:
        data = base64.b64encode(asset(folder + m.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w\-.]+\.png)\)", _data_uri, css)


def inline(tag: str, text: str) -> str:
    """``text`` in a ``<style>`` or ``<script>`` element.

    Parameters
    ----------
    tag
        ``'style'`` or ``'script'``.
    text
        The stylesheet or script.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        ``text`` contains the element's end tag.
    """
    if f"</{tag}" in text.lower():
        raise ValueError(f"asset cannot be inlined: it contains '</{tag}'")
    return f"<{tag}>\n{text}\n</{tag}>"


def head_assets(runtime: Sequence[str] = ()) -> list[str]:
    """The ``<head>`` elements of every map page, in page order.

    Parameters
    ----------
    runtime
        Runtime additions of :mod:`planner.assets` inlined after the map runtime.

    Returns
    -------
    list of str
        Leaflet's CSS (images inlined), the planner's CSS, Leaflet, the map
        runtime (``planner_map.js``, then its bulk drawing
        ``planner_map_bulk.js``) and the additions.
    """
    return [inline("style", inline_css("leaflet/leaflet.css")), inline("style", asset("planner_map.css").decode()),
            inline("script", asset("leaflet/leaflet.js").decode()), inline("script", asset("planner_map.js").decode()),
            inline("script", asset("planner_map_bulk.js").decode()),
            *(inline("script", asset(name).decode("utf-8")) for name in runtime)]


# --- folium's page skeleton (folium 0.17-0.20: Figure, Map, FeatureGroup, LayerControl) -------------------

_META = '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
_MAP_HEADER = """
            <meta name="viewport" content="width=device-width,
                initial-scale=1.0, maximum-scale=1.0, user-scalable=no" />
            <style>
                #{map} {{
                    position: relative;
                    width: 100.0%;
                    height: 100.0%;
                    left: 0.0%;
                    top: 0.0%;
                }}
                .leaflet-container {{ font-size: 1rem; }}
            </style>

            <style>html, body {{
                width: 100%;
                height: 100%;
                margin: 0;
                padding: 0;
            }}
            </style>

            <style>#map {{
                position:absolute;
                top:0;
                bottom:0;
                right:0;
                left:0;
                }}
            </style>

            <script>
                L_NO_TOUCH = false;
                L_DISABLE_3D = false;
            </script>

        """
_MAP_HTML = '\n            <div class="folium-map" id="{map}" ></div>\n        '
_MAP_SCRIPT = """
            var {map} = L.map(
                "{map}",
                {{
                    center: {center},
                    crs: L.CRS.EPSG3857,
                    ...{{
  "zoom": {zoom},
  "zoomControl": true,
  "preferCanvas": true,
  "maxZoom": 19,
  "zoomSnap": 0.5,
}}

                }}
            );

            \n\n        """
_GROUP_SCRIPT = "\n            var {group} = L.featureGroup(\n                {{\n}}\n            );\n        "
_DATA_HTML = '\n<script type="application/json" id="{data}">{payload}</script>'
_DATA_SCRIPT = '\nplannerMap.addLayer({group}, JSON.parse(document.getElementById("{data}").textContent));'
_CONTROL_SCRIPT = """
            var {control}_layers = {{
                base_layers : {{{base}
                }},
                overlays :  {{{overlays}
                }},
            }};
            let {control} = L.control.layers(
                {control}_layers.base_layers,
                {control}_layers.overlays,
                {{
  "position": "topright",
  "collapsed": false,
  "autoZIndex": true,
}}
            ).addTo({map});

        """
_INIT_SCRIPT = "\nplannerMap.init({map}, [{order}], {payload});"


def _tojson(text: str) -> str:
    """Jinja's ``tojson`` filter of a string (HTML-safe JSON)."""
    return (json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


def page_html(
    *,
    title: str,
    center: tuple[float, float],
    groups: Sequence[Group],
    init: dict[str, Any],
    draw_rank: Callable[[str], Any],
    runtime: Sequence[str] = (),
    zoom_start: int = 13,
) -> str:
    """The offline page :func:`planner.maps.page.new_map` + :func:`~planner.maps.page.finish_map` render.

    Parameters
    ----------
    title
        Title of the browser tab (escaped here).
    center
        ``(lat, lon)`` the map opens at (the middle of the content's bounds).
    groups
        The layers, in layer-control order.
    init
        Options of ``plannerMap.init``.
    draw_rank
        Sort key of a group's key: lower ranks are drawn first.
    runtime
        Runtime additions inlined after the map runtime (:func:`planner.maps.page.add_runtime`).
    zoom_start
        Initial zoom before the runtime fits the bounds.

    Returns
    -------
    str
        The page, byte for byte what folium renders for it.
    """
    # Element ids as planner.maps.page._renumber gives them: the figure 0, the map 1, then each
    # group and its data block, the layer control, the init call.
    map_name = "map_0001"
    names = [(f"feature_group_{2 + 2 * i:04d}", f"layer_data_{3 + 2 * i:04d}") for i in range(len(groups))]
    control = f"layer_control_{2 + 2 * len(groups):04d}"
    lat, lon = center
    heads = [_META, *head_assets(runtime), _MAP_HEADER.format(map=map_name)]
    bodies = [_MAP_HTML.format(map=map_name)]
    scripts = [_MAP_SCRIPT.format(map=map_name, center=json.dumps([float(lat), float(lon)]), zoom=int(zoom_start))]
    base: dict[str, str] = {}
    overlays: dict[str, str] = {}
    by_key: dict[str, str] = {}
    for g, (group, data) in zip(groups, names):
        bodies.append(_DATA_HTML.format(data=data, payload=dumps({**g.spec, "show": g.show})))
        scripts.append(_GROUP_SCRIPT.format(group=group))
        scripts.append(_DATA_SCRIPT.format(group=group, data=data))
        (base if g.base else overlays)[g.name] = group
        by_key[g.key] = group
    scripts.append(_CONTROL_SCRIPT.format(
        control=control, map=map_name,
        base="".join(f"\n                    {_tojson(k)} : {v}," for k, v in base.items()),
        overlays="".join(f"\n                    {_tojson(k)} : {v}," for k, v in overlays.items())))
    order = ", ".join(by_key[k] for k in sorted(by_key, key=draw_rank))
    scripts.append(_INIT_SCRIPT.format(map=map_name, order=order, payload=dumps(init)))
    head = (f"<title>{html.escape(title)}</title>" if title else "") + "    " + "".join("\n    " + h for h in heads)
    return ("<!DOCTYPE html>\n<html>\n<head>\n" + head + "\n</head>\n<body>\n    "
            + "".join("\n    " + b for b in bodies) + "\n</body>\n<script>\n    "
            + "".join("\n    " + s for s in scripts) + "\n</script>\n</html>")
