"""The fake cloud's Keystone side: its one user's password, its tokens and the documents
Keystone answers with (version, token with catalog, 401).

Imports: the standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

FAKE_PASSWORD = "fakecloud-S3cret-Pw-7d41c9e2a05b"
ADMIN_PROJECT_ID = "9f1c3a7e5b2d4c6e8a0b1d3f5e7c9a2b"
ADMIN_USER_ID = "4d2a6c8e0f1b3d5a7c9e1f3b5d7a9c0e"
DOMAIN = {"id": "default", "name": "Default"}
REGION = "RegionOne"
# Tokens a test may meet: the first, and those of up to three revocations.
KNOWN_GENERATIONS = 4

KEYSTONE_401 = json.dumps({"error": {
    "code": 401, "title": "Unauthorized",
    "message": "The request you have made requires authentication.",
}}).encode()


def make_token(generation: int) -> str:
    """The token of the `generation`th login after `generation` revocations (0: the first).

    Fernet-looking and long, so leak checks can grep for it without false positives."""
    raw = hashlib.sha512(f"fakecloud-token-{generation}".encode()).digest() * 2
    return "gAAAAAB" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


FAKE_TOKEN = make_token(0)


def secrets(generations: int = KNOWN_GENERATIONS) -> list[str]:
    """Every secret the fake cloud hands out: its password and its first tokens (a leak
    guard watches these)."""
    return [FAKE_PASSWORD, *(make_token(n) for n in range(generations))]


def keystone_version(base: str) -> dict[str, Any]:
    """Keystone's v3 version document, as devstack's Apache front end serves it."""
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}/identity/v3/"}],
        "media-types": [{
            "base": "application/json",
            "type": "application/vnd.openstack.identity-v3+json",
        }],
    }


def token_document(auth_url: str, image_url: str | None) -> dict[str, Any]:
    """A project-scoped token for admin, valid for an hour; the catalog has Keystone and,
    unless `image_url` is None, Glance."""
    now = datetime.now(timezone.utc)

    def endpoints(url: str) -> list[dict[str, str]]:
        return [
            {"id": hashlib.md5(f"{url}{i}".encode()).hexdigest(), "interface": i,
             "region_id": REGION, "url": url, "region": REGION}
            for i in ("public", "internal", "admin")
        ]

    catalog = [{"endpoints": endpoints(auth_url), "id": "1d5e" + "0" * 28,
                "type": "identity", "name": "keystone"}]
    if image_url is not None:
        catalog.append({"endpoints": endpoints(image_url), "id": "2e6f" + "0" * 28,
                        "type": "image", "name": "glance"})
    return {"token": {
        "methods": ["password"],
        "user": {"domain": DOMAIN, "id": ADMIN_USER_ID, "name": "admin",
                 "password_expires_at": None},
        "audit_ids": ["3T2dc1CGQxyJsHdDu1xkcw"],
        "expires_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "issued_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "project": {"domain": DOMAIN, "id": ADMIN_PROJECT_ID, "name": "admin"},
        "is_domain": False,
        "roles": [{"id": f"{i:032x}", "name": n}
                  for i, n in enumerate(("admin", "member", "reader"), 1)],
        "catalog": catalog,
    }}


def credentials_accepted(identity: dict[str, Any], valid_tokens: set[str]) -> bool:
    """Whether a POST /v3/auth/tokens `identity` names admin with the password, or a valid
    token."""
    methods = identity["methods"]
    if "password" in methods:
        user = identity.get("password", {}).get("user", {})
        domain = user.get("domain", {})
        return (user.get("name") == "admin" or user.get("id") == ADMIN_USER_ID) \
            and user.get("password") == FAKE_PASSWORD \
            and (domain.get("name") == "Default" or domain.get("id") == "default"
                 or user.get("id") == ADMIN_USER_ID)
    if "token" in methods:
        return identity.get("token", {}).get("id") in valid_tokens
    return False
