# Quick start: `make demo` then `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test browser bench bench-network clean demo-data

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

## Run the whole test suite (unit, CLI, notebooks, browser).
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup --nbmake

## Headless Chromium for the map tests (Debian package; skipped quietly where apt is unavailable).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "WARNING: could not install chromium; browser tests will be skipped"; }

## Regenerate the embedded demo area (deterministic).
demo-data: $(STAMP)
	$(BIN)/python scripts/make_demo_area.py

## Benchmarks (print ratios against the reference libraries).
bench: $(STAMP)
	$(BIN)/python scripts/bench_routing.py
	$(BIN)/python scripts/bench_whitespots.py
	$(BIN)/python scripts/bench_map.py

## Benchmark of the optical network layer (demo, 100,000-home tree, MILP comparison, k-means margin).
bench-network: $(STAMP)
	$(BIN)/python scripts/bench_network.py

clean:
	rm -rf out .pytest_cache
