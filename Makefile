# The two commands a fresh clone needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-fast fuzz lint demo bench emulator clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy kaltura_events tasks flows deployments benchmarks docs tests demo.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/deptry .

# The browser tests drive the Prefect UI in Debian's Chromium; Playwright cannot download its own here.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "The browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; fi

test: lint $(CHROMIUM)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not reliability"

# Many more generated series than `make test` runs (FUZZ_EXAMPLES each, at random); see README.
# Also the chaos test under CHAOS_SEEDS seeds of faults (`make test` runs 10).
CHAOS_SEEDS ?= 20
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q -p no:cacheprovider tests/properties
	CHAOS_SEEDS=$(CHAOS_SEEDS) $(PY) -m pytest -q -p no:cacheprovider tests/reliability/test_chaos.py

demo: $(STAMP)
	$(PY) demo.py $(ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks.run

emulator: $(STAMP)
	$(VENV)/bin/kaltura-events emulator

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
