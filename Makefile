# Quick start: `make demo` and `make test`. Both build their own virtual environment.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test fuzz bench lint compare clean debian-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# test extras: every optional dependency (plcstack[all]) plus the test tools
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# what the demo uses: the core plus plots and rich output (plcstack[demo])
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[demo]'
	touch $(DEMO_STAMP)

debian-deps:
	bash tools/install-debian-deps.sh

demo: $(DEMO_STAMP)
	$(VENV)/bin/plcstack demo --out demo-output

test: $(STAMP) debian-deps
	$(PY) -m pytest -q

# the property tests with fresh random examples (1000 each, or what a test sets itself)
fuzz: $(STAMP)
	$(PY) -m pytest -q --hypothesis-profile=fuzz -m "not slow" tests

bench: $(STAMP)
	$(PY) -m pytest -q tests/bench --benchmark-enable --benchmark-only

compare: $(STAMP)
	$(PY) tools/compare_decoders.py

# ruff everywhere; mypy on the package as configured in pyproject.toml [tool.mypy]
lint: $(STAMP)
	$(VENV)/bin/ruff check plcstack tests tools
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) demo-output .pytest_cache
