"""Name or ID: the one place an image argument becomes an image.

An argument shaped like an ID is only ever an ID: the command's own request is sent with
it, and a 404 is "no image with ID X", never a reason to try it as a name. A name costs one
filtered request, whose reply already holds the full record, and is looked for only among
the images Glance lists by default (the caller's own, public ones and accepted shares), as
openstackclient does. Glance leaves community images and unanswered shares out of that
listing so that another project cannot plant a name in it: a name that finds them would
let another project substitute its image (and its data) for the one meant. The commands
about a share itself (`image set --accept/--reject/--pending`, the member commands) pass
`shares=True` to find pending and rejected shares by name too.

Imports: imgcli.api.images, imgcli.connection, imgcli.errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from imgcli.api import images
from imgcli.errors import ApiError, NotFound

if TYPE_CHECKING:
    from imgcli.connection import Connection

T = TypeVar("T")
UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def looks_like_id(ref: str) -> bool:
    return bool(UUID.match(ref))


def no_id(ref: str) -> NotFound:
    return NotFound(f"no image with ID {ref!r}")


def image_by_name(conn: Connection, ref: str, shares: bool = False) -> dict[str, Any]:
    """The one image named `ref` among those Glance lists by default (with `shares`, also
    the shares not accepted); hidden images are asked for only when no other matches."""
    found = (images.find_images(conn, ref, shares=shares)
             or images.find_images(conn, ref, hidden=True, shares=shares))
    if not found:
        raise NotFound(f"no image named or with ID {ref!r}")
    if len(found) > 1:
        ids = ", ".join(sorted(str(image.get("id")) for image in found))
        raise ApiError(f"{len(found)} images are named {ref!r} ({ids}): give the ID instead")
    return found[0]


def image_record(conn: Connection, ref: str, shares: bool = False) -> dict[str, Any]:
    """The image's record, in one request whether `ref` is an ID or a name."""
    if not looks_like_id(ref):
        return image_by_name(conn, ref, shares)
    try:
        return images.get_image(conn, ref)
    except NotFound as exc:
        raise no_id(ref) from exc


def on_image(conn: Connection, ref: str, call: Callable[[str], T], shares: bool = False,
             own_404: bool = False) -> T:
    """`call(image_id)` for the image `ref` names: with an ID, the call is the only request.

    A 404 from the call on an ID is the image's, unless `own_404` says the call's resource
    may be missing on its own (a member): then one GET, on failure only, tells which."""
    if not looks_like_id(ref):
        return call(str(image_by_name(conn, ref, shares)["id"]))
    try:
        return call(ref)
    except NotFound as by_id:
        if not own_404:
            raise no_id(ref) from by_id
        try:
            images.get_image(conn, ref)
        except NotFound:
            raise no_id(ref) from by_id
        raise by_id
