"""Generate the embedded demo area: synthetic Serock + Wieliszew (Legionowo county).

Writes ``data/demo/serock_wieliszew.gpkg`` (every layer of :mod:`planner.schema`
plus a non-spatial ``metadata`` table), ``data/demo/official_white_spots.csv``
(the "official" white-spot list with planted differences) and
``data/demo/README.md``.  The generator itself is :mod:`planner.synthetic.demo`
(one module per concept in :mod:`planner.synthetic`).

The geometry is synthetic.  Locality and street names and TERYT codes are real
(``data/teryt``).  Volumes are calibrated to the public figures of the 2025
Serock/Wieliszew FERC rollout: 7,614 white-spot address points, 438 of them
businesses, about 2/3 in Serock; ~59 km built by March 2025, ~17 km of it
underground, ~26 % of the Serock points done.

The output is deterministic: everything derives from one seeded
``numpy.random.default_rng``; running the script twice gives identical layer
contents (the GeoPackage bytes differ only by its timestamps).

Usage::

    python scripts/make_demo_area.py [--out-dir data/demo] [--seed 20250324]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from planner.synthetic.calibration import SEED
from planner.synthetic.demo import DemoArea, build_demo_area
from planner.synthetic.files import write_demo_area

__all__ = ["DemoArea", "build_demo_area", "write_demo_area", "main"]

logger = logging.getLogger("make_demo_area")

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=str(REPO / "data" / "demo"))
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    path = write_demo_area(args.out_dir, args.seed)
    logger.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
