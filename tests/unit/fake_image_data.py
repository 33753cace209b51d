"""Glance's image-data and import API over requests-mock, on top of tests/unit/fake_glance.py:
PUT …/file and …/stage, GET …/file (Range aware), POST …/import with its lock, the import
tasks and /v2/info/import. Each handler answers as devcloud's Glance did (statuses and
messages checked there); knobs on the model make it misbehave."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.unit.fake_glance import ROOT, FakeGlance, install, page

METHODS = ["glance-direct", "web-download", "copy-image"]
STORES = ["fs", "fs2"]


def body_bytes(body: Any) -> bytes:
    """What the client sent: requests-mock hands over the body object unsent, so a stream
    (imgcli's upload body) is read here, as the server would read it."""
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return b"".join(bytes(block) for block in body)


def hashes(data: bytes) -> dict[str, Any]:
    return {"size": len(data), "virtual_size": len(data),
            "checksum": hashlib.md5(data).hexdigest(), "os_hash_algo": "sha512",
            "os_hash_value": hashlib.sha512(data).hexdigest()}


@dataclass
class DataGlance:
    glance: FakeGlance
    data: dict[str, bytes] = field(default_factory=dict)
    staged: dict[str, bytes] = field(default_factory=dict)
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    published: dict[str, bytes] = field(default_factory=dict)  # web-download's URLs
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per GET
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    # knobs
    put_status: int | None = None  # answer the PUT with this status (after reading it)
    put_message: str = "Internal Server Error"
    wrong_hash: bool = False  # store a hash of other bytes
    flip_byte: int | None = None  # GET …/file sends this byte changed
    cut_after: int | None = None  # GET …/file sends only this many bytes of its body
    fail_import: str | None = None  # the import task fails with this message
    keep_importing: bool = False  # the import never ends

    @property
    def mock(self) -> Any:
        return self.glance.mock

    @property
    def sent(self) -> list[str]:
        return self.glance.sent

    def bodies(self, method: str) -> list[Any]:
        return self.glance.bodies(method)

    def add(self, data: bytes | None = None, **body: Any) -> dict[str, Any]:
        image = self.glance.add(**{"name": "x", "disk_format": "raw",
                                   "container_format": "bare", **body})
        if data is not None:
            self.data[image["id"]] = data
            image.update(status="active", stores="fs", **hashes(data))
        return image

    def image(self, request: Any) -> dict[str, Any] | None:
        return self.glance.by_id(request.path.split("/")[4])

    # -------------------------------------------------------------- handlers

    def get(self, request: Any, context: Any) -> Any:
        image = self.image(request)
        if image is not None and self.pending.get(image["id"]):
            change = self.pending[image["id"]].pop(0)
            for key, value in change.items():
                if value is None:
                    image.pop(key, None)
                else:
                    image[key] = value
        return self.glance.get(request, context)

    def put_file(self, request: Any, context: Any) -> str:
        image = self.image(request)
        if image is None:
            context.status_code = 404
            return page(404, "No image found")
        stage = request.path.endswith("/stage")
        if image["status"] != "queued":
            context.status_code = 409
            return page(409, f"Image status transition from {image['status']} to saving is "
                             "not allowed")
        data = body_bytes(request.body)
        if self.put_status is not None:
            context.status_code = self.put_status
            return page(self.put_status, self.put_message)
        context.status_code = 204
        if stage:
            self.staged[image["id"]] = data
            image.update(status="uploading", size=len(data))
            return ""
        self.data[image["id"]] = data
        image.update(status="active", stores="fs",
                     **hashes(bytes([data[0] ^ 1]) + data[1:] if self.wrong_hash else data))
        return ""

    def get_file(self, request: Any, context: Any) -> Any:
        image = self.image(request)
        if image is None:
            context.status_code = 404
            return io.BytesIO(page(404, "No image found").encode())
        data = self.data.get(image["id"])
        if data is None:
            context.status_code = 204
            return io.BytesIO(b"")
        if self.flip_byte is not None:
            data = data[:self.flip_byte] + bytes([data[self.flip_byte] ^ 1]) \
                + data[self.flip_byte + 1:]
        start, wanted = 0, request.headers.get("Range", "")
        if wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[6:-1])
            context.status_code = 206
            context.headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        context.headers["Content-Type"] = "application/octet-stream"
        context.headers["Content-Length"] = str(len(body))
        if self.cut_after is not None:
            body = body[:self.cut_after]
        return io.BytesIO(body)

    def start_import(self, request: Any, context: Any) -> str:
        image = self.image(request)
        if image is None:
            context.status_code = 404
            return page(404, "No image found")
        body = json.loads(request.body)
        method = body["method"]["name"]
        if method not in self.methods:
            context.status_code = 400
            return page(400, f"Unknown import method name &#x27;{method}&#x27;.")
        refusal = self.refusal(image, method, body)
        if refusal:
            context.status_code, text = refusal
            return page(context.status_code, text)
        task_id = str(uuid.uuid4())
        image["os_glance_import_task"] = task_id
        targets = body.get("stores") or (STORES if body.get("all_stores") else ["fs"])
        if method == "web-download":
            data = self.published.get(body["method"]["uri"])
        elif method == "glance-direct":
            data = self.staged.pop(image["id"])
        else:
            data = self.data[image["id"]]
        ok = data is not None and self.fail_import is None
        self.tasks.setdefault(image["id"], []).append({
            "id": task_id, "type": "api_image_import", "status": "success" if ok else "failure",
            "created_at": f"2026-01-01T00:00:{len(self.tasks.get(image['id'], [])):02}",
            "message": "Copied 3 MiB" if ok else self.fail_import or "Task failed due to "
                                                                    "Internal Error"})
        self.pending[image["id"]] = self.steps(image, method, targets, data, ok)
        context.status_code = 202
        return ""

    def refusal(self, image: dict[str, Any], method: str,
                body: dict[str, Any]) -> tuple[int, str] | None:
        if image.get("os_glance_import_task"):
            return 409, "Image has active task"
        if method == "glance-direct" and image["status"] != "uploading":
            return 409, ("Image needs to be staged before &#x27;glance-direct&#x27; method "
                         "can be used")
        if method == "web-download" and image["status"] != "queued":
            return 409, ("Image needs to be in &#x27;queued&#x27; state to use "
                         "&#x27;web-download&#x27; method")
        if method == "web-download" and not body["method"]["uri"].startswith("http://files/"):
            return 400, f"URI for web-download does not pass filtering: {body['method']['uri']}"
        if method == "copy-image" and image["status"] != "active":
            return 409, "Only images with status active can be targeted for copying"
        return None

    def steps(self, image: dict[str, Any], method: str, targets: list[str],
              data: bytes | None, ok: bool) -> list[dict[str, Any]]:
        """What the next GETs see: importing under the lock, active a moment before the
        lock is dropped (as devcloud's Glance), or back to queued with the failed store."""
        copy = method == "copy-image"
        running = {} if copy else {"status": "importing"}
        running["os_glance_importing_to_stores"] = ",".join(targets)
        if self.keep_importing:
            return [running] * 1000
        if not ok:
            end = {"os_glance_import_task": None, "os_glance_importing_to_stores": "",
                   "os_glance_failed_import": ",".join(targets)}
            return [running, end if copy else {**end, "status": "queued"}]
        assert data is not None
        stores = sorted(set(str(image.get("stores") or "").split(",") + targets) - {""})
        self.data[image["id"]] = data
        done = {"status": "active", "stores": ",".join(stores), **hashes(data),
                "os_glance_importing_to_stores": "", "os_glance_failed_import": ""}
        return [running, done, {"os_glance_import_task": None}]

    def list_tasks(self, request: Any, context: Any) -> str:
        return json.dumps({"tasks": self.tasks.get(request.path.split("/")[4], [])})

    def import_info(self, request: Any, context: Any) -> str:
        return json.dumps({"import-methods": {"description": "Import methods available.",
                                              "type": "array", "value": self.methods}})


def install_data(mock: Any, images: list[dict[str, Any]]) -> DataGlance:
    model = DataGlance(install(mock, images))
    one = re.compile(re.escape(ROOT) + r"images/[^/?]+$")
    mock.get(one, text=model.get, headers={"Content-Type": "application/json"})
    data = re.compile(re.escape(ROOT) + r"images/[^/]+/(file|stage)$")
    mock.put(data, text=model.put_file)
    mock.get(re.compile(re.escape(ROOT) + r"images/[^/]+/file(\?.*)?$"), body=model.get_file)
    mock.post(re.compile(re.escape(ROOT) + r"images/[^/]+/import$"), text=model.start_import)
    mock.get(re.compile(re.escape(ROOT) + r"images/[^/]+/tasks$"), text=model.list_tasks,
             headers={"Content-Type": "application/json"})
    mock.get(ROOT + "info/import", text=model.import_info,
             headers={"Content-Type": "application/json"})
    return model
