"""cliff's JSON and YAML list formatters, writing each row as it arrives.

cliff builds the whole list before it writes a byte; for 100,000 images that is seconds
of waiting and most of the memory. These subclasses write the same bytes as cliff's
(tests compare them) one row at a time, so output starts with the first page and memory
stays flat. Table, CSV and value are cliff's own: CSV and value already stream, and a
table needs every row to size its columns.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from cliff import columns
from cliff.formatters.json_format import JSONFormatter
from cliff.formatters.yaml_format import YAMLFormatter, _yaml_friendly


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
