# teamsapp: `make run` serves the app, `make test` proves it. See the README.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
BUN_VERSION := 1.4.4
BUN_DIR := $(CURDIR)/.tools/bun
BUN := $(BUN_DIR)/node_modules/.bin/bun
PYTHON ?= python3

export PATH := $(BUN_DIR)/node_modules/.bin:$(BIN):$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup tools run dev migrate revision lint fmt test bench soak

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

$(BUN):
	npm install --prefix $(BUN_DIR) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)

setup: $(VENV)/.runtime $(BUN)  ## create the venv and install the pins and bun

run: setup migrate  ## migrate, build and serve the app in production mode on BACKEND_PORT (default 8000)
	$(BIN)/reflex run --env prod --single-port

dev: setup migrate  ## serve with hot reload (frontend and backend on their own ports)
	$(BIN)/reflex run --env dev

migrate: $(VENV)/.runtime  ## apply every migration
	$(BIN)/alembic upgrade head

revision: $(VENV)/.runtime  ## new migration from the models: make revision m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

lint: $(VENV)/.dev  ## ruff, the type checker and hadolint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

fmt: $(VENV)/.dev  ## format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

tools:  ## check the programs the tests drive (as root on Debian: install the missing ones)
	@scripts/check-tools

test: tools $(VENV)/.dev $(BUN) lint  ## lint, then the whole suite on PostgreSQL, Redis, SMTP and Chromium
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev $(BUN)  ## measure throughput and latency (QUICK=1 for a short run)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

soak: $(VENV)/.dev  ## ten minutes of mixed traffic on one worker: errors, memory, connections, fds
	$(BIN)/python -m tests.resilience.soak $(if $(SOAK_SECONDS),--seconds $(SOAK_SECONDS),)
