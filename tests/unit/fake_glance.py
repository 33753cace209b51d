"""A small model of Glance's single-image API over the seed cloud's requests-mock, for the
show/create/set/unset/delete tests: the requests a command sends change the model, and the
model answers as the real Glance does (statuses and messages checked on devcloud)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import IMAGE_URL

ROOT = IMAGE_URL + "/v2/"
OWN_PROJECT = "a5362cbd04fd4783a038d5a342d58e87"  # the seed token's project
READ_ONLY = ("id", "status", "checksum", "os_hash_algo", "os_hash_value", "size",
             "virtual_size", "created_at", "updated_at", "direct_url", "self", "file",
             "stores", "schema")
CORE = ("name", "visibility", "protected", "os_hidden", "owner", "container_format",
        "disk_format", "tags", "min_ram", "min_disk", "locations") + READ_ONLY
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


def page(status: int, text: str) -> str:
    """Glance's webob error page (the command must show only the message)."""
    return (f"<html>\n <head>\n  <title>{status}</title>\n </head>\n <body>\n"
            f"  <h1>{status}</h1>\n  {text}<br /><br />\n\n\n\n </body>\n</html>")


def refuse(context: Any, status: int, text: str) -> str:
    """Glance's error page with its status, set once."""
    context.status_code = status
    return page(status, text)


def new_record(body: dict[str, Any], image_id: str | None = None) -> dict[str, Any]:
    image_id = image_id or str(uuid.uuid4())
    record = {"name": None, "disk_format": None, "container_format": None,
              "visibility": "shared", "size": None, "virtual_size": None, "status": "queued",
              "checksum": None, "protected": False, "min_ram": 0, "min_disk": 0,
              "owner": OWN_PROJECT, "os_hidden": False, "os_hash_algo": None,
              "os_hash_value": None, "id": image_id, "created_at": "2024-01-01T00:00:00Z",
              "updated_at": "2024-01-01T00:00:00Z", "tags": []}
    extra = {k: v for k, v in body.items() if k not in record}
    record.update({k: v for k, v in body.items() if k in record})
    record["tags"] = list(dict.fromkeys(record["tags"]))
    record.update({"self": f"/v2/images/{image_id}", "file": f"/v2/images/{image_id}/file",
                   "schema": "/v2/schemas/image"})
    return {**extra, **record}


@dataclass
class FakeGlance:
    mock: Any
    images: list[dict[str, Any]]
    members: dict[tuple[str, str], str] = field(default_factory=dict)

    def by_id(self, image_id: str) -> dict[str, Any] | None:
        return next((image for image in self.images if image["id"] == image_id), None)

    def add(self, **body: Any) -> dict[str, Any]:
        image = new_record(body, body.pop("id", None))
        self.images.append(image)
        return image

    @property
    def sent(self) -> list[str]:
        """`METHOD path?query` of each request to Glance after discovery."""
        return [f"{r.method} {r.path_url.removeprefix('/image')}"
                for r in self.mock.request_history
                if r.url.startswith(ROOT)]

    def bodies(self, method: str) -> list[Any]:
        return [json.loads(r.body) for r in self.mock.request_history
                if r.method == method and r.url.startswith(ROOT)]

    # -------------------------------------------------------------- the handlers

    def _image(self, request: Any, context: Any) -> dict[str, Any] | None:
        image = self.by_id(request.path.split("/")[4])
        if image is None:
            context.status_code = 404
            context.headers["Content-Type"] = "text/html"
        return image

    def get(self, request: Any, context: Any) -> Any:
        image = self._image(request, context)
        return page(404, "No image found") if image is None else json.dumps(image)

    def delete(self, request: Any, context: Any) -> str:
        image = self._image(request, context)
        if image is None:
            return page(404, f"Failed to find image {request.path.split('/')[4]} to delete")
        if image["protected"]:
            return refuse(context, 403, f"Image {image['id']} is protected and cannot be deleted.")
        self.images.remove(image)
        context.status_code = 204
        return ""

    def patch(self, request: Any, context: Any) -> str:
        image = self._image(request, context)
        if image is None:
            return page(404, "No image found")
        if request.headers.get("Content-Type") != PATCH_TYPE:
            return refuse(context, 415, "The request media type is not supported by this server.")
        changed = dict(image)
        for op in json.loads(request.body):
            key = op["path"].lstrip("/").replace("~1", "/").replace("~0", "~")
            if key in READ_ONLY or key.startswith("os_glance_"):
                what = "read-only" if key in READ_ONLY else "reserved"
                return refuse(context, 403, f"Attribute &#x27;{key}&#x27; is {what}.")
            if key in ("min_ram", "min_disk") and op.get("value", 0) < 0:
                return refuse(context, 400, f"Invalid value &#x27;{op['value']}&#x27; for "
                                            f"parameter &#x27;{key}&#x27;: Cannot be a "
                                            "negative value")
            if op["op"] in ("replace", "remove") and key not in changed:
                return refuse(context, 409, f"Property {key} does not exist.")
            if op["op"] == "remove":
                del changed[key]
            else:
                changed[key] = op["value"]
        image.clear()
        image.update(changed)
        return json.dumps(image)

    def create(self, request: Any, context: Any) -> str:
        body = json.loads(request.body)
        if any(key.startswith("os_glance_") for key in body):
            return refuse(context, 403, "Attribute &#x27;os_glance_x&#x27; is reserved.")
        context.status_code = 201
        image = self.add(**body)
        return json.dumps(image)

    def action(self, request: Any, context: Any) -> str:
        image = self._image(request, context)
        if image is None:
            return page(404, "No image found")
        verb = request.path.rsplit("/", 1)[1]
        if image["status"] not in ("active", "deactivated"):
            return refuse(context, 403, f"Not allowed to {verb} image in status "
                                        f"&#x27;{image['status']}&#x27;")
        image["status"] = "deactivated" if verb == "deactivate" else "active"
        context.status_code = 204
        return ""

    def member(self, request: Any, context: Any) -> str:
        image = self._image(request, context)
        if image is None:
            return page(404, "No image found")
        member_id = request.path.rsplit("/", 1)[1]
        if image["visibility"] != "shared":
            return refuse(context, 403, f"Not allowed to update members for image {image['id']}.")
        if (image["id"], member_id) not in self.members:
            return refuse(context, 404, f"{member_id} not found in the member list of the image "
                                        f"{image['id']}.")
        status = json.loads(request.body)["status"]
        self.members[(image["id"], member_id)] = status
        return json.dumps({"image_id": image["id"], "member_id": member_id, "status": status})


def install(mock: Any, images: list[dict[str, Any]]) -> FakeGlance:
    glance = FakeGlance(mock, images)
    one = re.compile(re.escape(ROOT) + r"images/[^/?]+$")
    mock.get(one, text=glance.get, headers={"Content-Type": "application/json"})
    mock.patch(one, text=glance.patch, headers={"Content-Type": "application/json"})
    mock.delete(one, text=glance.delete)
    mock.post(ROOT + "images", text=glance.create, headers={"Content-Type": "application/json"})
    mock.post(re.compile(re.escape(ROOT) + r"images/[^/]+/actions/(de|re)activate$"),
              text=glance.action)
    mock.put(re.compile(re.escape(ROOT) + r"images/[^/]+/members/[^/]+$"), text=glance.member,
             headers={"Content-Type": "application/json"})
    return glance
