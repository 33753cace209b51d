"""The streaming JSON/YAML formatters write cliff's bytes, one row at a time."""

from __future__ import annotations

import argparse
import io

import pytest
from cliff.formatters.json_format import JSONFormatter
from cliff.formatters.yaml_format import YAMLFormatter
from hypothesis import given, settings
from hypothesis import strategies as st

from imgcli.formatters import StreamingJSONFormatter, StreamingYAMLFormatter
from imgcli.records import ListColumn as TagsColumn

COLUMNS = ("ID", "Name", "Size", "Protected", "Tags")
rows = st.lists(st.tuples(st.text(max_size=8), st.text(max_size=20), st.none() | st.integers(),
                          st.booleans(), st.lists(st.text(max_size=6), max_size=3)),
                max_size=6)


def emit(formatter, data, noindent=False) -> str:
    out = io.StringIO()
    formatter.emit_list(COLUMNS, [(*row[:4], TagsColumn(row[4])) for row in data], out,
                        argparse.Namespace(noindent=noindent))
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(rows, st.booleans())
def test_json_is_byte_identical_to_cliffs(data, noindent):
    assert emit(StreamingJSONFormatter(), data, noindent) == emit(JSONFormatter(), data, noindent)


@settings(max_examples=100, deadline=None)
@given(rows)
def test_yaml_is_byte_identical_to_cliffs(data):
    assert emit(StreamingYAMLFormatter(), data) == emit(YAMLFormatter(), data)


@pytest.mark.parametrize("formatter", [StreamingJSONFormatter(), StreamingYAMLFormatter()])
def test_rows_are_written_before_the_next_one_is_read(formatter):
    out = io.StringIO()
    seen_before_second: list[str] = []

    def data():
        yield ("id-1", "first", 1, False, TagsColumn([]))
        seen_before_second.append(out.getvalue())
        yield ("id-2", "second", 2, False, TagsColumn(["t"]))

    formatter.emit_list(COLUMNS, data(), out, argparse.Namespace(noindent=False))
    assert "first" in seen_before_second[0]
    assert "second" in out.getvalue()
