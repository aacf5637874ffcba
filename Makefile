# latentlab: `make run` and `make test` work from a fresh clone.
# Offline machines: export LATENTLAB_ASSETS=/path/to/assets (medmnist/*.npz, models/taesd/*) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch / torchvision pair (the one pip takes from local disk here; torchvision<=0.28 beside torch 2.13 breaks diffusers)
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
STAMP := $(VENV)/.installed

.PHONY: install run test test-all export clean-nbs readme docs check-sync

$(STAMP): settings.ini setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/latentlab run

test: install
	$(PY) -m pytest

test-all: install
	$(PY) -m pytest --run-slow

export: install
	$(VENV)/bin/nbdev_export && $(VENV)/bin/nbdev_clean

check-sync: install
	$(VENV)/bin/nbdev_export && $(VENV)/bin/nbdev_clean && git diff --exit-code -- latentlab nbs

readme: install
	$(VENV)/bin/jupyter nbconvert --to markdown --no-prompt --TagRemovePreprocessor.enabled=True \
		--TemplateExporter.exclude_output=True --output-dir . --output README nbs/index.ipynb

docs: install
	@if command -v quarto >/dev/null; then $(VENV)/bin/nbdev_docs; \
	else echo "quarto not found: rendering notebooks to HTML with nbconvert into _docs/"; \
		$(VENV)/bin/jupyter nbconvert --to html --output-dir _docs nbs/*.ipynb; fi
