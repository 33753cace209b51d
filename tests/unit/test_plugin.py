"""Another distribution adds a command by declaring an entry point in `imgcli.commands`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PLUGIN = REPO / "tests" / "plugin"


def register(site: Path) -> None:
    """What `pip install tests/plugin` leaves behind, minus the copy: a dist-info with the
    plugin's entry point, found by importlib.metadata on sys.path."""
    info = site / "imgcli_hello-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: imgcli-hello\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        "[imgcli.commands]\nhello_world = imgcli_hello:HelloWorld\n"
        "heavy_thing = imgcli_hello.heavy:Heavy\n")


def imgcli(args: list[str], pythonpath: list[Path], home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
           "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
           "IMGCLI_TEST_IMPORT_MARKER": str(home / "heavy-imported")}
    return subprocess.run([sys.executable, "-m", "imgcli", *args], env=env, text=True,
                          capture_output=True, timeout=60)


def test_a_registered_plugin_adds_a_command(tmp_path):
    site = tmp_path / "site"
    register(site)
    result = imgcli(["hello", "world", "--to", "operators"], [site, PLUGIN], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello operators (image API v2)\n"
    listed = imgcli(["help"], [site, PLUGIN], tmp_path)
    assert "hello world" in listed.stdout and "image list" in listed.stdout


def test_without_the_plugin_there_is_no_such_command(tmp_path):
    result = imgcli(["hello", "world"], [PLUGIN], tmp_path)
    assert result.returncode == 2
    assert "'hello world' is not an imgcli command" in result.stderr
    assert result.stdout == ""


def test_a_plugin_module_is_imported_only_when_its_command_runs(tmp_path):
    site = tmp_path / "site"
    register(site)
    marker = tmp_path / "heavy-imported"
    assert imgcli(["hello", "world"], [site, PLUGIN], tmp_path).returncode == 0
    assert not marker.exists()
    result = imgcli(["heavy", "thing"], [site, PLUGIN], tmp_path)
    assert result.stdout == "heavy ran\n" and marker.exists()
