"""Name or ID: the one place an image argument becomes an image.

An argument shaped like an ID costs no look-up: the command's own request is sent with it,
and only a 404 makes us try it as a name (an image may be *named* like a UUID). A name
costs one filtered request, whose reply already holds the full record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from imgcli import images
from imgcli.errors import ApiError, NotFound

if TYPE_CHECKING:
    from imgcli.session import Connection

T = TypeVar("T")
UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def looks_like_id(ref: str) -> bool:
    return bool(UUID.match(ref))


def image_by_name(conn: Connection, ref: str) -> dict[str, Any]:
    """The one image named `ref`; hidden images are asked for only when no other matches."""
    found = images.find_images(conn, ref) or images.find_images(conn, ref, hidden=True)
    if not found:
        raise NotFound(f"no image named or with ID {ref!r}")
    if len(found) > 1:
        ids = ", ".join(sorted(str(image.get("id")) for image in found))
        raise ApiError(f"{len(found)} images are named {ref!r} ({ids}): give the ID instead")
    return found[0]


def image_record(conn: Connection, ref: str) -> dict[str, Any]:
    """The image's record, in one request whether `ref` is an ID or a name."""
    if looks_like_id(ref):
        try:
            return images.get_image(conn, ref)
        except NotFound:
            pass
    return image_by_name(conn, ref)


def on_image(conn: Connection, ref: str, call: Callable[[str], T]) -> T:
    """`call(image_id)` for the image `ref` names: with an ID, the call is the only request.

    A 404 from the call, when `ref` looked like an ID, may mean `ref` is a name; when no
    image has that name, one more GET tells whether the 404 was the call's own (a member
    that does not exist) or the image's. Both extra requests happen only on failure."""
    if not looks_like_id(ref):
        return call(str(image_by_name(conn, ref)["id"]))
    try:
        return call(ref)
    except NotFound as by_id:
        try:
            image_id = str(image_by_name(conn, ref)["id"])
        except NotFound:
            try:
                images.get_image(conn, ref)
            except NotFound:
                raise NotFound(f"no image named or with ID {ref!r}") from by_id
            raise by_id from None
    return call(image_id)
