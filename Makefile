# Quick start: `make run` serves the app with the demo data, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint bench clean catalogs compile-catalogs

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Links in messages and the printed sign-in address follow the chosen host and port.
run: export TRACKER_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/tracker db upgrade
	$(BIN)/tracker import pathways/
	$(BIN)/tracker demo-users
	$(BIN)/tracker run --host $(HOST) --port $(PORT)

# Schemathesis runs every operation inside one test, then checks the run reached real rows:
# in a process of its own, so that check always sees the whole run.
test: install
	$(BIN)/pytest -n 2 --dist loadgroup --deselect tests/api/test_schemathesis.py
	$(BIN)/pytest tests/api/test_schemathesis.py

lint: install
	$(BIN)/ruff check tracker tests bench
	$(BIN)/ruff format --check tracker tests bench
	$(BIN)/mypy

# Translations (README, Languages): extract the messages into the template and merge them into
# every language's catalog; then translate, and compile the .mo files (both are committed).
# Refusals are msgids where they are raised (tracker/errors.py): the exceptions are keywords,
# each with its template's argument (tests/test_catalogs.py KEYWORDS lists the same).
CATALOGS := tracker/translations
REFUSALS := -k InvalidInput:2 -k AccountError:2 -k InvalidStep:2 -k ReviewError:1 \
	-k VersionFrozen:1
catalogs: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext $(REFUSALS) -c TRANSLATORS: --no-location \
		--sort-output --project "Care Pathway Tracker" -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) \
		--no-fuzzy-matching

compile-catalogs: install
	$(BIN)/pybabel compile -d $(CATALOGS) --statistics

bench: install
	ONLY=$(ONLY) $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
