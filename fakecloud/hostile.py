"""Loopback servers that attack the client: `Home` is FakeCloud with some (method, path)
routes answered by the caller instead (a redirect, an endless error page, a reply of its
choosing), over https too; `Logbook` is another host that answers everything and keeps every
request it gets, headers and body; `Flood` is an error page of any size, written as it goes.

Imports: the standard library, fakecloud.server and fakecloud.loopback.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fakecloud.loopback import QuietHandler, serve, stop
from fakecloud.server import FakeCloud

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

        class Handler(QuietHandler):
            def answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Transfer-Encoding") == "chunked":
                    body = self.rfile.read1(1 << 20)  # enough to see what a PUT carried
                book.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                reply(200, b'{"images": []}')(self)

            # CONNECT too: as a proxy, this is where an https request would arrive.
            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_CONNECT = answer

        self.server = serve(Handler, self.host, quiet=False)
        self.url = f"http://{self.host}:{self.server.server_address[1]}"

    def close(self) -> None:
        stop(self.server)
