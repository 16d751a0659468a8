"""Write synthetic areas to files: the demo directory and the region's study areas and national layers.

Every file is written under a temporary name and renamed into place, so a
failure leaves no partial output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import Transformer

from planner.output.files import write_gpkg
from planner.synthetic.calibration import CRS, SEED
from planner.synthetic.demo import DemoArea, build_demo_area
from planner.synthetic.readme import demo_readme
from planner.synthetic.region import RegionCommune

__all__ = ["write_demo_area", "GeoParquetWriter", "write_region_areas", "write_region_national"]


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


class GeoParquetWriter:
    """Write a GeoParquet file chunk by chunk (constant memory), atomically.

    The ``geo`` metadata is taken from the first chunk (without its ``bbox``,
    which would only describe that chunk); every chunk must have the same
    columns and CRS.

    Parameters
    ----------
    path
        Target file; written under a temporary name and renamed by :meth:`close`.
    row_group_size
        Rows per row group (readers stream a file by row groups).
    """

    def __init__(self, path: str | Path, row_group_size: int = 65_536) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._writer: pq.ParquetWriter | None = None
        self._schema: Any = None
        self.row_group_size = row_group_size
        self.rows = 0

    def write(self, gdf: gpd.GeoDataFrame) -> None:
        """Append the rows of ``gdf``."""
        buf = io.BytesIO()
        gdf.to_parquet(buf, index=False)
        table = pq.read_table(io.BytesIO(buf.getvalue()))
        if self._writer is None:
            schema = table.schema
            geo = json.loads(schema.metadata[b"geo"])
            for col in geo.get("columns", {}).values():
                col.pop("bbox", None)
            self._schema = schema.with_metadata({**schema.metadata, b"geo": json.dumps(geo).encode()})
            self._writer = pq.ParquetWriter(self._tmp, self._schema)
        table = table.replace_schema_metadata(self._schema.metadata)
        self._writer.write_table(table.cast(self._schema), row_group_size=self.row_group_size)
        self.rows += len(gdf)

    def close(self) -> Path:
        """Finish the file and rename it into place."""
        if self._writer is None:
            raise ValueError(f"nothing written to {self.path}")
        self._writer.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file."""
        if self._writer is not None:
            self._writer.close()
        self._tmp.unlink(missing_ok=True)


def _metadata(name: str, bounds: tuple[float, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame({"key": ["name", "bounds", "crs"],
                         "value": [name, ",".join(f"{b:.0f}" for b in bounds), CRS]})


def write_region_areas(communes: Iterable[RegionCommune], out_dir: str | Path, *,
                       bad: frozenset[str] = frozenset()) -> list[Path]:
    """Write each commune as one study area ``<out_dir>/<TERC>.gpkg`` (what ``planner plan --area`` takes).

    Parameters
    ----------
    communes
        :func:`planner.synthetic.region.iter_region`.
    out_dir
        Target directory.
    bad
        TERC codes of planted bad communes: two of their address points share
        an id, so that planning them fails with the usual "duplicate id" message
        of the input checks.

    Returns
    -------
    list of Path
    """
    out = Path(out_dir)
    paths = []
    for rc in communes:
        layers = dict(rc.layers)
        if rc.commune.terc in bad:
            layers["addresses"] = duplicate_first_id(layers["addresses"])
        layers = {k: v for k, v in layers.items() if len(v)}
        layers["metadata"] = _metadata(rc.commune.terc, rc.bounds)
        paths.append(write_gpkg(layers, out / f"{rc.commune.terc}.gpkg"))
    return paths


def duplicate_first_id(addresses: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The address points with the second one given the first one's id (a planted data error)."""
    out = addresses.copy()
    out.iloc[1, out.columns.get_loc("id")] = out["id"].iloc[0]
    return out


def _to_lonlat(xy: np.ndarray) -> np.ndarray:
    tr = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


class _OsmCollector:
    """Roads (ways), poles and POPs (tagged nodes) of the communes, written as one sorted ``.osm.pbf``."""

    def __init__(self) -> None:
        self.node_id: dict[tuple[float, float], int] = {}
        self.tagged: list[tuple[int, tuple[float, float], dict[str, str]]] = []
        self.ways: list[tuple[list[int], dict[str, str]]] = []

    def _node(self, lonlat: tuple[float, float]) -> int:
        key = (round(lonlat[0], 7), round(lonlat[1], 7))
        if key not in self.node_id:
            self.node_id[key] = len(self.node_id) + 1
        return self.node_id[key]

    def add(self, layers: dict[str, gpd.GeoDataFrame], *, pops: bool) -> None:
        roads = layers["roads"]
        coords = shapely.get_coordinates(roads.geometry.values).reshape(-1, 2, 2)
        ll = _to_lonlat(coords.reshape(-1, 2)).reshape(-1, 2, 2)
        for k, r in enumerate(roads.itertuples(index=False)):
            tags = {"highway": r.highway, "surface": r.surface, "lit": "yes" if r.lit else "no"}
            if r.name:
                tags["name"] = r.name
            if r.private:
                tags["access"] = "private"
            self.ways.append(([self._node(tuple(ll[k, 0])), self._node(tuple(ll[k, 1]))], tags))
        kinds = {"commune_lighting": {"highway": "street_lamp"},
                 "telecom": {"man_made": "utility_pole", "utility": "telecom"},
                 "power": {"power": "pole"}}
        poles = layers["poles"]
        for (x, y), owner in zip(_to_lonlat(shapely.get_coordinates(poles.geometry.values)), poles.owner):
            self.tagged.append((0, (x, y), dict(kinds[owner])))
        if pops:
            p = layers["pops"]
            for (x, y), name in zip(_to_lonlat(shapely.get_coordinates(p.geometry.values)), p.name):
                self.tagged.append((0, (x, y), {"telecom": "exchange", "name": name}))

    def write(self, path: Path) -> Path:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.osm.pbf")
        writer = osmium.SimpleWriter(str(tmp), overwrite=True)
        try:
            nodes: list[tuple[int, tuple[float, float], dict[str, str]]] = [
                (i, ll, {}) for ll, i in self.node_id.items()]
            nid = len(self.node_id) + len(self.tagged)
            for k, (_, ll, tags) in enumerate(self.tagged):
                nodes.append((nid + 1 + k, ll, tags))
            for i, ll, tags in sorted(nodes, key=lambda t: t[0]):
                writer.add_node(osmium.osm.mutable.Node(id=i, location=osmium.osm.Location(*ll), tags=tags))
            for k, (refs, tags) in enumerate(self.ways):
                writer.add_way(osmium.osm.mutable.Way(id=k + 1, nodes=refs, tags=tags))
        finally:
            writer.close()
        os.replace(tmp, path)
        return path


def write_region_national(communes: Iterable[RegionCommune], out_dir: str | Path, *,
                          bad: frozenset[str] = frozenset(), boundaries: bool = True) -> dict[str, Path]:
    """Write a region as national layers, as published nationally (not split by commune).

    Files: ``addresses.parquet`` (PRG-like address points with TERC, GeoParquet
    streamed by row groups), ``coverage.parquet``, ``buildings.parquet``,
    ``ducts.parquet``, ``parcels.parquet``, ``region.osm.pbf`` (roads as ways;
    street lamps, telecom and power poles and telecom exchanges -- the POPs --
    as tagged nodes) and, with ``boundaries``, ``communes.gpkg`` (``terc``,
    ``name``, polygon).

    Parameters
    ----------
    communes
        :func:`planner.synthetic.region.iter_region`.
    out_dir
        Target directory.
    bad
        TERC codes of planted bad communes: two of their address points share an id.
    boundaries
        Also write the commune boundaries.

    Returns
    -------
    dict
        Layer name -> file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writers = {name: GeoParquetWriter(out / f"{name}.parquet")
               for name in ("addresses", "coverage", "buildings", "ducts", "parcels")}
    osm = _OsmCollector()
    bnd: list[tuple[str, str, shapely.Polygon]] = []
    try:
        for rc in communes:
            for name, w in writers.items():
                layer = rc.layers[name]
                if name == "addresses" and rc.commune.terc in bad:
                    layer = duplicate_first_id(layer)
                if len(layer):
                    w.write(layer)
            osm.add(rc.layers, pops=True)
            bnd.append((rc.commune.terc, rc.commune.name, rc.boundary))
        paths = {name: w.close() for name, w in writers.items()}
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    paths["osm"] = osm.write(out / "region.osm.pbf")
    if boundaries:
        gdf = gpd.GeoDataFrame({"terc": pd.Series([b[0] for b in bnd], dtype=object),
                                "name": pd.Series([b[1] for b in bnd], dtype=object)},
                               geometry=[b[2] for b in bnd], crs=CRS)
        paths["boundaries"] = write_gpkg({"communes": gdf}, out / "communes.gpkg")
    return paths
