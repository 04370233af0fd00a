# Every target bootstraps .venv itself, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test unit notebooks regen serve record bench lint browser site lock clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

lab: $(STAMP)  ## open the course in JupyterLab (recorded mode unless .env says otherwise)
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

test: $(STAMP)  ## unit tests, then every notebook under nbval against the recorded endpoint
	COURSE_MODE=recorded REPLAY_TIMING=none $(BIN)/python -m pytest -q tests $(NBVAL) $(NOTEBOOKS)

unit: $(STAMP)
	COURSE_MODE=recorded REPLAY_TIMING=none $(BIN)/python -m pytest -q tests

notebooks: $(STAMP)
	COURSE_MODE=recorded REPLAY_TIMING=none $(BIN)/python -m pytest -q $(NBVAL) $(NOTEBOOKS)

regen: $(STAMP)  ## re-execute every notebook against the recordings and store the outputs
	COURSE_MODE=recorded REPLAY_TIMING=none $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=300 \
		--ExecutePreprocessor.store_widget_state=False --NotebookClient.coalesce_streams=True $(or $(NB),$(NOTEBOOKS))
	$(BIN)/python tests/tidy_notebooks.py $(or $(NB),$(NOTEBOOKS))

# Lessons `make record` runs live: 01, 02 and 11 create and delete Azure resources, so never those.
RECORD_NOTEBOOKS := $(filter-out notebooks/01_% notebooks/02_% notebooks/11_%,$(NOTEBOOKS))

record: $(STAMP)  ## record the lessons' live answers into build/recordings/ (uses .env; bills the deployment)
	$(BIN)/python -m recorded_endpoint record $(ARGS) -- $(BIN)/jupyter nbconvert --to notebook --execute \
		--output-dir build/record --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 \
		--ExecutePreprocessor.store_widget_state=False --allow-errors $(or $(NB),$(RECORD_NOTEBOOKS))

browser: $(STAMP)  ## JupyterLab in headless Chromium runs lesson 06 (needs /usr/bin/chromium)
	COURSE_MODE=recorded REPLAY_TIMING=none $(BIN)/python -m pytest -q tests/browser

# Sphinx + myst-nb render the stored outputs (nothing is executed); any warning, such as a broken link, fails.
site: $(STAMP)  ## the course as a static site: build/site/html/index.html (no network needed, then or later)
	$(BIN)/python -m sphinx -b html -c site -d build/site/doctrees -W --keep-going -q . build/site/html
	@echo "The site is in build/site/html/: open index.html, or: $(BIN)/python -m http.server -d build/site/html"

serve: $(STAMP)  ## a recorded endpoint for a workshop room: make serve ARGS="--host 0.0.0.0 --api-key ..."
	$(BIN)/python -m recorded_endpoint serve $(ARGS)

bench: $(STAMP)
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check helpers tests bench

lock: $(STAMP)
	{ echo "# The pinned, tested set for the course (Python 3.11). Regenerate with: make lock"; echo "-e .[dev]"; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > requirements.txt

clean:
	rm -rf $(VENV)
