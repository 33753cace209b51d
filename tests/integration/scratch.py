"""Scratch images for the integration tests: made through Glance's API (or adopted from a
command that made them), hidden so that the exact listings other tests compare never see
them, and deleted when the test ends; with the files published on devcloud's web server for
them (web-download, --url), unpublished at the end too."""

from __future__ import annotations

import sys
import time
import uuid
from typing import Any

import requests

JSON_PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


class ScratchImages:
    def __init__(self, devcloud: Any, prefix: str) -> None:
        self.devcloud = devcloud
        self.prefix = prefix
        self.made: list[str] = []
        self.files: list[str] = []
        self._tokens: dict[str, str] = {}

    def __enter__(self) -> ScratchImages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete_all()

    def api(self, method: str, path: str, user: str = "admin", **kwargs: Any) -> Any:
        if user not in self._tokens:
            self._tokens[user] = self.devcloud.login(user)[0]
        headers = {"X-Auth-Token": self._tokens[user], **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.devcloud.glance_url}/v2/{path}",
                                headers=headers, timeout=60, **kwargs)

    def name(self) -> str:
        return f"{self.prefix}-{uuid.uuid4().hex[:10]}"

    def image(self, data: bytes | None = None, user: str = "admin", stage: bool = False,
              **body: Any) -> dict[str, Any]:
        """A new image owned by `user`'s project; with `data`, uploaded (or staged)."""
        body = {"name": self.name(), "disk_format": "raw", "container_format": "bare",
                "os_hidden": True, **body}
        r = self.api("POST", "images", user, json=body)
        assert r.status_code == 201, r.text
        image_id = r.json()["id"]
        self.made.append(image_id)
        if data is not None:
            put = self.api("PUT", f"images/{image_id}/{'stage' if stage else 'file'}", user,
                           data=data, headers={"Content-Type": "application/octet-stream"})
            assert put.status_code == 204, put.text
        return self.get(image_id)

    def get(self, image_id: str) -> dict[str, Any]:
        r = self.api("GET", f"images/{image_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def exists(self, image_id: str) -> bool:
        return self.api("GET", f"images/{image_id}").status_code == 200

    def adopt(self, image_id: str) -> None:
        """An image a command made: hidden at once, deleted at the end."""
        if image_id not in self.made:
            self.made.append(image_id)
        patch = [{"op": "replace", "path": "/os_hidden", "value": True}]
        r = self.api("PATCH", f"images/{image_id}", json=patch, headers=JSON_PATCH)
        assert r.status_code == 200, r.text

    def by_name(self, name: str) -> list[dict[str, Any]]:
        """Every image of that name the admin sees, hidden ones included."""
        found = []
        for hidden in ("false", "true"):
            r = self.api("GET", "images", params={"name": name, "os_hidden": hidden})
            found += r.json()["images"]
        return found

    def publish(self, data: bytes, suffix: str = ".img") -> str:
        """The URL of `data` on devcloud's web server, removed again at the end."""
        name = f"{self.name()}{suffix}"
        self.files.append(name)
        return sys.modules["devcloud_cloud"].publish(name, data)  # loaded by conftest.py

    def delete_all(self) -> None:
        for name in self.files:
            sys.modules["devcloud_cloud"].unpublish(name)
        unprotect = [{"op": "replace", "path": "/protected", "value": False}]
        left = []
        for image_id in self.made:
            self.api("PATCH", f"images/{image_id}", json=unprotect, headers=JSON_PATCH)
            # Glance refuses (409) to delete an image while an import task still holds it, a
            # moment after an import ends, and devcloud's SQLite can answer 500 ("database is
            # locked") while an import thread writes: try again before giving up, and fail
            # loudly, since a leftover image breaks the exact-listing tests that run later.
            deadline = time.monotonic() + 60
            while ((status := self.api("DELETE", f"images/{image_id}").status_code) == 409
                   or status >= 500) and time.monotonic() < deadline:
                time.sleep(0.5)
            if status not in (204, 404):
                left.append(f"{image_id}: {status}")
        assert not left, f"scratch images not deleted: {left}"
