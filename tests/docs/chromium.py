"""Headless Chromium driven over the DevTools protocol on a pipe (stdlib only).

``--remote-debugging-pipe`` makes Chromium read JSON commands on fd 3 and write replies and
events on fd 4, each message ending in NUL: no port to find, no websocket library.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# No internet, the same on every machine: every host name fails to resolve, so a page that
# needs a CDN fails here exactly as it does on an operator's private network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
]


class ChromiumError(RuntimeError):
    pass


def _above_9(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Chromium:
    def __init__(self, binary: str, profile: Path) -> None:
        to_browser_r, self._out = os.pipe()
        self._in, from_browser_w = os.pipe()
        # The pipe ends must be fds 3 and 4 in Chromium: a Python trampoline moves them there
        # from numbers above 9, so that moving one cannot overwrite the other (dash's
        # redirections stop at fd 9, hence no shell).
        to_browser_r, from_browser_w = (_above_9(fd) for fd in (to_browser_r, from_browser_w))
        trampoline = (
            "import os, sys; "
            f"os.dup2({to_browser_r}, 3); os.dup2({from_browser_w}, 4); "
            "os.execv(sys.argv[1], sys.argv[1:])"
        )
        argv = [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        self._proc = subprocess.Popen(
            [sys.executable, "-c", trampoline, *argv],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._cond:
                for raw in messages:
                    message = json.loads(raw)
                    message["received"] = time.monotonic()
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 30) -> dict[str, Any]:
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        with self._cond:
            if not self._cond.wait_for(lambda: ident in self._replies or self._closed, timeout):
                raise ChromiumError(f"{method}: no answer in {timeout} s")
            if ident not in self._replies:
                raise ChromiumError(f"{method}: Chromium exited")
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise ChromiumError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``condition`` (checked under the lock, after each message) holds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return condition()
                self._cond.wait(min(left, 0.25))
        return True

    def session_events(self, session: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("sessionId") == session]

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except ChromiumError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=5)  # EOF once Chromium is gone: then its fd can be closed
        os.close(self._out)
        os.close(self._in)
