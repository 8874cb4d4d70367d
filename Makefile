# reelnotes: set-up, build, test and serve. Every target installs what it needs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
STAMP := $(VENV)/.installed

.PHONY: build test serve check clean test-tools audit screenshots lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/reelnotes build

serve: $(STAMP)
	$(BIN)/reelnotes serve --watch

test: $(STAMP) test-tools lint
	$(BIN)/python -m pytest -q

# Build speed against the Python floor; PEERS=1 also times Hugo, Pelican and Eleventy.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(PEERS),--peers)

# The code's own bar: ruff and mypy --strict, both clean.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy src

# External judges the tests use: Java and the Nu Html Checker, headless Chromium.
test-tools:
	bash scripts/install-test-tools.sh

# Lighthouse on the example site's index and a post (>= 95 in every category), with Debian's
# Chromium; the scores go to docs/audit-scores.json.
audit: $(STAMP) test-tools
	test -x $(TOOLS)/node_modules/.bin/lighthouse || npm install --prefix $(TOOLS) --silent --no-audit --no-fund lighthouse@13
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python scripts/audit.py

# Headless Chromium pictures for the README: index, post, films; desktop and 390 px; light, dark.
screenshots: $(STAMP) test-tools
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf build .reelnotes-cache
