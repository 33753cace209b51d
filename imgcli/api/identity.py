"""Keystone look-ups: a project by name or ID (--project, image members), and the token.

Each costs a request, so each is skipped when the answer is already known: an ID passes
straight through, the token's own project needs no look-up, and a live cached token is
the token. Requests go through imgcli.api.http, as Glance's do: a refused token is exit 3.

Imports: imgcli.api.http, imgcli.errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from imgcli.api import http
from imgcli.errors import ApiError, ConfigError, UsageError

if TYPE_CHECKING:
    from keystoneauth1.access import AccessInfo

    from imgcli.connection import Connection

KEYSTONE_ID = re.compile(r"^[0-9a-f]{32}$")
IDENTITY_VERSION = re.compile(r"/v(2\.0|3)/?$")


def access(connection: Connection, needed_for: str) -> AccessInfo:
    """The token and its scope: no request with a live cached token, else the token POST.

    With --os-token and --os-endpoint there is no Keystone to ask (keystoneauth's
    token_endpoint plugin has no token document)."""
    auth = connection.session.auth
    if not hasattr(auth, "get_access"):
        raise ConfigError(f"{needed_for} needs Keystone, which --os-token with --os-endpoint "
                          "skips: unset --os-endpoint (OS_ENDPOINT) and use --os-auth-url")
    return auth.get_access(connection.session)


def token_fields(connection: Connection) -> dict[str, str]:
    """openstackclient's `token issue` record: only the fields this token has."""
    ref = access(connection, "token issue")
    fields: dict[str, str] = {}
    if ref.auth_token:
        fields["id"] = ref.auth_token
    if ref.expires:
        fields["expires"] = ref.expires.strftime("%Y-%m-%dT%H:%M:%S%z")
    if ref.project_id:
        fields["project_id"] = ref.project_id
    if ref.user_id:
        fields["user_id"] = ref.user_id
    if ref.domain_id:
        fields["domain_id"] = ref.domain_id
    if getattr(ref, "system_scoped", False):
        fields["system"] = "all"
    return fields


def identity_root(catalog_url: str) -> str:
    """The v3 root of the catalog's identity endpoint, written as `/identity`, `:5000`,
    `/v3` or `/v2.0`: found without Keystone's version document (one request saved)."""
    return IDENTITY_VERSION.sub("", catalog_url.rstrip("/")) + "/v3/"


def identity_list(connection: Connection, path: str,
                  params: dict[str, str]) -> list[dict[str, Any]] | None:
    """A Keystone collection (`/projects`, `/domains`), or None when we may not list it."""
    adapter = connection.adapter
    url = connection.session.get_endpoint(service_type="identity", interface=adapter.interface,
                                          region_name=adapter.region_name,
                                          skip_discovery=True)
    if not url:
        raise ConfigError(f"the catalog has no identity endpoint for interface "
                          f"{adapter.interface!r} (set --os-interface / --os-region-name)")
    response = http.send(connection.session, "GET", identity_root(url) + path.strip("/"),
                         ok=(200, 403), params=params)
    if response.status_code == 403:
        return None
    key = path.strip("/")
    try:
        doc = http.json_body(response)
    except ApiError:
        doc = {}
    if not isinstance(doc.get(key), list):
        raise ApiError(f"GET {response.url}: Keystone's reply has no list of {key}")
    return doc[key]


def domain_id(connection: Connection, name_or_id: str) -> str:
    found = identity_list(connection, "/domains", {"name": name_or_id})
    return found[0]["id"] if found else name_or_id


def project_id(connection: Connection, name_or_id: str, domain: str | None,
               option: str = "--project", name_if_forbidden: bool = True) -> str:
    """A project argument as openstackclient reads it: an ID, or a name resolved through
    Keystone. A user who may not list projects (403) gets the name back as given when
    `name_if_forbidden` (a filter that then matches nothing); otherwise an error, because
    Glance takes any string as a member ID and would add a member that is no project."""
    if KEYSTONE_ID.match(name_or_id):
        return name_or_id
    ref = access(connection, f"looking up project {name_or_id!r} by name ({option})")
    if name_or_id == ref.project_name and domain in (
            None, ref.project_domain_id, ref.project_domain_name):
        return ref.project_id
    params = {"name": name_or_id}
    if domain:
        params["domain_id"] = domain_id(connection, domain)
    projects = identity_list(connection, "/projects", params)
    if projects is None:
        if name_if_forbidden:
            return name_or_id  # openstackclient passes it on as given
        raise UsageError(f"Keystone does not let this user look up projects by name, so "
                         f"{name_or_id!r} cannot be checked: give the project ID ({option})")
    if not projects:
        raise UsageError(f"no project named {name_or_id!r}"
                         + (f" in domain {domain!r}" if domain else "") + f" ({option})")
    if len(projects) > 1:
        raise UsageError(f"more than one project is named {name_or_id!r}: "
                         "add --project-domain, or give the project ID")
    return projects[0]["id"]
