# Leitstelle: `make run` starts it, `make test` checks it (GNU make).
# Works on a fresh Debian machine with python3 >= 3.11: what is missing is
# installed, Python packages into .venv, Debian packages with apt-get.

PY ?= python3
VENV = .venv
BIN = $(VENV)/bin
BENCH_SIZE ?= full
LINTED = src tests bench
# apt-get needs root; sudo only when we are not root already.
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: run test lint format bench messages clean browser gettext seed-model

run: $(VENV)/.installed-run
	$(BIN)/leitstelle up

test: $(VENV)/.installed-test browser gettext
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

bench: $(VENV)/.installed-run
	BENCH_SIZE=$(BENCH_SIZE) $(BIN)/python -m bench

# Rebuild the shipped triage model (src/leitstelle/triage/model/) from the
# project's examples and the GermEval 2018 data (not in the repository; CC BY
# 4.0, see NOTICE); prints the cross-validated scores. Same input, same files.
GERMEVAL ?= ../shared/data/germeval2018
seed-model: $(VENV)/.installed-run
	$(BIN)/python -m leitstelle.triage.seed --germeval $(GERMEVAL) \
		--output src/leitstelle/triage/model

# Run after changing translatable text; the compiled .mo files are committed,
# so `make run` needs no gettext.
messages: $(VENV)/.installed-run gettext
	cd src/leitstelle && LEITSTELLE_DATA_DIR=$(CURDIR)/var \
		$(CURDIR)/$(BIN)/leitstelle makemessages -l de --no-obsolete --ignore 'static/*' --ignore '*/migrations/*' --ignore 'var/*'
	cd src/leitstelle && LEITSTELLE_DATA_DIR=$(CURDIR)/var \
		$(CURDIR)/$(BIN)/leitstelle compilemessages

# Leaves var/ alone: it holds the data of `make run`.
clean:
	rm -rf $(VENV) build dist src/*.egg-info var/test .ruff_cache .pytest_cache \
		.hypothesis test-results
	find src tests bench -name __pycache__ -type d -prune -exec rm -rf {} +

$(BIN)/python:
	@$(PY) -c 'import ensurepip, venv' 2>/dev/null || { \
		$(APT) update && $(APT) install -y python3-venv; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changed since the last install.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

# The test extras include everything `make run` needs.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(VENV)/.installed-run $@

# Debian's chromium for the browser tests; never `playwright install`.
browser:
	@[ -x /usr/bin/chromium ] || { \
		$(APT) update && $(APT) install -y chromium chromium-driver; }

gettext:
	@command -v msgfmt >/dev/null || { \
		$(APT) update && $(APT) install -y gettext; }
