# motcua: `make run` starts a center's server, `make test` runs every test.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CONFIG  ?= config.yaml
# Debian packages the tests use: a real browser, the voice tools that build clips, and
# Redis for the several-processes tests (the tests start their own redis-server).
SYSTEM_TOOLS := chromium espeak-ng sox redis-server
SYSTEM_PKGS  := chromium espeak-ng sox libsox-fmt-all redis-server

.PHONY: run test bench system-deps clean

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

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_calls.py

clean:
	rm -rf $(VENV) *.egg-info
