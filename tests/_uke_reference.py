"""Straightforward reference serialisations of a UKE layer (row by row, standard library + pandas).

The oracle for the column-wise writers of planner.output.uke (text.csv_text, text.geojson_text,
gml.gml_text): these are the writers the planner used before they were made fast, one row (one
``json.dumps``, one f-string) at a time.
"""

from __future__ import annotations

import csv
import json
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

WKT = "lk03_punkty_zalamania"
GML = "http://www.opengis.net/gml/3.2"
OGR = "http://ogr.maptools.org/"


def text_columns(df: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    return {c: df[c].astype(object).where(df[c].notna(), "").astype(str).to_numpy(dtype=object) for c in columns}


def csv_text(df: pd.DataFrame, columns: list[str]) -> str:
    body = pd.DataFrame(text_columns(df, columns)).to_csv(header=False, index=False, quoting=csv.QUOTE_ALL,
                                                          lineterminator="\n")
    return ",".join(columns) + "\n" + body


def geojson_text(gdf: gpd.GeoDataFrame, name: str, columns: list[str]) -> str:
    props = [c for c in columns if c != WKT]
    values = [np.where(a == "", None, a) for a in text_columns(gdf, props).values()]
    lines = []
    for i, (row, geom) in enumerate(zip(zip(*values), gdf.geometry.values), start=1):
        c = np.round(shapely.get_coordinates(geom), 7)
        geometry = ({"type": "Point", "coordinates": c[0].tolist()} if geom.geom_type == "Point"
                    else {"type": "LineString", "coordinates": c.tolist()})
        lines.append(json.dumps({"type": "Feature", "properties": dict(zip(["fid", *props], (i, *row))),
                                 "geometry": geometry}, ensure_ascii=False))
    head = json.dumps({"type": "FeatureCollection", "name": name,
                       "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}},
                      ensure_ascii=False)
    return head[:-1] + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"


def gml_text(gdf: gpd.GeoDataFrame, element: str, columns: list[str]) -> str:
    props = [c for c in columns if c != WKT]
    srs = 'srsName="urn:ogc:def:crs:EPSG::4326"'
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ogr:FeatureCollection xmlns:ogr="{OGR}" '
           f'xmlns:gml="{GML}" gml:id="fc">']
    texts = text_columns(gdf, props)
    for i, geom in enumerate(gdf.geometry.values):
        pos = " ".join(f"{y:.7f} {x:.7f}" for x, y in shapely.get_coordinates(geom))
        g = (f'<gml:Point gml:id="g{i}" {srs}><gml:pos>{pos}</gml:pos></gml:Point>' if geom.geom_type == "Point"
             else f'<gml:LineString gml:id="g{i}" {srs}><gml:posList>{pos}</gml:posList></gml:LineString>')
        out.append(f'<ogr:featureMember><ogr:{element} gml:id="f{i}"><ogr:geometryProperty>{g}'
                   "</ogr:geometryProperty>")
        out.extend(f"<ogr:{c}>{escape(texts[c][i])}</ogr:{c}>" for c in props)
        out.append(f"</ogr:{element}></ogr:featureMember>")
    return "".join(out) + "</ogr:FeatureCollection>\n"
