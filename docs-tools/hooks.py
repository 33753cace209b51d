"""mkdocs hook: the site serves its own mermaid, so diagrams draw with no internet.

mkdocs-material loads mermaid from a CDN unless a global ``mermaid`` already exists; mkdocs.yml
lists ``assets/mermaid/mermaid.min.js`` in ``extra_javascript`` and this hook adds that file
(and mermaid's licence) to the site from ``docs-tools/node_modules``, which ``npm ci``
installs at the version pinned in ``docs-tools/package-lock.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

TOOLS = Path(__file__).resolve().parent
PACKAGE = TOOLS / "node_modules" / "mermaid"
SCRIPT = "assets/mermaid/mermaid.min.js"
# (site path, file in the npm package)
SHIPPED = {
    SCRIPT: PACKAGE / "dist" / "mermaid.min.js",
    "assets/mermaid/LICENSE.txt": PACKAGE / "LICENSE",
}


def pinned_version() -> str:
    lock = json.loads((TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"]["node_modules/mermaid"]["version"])


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if SCRIPT not in [str(script) for script in config.extra_javascript]:
        raise PluginError(f"mkdocs.yml: extra_javascript must list {SCRIPT}")
    want = pinned_version()
    try:
        have = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    except FileNotFoundError:
        have = None
    if have != want:
        # An old or missing copy would publish a mermaid nobody reviewed, or none at all.
        found = f"mermaid {have}" if have else "no mermaid"
        raise PluginError(
            f"docs-tools/node_modules has {found}, package-lock.json pins {want}: "
            "run `make docs-deps` (npm ci in docs-tools/)"
        )
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for site_path, source in SHIPPED.items():
        files.append(File.generated(config, site_path, abs_src_path=str(source)))
    return files
