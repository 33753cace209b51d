"""The Image API's tasks: `GET /v2/tasks` (pages, following `next`), `GET /v2/tasks/{id}`
and an image's own tasks, `GET /v2/images/{id}/tasks` (Image API 2.12). Glance lets only
the admin role read /v2/tasks by default (its `tasks_api_access` policy); an image's tasks
are for anyone who may see the image.

Imports: imgcli.api.http, imgcli.api.images (send, paths, next links), imgcli.api.replies,
imgcli.errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from imgcli.api import http, replies
from imgcli.api.http import json_body
from imgcli.api.images import follow_pages, image_path, send

if TYPE_CHECKING:
    from requests import Response

    from imgcli.connection import Connection


def task_pages(conn: Connection, query: Sequence[tuple[str, str]],
               max_items: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Yield each page of `GET /v2/tasks?query`, following `next` until it is absent or
    max_items tasks have been yielded. Glance writes `next` as the same query plus the last
    task's marker, relative to its root, as it does for images."""
    root = conn.image_root()
    url = root + "tasks" + ("?" + urlencode(list(query)) if query else "")

    def read(response: Response) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        if response.status_code >= 400:
            raise http.failure(response)
        doc = json_body(response)
        return replies.objects_in(doc, "tasks", replies.where(response)), doc

    return follow_pages(conn.adapter, root, url, read, max_items)


def get_task(conn: Connection, task_id: str) -> dict[str, Any]:
    """`GET /v2/tasks/{id}`: the whole task (input, result, message)."""
    return json_body(send(conn, "GET", "tasks/" + quote(task_id, safe="")))


def image_tasks(conn: Connection, image_id: str) -> list[dict[str, Any]]:
    """`GET /v2/images/{id}/tasks`: every task of the image, whole, in one request (404
    for an image the caller may not see)."""
    return replies.objects(send(conn, "GET", image_path(image_id, "tasks")), "tasks")
