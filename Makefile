# The two commands of the README. Everything lives in .venv in this folder;
# a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format clean chromium gettext messages universal-demo devduo

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

# The development stand-in for Duo's cloud (Admin API and Auth API subset) on DEVDUO_PORT
# (8002), with the demo people as Duo users. docs/duo-account.md.
DEVDUO_PORT ?= 8002
devduo: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput -v 0
	DJANGO_SETTINGS_MODULE=duoapi.devduo.settings $(BIN)/python -m django migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo --json \
		| DJANGO_SETTINGS_MODULE=duoapi.devduo.settings $(BIN)/python -m django devduo_setup -
	DJANGO_SETTINGS_MODULE=duoapi.devduo.settings $(BIN)/python -m django runserver \
		127.0.0.1:$(DEVDUO_PORT)

# A web application signing people in through the portal's Universal Prompt, with
# duo_universal: the portal over HTTPS on HTTPS_PORT (8443) and the application on
# DEMO_PORT (8080). Run `make run` in another terminal for the self-service screens.
universal-demo: $(VENV)/.installed
	PORT=$(PORT) $(BIN)/python docs/universal-demo/run.py

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	@# Chinese glyphs for the Traditional Chinese screens (and their screenshots).
	@fc-list :lang=zh-tw | grep -q . || (apt-get update && apt-get install -y fonts-noto-cjk)

# GNU gettext (xgettext, msgmerge, msgfmt) for makemessages, compilemessages and the test
# that the Chinese catalogue holds every text of the code.
gettext:
	@command -v msgfmt >/dev/null || (apt-get update && apt-get install -y gettext)

# Texts that are not the portal's: the virtualenv, the development identity provider, the
# tests and benchmarks. tests/test_language.py runs makemessages with the same list.
MESSAGES_IGNORE := --ignore ".venv/*" --ignore "duoportal/devidp/*" --ignore "tests/*" \
	--ignore "benchmarks/*" --ignore "locale/*"

# The translation round trip: new and changed texts into the .po (a changed text keeps its old
# translation marked fuzzy, a removed one is dropped), then the .mo that is committed.
# In between, translate in the .po with any PO editor and run it again.
messages: $(VENV)/.installed gettext
	$(BIN)/python manage.py makemessages -l zh_Hant --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py compilemessages -l zh_Hant --ignore $(VENV)

test: $(VENV)/.installed chromium gettext
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) *.egg-info db.sqlite3 devidp.sqlite3 .test-db.sqlite3 .universal-demo
