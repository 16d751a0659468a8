"""Synthetic study areas: the embedded demo area and synthetic regions of many communes.

The geometry rules live in one module per concept:

* :mod:`~planner.synthetic.teryt` -- real TERYT names and codes (``data/teryt``);
* :mod:`~planner.synthetic.layout` -- local layout of a town or village (streets, houses, tracks);
* :mod:`~planner.synthetic.localities` -- where localities lie, the ``localities`` layer;
* :mod:`~planner.synthetic.links` -- inter-village roads;
* :mod:`~planner.synthetic.network` -- the assembled road network and the ``roads`` layer;
* :mod:`~planner.synthetic.addresses` -- numbering, ids, ``addresses`` and ``new_buildings``;
* :mod:`~planner.synthetic.buildings` -- building footprints;
* :mod:`~planner.synthetic.coverage` -- operator offers;
* :mod:`~planner.synthetic.infrastructure` -- poles, ducts and POPs;
* :mod:`~planner.synthetic.parcels` -- private tracks, consents and parcels;
* :mod:`~planner.synthetic.as_built`, :mod:`~planner.synthetic.official`,
  :mod:`~planner.synthetic.calibration`, :mod:`~planner.synthetic.readme` -- the demo's
  calibrated extras;
* :mod:`~planner.synthetic.demo` -- the demo area (Serock + Wieliszew);
* :mod:`~planner.synthetic.region` -- a synthetic region of N communes;
* :mod:`~planner.synthetic.files` -- writing them.

Scripts: ``scripts/make_demo_area.py`` and ``scripts/make_region.py``.
"""
