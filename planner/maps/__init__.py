"""Maps of plans: the councillor map of one plan, the communes map of a region.

The councillor map is one self-contained HTML file a councillor opens from an
e-mail or the commune website: address points by plan status (białe plamy,
bariery inwestycyjne, grey and black points), the planned network by
deployment (and the network built), drops, the POP, poles, ducts, localities
by milestone (kamień milowy) or by build progress, the optical network
(szafy kablowe, kable, mufy, OLT) where the plan has one, and offline a light base
layer of roads and place names, each with a popup, a legend and an address
search.  The communes map shows a region's communes as choropleths of cost per
home and of white spots.

Modules, one concept each:

* :mod:`~planner.maps.texts` -- labels in Polish and English;
* :mod:`~planner.maps.columns` -- plan-layer columns as map values;
* :mod:`~planner.maps.encoding` -- column-oriented JSON of a layer;
* :mod:`~planner.maps.page` -- the self-contained page (inlined Leaflet and
  runtime, layer control, deterministic element ids) every map is built on;
* :mod:`~planner.maps.html` -- the page's text without folium (inlined assets;
  offline pages written directly, byte for byte what folium renders);
* :func:`read_plan_layers` (:mod:`planner.io.plan_dir`, the one reader of a plan directory);
* :mod:`~planner.maps.checks` -- input checks (one clear error);
* :mod:`~planner.maps.plan_layers`, :mod:`~planner.maps.areas` -- the layer
  groups of a plan;
* :mod:`~planner.maps.optical`, :mod:`~planner.maps.optical_budget` -- the
  optical network (issue #16): cabinets and their service areas, cables by
  fibre count, closures, the OLT; the network fields and optical budget of
  the address popups (runtime additions: ``assets/planner_map_network.js``);
* :mod:`~planner.maps.legend` -- legend and title box;
* :mod:`~planner.maps.councillor` -- :func:`build_map`, :func:`write_map`,
  :func:`layer_names`;
* :mod:`~planner.maps.base_layer` -- roads and place names of offline maps;
* :mod:`~planner.maps.communes` -- :func:`communes_map`,
  :func:`write_communes_map`: the map of a region's communes;
* :mod:`~planner.maps.browser` -- headless Chromium (:func:`screenshot`).

Leaflet and the runtime (``planner/assets``) are always inlined; offline maps
make no network request at all.  Output is deterministic: the same plan gives
the same bytes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from planner.schema import PLAN_LAYERS, PLAN_STATUSES

if TYPE_CHECKING:
    from planner.io.plan_dir import read_plan_layers
    from planner.maps.browser import CHROMIUM_ARGS, find_chromium, screenshot
    from planner.maps.communes import communes_map, write_communes_map
    from planner.maps.councillor import build_map, layer_names, write_map

__all__ = [
    "CHROMIUM_ARGS",
    "PLAN_LAYERS",
    "PLAN_STATUSES",
    "build_map",
    "communes_map",
    "find_chromium",
    "layer_names",
    "read_plan_layers",
    "screenshot",
    "write_communes_map",
    "write_map",
]

#: Where each name of the API lives: imported on first use, so that ``import planner.maps.browser``
#: (the screenshot process) or writing the councillor map does not import folium (see
#: :mod:`planner.maps.html`); only :func:`build_map` and the communes map need it.
_LAZY: dict[str, str] = {
    "read_plan_layers": "planner.io.plan_dir",
    "CHROMIUM_ARGS": "planner.maps.browser",
    "find_chromium": "planner.maps.browser",
    "screenshot": "planner.maps.browser",
    "communes_map": "planner.maps.communes",
    "write_communes_map": "planner.maps.communes",
    "build_map": "planner.maps.councillor",
    "layer_names": "planner.maps.councillor",
    "write_map": "planner.maps.councillor",
}


def __getattr__(name: str) -> Any:
    """The API's functions, imported from their modules on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
