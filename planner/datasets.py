"""Paths of the data files bundled with the planner (demo area and real fixtures).

Like :mod:`momepy.datasets`, this module only resolves paths; it reads nothing
and has no import-time side effects.

The data ships **in the repository**, in the ``data/`` directory next to the
``planner/`` package (``planner/../data``), not in the installed wheel: use an
editable install (``pip install -e .``, what ``make`` does) or a source
checkout.  ``data/SOURCES.md`` gives the origin and licence of every file
(OpenStreetMap data is © OpenStreetMap contributors, ODbL 1.0).

Examples
--------
>>> from planner import datasets
>>> datasets.get_path("demo").name
'serock_wieliszew.gpkg'
>>> "helsinki" in datasets.available()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "available", "get_path"]

#: The ``data/`` directory of the source tree.
DATA_DIR: Path = Path(__file__).resolve().parent.parent / "data"

# name -> path relative to DATA_DIR, with a one-line description.
_DATASETS: dict[str, tuple[str, str]] = {
    "demo": ("demo/serock_wieliszew.gpkg",
             "Synthetic Serock + Wieliszew demo area, all layers (GeoPackage)."),
    "demo_official_list": ("demo/official_white_spots.csv",
                           "Official white-spot list of the demo area, with planted differences."),
    "demo_as_built": ("demo/serock_wieliszew.gpkg",
                      "Demo area GeoPackage; the as-built example is its 'as_built' layer."),
    "demo_config": ("demo/planner.toml", "Configuration of the demo area (contract milestones by village)."),
    "demo_readme": ("demo/README.md", "Description of the demo area (bounds, planted cases)."),
    "helsinki": ("osm/helsinki_center.osm.pbf",
                 "OSM PBF, Helsinki centre: street lamps, utility poles, addresses."),
    "kotka": ("osm/kotka_suburb.osm.pbf", "OSM PBF, Kotka suburb: buildings, almost no addresses."),
    "kirchberg": ("osm/kirchberg_iller_village.osm", "OSM XML, Kirchberg an der Iller village."),
    "prg2012": ("prg/prg_punkty_adresowe_model2012_sample.xml",
                "PRG address points, GML model 2012 (northing-easting)."),
    "prg2021": ("prg/prg_punkty_adresowe_model2021_sample.gml",
                "PRG address points, GML model 2021 (easting-northing)."),
    "uke_ua_csv": ("uke/zestaw7_csv/z7_uslugi_wadresach_2_szablon_20230131.csv",
                   "UKE inventory 'usługi w adresach' template, CSV."),
    "uke_ua_geojson": ("uke/zestaw7_geojson/z7_uslugi_wadresach_2_szablon_20230131.geojson",
                       "UKE inventory 'usługi w adresach' template, GeoJSON."),
    "uke_xsd_dir": ("uke/zestaw7_xsd", "Directory of the UKE zestaw 7 XSD schemas."),
    "uke_codelists": ("uke/slowniki_inwentaryzacja_uke.txt", "UKE inventory code lists (text dump)."),
    "sidusis": ("uke/sidusis/sidusis_example.csv", "SIDUSIS CSV example (DI/PO/ZS records)."),
    "teryt_simc": ("teryt/simc_serock_wieliszew.csv", "TERYT SIMC rows of Serock and Wieliszew (55 localities)."),
    "teryt_ulic": ("teryt/ulic_serock_wieliszew.csv", "TERYT ULIC rows of Serock and Wieliszew (919 streets)."),
    "teryt_terc": ("teryt/TERC_Urzedowy_2025-11-18.xml", "Official GUS TERC file."),
}


def available() -> list[str]:
    """Names accepted by :func:`get_path`, sorted.

    Returns
    -------
    list of str
    """
    return sorted(_DATASETS)


def get_path(name: str) -> Path:
    """Path of a bundled dataset.

    Parameters
    ----------
    name
        One of :func:`available`, e.g. ``"demo"``, ``"helsinki"``, ``"prg2012"``.

    Returns
    -------
    pathlib.Path
        Absolute path inside the repository's ``data/`` directory.  The path is
        not checked for existence (a checkout without ``data/`` gives a path
        that does not exist).

    Raises
    ------
    ValueError
        If ``name`` is not a known dataset; the message lists the known names.
    """
    try:
        rel, _ = _DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown dataset {name!r}; available datasets: {', '.join(available())}"
        ) from None
    return DATA_DIR / rel
