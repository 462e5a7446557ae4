# Two commands: `make run` serves the demo clinic, `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint migrate seed clean bench load screenshots \
	translations extract-translations update-translations compile-translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

migrate: $(RUN_STAMP) compile-translations
	$(FLASK) db upgrade

# Translations (gettext, Flask-Babel): .po catalogues are committed, .mo are built.
TRANSLATIONS := recovery/translations
POT := $(TRANSLATIONS)/messages.pot
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

## Extract the strings of templates and code, merge them into every catalogue.
translations: update-translations compile-translations

extract-translations: $(RUN_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location \
	  --sort-output --project Recovery -o $(POT) \
	  --ignore-dirs '.* _* tests domain' .

update-translations: extract-translations
	$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete

compile-translations: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(RUN_STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

seed: migrate
	$(FLASK) demo seed --if-empty

## Serve the app on http://127.0.0.1:5000 with the demo clinic.
run: seed
	RECOVERY_START_SCHEDULER=1 $(FLASK) run --host 127.0.0.1 --port 5000

## Lint, format check, type check of the domain, then the whole test suite.
test: $(DEV_STAMP) compile-translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy recovery/domain
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy recovery/domain

clean:
	rm -rf $(VENV) instance/test.db* $(MO_FILES) .pytest_cache .mypy_cache .ruff_cache

LOAD_STAMP := .venv-load/.installed

$(LOAD_STAMP): requirements-load.txt
	$(PYTHON) -m venv .venv-load
	.venv-load/bin/python -m pip install --quiet -r requirements-load.txt
	touch $@

## Every bench script, then one table of figures, baselines and targets.
bench: $(DEV_STAMP) $(LOAD_STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

## The load test alone: gunicorn + PostgreSQL + Locust (make load LOAD_ARGS=--quick).
load: $(DEV_STAMP) $(LOAD_STAMP)
	$(BIN)/python bench/load.py $(LOAD_ARGS)


## Phone screenshots of the main pages into docs/screenshots/ (needs Chromium).
screenshots: $(DEV_STAMP)
	$(BIN)/python docs/screenshots.py
