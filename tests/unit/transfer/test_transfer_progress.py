"""imgcli.transfer's progress line and import status line (drawn at a terminal only) and the
trace's summary of data that is not hashed."""

from __future__ import annotations

import io

from imgcli.transfer import (
    Progress,
    describe_data,
)
from tests.unit.transfer.common import (
    FakeTTY,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(1000, stream=stream)
    progress.advance(500)
    progress.finish()
    assert stream.getvalue() == "" and progress.done == 500


def test_progress_on_a_terminal() -> None:
    stream, clock = FakeTTY(), Clock()
    progress = Progress(4 << 20, "saving", stream=stream, clock=clock)
    clock.now += 1
    progress.advance(1 << 20)
    line = stream.getvalue()
    assert line == "\r\x1b[Ksaving 1.0 MiB of 4.0 MiB (25%)  1.0 MiB/s  0:03 left"
    for _ in range(5):  # within the redraw interval: counted, not drawn
        clock.now += 0.01
        progress.advance(1)
    assert stream.getvalue() == line and progress.done == (1 << 20) + 5
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_describe_data_without_hash() -> None:
    assert describe_data(10, None, None, None, complete=False) == \
        "<image data: 10 bytes (cut short), not hashed>"

def test_status_line_redraws_on_a_terminal_only() -> None:
    from imgcli.transfer import StatusLine

    tty, pipe = FakeTTY(), io.StringIO()
    for stream in (tty, pipe):
        line = StatusLine(stream)
        line.show("importing image x: importing (0 s)")
        line.show("importing image x: active (1 s)")
        line.finish()
    assert tty.getvalue() == ("\r\x1b[Kimporting image x: importing (0 s)"
                              "\r\x1b[Kimporting image x: active (1 s)\r\x1b[K")
    assert pipe.getvalue() == ""
