"""Run a program on a pseudo-terminal, as a user at a terminal would: stdin, stdout and
stderr are the pty and it is the controlling terminal (getpass opens /dev/tty)."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tests.conftest import REPO

ROOT = str(REPO)  # the child starts here
ROWS, COLUMNS = 50, 300  # wide enough that no table cell is wrapped


@dataclass
class PtyResult:
    code: int
    output: bytes  # everything the terminal received, as bytes


def run_in_pty(args: Sequence[str], env: dict[str, str],
               answers: Sequence[tuple[bytes, bytes]] = (), timeout: float = 30) -> PtyResult:
    """`python ARGS` on a new pty. Each (prompt, keys) in `answers`: once `prompt` has been
    written, `keys` are typed (after the prompt, so a no-echo prompt has switched echo off)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: only async-signal-safe work before exec
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, *args], env)
        finally:
            os._exit(127)
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0] in output:
                os.write(fd, pending.pop(0)[1])
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        else:
            os.kill(pid, 9)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return PtyResult(os.waitstatus_to_exitcode(status), output)
