"""The Image API's discovery documents under /v2/info: the stores of a multi-store cloud
(`image stores list`) and the project's image quotas and usage (`image usage`). Each is
one GET. (`GET /v2/info/import` stays in imgcli.api.images, beside the import it serves.)

Imports: imgcli.api.images (send), imgcli.api.replies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imgcli.api import replies
from imgcli.api.images import send

if TYPE_CHECKING:
    from imgcli.connection import Connection


def list_stores(conn: Connection, detail: bool = False) -> list[dict[str, Any]]:
    """`GET /v2/info/stores[/detail]`: the stores (`id`, `description`, `default`; with
    `detail`, admin only, also `type`, `weight` and `properties`). A Glance without
    `enabled_backends` answers 404 ("Multi backend is not supported at this site")."""
    path = "info/stores/detail" if detail else "info/stores"
    return replies.objects(send(conn, "GET", path), "stores")


def usage(conn: Connection) -> dict[str, dict[str, Any]]:
    """`GET /v2/info/usage` (Image API 2.13): each quota's `limit` and `usage` for the
    token's project, keyed by Glance's name for it (`image_size_total`, ...). Empty when
    Glance enforces no quotas (its `use_keystone_limits` is off)."""
    return replies.mapping(send(conn, "GET", "info/usage"), "usage")
