"""Cinder, the Block Storage API v3: what `image create --volume` sends. Finding a volume by
name (`GET /v3/{project}/volumes?name=...`) and its `os-volume_upload_image` action
(`POST /v3/{project}/volumes/{id}/action`), which makes Cinder create the image in Glance
and copy the volume's data into it.

The endpoint is the token's catalog entry for openstacksdk's block-storage service
(keystoneauth's aliases, in its order: block-storage, volumev3, volumev2, volume), read
without Cinder's version document: the v3 root is written in the catalog URL, or is the
URL's `/v3`, with the token's project added when the URL has none (Cinder takes a
project-less path only since API 3.67).

Imports: imgcli.api.http, imgcli.api.identity, imgcli.errors; keystoneauth1's exceptions
inside volume_root.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from imgcli.api import http, identity
from imgcli.errors import ApiError, ConfigError

if TYPE_CHECKING:
    from imgcli.connection import Connection

SERVICE_TYPE = "block-storage"  # keystoneauth matches the aliases too, this one first
# Cinder's API 3.1 adds `visibility` and `protected` to os-volume_upload_image (every Cinder
# since Pike, 2017, has it); openstackclient sends them whenever the cloud has 3.1.
UPLOAD_MICROVERSION = "volume 3.1"
# `/v1`, `/v2` or `/v3` (and the project ID after it, if any) at the end of the URL.
VERSION_TAIL = re.compile(r"/v[123](\.\d+)?(/[^/]+)?/?$")


def v3_root(catalog_url: str, project_id: str | None) -> str:
    """The v3 root, `…/v3/{project}/`, of the catalog's block-storage URL."""
    url = catalog_url.rstrip("/")
    match = VERSION_TAIL.search(url)
    if match is None:
        base, project = url, None
    else:
        base, project = url[:match.start()], (match.group(2) or "").strip("/") or None
    project = project or project_id
    return f"{base}/v3/" + (f"{project}/" if project else "")


def volume_root(connection: Connection) -> str:
    """The Block Storage v3 root from the token's catalog (no request with a live cached
    token; else the token POST, which is the catalog)."""
    from keystoneauth1.exceptions import EndpointNotFound

    adapter = connection.adapter
    ref = identity.access(connection, "image create --volume")
    try:
        url = connection.session.get_endpoint(service_type=SERVICE_TYPE,
                                              interface=adapter.interface,
                                              region_name=adapter.region_name,
                                              skip_discovery=True)
    except EndpointNotFound:
        url = None
    if not url:
        where = f"interface {adapter.interface!r}"
        if adapter.region_name:
            where += f" in region {adapter.region_name!r}"
        raise ConfigError(f"the catalog has no block-storage (Cinder) endpoint for {where}: "
                          "image create --volume needs Cinder (set --os-interface / "
                          "--os-region-name)")
    return v3_root(url, ref.project_id)


def find_volumes(connection: Connection, name: str) -> list[dict[str, Any]]:
    """`GET /v3/{project}/volumes?name=NAME`: the project's volumes of exactly that name
    (Cinder's `name` filter is an exact match), as `{id, name, links}`."""
    response = http.send(connection.session, "GET", volume_root(connection) + "volumes",
                         params={"name": name})
    volumes = http.json_body(response).get("volumes")
    if not isinstance(volumes, list) or not all(isinstance(v, dict) for v in volumes):
        raise ApiError(f"GET {response.url}: Cinder's reply has no list of volumes")
    return volumes


def upload_to_image(connection: Connection, volume_id: str,
                    request: dict[str, Any]) -> dict[str, Any]:
    """`POST /v3/{project}/volumes/{id}/action` with `{"os-volume_upload_image": request}`
    → 202: Cinder's record of the upload it started (the new image's ID, name, formats,
    the volume's status and type). Sent once: a second POST would make a second image."""
    url = volume_root(connection) + "volumes/" + quote(volume_id, safe="") + "/action"
    response = http.send(connection.session, "POST", url, ok=(200, 202), retry=False,
                         json={"os-volume_upload_image": request},
                         headers={"OpenStack-API-Version": UPLOAD_MICROVERSION})
    reply = http.json_body(response).get("os-volume_upload_image")
    if not isinstance(reply, dict):
        raise ApiError(f"POST {url}: Cinder's reply has no os-volume_upload_image record")
    return reply
