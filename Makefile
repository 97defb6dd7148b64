# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create .venv in the checkout and install the pinned set from requirements.lock when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench venv lock clean

demo: $(STAMP)
	$(BIN)/vroeg demo

test: $(STAMP)
	$(BIN)/pytest

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

# Re-resolve the pins (needs the package registry); commit the result.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e '.[test,bench]'
	{ echo "# Pinned, tested set; regenerate with make lock and commit."; .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -vE "^(-e |pip==|wheel==)"; } > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) var .pytest_cache
