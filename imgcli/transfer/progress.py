"""A one-line progress meter on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from imgcli.terminal import is_terminal

REDRAW_INTERVAL = 0.1  # seconds: at most ~10 redraws a second, however small the blocks
CLEAR_LINE = "\r\x1b[K"


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


class Progress:
    """Bytes done, total, rate and time left for one transfer.

    Counts bytes whether or not it draws, so callers need no second code path; draws
    nothing at all when the stream (stderr by default) is not a terminal.
    """

    def __init__(self, total: int | None, label: str = "", stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = is_terminal(self.stream)
        self.total = total
        self.label = label
        self.clock = clock
        self.done = 0
        self.skipped = 0  # bytes already there (a resumed download): not part of the rate
        self.started = clock()
        self.drawn_at: float | None = None

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
        if not self.enabled:
            return
        now = self.clock()
        if self.drawn_at is None or now - self.drawn_at >= REDRAW_INTERVAL:
            self.drawn_at = now
            self.stream.write(CLEAR_LINE + self.line(now))
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        rate = (self.done - self.skipped) / elapsed
        text = human_bytes(self.done)
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            text += f" of {human_bytes(self.total)} ({percent}%)"
        text += f"  {human_bytes(rate)}/s"
        if self.total and rate > 0 and self.total > self.done:
            text += f"  {human_duration((self.total - self.done) / rate)} left"
        return f"{self.label} {text}" if self.label else text

    def finish(self) -> None:
        """Clear the line, so the command's own output starts on a clean one."""
        if self.enabled and self.drawn_at is not None:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self.drawn_at = None


class StatusLine:
    """One line of state on stderr (an import's status while --wait polls), redrawn in
    place; nothing at all when the stream is not a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = is_terminal(self.stream)
        self.drawn = False

    def show(self, text: str) -> None:
        if self.enabled:
            self.stream.write(CLEAR_LINE + text)
            self.stream.flush()
            self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self.drawn = False
