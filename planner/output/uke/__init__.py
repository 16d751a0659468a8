"""Export a planned network as the UKE inventory ("zestaw 7") layers.

The operator reports its network to the President of UKE every year
(Dz.U. 2022 poz. 2796).  This module writes the planned network in the
official template columns (``data/uke/zestaw7_csv``) as CSV and GeoJSON
(EPSG:4326), and checks every row against the XSD of the template
(``data/uke/zestaw7_xsd``, validated with libxml2 through :mod:`lxml`) and against the
code lists (``data/uke/slowniki_inwentaryzacja_uke.txt``).

Layers written
--------------
``z7_liniekablowe`` (cable lines, ``lk01``–``lk12``)
    One line per run of the tree between *break nodes* (the POP, branching
    nodes, cable ends, and nodes where the kind of line changes), so each
    line has one ``lk06`` kind.  ``lk03`` is the WKT ``LINESTRING(lon lat,
    ...)`` in EPSG:4326 (longitude first, as in the template).  ``lk06``:

    * aerial on commune lighting or power poles -> "Linia kablowa nadziemna na
      podbudowie elektroenergetycznej, oświetleniowej lub trakcyjnej";
    * aerial on telecom poles -> "Linia kablowa nadziemna na podbudowie
      słupowej telekomunikacyjnej";
    * reused duct (the ``ducts`` layer holds kanały technologiczne) -> "Linia
      kablowa umieszczona w kanale technologicznym";
    * trench -> "Linia kablowa umieszczona w kanalizacji kablowej (w tym w
      rurociągu kablowym, mikrokanalizacji)" because FTTH trenches lay a
      microduct the cable is blown into [A]; with
      ``trench_in_microduct=False`` "Linia kablowa podziemna (umieszczona
      bezpośrednio w ziemi)".

    ``lk07`` fibres: the smallest standard cable size (12, 24, 48, 72, 96,
    144, 288, 576) that holds one fibre per target point downstream plus 20 %
    reserve [A]; ``lk08`` the fibres used (points downstream); ``lk09`` 0.
    ``lk10`` = "Tak" (public funding, FERC) and ``lk11`` the project number.
``z7_punkty_elastycznosci`` (flexibility points, ``pe01``–``pe15``)
    Every pole the cable hangs on (``pe02`` "10" maszt oświetleniowy for
    commune street lamps, "12" słup for telecom and power poles) and a closure
    ("03" mufa kablowa) at every break node except the POP.  Address fields
    (TERC/SIMC/ULIC/number) are those of the nearest address point; ``pe04``
    (punkt dostępu użytkownika) is "Tak" for closures that serve drops.
``z7_uslugi_wadresach`` (services at address points, ``ua01``–``ua22``)
    The planned coverage: every connected target point, fibre ("światłowodowe"),
    GPON, 1000 Mb/s (speed code "20"), 0 users (not sold yet), the flexibility
    point nearest to where its drop leaves the network.

The POP is referenced as the node (węzeł) ``W_<pop id>``; the węzły layer
itself is not exported.

Modules: :mod:`~planner.output.uke.templates` (templates, code lists),
:mod:`~planner.output.uke.tables` (the rows), :mod:`~planner.output.uke.text`
(the CSV and GeoJSON text, built column-wise), :mod:`~planner.output.uke.gml` (GML for the XSD
check), :mod:`~planner.output.uke.validate`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from planner.output import files
from planner.output.uke.tables import uke_layers, uke_tables
from planner.output.uke.templates import LK06, UKE_LAYERS, code_lists, template_columns
from planner.output.uke.text import csv_text, geojson_text
from planner.output.uke.validate import validate_layers, validate_uke

__all__ = ["LK06", "UKE_LAYERS", "code_lists", "export_uke", "template_columns", "uke_tables", "validate_uke"]

logger = logging.getLogger(__name__)


def export_uke(plan_or_layers: Any, out_dir: str | Path, *, operator_id: str = "OP",
               project_number: str | None = None, trench_in_microduct: bool = True,
               validate: bool = True, uke_dir: str | Path | None = None) -> dict[str, Path]:
    """Write the UKE inventory layers of a plan (CSV + GeoJSON) and validate them.

    Parameters
    ----------
    plan_or_layers
        A plan or its layers (see :func:`uke_tables`).
    out_dir
        Directory to write into (created).
    operator_id, project_number, trench_in_microduct, uke_dir
        See :func:`uke_tables`.
    validate
        Validate every row against the template XSD and the code lists
        (:func:`validate_uke`); an invalid export raises.

    Returns
    -------
    dict
        ``'lk_csv'``, ``'lk_geojson'``, ``'pe_csv'``, ... -> written path.

    Raises
    ------
    InputDataError
        A row fails the XSD or a code list.
    """
    layers = uke_layers(plan_or_layers, operator_id=operator_id, project_number=project_number,
                        trench_in_microduct=trench_in_microduct)
    # each layer is turned into text once (no table), for the XSD check, the CSV and the GeoJSON
    texts = {key: layer.text(template_columns(key, uke_dir)) for key, layer in layers.items()}
    if validate:
        validate_layers(texts, uke_dir=uke_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for key, lt in texts.items():
        stem = UKE_LAYERS[key].replace("_szablon_20230131", "")
        paths[f"{key}_csv"] = files.write_text(csv_text(lt), out / f"{stem}.csv")
        paths[f"{key}_geojson"] = files.write_text(geojson_text(lt, stem), out / f"{stem}.geojson")
    logger.info("UKE export: %d cable lines, %d flexibility points, %d address points",
                texts["lk"].n, texts["pe"].n, texts["ua"].n)
    return paths
