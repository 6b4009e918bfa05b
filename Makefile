PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run: install, import seeds/ and start briefbot (console without DISCORD_TOKEN).
run: $(STAMP)
	$(BIN)/briefbot run

## Test: lint, then the whole suite.
test: $(STAMP)
	$(BIN)/ruff check bot cogs storage tests bench
	@$(BIN)/python -m pytest -q -n 2; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure here" >&2; fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check bot cogs storage tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
