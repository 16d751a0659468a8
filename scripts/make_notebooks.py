"""Generate the three analyst notebooks of planner/notebooks with nbformat (no outputs)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "notebooks"

KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


def write(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells, metadata=KERNEL)
    # stable cell ids so that regenerating gives byte-identical files
    stem = name.split("_")[0]
    for i, c in enumerate(nb.cells):
        c["id"] = f"nb{stem}-{i:02d}"
    nbformat.validate(nb)
    path = OUT / name
    nbformat.write(nb, path)
    print("wrote", path)


# ---------------------------------------------------------------------------
nb01 = [
    md("""
# 01 · Białe plamy (white spots) — Serock + Wieliszew demo

An address point is a **biała plama** (white spot) when no operator offers a fixed NGA
connection (fibre, coax or copper, ≥ 100 Mb/s downlink) and none plans one within 3 years of
the analysis date; **szara** (grey) with exactly one such network, **czarna** (black) with two
or more. Radio (FWA/LTE/5G) never counts.

A white spot that cannot really be built — no building at the address, a summer house
(zabudowa letniskowa), or a PRG status other than *istniejący* — is a
**bariera inwestycyjna** (investment barrier): it is flagged, not connected, and its funding
moves to newly built houses (realokacja).

This notebook only calls the `planner` API (`planner.whitespots`); every rule lives there and
is documented in `planner/whitespots/` and `planner/config/whitespots.py`. The data is the **synthetic**
demo area (real TERYT names and codes, invented geometry — see `data/demo/README.md`).
"""),
    code("""
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import planner
from planner import whitespots
from planner.io.official_list import read_official_list

pd.set_option("display.max_rows", 80)
pd.set_option("display.width", 160)

cfg = planner.load_config("demo", progress=False)
area = planner.load_area("demo")
ws = whitespots.run(
    area,
    cfg.whitespots,
    official_list=read_official_list(planner.datasets.get_path("demo_official_list"),
                                     cfg.whitespots.official_list_columns),
)
addresses = ws.addresses
addresses.shape
"""),
    md("""
## Miejscowości (per-locality table)

Points, businesses (przedsiębiorcy, all business points of the locality), white / grey / black
spots, barriers and targets (white spots to connect) for each of the localities of the two communes.
"""),
    code("""
ws.localities
"""),
    md("""
## Key figures: white spots, businesses, Serock share

The real programme counts 7,614 white-spot address points, 438 of them businesses, about two
thirds in Serock.
"""),
    code("""
white = addresses["ws_class"] == "white"
pd.Series({
    "address points": len(addresses),
    "white spots (białe plamy)": int(white.sum()),
    "white-spot businesses": int((white & addresses["is_business"]).sum()),
    "investment barriers (bariery inwestycyjne)": int(addresses["is_barrier"].sum()),
    "targets (to connect)": int(addresses["is_target"].sum()),
}, name="count").to_frame()
"""),
    code("""
by_commune = ws.localities.groupby("commune")[["points", "white", "barriers", "targets"]].sum()
by_commune["white_share_pct"] = (100 * by_commune["white"] / by_commune["white"].sum()).round(1)
by_commune
"""),
    md("""
## Bariery inwestycyjne (investment barriers) by reason

`no_building`: no building within the configured distance; `summer_house`: the nearest building
is a summer house; `status_<status>`: the PRG address status is not *istniejący*.
"""),
    code("""
barriers = addresses[addresses["is_barrier"]]
barriers["barrier_reason"].value_counts().rename_axis("barrier_reason").to_frame("points")
"""),
    code("""
pd.crosstab(barriers["locality"], barriers["barrier_reason"], margins=True, margins_name="razem")
"""),
    md("""
Warnings the stage raised about the inputs (counted, with the fix):
"""),
    code("""
ws.warnings
"""),
    md("""
## Official list vs our analysis (lista oficjalna)

Each entry of the official white-spot list is matched to an address point; the sets are
`on_list_white` (agreed), `on_list_covered` (listed, but an operator covers it — the covering
operators are named), `white_not_on_list` (white by our analysis, missing from the list) and
`on_list_not_found` (an entry matching no address point).
"""),
    code("""
diff = ws.official_diff
diff["set"].value_counts().rename_axis("set").to_frame("entries")
"""),
    code("""
diff[diff["set"] != "on_list_white"]
"""),
    md("""
## Realokacja: newly built houses that take the barriers' places

Ranked by distance (to the nearest target white spot here; to the planned network once the
design stage has run, see notebook 02). `replaces` names the barrier address whose place an
accepted house takes.
"""),
    code("""
realloc = ws.reallocation
print(f"{int(realloc['accepted'].sum())} of {len(realloc)} new buildings accepted "
      f"for {int(addresses['is_barrier'].sum())} barrier places")
realloc.drop(columns="geometry").head(15)
"""),
    md("""
## Map: address points by class, locality polygons
"""),
    code("""
point_class = addresses["ws_class"].where(~addresses["is_barrier"], "barrier")
colours = {"black": "#303030", "grey": "#a0a0a0", "white": "#d62728", "barrier": "#ff7f0e"}
labels = {"black": "czarna (black)", "grey": "szara (grey)", "white": "biała plama, do podłączenia",
          "barrier": "bariera inwestycyjna"}

fig, ax = plt.subplots(figsize=(10, 10))
area.layers["localities"].plot(ax=ax, facecolor="#f4f4f4", edgecolor="#4a6fa5", linewidth=0.6)
for name, colour in colours.items():
    sel = addresses[point_class == name]
    sel.plot(ax=ax, color=colour, markersize=1.5, label=f"{labels[name]} ({len(sel)})")
area.pops.plot(ax=ax, color="#1f77b4", marker="^", markersize=15, label="POP")
ax.legend(title="klasa punktu adresowego", markerscale=3, loc="lower left")
ax.set_title("Białe plamy i bariery inwestycyjne — Serock + Wieliszew (demo, EPSG:2180)")
ax.set_axis_off()
plt.show()
"""),
]

# ---------------------------------------------------------------------------
nb02 = [
    md("""
# 02 · Network design and scenarios — Serock + Wieliszew demo

The design stage prices every road edge (cable on existing poles — commune street-lighting
poles first —, reuse of technological ducts such as ul. Norwida, or a trench by surface), then
connects every target white spot with the cheapest **shared tree** from the POP, adds the drops
to the fence (~30 m slack, distance fee beyond 200 m) and prices the plan in a bill of
quantities (BOM, per locality plus a `TOTAL` row).

Three scenarios are compared: **aerial-first** (the default), **all-underground**
(`design.allow_aerial = false`) and **no duct reuse** (`design.allow_duct_reuse = false`) —
cost, km by deployment type, points connected and milestone (kamienie milowe) compliance, with
the figures of the report (`planner.report.report_figures`). Each scenario runs the whole
pipeline (a few seconds to a few tens of seconds on the demo). `planner compare DIR_A DIR_B ...`
gives the same comparison for plan directories written by `planner plan --out DIR`.

All logic is in `planner/` (`planner.design`, `planner.costgraph`, `planner.routing`); the
notebook only calls the API and shows results. Synthetic demo data.
"""),
    code("""
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import planner
from planner.report import report_figures

pd.set_option("display.max_rows", 80)
pd.set_option("display.max_columns", 40)
pd.set_option("display.width", 160)

area = planner.load_area("demo")
cfg = planner.load_config("demo", progress=False)
plan = planner.plan(area, cfg)
plan.stages
"""),
    md("""
## Summary of the design (aerial-first)
"""),
    code("""
pd.Series(plan.design.summary, name="aerial-first").to_frame()
"""),
    md("""
## Bill of quantities (BOM) per locality
"""),
    code("""
plan.design.bom
"""),
    md("""
## Shared tree vs naive routing

*Naive*: the union of every address's own cheapest path from the POP, priced with the same
rules; *unshared*: every address digs its own path. The saving is what sharing the network buys.
"""),
    code("""
pd.concat(
    {"shared tree": plan.design.bom.iloc[-1], "naive": plan.design.bom_naive.iloc[-1]}, axis=1
).drop(index=["simc", "locality"])
"""),
    code("""
s = plan.design.summary
pd.DataFrame(
    {
        "cost_network_pln": [s["cost_network_pln"], s["naive_cost_network_pln"], s["unshared_cost_network_pln"]],
        "km_network": [s["km_network"], s["naive_km_network"], None],
        "saving_of_tree_pct": [0.0, s["saving_pct"], s["saving_vs_unshared_pct"]],
    },
    index=["shared tree", "naive (union of shortest paths)", "unshared (one path per address)"],
)
"""),
    md("""
Targets that could not be connected, by reason (`consent_refused`, `no_road_access`, `reach`,
`long_drop_excluded`):
"""),
    code("""
plan.design.unconnected["reason"].value_counts().rename_axis("reason").to_frame("points")
"""),
    md("""
## Scenarios: aerial-first vs all-underground vs no duct reuse

Each scenario is the same area with one configuration switch changed (`Config.updated`).
"""),
    code("""
scenario_configs = {
    "all-underground": cfg.updated(design={"allow_aerial": False}),
    "no duct reuse": cfg.updated(design={"allow_duct_reuse": False}),
}
plans = {"aerial-first (default)": plan}
for name, scenario_cfg in scenario_configs.items():
    plans[name] = planner.plan(area, scenario_cfg)
list(plans)
"""),
    md("""
Key figures per scenario (`milestones_ok`: localities meeting their milestone's ≥ 80 % rule /
localities with a milestone):
"""),
    code("""
figures = ["cost_total_pln", "cost_per_home_pln", "km_network", "km_aerial", "km_duct", "km_trench",
           "pct_underground", "targets", "connected", "unconnected", "milestones_ok"]
comparison = pd.concat({name: report_figures(p)["total"] for name, p in plans.items()}).droplevel(1)[figures]
comparison.round(1)
"""),
    md("""
Difference from the reference scenario (aerial-first):
"""),
    code("""
numeric = comparison.select_dtypes("number")
(numeric - numeric.iloc[0]).round(1)
"""),
    md("""
Milestones per scenario: met or not, and the worst share of points passed by the deadline:
"""),
    code("""
pd.concat(
    {name: p.schedule.milestones.set_index("milestone")[["deadline", "ok", "worst_pct"]] for name, p in plans.items()},
    axis=1,
)
"""),
    md("""
## Map: network segments by deployment type
"""),
    code("""
colours = {"aerial": "#2ca02c", "duct": "#9467bd", "trench": "#d62728"}
fig, axes = plt.subplots(1, len(plans), figsize=(6 * len(plans), 6.5), sharex=True, sharey=True,
                         layout="constrained")
for ax, (name, p) in zip(axes, plans.items()):
    area.layers["localities"].boundary.plot(ax=ax, color="#c8c8c8", linewidth=0.4)
    for deployment, colour in colours.items():
        seg = p.segments[p.segments["deployment"] == deployment]
        if len(seg):
            seg.plot(ax=ax, color=colour, linewidth=0.8,
                     label=f"{deployment} {seg['length_m'].sum() / 1000:.1f} km")
    area.pops.plot(ax=ax, color="black", marker="^", markersize=50)
    ax.set_title(name)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_axis_off()
fig.suptitle("Sieć: napowietrzna / kanał technologiczny / wykop (EPSG:2180)")
plt.show()
"""),
]

# ---------------------------------------------------------------------------
nb03 = [
    md("""
# 03 · Harmonogram i postęp (schedule and progress) — Serock + Wieliszew demo

The schedule stage cuts the designed network into work packages (one deployment kind in one
locality), runs them with the configured crews on the Polish working-day calendar (holidays,
winter stop for trenching, lead time for pending consents — **zgody**, the main cause of delay)
and checks the **kamienie milowe** (milestones): each village must have ≥ 80 % of its
address points passed by its milestone deadline (July 2025, December 2025, December 2026;
project end 21 January 2027).

Progress is then measured against the as-built layer (the demo's `as_built` example): km built,
km of it underground, % of target points passed, as reported to the council.

Logic lives in `planner.schedule`; this notebook calls the API and shows the results.
Synthetic demo data.
"""),
    code("""
%matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import planner
from planner.output.charts import gantt_figure
from planner.schedule import progress_report

pd.set_option("display.max_rows", 80)
pd.set_option("display.max_columns", 40)
pd.set_option("display.width", 160)

area = planner.load_area("demo")
cfg = planner.load_config("demo", progress=False)
plan = planner.plan(area, cfg)
schedule = plan.schedule
print(f"feasible: {schedule.feasible}; binding constraint: {schedule.binding_constraint or '-'}; "
      f"minimum crews: {schedule.min_crews}")
"""),
    md("""
## Kamienie milowe (milestones)
"""),
    code("""
schedule.milestones
"""),
    md("""
## Compliance per locality (≥ 80 % of points passed by the deadline)
"""),
    code("""
schedule.compliance
"""),
    md("""
Locality → milestone assignment (from the configuration, `rest` for the catch-all milestone):
"""),
    code("""
schedule.assignment
"""),
    md("""
## Work packages
"""),
    code("""
print(f"{len(schedule.work_packages)} work packages")
schedule.work_packages.head(20)
"""),
    code("""
schedule.work_packages.groupby(["milestone", "crew_type"])[["duration_days"]].agg(["count", "sum"])
"""),
    md("""
## Gantt chart (harmonogram)
"""),
    code("""
gantt_figure(schedule)
"""),
    md("""
## Postęp (as-built progress)

km built, km of it underground (trench + duct) and % of target points passed, from the
as-built layer; the forecast extrapolates the observed build rate.
"""),
    code("""
report = progress_report(schedule)
print(report.to_text())
"""),
    code("""
pd.Series({
    "as of": report.as_of,
    "km built": round(report.km_built, 1),
    "km underground": round(report.km_underground, 1),
    "planned km built / planned km": f"{report.km_planned_built:.1f} / {report.km_planned:.1f}",
    "% points passed": round(report.pct_passed, 1),
    "% points connected": round(report.pct_connected, 1),
    "forecast completion": report.forecast_completion,
    "milestones at risk": ", ".join(report.milestones_at_risk) or "none",
}, name="value").to_frame()
"""),
    code("""
report.milestones
"""),
    code("""
schedule.progress
"""),
    md("""
## Map: planned segments, built vs still to build
"""),
    code("""
built = plan.segments.merge(schedule.segments[["segment_id", "as_built"]], on="segment_id", how="left")
fig, ax = plt.subplots(figsize=(10, 10))
area.layers["localities"].boundary.plot(ax=ax, color="#c8c8c8", linewidth=0.4)
built[~built["as_built"].fillna(False).astype(bool)].plot(ax=ax, color="#bbbbbb", linewidth=0.7, label="to build")
built[built["as_built"].fillna(False).astype(bool)].plot(ax=ax, color="#d62728", linewidth=1.2,
                                                        label="built (as-built)")
area.pops.plot(ax=ax, color="black", marker="^", markersize=50, label="POP")
ax.legend(loc="lower left")
ax.set_title(f"Postęp budowy na {report.as_of}: {report.km_built:.1f} km, "
             f"{report.pct_passed:.1f} % punktów")
ax.set_axis_off()
plt.show()
"""),
]

OUT.mkdir(parents=True, exist_ok=True)
write("01_white_spots.ipynb", nb01)
write("02_network_design.ipynb", nb02)
write("03_schedule_and_progress.ipynb", nb03)
