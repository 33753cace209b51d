"""Keystone look-ups: a project by name or ID (--project, image members).

Each costs a request, so each is skipped when the answer is already known: an ID passes
straight through, and the token's own project needs no look-up.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from imgcli.errors import ApiError, UsageError

if TYPE_CHECKING:
    from imgcli.session import Connection

KEYSTONE_ID = re.compile(r"^[0-9a-f]{32}$")


def identity_list(connection: Connection, path: str,
                  params: dict[str, str]) -> list[dict[str, Any]] | None:
    """A Keystone collection (`/projects`, `/domains`), or None when we may not list it."""
    endpoint_filter = {"service_type": "identity", "interface": connection.adapter.interface,
                       "region_name": connection.adapter.region_name,
                       "min_version": "3.0", "max_version": "3.latest"}
    response = connection.session.get(path, endpoint_filter=endpoint_filter, params=params,
                                      raise_exc=False)
    if response.status_code == 403:
        return None
    key = path.strip("/")
    try:
        doc = response.json() if response.ok else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise ApiError(f"GET {response.url} failed: {response.status_code}: "
                       f"Keystone's reply has no list of {key}")
    return doc[key]


def domain_id(connection: Connection, name_or_id: str) -> str:
    found = identity_list(connection, "/domains", {"name": name_or_id})
    return found[0]["id"] if found else name_or_id


def project_id(connection: Connection, name_or_id: str, domain: str | None) -> str:
    """--project as openstackclient reads it: an ID, or a name resolved through Keystone."""
    if KEYSTONE_ID.match(name_or_id):
        return name_or_id
    access = connection.session.auth.get_access(connection.session)
    if name_or_id == access.project_name and domain in (
            None, access.project_domain_id, access.project_domain_name):
        return access.project_id
    params = {"name": name_or_id}
    if domain:
        params["domain_id"] = domain_id(connection, domain)
    projects = identity_list(connection, "/projects", params)
    if projects is None:
        return name_or_id  # not allowed to look it up: openstackclient passes it on as given
    if not projects:
        raise UsageError(f"no project named {name_or_id!r}"
                         + (f" in domain {domain!r}" if domain else "") + " (--project)")
    if len(projects) > 1:
        raise UsageError(f"more than one project is named {name_or_id!r}: "
                         "add --project-domain, or give the project ID")
    return projects[0]["id"]
