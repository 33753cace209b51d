"""Which service answered each request: the token's catalog first, then URL hints.

Imports: imgcli.trace.exchange.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from imgcli.trace.exchange import View

# Catalog service type -> project name, for participant labels like the seed's ``glance-api``.
_PROJECTS = {
    "identity": "keystone",
    "image": "glance",
    "compute": "nova",
    "network": "neutron",
    "volume": "cinder",
    "volumev2": "cinder",
    "volumev3": "cinder",
    "block-storage": "cinder",
    "object-store": "swift",
    "orchestration": "heat",
    "load-balancer": "octavia",
    "key-manager": "barbican",
    "dns": "designate",
    "baremetal": "ironic",
    "shared-file-system": "manila",
}
# URL fallbacks when no catalog was seen: devstack-style path prefixes, then default ports.
_PATH_HINTS = {
    "identity": "identity",
    "image": "image",
    "compute": "compute",
    "volume": "block-storage",
    "networking": "network",
    "placement": "placement",
}
_PORT_HINTS = {
    5000: "identity",
    35357: "identity",
    9292: "image",
    8774: "compute",
    9696: "network",
    8776: "block-storage",
}


def _catalog(views: list[View]) -> list[tuple[str, str]]:
    """(endpoint URL, service type) from the last successful token response."""
    endpoints: list[tuple[str, str]] = []
    for view in views:
        body = view.resp_body
        if (
            view.method != "POST"
            or not urlsplit(view.url).path.rstrip("/").endswith("/tokens")
            or view.status not in (200, 201)
            or body is None
            or not isinstance(body.parsed, dict)
        ):
            continue
        found: list[tuple[str, str]] = []
        token = body.parsed.get("token")
        access = body.parsed.get("access")
        if isinstance(token, dict) and isinstance(token.get("catalog"), list):
            for service in token["catalog"]:
                if isinstance(service, dict):
                    for ep in service.get("endpoints") or []:
                        if isinstance(ep, dict) and ep.get("url"):
                            found.append((str(ep["url"]).rstrip("/"), str(service.get("type"))))
        elif isinstance(access, dict) and isinstance(access.get("serviceCatalog"), list):
            for service in access["serviceCatalog"]:  # Identity v2.0
                if isinstance(service, dict):
                    for ep in service.get("endpoints") or []:
                        for key in ("publicURL", "internalURL", "adminURL"):
                            if isinstance(ep, dict) and ep.get(key):
                                found.append((str(ep[key]).rstrip("/"), str(service["type"])))
        if found:
            endpoints = found
    return endpoints


def _under(url: str, base: str) -> bool:
    return url == base or (url.startswith(base) and url[len(base)] in "/?#")


def _auth_bases(views: list[View]) -> list[str]:
    bases = []
    for view in views:
        parts = urlsplit(view.url)
        path = parts.path.rstrip("/")
        if view.method == "POST" and path.endswith("/tokens"):
            root = re.sub(r"(/v3/auth|/v2\.0)?/tokens$", "", path)
            bases.append(f"{parts.scheme}://{parts.netloc}{root}".rstrip("/"))
    return bases


def service_for(url: str, catalog: list[tuple[str, str]], auth_bases: list[str]) -> str | None:
    bare = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    matches = [(len(base), stype) for base, stype in catalog if _under(bare, base)]
    if matches:
        return max(matches)[1]
    if any(_under(bare, base) for base in auth_bases if base):
        return "identity"
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    for base, stype in catalog:  # an endpoint's unversioned root: version discovery
        ep = urlsplit(base)
        if ep.netloc == parts.netloc and ep.path.startswith(path):
            return stype
    segments = [s for s in path.split("/") if s]
    if segments and segments[0] in _PATH_HINTS:
        return _PATH_HINTS[segments[0]]
    try:
        port = parts.port
    except ValueError:
        port = None
    if port in _PORT_HINTS:
        return _PORT_HINTS[port]
    if segments[:1] in (["v3"], ["v2.0"]):
        return "identity"
    if segments[:2] in (["v2", "images"], ["v2", "schemas"]) or segments == ["v2"]:
        return "image"
    return None


def label(stype: str | None, url: str) -> str:
    if stype is None:
        host = urlsplit(url).netloc.rsplit("@", 1)[-1]
        return re.sub(r"[^A-Za-z0-9._-]", "-", host) or "server"
    return f"{_PROJECTS.get(stype, re.sub(r'[^A-Za-z0-9._-]', '-', stype))}-api"


def attribute(views: list[View]) -> None:
    clouds = list(dict.fromkeys(view.cloud for view in views if view.cloud))
    if len(clouds) > 1:
        # Several clouds (image copy, sync, several --os-cloud): each its own catalog and
        # Keystone, and each participant named with its cloud.
        for cloud in (*clouds, None):
            group = [view for view in views if view.cloud == cloud]
            attribute_one(group, f"{cloud} " if cloud else "")
        return
    attribute_one(views)


def attribute_one(views: list[View], prefix: str = "") -> None:
    catalog = _catalog(views)
    auth_bases = _auth_bases(views)
    for view in views:
        view.service = service_for(view.url, catalog, auth_bases)
        view.label = prefix + label(view.service, view.url)
