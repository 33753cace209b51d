"""cliff's formatters, with two changes: JSON and YAML lists stream, text is terminal-safe.

cliff builds the whole list before it writes a byte; for 100,000 images that is seconds
of waiting and most of the memory. The streaming subclasses write the same bytes as cliff's
(tests compare them) one row at a time, so output starts with the first page and memory
stays flat.

Table, CSV, value and shell are cliff's, except that at a terminal the control characters
in names, properties and every other value are shown escaped (imgcli.terminal): image
metadata is anyone's text, and raw it could retitle the window, clear the screen or paint
a fake row. Piped or redirected output stays cliff's byte for byte, for scripts. JSON and
YAML need no change: json.dumps (ensure_ascii) writes every control character, C1 too, as
\\uXXXX, and PyYAML's emitter writes them as escapes in a double-quoted scalar.

Imports: imgcli.terminal.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from cliff import columns
from cliff.formatters.commaseparated import CSVLister
from cliff.formatters.json_format import JSONFormatter
from cliff.formatters.shell import ShellFormatter as CliffShellFormatter
from cliff.formatters.table import TableFormatter as CliffTableFormatter
from cliff.formatters.value import ValueFormatter as CliffValueFormatter
from cliff.formatters.yaml_format import YAMLFormatter, _yaml_friendly

from imgcli.terminal import escape_controls, is_terminal


def machine_readable(value: Any) -> Any:
    return value.machine_readable() if isinstance(value, columns.FormattableColumn) else value


def indented_value(value: Any) -> str:
    """A value as json.dump(items, indent=2) writes it two levels down."""
    if isinstance(value, list | dict) and value:
        return json.dumps(value, indent=2).replace("\n", "\n    ")
    return json.dumps(value)


class StreamingJSONFormatter(JSONFormatter):
    def emit_list(self, column_names: Sequence[str], data: Iterable[Sequence[Any]],
                  stdout: TextIO, parsed_args: argparse.Namespace) -> None:
        keys = [json.dumps(name) for name in column_names]
        first = True
        for row in data:
            values = [machine_readable(value) for value in row]
            if parsed_args.noindent:
                item = json.dumps(dict(zip(column_names, values, strict=True)))
                stdout.write(("[" if first else ", ") + item)
            else:
                fields = ",\n".join(f"    {key}: {indented_value(value)}"
                                    for key, value in zip(keys, values, strict=True))
                stdout.write(("[\n" if first else ",\n") + "  {\n" + fields + "\n  }")
            first = False
        if first:
            stdout.write("[]\n")
        else:
            stdout.write("]\n" if parsed_args.noindent else "\n]\n")


class StreamingYAMLFormatter(YAMLFormatter):
    def emit_list(self, column_names: Sequence[str], data: Iterable[Sequence[Any]],
                  stdout: TextIO, parsed_args: argparse.Namespace) -> None:
        import yaml

        empty = True
        for row in data:
            item = {name: _yaml_friendly(value)
                    for name, value in zip(column_names, row, strict=True)}
            # A block sequence is its items' blocks one after another: dumping each
            # item as a one-element list writes exactly what dumping the list would.
            yaml.safe_dump([item], stream=stdout, default_flow_style=False)
            empty = False
        if empty:
            yaml.safe_dump([], stream=stdout, default_flow_style=False)


def terminal_cell(cell: Any, human: bool) -> Any:
    """A cell as the formatter would print it, with control characters escaped.

    A FormattableColumn is rendered first (the escaping applies to what is printed, and
    imgcli's columns add no line breaks of their own). A list or dict left as it is is
    printed through repr(), which escapes them already."""
    if isinstance(cell, columns.FormattableColumn):
        cell = cell.human_readable() if human else cell.machine_readable()
    return escape_controls(cell) if isinstance(cell, str) else cell


class TerminalSafe:
    """Mix in before a cliff text formatter: escape control characters at a terminal only."""

    human = False  # whether the formatter prints FormattableColumn.human_readable()

    def safe_row(self, row: Iterable[Any]) -> list[Any]:
        return [terminal_cell(cell, self.human) for cell in row]

    def emit_list(self, column_names: Sequence[str], data: Iterable[Sequence[Any]],
                  stdout: TextIO, parsed_args: argparse.Namespace) -> None:
        if is_terminal(stdout):
            column_names = self.safe_row(column_names)
            data = (self.safe_row(row) for row in data)  # rows still stream
        super().emit_list(column_names, data, stdout, parsed_args)  # type: ignore[misc]

    def emit_one(self, column_names: Sequence[str], data: Sequence[Any], stdout: TextIO,
                 parsed_args: argparse.Namespace) -> None:
        if is_terminal(stdout):
            column_names, data = self.safe_row(column_names), self.safe_row(data)
        super().emit_one(column_names, data, stdout, parsed_args)  # type: ignore[misc]


class TableFormatter(TerminalSafe, CliffTableFormatter):
    human = True


class ValueFormatter(TerminalSafe, CliffValueFormatter):
    pass


class CSVFormatter(TerminalSafe, CSVLister):
    pass


class ShellFormatter(TerminalSafe, CliffShellFormatter):
    pass
