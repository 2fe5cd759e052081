# The two commands of the README: `make run` (set up, build model and index if missing, start the
# app) and `make test`. Both work on a machine with nothing but python3: they create .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1

.PHONY: setup run index test fuzz browser bench loadtest clean-cache

setup: $(STAMP)

# torch first and alone, so pip takes the local CPU wheel rather than a CUDA build.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

index: setup
	$(BIN)/planqa index

# serve builds the model and the index itself when they are missing or stale (one model load, not two)
run: setup
	$(BIN)/planqa serve

# Chromium and CJK fonts for the browser tests (Debian packages; CI runs as root).
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: setup browser
	$(BIN)/python -m pytest -q

# thousands of fresh random documents through parse and chunk (the suite draws a fixed 150)
fuzz: setup
	HYPOTHESIS_PROFILE=sweep $(BIN)/python -m pytest -q tests/test_fuzz.py

bench: index
	$(BIN)/python -m bench.run

loadtest: index
	$(BIN)/python -m bench.loadtest

clean-cache:
	rm -rf .cache
