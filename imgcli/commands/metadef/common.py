"""What the metadef commands share: Glance's refusals as one line each, the failure line
of a delete, and a namespace update that keeps what it does not change.

Glance's default policy keeps every metadef write for admins: a member's create, set or
delete is a 403 ("You are not authorized to complete add_metadef_namespace action."), which
becomes one line saying the command needs the admin role. The other 403 a write meets is a
protected namespace ("... is protected and cannot be deleted."), whose line says how to
unprotect it. A namespace another project keeps private is a 404 to everyone else.

Imports: imgcli.api.metadefs, imgcli.commands.admin, imgcli.errors.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from imgcli.api import metadefs
from imgcli.commands.admin import command_name, refusal
from imgcli.errors import ApiError

if TYPE_CHECKING:
    from imgcli.connection import Connection

# What Glance's namespace PUT takes: the rest of a namespace record is read-only or its
# contents.
UPDATABLE = ("namespace", "display_name", "description", "visibility", "protected", "owner")


def update_namespace(conn: Connection, name: str, current: dict[str, Any],
                     changes: dict[str, Any]) -> dict[str, Any]:
    """PUT the namespace `current` (as Glance sent it) with `changes`. Glance's PUT resets
    every attribute the body leaves out, so the body carries the namespace's own values
    for the rest, its owner included (left out, it would become the caller's project)."""
    body = {key: current[key] for key in UPDATABLE if current.get(key) is not None}
    return metadefs.update_namespace(conn, name, {**body, **changes, "namespace": name})


def unprotect_hint(namespace: str) -> str:
    return f"run `imgcli image metadef namespace set --unprotected {shlex.quote(namespace)}` first"


def explained(error: ApiError, action: str, namespace: str | None) -> ApiError:
    """The one-line error for a refused metadef request (any other error as it is)."""
    if error.mentions(403, "is protected"):
        fix = unprotect_hint(namespace) if namespace else "unprotect its namespace first"
        return ApiError(f"{error.detail.rstrip('.')}: {fix}", status=error.status,
                        method=error.method, url=error.url, detail=error.detail)
    if error.status == 403:
        return refusal(action, error)
    return error


@contextmanager
def refusals(cmd_name: str | None, namespace: str | None = None) -> Iterator[None]:
    """Turn a 403 raised inside into its one line; `namespace` names the namespace that a
    "protected" refusal is about."""
    try:
        yield
    except ApiError as exc:
        better = explained(exc, command_name(cmd_name), namespace)
        if better is exc:
            raise
        raise better from exc


def delete_failure(cmd_name: str | None,
                   namespace: str | None = None) -> Callable[[str, ApiError], str]:
    """A `why_not` for imgcli.commands.deleting.for_each: a policy refusal stops the run
    (every later delete would be refused too); any other failure is its line. Without
    `namespace`, each argument is a namespace itself."""

    def why_not(ref: str, error: ApiError) -> str:
        better = explained(error, command_name(cmd_name), namespace or ref)
        if better.status == 403 and not error.mentions(403, "is protected"):
            raise better from error
        return str(better)

    return why_not
