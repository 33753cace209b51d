"""Image metadata never drives the terminal: at a terminal, control characters in names and
properties are shown escaped (\\x1b); piped, the output is cliff's byte for byte; JSON and
YAML escape them (C1 too) in their own syntax whatever the output is."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml
from cliff.display import DisplayCommandBase
from cliff.formatters.commaseparated import CSVLister
from cliff.formatters.shell import ShellFormatter as CliffShell
from cliff.formatters.table import TableFormatter as CliffTable
from cliff.formatters.value import ValueFormatter as CliffValue

from imgcli.formatters import CSVFormatter, ShellFormatter, TableFormatter, ValueFormatter
from imgcli.records import DictColumn, ListColumn
from imgcli.terminal import escape_controls
from tests.conftest import SEED_ENV, load
from tests.unit.ptyrun import ROOT, run_in_pty

# A community image's name: retitles the window, then paints a red fake row.
EVIL_NAME = "x\033]0;PWNED\007\033[31mFAKE-ROW"
SHOWN_NAME = "x\\x1b]0;PWNED\\x07\\x1b[31mFAKE-ROW"
CLEAR_SCREEN = "\033[2Jgone"
C1_NAME = "csi\x9b31m-c1"
# What the images hold, raw. (imgcli's own list progress ends with "\r\x1b[K" on stderr.)
RAW_CONTROLS = (b"\x1b]", b"\x1b[31m", b"\x1b[2J", b"\x07", "\x9b".encode())

# imgcli against the seed's cloud (requests-mock) in a child process, so its stdout can be
# a real terminal; the images come in TEST_IMAGES.
DRIVER = """
import json, os, sys
import requests_mock
from tests.conftest import AUTH_URL, IMAGE_URL, TOKEN, glance_page, load, token_body
images = json.loads(os.environ["TEST_IMAGES"])
with requests_mock.Mocker() as m:
    m.get(AUTH_URL, status_code=300, json=load("keystone_versions.json"))
    m.post(AUTH_URL + "/v3/auth/tokens", status_code=201, json=token_body(),
           headers={"X-Subject-Token": TOKEN})
    m.get(IMAGE_URL, status_code=300, json=load("glance_versions.json"))
    m.get(IMAGE_URL + "/v2/images", json=lambda request, context: glance_page(images, request.url))
    for image in images:
        m.get(IMAGE_URL + "/v2/images/" + image["id"], json=image)
    from imgcli.__main__ import main
    code = main(sys.argv[1:])
sys.exit(code)
"""


def evil_images() -> list[dict[str, Any]]:
    images = load("seed_images.json")["images"]
    images[0]["name"] = EVIL_NAME
    images[0]["note"] = CLEAR_SCREEN  # an undeclared key: a property in `image show`
    images[1]["name"] = C1_NAME
    return images


def child_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONUTF8": "1",
            "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            "TEST_IMAGES": json.dumps(evil_images()), **SEED_ENV}


def at_terminal(tmp_path: Path, *args: str) -> bytes:
    result = run_in_pty(["-c", DRIVER, "--no-cache", *args], child_env(tmp_path))
    assert result.code == 0, result.output
    return result.output


def piped(tmp_path: Path, *args: str) -> bytes:
    result = subprocess.run([sys.executable, "-c", DRIVER, "--no-cache", *args], cwd=ROOT,
                            env=child_env(tmp_path), capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_no_raw_control(output: bytes) -> None:
    for control in RAW_CONTROLS:
        assert control not in output, (control, output)


# -- at a real terminal, and piped -----------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "value", "csv"])
def test_image_list_at_a_terminal_shows_escapes_not_escape_sequences(tmp_path, fmt):
    output = at_terminal(tmp_path, "image", "list", "-f", fmt)
    assert_no_raw_control(output)
    assert SHOWN_NAME.encode() in output.replace(b"\\\\", b"\\")  # CSV doubles a backslash
    assert b"csi\\x9b31m-c1" in output.replace(b"\\\\", b"\\")


def test_image_list_table_at_a_terminal_keeps_one_line_per_image(tmp_path):
    lines = at_terminal(tmp_path, "image", "list").decode().splitlines()
    rows = [line for line in lines if line.startswith("| ") and "Name" not in line]
    assert len(rows) == 3 and any(SHOWN_NAME in row for row in rows)


@pytest.mark.parametrize("fmt", ["table", "value", "csv"])
def test_image_list_piped_is_byte_exact(tmp_path, fmt):
    output = piped(tmp_path, "image", "list", "-f", fmt)
    assert EVIL_NAME.encode() in output and C1_NAME.encode() in output


@pytest.mark.parametrize("fmt", ["table", "value", "shell"])
def test_image_show_property_at_a_terminal_cannot_clear_the_screen(tmp_path, fmt):
    image_id = evil_images()[0]["id"]
    output = at_terminal(tmp_path, "image", "show", image_id, "-f", fmt)
    assert_no_raw_control(output)
    assert b"\\x1b[2Jgone" in output and SHOWN_NAME.encode() in output


def test_image_show_piped_is_byte_exact(tmp_path):
    output = piped(tmp_path, "image", "show", evil_images()[0]["id"])
    assert f"note='{CLEAR_SCREEN}'".encode() in output and EVIL_NAME.encode() in output


@pytest.mark.parametrize("command", [["image", "list"], ["image", "show", "ID"]])
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_json_and_yaml_escape_controls_c1_too_even_at_a_terminal(tmp_path, command, fmt):
    command = [evil_images()[0]["id"] if word == "ID" else word for word in command]
    output = at_terminal(tmp_path, *command, "-f", fmt)
    assert_no_raw_control(output)
    text = output.decode().replace("\r\n", "\n")
    data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    records = data if isinstance(data, list) else [data]
    names = {record.get("Name", record.get("name")) for record in records}
    assert EVIL_NAME in names  # escaped in the syntax, the same string once parsed


# -- the formatters themselves ---------------------------------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


ARGS = argparse.Namespace(max_width=0, fit_width=False, print_empty=False, prefix="",
                          variables=[], quote_mode="nonnumeric", noindent=False)
COLUMNS = ("ID", "Name", "Tags", "Properties")


def row() -> tuple[Any, ...]:
    return ("id-1", EVIL_NAME + "\n\tz\x9b", ListColumn(["t\x1b"]),
            DictColumn({"k\x1b": "v\x9b"}))


PAIRS = [(TableFormatter, CliffTable), (ValueFormatter, CliffValue), (CSVFormatter, CSVLister)]
ONE_PAIRS = [(TableFormatter, CliffTable), (ValueFormatter, CliffValue),
             (ShellFormatter, CliffShell)]


@pytest.mark.parametrize("ours, cliffs", PAIRS)
def test_list_formatters_are_cliffs_when_not_a_terminal(ours, cliffs):
    mine, theirs = io.StringIO(), io.StringIO()
    ours().emit_list(COLUMNS, iter([row()]), mine, ARGS)
    cliffs().emit_list(COLUMNS, iter([row()]), theirs, ARGS)
    assert mine.getvalue() == theirs.getvalue()


@pytest.mark.parametrize("ours, cliffs", ONE_PAIRS)
def test_show_formatters_are_cliffs_when_not_a_terminal(ours, cliffs):
    mine, theirs = io.StringIO(), io.StringIO()
    ours().emit_one(COLUMNS, row(), mine, ARGS)
    cliffs().emit_one(COLUMNS, row(), theirs, ARGS)
    assert mine.getvalue() == theirs.getvalue()


@pytest.mark.parametrize("formatter", [TableFormatter, ValueFormatter, CSVFormatter])
def test_list_formatters_escape_every_control_at_a_terminal(formatter):
    out = Terminal()
    formatter().emit_list(COLUMNS, iter([row()]), out, ARGS)
    text = out.getvalue()
    assert not any(escape_controls(ch) != ch for ch in text.replace("\n", ""))
    assert "\\n" in text and "\\t" in text


@pytest.mark.parametrize("formatter", [TableFormatter, ValueFormatter, ShellFormatter])
def test_show_formatters_escape_every_control_at_a_terminal(formatter):
    out = Terminal()
    formatter().emit_one(COLUMNS, row(), out, ARGS)
    text = out.getvalue()
    assert not any(escape_controls(ch) != ch for ch in text.replace("\n", ""))
    assert "k\\x1b" in text and "v\\x9b" in text


def test_table_at_a_terminal_prints_the_human_readable_columns():
    out = Terminal()
    TableFormatter().emit_one(COLUMNS, row(), out, ARGS)
    assert "| t\\x1b " in out.getvalue() and "k\\x1b='v\\x9b'" in out.getvalue()


def test_escape_controls_is_reprs_escape_for_c0_del_c1_only():
    controls = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
    for ch in controls:
        assert escape_controls(ch) == repr(ch)[1:-1] != ch
    kept = " ~\\'\"é中\u00a0\u2028"
    assert escape_controls(kept) == kept


def test_json_escapes_c1_and_yaml_too():
    from cliff.formatters.json_format import JSONFormatter
    from cliff.formatters.yaml_format import YAMLFormatter

    from imgcli.formatters import StreamingJSONFormatter, StreamingYAMLFormatter

    for formatter in (StreamingJSONFormatter(), StreamingYAMLFormatter()):
        out = io.StringIO()
        formatter.emit_list(("Name",), iter([(C1_NAME + EVIL_NAME,)]), out, ARGS)
        assert escape_controls(out.getvalue()) == out.getvalue().replace("\n", "\\n")
    for formatter in (JSONFormatter(), YAMLFormatter()):
        out = io.StringIO()
        formatter.emit_one(("Name",), (C1_NAME + EVIL_NAME,), out, ARGS)
        assert escape_controls(out.getvalue()) == out.getvalue().replace("\n", "\\n")
    out = io.StringIO()
    StreamingJSONFormatter().emit_list(("Name",), iter([(C1_NAME,)]), out, ARGS)
    assert "\\u009b" in out.getvalue()


def test_every_display_command_uses_imgclis_formatters():
    for entry in entry_points(group="imgcli.commands"):
        command = entry.load()
        if issubclass(command, DisplayCommandBase):
            kind = "show" if command.formatter_namespace.endswith("show") else "list"
            assert command.formatter_namespace == f"imgcli.formatter.{kind}", entry.name
    for kind, names in (("list", {"table", "csv", "value"}),
                        ("show", {"table", "value", "shell"})):
        found = {ep.name: ep.value for ep in entry_points(group=f"imgcli.formatter.{kind}")}
        assert all(found[name].startswith("imgcli.formatters:") for name in names), found
