"""Stream a PRG GML file in blocks of address points, each read by :func:`planner.io.read_prg`.

A PRG GML file (either model) holds the address points and the localities,
streets and administrative units they point to with xlinks, anywhere in the
file.  :func:`iter_prg_gml` reads it twice with :func:`xml.etree.ElementTree.iterparse`:
first it keeps the (few) referenced features -- localities, streets, units --
as XML text, then it cuts the points into blocks and hands each block, with
the features its points refer to, to :func:`planner.io.read_prg` as a small
GML document.  So every block is mapped by the one PRG reader of the project,
and memory holds one block plus the dictionaries, never the file's points.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd

from planner._errors import InputDataError, Problem

__all__ = ["iter_prg_gml"]

#: Local names of the features points refer to (models 2012 and 2021).
_REFERENCED = frozenset({"PRG_JednostkaAdministracyjnaNazwa", "PRG_MiejscowoscNazwa", "PRG_UlicaNazwa",
                         "AD_Miejscowosc", "AD_UlicaPlac"})
#: Local names of address points.
_POINTS = frozenset({"PRG_PunktAdresowy", "AD_PunktAdresowy"})
_GML_ID = "{http://www.opengis.net/gml/3.2}id"
_HREF = "{http://www.w3.org/1999/xlink}href"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _key(href: str) -> str:
    """The gml:id an xlink points to (``#id`` or ``.../id``)."""
    href = href.strip()
    return href[1:] if href.startswith("#") else href.rsplit("/", 1)[-1]


def _features(path: Path, names: frozenset[str]) -> Iterator[ET.Element]:
    """Completed elements with a local name in ``names``, removed from the tree once yielded."""
    stack: list[ET.Element] = []
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                stack.append(elem)
                continue
            stack.pop()
            if _local(elem.tag) in names:
                yield elem
                if stack:
                    stack[-1].remove(elem)
    except ET.ParseError as exc:
        raise InputDataError(f"cannot parse {path}", [Problem(
            file=str(path), message=f"not well-formed XML: {exc}",
            fix="check that the file is a complete PRG GML/XML export (not truncated)")]) from None


def iter_prg_gml(path: str | Path, rows: int = 200_000) -> Iterator[gpd.GeoDataFrame]:
    """The address points of a PRG GML file in blocks of ``rows``, as :func:`planner.io.read_prg` maps them.

    Parameters
    ----------
    path
        PRG GML/XML file, model 2012 or 2021.
    rows
        Address points per block.

    Yields
    ------
    geopandas.GeoDataFrame
        The ``addresses`` schema (EPSG:2180), in file order.

    Raises
    ------
    InputDataError
        Malformed XML, or what :func:`planner.io.read_prg` raises for a block.
    """
    from planner.io import read_prg

    path = Path(path)
    refs: dict[str, bytes] = {}
    for elem in _features(path, _REFERENCED):
        refs[elem.get(_GML_ID, "")] = ET.tostring(elem)
    block: list[bytes] = []
    wanted: set[str] = set()

    def flush() -> gpd.GeoDataFrame:
        fd, tmp = tempfile.mkstemp(suffix=".gml", prefix=".prg-block-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(b"<block>")
                for k in sorted(wanted & refs.keys()):
                    fh.write(refs[k])
                fh.writelines(block)
                fh.write(b"</block>")
            return read_prg(tmp)
        except InputDataError as exc:  # name the real file, not the block
            raise InputDataError(f"cannot read the PRG address points of {path}",
                                 [dataclasses.replace(p, file=str(path)) for p in exc.problems]) from None
        finally:
            os.unlink(tmp)

    for elem in _features(path, _POINTS):
        block.append(ET.tostring(elem))
        wanted.update(_key(e.get(_HREF, "")) for e in elem.iter() if e.get(_HREF))
        if len(block) >= rows:
            yield flush()
            block, wanted = [], set()
    if block:
        yield flush()
