# The two commands a new user needs: `make serve` and `make test`.
# Both create .venv with the project installed; nothing outside the checkout is touched.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# Serving needs the package alone; the tests also need Playwright, schemathesis and the rest.
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
QUICK := not browser and not load and not fault and not fuzz and not slow
# The accessibility audit of the browser tests runs axe-core, from npm, in Chromium.
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js

.PHONY: serve test quick index check bench lighthouse reliability clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): setup.cfg pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Rejected articles are reported by `kb index` (file and line); the rest are still served.
# The server keeps this terminal: run `kb user add NAME` in a second one.
serve: $(INSTALLED)
	$(BIN)/kb index || echo "kb index reported problems (see above); serving the articles that were indexed"
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

$(AXE): | $(VENV)/bin/python
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node axe-core@4.14.1

# Everything, with branch coverage: what CI runs.
test: $(TEST_INSTALLED) $(AXE)
	$(BIN)/python -m pytest --cov=kb --cov-branch --cov-report=term:skip-covered

# The quick loop: everything but the browser, load, fault, fuzz and slow tests (under a minute).
quick: $(TEST_INSTALLED)
	$(BIN)/python -m pytest -n 2 -m "$(QUICK)"

# docs/reliability.md's table from tests/guarantees.yaml and the figures of the last `make test`.
reliability: $(TEST_INSTALLED)
	$(BIN)/python tests/reliability_doc.py

index: $(INSTALLED)
	$(BIN)/kb index

check: $(INSTALLED)
	$(BIN)/kb check

bench: $(TEST_INSTALLED)
	$(BIN)/python benchmarks/speed.py

# Lighthouse from npm, run in Debian's Chromium (docs/benchmarks.md has the scores).
lighthouse: $(TEST_INSTALLED)
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node lighthouse@12
	$(BIN)/python benchmarks/lighthouse.py

clean:
	rm -rf $(VENV) index instance .coverage .pytest_cache
