# The two commands of the README. Everything lives in .venv in this folder;
# a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format clean chromium

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The portal on PORT and the development identity provider on IDP_PORT
# (PORT + 1 unless given); Ctrl-C stops both.
run: $(VENV)/.installed
	PORT=$(PORT) $(BIN)/python -m duoportal.devserver

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

test: $(VENV)/.installed chromium
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) *.egg-info db.sqlite3 devidp.sqlite3 .test-db.sqlite3
