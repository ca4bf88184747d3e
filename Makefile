# Quick start: `make demo` and `make test`. Both build their own virtual environment.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test

.PHONY: demo test bench lint compare clean debian-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

debian-deps:
	bash tools/install-debian-deps.sh

demo: $(STAMP)
	$(VENV)/bin/plcstack demo --out demo-output

test: $(STAMP) debian-deps
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pytest -q tests/bench --benchmark-enable --benchmark-only

compare: $(STAMP)
	$(PY) tools/compare_decoders.py

lint: $(STAMP)
	$(VENV)/bin/ruff check plcstack tests tools

clean:
	rm -rf $(VENV) demo-output .pytest_cache
