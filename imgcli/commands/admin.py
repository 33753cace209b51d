"""Glance's 403 for an operation its policy keeps for admins, as one line that says so.

The cache API, /v2/tasks and the store details are admin-only under Glance's default
policy; a member gets a bare 403 ("Access was denied to this resource."), which does not
say why. A cloud may change the policy, so the line says what is known: this cloud's
policy refused it, and by default only admin may.

Imports: imgcli.errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from imgcli.errors import ApiError


def refusal(action: str, error: ApiError) -> ApiError:
    """The one-line error for a 403 on `action` (such as "`imgcli cached image list`"),
    keeping the status, method and URL of the reply."""
    return ApiError(f"{action} needs the admin role: Glance's policy refused it for this "
                    "user (403 Forbidden; by default only admin may do this)",
                    status=error.status, method=error.method, url=error.url,
                    detail=error.detail)


@contextmanager
def admin_only(action: str) -> Iterator[None]:
    """Turn a 403 raised inside into `refusal(action)`; any other error passes as it is."""
    try:
        yield
    except ApiError as exc:
        if exc.status != 403:
            raise
        raise refusal(action, exc) from exc


def command_name(cmd_name: str | None, options: str = "") -> str:
    """How a command names itself in these lines: `imgcli cached image list`."""
    return f"`imgcli {cmd_name}{options}`" if cmd_name else "this command"
