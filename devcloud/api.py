"""Small urllib helpers for the Keystone and Glance APIs: tokens, users, regions, the catalog.

Every Keystone helper takes the cloud (`devcloud`, the default, or `devcloud2`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from devcloud.common import (
    CLOUD,
    CLOUDS,
    REGION,
    DevcloudError,
    keystone_url,
    log,
    url,
    users,
)


def request(
    method: str,
    url: str,
    token: str | None = None,
    body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Any]:
    """One request; returns (status, headers, parsed JSON or raw bytes)."""
    hdrs = {"Accept": "application/json"}
    if token:
        hdrs["X-Auth-Token"] = token
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, rh, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, rh, raw = e.code, e.headers, e.read()
    if raw and "json" in (rh.get("Content-Type") or ""):
        return status, rh, json.loads(raw)
    return status, rh, raw


def call(
    method: str,
    url: str,
    token: str | None = None,
    ok: tuple[int, ...] = (200, 201, 202, 204),
    **kw: Any,
) -> Any:
    status, _, out = request(method, url, token, **kw)
    if status not in ok:
        raise DevcloudError(f"{method} {url} -> {status}: {out!r}"[:2000])
    return out


def token(user: str = "admin", cloud: str = CLOUD) -> str:
    """A project-scoped token for a user of a devcloud (admin, demo, alt_demo)."""
    password, project = users(cloud)[user]
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": "Default"}}
                },
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }
    status, headers, out = request("POST", f"{keystone_url(cloud)}/v3/auth/tokens", body=body)
    if status != 201:
        raise DevcloudError(f"login as {user} on {cloud} failed: {status} {out!r}"[:500])
    return headers["X-Subject-Token"]


def find_or_create(
    tok: str, kind: str, name: str, create: dict[str, Any], cloud: str = CLOUD, **filters: str
) -> dict[str, Any]:
    """Find a Keystone entity by name (and filters), creating it when missing."""
    base = f"{keystone_url(cloud)}/v3/{kind}s"
    query = urllib.parse.urlencode({"name": name, **filters})
    found = call("GET", f"{base}?{query}", tok)[f"{kind}s"]
    if found:
        return found[0]
    return call("POST", base, tok, body={kind: {"name": name, **create}})[kind]


def _grant(tok: str, project_id: str, user_id: str, role: str, cloud: str) -> None:
    role_id = find_or_create(tok, "role", role, {}, cloud)["id"]
    base = keystone_url(cloud)
    call("PUT", f"{base}/v3/projects/{project_id}/users/{user_id}/roles/{role_id}", tok)


def ensure_user(
    tok: str,
    name: str,
    password: str,
    project: str,
    roles: tuple[str, ...],
    cloud: str = CLOUD,
) -> None:
    p = find_or_create(
        tok,
        "project",
        project,
        {"domain_id": "default", "description": f"devcloud {project} project"},
        cloud,
        domain_id="default",
    )
    u = find_or_create(
        tok,
        "user",
        name,
        {"domain_id": "default", "password": password, "default_project_id": p["id"]},
        cloud,
        domain_id="default",
    )
    for role in roles:
        _grant(tok, p["id"], u["id"], role, cloud)


def _ensure_region(tok: str, region: str, cloud: str) -> None:
    base = f"{keystone_url(cloud)}/v3/regions"
    status, _, out = request("GET", f"{base}/{region}", tok)
    if status == 404:
        body = {"region": {"id": region, "description": f"devcloud {region}"}}
        call("POST", base, tok, body=body)
        log(f"keystone ({cloud}): registered region {region}")
    elif status != 200:
        raise DevcloudError(f"GET {base}/{region} -> {status}: {out!r}"[:500])


def ensure_catalog(tok: str, cloud: str = CLOUD) -> None:
    """Identity and image services with public+internal endpoints in each region, current URLs.

    devcloud: identity in RegionOne, image in RegionOne and RegionTwo; devcloud2: both in
    RegionOne. An endpoint on an old port is moved to the current one.
    """
    base = f"{keystone_url(cloud)}/v3"
    keystone, glances = CLOUDS[cloud]
    for region in glances:
        _ensure_region(tok, region, cloud)
    services = call("GET", f"{base}/services", tok)["services"]
    wanted = {
        "identity": ("keystone", {REGION: url(keystone)}),
        "image": ("glance", {region: url(g) for region, g in glances.items()}),
    }
    for stype, (sname, per_region) in wanted.items():
        svc = next((s for s in services if s["type"] == stype), None)
        if svc is None:
            svc = call(
                "POST", f"{base}/services", tok, body={"service": {"type": stype, "name": sname}}
            )["service"]
            log(f"keystone ({cloud}): registered service {stype}")
        eps = call("GET", f"{base}/endpoints?service_id={svc['id']}", tok)["endpoints"]
        for region, endpoint in per_region.items():
            for iface in ("public", "internal"):
                ep = next(
                    (e for e in eps if e["interface"] == iface and e.get("region_id") == region),
                    None,
                )
                if ep is None:
                    body = {"service_id": svc["id"], "interface": iface, "region_id": region,
                            "url": endpoint}  # fmt: skip
                    call("POST", f"{base}/endpoints", tok, body={"endpoint": body})
                elif ep["url"] != endpoint:
                    call("PATCH", f"{base}/endpoints/{ep['id']}", tok,
                         body={"endpoint": {"url": endpoint}})  # fmt: skip
