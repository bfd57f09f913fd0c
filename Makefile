# Minilok: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PACKAGES := shared services/meetings services/indicators services/notifications
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider --timeout 300

.PHONY: install run test test-unit test-sqlite test-sqlite-all test-postgresql lint compose-config clean chaos

install: $(VENV)/.installed

$(VENV)/.installed: $(PYPROJECTS) requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(addprefix -e ,$(PACKAGES)) -r requirements-dev.txt
	touch $@

# The first start writes a random MINILOK_SECRET to var/secret (mode 0600, unless MINILOK_SECRET is
# set); every process of the Procfile and the `minilok` CLI read it from there.
run: install
	@$(BIN)/minilok secret init
	@$(BIN)/minilok check
	@$(BIN)/minilok setup
	@echo "Minilok is starting (Ctrl-C stops everything):"
	@echo "  meetings API + dashboard  http://$${MEETINGS_HOST:-127.0.0.1}:$${MEETINGS_PORT:-8001}/  (docs /docs)"
	@echo "  indicators API            http://$${INDICATORS_HOST:-127.0.0.1}:$${INDICATORS_PORT:-8002}/docs"
	@echo "  notifications API         http://$${NOTIFICATIONS_HOST:-127.0.0.1}:$${NOTIFICATIONS_PORT:-8003}/docs"
	@echo "  admin token: $(BIN)/minilok token create --role admin"
	MINILOK_LOG_FORMAT="$${MINILOK_LOG_FORMAT:-console}" PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

# Unit tests once; integration and end-to-end tests on SQLite and then on PostgreSQL. The
# browser tests and the schema fuzzing drive the HTTP surface, not the database: they run once,
# on PostgreSQL (`make test-sqlite-all` runs them on SQLite too).
SQLITE_ONCE := --ignore=tests/e2e/test_dashboard.py --ignore=tests/integration/test_schemathesis.py
test: install test-unit test-sqlite test-postgresql

test-unit: install
	$(PYTEST) tests/unit -q

test-sqlite: install
	MINILOK_TEST_DB=sqlite $(PYTEST) tests/integration tests/e2e -q $(SQLITE_ONCE)

test-sqlite-all: install
	MINILOK_TEST_DB=sqlite $(PYTEST) tests/integration tests/e2e -q

test-postgresql: install
	MINILOK_TEST_DB=postgresql $(PYTEST) tests/integration tests/e2e -q

lint: install
	$(BIN)/ruff check shared services tests

compose-config:
	MINILOK_SECRET=compose-check-0123456789abcdef0123456 RABBITMQ_DEFAULT_USER=minilok \
	  RABBITMQ_DEFAULT_PASS=compose-check docker-compose config -q

clean:
	rm -rf var $(VENV)

# The demo of the source articles (three puskesmas, their agencies, meetings and follow-ups, Batam
# areas and a synthetic year of indicator values), loaded through the public APIs of a running
# system: start `make run` in another terminal first. Prints the dashboard URL and demo tokens.
.PHONY: demo
demo: install
	@echo "make demo: loading into the running system (start 'make run' in another terminal first)"
	$(BIN)/python scripts/demo.py

# Faults while thousands of events flow (kills, broker/DB outages): restarts the machine's
# RabbitMQ and Redis, so it is never part of `make test`.
chaos: install
	MINILOK_CHAOS=1 MINILOK_TEST_DB=postgresql $(PYTEST) tests/chaos -q -s --timeout 1800

# Benchmarks print a table each and write JSON to bench/results/ (PostgreSQL on 127.0.0.1,
# a throwaway RabbitMQ vhost). Run on an otherwise idle machine; figures: docs/benchmarks.md. The
# pipeline's latency run is the 10-minute steady run at half load whose RSS must stay flat.
.PHONY: bench
bench: install
	$(BIN)/python bench/reminder_burst.py --followups 100000 --scanners 2
	$(BIN)/python bench/indicators.py
	$(BIN)/python bench/pipeline.py --burst 100000 --latency-seconds 600
	$(BIN)/python bench/api_load.py
	$(BIN)/python bench/idempotency.py
