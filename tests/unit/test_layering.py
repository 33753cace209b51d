"""The package's shape, as CONTRIBUTING.md describes it: layers that import only downwards, no
import circle, no module over 400 lines, and every module saying what it may import.

Imports are read from the source (function-level ones included), so a lazy import that would
close a circle is caught too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "imgcli"
MAX_LINES = 400

# Lowest first. A module may import its own layer and the ones below, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("imgcli", "imgcli.errors", "imgcli.signals", "imgcli.terminal", "imgcli.safefile",
     "imgcli.records", "imgcli.trace.redact"),
    ("imgcli.clouds", "imgcli.config", "imgcli.cache", "imgcli.auth", "imgcli.transport",
     "imgcli.trace"),
    ("imgcli.connection", "imgcli.explain"),
    ("imgcli.api", "imgcli.resolve"),
    ("imgcli.transfer",),
    ("imgcli.formatters", "imgcli.commands", "imgcli.shell", "imgcli.multicloud",
     "imgcli.__main__"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path, types: bool = True) -> set[str]:
    """The imgcli modules a file imports, anywhere in it (`types=False`: leaving out those
    imported only for type hints, under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    if not types:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(sub) for sub in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("imgcli"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("imgcli"))
    return found


def layer(name: str) -> int:
    """The layer of the longest prefix that names the module or a package holding it."""
    best, rank = -1, -1
    for index, names in enumerate(LAYERS):
        for prefix in names:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    return rank


GRAPH = {name: imported(path) - {name} for name, path in MODULES.items()}


def test_every_module_has_a_layer() -> None:
    assert [name for name in MODULES if layer(name) < 0] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_only(name: str) -> None:
    upward = sorted(dep for dep in GRAPH[name] if layer(dep) > layer(name))
    assert upward == [], f"{name} (layer {layer(name)}) imports a layer above it: {upward}"


def test_no_import_circle() -> None:
    done: set[str] = set()

    def walk(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name):] + [name]
            # A package's __init__ importing its own modules is not a circle back into it.
            if not all(c == cycle[0] or c.startswith(cycle[0] + ".") for c in cycle):
                pytest.fail("import circle: " + " -> ".join(cycle))
            return
        if name in done:
            return
        for dep in sorted(GRAPH.get(name, ())):
            walk(dep, path + [name])
        done.add(name)

    for name in sorted(GRAPH):
        walk(name, [])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_short(name: str) -> None:
    lines = MODULES[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines (at most {MAX_LINES})"


STATUS_IN_TEXT = re.compile(r"""["'][^"'\n]*\b[45]\d\d\b[^"'\n]*["']\s+(not\s+)?in\s""")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_status_read_out_of_a_message(name: str) -> None:
    """Callers test error.status; a status looked for in an error's text breaks when the
    wording changes (imgcli.errors.RequestError.mentions tests the status, then the words)."""
    found = [line.strip() for line in MODULES[name].read_text().splitlines()
             if STATUS_IN_TEXT.search(line)]
    assert found == []


def imports_paragraph(name: str) -> str:
    doc = ast.get_docstring(ast.parse(MODULES[name].read_text())) or ""
    found = re.search(r"^Imports:(.*?)(?:\n\n|\Z)", doc, re.S | re.M)
    return " ".join(found.group(1).split()) if found else ""


@pytest.mark.parametrize("name", sorted(MODULES))
def test_docstring_says_what_the_module_imports(name: str) -> None:
    """Each module's docstring has an `Imports:` paragraph naming every imgcli module it
    imports at run time (a package's name covers its modules), so a reader knows its place
    at once."""
    said = imports_paragraph(name)
    assert said, f"{MODULES[name]}: no 'Imports:' paragraph in its docstring"
    named = set(re.findall(r"imgcli(?:\.\w+)*", said))
    unsaid = sorted(dep for dep in imported(MODULES[name], types=False) - {name, "imgcli"}
                    if not any(dep == n or dep.startswith(n + ".") for n in named))
    assert unsaid == [], f"{MODULES[name]} imports {unsaid}, which its docstring does not name"


def test_every_command_is_built_on_the_typed_bases() -> None:
    """Each entry point of imgcli.commands is a Command, Lister or ShowOne of
    imgcli.commands.base, so its errors, -c check and formatters are the house's."""
    from importlib.metadata import entry_points

    from imgcli.commands.base import Command, Lister, ShowOne

    found = {ep.name: ep.load() for ep in entry_points(group="imgcli.commands")}
    assert len(found) >= 48  # the 42 of openstackclient's image service, and imgcli's own
    assert sorted(name for name, cls in found.items()
                  if not issubclass(cls, (Command, Lister, ShowOne))) == []
