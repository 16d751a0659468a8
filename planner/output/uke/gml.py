"""GML 3.2 of UKE layers, as the OGR-generated template XSDs describe it, and the offline GML stand-in.

The XSDs import GML 3.2 from schemas.opengis.net, which is not reachable
offline; validation uses a local subset of GML 3.2 with the types the
templates use (feature collection, feature member, point and line-string
properties), :data:`GML32_SUBSET`.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["GML32_SUBSET", "GMLSF_SUBSET", "text_columns", "to_gml"]

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


def text_columns(df: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """The columns as object arrays of ``str`` (``""`` for missing values)."""
    return {c: df[c].astype(object).where(df[c].notna(), "").astype(str).to_numpy(dtype=object) for c in columns}


def _escaped(values: np.ndarray) -> np.ndarray:
    if any(("&" in v or "<" in v or ">" in v) for v in values):
        return np.array([escape(v) for v in values], dtype=object)
    return values


def _geometries(geoms: np.ndarray, gids: np.ndarray) -> np.ndarray:
    """``gml:Point`` / ``gml:LineString`` elements (EPSG:4326 in GML: latitude first)."""
    xy, part = shapely.get_coordinates(geoms, return_index=True)
    pos = np.char.add(np.char.add(np.char.mod("%.7f", xy[:, 1]), " "), np.char.mod("%.7f", xy[:, 0])).astype(object)
    per = np.split(pos, np.flatnonzero(np.diff(part)) + 1) if len(pos) else []
    points = shapely.get_type_id(geoms) == 0
    srs = 'srsName="urn:ogc:def:crs:EPSG::4326"'
    return np.array([
        f'<gml:Point gml:id="{gid}" {srs}><gml:pos>{p[0]}</gml:pos></gml:Point>' if is_point else
        f'<gml:LineString gml:id="{gid}" {srs}><gml:posList>{" ".join(p)}</gml:posList></gml:LineString>'
        for gid, p, is_point in zip(gids, per, points)], dtype=object)


def to_gml(gdf: gpd.GeoDataFrame, element: str, columns: list[str]) -> str:
    """A GML 3.2 feature collection of the rows, as the OGR-generated template XSD describes."""
    props = [c for c in columns if c != "lk03_punkty_zalamania"]
    n = len(gdf)
    head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ogr:FeatureCollection xmlns:ogr="{_OGR}" '
            f'xmlns:gml="{_GML}" gml:id="fc">')
    if n == 0:
        return head + "</ogr:FeatureCollection>\n"
    idx = np.arange(n).astype(str).astype(object)
    rows = (f'<ogr:featureMember><ogr:{element} gml:id="f' + idx + '"><ogr:geometryProperty>'
            + _geometries(gdf.geometry.values, "g" + idx) + "</ogr:geometryProperty>")
    for c, values in text_columns(gdf, props).items():
        rows = rows + f"<ogr:{c}>" + _escaped(values) + f"</ogr:{c}>"
    rows = rows + f"</ogr:{element}></ogr:featureMember>"
    return head + "".join(rows) + "</ogr:FeatureCollection>\n"
