"""LoopbackGlance: Glance's image calls with their data, in memory, on loopback; knobs make it
misbehave. For the image-data tests (imgcli as a process, or imgcli.transfer alone) and the
image-data benchmark's harness tests.

    POST   /image/v2/images             a queued record (the body's fields kept)
    GET    /image/v2/images?name=N      the images named N (os_hidden=true: the hidden ones)
    GET    /image/v2/images/ID          the record (404 with Glance's message if none)
    PATCH  /image/v2/images/ID          JSON-patch ops applied as given
    DELETE /image/v2/images/ID          gone, the record kept in `deleted`
    PUT    /image/v2/images/ID/file     the data; the record active with its size and hashes
    GET    /image/v2/images/ID/file     the data, from a `Range: bytes=N-` offset (206)

With `token` set, a request without that X-Auth-Token is answered 401. Everything received
is kept: `log` ("METHOD path"), `requests` (method, path, headers, body), `ranges` (the Range
of each data GET); `received` counts the bytes of the PUT in progress.

    with LoopbackGlance() as glance:
        image_id = glance.add(b"bytes")
        run(["--os-token", "t", "--os-endpoint", glance.endpoint, "image", "save", image_id])

Imports: the standard library, fakecloud.loopback.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakecloud.loopback import LoopbackServer, QuietHandler, serve, stop

ROUTE = re.compile(r"/image/v2/images(?:/([^/]+)(/file)?)?")


def hashes(data: bytes) -> dict[str, Any]:
    """What Glance records of the data it stored."""
    return {"size": len(data), "os_hash_algo": "sha512",
            "os_hash_value": hashlib.sha512(data).hexdigest(),
            "checksum": hashlib.md5(data).hexdigest()}


@dataclass
class LoopbackGlance:
    """The fake Glance; the knobs below change what it does with the next requests."""

    token: str | None = None
    # -- knobs: a data GET ...
    flip_byte: int | None = None  # ... sends this byte changed
    cut_after: int | None = None  # ... closes after this many body bytes
    pause_after: int | None = None  # ... sends this many, waits for `release`, sends the rest
    range_shift: int = 0  # ... answers a Range with a Content-Range that starts elsewhere
    honour_range: bool = True  # ... False: answers a Range with the whole body (200)
    status: int | None = None  # ... answers this status and no data
    # -- a data GET or PUT stops (no data, no reading) here until `release`, then hangs up
    stall_after: int | None = None
    # -- a PUT: after reading this much, answers 500 / hangs up without an answer
    put_error_after: int | None = None
    drop_after: int | None = None
    # -- any request: METHOD -> how many 500s ("database is locked") to answer first
    fail_next: dict[str, int] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    # -- state and what was received
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)
    deleted: list[dict[str, Any]] = field(default_factory=list)  # records as they were
    log: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    ranges: list[str | None] = field(default_factory=list)
    received: int = 0  # bytes of the current PUT read so far
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: LoopbackServer | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self) -> LoopbackGlance:
        self.server = serve(type("Bound", (_Handler,), {"glance": self}))
        return self

    def stop(self) -> None:
        self.release.set()  # a stalled handler ends
        if self.server is not None:
            stop(self.server)
            self.server = None

    def __enter__(self) -> LoopbackGlance:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self.server is not None, "start() first"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def endpoint(self) -> str:
        """The image endpoint, as a catalog names it (--os-endpoint)."""
        return f"{self.url}/image"

    def add(self, data: bytes, image_id: str | None = None) -> str:
        """An active image holding `data`; its ID."""
        image_id = image_id or str(uuid.uuid4())
        with self.lock:
            self.images[image_id] = {"id": image_id, "name": "x", "status": "active",
                                     "disk_format": "raw", "container_format": "bare",
                                     "visibility": "private", "tags": [], **hashes(data)}
            self.data[image_id] = data
        return image_id


class _Handler(QuietHandler):
    glance: LoopbackGlance

    def reply(self, status: int, doc: Any = None, close: bool = False,
              raw: bytes | None = None) -> None:
        body = raw if raw is not None else b"" if doc is None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream" if raw is not None
                         else "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def note(self, body: bytes = b"") -> None:
        self.glance.requests.append({"method": self.command, "path": self.path,
                                     "headers": dict(self.headers), "body": body})

    def handle_one(self) -> None:
        g = self.glance
        g.log.append(f"{self.command} {self.path}")
        if g.fail_next.get(self.command, 0) > 0:  # SQLite's "database is locked"
            g.fail_next[self.command] -= 1
            self.note(self.read_body())
            return self.reply(500, {"message": "database is locked"})
        found = ROUTE.fullmatch(urlsplit(self.path).path)
        if (g.token is not None and self.headers.get("X-Auth-Token") != g.token) or not found:
            self.note(self.read_body())
            token_ok = g.token is None or self.headers.get("X-Auth-Token") == g.token
            return self.reply(404 if token_ok else 401)
        image_id, file = found.group(1), bool(found.group(2))
        with g.lock:
            image = g.images.get(image_id) if image_id else None
        if image_id and image is None:
            self.note(self.read_body())
            return self.reply(404, {"message": "No image found"} if self.command == "GET"
                              else None)
        action = getattr(self, f"{self.command.lower()}_{'file' if file else 'image'}", None)
        if action is None:
            self.note(self.read_body())
            return self.reply(405)
        action(image)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_one

    # -------------------------------------------------------------- records

    def get_image(self, image: dict[str, Any] | None) -> None:
        self.note()
        if image is not None:
            return self.reply(200, image)
        query = parse_qs(urlsplit(self.path).query)
        hidden = query.get("os_hidden", ["false"])[0] == "true"
        with self.glance.lock:
            found = [i for i in self.glance.images.values()
                     if i.get("name") in query.get("name", [i.get("name")])
                     and bool(i.get("os_hidden")) == hidden]
        self.reply(200, {"images": found})

    def post_image(self, _: None) -> None:
        body = self.read_body()
        self.note(body)
        image = {"id": str(uuid.uuid4()), "status": "queued", "size": None, "tags": [],
                 "visibility": "shared", "protected": False, "os_hidden": False,
                 "os_hash_algo": None, "os_hash_value": None, "checksum": None,
                 **json.loads(body)}
        with self.glance.lock:
            self.glance.images[image["id"]] = image
        self.reply(201, image)

    def patch_image(self, image: dict[str, Any]) -> None:
        body = self.read_body()
        self.note(body)
        with self.glance.lock:
            for op in json.loads(body):
                image[op["path"].strip("/")] = op["value"]
        self.reply(200, image)

    def delete_image(self, image: dict[str, Any]) -> None:
        self.note(self.read_body())
        g = self.glance
        with g.lock:
            g.deleted.append(dict(image))
            g.images.pop(image["id"], None)
            g.data.pop(image["id"], None)
        self.reply(204)

    # -------------------------------------------------------------- data

    def put_file(self, image: dict[str, Any]) -> None:
        g = self.glance
        g.received = 0
        kept = bytearray()
        complete = True
        blocks = self.body_blocks()
        for block in blocks:
            kept += block
            g.received = len(kept)
            if g.put_error_after is not None and len(kept) >= g.put_error_after:
                self.note(bytes(kept))
                self.reply(500, {"message": "the store failed"}, close=True)
                for _ in blocks:  # drain: the client reads the answer after sending
                    pass
                return
            if g.drop_after is not None and len(kept) >= g.drop_after:
                complete = False
                break
            if g.stall_after is not None and len(kept) >= g.stall_after:
                g.release.wait(30)
                complete = False
                break
        length = self.headers.get("Content-Length")
        complete = complete and (length is None or len(kept) == int(length))
        self.note(bytes(kept))
        if not complete:  # the client went, or the fault hangs up: nothing is stored
            self.close_connection = True
            return
        data = bytes(kept)
        with g.lock:
            g.data[image["id"]] = data
            image.update(status="active", **hashes(data))
        self.reply(204)

    def get_file(self, image: dict[str, Any]) -> None:
        g = self.glance
        self.note()
        g.ranges.append(self.headers.get("Range"))
        if g.status is not None:
            return self.reply(g.status)
        with g.lock:
            data = g.data.get(image["id"])
        if data is None:
            return self.reply(204)
        if g.flip_byte is not None:
            data = data[:g.flip_byte] + bytes([data[g.flip_byte] ^ 1]) + data[g.flip_byte + 1:]
        start, wanted = 0, self.headers.get("Range", "")
        if g.honour_range and wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[6:-1]) + g.range_shift
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.send_body(body)
        except OSError:  # the client went: the point of several tests
            self.close_connection = True

    def send_body(self, body: bytes) -> None:
        g = self.glance
        stop = g.cut_after if g.cut_after is not None else g.stall_after
        if stop is not None:
            self.wfile.write(body[:stop])
            self.wfile.flush()
            if g.cut_after is None:
                g.release.wait(30)
            self.close_connection = True
            return
        if g.pause_after is not None:
            self.wfile.write(body[:g.pause_after])
            self.wfile.flush()
            g.release.wait(10)
            body = body[g.pause_after:]
        self.wfile.write(body)
