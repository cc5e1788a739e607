# motcua: `make run` starts a center's server, `make test` runs every test.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CONFIG  ?= config.yaml
# Debian packages the tests use: a real browser, the voice tools that build clips, Redis
# for the several-processes tests (the tests start their own redis-server), and libfaketime
# for servers whose clock a test sets (test-clock; tests/conftest.py).
SYSTEM_TOOLS := chromium espeak-ng sox redis-server faketime
SYSTEM_PKGS  := chromium espeak-ng sox libsox-fmt-all redis-server faketime
# test-clock: the tests whose servers run on the real clock, at fixed instants of the
# center's day: before opening, at lunch, a minute before midnight, and 05:00 (22:00 UTC
# the day before: the UTC date is not the center's).
CLOCK_INSTANTS := 2026-11-30T06:59 2026-11-30T11:45 2026-11-30T23:59 2026-12-01T05:00
CLOCK_TESTS    := tests/test_browser_phone.py tests/test_browser_supervisor.py::test_staff_pages_share_one_readable_navigation_and_devices_show_a_qr_code \
                  tests/test_browser_screens.py::test_kiosk_outside_working_hours_says_when_it_opens \
                  tests/test_server.py::test_the_server_starts_the_day_at_start_up tests/test_browser_display.py::test_clock_is_the_servers_in_the_centers_time_zone

.PHONY: run test test-clock bench peak-day system-deps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/motcua --config $(CONFIG) init
	$(BIN)/motcua --config $(CONFIG) serve

# Installs what is missing with apt (as root, or through sudo); never downloads a browser.
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $(SYSTEM_PKGS); \
	fi

# The suite in TEST_JOBS processes (pytest-xdist; each file in one process, so a module's
# shared server starts once), then the `timed` tests alone: their bounds (a burst read
# within 45 s, a click seen within a second) are measured on a machine the suite leaves quiet.
TEST_JOBS ?= 2
test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile -m "not timed"
	$(BIN)/python -m pytest -m timed
	$(MAKE) --no-print-directory test-clock

test-clock: $(STAMP) system-deps
	@for at in $(CLOCK_INSTANTS); do echo "test-clock: the center's clock at $$at"; \
	  MOTCUA_TEST_AT=$$at $(BIN)/python -m pytest -q -p no:cacheprovider $(CLOCK_TESTS) || exit 1; done

bench: $(STAMP)
	$(BIN)/python bench/bench_calls.py

# A simulated 650-ticket peak day against the real server and a real hall display (docs/peak-day.md).
peak-day: $(STAMP) system-deps
	$(BIN)/python bench/peak_day.py

clean:
	rm -rf $(VENV) *.egg-info
