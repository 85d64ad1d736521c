# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint format install clean bench drill fuzz

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load the to:DO 2024 programme, start every service and worker
run: $(STAMP)
	$(BIN)/todo up

## make test: the whole suite against the real PostgreSQL and RabbitMQ; installs (as root) or
## names the programs it needs beside Python first (harness/tools.py)
test: $(STAMP)
	$(BIN)/python -m harness.tools
	$(BIN)/ruff check .
	$(BIN)/pytest -n 4 --dist loadscope -m "not serial" $(PYTEST_ARGS)
	$(BIN)/pytest -m serial $(PYTEST_ARGS)

## make bench: the benchmarks on PostgreSQL, one table; JSON in bench/results/
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

## make drill: fault drills on private RabbitMQ/PostgreSQL/SMTP servers
drill: $(STAMP)
	$(BIN)/python -m drills $(DRILL_ARGS)

## make fuzz: schemathesis, about 1,500 generated requests per service
fuzz: $(STAMP)
	$(BIN)/python -m drills fuzz

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var
