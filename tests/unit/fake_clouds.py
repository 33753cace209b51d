"""Several clouds over one requests-mock, for image copy, image sync and the many-cloud list
and show: each cloud its own Keystone (token and catalog) and a Glance per region (images,
data, import, info/import), on hosts of its own, all named in a clouds.yaml.

Each Glance answers as the one-cloud models (tests/unit/fake_glance.py,
fake_image_data.py) do, which were checked against devcloud; knobs make one misbehave:
a flipped or cut body, a PUT answered with an error or broken off, a token refused.
glance-download fetches from the Glance of the named region of the same cloud.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.conftest import expires_in, glance_page

PROJECT = "5e4bfc9c3cd04f1f8c5b4f7b2b6f8a10"
ROLES = [{"id": "r1", "name": "admin"}]


def page(status: int, text: str) -> str:
    return f"<html><head><title>{status}</title></head><body><h1>{status}</h1>{text}</body></html>"


def hashes(data: bytes) -> dict[str, Any]:
    return {"size": len(data), "virtual_size": len(data),
            "checksum": hashlib.md5(data).hexdigest(), "os_hash_algo": "sha512",
            "os_hash_value": hashlib.sha512(data).hexdigest()}


def body_bytes(body: Any, limit: int | None = None) -> bytes:
    """What the client sent (requests-mock hands over the stream unsent: read it here)."""
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    got = b""
    for block in body:
        got += bytes(block)
        if limit is not None and len(got) >= limit:
            break
    return got


@dataclass
class Glance:
    cloud: Cloud
    region: str
    url: str  # the catalog's endpoint, e.g. http://one-glance/image
    images: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, bytes] = field(default_factory=dict)
    tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    methods: list[str] = field(default_factory=lambda: ["glance-direct", "web-download",
                                                        "copy-image", "glance-download"])
    # knobs
    flip_byte: int | None = None  # GET …/file sends this byte changed
    cut_after: int | None = None  # GET …/file sends only this many bytes
    put_status: int | None = None  # PUT …/file read whole, then answered with this status
    put_message: str = "Internal Server Error"
    break_put_after: int | None = None  # PUT …/file: the connection breaks after N bytes
    create_refusal: tuple[int, str] | None = None  # POST /v2/images answered so
    refuse_token: bool = False  # every request: 401
    delete_fails: bool = False

    @property
    def root(self) -> str:
        return self.url + "/v2/"

    @property
    def sent(self) -> list[str]:
        """`METHOD /v2/...` of each request this Glance got (after version discovery)."""
        prefix = self.url.removesuffix("/image").rstrip("/")
        return [f"{r.method} {r.url.removeprefix(prefix).removeprefix('/image')}"
                for r in self.cloud.mock.request_history if r.url.startswith(self.root)]

    def add(self, data: bytes | None = None, **body: Any) -> dict[str, Any]:
        image_id = body.pop("id", None) or str(uuid.uuid4())
        record: dict[str, Any] = {
            "name": "x", "disk_format": "raw", "container_format": "bare",
            "visibility": "shared", "size": None, "virtual_size": None, "status": "queued",
            "checksum": None, "protected": False, "min_ram": 0, "min_disk": 0,
            "owner": self.cloud.project, "os_hidden": False, "os_hash_algo": None,
            "os_hash_value": None, "id": image_id, "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z", "tags": [],
            "self": f"/v2/images/{image_id}", "file": f"/v2/images/{image_id}/file",
            "schema": "/v2/schemas/image"}
        record.update(body)
        if data is not None:
            self.data[image_id] = data
            record.update(status="active", stores="fs", **hashes(data))
        self.images.append(record)
        return record

    def by_id(self, image_id: str) -> dict[str, Any] | None:
        return next((image for image in self.images if image["id"] == image_id), None)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [image for image in self.images if image.get("name") == name]

    # -------------------------------------------------------------- handlers

    def refused(self, context: Any) -> str | None:
        if self.refuse_token:
            context.status_code = 401
            return page(401, "This server could not verify that you are authorized")
        return None

    def image(self, request: Any, context: Any) -> dict[str, Any] | None:
        image = self.by_id(request.path.split("/")[4])
        if image is None:
            context.status_code = 404
        return image

    def list(self, request: Any, context: Any) -> str:
        return self.refused(context) or json.dumps(glance_page(self.images, request.url))

    def get(self, request: Any, context: Any) -> str:
        if self.refused(context):
            return page(401, "refused")
        image = self.image(request, context)
        if image is None:
            return page(404, "No image found")
        for change in self.pending.get(image["id"], [])[:1]:
            self.pending[image["id"]].pop(0)
            for key, value in change.items():
                if value is None:
                    image.pop(key, None)
                else:
                    image[key] = value
        return json.dumps(image)

    def create(self, request: Any, context: Any) -> str:
        if self.refused(context):
            return page(401, "refused")
        if self.create_refusal is not None:
            context.status_code = self.create_refusal[0]
            return page(*self.create_refusal)
        body = json.loads(request.body)
        for key in ("status", "size", "checksum", "os_hash_value", "owner", "locations"):
            if key in body and key != "owner":
                context.status_code = 403
                return page(403, f"Attribute &#x27;{key}&#x27; is read-only.")
        if any(key.startswith("os_glance_") for key in body):
            context.status_code = 403
            return page(403, "Attribute &#x27;os_glance_x&#x27; is reserved.")
        context.status_code = 201
        return json.dumps(self.add(**body))

    def delete(self, request: Any, context: Any) -> str:
        image = self.image(request, context)
        if image is None:
            return page(404, "No image found")
        if self.delete_fails:
            context.status_code = 500
            return page(500, "Internal Server Error")
        self.images.remove(image)
        self.data.pop(image["id"], None)
        context.status_code = 204
        return ""

    def put_file(self, request: Any, context: Any) -> str:
        if self.refused(context):
            return page(401, "refused")
        image = self.image(request, context)
        if image is None:
            return page(404, "No image found")
        if self.break_put_after is not None:
            body_bytes(request.body, self.break_put_after)
            raise requests.exceptions.ConnectionError("Connection reset by peer")
        data = body_bytes(request.body)
        if self.put_status is not None:
            context.status_code = self.put_status
            return page(self.put_status, self.put_message)
        self.data[image["id"]] = data
        image.update(status="active", stores="fs", **hashes(data))
        context.status_code = 204
        return ""

    def get_file(self, request: Any, context: Any) -> Any:
        if self.refused(context):
            return io.BytesIO(page(401, "refused").encode())
        image = self.image(request, context)
        if image is None:
            return io.BytesIO(page(404, "No image found").encode())
        data = self.data.get(image["id"])
        if data is None:
            context.status_code = 204
            return io.BytesIO(b"")
        if self.flip_byte is not None:
            data = data[:self.flip_byte] + bytes([data[self.flip_byte] ^ 1]) \
                + data[self.flip_byte + 1:]
        context.headers["Content-Type"] = "application/octet-stream"
        context.headers["Content-Length"] = str(len(data))
        return io.BytesIO(data if self.cut_after is None else data[:self.cut_after])

    def import_info(self, request: Any, context: Any) -> str:
        return self.refused(context) or json.dumps({"import-methods": {
            "description": "Import methods available.", "type": "array",
            "value": self.methods}})

    def start_import(self, request: Any, context: Any) -> str:
        image = self.image(request, context)
        if image is None:
            return page(404, "No image found")
        method = json.loads(request.body)["method"]
        if method["name"] not in self.methods:
            context.status_code = 400
            return page(400, f"Unknown import method name &#x27;{method['name']}&#x27;.")
        if image["status"] != "queued":
            context.status_code = 409
            return page(409, "Image needs to be in &#x27;queued&#x27; state")
        remote = self.cloud.glance(method.get("glance_region", ""))
        found = remote.by_id(method.get("glance_image_id", "")) if remote else None
        data = remote.data.get(found["id"]) if remote and found else None
        task = {"id": str(uuid.uuid4()), "type": "api_image_import",
                "status": "success" if data is not None else "failure",
                "created_at": "2026-01-01T00:00:00",
                "message": "" if data is not None else "Image not found"}
        self.tasks.setdefault(image["id"], []).append(task)
        image["os_glance_import_task"] = task["id"]
        running = {"status": "importing"}
        if data is None:
            self.pending[image["id"]] = [running, {"status": "queued",
                                                   "os_glance_import_task": None}]
        else:
            self.data[image["id"]] = data
            self.pending[image["id"]] = [running, {"status": "active", **hashes(data)},
                                         {"os_glance_import_task": None}]
        context.status_code = 202
        return ""

    def list_tasks(self, request: Any, context: Any) -> str:
        return json.dumps({"tasks": self.tasks.get(request.path.split("/")[4], [])})

    def install(self, mock: Any) -> None:
        root = re.escape(self.root)
        one = re.compile(root + r"images/[^/?]+$")
        json_type = {"Content-Type": "application/json"}
        mock.get(self.url, status_code=300, json={"versions": [
            {"id": "v2.16", "status": "CURRENT", "links": [
                {"rel": "self", "href": self.root}]}]})
        mock.get(re.compile(root + r"images(\?.*)?$"), text=self.list, headers=json_type)
        mock.post(self.root + "images", text=self.create, headers=json_type)
        mock.get(one, text=self.get, headers=json_type)
        mock.delete(one, text=self.delete)
        mock.put(re.compile(root + r"images/[^/]+/file$"), text=self.put_file)
        mock.get(re.compile(root + r"images/[^/]+/file$"), body=self.get_file)
        mock.post(re.compile(root + r"images/[^/]+/import$"), text=self.start_import)
        mock.get(re.compile(root + r"images/[^/]+/tasks$"), text=self.list_tasks,
                 headers=json_type)
        mock.get(self.root + "info/import", text=self.import_info, headers=json_type)


@dataclass
class Cloud:
    mock: Any
    name: str
    password: str
    project: str = PROJECT
    glances: list[Glance] = field(default_factory=list)
    refuse_password: bool = False

    @property
    def auth_url(self) -> str:
        return f"http://{self.name}-keystone/identity"

    def glance(self, region: str) -> Glance | None:
        return next((g for g in self.glances if g.region.lower() == region.lower()), None)

    def token(self, request: Any, context: Any) -> Any:
        sent = json.loads(request.body)["auth"]["identity"]["password"]["user"]["password"]
        if self.refuse_password or sent != self.password:
            context.status_code = 401
            return {"error": {"code": 401, "title": "Unauthorized",
                              "message": "The request you have made requires authentication."}}
        context.status_code = 201
        context.headers["X-Subject-Token"] = f"token-of-{self.name}-{uuid.uuid4().hex}"
        endpoints = [{"id": f"{g.region}-{interface}", "interface": interface,
                      "region": g.region, "region_id": g.region, "url": g.url}
                     for g in self.glances for interface in ("public", "internal")]
        return {"token": {
            "methods": ["password"], "expires_at": expires_in(3600),
            "issued_at": "2024-01-01T00:00:00Z",
            "user": {"id": "u1", "name": "admin", "domain": {"id": "default",
                                                             "name": "Default"}},
            "project": {"id": self.project, "name": "admin",
                        "domain": {"id": "default", "name": "Default"}},
            "roles": ROLES,
            "catalog": [
                {"type": "identity", "name": "keystone", "id": "k", "endpoints": [
                    {"id": "k1", "interface": "public", "region": self.glances[0].region,
                     "region_id": self.glances[0].region, "url": self.auth_url}]},
                {"type": "image", "name": "glance", "id": "g", "endpoints": endpoints}]}}

    def install(self) -> None:
        self.mock.get(self.auth_url, status_code=300, json={"versions": {"values": [
            {"id": "v3.14", "status": "stable", "links": [
                {"rel": "self", "href": self.auth_url + "/v3/"}]}]}})
        self.mock.post(self.auth_url + "/v3/auth/tokens", json=self.token)
        for glance in self.glances:
            glance.install(self.mock)

    def entry(self) -> dict[str, Any]:
        return {"auth": {"auth_url": self.auth_url, "username": "admin",
                         "password": self.password, "project_name": "admin",
                         "user_domain_name": "Default", "project_domain_name": "Default"},
                "regions": [g.region for g in self.glances], "identity_api_version": 3}


class Clouds:
    """`one` (regions RegionOne and RegionTwo, one Keystone) and `two` (RegionOne), plus
    whatever `add` makes; `env` points imgcli at their clouds.yaml."""

    def __init__(self, mock: Any, folder: Path) -> None:
        self.mock, self.folder = mock, folder
        self.clouds: dict[str, Cloud] = {}
        self.extra: dict[str, dict[str, Any]] = {}  # entries of their own, or added keys
        self.add("one", ("RegionOne", "RegionTwo"))
        self.add("two", ("RegionOne",))

    def add(self, name: str, regions: tuple[str, ...], **entry: Any) -> Cloud:
        cloud = Cloud(self.mock, name, f"pw-{name}-Zq7")
        for number, region in enumerate(regions):
            suffix = "" if number == 0 else f"-{number + 1}"
            cloud.glances.append(Glance(cloud, region, f"http://{name}-glance{suffix}/image"))
        cloud.install()
        self.clouds[name] = cloud
        self.extra[name] = entry
        self.write()
        return cloud

    def write(self) -> None:
        doc = {name: {**(self.clouds[name].entry() if name in self.clouds else {}), **entry}
               for name, entry in self.extra.items()}
        (self.folder / "clouds.yaml").write_text(json.dumps({"clouds": doc}))

    def entry(self, name: str, entry: dict[str, Any]) -> None:
        """A clouds.yaml entry of its own, with no model behind it (e.g. a closed port)."""
        self.extra[name] = entry
        self.write()

    @property
    def env(self) -> dict[str, str]:
        return {"OS_CLIENT_CONFIG_FILE": str(self.folder / "clouds.yaml")}

    def glance(self, name: str, region: str = "RegionOne") -> Glance:
        found = self.clouds[name].glance(region)
        assert found is not None
        return found

    @property
    def passwords(self) -> list[str]:
        return [cloud.password for cloud in self.clouds.values()]
