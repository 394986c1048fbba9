# The two commands a new machine needs: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres:postgres@127.0.0.1:5432/xiangzhi
# Test coverage may only rise: raise this floor when it does.
COVERAGE_FLOOR := 95

.PHONY: run test lint typecheck bench messages screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/python manage.py check_schema
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_town
	@echo "Serving http://127.0.0.1:8000 — log in as cadre1 / xiangzhi-demo"
	@# beside the web server, stopping with it: the background worker (messages, scheduled jobs, camera probes),
	@# the SL 651 listener for gauges (port 5050, this machine only in the demo) and the MQTT subscriber — on the
	@# broker at 127.0.0.1:1883 when one answers (Mosquitto), else on an embedded one (amqtt)
	@pids=""; trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py worker & pids="$$pids $$!"; \
	$(BIN)/python manage.py sl651_listener --host 127.0.0.1 --port 5050 & pids="$$pids $$!"; \
	if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 1883), 1)" 2>/dev/null; then \
	  mqtt=5; else echo "No MQTT broker on 127.0.0.1:1883: starting the embedded one"; \
	  $(BIN)/amqtt -c xiangzhi/config/amqtt.yaml >var/amqtt.log 2>&1 & pids="$$pids $$!"; mqtt=3.1.1; sleep 2; fi; \
	$(BIN)/python manage.py mqtt_subscriber --protocol $$mqtt & pids="$$pids $$!"; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with django-stubs over the apps listed in pyproject.toml [tool.mypy] files
typecheck: $(BIN)/.installed
	$(BIN)/mypy

# SQLite always; PostgreSQL too when DATABASE_URL is set or a server answers on 127.0.0.1:5432.
test: $(BIN)/.installed lint typecheck
	$(BIN)/python manage.py makemigrations --check --dry-run
	@echo "== tests on SQLite =="
	DATABASE_URL= $(BIN)/coverage run -m pytest -p no:cacheprovider
	@echo "coverage (floor $(COVERAGE_FLOOR)%): $$($(BIN)/coverage report --format=total)%"
	$(BIN)/coverage report --fail-under=$(COVERAGE_FLOOR) --format=total >/dev/null
	@url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ] && $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then url="$(PG_URL)"; fi; \
	if [ -n "$$url" ]; then \
	  echo "== tests on PostgreSQL =="; DATABASE_URL="$$url" XIANGZHI_EXPECT_PG=1 $(BIN)/pytest -p no:cacheprovider; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "CI: PostgreSQL is required and not reachable"; exit 1; \
	else echo "NOTICE: PostgreSQL not reachable on 127.0.0.1:5432 — PostgreSQL run SKIPPED"; fi

bench: $(BIN)/.installed
	$(BIN)/python bench/search.py
	$(BIN)/python bench/import.py

# The main pages of a fresh demo town (fixed seed) at 360 and 1366 px in zh-Hans, into docs/screenshots/ (README).
screenshots: $(BIN)/.installed
	$(BIN)/python scripts/screenshots.py

messages: $(BIN)/.installed
	cd xiangzhi && ../$(BIN)/django-admin makemessages -l zh_Hans --no-obsolete --no-wrap && ../$(BIN)/django-admin compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var
