# Quick start: `make demo` then `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test browser postgis bench bench-network bench-replan bench-scale bench-writers clean demo-data

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

## Run the full plan on the embedded demo area (Serock + Wieliszew) into out/demo/,
## then the two alternative scenarios and their comparison (out/scenarios/).
demo: $(STAMP)
	$(BIN)/planner plan --area demo --out out/demo
	@echo "Scenarios: aerial-first (out/demo) vs all-underground vs no duct reuse"
	$(BIN)/planner plan --area demo --config examples/all_underground.toml --out out/scenarios/all_underground --quiet > /dev/null
	$(BIN)/planner plan --area demo --config examples/no_duct_reuse.toml --out out/scenarios/no_duct_reuse --quiet > /dev/null
	$(BIN)/planner compare out/demo out/scenarios/all_underground out/scenarios/no_duct_reuse \
	    --names aerial_first,all_underground,no_duct_reuse --out out/scenarios/comparison.csv
	@echo "Map: out/demo/map.html"

## Lint (ruff, numpy docstrings), type-check (mypy) and run the whole test suite (unit, CLI, notebooks, browser). The real components the tests
## use (Chromium, PostgreSQL/PostGIS) are installed first and required: a missing one fails the run, never skips it.
test: $(STAMP) browser postgis
	$(BIN)/ruff check planner tests scripts
	$(BIN)/mypy
	PLANNER_REQUIRE_COMPONENTS=1 $(BIN)/python -m pytest -n 2 --dist loadgroup --nbmake

## Headless Chromium for the map and report tests (Debian package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## PostgreSQL + PostGIS server binaries for the PostGIS tests (Debian packages, issue #20). The tests
## start their own throw-away server in a temp dir (never the system cluster) and fail, not skip,
## with this target's name when the binaries are missing.
postgis:
	@ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || { \
	  echo "installing Debian postgresql + postgis for the PostGIS tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-postgis >/dev/null; }

## Regenerate the embedded demo area (deterministic).
demo-data: $(STAMP)
	$(BIN)/python scripts/make_demo_area.py

## Benchmarks (print ratios against the reference libraries).
bench: $(STAMP)
	$(BIN)/python scripts/bench_plan.py --cold
	$(BIN)/python scripts/bench_routing.py
	$(BIN)/python scripts/bench_whitespots.py
	$(BIN)/python scripts/bench_map.py

## Writers of a plan directory, CPU against their reference libraries: map.html, GeoPackages, CSVs (folium,
## pyogrio, pandas; byte checks) and the workbooks, Gantt chart and report (pandas, matplotlib).
bench-writers: $(STAMP)
	$(BIN)/python scripts/bench_writers.py
	$(BIN)/python scripts/bench_workbooks.py

## Re-planning benchmark (issue #18): replan of the demo, crew search, ratios to references.
bench-replan: $(STAMP)
	$(BIN)/python scripts/bench_replan.py

## plan-many benchmark (issue #19): communes/min on 1 vs 2 workers, 8 M-point national white spots (long).
bench-scale: $(STAMP)
	$(BIN)/python scripts/bench_scale.py

## Benchmark of the optical network layer (demo, 100,000-home tree, MILP comparison, k-means margin).
bench-network: $(STAMP)
	$(BIN)/python scripts/bench_network.py

clean:
	rm -rf out .pytest_cache
