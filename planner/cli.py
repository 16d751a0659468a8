"""Command-line interface: ``planner plan|validate|whitespots|design|schedule|replan|map``.

Exit codes: 0 ok, 1 domain failure (bad input data, unreachable targets),
2 usage or configuration error.  Errors are printed as one message naming
the file, row and fix, without a traceback; nothing is written to ``--out``.
"""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planner._errors import PlannerError

if TYPE_CHECKING:
    from planner.area import Area
    from planner.config import Config

app = typer.Typer(
    name="planner",
    help="Plan FTTH rollouts into broadband white spots (białe plamy).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

logger = logging.getLogger("planner")

AreaOpt = Annotated[str, typer.Option("--area", "-a", help="'demo', a .gpkg, a layer directory, a .osm/.osm.pbf "
                                                           "or a PRG GML file.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="TOML configuration file (see "
                                                                       "planner/config/).")]
# issue #20: --area/--out also take postgresql://[user@]host[:port]/db?schema=NAME; --out is a str (a Path mangles URLs)
OutOpt = Annotated[str | None, typer.Option("--out", "-o", help="Output directory (default out/<area name>).")]
AssumeCrsOpt = Annotated[str | None, typer.Option("--assume-crs", help="CRS for input layers that carry none, "
                                                                       "e.g. EPSG:2180.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars, warnings only.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Also show the INFO messages of the libraries "
                                                                  "underneath (GDAL/pyogrio, matplotlib, ...).")]
LayerOpt = Annotated[list[str], typer.Option(
    "--layer", "-l", metavar="NAME=PATH",
    help="Add or replace one layer of the area (repeatable), e.g. pops=pops.csv or coverage=uke_ua.csv.")]


def _setup_logging(quiet: bool, verbose: bool = False) -> None:
    """Log the planner's own messages at INFO (WARNING with ``--quiet``), other libraries at WARNING.

    ``--verbose`` lets the libraries underneath (GDAL/pyogrio, matplotlib, ...) log at INFO too.
    """
    logging.basicConfig(
        level=logging.INFO if verbose and not quiet else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    logging.getLogger("planner").setLevel(logging.WARNING if quiet else logging.INFO)


def _fail(exc: PlannerError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=exc.exit_code)


def _layer_args(specs: list[str]) -> dict[str, Path]:
    """``--layer NAME=PATH`` options as a dict (a usage error names the bad one)."""
    from planner._errors import Problem, UsageError
    from planner.schema import LAYERS

    out: dict[str, Path] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not path or name.strip() not in LAYERS:
            raise UsageError(f"bad --layer {spec!r}", [Problem(
                file=spec, message="expected NAME=PATH with NAME a layer of the study area",
                fix=f"use one of: {', '.join(LAYERS)}, e.g. --layer pops=pops.csv")])
        out[name.strip()] = Path(path)
    return out


def _load(area: str, config: Path | None, assume_crs: str | None, quiet: bool,
          layers: dict[str, Path] | None = None, partial: bool = False) -> tuple[Area, Config]:
    from planner.config import load_config
    from planner.io import load_area

    overrides = {"progress": False} if quiet else {}
    # The demo area ships its own configuration (the contract's milestones by village).
    cfg = load_config(config if config is not None or area != "demo" else "demo")
    if overrides:
        cfg = cfg.updated(**overrides)
    a = load_area(area, cfg, assume_crs=assume_crs, layers=layers or None, progress=cfg.progress, partial=partial)
    return a, cfg


def _inputs(area: str, *paths: Path | None) -> list[Path]:
    from planner import datasets
    from planner.io.postgis import is_url

    out = [Path(p) for p in paths if p is not None]
    if not is_url(area):  # issue #20: a database URL is no local input (the PostGIS writer checks it)
        out.append(datasets.get_path("demo") if area == "demo" else Path(area))
    return out


def _run(area: str, config: Path | None, out: str | None, assume_crs: str | None, quiet: bool,
         until: str, official_list: Path | None = None, new_buildings: Path | None = None,
         as_built: Path | None = None, lang: str | None = None, offline: bool | None = None,
         write_map: bool = True, formats: tuple[str, ...] = ("gpkg",),
         layer_specs: list[str] | None = None, verbose: bool = False) -> None:
    from planner.io.postgis import is_url, redact
    from planner.output import PlanWriter
    from planner.output.screenshot import Screenshotter
    from planner.pipeline import plan
    from planner.report import format_summary

    _setup_logging(quiet, verbose)
    db_out = out is not None and is_url(out)  # postgresql:// -> PostGIS; other URL schemes -> exit 2
    shooter = Screenshotter()
    if write_map and until == "schedule" and not db_out:
        shooter.start()  # Chromium starts while the area loads and the plan runs; ready for map.png
    try:
        if db_out:
            from planner.output.postgis import check_output

            check_output(str(out), inputs=[area])  # before planning: bad URL, no server, foreign schema
        layers = _layer_args(layer_specs or [])
        layers.update({k: v for k, v in (("new_buildings", new_buildings), ("as_built", as_built)) if v is not None})
        a, cfg = _load(area, config, assume_crs, quiet, layers)
        map_over = {k: v for k, v in (("lang", lang), ("offline", offline)) if v is not None}
        if map_over:
            cfg = cfg.updated(map=map_over)
        if official_list is None and area == "demo":
            # The demo ships its official white-spot list (with planted differences).
            from planner import datasets

            official_list = datasets.get_path("demo_official_list")
        out_dir: str | Path = out if db_out and out is not None else Path(out or Path("out") / a.name)
        # Outputs are written as soon as the stages they need have run (area.gpkg, uke/ in other processes).
        with PlanWriter(out_dir, write_map=write_map and until == "schedule", formats=formats,
                        inputs=_inputs(area, config, official_list, *layers.values()), shooter=shooter) as writer:
            p = plan(a, cfg, official_list=official_list, until=until, on_stage=writer.stage_done)
            writer.write(p)
    except PlannerError as exc:
        raise _fail(exc) from None
    finally:
        shooter.close()
    typer.echo(format_summary(p))
    typer.echo(f"\nOutputs written to {redact(out_dir) if db_out else f'{out_dir}/'}")
    if write_map and until == "schedule" and not db_out:
        typer.echo(f"Map: {Path(out_dir) / 'map.html'}")


@app.command("plan")
def plan_cmd(
    area: AreaOpt = "demo",
    config: ConfigOpt = None,
    out: OutOpt = None,
    assume_crs: AssumeCrsOpt = None,
    layer: LayerOpt = [],
    official_list: Annotated[Path | None, typer.Option(help="Official white-spot list (CSV/XLSX/GPKG) to diff "
                                                            "against.")] = None,
    as_built: Annotated[Path | None, typer.Option(help="As-built layer for progress tracking.")] = None,
    lang: Annotated[str | None, typer.Option(help="Map language: pl or en.")] = None,
    offline: Annotated[bool | None, typer.Option("--offline/--online", help="Inline Leaflet in the map (default "
                                                                            "from config: offline).")] = None,
    fmt: Annotated[list[str], typer.Option("--format", help="Extra layer formats besides GeoPackage: parquet.")] = [],
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Run every stage: white spots, design, schedule, map and reports."""
    _run(area, config, out, assume_crs, quiet, "schedule", official_list=official_list,
         as_built=as_built, lang=lang, offline=offline, formats=("gpkg", *[f for f in fmt if f != "gpkg"]),
         layer_specs=layer, verbose=verbose)


@app.command("whitespots")
def whitespots_cmd(
    area: AreaOpt = "demo",
    config: ConfigOpt = None,
    out: OutOpt = None,
    assume_crs: AssumeCrsOpt = None,
    layer: LayerOpt = [],
    official_list: Annotated[Path | None, typer.Option(help="Official white-spot list (CSV/XLSX/GPKG).")] = None,
    new_buildings: Annotated[Path | None, typer.Option(help="Newly built houses for the reallocation "
                                                            "proposal.")] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Classify address points (white/grey/black), flag barriers, diff the official list."""
    _run(area, config, out, assume_crs, quiet, "whitespots", official_list=official_list,
         new_buildings=new_buildings, write_map=False, layer_specs=layer, verbose=verbose)


@app.command("design")
def design_cmd(
    area: AreaOpt = "demo",
    config: ConfigOpt = None,
    out: OutOpt = None,
    assume_crs: AssumeCrsOpt = None,
    layer: LayerOpt = [],
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Route the network (shared-trench Steiner tree), drops, fees and bill of quantities."""
    _run(area, config, out, assume_crs, quiet, "design", write_map=False, layer_specs=layer, verbose=verbose)


@app.command("schedule")
def schedule_cmd(
    area: AreaOpt = "demo",
    config: ConfigOpt = None,
    out: OutOpt = None,
    assume_crs: AssumeCrsOpt = None,
    layer: LayerOpt = [],
    as_built: Annotated[Path | None, typer.Option(help="As-built layer (dated segments and connections).")] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Milestone schedule by village with crews, calendar and consents; progress tracking."""
    _run(area, config, out, assume_crs, quiet, "schedule", as_built=as_built, write_map=False,
         layer_specs=layer, verbose=verbose)


@app.command("replan")
def replan_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="Status date of the as-built data, YYYY-MM-DD.")],
    area: AreaOpt = "demo",
    as_built: Annotated[Path | None, typer.Option(help="As-built layer (default: the area's as_built layer).")] = None,
    crews: Annotated[str | None, typer.Option(help="Current crews, e.g. aerial=2,trench=4 (default: config).")] = None,
    config: ConfigOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory (default out/<area>/replan_<date>).",
                                             )] = None,
    assume_crs: AssumeCrsOpt = None,
    layer: LayerOpt = [],
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Re-plan the remaining work from what is built: milestones still reachable, crews needed, pictures."""
    from planner.output.replan_dir import replan_dir, write_replan
    from planner.pipeline import replan
    from planner.replanning import parse_as_of, parse_crews

    _setup_logging(quiet, verbose)
    try:
        when, crew_map = parse_as_of(as_of), parse_crews(crews)
        layers = _layer_args(layer or [])
        if as_built is not None:
            layers["as_built"] = as_built
        a, cfg = _load(area, config, assume_crs, quiet, layers)
        r = replan(a, cfg, as_of=when, crews=crew_map)
        out_dir = out or replan_dir("out", a.name, r.as_of)
        write_replan(r, out_dir, inputs=_inputs(area, config, *layers.values()))
    except PlannerError as exc:
        raise _fail(exc) from None
    typer.echo(r.to_text())
    typer.echo(f"\nOutputs written to {out_dir}/")


@app.command("validate")
def validate_cmd(
    path: Annotated[str, typer.Argument(help="Area to check: 'demo', a .gpkg, a layer directory, .osm/.pbf, PRG GML.")],
    config: ConfigOpt = None,
    assume_crs: AssumeCrsOpt = None,
    layer: LayerOpt = [],
    partial: Annotated[bool | None, typer.Option(
        "--partial/--complete",
        help="Check only the layers present, without requiring roads/POPs (default: partial for a single PRG "
             "file, complete otherwise).")] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Check input layers only; report every problem at once."""
    _setup_logging(quiet, verbose)
    if partial is None:
        partial = Path(path).suffix.lower() in (".gml", ".xml", ".shp", ".zip")
    try:
        a, _ = _load(path, config, assume_crs, quiet, _layer_args(layer), partial=partial)
    except PlannerError as exc:
        raise _fail(exc) from None
    typer.echo(a.summary().to_string(index=False))
    from planner.io.postgis import redact  # issue #20: never print a URL password

    typer.echo(f"OK: {redact(path)} is valid ({a.crs}, bounds {tuple(round(b) for b in a.bounds)})")


@app.command("map")
def map_cmd(
    plan_dir: Annotated[Path, typer.Option("--plan", help="Plan directory written by `planner plan`.")] = Path(
        "out/demo"),
    out: Annotated[str | None, typer.Option("--out", "-o", help="HTML file (default <plan>/map.html).")] = None,
    config: ConfigOpt = None,
    lang: Annotated[str | None, typer.Option(help="pl or en (default from the [map] section: pl).")] = None,
    offline: Annotated[bool | None, typer.Option(
        "--offline/--online", help="Inline Leaflet, no tiles (default from the [map] section: offline).")] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Write the councillor map from a plan directory (with the [map] section of --config)."""
    from planner import maps
    from planner.config import load_config

    _setup_logging(quiet, verbose)
    if lang is not None and lang not in ("pl", "en"):
        typer.echo(f"error: --lang must be 'pl' or 'en', got {lang!r}", err=True)
        raise typer.Exit(code=2)
    try:
        from planner.io.postgis import local_path  # a URL is refused, not made a directory

        html = local_path(out) if out else plan_dir / "map.html"
        cfg = load_config(config)
        over = {k: v for k, v in (("lang", lang), ("offline", offline)) if v is not None}
        if over:
            cfg = cfg.updated(map=over)
        layers = maps.read_plan_layers(plan_dir)
        path = maps.write_map(layers, html, config=cfg.map,
                              drop_limit_m=cfg.design.drop_contract_max_m if config is not None else None)
    except PlannerError as exc:
        raise _fail(exc) from None
    typer.echo(f"Map: {path}")


@app.command("compare")
def compare_cmd(
    plan_dirs: Annotated[list[Path], typer.Argument(help="Two or more plan directories written by `planner plan`.")],
    names: Annotated[str | None, typer.Option(help="Comma-separated scenario names (default: directory "
                                                   "names).")] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Write the comparison as CSV (+ .md beside "
                                                                "it).")] = None,
) -> None:
    """Compare plans: cost, km by type, points connected, milestone compliance."""
    from planner import compare

    if len(plan_dirs) < 2:
        typer.echo("error: give at least two plan directories", err=True)
        raise typer.Exit(code=2)
    try:
        from planner.io.postgis import local_path  # issue #21: a URL is refused, not made a directory

        target = local_path(out) if out is not None else None
        df = compare.compare_plans(plan_dirs, names.split(",") if names else None)
        if target is not None:
            compare.write_comparison(df, target)
    except PlannerError as exc:
        raise _fail(exc) from None
    typer.echo(compare.format_comparison(df))


# --- issue #19: many communes on Dask ---------------------------------------------------
@app.command("plan-many")
def plan_many_cmd(
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Output directory: new, empty, or of an earlier run with the same inputs (resumes).")],
    areas: Annotated[Path | None, typer.Option(
        "--areas", help="Directory of study areas, one per commune (<name>.gpkg or <name>/ layer dirs).")] = None,
    addresses: Annotated[list[Path] | None, typer.Option(
        "--addresses", help="National/voivodeship PRG address points (GeoParquet, GPKG, SHP, PRG GML); "
                            "repeatable.")] = None,
    osm: Annotated[Path | None, typer.Option(
        "--osm", help="OpenStreetMap extract (.osm.pbf): roads, poles, POPs, buildings.")] = None,
    coverage: Annotated[list[Path] | None, typer.Option(
        "--coverage", help="Coverage (UKE inventory CSV, GeoParquet ...), split by TERC; repeatable.")] = None,
    boundaries: Annotated[Path | None, typer.Option(
        "--boundaries", help="Commune polygons with a TERC column (default: from the address points).")] = None,
    layer: Annotated[list[str] | None, typer.Option(
        "--layer", "-l", metavar="NAME=PATH",
        help="A national layer split by location (poles, ducts, parcels, buildings, pops, roads); "
             "repeatable.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="TOML configuration file.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Existing Dask scheduler, e.g. tcp://HOST:8786 (default: a local cluster).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", help="Worker processes of the local cluster (default: one per core).")] = None,
    plan_dirs: Annotated[bool, typer.Option(
        "--plan-dirs", help="Also write each commune's plan directory (as `planner plan`).")] = False,
    until: Annotated[str, typer.Option("--until", help="Last stage: whitespots, design or schedule.")] = "schedule",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars, warnings only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Also show Dask's INFO messages.")] = False,
    db: Annotated[str | None, typer.Option(  # issue #20
        "--db", help="Also write the region into one PostGIS schema, all or nothing: "
                     "postgresql://[user@]host[:port]/db?schema=NAME (checked before planning).")] = None,
) -> None:
    """Plan many communes on Dask: a directory of study areas or national layers split by commune."""
    from planner.scale.partitioning import NationalInputs
    from planner.scale.plan_many import plan_many

    _setup_logging(quiet)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    try:
        national = None
        if addresses or osm or coverage or boundaries or layer:
            national = NationalInputs(addresses=tuple(addresses or ()), osm=osm, coverage=tuple(coverage or ()),
                                      boundaries=boundaries, layers=_layer_args(layer or []))
        res = plan_many(areas, national=national, out=out, config=config, scheduler=scheduler, workers=workers,
                        plan_dirs=plan_dirs, until=until, progress=False if quiet else None, verbose=verbose,
                        on_dashboard=lambda link: typer.echo(f"Dask dashboard: {link}", err=True), db=db)
    except PlannerError as exc:
        raise _fail(exc) from None
    typer.echo(f"Communes: {len(res.planned)} planned, {len(res.skipped)} unchanged (skipped), "
               f"{len(res.failed)} failed")
    for r in res.failures.itertuples():
        typer.echo(f"error: commune {r.key}: {r.message}", err=True)
    typer.echo(f"Outputs written to {res.out_dir}/ ({', '.join(p.name for p in res.files.values())})")
    if res.database:  # issue #20
        typer.echo(f"Region written to {res.database}")
    if res.exit_code:
        raise typer.Exit(code=res.exit_code)


def main() -> None:
    """Entry point of the ``planner`` console script.

    A command is one short process whose objects (arrays, frames, geometries)
    mostly live until it ends.  CPython's cyclic collector, at its default
    threshold of 700 allocations, spent about 1.1 s of a 6 s demo plan
    traversing them (1,280 collections, 8 of them full); it now runs about
    fifteen times less often, and nothing is collected while the process ends.
    Library users keep their interpreter's settings.
    """
    gc.set_threshold(10_000, 20, 20)
    try:
        app()
    finally:
        gc.freeze()  # exiting: the final collections would only traverse what is freed anyway


if __name__ == "__main__":  # pragma: no cover
    main()
