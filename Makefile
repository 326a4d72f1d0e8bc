# The two commands a new user needs: `make serve` and `make test`.
# Both create .venv with the project installed; nothing outside the checkout is touched.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: serve test index check bench clean

$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Rejected articles are reported by `kb index` (file and line); the rest are still served.
serve: $(INSTALLED)
	$(BIN)/kb index || echo "kb index reported problems (see above); serving the articles that were indexed"
	$(BIN)/kb serve

test: $(INSTALLED)
	$(BIN)/python -m pytest

index: $(INSTALLED)
	$(BIN)/kb index

check: $(INSTALLED)
	$(BIN)/kb check

bench: $(INSTALLED)
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) index instance .coverage
