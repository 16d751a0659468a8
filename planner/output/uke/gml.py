"""GML 3.2 of UKE layers, as the OGR-generated template XSDs describe it, and the offline GML stand-in.

The XSDs import GML 3.2 from schemas.opengis.net, which is not reachable
offline; validation uses a local subset of GML 3.2 with the types the
templates use (feature collection, feature member, point and line-string
properties), :data:`GML32_SUBSET`.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import geopandas as gpd
import shapely

__all__ = ["GML32_SUBSET", "GMLSF_SUBSET", "to_gml"]

_GML = "http://www.opengis.net/gml/3.2"
_OGR = "http://ogr.maptools.org/"

_GML = "http://www.opengis.net/gml/3.2"
_OGR = "http://ogr.maptools.org/"

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


def _gml_geometry(geom: Any, gid: str) -> str:
    c = shapely.get_coordinates(geom)
    srs = 'srsName="urn:ogc:def:crs:EPSG::4326"'
    if geom.geom_type == "Point":  # EPSG:4326 in GML: latitude first
        return f'<gml:Point gml:id="{gid}" {srs}><gml:pos>{c[0, 1]:.7f} {c[0, 0]:.7f}</gml:pos></gml:Point>'
    pos = " ".join(f"{y:.7f} {x:.7f}" for x, y in c)
    return f'<gml:LineString gml:id="{gid}" {srs}><gml:posList>{pos}</gml:posList></gml:LineString>'


def to_gml(gdf: gpd.GeoDataFrame, element: str, columns: list[str]) -> str:
    """A GML 3.2 feature collection of the rows, as the OGR-generated template XSD describes."""
    props = [c for c in columns if c != "lk03_punkty_zalamania"]
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ogr:FeatureCollection xmlns:ogr="{_OGR}" '
             f'xmlns:gml="{_GML}" gml:id="fc">']
    for i, (row, geom) in enumerate(zip(gdf[props].itertuples(index=False, name=None), gdf.geometry)):
        body = "".join(f"<ogr:{c}>{escape(str(v))}</ogr:{c}>" for c, v in zip(props, row))
        parts.append(f'<ogr:featureMember><ogr:{element} gml:id="f{i}"><ogr:geometryProperty>'
                     f"{_gml_geometry(geom, f'g{i}')}</ogr:geometryProperty>{body}</ogr:{element}>"
                     "</ogr:featureMember>")
    parts.append("</ogr:FeatureCollection>\n")
    return "".join(parts)
