"""Helper threads (the hashing thread, a read-ahead) that never delay a signal.

Python runs signal handlers in the main thread only, and on CPython 3.11 a helper thread
that takes the GIL can clear the "a signal is pending" mark before the main thread sees it:
the main thread then enters a blocking recv() or send() with SIGTERM's handler not run,
and the download or upload ignores the signal until --timeout (seen here about once in
twenty SIGTERMs sent mid-download while the hashing thread was busy).

`start()` closes that gap. Helper threads start with SIGINT, SIGTERM and SIGHUP blocked (so
the kernel gives them to the main thread), and, once per process, a relay thread is started
that learns of each of those signals through Python's wakeup fd (signal.set_wakeup_fd)
and pokes the main thread with SIGURG a few times over a second, whose no-op handler makes
its blocking call return EINTR: Python then runs the pending handler (imgcli.signals', or
Ctrl-C's). Nothing
is started for commands that move no data. No request is sent from here.

Imports: the standard library only.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POKE = signal.SIGURG  # ignored by default; nothing here uses sockets' out-of-band data
POKE_PAUSES = (0.0, 0.01, 0.05, 0.2, 1.0)  # seconds before each poke
_relay: threading.Thread | None = None


def start(thread: threading.Thread) -> None:
    """Start a helper thread with the stopping signals blocked in it (the mask is
    inherited: blocked around start(), they are blocked from its first instruction), and
    make sure the relay runs."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
    start_relay()


def start_relay() -> None:
    """Once per process, from the main thread, unless the wakeup fd is someone else's."""
    global _relay
    if _relay is not None or threading.current_thread() is not threading.main_thread():
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # the C handler must never block on it
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:
        previous = None
    if previous != -1:  # taken (asyncio's), or refused: leave it as it was
        if previous is not None:
            signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)
        return
    signal.signal(POKE, _ignore)
    main = threading.main_thread().ident
    assert main is not None
    _relay = threading.Thread(target=_forward, args=(read_end, main), name="imgcli-signals",
                              daemon=True)
    before = signal.pthread_sigmask(signal.SIG_BLOCK, (*STOPPING, POKE))
    try:
        _relay.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _ignore(signum: int, frame: Any) -> None:
    """The poke's handler: its only work is the EINTR it causes in the main thread."""


def _forward(read_end: int, main: int) -> None:
    stopping = {int(signum) for signum in STOPPING}
    while True:
        try:
            arrived = os.read(read_end, 64)
        except OSError:
            return
        if not arrived:
            return
        if not stopping.intersection(arrived):
            continue
        # The first poke can land in the same gap as the signal (before the main thread
        # is back in its blocking call); a few more, spaced out, cannot all miss. One that
        # comes after the handler ran costs an EINTR that Python retries.
        for pause in POKE_PAUSES:
            time.sleep(pause)
            try:
                signal.pthread_kill(main, POKE)
            except (OSError, ProcessLookupError):
                return  # the main thread has ended: nothing left to wake
