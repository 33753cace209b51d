"""A fast Keystone + Glance look-alike on loopback, for benchmarks and fault-injection tests.

Seeding a real Glance with 100k images is impractically slow, and a real one cannot be made
to misbehave on demand, so this stdlib-only server imitates the parts of devstack's Apache
front end that an image-list client touches: version discovery, password auth with a service
catalog, and Glance's paginated image list (relative ``next`` links without the ``/image``
prefix, a final empty page when the listing is a multiple of ``limit``).

    with FakeCloud(images=1000) as cloud:
        subprocess.run(["imgcli", "image", "list"], env={**os.environ, **cloud.env})

or ``python benchmarks/fakecloud.py --images N [--port P] [--latency-ms MS] [--fault NAME]``.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import hashlib
import json
import random
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit


def _make_token(generation: int) -> str:
    # Fernet-looking and long, so leak checks can grep for it without false positives.
    raw = hashlib.sha512(f"fakecloud-token-{generation}".encode()).digest() * 2
    return "gAAAAAB" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


FAKE_PASSWORD = "fakecloud-S3cret-Pw-7d41c9e2a05b"
FAKE_TOKEN = _make_token(0)
ADMIN_PROJECT_ID = "9f1c3a7e5b2d4c6e8a0b1d3f5e7c9a2b"
ADMIN_USER_ID = "4d2a6c8e0f1b3d5a7c9e1f3b5d7a9c0e"
DOMAIN = {"id": "default", "name": "Default"}
REGION = "RegionOne"

FAULTS = frozenset({
    "503-once", "500", "429-once", "truncated", "not-json", "no-images-key", "html-401",
    "paging-loop", "next-off-host", "hang", "reset", "revoke-after-first-page", "bad-types",
    "identity-500", "no-image-endpoint",
})

HANG_SECONDS = 60.0
SORT_KEYS = frozenset({
    "name", "status", "container_format", "disk_format", "size", "virtual_size", "id",
    "created_at", "updated_at", "min_ram", "min_disk", "visibility", "owner",
})
# Columns kept per image for filtering/sorting; the full dicts only live as JSON bytes.
_COLUMNS = tuple(SORT_KEYS | {"tags", "os_hidden"})

HTML_401 = (
    b"<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1>"
    b"This server could not verify that you are authorized to access the document you "
    b"requested.<br /><br /></body></html>"
)
KEYSTONE_401 = json.dumps({"error": {
    "code": 401, "title": "Unauthorized",
    "message": "The request you have made requires authentication.",
}}).encode()

_DISTROS = (
    ("cirros", "0.6.2", 21430272), ("ubuntu", "22.04", 0), ("ubuntu", "24.04", 0),
    ("debian", "12", 0), ("fedora", "40", 0), ("centos-stream", "9", 0), ("rocky", "9.4", 0),
    ("almalinux", "9.4", 0), ("windows-server", "2022", 0), ("freebsd", "14.1", 0),
)
_VISIBILITIES = ("public",) * 9 + ("private",) * 6 + ("shared",) * 3 + ("community",) * 2
_DISK_FORMATS = ("qcow2", "qcow2", "raw", "vmdk")
_TAGS = ("prod", "staging", "gpu", "baremetal", "hardened", "golden", "test", "lts")
_OTHER_PROJECTS = tuple(f"{i:x}" * 32 for i in range(1, 6))
_EPOCH = datetime(2023, 1, 1)


def _iso(seconds: int) -> str:
    # isoformat on a naive datetime is several times faster than strftime (100k images).
    return (_EPOCH + timedelta(seconds=seconds)).isoformat() + "Z"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def make_images(n: int, seed: int = 0, bad_types: bool = False) -> list[dict[str, Any]]:
    """N deterministic Glance v2 image documents, key order as Glance emits them."""
    rng = random.Random(seed)
    images = []
    for i in range(1, n + 1):
        distro, ver, fixed_size = rng.choice(_DISTROS)
        image_id = _uuid(rng)
        visibility = _VISIBILITIES[int(rng.random() * 20)]
        own = visibility == "public" or rng.random() < 0.5
        disk_format = "qcow2" if distro == "cirros" else rng.choice(_DISK_FORMATS)
        # cirros images share a size so that sorting by size needs the id tiebreaker.
        size = fixed_size or rng.randrange(300 << 20, 8 << 30)
        created = i * 97 + int(rng.random() * 60)
        name = f"img-{i:05d}-{distro}-{ver}"
        images.append({
            "hw_rng_model": "virtio",
            "os_distro": distro,
            "os_version": ver,
            "owner_specified.openstack.object": f"images/{name}",
            "name": name,
            "disk_format": disk_format,
            "container_format": "bare",
            "visibility": visibility,
            "size": size,
            "virtual_size": size * rng.choice((1, 2, 5)) if disk_format == "qcow2" else size,
            "status": "deactivated" if rng.random() < 0.02 else "active",
            "checksum": f"{rng.getrandbits(128):032x}",
            "protected": rng.random() < 0.05,
            "min_ram": rng.choice((0, 0, 512, 1024, 2048)),
            "min_disk": rng.choice((0, 1, 10, 20, 40)),
            "owner": ADMIN_PROJECT_ID if own else rng.choice(_OTHER_PROJECTS),
            "os_hidden": False,
            "os_hash_algo": "sha512",
            "os_hash_value": f"{rng.getrandbits(512):0128x}",
            "id": image_id,
            "created_at": _iso(created),
            "updated_at": _iso(created + int(rng.random() * 86400)),
            "tags": rng.sample(_TAGS, rng.choice((0, 0, 1, 1, 2, 3))),
            "self": f"/v2/images/{image_id}",
            "file": f"/v2/images/{image_id}/file",
            "schema": "/v2/schemas/image",
            "stores": "file",
        })
    if bad_types:
        _make_bad(images)
    return images


def _make_bad(images: list[dict[str, Any]]) -> None:
    """Type and encoding surprises that real clouds produce (old imports, buggy tools)."""
    mutations = [
        lambda im: im.update(size=str(im["size"])),
        lambda im: im.pop("name"),
        lambda im: im.update(name=None, size=None, checksum=None, disk_format=None,
                             container_format=None, virtual_size=None, tags=None),
        lambda im: im.update(name="x" * 300 + "-" + "very-long-name" * 100),
        lambda im: im.update(name="🚀 rocket-image 🐧 ✓", tags=["🔥"]),
        lambda im: im.update(name="صورة-اختبار עברית-test"),
        lambda im: im.update(min_ram="512", protected="false", owner=None),
    ]
    for im, mutate in zip(images, mutations, strict=False):
        mutate(im)


def _sort_key(value: Any) -> tuple[bool, str, Any]:
    # Orders None, ints and strs without TypeError when bad-types mixes them in one column.
    if value is None:
        return (True, "", "")
    if isinstance(value, (list, tuple)):
        value = ",".join(map(str, value))
    return (False, type(value).__name__, value)


def _keystone_versions(base: str) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}/identity/v3/"}],
        "media-types": [{
            "base": "application/json",
            "type": "application/vnd.openstack.identity-v3+json",
        }],
    }


def _glance_versions(base: str) -> dict[str, Any]:
    # Glance's versions.py with image_cache_dir and enabled_backends set, as devstack does.
    ids = ["2.17", "2.16", "2.15", "2.14", "2.13", "2.12", "2.11", "2.10"]
    ids += [f"2.{i}" for i in range(9, -1, -1)]
    href = f"{base}/image/v2/"
    return {"versions": [
        {"id": f"v{v}", "status": "CURRENT" if v == "2.17" else "SUPPORTED",
         "links": [{"rel": "self", "href": href}]}
        for v in ids
    ]}


def _image_schema() -> dict[str, Any]:
    """Glance's image schema, types only (glanceclient fetches it and validates with it)."""
    nullable = ["null", "string"]
    props: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
               "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"},
        "name": {"type": nullable, "maxLength": 255},
        "status": {"type": "string", "readOnly": True, "enum": [
            "queued", "saving", "active", "killed", "deleted", "uploading", "importing",
            "pending_delete", "deactivated"]},
        "visibility": {"type": "string", "enum": ["community", "public", "private", "shared"]},
        "protected": {"type": "boolean"},
        "os_hidden": {"type": "boolean"},
        "checksum": {"type": nullable, "readOnly": True, "maxLength": 32},
        "os_hash_algo": {"type": nullable, "readOnly": True, "maxLength": 64},
        "os_hash_value": {"type": nullable, "readOnly": True, "maxLength": 128},
        "owner": {"type": nullable, "maxLength": 255},
        "size": {"type": ["null", "integer"], "readOnly": True},
        "virtual_size": {"type": ["null", "integer"], "readOnly": True},
        "container_format": {"type": nullable, "enum": [
            None, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]},
        "disk_format": {"type": nullable, "enum": [
            None, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
            "ploop"]},
        "created_at": {"type": "string", "readOnly": True},
        "updated_at": {"type": "string", "readOnly": True},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 255}},
        "direct_url": {"type": "string", "readOnly": True},
        "min_ram": {"type": "integer"},
        "min_disk": {"type": "integer"},
        "self": {"type": "string", "readOnly": True},
        "file": {"type": "string", "readOnly": True},
        "stores": {"type": "string", "readOnly": True},
        "schema": {"type": "string", "readOnly": True},
        "locations": {"type": "array", "items": {"type": "object", "properties": {
            "url": {"type": "string", "maxLength": 255}, "metadata": {"type": "object"}},
            "required": ["url", "metadata"]}},
    }
    return {
        "name": "image",
        "properties": props,
        "additionalProperties": {"type": "string"},
        "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def _images_schema() -> dict[str, Any]:
    return {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": _image_schema()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


class _BadRequest(Exception):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    cloud: FakeCloud


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache/2.4.58 (Ubuntu)"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Apache sets it too; without it Nagle + delayed ACK adds ~40 ms to small responses.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

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
        self._loop_marker: str | None = None
        docs = make_images(images, seed, bad_types="bad-types" in self.faults)
        # Serialising once keeps per-request CPU at a join, so the server is never the
        # bottleneck even at 100k images.
        encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
        self._fragments = [encode(d).encode() for d in docs]
        self._cols: dict[str, list[Any]] = {c: [d.get(c) for d in docs] for c in _COLUMNS}
        self.image_ids: list[str] = self._cols["id"]
        self._index = {image_id: i for i, image_id in enumerate(self.image_ids)}
        self._orders: dict[tuple[tuple[str, str], ...], tuple[list[int], list[int]]] = {}
        self._selections: dict[tuple[Any, ...], list[int]] = {}
        # Pre-sort the orders clients ask for (Glance's default; name as glanceclient and
        # most CLIs request) so the first timed benchmark request is not penalised.
        for default in ((("created_at", "desc"), ("id", "desc")),
                        (("name", "asc"), ("created_at", "asc"), ("id", "asc"))):
            self._order(default)
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
        return [json.loads(f) for f in self._fragments]

    def revoke_tokens(self) -> None:
        with self._lock:
            self._generation += 1
            self.token = _make_token(self._generation)
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
            doc = {"versions": {"values": [_keystone_versions(self.url)]}}
            self._send(h, 300, json.dumps(doc).encode(),
                       headers={"Location": f"{self.url}/identity/v3/"})
        elif route == ("GET", "/identity/v3"):
            self._send(h, 200, json.dumps({"version": _keystone_versions(self.url)}).encode())
        elif route == ("POST", "/identity/v3/auth/tokens"):
            self._issue_token(h, body)
        elif route == ("GET", "/identity/v3/auth/tokens"):
            if self._token_ok(h) and h.headers.get("X-Subject-Token") in self._valid_tokens:
                self._send(h, 200, json.dumps(self._token_doc()).encode(),
                           headers={"X-Subject-Token": h.headers["X-Subject-Token"]})
            else:
                self._send(h, 404 if self._token_ok(h) else 401, KEYSTONE_401)
        elif route == ("GET", "/image"):
            self._send(h, 300, json.dumps(_glance_versions(self.url)).encode())
        elif route in (("GET", "/image/versions"), ("GET", "/image/v2")):
            self._send(h, 200, json.dumps(_glance_versions(self.url)).encode())
        elif route == ("GET", "/image/v2/images"):
            self._list_images(h, url.query)
        elif route in (("GET", "/image/v2/schemas/image"), ("GET", "/image/v2/schemas/images")):
            if not self._token_ok(h):
                self._send_401(h)
            else:
                schema = _image_schema() if path.endswith("image") else _images_schema()
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
        now = datetime.now(timezone.utc)

        def endpoints(url: str) -> list[dict[str, str]]:
            return [
                {"id": hashlib.md5(f"{url}{i}".encode()).hexdigest(), "interface": i,
                 "region_id": REGION, "url": url, "region": REGION}
                for i in ("public", "internal", "admin")
            ]

        catalog = [{"endpoints": endpoints(self.auth_url), "id": "1d5e" + "0" * 28,
                    "type": "identity", "name": "keystone"}]
        if "no-image-endpoint" not in self.faults:
            catalog.append({"endpoints": endpoints(f"{self.url}/image"), "id": "2e6f" + "0" * 28,
                            "type": "image", "name": "glance"})
        return {"token": {
            "methods": ["password"],
            "user": {"domain": DOMAIN, "id": ADMIN_USER_ID, "name": "admin",
                     "password_expires_at": None},
            "audit_ids": ["3T2dc1CGQxyJsHdDu1xkcw"],
            "expires_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "project": {"domain": DOMAIN, "id": ADMIN_PROJECT_ID, "name": "admin"},
            "is_domain": False,
            "roles": [{"id": f"{i:032x}", "name": n}
                      for i, n in enumerate(("admin", "member", "reader"), 1)],
            "catalog": catalog,
        }}

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
            methods = identity["methods"]
        except (ValueError, KeyError, TypeError):
            self._send(h, 400, json.dumps({"error": {
                "code": 400, "title": "Bad Request",
                "message": "Expecting to find identity in auth.",
            }}).encode())
            return
        ok = False
        if "password" in methods:
            user = identity.get("password", {}).get("user", {})
            domain = user.get("domain", {})
            ok = (user.get("name") == "admin" or user.get("id") == ADMIN_USER_ID) \
                and user.get("password") == FAKE_PASSWORD \
                and (domain.get("name") == "Default" or domain.get("id") == "default"
                     or user.get("id") == ADMIN_USER_ID)
        elif "token" in methods:
            ok = identity.get("token", {}).get("id") in self._valid_tokens
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
            body = self._page(query)
        except _BadRequest as e:
            self._send(h, 400, f"400 Bad Request\n\n{e}\n\n   ".encode(), "text/plain")
            return
        cut = "fin" if "truncated" in self.faults else "rst" if "reset" in self.faults else ""
        self._send(h, 200, body, cut=cut)
        if self._once("revoke-after-first-page"):
            self.revoke_tokens()

    def _page(self, query: str) -> bytes:
        params = parse_qsl(query, keep_blank_values=True)
        get = dict(params).get
        try:
            limit = int(get("limit", "25"))
        except ValueError:
            raise _BadRequest("limit param must be an integer") from None
        if limit < 0:
            raise _BadRequest("limit param must be positive")
        limit = min(limit, self.page_cap)
        spec = self._sort_spec(params)
        order, rank = self._order(spec)
        selection = self._selection(spec, order, self._filters(params))
        marker = get("marker")
        start = 0
        if marker is not None:
            if marker not in self._index:
                raise _BadRequest(f"Invalid marker. Image {marker} could not be found.")
            # Keyset semantics, as Glance: the marker need not match the filters itself.
            start = bisect.bisect_right(selection, rank[self._index[marker]])
        chosen = [order[r] for r in selection[start:start + limit]]
        rest = [(k, v) for k, v in params if k != "marker"]
        doc_tail: dict[str, str] = {
            "first": "/v2/images" + (f"?{urlencode(rest)}" if rest else ""),
            "schema": "/v2/schemas/images",
        }
        if chosen and len(chosen) == limit:
            next_marker = self.image_ids[chosen[-1]]
            if "paging-loop" in self.faults:
                with self._lock:
                    self._loop_marker = self._loop_marker or next_marker
                    next_marker = self._loop_marker
            doc_tail["next"] = "/v2/images?" + urlencode(rest + [("marker", next_marker)])
            if "next-off-host" in self.faults:
                doc_tail["next"] = "http://evil.example.invalid" + doc_tail["next"]
        tail = json.dumps(doc_tail)[1:].encode()
        return b'{"images": [' + b", ".join(self._fragments[i] for i in chosen) + b"], " + tail

    @staticmethod
    def _sort_spec(params: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        sort = [v for k, v in params if k == "sort"]
        keys = [v for k, v in params if k == "sort_key"]
        dirs = [v for k, v in params if k == "sort_dir"]
        if sort and (keys or dirs):
            raise _BadRequest("The 'sort' argument is not supported with 'sort_key' or "
                              "'sort_dir'.")
        if sort:
            spec = []
            for item in ",".join(sort).split(","):
                key, _, direction = item.strip().partition(":")
                spec.append((key, direction or "desc"))
        else:
            keys = keys or ["created_at"]
            if len(dirs) > 1 and len(dirs) != len(keys):
                raise _BadRequest("Number of sort dirs does not match the number of sort keys")
            if len(dirs) != len(keys):
                dirs = [dirs[0] if dirs else "desc"] * len(keys)
            spec = list(zip(keys, dirs, strict=True))
        for key, direction in spec:
            if key not in SORT_KEYS:
                raise _BadRequest(f"Invalid sort key: {key}. It is not in supported keys.")
            if direction not in ("asc", "desc"):
                raise _BadRequest(f"Invalid sort direction: {direction}")
        # Glance appends created_at and id so that paging is total and stable, in the one
        # given direction, else descending.
        default_dir = spec[0][1] if len(spec) == 1 else "desc"
        for key in ("created_at", "id"):
            if key not in (k for k, _ in spec):
                spec.append((key, default_dir))
        return tuple(spec)

    @staticmethod
    def _filters(params: list[tuple[str, str]]) -> tuple[tuple[str, Any], ...]:
        get = dict(params).get
        filters: list[tuple[str, Any]] = [
            (k, get(k)) for k in ("name", "status", "owner", "visibility") if get(k) is not None
        ]
        tags = tuple(sorted({v for k, v in params if k == "tag"}))
        if tags:
            filters.append(("tags", tags))
        filters.append(("os_hidden", get("os_hidden", "false").lower() == "true"))
        return tuple(filters)

    def _order(self, spec: tuple[tuple[str, str], ...]) -> tuple[list[int], list[int]]:
        """Image indices in sort order, and each image's rank in it (cached per spec)."""
        cached = self._orders.get(spec)
        if cached is None:
            order = list(range(len(self.image_ids)))
            # Stable sorts from the last key to the first give mixed-direction ordering.
            for key, direction in reversed(spec):
                col = self._cols[key]
                if len({type(v) for v in col}) == 1:  # fast path unless bad-types mixes them
                    order.sort(key=col.__getitem__, reverse=direction == "desc")
                else:
                    order.sort(key=lambda i: _sort_key(col[i]), reverse=direction == "desc")
            rank = [0] * len(order)
            for r, i in enumerate(order):
                rank[i] = r
            cached = self._orders[spec] = (order, rank)
        return cached

    def _selection(
        self, spec: tuple[tuple[str, str], ...], order: list[int], filters: tuple[Any, ...]
    ) -> list[int]:
        """Ranks (ascending) of the images matching the filters."""
        key = (spec, filters)
        cached = self._selections.get(key)
        if cached is not None:
            return cached
        cols = self._cols
        preds = []
        for name, want in filters:
            if name == "visibility" and want == "all":
                continue
            if name == "tags":
                preds.append(lambda i, w=set(want): w <= set(cols["tags"][i] or ()))
            elif name == "os_hidden":
                preds.append(lambda i, w=want: bool(cols["os_hidden"][i]) == w)
            else:
                preds.append(lambda i, c=cols[name], w=want: c[i] == w)
        if not any(n == "visibility" for n, _ in filters):
            # Glance hides community images unless asked for (or owned).
            vis, owner = cols["visibility"], cols["owner"]
            preds.append(lambda i: vis[i] != "community" or owner[i] == ADMIN_PROJECT_ID)
        selection = [r for r, i in enumerate(order) if all(p(i) for p in preds)]
        if len(self._selections) > 64:
            self._selections.clear()
        self._selections[key] = selection
        return selection


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--page-cap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS))
    ap.add_argument("--print-env", action="store_true", help="also print export OS_* lines")
    args = ap.parse_args(argv)
    cloud = FakeCloud(args.images, args.latency_ms, args.fault, args.page_cap, args.port,
                      args.seed)
    # SIGTERM (the usual way to end it) should still run stop() and release hung handlers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    cloud.start()
    print(cloud.url, flush=True)
    if args.print_env:
        for k, v in cloud.env.items():
            print(f"export {k}={v}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cloud.stop()


if __name__ == "__main__":
    main()
