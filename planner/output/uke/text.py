"""The text of one UKE layer, built column by column: the template CSV and GeoJSON.

A layer is turned into text once (:func:`layer_text`: every template column as
an object array of ``str``, the vertices and their count per feature), and each
format is then one ``"".join`` over a row-major grid of constant pieces and
column arrays (:func:`concat_rows`).  Escaping (CSV quotes, JSON strings, XML
entities) is computed once per distinct value of a column, and only for the
columns that hold a character that needs it.  The GML written for the XSD
check (:mod:`planner.output.uke.gml`) is built the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputDataError, Problem

__all__ = ["LayerText", "concat_rows", "csv_text", "fixed", "geojson_text", "join_vertices", "layer_text",
           "map_distinct", "row_pieces", "text_columns", "text_of"]

#: The WKT column: in the CSV only (the GeoJSON and the GML carry the geometry itself).
WKT_COLUMN = "lk03_punkty_zalamania"
#: Characters some format escapes: CSV ``"``; XML ``&<>``; JSON (``ensure_ascii=False``) ``"``, ``\\``, controls.
_SPECIAL = re.compile(r'[&<>"\\\x00-\x1f]')
#: Characters ``json.dumps(..., ensure_ascii=False)`` escapes.
_JSON_SPECIAL = frozenset('"\\' + "".join(map(chr, range(32))))


@dataclass(frozen=True)
class LayerText:
    """One UKE layer as text columns and vertices.

    Attributes
    ----------
    columns
        The template columns, in order.
    values
        Column -> object array of ``str`` (``""`` for a missing value), one per feature.
    xy
        ``(m, 2)`` float array: the vertices of every feature (longitude, latitude), feature after feature.
    counts
        Number of vertices of each feature (>= 1).
    is_point
        Whether each feature is a point (else it is written as a line string).
    """

    columns: list[str]
    values: dict[str, np.ndarray]
    xy: np.ndarray
    counts: np.ndarray
    is_point: np.ndarray
    _specials: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def specials(self, column: str) -> frozenset[str]:
        """The characters of a column that some format escapes (see ``_SPECIAL``), found once per column."""
        if column not in self._specials:
            self._specials[column] = frozenset(_SPECIAL.findall("".join(self.values[column].tolist())))
        return self._specials[column]

    @property
    def n(self) -> int:
        """Number of features."""
        return len(self.counts)

    @property
    def simple_points(self) -> bool:
        """Whether every feature is a point of one vertex (the per-vertex arrays are per-feature arrays)."""
        return bool(self.is_point.all()) and len(self.xy) == self.n


def _text(values: Any, n: int) -> np.ndarray:
    """A column as an object array of ``n`` ``str``, ``""`` where missing (``str(v)`` of a non-text value).

    ``values`` is a Series, an array or list of ``n`` values, or one ``str`` for every row.
    """
    if isinstance(values, str):
        return np.full(n, values, dtype=object)
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.StringDtype):
            out: np.ndarray = values.to_numpy(dtype=object, na_value="")
            return out
        values = values.to_numpy(dtype=object)
    arr = np.asarray(values, dtype=object).reshape(-1)
    if len(arr) != n:
        raise ValueError(f"a column has {len(arr)} values for {n} rows")
    if pd.api.types.infer_dtype(arr, skipna=False) in ("string", "empty"):
        return arr
    items = arr.tolist()
    missing = pd.isna(arr).tolist()
    out = np.empty(n, dtype=object)
    out[:] = ["" if m else str(v) for v, m in zip(items, missing)]
    return out


def text_columns(df: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """The columns as object arrays of ``str`` (``""`` for missing values)."""
    return {c: _text(df[c], len(df)) for c in columns}


def text_of(values: Mapping[str, Any], columns: list[str], xy: np.ndarray, counts: np.ndarray,
            is_point: np.ndarray) -> LayerText:
    """A layer as text from its columns' values and its features' vertices (see :class:`LayerText`).

    Parameters
    ----------
    values
        Column -> a Series, array or list with one value per feature, or one ``str`` for every feature; a
        column of ``columns`` not in ``values`` is empty.
    columns
        The template columns, in order.
    xy, counts, is_point
        The vertices, their number per feature, and whether each feature is a point.
    """
    n = len(counts)
    return LayerText(columns=list(columns), values={c: _text(values.get(c, ""), n) for c in columns},
                     xy=np.asarray(xy, dtype=float).reshape(-1, 2), counts=np.asarray(counts, dtype=np.int64),
                     is_point=np.asarray(is_point, dtype=bool))


def layer_text(gdf: gpd.GeoDataFrame, columns: list[str]) -> LayerText:
    """The text columns and vertices of a layer (see :class:`LayerText`).

    Raises
    ------
    InputDataError
        A feature has an empty geometry.
    """
    geoms = gdf.geometry.values
    counts = np.asarray(shapely.get_num_coordinates(geoms), dtype=np.int64)
    if (counts == 0).any():
        i = int(np.flatnonzero(counts == 0)[0])
        raise InputDataError("UKE layer has an empty geometry", [Problem(
            file="UKE export", row=i + 1, message="empty geometry", fix="report a bug in planner.output.uke")])
    return text_of({c: gdf[c] for c in columns}, columns, shapely.get_coordinates(geoms), counts,
                   shapely.get_type_id(geoms) == 0)


def row_pieces(parts: Sequence[str | np.ndarray], n: int) -> tuple[list[str], int]:
    """The pieces of every row, row after row, and their number per row.

    A ``str`` of ``parts`` is the same in every row, an array has one value per row; neighbouring ``str``
    are merged.  Row ``i`` is ``pieces[i * k:(i + 1) * k]``.
    """
    merged: list[str | np.ndarray] = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    if n == 0 or not merged:
        return [], len(merged)
    grid = np.empty((n, len(merged)), dtype=object)
    for j, p in enumerate(merged):
        grid[:, j] = p
    pieces: list[str] = grid.ravel().tolist()
    return pieces, len(merged)


def concat_rows(parts: Sequence[str | np.ndarray], n: int, head: str = "", tail: str = "", cut: int = 0) -> str:
    """``head``, row after row the pieces of each row, then ``tail``, in one join.

    A ``str`` of ``parts`` is the same in every row, an array has one value per row; the last ``cut``
    characters of the last row are left out (e.g. a separator).

    Examples
    --------
    >>> concat_rows(["<", np.array(["a", "b"], dtype=object), ">,"], 2, head="[", tail="]", cut=1)
    '[<a>,<b>]'
    """
    pieces, _ = row_pieces(parts, n)
    if pieces and cut:
        pieces[-1] = pieces[-1][:-cut]
    pieces.insert(0, head)
    pieces.append(tail)
    return "".join(pieces)


def map_distinct(values: np.ndarray, fn: Callable[[str], str]) -> np.ndarray:
    """``fn`` of each value, computed once per distinct value."""
    if len(values) == 0:
        return values
    codes, uniques = pd.factorize(values)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [fn(u) for u in uniques]
    out: np.ndarray = mapped[codes]
    return out


def join_vertices(vertex_text: np.ndarray, counts: np.ndarray, sep: str) -> np.ndarray:
    """Per feature, its vertices' texts joined by ``sep`` (``counts`` vertices each, in order)."""
    items = vertex_text.tolist()
    ends = np.cumsum(counts).tolist()
    starts = [0, *ends[:-1]]
    out = np.empty(len(counts), dtype=object)
    out[:] = [sep.join(items[a:b]) for a, b in zip(starts, ends)]
    return out


def _csv_field(v: str) -> str:
    return v.replace('"', '""')


def csv_text(lt: LayerText) -> str:
    """The template CSV: plain header, every value quoted (``"`` doubled), ``""`` for empty, LF line ends."""
    parts: list[str | np.ndarray] = []
    for j, c in enumerate(lt.columns):
        v = lt.values[c]
        if '"' in lt.specials(c):
            v = map_distinct(v, _csv_field)
        parts += ['"' if j == 0 else '","', v]
    parts.append('"\n')
    return concat_rows(parts, lt.n, head=",".join(lt.columns) + "\n")


def _json_value(v: str) -> str:
    return "null" if v == "" else json.dumps(v, ensure_ascii=False)


def _json_numbers(a: np.ndarray) -> np.ndarray:
    """``json.dumps`` of each float (``repr``; ``NaN``/``Infinity`` for the non-finite)."""
    out = np.empty(len(a), dtype=object)
    out[:] = list(map(float.__repr__, a.tolist()))
    bad = ~np.isfinite(a)
    if bad.any():
        out[bad] = [json.dumps(x) for x in a[bad].tolist()]
    return out


def _geojson_geometry(lt: LayerText) -> list[str | np.ndarray]:
    """The pieces of each feature's ``"geometry"`` value (coordinates rounded to 7 decimals)."""
    c = np.round(lt.xy, 7)
    x, y = _json_numbers(c[:, 0]), _json_numbers(c[:, 1])
    if lt.simple_points:
        return ['{"type": "Point", "coordinates": [', x, ", ", y, "]}"]
    vertex = "[" + x + ", " + y + "]"
    first = vertex[np.r_[0, np.cumsum(lt.counts)[:-1]]]
    lines = join_vertices(vertex, lt.counts, ", ")
    return [np.where(lt.is_point, '{"type": "Point", "coordinates": ', '{"type": "LineString", "coordinates": [')
            .astype(object), np.where(lt.is_point, first, lines), np.where(lt.is_point, "}", "]}").astype(object)]


def geojson_text(lt: LayerText, name: str) -> str:
    """The template GeoJSON (CRS84, ``fid`` first, empty values as null), one feature per line."""
    parts: list[str | np.ndarray] = ['{"type": "Feature", "properties": {"fid": ',
                                     np.arange(1, lt.n + 1).astype(str).astype(object)]
    for c in lt.columns:
        if c == WKT_COLUMN:
            continue
        v = lt.values[c]
        key = ", " + json.dumps(c, ensure_ascii=False) + ": "
        if not all(v.tolist()) or lt.specials(c) & _JSON_SPECIAL:  # "" is null
            parts += [key, map_distinct(v, _json_value)]
        else:
            parts += [key + '"', v, '"']
    parts += ['}, "geometry": ', *_geojson_geometry(lt), "},\n"]
    head = json.dumps({"type": "FeatureCollection", "name": name,
                       "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}},
                      ensure_ascii=False)
    # no comma after the last feature
    return concat_rows(parts, lt.n, head=head[:-1] + ', "features": [\n', tail="\n]}\n", cut=2)


def fixed(a: np.ndarray, decimals: int) -> np.ndarray:
    """``"%.<decimals>f"`` of each float, as an object array."""
    out = np.empty(len(a), dtype=object)
    out[:] = list(map(f"%.{decimals}f".__mod__, np.asarray(a, dtype=float).tolist()))
    return out

