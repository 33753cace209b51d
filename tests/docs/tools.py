"""docs-tools/ is a folder of scripts (mkdocs loads hooks.py, `make series` runs series.py),
not a package: the docs tests import its modules by path, under their own names, instead of
putting the folder on sys.path."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import REPO


def docs_tool(name: str) -> ModuleType:
    """docs-tools/NAME.py, imported once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "docs-tools" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module
