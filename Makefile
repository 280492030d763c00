# attention-names: `make lab` to open the series, `make test` to check it. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
NAMES := data/names-indian.txt
# reveal.js, require.js, jQuery and MathJax for offline slides, from npm (slides/package-lock.json)
SLIDE_ASSETS := slides/node_modules/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NB ?= $(NOTEBOOKS)
# JupyterLab refuses to run as root unless told (containers, CI machines).
ROOT_OK := $(if $(filter 0,$(shell id -u)),--allow-root)
# Inline figures vanish from executed notebooks when MPLBACKEND=Agg is set: keep kernels clean.
unexport MPLBACKEND
# pip installs without byte code (--no-compile, below): Python writes it for each module the
# first time it is imported. Some machines (CI images) set PYTHONDONTWRITEBYTECODE, and then
# every kernel would compile torch, matplotlib and pandas again from source.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup setup-dev data lab test test-other-cpu lint notebooks clean clean-all

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

# requirements.txt lists PyTorch's CPU index as an extra index. pip retries an index it cannot
# reach for minutes on every package: where that index is out of reach (a machine that only
# reaches the default index), each package tries it once and pip goes on without it.
# --no-compile: Python compiles a module when it is first imported, so pip need not compile
# all of torch ahead of time (two thirds of the time of installing torch on this machine).
TORCH_INDEX := https://download.pytorch.org/whl/cpu/
PIP_INSTALL = $(PY) -m pip install --quiet --no-compile $$($(PY) -c 'import urllib.request as u; u.urlopen("$(TORCH_INDEX)", timeout=10)' 2>/dev/null \
	|| { echo "PyTorch's CPU index is out of reach: installing from the default index" >&2; echo --retries 0; })

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PIP_INSTALL) -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PIP_INSTALL) -r requirements-dev.txt
	@touch $(DEV_STAMP)

setup: $(STAMP) ## create .venv with the tested versions of what a student needs
setup-dev: $(DEV_STAMP) ## add the developers' tools (tests, site, slides, browser tests)

$(NAMES): | $(STAMP)
	$(PY) -m attention_utils.data

data: $(STAMP) ## download (or re-check) the names file into data/
	$(PY) -m attention_utils.data

lab: $(STAMP) $(NAMES) ## open the series in JupyterLab (127.0.0.1, with a token)
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(ROOT_OK)

lint: $(DEV_STAMP) ## ruff on the package, the course builders, the tests and the notebooks
	$(VENV)/bin/ruff check attention_utils course tests notebooks
	$(VENV)/bin/ruff format --check attention_utils course tests notebooks

# Two test files (or notebooks) at a time, each file on one worker in its own order: most
# tests wait on a kernel or on pip, so two workers keep both cores of a laptop busy.
PARALLEL ?= -n 2 --dist loadfile
test: $(DEV_STAMP) $(NAMES) $(SLIDE_ASSETS) lint ## lint, unit tests, and every notebook re-run and compared
	$(PY) -m pytest $(PARALLEL) tests
	$(PY) -m pytest $(PARALLEL) $(NBVAL) notebooks
	@$(MAKE) --no-print-directory test-other-cpu

NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:randomly
# The same numbers on another CPU. PyTorch and NumPy choose their kernels by the processor's
# instruction set; here another processor is emulated: PyTorch's kernels at the level
# OTHER_CPU (default: its plainest, no AVX at all; or avx2), NumPy's AVX-512 code off. The
# notebooks run again from an empty data folder (the model of 08, 09 and 12 is trained again), and
# every checked output must equal the committed one, which was made on this machine.
OTHER_CPU ?= default
OTHER_CPU_DATA := build/other-cpu
test-other-cpu: $(DEV_STAMP) $(NAMES) ## the notebooks again on an emulated CPU without AVX-512 (OTHER_CPU=default|avx2)
	rm -rf $(OTHER_CPU_DATA) && mkdir -p $(OTHER_CPU_DATA) && cp $(NAMES) $(OTHER_CPU_DATA)/
	export ATEN_CPU_CAPABILITY=$(OTHER_CPU) NPY_DISABLE_CPU_FEATURES="$$($(PY) tests/cpu.py)" \
	  ATTENTION_NAMES_DATA=$(abspath $(OTHER_CPU_DATA)); \
	$(PY) tests/cpu.py --report \
	  && $(PY) -m pytest $(PARALLEL) $(NBVAL) notebooks

notebooks: $(DEV_STAMP) $(NAMES) ## re-execute every notebook in place, in order, each in a fresh kernel
	$(PY) -m course.links $(NB)
	$(VENV)/bin/ruff check --quiet --fix --select I $(NB)
	$(VENV)/bin/ruff format --quiet $(NB)
	@for nb in $(NB); do \
	  echo "executing $$nb"; \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=900 \
	    --ExecutePreprocessor.store_widget_state=False "$$nb" \
	    || exit 1; \
	done

.PHONY: bench
# The cross-validated result is committed in the package: notebook 11 shows it (a test says when
# it is stale).
BENCH_OUT ?= attention_utils/measured/cross_validated.json
bench: $(STAMP) $(NAMES) ## every model from scratch on 5 folds: held-out NLL ± s.e., seconds per fold
	$(PY) -m course.bench --out $(BENCH_OUT) $(BENCH_ARGS)

.PHONY: student slides

student: $(DEV_STAMP) ## student copies in build/student/ (solutions stubbed, outputs cleared, README)
	$(PY) -m course.student --out build/student $(NOTEBOOKS)

$(SLIDE_ASSETS): slides/package.json slides/package-lock.json
	cd slides && npm ci --no-audit --no-fund
	@touch $(SLIDE_ASSETS)

slides: $(DEV_STAMP) $(SLIDE_ASSETS) ## offline reveal.js decks in build/slides/ (one per notebook)
	$(PY) -m course.slides --out build/slides $(NOTEBOOKS)

.PHONY: site test-browser
SITE_ASSETS := site/node_modules/.installed
# configurable-http-proxy for the hub test (npm, hub/package-lock.json); its rule is below
HUB_ASSETS := hub/node_modules/.installed

$(SITE_ASSETS): site/package.json site/package-lock.json
	cd site && npm ci --no-audit --no-fund
	@touch $(SITE_ASSETS)

site: $(DEV_STAMP) $(SITE_ASSETS) ## static site of the series in build/site/ (stored outputs, offline; NAMES_FILE=... for the explorer page's model)
	$(PY) -m course.site --out build/site $(if $(NAMES_FILE),--names "$(NAMES_FILE)")

test-browser: $(DEV_STAMP) $(NAMES) site $(SLIDE_ASSETS) $(HUB_ASSETS) ## the site, the slides, JupyterLab, the explorer (headless Chromium), a class on JupyterHub
	ATTENTION_NAMES_BROWSER=1 $(PY) -m pytest $(PARALLEL) tests/browser -p no:randomly -p no:cacheprovider

# A class on JupyterHub: the hub's proxy from npm (hub/package-lock.json) for the load test,
# the nbgitpuller link for the students, and what one student costs.
.PHONY: hub-assets hub-link hub-sizing hub-config
HUB ?= https://hub.example.edu
CLASS ?= 30

$(HUB_ASSETS): hub/package.json hub/package-lock.json
	cd hub && npm ci --no-audit --no-fund
	@touch $(HUB_ASSETS)

hub-assets: $(HUB_ASSETS) ## JupyterHub's configurable-http-proxy from npm, for the hub's load test

hub-link: $(STAMP) ## print the nbgitpuller link that opens notebook 01 on a hub: make hub-link HUB=https://...
	$(PY) -m course.hub link --hub $(HUB)

hub-sizing: $(DEV_STAMP) $(NAMES) ## one student's cost: each notebook's kernel peak memory, CPU s, disk (into course/figures/hub-sizing.json)
	$(PY) -m course.sizing --out course/figures/hub-sizing.json

hub-config: $(DEV_STAMP) ## Zero to JupyterHub's config.yaml for a class, in build/hub/: make hub-config CLASS=300
	$(PY) -m course.hubconfig --class $(CLASS) --out build/hub/config.yaml

clean: ## remove what builds and tests wrote (build/, caches); keeps .venv and data
	rm -rf build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

clean-all: clean ## also remove .venv, node_modules and the downloaded data
	rm -rf $(VENV) $(NAMES) data/downloads data/cache slides/node_modules site/node_modules \
	  hub/node_modules
