"""Glance's interoperable import: the request body, and waiting until the import ends.

An import holds a lock on the image, its `os_glance_import_task` property, from the 202
of `POST …/import` until the task is done; the image goes `active` (and the task to
`success`) a moment before the lock is dropped, so an import has ended only when the lock
is gone. It failed when the image went back to `queued` (or `killed`), or a store it was
meant for is listed in `os_glance_failed_import`; Glance's reason is the message of the
import task (`GET /v2/images/{id}/tasks`, Image API 2.12).

Imports: imgcli.api.images, imgcli.api.tasks, imgcli.connection, imgcli.errors,
imgcli.transfer.progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from imgcli.api import images
from imgcli.api.tasks import image_tasks
from imgcli.errors import ApiError, ImgcliError, NotFound
from imgcli.transfer.progress import StatusLine

if TYPE_CHECKING:
    from imgcli.connection import Connection

LOCK = "os_glance_import_task"
FAILED = "os_glance_failed_import"
IMPORTING = "os_glance_importing_to_stores"
FIRST_POLL = 0.25  # seconds: a small import ends soon (docs/performance.md#the-first-import-poll)
BACKOFF = 1.5
LONGEST_POLL = 5.0


class StillImporting(ApiError):
    """--wait gave up at the deadline; the import goes on in Glance (nothing to undo)."""


def import_body(method: str, uri: str | None = None, stores: Sequence[str] = (),
                all_stores: bool = False, allow_failure: bool = True) -> dict[str, Any]:
    """The `POST …/import` body. The store options go only with --store or --all-stores:
    openstackclient always sends all_stores_must_succeed, which a cloud without multiple
    stores refuses (400 "All_stores_must_succeed can only be set with enabled_backends")."""
    body: dict[str, Any] = {"method": {"name": method}}
    if uri:
        body["method"]["uri"] = uri
    if stores or all_stores:
        body["all_stores"] = all_stores
        body["all_stores_must_succeed"] = not allow_failure
    if stores:
        body["stores"] = list(stores)
    return body


def store_list(image: Mapping[str, Any], key: str) -> set[str]:
    return {store for store in str(image.get(key) or "").split(",") if store}


def outcome(image: Mapping[str, Any], targets: Sequence[str] = (),
            copy: bool = False) -> tuple[str, set[str]]:
    """("running" | "done" | "failed", the stores that failed) for one poll's record."""
    status = image.get("status")
    if image.get(LOCK):
        return "running", set()
    failed = store_list(image, FAILED)
    if targets:
        failed &= set(targets)
        if copy and status == "active":
            failed |= set(targets) - store_list(image, "stores")
    if status in ("queued", "killed", "deleted", "pending_delete"):
        return "failed", failed
    if status == "active":
        return ("failed", failed) if failed else ("done", set())
    return "running", set()  # uploading/importing without the lock: not settled yet


def wait_for_import(conn: Connection, image_id: str, timeout: float,
                    targets: Sequence[str] = (), copy: bool = False,
                    status: StatusLine | None = None,
                    clock: Callable[[], float] | None = None,
                    sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Poll the image with backoff until its import ends; the final record.

    Raises ApiError with Glance's reason when it failed, StillImporting past `timeout`
    seconds (the import goes on). `targets`: the stores asked for (--store); with `copy`
    (copy-image) each must also appear in the image's `stores`."""
    clock = clock or time.monotonic  # looked up now, so that tests can patch the module
    sleep = sleep or time.sleep
    started = clock()
    delay = FIRST_POLL
    task_id: str | None = None
    try:
        while True:
            try:
                image = images.get_image(conn, image_id)
            except NotFound:
                raise ApiError(f"image {image_id} was deleted while it was importing") \
                    from None
            task_id = image.get(LOCK) or task_id
            state, failed = outcome(image, targets, copy)
            if state == "done":
                return image
            if state == "failed":
                raise ApiError(import_failure(conn, image, task_id, failed))
            waited = clock() - started
            if waited >= timeout:
                raise StillImporting(
                    f"image {image_id} is still importing after {waited:.0f} s (status "
                    f"{image.get('status')}); the import goes on in Glance: check it with "
                    f"`imgcli image show {image_id}`, or wait longer with --timeout SECONDS")
            if status is not None:
                where = store_list(image, IMPORTING)
                to = f" to {', '.join(sorted(where))}" if where else ""
                status.show(f"importing image {image_id}{to}: {image.get('status')} "
                            f"({waited:.0f} s)")
            sleep(min(delay, timeout - waited))  # the last poll is at the deadline
            delay = min(delay * BACKOFF, LONGEST_POLL)
    finally:
        if status is not None:
            status.finish()


def import_failure(conn: Connection, image: Mapping[str, Any], task_id: str | None,
            failed: set[str]) -> str:
    """One line: which stores failed, the image's status, and the task's message."""
    where = f" to {', '.join(sorted(failed))}" if failed else ""
    state = f"status {image.get('status')}"
    kept = store_list(image, "stores")
    if image.get("status") == "active" and kept:
        state += f", its data is in {', '.join(sorted(kept))}"
    message = task_message(conn, str(image.get("id")), task_id)
    reason = f": {message}" if message else " (Glance gives no reason)"
    return f"the import of image {image.get('id')}{where} failed ({state}){reason}"


def task_message(conn: Connection, image_id: str, task_id: str | None) -> str | None:
    """The import task's message: the one that held the lock, else the newest."""
    try:
        tasks = image_tasks(conn, image_id)
    except ImgcliError:
        return None  # an older Glance (API < 2.12), or not allowed: the status must do
    mine = [t for t in tasks if isinstance(t, dict) and t.get("id") == task_id]
    if not mine:
        mine = sorted((t for t in tasks if isinstance(t, dict)),
                      key=lambda t: str(t.get("created_at")))[-1:]
    message = mine[0].get("message") if mine else None
    return " ".join(str(message).split()) if message else None
