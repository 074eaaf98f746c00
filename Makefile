# quizapp — the two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
RUNTIME_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
TEST_DEBS := $(RUNTIME_DEBS) chromium poppler-utils postgresql-client redis-server
export QUIZAPP_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run serve test test-sqlite bench bench-load lint format wheel-check clean help

help:
	@echo "make run    set up, import the curated content and start the server on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole suite (SQLite and PostgreSQL)"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make serve  start the production server (granian) on http://$(HOST):$(PORT)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "quizapp needs Python 3.11 or newer: sudo apt-get install -y python3.11 python3.11-venv"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtual environment. Run: sudo apt-get install -y python3-venv"; exit 1; }
	@$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	@sh scripts/ensure-system-packages.sh $(RUNTIME_DEBS)
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	@sh scripts/ensure-system-packages.sh $(TEST_DEBS)
	$(BIN)/pip install -q -e ".[test]"
	@touch $@

run: $(VENV)/.runtime
	@$(BIN)/quizapp db upgrade
	@$(BIN)/quizapp content import
	@echo
	@echo "quizapp is starting on http://$(HOST):$(PORT)"
	@PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(BIN)/quizapp users bootstrap-admin
	@echo "Students join at http://$(HOST):$(PORT)/join with a class code from their teacher. Stop with Ctrl+C."
	@echo
	@$(BIN)/quizapp run --host $(HOST) --port $(PORT)

serve: $(VENV)/.runtime
	@$(BIN)/quizapp db upgrade
	@echo "quizapp (granian, production settings: quizapp/serving.py) on http://$(HOST):$(PORT). Stop with Ctrl+C."
	@QUIZAPP_BIND=$(HOST):$(PORT) $(BIN)/python -m quizapp.serving

test: $(VENV)/.test
	@sh scripts/ensure-postgres.sh
	@sh scripts/ensure-redis.sh
	$(BIN)/ruff check quizapp tests bench
	$(BIN)/pytest -n 2 --dist loadgroup

test-sqlite: $(VENV)/.test
	QUIZAPP_TEST_BACKENDS=sqlite $(BIN)/pytest -n 2 --dist loadgroup

bench: $(VENV)/.test
	@sh scripts/ensure-postgres.sh
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done
	@for f in bench/load.py bench/large_data.py bench/request_costs.py; do echo "== $$f (PostgreSQL)"; $(BIN)/python $$f --backend postgresql || exit 1; done

bench-load: $(VENV)/.test
	@sh scripts/ensure-postgres.sh
	$(BIN)/python bench/load.py
	$(BIN)/python bench/load.py --backend postgresql

lint: $(VENV)/.test
	$(BIN)/ruff check quizapp tests bench
	$(BIN)/ruff format --check quizapp tests bench

format: $(VENV)/.test
	$(BIN)/ruff format quizapp tests bench
	$(BIN)/ruff check --fix quizapp tests bench

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache
