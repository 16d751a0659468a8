"""Generate a deterministic synthetic region of N communes (for plan-many tests and benchmarks).

Real commune codes and names (TERC) from ``data/teryt``, real locality and
street names under synthetic SIMC codes, and the demo area's geometry rules
(:mod:`planner.synthetic.region`).  Two layouts, see
:func:`planner.synthetic.files.write_region_areas` and
:func:`planner.synthetic.files.write_region_national`:

* ``areas/``: one study area per commune, ``<TERC>.gpkg`` (input of
  ``planner plan-many --areas``);
* ``national/``: national layers (address points GeoParquet with TERC, an OSM
  ``.osm.pbf`` with roads, poles and POPs, coverage, buildings, ducts, parcels,
  commune boundaries) -- input of ``planner plan-many --addresses ... --osm ...``.

Usage::

    python scripts/make_region.py --communes 6 --out out/region [--layout areas|national|both]
        [--bad 1401032] [--villages 3 5] [--max-streets 6] [--seed 20250725]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from planner.synthetic.files import write_region_areas, write_region_national
from planner.synthetic.region import REGION_SEED, RegionSpec, iter_region

logger = logging.getLogger("make_region")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--communes", type=int, default=6, help="number of communes")
    ap.add_argument("--out", type=Path, default=Path("out/region"), help="output directory")
    ap.add_argument("--layout", choices=("areas", "national", "both"), default="both")
    ap.add_argument("--voivodeship", default="14", help="TERC voivodeship code the communes start from")
    ap.add_argument("--bad", action="append", default=[], metavar="TERC",
                    help="plant a bad commune (no POP); repeatable")
    ap.add_argument("--villages", type=int, nargs=2, default=list(RegionSpec().villages), metavar=("MIN", "MAX"))
    ap.add_argument("--max-streets", type=int, default=RegionSpec().max_streets)
    ap.add_argument("--seed", type=int, default=REGION_SEED)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("pyogrio", "planner.synthetic.links"):
        logging.getLogger(name).setLevel(logging.WARNING)
    spec = RegionSpec(villages=tuple(args.villages), max_streets=args.max_streets)
    t0 = time.perf_counter()
    communes = list(iter_region(args.communes, args.seed, voivodeship=args.voivodeship, spec=spec))
    n_addr = sum(len(c.layers["addresses"]) for c in communes)
    logger.info("generated %d communes, %d address points in %.1f s", len(communes), n_addr,
                time.perf_counter() - t0)
    bad = frozenset(args.bad)
    if args.layout in ("areas", "both"):
        paths = write_region_areas(communes, args.out / "areas", bad=bad)
        logger.info("wrote %d study areas to %s", len(paths), args.out / "areas")
    if args.layout in ("national", "both"):
        paths = write_region_national(communes, args.out / "national", bad=bad)
        logger.info("wrote national layers to %s: %s", args.out / "national", ", ".join(p.name for p in paths.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
