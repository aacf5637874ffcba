# latentlab: `make run` and `make test` work from a fresh clone.
# Offline machines: export LATENTLAB_ASSETS=/path/to/assets (medmnist/*.npz, models/taesd/*) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch / torchvision pair (the one pip takes from local disk here; torchvision<=0.28 beside torch 2.13 breaks diffusers)
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.installed

.PHONY: install run test test-all export clean-nbs readme docs docs-check check-sync duplication

$(STAMP): settings.ini setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The default experiment (latentlab.config.RunConfig: the best pipeline the benchmark found) beside the pixel
# baseline, with 95% intervals; RUN_SET='--set KEY=VALUE ...' changes it.
RUN_SET ?=
run: install
	$(VENV)/bin/latentlab run $(RUN_SET)

# gates: every notebook cell compiles and runs (slow cells reported as skips), tests/, line coverage of latentlab/
# at least 90% (notebooks executed against the exported module), docstrings/examples ratchet, nbdev_export and
# nbdev_clean leave no diff, duplicated code under 5% (tests/test_project.py, tests/test_api_docs.py)
# TEST_WORKERS: pytest-xdist processes, one file each at a time (module fixtures stay shared); 0 runs in this process
COV_MIN ?= 90
TEST_WORKERS ?= 2
TEST_PAR := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
test: install
	$(PY) -m pytest $(TEST_PAR) --cov-fail-under=$(COV_MIN)

test-all: install
	$(PY) -m pytest $(TEST_PAR) --run-slow --cov-fail-under=$(COV_MIN)

export: install
	$(VENV)/bin/nbdev_export && $(VENV)/bin/nbdev_clean

check-sync: install
	$(VENV)/bin/nbdev_export && $(VENV)/bin/nbdev_clean && git diff --exit-code -- latentlab nbs

# the README is nbs/index.ipynb executed (its example's output included, stderr left out) and converted to markdown
readme: install
	$(PY) tools/readme.py

# the docs site: every notebook executed (slow cells shown, not run), nbdev's doc processing (show_doc of every
# export and of every public method), the reports executed with their defaults; rendered by Quarto where it is
# installed, else by nbconvert; then every link and embedded asset checked
DOCS_ENGINE ?= auto
docs: install
	$(PY) tools/build_docs.py --engine $(DOCS_ENGINE) --out _docs

docs-check:
	$(PY) tools/build_docs.py --check-only --out _docs

duplication: install
	$(VENV)/bin/symilar -d 6 -i --ignore-docstrings --ignore-imports $$(find latentlab -name '*.py' ! -name _modidx.py | sort) | tail -1
