# Every install step lives here, so a fresh machine (and CI) needs only python3 and make.
VENV ?= .venv
PY := $(VENV)/bin/python

export NO_MKDOCS_2_WARNING := 1
# The trace tests build a page with mkdocs: it must be on PATH for them.
export PATH := $(abspath $(VENV))/bin:$(PATH)

$(VENV)/.installed: pyproject.toml docs/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]' -r docs/requirements.txt
	touch $@

.PHONY: install demo test lint bench docs cloud-down
install: $(VENV)/.installed

# README command 1: a real Keystone + Glance on 127.0.0.1, seeded, then the seed's command.
demo: install
	@echo "Starting the local cloud (the first run installs Keystone and Glance: a few minutes)"
	python3 devcloud/cloud.py up
	python3 devcloud/cloud.py seed
	eval "$$(python3 devcloud/cloud.py env)" && $(VENV)/bin/imgcli image list --all
	@echo 'Your turn, in this shell: . $(VENV)/bin/activate && eval "$$(python3 devcloud/cloud.py env)" && imgcli image list --all'

# README command 2: lint and every test, the integration ones against the local cloud.
test: install lint
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .

# imgcli is measured as users install it (not editable: the editable finder costs ~20 ms).
bench: install
	python3 -m venv benchmarks/.venv-imgcli
	benchmarks/.venv-imgcli/bin/pip install -q .
	$(PY) benchmarks/run.py --imgcli benchmarks/.venv-imgcli/bin/imgcli --out docs/benchmark-latest.md

docs: install
	$(VENV)/bin/mkdocs build --strict

cloud-down:
	python3 devcloud/cloud.py down
