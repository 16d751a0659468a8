"""GML 3.2 of UKE layers, as the OGR-generated template XSDs describe it, and the offline GML stand-in.

The XSDs import GML 3.2 from schemas.opengis.net, which is not reachable
offline; validation uses a local subset of GML 3.2 with the types the
templates use (feature collection, feature member, point and line-string
properties), :data:`GML32_SUBSET`.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np

from planner.output.uke.text import WKT_COLUMN, LayerText, fixed, join_vertices, layer_text, map_distinct, row_pieces

__all__ = ["GML32_SUBSET", "GMLSF_SUBSET", "ROWS_PER_DOCUMENT", "gml_documents", "gml_text", "to_gml"]

_GML = "http://www.opengis.net/gml/3.2"
_OGR = "http://ogr.maptools.org/"
_SRS = 'srsName="urn:ogc:def:crs:EPSG::4326"'

#: The part of GML 3.2 the OGR-generated templates use (offline stand-in for gml.xsd).
GML32_SUBSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema targetNamespace="{_GML}" xmlns:gml="{_GML}" xmlns:xs="http://www.w3.org/2001/XMLSchema"
  elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:attribute name="id" type="xs:ID"/>
  <xs:attributeGroup name="SRSReferenceGroup">
    <xs:attribute name="srsName" type="xs:anyURI"/>
    <xs:attribute name="srsDimension" type="xs:positiveInteger"/>
  </xs:attributeGroup>
  <xs:complexType name="AbstractGMLType" abstract="true">
    <xs:sequence/>
    <xs:attribute ref="gml:id" use="required"/>
  </xs:complexType>
  <xs:complexType name="AbstractFeatureType" abstract="true">
    <xs:complexContent><xs:extension base="gml:AbstractGMLType"><xs:sequence/></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="AbstractFeature" type="gml:AbstractFeatureType" abstract="true"/>
  <xs:complexType name="AbstractFeatureMemberType" abstract="true"><xs:sequence/></xs:complexType>
  <xs:simpleType name="doubleList"><xs:list itemType="xs:double"/></xs:simpleType>
  <xs:complexType name="DirectPositionType">
    <xs:simpleContent><xs:extension base="gml:doubleList"><xs:attributeGroup ref="gml:SRSReferenceGroup"/>
    </xs:extension></xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="DirectPositionListType">
    <xs:simpleContent><xs:extension base="gml:doubleList"><xs:attributeGroup ref="gml:SRSReferenceGroup"/>
    <xs:attribute name="count" type="xs:positiveInteger"/></xs:extension></xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="AbstractGeometryType" abstract="true">
    <xs:complexContent><xs:extension base="gml:AbstractGMLType">
      <xs:attributeGroup ref="gml:SRSReferenceGroup"/></xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="AbstractGeometry" type="gml:AbstractGeometryType" abstract="true"/>
  <xs:element name="AbstractCurve" type="gml:AbstractGeometryType" abstract="true"
    substitutionGroup="gml:AbstractGeometry"/>
  <xs:complexType name="PointType">
    <xs:complexContent><xs:extension base="gml:AbstractGeometryType">
      <xs:sequence><xs:element name="pos" type="gml:DirectPositionType"/></xs:sequence>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="Point" type="gml:PointType" substitutionGroup="gml:AbstractGeometry"/>
  <xs:complexType name="LineStringType">
    <xs:complexContent><xs:extension base="gml:AbstractGeometryType">
      <xs:sequence><xs:element name="posList" type="gml:DirectPositionListType"/></xs:sequence>
    </xs:extension></xs:complexContent>
  </xs:complexType>
  <xs:element name="LineString" type="gml:LineStringType" substitutionGroup="gml:AbstractCurve"/>
  <xs:complexType name="PointPropertyType">
    <xs:sequence minOccurs="0"><xs:element ref="gml:Point"/></xs:sequence>
    <xs:attribute name="nilReason" type="xs:string"/>
  </xs:complexType>
  <xs:complexType name="CurvePropertyType">
    <xs:sequence minOccurs="0"><xs:element ref="gml:AbstractCurve"/></xs:sequence>
    <xs:attribute name="nilReason" type="xs:string"/>
  </xs:complexType>
</xs:schema>
"""
GMLSF_SUBSET = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema targetNamespace="http://www.opengis.net/gmlsf/2.0" xmlns:xs="http://www.w3.org/2001/XMLSchema"
  elementFormDefault="qualified">
  <xs:element name="ComplianceLevel" type="xs:integer"/>
</xs:schema>
"""


#: Features per document validated at once: libxml2 parses and validates small documents faster (their
#: trees stay in the CPU caches, and no fresh memory is mapped for them) [measured on the demo export].
ROWS_PER_DOCUMENT = 256
_XML_SPECIAL = frozenset("&<>")


def _geometries(lt: LayerText) -> list[str | np.ndarray]:
    """The pieces of each ``gml:Point`` / ``gml:LineString`` (EPSG:4326 in GML: latitude first)."""
    gid = "g" + _ids(lt.n)
    lat, lon = fixed(lt.xy[:, 1], 7), fixed(lt.xy[:, 0], 7)
    if lt.simple_points:
        return ['<gml:Point gml:id="', gid, f'" {_SRS}><gml:pos>', lat, " ", lon, "</gml:pos></gml:Point>"]
    pos = join_vertices(lat + " " + lon, lt.counts, " ")
    return [np.where(lt.is_point, '<gml:Point gml:id="', '<gml:LineString gml:id="').astype(object), gid,
            np.where(lt.is_point, f'" {_SRS}><gml:pos>', f'" {_SRS}><gml:posList>').astype(object), pos,
            np.where(lt.is_point, "</gml:pos></gml:Point>", "</gml:posList></gml:LineString>").astype(object)]


def _ids(n: int) -> np.ndarray:
    out: np.ndarray = np.arange(n).astype(str).astype(object)
    return out


def _head() -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<ogr:FeatureCollection xmlns:ogr="{_OGR}" '
            f'xmlns:gml="{_GML}" gml:id="fc">')


_TAIL = "</ogr:FeatureCollection>\n"


def _feature_pieces(lt: LayerText, element: str) -> tuple[list[str], int]:
    """The pieces of every ``ogr:featureMember``, row after row, and their number per row."""
    parts: list[str | np.ndarray] = [f'<ogr:featureMember><ogr:{element} gml:id="f', _ids(lt.n),
                                     '"><ogr:geometryProperty>', *_geometries(lt), "</ogr:geometryProperty>"]
    for c in lt.columns:
        if c == WKT_COLUMN:
            continue
        v = lt.values[c]
        if lt.specials(c) & _XML_SPECIAL:
            v = map_distinct(v, escape)
        parts += [f"<ogr:{c}>", v, f"</ogr:{c}>"]
    parts.append(f"</ogr:{element}></ogr:featureMember>")
    return row_pieces(parts, lt.n)


def gml_text(lt: LayerText, element: str) -> str:
    """A GML 3.2 feature collection of a layer's rows, as the OGR-generated template XSD describes.

    Parameters
    ----------
    lt
        The layer as text (:func:`planner.output.uke.text.layer_text`).
    element
        The feature element of the template XSD (e.g. ``z7_liniekablowe_2_szablon_20230107``).

    Returns
    -------
    str
        The document: feature ``f<i>`` with geometry ``g<i>`` for row ``i`` (0-based), then the template
        columns except ``lk03`` in order, as elements of the ``ogr`` namespace (``&``, ``<``, ``>`` escaped).
    """
    return _head() + "".join(_feature_pieces(lt, element)[0]) + _TAIL


def gml_documents(lt: LayerText, element: str, rows: int = ROWS_PER_DOCUMENT) -> Iterator[tuple[int, str]]:
    """The layer's rows as GML documents of ``rows`` features each (the last one shorter).

    Each document is :func:`gml_text` of a run of rows, with the feature and geometry ids of the whole
    layer (so together they hold exactly the features of :func:`gml_text`); a layer without rows gives
    one empty feature collection.

    Yields
    ------
    (int, str)
        The first row (0-based) of the document, and the document.
    """
    pieces, k = _feature_pieces(lt, element)
    if lt.n == 0:
        yield 0, _head() + _TAIL
    for first in range(0, lt.n, rows):
        yield first, _head() + "".join(pieces[first * k:min(first + rows, lt.n) * k]) + _TAIL


def to_gml(gdf: gpd.GeoDataFrame, element: str, columns: list[str]) -> str:
    """A GML 3.2 feature collection of the rows of a layer (see :func:`gml_text`)."""
    return gml_text(layer_text(gdf, columns), element)
