# reelnotes: set-up, build, test and serve. Every target installs what it needs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
STAMP := $(VENV)/.installed

.PHONY: build test serve check clean test-tools bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/reelnotes build

serve: $(STAMP)
	$(BIN)/reelnotes serve --watch

test: $(STAMP) test-tools
	$(BIN)/python -m pytest -q

# Build speed against the Python floor; PEERS=1 also times Hugo, Pelican and Eleventy.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(PEERS),--peers)

# External judges the tests use: Java and the Nu Html Checker, headless Chromium.
test-tools:
	bash scripts/install-test-tools.sh

clean:
	rm -rf build .reelnotes-cache
