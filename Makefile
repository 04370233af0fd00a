# Every target bootstraps .venv itself, so a fresh clone needs only Python 3.11 and make.
# Windows without make: README.md, "Windows", lists the same commands.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
INSTALLER ?= uv  # INSTALLER=pip installs with pip alone
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Tests give each kernel its own recorded endpoint: lessons 01, 02 and 11 run on two workers at once, and on one
# shared endpoint lesson 11 would delete the resource group lesson 02 is deploying into.
TEST_ENV := COURSE_MODE=recorded REPLAY_TIMING=none COURSE_SHARED_ENDPOINT=0
# Tests run on both cores; --dist loadfile keeps each file (so every cell of a notebook) in one worker, in order.
JOBS ?= 2
XDIST := -n $(JOBS) --dist loadfile
# JupyterLab refuses to start as root unless told; containers and workshop VMs often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: lab install env test unit quick notebooks regen restore serve record bench lint browser site lock clean

# uv installs the pinned set in seconds; where uv cannot be installed (no wheel for the platform, no index
# access for it), pip installs the same pins.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	if [ "$(strip $(INSTALLER))" = uv ] && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); then \
	  $(BIN)/python -m uv pip install --quiet --python $(BIN)/python -r requirements.txt; \
	else \
	  [ "$(strip $(INSTALLER))" = pip ] || echo "uv is not available here: installing with pip (slower)"; \
	  $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -r requirements.txt; \
	fi
	touch $(STAMP)

install: $(STAMP)  ## create .venv with the pinned packages (every other target does this first)

lab: $(STAMP)  ## open the course in JupyterLab on lesson 00 (recorded mode unless .env says otherwise)
	$(if $(ALLOW_ROOT),@echo "Running as root: make lab adds --allow-root (JupyterLab refuses root without it).")
	$(BIN)/jupyter lab --config=jupyter_lab_config.py $(ALLOW_ROOT)

env:  ## create .env from .env.sample, never replacing one you have
	@if [ -e .env ]; then echo ".env exists: kept as it is (compare it with .env.sample by hand)."; \
	else cp .env.sample .env && echo "Created .env from .env.sample: fill it in, then restart the lessons' kernels."; fi

test: $(STAMP)  ## unit tests, then every notebook under nbval against the recorded endpoint
	$(TEST_ENV) $(BIN)/python -m pytest -q $(XDIST) tests $(NBVAL) $(NOTEBOOKS)

unit: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q $(XDIST) tests

quick: $(STAMP)  ## the unit tests without the slow ones (kernels, subprocesses, the browser)
	$(TEST_ENV) $(BIN)/python -m pytest -q $(XDIST) -m "not slow" tests

notebooks: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q $(XDIST) $(NBVAL) $(NOTEBOOKS)

REGEN_BACKUP := build/regen-backup/$(shell date +%Y%m%d-%H%M%S)

regen: $(STAMP)  ## re-execute notebooks against the recordings and store the outputs (NB=notebooks/XX.ipynb for one)
	@echo "make regen rewrites the stored outputs of: $(or $(NB),$(NOTEBOOKS))"
	@if [ -z "$(FORCE)" ] && command -v git >/dev/null && [ -n "$$(git status --porcelain -- $(or $(NB),$(NOTEBOOKS)) 2>/dev/null)" ]; then \
	  echo "These notebooks have changes not committed (your outputs or edits):"; git status --short -- $(or $(NB),$(NOTEBOOKS)); \
	  echo "They are copied to $(REGEN_BACKUP)/ before they are rewritten. (FORCE=1 skips this message.)"; fi
	mkdir -p $(REGEN_BACKUP) && cp $(or $(NB),$(NOTEBOOKS)) $(REGEN_BACKUP)/
	$(TEST_ENV) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=300 \
		--ExecutePreprocessor.store_widget_state=False --NotebookClient.coalesce_streams=True $(or $(NB),$(NOTEBOOKS))
	$(BIN)/python tests/tidy_notebooks.py $(or $(NB),$(NOTEBOOKS))
	@echo "Done. The previous versions are in $(REGEN_BACKUP)/"

RESTORE_BACKUP := build/restore-backup/$(shell date +%Y%m%d-%H%M%S)

restore:  ## put back the lessons as stored (outputs included); your changed lessons are copied to build/restore-backup/
	@command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 || \
	  { echo "make restore needs the course as a git clone; download the lessons again instead."; exit 1; }
	@changed=$$(git diff --name-only HEAD -- $(NOTEBOOKS)); \
	if [ -z "$$changed" ]; then echo "The lessons are as stored: nothing to restore."; exit 0; fi; \
	echo "Running a lesson stores your outputs in it. This puts back the stored version of:"; \
	for f in $$changed; do echo "  $$f"; done; \
	mkdir -p $(RESTORE_BACKUP) && cp $$changed $(RESTORE_BACKUP)/ && \
	git restore --source=HEAD --worktree -- $$changed && \
	echo "Restored. Your versions are in $(RESTORE_BACKUP)/ (.env and your own files are untouched)."

# Lessons `make record` runs live: 01, 02 and 11 create and delete Azure resources, so never those.
RECORD_NOTEBOOKS := $(filter-out notebooks/01_% notebooks/02_% notebooks/11_%,$(NOTEBOOKS))

record: $(STAMP)  ## record the lessons' live answers into build/recordings/ (uses .env; bills the deployment)
	$(BIN)/python -m recorded_endpoint record $(ARGS) -- $(BIN)/jupyter nbconvert --to notebook --execute \
		--output-dir build/record --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 \
		--ExecutePreprocessor.store_widget_state=False --allow-errors $(or $(NB),$(RECORD_NOTEBOOKS))

browser: $(STAMP)  ## JupyterLab in headless Chromium runs lesson 06 (needs /usr/bin/chromium)
	$(TEST_ENV) $(BIN)/python -m pytest -q tests/browser

# Sphinx + myst-nb render the stored outputs (nothing is executed); any warning, such as a broken link, fails.
# -E: a fresh build each time (a few seconds), so every page's navigation lists the lessons that exist now.
site: $(STAMP)  ## the course as a static site: build/site/html/index.html (no network needed, then or later)
	$(BIN)/python -m sphinx -b html -c site -d build/site/doctrees -E -W --keep-going -q . build/site/html
	@echo "The site is in build/site/html/: open index.html, or: $(BIN)/python -m http.server -d build/site/html"

serve: $(STAMP)  ## a recorded endpoint for a workshop room: make serve ARGS="--host 0.0.0.0 --api-key ..."
	$(BIN)/python -m recorded_endpoint serve $(ARGS)

bench: $(STAMP)
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)  ## ruff (code and notebooks), mypy over helpers/, doctests; lists the files that fail
	BIN=$(BIN) bash .ci/lint

lock: $(STAMP)
	{ echo "# The pinned, tested set for the course (Python 3.11). Regenerate with: make lock"; echo "-e .[dev]"; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > requirements.txt

clean:
	rm -rf $(VENV)
