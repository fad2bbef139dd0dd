# insertcoin: `make demo` runs the whole job end to end, `make test` runs the tests.
# Both work on a fresh machine: they make the virtualenv and start the local stack themselves.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: help venv stack-up stack-down stack-status test test-fast demo bench bench-loader bench-stack \
        bench-parsers bench-replay bench-crawlers bench-api bench-reliability validate-ml validate-ml-simulator \
        compose-check clean

help:
	@echo "make demo        simulate a market, serve it, crawl it, load, score, report (end to end)"
	@echo "make test        every test, on a real local PostgreSQL + Kafka the project starts"
	@echo "make stack-up    start the local PostgreSQL + Kafka (stack-down, stack-status)"
	@echo "make bench       the figures in docs/BENCHMARKS.md"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

stack-up: venv
	$(BIN)/insertcoin stack up

stack-down: venv
	$(BIN)/insertcoin stack down

stack-status: venv
	$(BIN)/insertcoin stack status

test: venv
	$(BIN)/insertcoin stack up
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: venv
	$(PY) -m pytest -q -m "not integration" -p no:cacheprovider

demo: venv
	bash infra/demo.sh

bench: bench-stack bench-loader bench-parsers bench-replay bench-crawlers bench-api

bench-stack: venv
	$(PY) tests/bench/bench_stack.py

bench-loader: venv
	$(BIN)/insertcoin stack up
	$(PY) tests/bench/bench_loader.py --records 1000000 --executemany 50000 --rounds 5

# The reliability suite at the counts of docs/RELIABILITY.md (`make test` runs its fast profile).
bench-reliability: venv
	$(BIN)/insertcoin stack up
	RELIABILITY_PROFILE=full $(PY) -m pytest -q -p no:cacheprovider tests/reliability
	$(PY) tests/bench/reliability_figures.py

bench-parsers: venv
	$(PY) tests/bench/bench_parsers.py

bench-replay: venv
	$(BIN)/insertcoin stack up
	$(BIN)/insertcoin simulate --stocks 2500 --from 2025-10-01 --to 2026-09-30 --seed 1 --out var/bench-world
	$(PY) tests/bench/replay_load.py --vs-crawler --world var/bench-world --seconds 10 --connections 32

bench-crawlers: venv
	$(BIN)/insertcoin stack up
	$(PY) tests/bench/bench_crawlers.py

bench-api: venv
	$(BIN)/insertcoin stack up
	test -f var/bench-api-world/world.json || $(BIN)/insertcoin simulate --stocks 2800 --from 2025-01-01 --to 2025-12-31 --seed 1 --out var/bench-api-world
	$(PY) tests/bench/bench_api.py --world var/bench-api-world

validate-ml: venv
	timeout 1800 $(PY) tests/bench/validate_ml_worlds.py --profile small --null-seeds 6 --power-seeds 3 \
		--reseed-worlds 2 --budget-s 1200 --json var/validate_ml_worlds.json --docs docs/BENCHMARKS.md

validate-ml-simulator: venv
	$(BIN)/insertcoin stack up
	$(PY) tests/bench/validate_ml.py

compose-check: venv
	$(PY) -m pytest -q tests/test_compose.py

clean:
	-$(BIN)/insertcoin stack down
	rm -rf .stack var
