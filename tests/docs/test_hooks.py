"""docs-tools/hooks.py: the site's own mermaid, at the pinned version, or no build."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from tests.conftest import REPO
from tests.docs.tools import docs_tool

hooks = docs_tool("hooks")


def config(*scripts: str) -> SimpleNamespace:
    return SimpleNamespace(extra_javascript=list(scripts))


def test_lock_pins_what_package_json_asks_for_and_the_docs_name_it():
    wanted = json.loads((REPO / "docs-tools" / "package.json").read_text())["dependencies"]
    assert wanted == {"mermaid": hooks.pinned_version()}  # exact: no range to drift in
    assert f"| {hooks.pinned_version()} | MIT" in (REPO / "docs" / "third-party.md").read_text()


def test_no_build_without_the_pinned_mermaid(tmp_path, monkeypatch):
    monkeypatch.setattr(hooks, "PACKAGE", tmp_path / "mermaid")
    with pytest.raises(PluginError, match="no mermaid.*make docs-deps"):
        hooks.on_config(config(hooks.SCRIPT))
    (tmp_path / "mermaid").mkdir()
    (tmp_path / "mermaid" / "package.json").write_text('{"version": "10.0.0"}')
    with pytest.raises(PluginError, match="has mermaid 10.0.0"):
        hooks.on_config(config(hooks.SCRIPT))


def test_no_build_unless_pages_load_the_script():
    with pytest.raises(PluginError, match="extra_javascript"):
        hooks.on_config(config())
