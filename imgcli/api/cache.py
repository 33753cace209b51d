"""Glance's image cache API, /v2/cache (Image API 2.14): what is cached and queued, queue
an image, remove one, clear the cache or the queue. Each is one request. Glance's default
policy allows all of them only to the admin role (403 otherwise); a Glance whose cache is
not enabled (no `image_cache_dir`) answers 404 "Caching via API is not supported at this
site" once the policy has let the request through.

Imports: imgcli.api.http, imgcli.api.images (send), imgcli.api.replies, imgcli.errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from imgcli.api import replies
from imgcli.api.http import json_body
from imgcli.api.images import send
from imgcli.errors import ApiError

if TYPE_CHECKING:
    from imgcli.connection import Connection

# openstacksdk's spelling; Glance reads the header case-insensitively.
CLEAR_TARGET = "x-image-cache-clear-target"
CLEAR_TARGETS = ("cache", "queue")


def cache_state(conn: Connection) -> tuple[list[dict[str, Any]], list[str]]:
    """`GET /v2/cache`: (the cached images, each with `image_id`, `hits`, `last_accessed`,
    `last_modified` and `size`; the IDs of the images queued for caching)."""
    response = send(conn, "GET", "cache")
    doc = json_body(response)
    where = replies.where(response)
    cached = replies.objects_in(doc, "cached_images", where)
    queued = doc.get("queued_images")
    if not isinstance(queued, list) or not all(isinstance(item, str) for item in queued):
        raise ApiError(f"{where}: the reply's queued_images is not a list of image IDs")
    return cached, queued


def queue_image(conn: Connection, image_id: str) -> None:
    """`PUT /v2/cache/{id}` → 202: queue an active image for caching (400 for one that is
    not active, 404 for one the caller may not see)."""
    send(conn, "PUT", "cache/" + quote(image_id, safe=""), ok=(200, 202, 204))


def uncache_image(conn: Connection, image_id: str) -> None:
    """`DELETE /v2/cache/{id}` → 204: remove the image from the cache and the queue (a 204
    too for an image in neither)."""
    send(conn, "DELETE", "cache/" + quote(image_id, safe=""), ok=(200, 204))


def clear_cache(conn: Connection, target: str | None = None) -> None:
    """`DELETE /v2/cache` → 204: empty the cache and the queue, or only `target` (`cache`
    or `queue`), named in the x-image-cache-clear-target header."""
    if target is not None and target not in CLEAR_TARGETS:
        raise ValueError(f"target must be one of {CLEAR_TARGETS}, not {target!r}")
    headers = {CLEAR_TARGET: target} if target else {}
    send(conn, "DELETE", "cache", ok=(200, 204), headers=headers)
