#!/usr/bin/env bash
# `make lock`: compile requirements/dev.lock anew from today's package index, install it into a
# fresh .venv, run `make test`, and keep the new lock only if every test passed; otherwise put
# the old one back and say so. The lock is therefore always a set of versions the whole suite
# passed with. prettytable and wcwidth stay at the versions the openstackclient oracle was made
# with (tests/fixtures/osc/versions.txt): to move them, regenerate the oracle first.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK=requirements/dev.lock
TOOLS=.venv-lock

python3 -m venv "$TOOLS"
"$TOOLS/bin/pip" install -q --require-hashes -r requirements/tools.lock
compile() {
  "$TOOLS/bin/uv" pip compile pyproject.toml --extra test requirements/dev.in \
    -c tests/fixtures/osc/versions.txt --universal --python-version 3.11.5 --generate-hashes \
    --custom-compile-command "make lock" --quiet "$@"
}
cp "$LOCK" "$LOCK.previous"
compile --upgrade -o "$LOCK"
changes=$(diff <(grep -E '^[a-z0-9]' "$LOCK.previous") <(grep -E '^[a-z0-9]' "$LOCK") || true)
echo "${changes:-no version changed}"
rm -rf .venv
if make test; then
  rm -f "$LOCK.previous"
  echo "make lock: $LOCK refreshed; every test passed with it. Commit it."
else
  mv "$LOCK.previous" "$LOCK"
  rm -rf .venv
  echo "make lock: the tests failed with the new versions; $LOCK is unchanged." >&2
  exit 1
fi
