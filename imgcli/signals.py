"""SIGTERM and SIGHUP handled as Ctrl-C is: what CI timeouts, systemd, `timeout` and a closed
ssh session send must clean up as an interrupted command does (a half-made image deleted, a
partial download kept for resume), then exit 128 + the signal's number.

Each becomes `Interrupted`, a KeyboardInterrupt, so every `except KeyboardInterrupt` that
cleans up after Ctrl-C serves them too; cliff turns any of them into 130, which
`exit_status()` corrects to the signal that really came.

Imports: the standard library only.
"""

from __future__ import annotations

import signal
from types import FrameType

CAUGHT = (signal.SIGTERM, signal.SIGHUP)
received: int | None = None


class Interrupted(KeyboardInterrupt):
    """A SIGTERM or SIGHUP, raised where the program was, as SIGINT raises KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    global received
    if received is not None:
        return  # a second signal must not cut the clean-up of the first short
    received = signum
    raise Interrupted(signum)


def install() -> None:
    for signum in CAUGHT:
        if signal.getsignal(signum) is signal.SIG_DFL:  # an ignored SIGHUP (nohup) stays so
            signal.signal(signum, _raise)


def exit_status(result: int) -> int:
    """cliff's 130 for any KeyboardInterrupt, or 128 + the signal that really came."""
    if received is not None and result == 130:
        return 128 + received
    return result
