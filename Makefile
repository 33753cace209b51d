# Every install step lives here, so a fresh machine (and CI) needs only python3 and make.
VENV ?= .venv
PY := $(VENV)/bin/python

export NO_MKDOCS_2_WARNING := 1
# The trace tests build a page with mkdocs: it must be on PATH for them.
export PATH := $(abspath $(VENV))/bin:$(PATH)

# Every package the tests, the demo and the docs run with comes from requirements/dev.lock (exact
# versions and hashes, made by `make lock`); users' `pip install .` keeps pyproject's ranges.
LOCK := requirements/dev.lock
$(VENV)/.installed: pyproject.toml $(LOCK)
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes -r $(LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

.PHONY: install demo test lint bench bench-data docs cloud-down lock
install: $(VENV)/.installed

# Refresh the lock to today's index, run `make test` on it, and keep it only if every test
# passes (requirements/refresh.sh; the table-rendering libraries stay at the oracle's versions).
lock:
	bash requirements/refresh.sh

# README command 1: a real Keystone + Glance on 127.0.0.1, seeded, then the seed's command.
demo: install
	@echo "Starting the local cloud (the first run installs Keystone and Glance: a few minutes)"
	python3 devcloud/cloud.py up
	python3 devcloud/cloud.py seed
	python3 devcloud/cloud.py clouds-yaml --copy-to clouds.yaml
	eval "$$(python3 devcloud/cloud.py env)" && $(VENV)/bin/imgcli image list --all
	@echo 'Your turn, in this shell: . $(VENV)/bin/activate && eval "$$(python3 devcloud/cloud.py env)" && imgcli image list --all'
	@echo 'Or, by cloud name from ./clouds.yaml (devcloud, devcloud-demo, devcloud2, devcloud2-demo; no OS_* set): $(VENV)/bin/imgcli --os-cloud devcloud --os-cloud devcloud2 image list'

# README command 2: lint and every test, the integration ones against the local cloud.
# docs-deps: the suite includes tests/docs, which opens the built site in headless Chromium.
test: install lint docs-deps
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .

# imgcli is measured as users install it, not editable (the editable finder costs start-up
# time: docs/performance.md#the-editable-install). The benchmarks run as modules from here.
bench: install
	python3 -m venv benchmarks/.venv-imgcli
	benchmarks/.venv-imgcli/bin/pip install -q .
	$(PY) -m benchmarks.run --imgcli benchmarks/.venv-imgcli/bin/imgcli --out docs/benchmark-latest.md

# Image data (issue #12) against the local real Glance, started if it is down (never stopped:
# it may be shared); openstack and glance from its clients venv. RUNS=7 SIZE_MIB=1024 to change.
RUNS ?= 5
SIZE_MIB ?= 256
bench-data: install
	python3 -m venv benchmarks/.venv-imgcli
	benchmarks/.venv-imgcli/bin/pip install -q .
	$(PY) -m benchmarks.data --imgcli benchmarks/.venv-imgcli/bin/imgcli --runs $(RUNS) \
	  --size-mib $(SIZE_MIB) --out benchmarks/results/data-latest.md

# The docs site serves its own mermaid (npm's, pinned in docs-tools/package-lock.json) so its
# diagrams draw with no internet; tests/docs opens every page in headless Chromium to prove it.
# npm and Chromium are Debian's: installed with apt-get where it can run (as root, or through
# sudo). Elsewhere `make test` says what is missing and goes on: the browser tests then skip,
# naming it (with CI=true they fail instead), and `make docs` needs npm.
.PHONY: docs-deps docs-test series
DOCS_TOOLS := docs-tools
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
CAN_APT := $(shell command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; } && echo yes)
# $(call debian,COMMAND,PACKAGE): install PACKAGE unless COMMAND exists; warn if it cannot.
debian = command -v $(1) >/dev/null || { if [ -n "$(CAN_APT)" ]; then \
  $(APT_GET) update -qq && $(APT_GET) install -y -qq $(2); else \
  echo "make: '$(1)' is missing and apt-get cannot run here (no apt, or not root and no sudo):" \
       "install $(2) yourself; until then the docs' browser tests skip" >&2; fi; }

docs: install $(DOCS_TOOLS)/node_modules/.installed
	$(VENV)/bin/mkdocs build --strict
	@echo "The site is in site/: open site/index.html, or serve it with .venv/bin/mkdocs serve"

$(DOCS_TOOLS)/node_modules/.installed: $(DOCS_TOOLS)/package.json $(DOCS_TOOLS)/package-lock.json
	$(call debian,npm,npm)
	if command -v npm >/dev/null; then \
	  npm ci --prefix $(DOCS_TOOLS) --no-audit --no-fund --no-update-notifier --loglevel=error \
	  && touch $@; fi

# Everything the docs need, the browser check's Chromium (Debian's) included.
docs-deps: install $(DOCS_TOOLS)/node_modules/.installed
	$(call debian,chromium,chromium)

docs-test: docs-deps
	$(PY) -m pytest -m docs tests/docs

# Regenerate docs/series/ and docs/walkthrough.md from runs against the local cloud (started and
# seeded if needed, left running; a cloud already up is used as it is), then build the site.
# `make docs` builds the committed pages and needs no cloud.
series: install $(DOCS_TOOLS)/node_modules/.installed
	python3 devcloud/cloud.py status >/dev/null || python3 devcloud/cloud.py up
	python3 devcloud/cloud.py seed
	$(PY) $(DOCS_TOOLS)/series.py
	eval "$$(python3 devcloud/cloud.py env)" && \
	  $(VENV)/bin/imgcli --no-cache --trace docs/walkthrough.md image list --all >/dev/null
	$(VENV)/bin/mkdocs build --strict

cloud-down:
	python3 devcloud/cloud.py down
