"""FakeCloud: a fast Keystone + Glance look-alike on loopback, for the benchmarks and the
fault-injection tests.

Seeding a real Glance with 100k images is impractically slow, and a real one cannot be made
to misbehave on demand, so this stdlib-only server imitates the parts of devstack's Apache
front end that an image-list client touches: version discovery, password auth with a service
catalog, and Glance's paginated image list (relative ``next`` links without the ``/image``
prefix, a final empty page when the listing is a multiple of ``limit``).

    with FakeCloud(images=1000) as cloud:
        subprocess.run(["imgcli", "image", "list"], env={**os.environ, **cloud.env})

or, from the repository's root, ``python -m fakecloud --images N [--port P] [--latency-ms MS]
[--fault NAME]``.

Imports: the standard library, fakecloud.identity, .images, .listing and .loopback.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterable
from email.utils import formatdate
from http.client import responses
from typing import Any
from urllib.parse import urlsplit

from fakecloud.identity import (
    FAKE_PASSWORD,
    FAKE_TOKEN,
    KEYSTONE_401,
    credentials_accepted,
    keystone_version,
    make_token,
    token_document,
)
from fakecloud.images import glance_versions, image_schema, images_schema, make_images
from fakecloud.listing import BadRequest, Listing
from fakecloud.loopback import LoopbackServer, QuietHandler

FAULTS = frozenset({
    "503-once", "500", "429-once", "truncated", "not-json", "no-images-key", "html-401",
    "paging-loop", "next-off-host", "hang", "reset", "revoke-after-first-page", "bad-types",
    "identity-500", "no-image-endpoint",
})

HANG_SECONDS = 60.0

HTML_401 = (
    b"<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1>"
    b"This server could not verify that you are authorized to access the document you "
    b"requested.<br /><br /></body></html>"
)


class _Server(LoopbackServer):
    cloud: FakeCloud


class _Handler(QuietHandler):
    server_version = "Apache/2.4.58 (Ubuntu)"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Apache sets it too; without it Nagle's algorithm and delayed ACKs hold small
        # responses back (docs/performance.md#tcp_nodelay-in-the-fake-cloud).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _dispatch(self) -> None:
        self.server.cloud._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class FakeCloud:
    """Context manager running the fake cloud on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        images: int = 3,
        latency_ms: float = 0,
        faults: Iterable[str] = (),
        page_cap: int = 1000,
        port: int = 0,
        seed: int = 0,
    ) -> None:
        self.faults = frozenset(faults)
        unknown = self.faults - FAULTS
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(FAULTS)}")
        self.latency = latency_ms / 1000
        self.page_cap = page_cap
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._generation = 0
        self.token = FAKE_TOKEN
        self._valid_tokens = {FAKE_TOKEN}
        self._fired: set[str] = set()
        self._listing = Listing(make_images(images, seed, bad_types="bad-types" in self.faults),
                                page_cap, self.faults)
        self.image_ids: list[str] = self._listing.image_ids
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.cloud = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.auth_url = f"{self.url}/identity"
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeCloud:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # releases "hang" handlers
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- public helpers --------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        return {
            "OS_AUTH_URL": self.auth_url,
            "OS_USERNAME": "admin",
            "OS_PASSWORD": FAKE_PASSWORD,
            "OS_PROJECT_NAME": "admin",
            "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_IDENTITY_API_VERSION": "3",
        }

    @property
    def images(self) -> list[dict[str, Any]]:
        """The image documents as served (decoded on each access: costly for big clouds)."""
        return [json.loads(f) for f in self._listing.fragments]

    def revoke_tokens(self) -> None:
        with self._lock:
            self._generation += 1
            self.token = make_token(self._generation)
            self._valid_tokens = {self.token}

    def list_requests(self) -> list[tuple[str, str, int]]:
        """Image-list requests only (what paging tests usually count)."""
        with self._lock:
            return [r for r in self.requests if r[1].startswith("/image/v2/images")]

    # -- HTTP ------------------------------------------------------------------------------

    def _serve(self, h: _Handler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        if self.latency:
            time.sleep(self.latency)
        url = urlsplit(h.path)
        path = url.path.rstrip("/") or "/"
        route = (h.command, path)
        if route == ("GET", "/identity"):
            doc = {"versions": {"values": [keystone_version(self.url)]}}
            self._send(h, 300, json.dumps(doc).encode(),
                       headers={"Location": f"{self.url}/identity/v3/"})
        elif route == ("GET", "/identity/v3"):
            self._send(h, 200, json.dumps({"version": keystone_version(self.url)}).encode())
        elif route == ("POST", "/identity/v3/auth/tokens"):
            self._issue_token(h, body)
        elif route == ("GET", "/identity/v3/auth/tokens"):
            if self._token_ok(h) and h.headers.get("X-Subject-Token") in self._valid_tokens:
                self._send(h, 200, json.dumps(self._token_doc()).encode(),
                           headers={"X-Subject-Token": h.headers["X-Subject-Token"]})
            else:
                self._send(h, 404 if self._token_ok(h) else 401, KEYSTONE_401)
        elif route == ("GET", "/image"):
            self._send(h, 300, json.dumps(glance_versions(self.url)).encode())
        elif route in (("GET", "/image/versions"), ("GET", "/image/v2")):
            self._send(h, 200, json.dumps(glance_versions(self.url)).encode())
        elif route == ("GET", "/image/v2/images"):
            self._list_images(h, url.query)
        elif route in (("GET", "/image/v2/schemas/image"), ("GET", "/image/v2/schemas/images")):
            if not self._token_ok(h):
                self._send_401(h)
            else:
                schema = image_schema() if path.endswith("image") else images_schema()
                self._send(h, 200, json.dumps(schema).encode())
        else:
            self._send(h, 404, b'{"error": {"code": 404, "title": "Not Found"}}')

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        ctype: str = "application/json",
        headers: dict[str, str] | None = None,
        *,
        cut: str = "",
    ) -> None:
        """One write for status, headers and body; ``cut`` = "fin"/"rst" sends half a body."""
        with self._lock:
            self.requests.append((h.command, h.path, status))
        lines = [
            f"HTTP/1.1 {status} {responses.get(status, 'Unknown')}",
            f"Date: {formatdate(usegmt=True)}",
            f"Server: {h.server_version}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}",
            "Connection: " + ("close" if h.close_connection or cut else "keep-alive"),
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if h.command == "HEAD":
            body = b""
        if not cut:
            h.wfile.write(head + body)
            return
        h.wfile.write(head + body[: len(body) // 2])
        h.close_connection = True
        if cut == "rst":
            # Linger 0 makes close() send RST; the real close happens once the handler's
            # file objects are closed, before socketserver would send a FIN.
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()

    def _token_ok(self, h: _Handler) -> bool:
        return h.headers.get("X-Auth-Token") in self._valid_tokens

    def _token_doc(self) -> dict[str, Any]:
        image_url = None if "no-image-endpoint" in self.faults else f"{self.url}/image"
        return token_document(self.auth_url, image_url)

    def _issue_token(self, h: _Handler, body: bytes) -> None:
        if "identity-500" in self.faults:
            self._send(h, 500, json.dumps({"error": {
                "code": 500, "title": "Internal Server Error",
                "message": "An unexpected error prevented the server from fulfilling your "
                           "request.",
            }}).encode())
            return
        try:
            identity = json.loads(body)["auth"]["identity"]
            ok = credentials_accepted(identity, self._valid_tokens)
        except (ValueError, KeyError, TypeError):
            self._send(h, 400, json.dumps({"error": {
                "code": 400, "title": "Bad Request",
                "message": "Expecting to find identity in auth.",
            }}).encode())
            return
        if not ok:
            self._send(h, 401, KEYSTONE_401,
                       headers={"WWW-Authenticate": f'Keystone uri="{self.auth_url}"'})
            return
        self._send(h, 201, json.dumps(self._token_doc()).encode(),
                   headers={"X-Subject-Token": self.token})

    def _send_401(self, h: _Handler) -> None:
        # What keystonemiddleware answers in front of Glance: HTML, not JSON.
        self._send(h, 401, HTML_401, "text/html; charset=UTF-8",
                   {"WWW-Authenticate": f'Keystone uri="{self.auth_url}"'})

    def _once(self, fault: str) -> bool:
        with self._lock:
            if fault in self.faults and fault not in self._fired:
                self._fired.add(fault)
                return True
            return False

    def _list_images(self, h: _Handler, query: str) -> None:
        if "html-401" in self.faults or not self._token_ok(h):
            self._send_401(h)
            return
        if "hang" in self.faults:
            self._stop.wait(HANG_SECONDS)
            with self._lock:
                self.requests.append((h.command, h.path, 0))
            h.close_connection = True
            return
        if "500" in self.faults:
            self._send(h, 500, b"500 Internal Server Error\n\nThe server has either erred or is "
                       b"incapable of performing the requested operation.\n\n   ", "text/plain")
            return
        if self._once("503-once"):
            self._send(h, 503, b"503 Service Unavailable\n\nThe server is currently unavailable."
                       b"\n\n   ", "text/plain", {"Retry-After": "0"})
            return
        if self._once("429-once"):
            self._send(h, 429, b"429 Too Many Requests\n\nToo many requests.\n\n   ",
                       "text/plain", {"Retry-After": "1"})
            return
        if "not-json" in self.faults:
            self._send(h, 200, b"<html><body><h1>It works!</h1></body></html>", "text/html")
            return
        if "no-images-key" in self.faults:
            self._send(h, 200, b'{"foo": []}')
            return
        try:
            body = self._listing.page(query)
        except BadRequest as e:
            self._send(h, 400, f"400 Bad Request\n\n{e}\n\n   ".encode(), "text/plain")
            return
        cut = "fin" if "truncated" in self.faults else "rst" if "reset" in self.faults else ""
        self._send(h, 200, body, cut=cut)
        if self._once("revoke-after-first-page"):
            self.revoke_tokens()
