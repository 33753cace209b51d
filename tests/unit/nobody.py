"""Acting as another user in a test: root reads and writes through any mode bits, so a
permission, or an attack by someone else on a shared folder, is only real as `nobody`."""

from __future__ import annotations

import os
from collections.abc import Callable

NOBODY = 65534


def as_nobody(action: Callable[[], object]) -> str:
    """Run `action` in a forked child that became `nobody` (uid and gid 65534, no groups):
    "" when it succeeded, else the error it raised, as one line. A fork, not a new
    interpreter: `nobody` may not enter /root, where pyenv's Python is."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: never return into pytest
        outcome = "the child failed"
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            action()
            outcome = ""
        except BaseException as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            os.write(write_end, outcome.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome
