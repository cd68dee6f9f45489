# pybackend: `make run` to serve the seeded guide, `make test` to run every check.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCALE := pybackend/locale

.PHONY: run test lint format translations extract-messages update-catalogs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-testing: setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[testing]'
	touch $(VENV)/.installed $@

# The gettext catalogs are compiled from the .po files we keep in git.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d $(LOCALE) -D pybackend

run: translations
	$(BIN)/initialize_pybackend_db development.ini
	$(BIN)/pserve development.ini

# axe-core for the accessibility checks of the browser tests, from the npm registry.
tests/browser/node_modules/axe-core/axe.min.js: tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the axe-core accessibility checks will be skipped"; fi

test: $(VENV)/.installed-testing translations tests/browser/node_modules/axe-core/axe.min.js
	$(BIN)/ruff check pybackend tests
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-testing
	$(BIN)/ruff check pybackend tests

format: $(VENV)/.installed-testing
	$(BIN)/ruff format pybackend tests
	$(BIN)/ruff check --fix pybackend tests

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _ --no-location --sort-output \
		--project pybackend --copyright-holder "pybackend" -o $(LOCALE)/pybackend.pot pybackend

update-catalogs: extract-messages
	$(BIN)/pybabel update -i $(LOCALE)/pybackend.pot -d $(LOCALE) -D pybackend --no-fuzzy-matching

# Benchmarks (never timed tests): wrk against production-like waitress, see bench/README.md.
bench: $(VENV)/.installed-testing translations
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache tests/browser/node_modules
