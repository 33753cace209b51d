"""Loopback servers that attack the client, for test_redirects.py and test_error_body.py.

`Home` is benchmarks/fakecloud.py's Keystone + Glance with some routes answered by the
test instead (a redirect, an endless error page); `Logbook` is the other host, which
answers everything and keeps every request it gets, headers and body; `flood` is an error
page of any size, written as it goes. imgcli runs as a subprocess, so `run` also reports
the child's peak memory (os.wait4).
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fakecloud import FakeCloud  # noqa: E402

Route = Callable[[BaseHTTPRequestHandler], None]
OTHER_HOST = "127.0.0.2"  # Linux routes all of 127/8 to loopback: a different host to a client


class Home(FakeCloud):
    """FakeCloud whose (method, path) routes in `routes` are answered by the test; with
    `tls` (cert, key) it serves https, its catalog and version documents saying so."""

    def __init__(self, routes: Mapping[tuple[str, str], Route] | None = None,
                 tls: tuple[Path, Path] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.routes = dict(routes or {})
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
            self.auth_url = f"{self.url}/identity"

    def _serve(self, h: Any) -> None:
        route = self.routes.get((h.command, urlsplit(h.path).path))
        if route is None:
            super()._serve(h)
            return
        h.rfile.read(int(h.headers.get("Content-Length") or 0))
        with self._lock:
            self.requests.append((h.command, h.path, 0))
        route(h)


def redirect(location: str, status: int = 302) -> Route:
    """A route that answers with a redirect; `{query}` in `location` is the request's query
    (keystoneauth drops its own params on a redirect: the Location must carry them)."""

    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location.format(query=urlsplit(h.path).query))
        h.send_header("Content-Length", "0")
        h.end_headers()

    return answer


def reply(status: int, body: bytes, ctype: str = "application/json") -> Route:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return answer


@dataclass
class Flood:
    """An error page of `size` bytes, made as it is written; `sent` counts what went out."""

    size: int = 400 << 20
    status: int = 500
    ctype: str = "text/html; charset=UTF-8"
    sent: int = 0

    def __call__(self, h: BaseHTTPRequestHandler) -> None:
        head = b"<html><head><title>500 Internal Server Error</title></head><body>"
        filler = b"<p>the server is flooding you</p>\n" * 2048  # 70 KiB a write
        h.close_connection = True
        h.send_response(self.status)
        h.send_header("Content-Type", self.ctype)
        h.send_header("Content-Length", str(self.size))
        h.end_headers()
        try:
            h.wfile.write(head)
            self.sent = len(head)
            while self.sent < self.size:
                block = filler[: self.size - self.sent]
                h.wfile.write(block)
                self.sent += len(block)
        except OSError:
            pass  # the client hung up: what it is meant to do


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Logbook:
    """The other host: answers 200 to anything, and keeps every request it received."""

    host: str = OTHER_HOST
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        book = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Transfer-Encoding") == "chunked":
                    body = self.rfile.read1(1 << 20)  # enough to see what a PUT carried
                book.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                reply(200, b'{"images": []}')(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = answer

        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{self.host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA), for --os-cacert; made with the openssl
    command, as the venv has no cryptography package."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate with")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


# HOSTILE_UNGUARDED=1 runs imgcli without imgcli.transport's guards (Retry-After capping
# kept): every attack test should then fail, which shows it carries the attack out.
UNGUARDED = ("import sys, imgcli.transport as t\n"
             "t.install = lambda session, named: session.hooks['response'].append("
             "t.cap_retry_after)\n"
             "from imgcli.__main__ import main\nsys.exit(main())")


def imgcli_argv(args: list[str]) -> list[str]:
    if os.environ.get("HOSTILE_UNGUARDED"):
        return [sys.executable, "-c", UNGUARDED, *args]
    return [sys.executable, "-m", "imgcli", *args]


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: str
    seconds: float
    peak_rss: int  # bytes: the child's maximum resident set size


def run(args: list[str], home: Path, env: Mapping[str, str] | None = None,
        timeout: float = 60) -> Run:
    """`python -m imgcli ARGS` in `home`; its output, time and peak memory (os.wait4, so
    the figure is this child's alone, not the largest of every child the tests ran)."""
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
                   "XDG_CACHE_HOME": str(home / "cache"),
                   "XDG_CONFIG_HOME": str(home / "config"), **(env or {})}
    out, err = home / "stdout", home / "stderr"
    started = time.monotonic()
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(imgcli_argv(args), env=environment,
                                cwd=home, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr)
    with killed_after(proc, timeout):
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(proc.returncode, out.read_bytes(), err.read_text(errors="replace"),
               time.monotonic() - started, usage.ru_maxrss * 1024)


@contextmanager
def killed_after(proc: subprocess.Popen[bytes], seconds: float) -> Iterator[None]:
    timer = threading.Timer(seconds, proc.kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
