"""Write synthetic areas to files: the demo directory and the region's study areas and national layers.

Every file is written under a temporary name and renamed into place, so a
failure leaves no partial output.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pyogrio

from planner.synthetic.calibration import SEED
from planner.synthetic.demo import DemoArea, build_demo_area
from planner.synthetic.readme import demo_readme

__all__ = ["write_demo_area"]


def write_demo_area(out_dir: Path | str, seed: int = SEED, demo: DemoArea | None = None) -> Path:
    """Generate the demo area and write gpkg, official list and README into ``out_dir``.

    Files are written to temporary names and renamed, so a failure leaves no
    partial output.

    Parameters
    ----------
    out_dir
        Target directory (created when missing).
    seed
        Seed of the generator.
    demo
        An already built area to write instead (``seed`` is then ignored).

    Returns
    -------
    pathlib.Path
        Path of the GeoPackage.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    demo = demo if demo is not None else build_demo_area(seed)
    gpkg = out_dir / "serock_wieliszew.gpkg"
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        tmp_gpkg = Path(tmp) / gpkg.name
        for name, gdf in demo.layers.items():
            pyogrio.write_dataframe(gdf, tmp_gpkg, layer=name, driver="GPKG",
                                    layer_options={"SPATIAL_INDEX": "NO"})
        pyogrio.write_dataframe(demo.metadata, tmp_gpkg, layer="metadata", driver="GPKG")
        tmp_csv = Path(tmp) / "official_white_spots.csv"
        demo.official_list.to_csv(tmp_csv, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        tmp_md = Path(tmp) / "README.md"
        tmp_md.write_text(demo_readme(demo), encoding="utf-8")
        os.replace(tmp_gpkg, gpkg)
        os.replace(tmp_csv, out_dir / "official_white_spots.csv")
        os.replace(tmp_md, out_dir / "README.md")
    return gpkg
