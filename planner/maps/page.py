"""The self-contained map page: inlined Leaflet and runtime, layers, controls, stable ids.

Every map of the planner (the councillor map of a plan, the communes map of a
region) is one HTML file that works from e-mail or a USB stick with no
network.  This module is their common core:

* :func:`new_map` makes the folium map with Leaflet, its CSS (images as data
  URIs) and the map runtime ``assets/planner_map.js`` (with its bulk drawing,
  ``assets/planner_map_bulk.js``) inlined from :mod:`planner.assets`
  (vendored from the npm registry, see ``assets/README.md``); folium's default
  jQuery/Bootstrap/Font Awesome links are dropped.  Offline, no base tiles are
  added, so the page makes no network request at all; online, OpenStreetMap
  tiles.
* :func:`finish_map` adds the layers (:class:`~planner.maps.encoding.Group`: one
  ``folium.FeatureGroup`` each, listed in the layer control, its features as
  one JSON data block, see :mod:`planner.maps.encoding`), the layer control,
  the runtime's ``plannerMap.init`` call (legend, title box, search,
  attribution, drawing order), and renumbers folium's random element ids from
  a counter, so the same input gives the same bytes.

Writing an offline page needs none of this: :func:`planner.maps.html.page_html`
gives the same bytes without folium (the assets are inlined by the same
helpers of :mod:`planner.maps.html`).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from planner.maps.encoding import Group, dumps
from planner.maps.html import asset, head_assets, inline

__all__ = ["Group", "add_runtime", "finish_map", "new_map"]


class _Macro(MacroElement):
    """A MacroElement whose rendered macros go into the page as they are.

    branca's ``MacroElement.render`` wraps each rendered macro in an
    ``Element``, which compiles it as a Jinja template again: for the layers'
    megabytes of JSON that took a third of a second (and would read ``{#`` in
    a value as the start of a comment).  Here the text is added literally,
    with the one trailing newline Jinja drops removed, so the page is the same.
    """

    def render(self, **kwargs: Any) -> str:
        """Add the rendered macros to the page's header, body and script; render the children."""
        figure = self.get_root()
        assert isinstance(figure, Figure)
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part)
            if macro is not None:
                text = str(macro(self, kwargs))
                getattr(figure, part).add_child(_Raw(text[:-1] if text.endswith("\n") else text),
                                                name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
        return ""


class _LayerData(_Macro):
    """A layer's compact spec as a JSON data block, and the script filling its parent FeatureGroup.

    The data sits in ``<script type="application/json">`` and is read with
    ``JSON.parse``, which browsers parse much faster than a JavaScript literal.
    """

    _template = Template(
        "{% macro html(this, kwargs) %}\n"
        "<script type=\"application/json\" id=\"{{ this.get_name() }}\">{{ this.payload }}</script>\n"
        "{% endmacro %}\n"
        "{% macro script(this, kwargs) %}\n"
        "plannerMap.addLayer({{ this._parent.get_name() }}, "
        "JSON.parse(document.getElementById(\"{{ this.get_name() }}\").textContent));\n"
        "{% endmacro %}"
    )

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement.__init__ is unannotated
        self._name = "LayerData"
        self.payload = dumps(spec)


class _Init(_Macro):
    """Legend, title box, search, attribution and draw order; added last."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "plannerMap.init({{ this._parent.get_name() }}, "
        "[{% for g in this.draw_order %}{{ g.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}], "
        "{{ this.payload }});\n"
        "{% endmacro %}"
    )

    def __init__(self, draw_order: list[folium.FeatureGroup], cfg: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement.__init__ is unannotated
        self._name = "PlannerInit"
        self.draw_order = draw_order
        self.payload = dumps(cfg)


class _Raw(Element):
    """Literal HTML in the page header (no template processing)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _renumber(root: Element) -> None:
    """Replace folium's random element ids with a counter (deterministic HTML)."""
    counter = 0
    stack = [root]
    while stack:
        el = stack.pop(0)
        el._id = f"{counter:04d}"
        counter += 1
        stack[:0] = list(el._children.values())


def new_map(
    bounds: tuple[float, float, float, float],
    *,
    title: str,
    offline: bool,
    zoom_start: int = 13,
) -> folium.Map:
    """An empty self-contained map page: Leaflet, its CSS and the map runtime inlined.

    Parameters
    ----------
    bounds
        ``(south, west, north, east)`` of the content, degrees; the map opens
        at its centre (the runtime then fits the view to it).
    title
        Title of the browser tab (escaped here).
    offline
        ``True``: no base tiles (no network request at all); ``False``:
        OpenStreetMap tiles.
    zoom_start
        Initial zoom before the runtime fits the bounds.

    Returns
    -------
    folium.Map
    """
    south, west, north, east = bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=zoom_start, tiles=None,
                   control_scale=False, prefer_canvas=True)
    m.default_js = []  # jQuery, Bootstrap, awesome-markers: not used; Leaflet is inlined below
    m.default_css = []
    m.options["max_zoom"] = 19
    m.options["zoom_snap"] = 0.5  # finer fit of the content between the panels
    if not offline:
        folium.TileLayer("OpenStreetMap", control=False, max_zoom=19).add_to(m)
    fig = m.get_root()
    assert isinstance(fig, Figure)
    fig.title = html.escape(title)
    names = ("leaflet_css", "planner_css", "leaflet_js", "planner_js", "planner_bulk_js")
    for name, text in zip(names, head_assets(), strict=True):
        fig.header.add_child(_Raw(text), name=name)
    return m


def add_runtime(m: folium.Map, name: str) -> folium.Map:
    """Inline one more script of :mod:`planner.assets` after the map runtime.

    Used for runtime parts only some maps need (the optical network's
    ``planner_map_network.js``), so that maps without them keep their bytes.

    Parameters
    ----------
    m
        A map from :func:`new_map`, before :func:`finish_map`.
    name
        File name in ``planner/assets``.

    Returns
    -------
    folium.Map
        ``m``.
    """
    fig = m.get_root()
    assert isinstance(fig, Figure)
    fig.header.add_child(_Raw(inline("script", asset(name).decode("utf-8"))), name=name.replace(".", "_"))
    return m


def finish_map(
    m: folium.Map,
    groups: list[Group],
    cfg: dict[str, Any],
    draw_rank: Callable[[str], Any],
) -> folium.Map:
    """Add the layers, the layer control and the runtime's init call; make the ids deterministic.

    Parameters
    ----------
    m
        A map from :func:`new_map`.
    groups
        The layers, in layer-control order.
    cfg
        Options of ``plannerMap.init`` (``legend``, ``themes``, ``info``,
        ``attribution``, ``bounds``, ``search``; see ``planner_map.js``).
    draw_rank
        Sort key of a group's key: lower ranks are drawn first (below).

    Returns
    -------
    folium.Map
        ``m``.
    """
    fgs: dict[str, folium.FeatureGroup] = {}
    for g in groups:
        # show=False: plannerMap.init adds the groups once the view is set (see planner_map.js)
        fg = folium.FeatureGroup(name=g.name, show=False, overlay=not g.base)
        fg.add_child(_LayerData({**g.spec, "show": g.show}))
        m.add_child(fg)
        fgs[g.key] = fg
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    draw_order = [fgs[k] for k in sorted(fgs, key=draw_rank)]
    m.add_child(_Init(draw_order, cfg))
    _renumber(m.get_root())
    return m
