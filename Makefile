PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test audit fuzz bench soak cluster-demo screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,embedded]'
	touch $(STAMP)

install: $(STAMP)

# A developer's server: APP_ENV=development unless set, so the demo login's debug_code works
# whichever database it uses.
run: export APP_ENV := $(or $(APP_ENV),development)
run: install
	$(BIN)/bff migrate
	$(BIN)/bff demo-data
	$(BIN)/bff serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n 2 -q

# Known vulnerabilities of the installed dependencies (pip-audit; the project itself is not
# audited). Fails on any finding, and when the vulnerability data cannot be reached.
audit: install
	$(BIN)/python .ci/audit.py

# Schema fuzzing only, with many more examples per operation (`make test` runs a few) and the
# known findings failing too.
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} FUZZ_STRICT=1 $(BIN)/python -m pytest -n 2 -q tests/web/test_fuzz.py

bench: install
	$(BIN)/python -m bench

# Load and soak: SOAK_SECONDS (600) of mixed app and CRM traffic at SOAK_RPS (50) against a server
# and two workers of its own, with a Redis restart and a killed worker; fails on a lost or
# duplicated push. Knobs in soak/__main__.py.
soak: install
	$(BIN)/python -m soak

# Several machines on loopback: two `bff serve` and two `bff worker` processes in working
# directories of their own, sharing one PostgreSQL, Redis, an S3 server (moto) and the fake FCM; a
# document, an Excel import and a mailing cross them while a worker is killed.
cluster-demo: install
	$(BIN)/python -m pytest -p no:xdist -v tests/push/test_several_machines.py

# A PNG of each main page of the staff console with the demo data, into SCREENSHOTS_DIR
# (var/screenshots); needs Debian's chromium and chromium-driver.
screenshots: install
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) var
