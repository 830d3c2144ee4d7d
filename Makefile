# Townhall — `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := postgresql redis-server chromium nginx-light wrk openssl

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@echo "Installing Townhall and its dependencies into $(VENV) (about 2 minutes the first time) …"
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create the virtual environment and install Townhall with its dev tools

system-deps: ## Install the Debian packages the tests and benchmarks use (PostgreSQL, Redis, Chromium, nginx, wrk)
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

PORT ?= 8000

demo: install ## Start the demo: a sample news site with comments on http://127.0.0.1:8000 (PORT=8001 for another port)
	$(PY) -m townhall demo --port $(PORT)

test: install system-deps ## Run the whole test suite (SQLite, PostgreSQL, Redis, Chromium)
	$(PY) -m pytest

lint: install ## ruff check and format check
	$(VENV)/bin/ruff check townhall tests bench modelling
	$(VENV)/bin/ruff format --check townhall tests bench modelling

fmt: install ## Format the code
	$(VENV)/bin/ruff format townhall tests bench modelling
	$(VENV)/bin/ruff check --fix townhall tests bench modelling

typecheck: install ## mypy over the package
	$(VENV)/bin/mypy townhall

bench: install system-deps ## Reads and posts vs Isso and static nginx; moderation speed and memory
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py
	$(PY) bench/moderation.py

messages: install ## Extract the strings (widget, reader messages, dashboard) into townhall/locale/*.pot and update the .po files
	$(VENV)/bin/pybabel extract -F townhall/locale/widget.cfg --no-default-keywords -k t -k tn:1,2 \
	  --no-location --omit-header -o townhall/locale/widget.pot .
	$(VENV)/bin/pybabel update -D widget -i townhall/locale/widget.pot -d townhall/locale --no-wrap
	$(VENV)/bin/pybabel extract -F townhall/locale/messages.cfg --no-default-keywords -k N_ -k say:2 -k gettext \
	  -k Invalid -k NotFound -k Unauthorized -k Forbidden -k Conflict -k RateLimited -k TooLarge \
	  -k NP_:1,2 --no-location --omit-header -o townhall/locale/messages.pot .
	$(VENV)/bin/pybabel update -D messages -i townhall/locale/messages.pot -d townhall/locale --no-wrap
	$(VENV)/bin/pybabel extract -F townhall/locale/dashboard.cfg --no-default-keywords -k N_ -k _ -k gettext -k t \
	  -k ngettext:1,2 -k Invalid -k NotFound -k Unauthorized -k Forbidden -k Conflict -k RateLimited \
	  -k Refusal:3 -k Refused -k NP_:1,2 --no-location --omit-header -o townhall/locale/dashboard.pot .
	$(VENV)/bin/pybabel update -D dashboard -i townhall/locale/dashboard.pot -d townhall/locale --no-wrap

.PHONY: messages help install system-deps demo test lint fmt typecheck bench
