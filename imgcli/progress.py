"""Progress on stderr: one line redrawn in place, only when stderr is a terminal.

One drawing path, `StatusLine`, serves every command that shows progress:

- `Progress` (create, stage, save, import with --file): bytes moved, the total, the rate
  and the time left; with `reading()`, both ends of a stream (the bytes read from a URL
  and those sent on to Glance).
- `StatusLine` itself: a state polled (an import's status while --wait polls).
- `image list`: "N images, M pages" while it pages (a line that only grows).

Nothing at all is written when the stream is not a terminal (a pipe, a file, a test's
StringIO), so callers need no second code path. No request is sent from here.

Imports: the standard library and imgcli.terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from imgcli.terminal import is_terminal

REDRAW_INTERVAL = 0.1  # seconds: at most ~10 redraws a second, however small the blocks
CLEAR_LINE = "\r\x1b[K"  # to the line's start, then erase to its end


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # not reached


def human_duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


class StatusLine:
    """One line of state on stderr, redrawn in place; nothing when it is not a terminal.

    `grows`: the text only ever gets longer (image list's counts), so a carriage return
    alone redraws it; otherwise each redraw erases the old line first, so a shorter text
    leaves nothing of the longer one behind."""

    def __init__(self, stream: TextIO | None = None, grows: bool = False) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = is_terminal(self.stream)
        self.redraw = "\r" if grows else CLEAR_LINE
        self.drawn = False

    def show(self, text: str) -> None:
        if self.enabled:
            self.stream.write(self.redraw + text)
            self.stream.flush()
            self.drawn = True

    def finish(self) -> None:
        """Erase the line, so the command's own output starts on a clean one."""
        if self.drawn:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self.drawn = False


class Progress:
    """Bytes done, total, rate and time left for one transfer, drawn on a StatusLine.

    Counts bytes whether or not it draws; draws at most every REDRAW_INTERVAL seconds.
    """

    def __init__(self, total: int | None, label: str = "", stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.status = StatusLine(stream)
        self.total = total
        self.label = label
        self.clock = clock
        self.done = 0
        self.skipped = 0  # bytes already there (a resumed download): not part of the rate
        self.started = clock()
        self.drawn_at: float | None = None
        # The far end of a stream (reading()): what was read there, of how much, from where.
        self.source: str | None = None
        self.read = 0
        self.read_total: int | None = None

    @property
    def enabled(self) -> bool:
        return self.status.enabled

    def reading(self, source: str, total: int | None) -> None:
        """Show both ends: bytes read from `source` ("the URL"), of `total` when known,
        beside the bytes sent. The percentage, rate and time left then follow the reading
        side, the one whose size is known before the end (a Content-Length)."""
        self.source, self.read_total = source, total

    def advance_read(self, nbytes: int) -> None:
        """Count bytes read from the source; drawn with the next advance()."""
        self.read += nbytes

    def skip(self, nbytes: int) -> None:
        """Count bytes that were already there: they move the bar but not the rate."""
        self.done += nbytes
        self.skipped += nbytes

    def restart(self) -> None:
        """Forget skipped bytes (a server ignored Range: the download starts over)."""
        self.done = self.skipped = 0
        self.started = self.clock()

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        if not self.status.enabled:
            return
        now = self.clock()
        if self.drawn_at is None or now - self.drawn_at >= REDRAW_INTERVAL:
            self.drawn_at = now
            self.status.show(self.line(now))

    def line(self, now: float) -> str:
        if self.source is None:
            done, total, skipped = self.done, self.total, self.skipped
            text = amount(done, total)
        else:
            done, total, skipped = self.read, self.read_total, 0
            text = (f"{human_bytes(self.done)} sent, {amount(done, total)} read from "
                    f"{self.source}")
        rate = (done - skipped) / max(now - self.started, 1e-6)
        text += f"  {human_bytes(rate)}/s"
        if total and rate > 0 and total > done:
            text += f"  {human_duration((total - done) / rate)} left"
        return f"{self.label} {text}" if self.label else text

    def finish(self) -> None:
        """Clear the line, so the command's own output starts on a clean one."""
        self.status.finish()
        self.drawn_at = None


def amount(done: int, total: int | None) -> str:
    """`1.0 MiB of 4.0 MiB (25%)`, or `1.0 MiB` without a total."""
    if not total:
        return human_bytes(done)
    return f"{human_bytes(done)} of {human_bytes(total)} ({min(100, done * 100 // total)}%)"
