# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv in the checkout and install the pinned set from requirements.lock when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench venv lock clean browser office translations

demo: $(STAMP)
	$(BIN)/vroeg demo

# The checks first (seconds), then the suite: lint, the layer contract (docs/design.md), tests.
# The suite runs on one worker per core (pytest-xdist, at most 4), a test file per worker at a
# time: most tests wait on subprocesses, servers and a browser, and one process left a 2-core
# machine half idle (docs/development.md). --durations shows where the budget goes.
PYTEST_ARGS ?= --numprocesses auto --maxprocesses 4 --dist loadfile --durations 15
test: $(STAMP) browser office
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

# The portal's browser tests drive Debian's chromium through Playwright (`playwright install`
# cannot download browsers here). Installed when missing and we may (root with apt-get);
# otherwise those tests skip locally, saying why, and fail under CI.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the portal's browser tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }; \
	  else \
	    echo "$(CHROMIUM) not found: browser tests will be skipped (sudo apt-get install chromium)"; \
	  fi; \
	fi

# The visit list's print test converts the workbook to PDF with Debian's LibreOffice Calc
# (headless); Carlito has Calibri's measures, so the pages match what Excel prints. Installed like
# chromium above; without it that test skips locally, saying why, and fails under CI.
SOFFICE := /usr/bin/soffice
CARLITO := /usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf
office:
	@if [ ! -x $(SOFFICE) ] || [ ! -f $(CARLITO) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's LibreOffice Calc for the visit list's print test"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    packages="libreoffice-calc fonts-crosextra-carlito"; \
	    apt-get install -y -q --no-install-recommends $$packages >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$packages >/dev/null; }; \
	  else \
	    echo "$(SOFFICE) not found: the print test will be skipped (sudo apt-get install libreoffice-calc)"; \
	  fi; \
	fi

# The benchmark (bench/, docs/benchmark.md): 1,000,000 signals and a small monthly run, against
# the DuckDB floor and a pandas peer. Options via BENCH_ARGS, e.g. BENCH_ARGS="--signals 200000".
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Compile the CLI's Dutch catalogue after editing cli/locale/nl/LC_MESSAGES/typer.po; commit both
# files (docs/development.md).
translations: $(STAMP)
	$(BIN)/pybabel compile --domain typer --directory cli/locale --locale nl --statistics

# Re-resolve the pins (needs the package registry); commit the result.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e '.[test,bench]'
	{ echo "# Pinned, tested set; regenerate with make lock and commit."; .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -vE "^(-e |pip==|wheel==)"; } > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) var .pytest_cache
