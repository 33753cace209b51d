"""The trace tests' seed: the messages of the seed's `image list --all` (Keystone's and Glance's
version documents, the token, the three images), replayed with requests-mock through a
Recorder; and the checks several test modules share (arrows, no secret, HAR fields).

Its token and password are tests.conftest's TRACE_TOKEN and TRACE_PASSWORD, so the autouse
leak guard watches them too."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable

import requests
import requests_mock
from keystoneauth1.session import Session as KsSession

from imgcli.trace.recorder import Recorder
from tests.conftest import TRACE_PASSWORD, TRACE_TOKEN

AUTH_URL = "http://devstack-debug/identity"
TOKEN_URL = AUTH_URL + "/v3/auth/tokens"
IMAGE_URL = "http://182.161.114.101/image"
IMAGES_URL = IMAGE_URL + "/v2/images?visibility=all"
TOKEN = TRACE_TOKEN
PASSWORD = TRACE_PASSWORD
ARGV = ["imgcli", "image", "list", "--all"]

KEYSTONE_VERSIONS = {
    "versions": {
        "values": [
            {
                "id": "v3.14",
                "status": "stable",
                "updated": "2020-04-07T00:00:00Z",
                "links": [{"rel": "self", "href": AUTH_URL + "/v3/"}],
                "media-types": [
                    {
                        "base": "application/json",
                        "type": "application/vnd.openstack.identity-v3+json",
                    }
                ],
            }
        ]
    }
}
GLANCE_VERSIONS = {
    "versions": [
        {
            "id": "v2.16",
            "status": "CURRENT",
            "links": [{"rel": "self", "href": IMAGE_URL + "/v2/"}],
        },
        {
            "id": "v2.15",
            "status": "SUPPORTED",
            "links": [{"rel": "self", "href": IMAGE_URL + "/v2/"}],
        },
    ]
}
TOKEN_BODY = {
    "token": {
        "methods": ["password"],
        "user": {
            "domain": {"id": "default", "name": "Default"},
            "id": "6b0a9c3e2c0f4b7d9e1b6d2f3a4c5e6f",
            "name": "admin",
            "password_expires_at": None,
        },
        "audit_ids": ["3T2dc1CGQxyJsHdDu1xkcw"],
        "expires_at": "2099-12-12T09:09:23.000000Z",  # keystoneauth re-auths on expired
        "issued_at": "2022-12-12T08:09:23.000000Z",
        "project": {
            "domain": {"id": "default", "name": "Default"},
            "id": "a5362cbd04fd4783a038d5a342d58e87",
            "name": "admin",
        },
        "is_domain": False,
        "roles": [{"id": "1f0c3c6a", "name": "admin"}],
        "catalog": [
            {
                "endpoints": [
                    {
                        "id": "e1",
                        "interface": "public",
                        "region_id": "RegionOne",
                        "url": "http://182.161.114.101/identity",
                        "region": "RegionOne",
                    }
                ],
                "id": "s1",
                "type": "identity",
                "name": "keystone",
            },
            {
                "endpoints": [
                    {
                        "id": "e2",
                        "interface": "public",
                        "region_id": "RegionOne",
                        "url": IMAGE_URL,
                        "region": "RegionOne",
                    }
                ],
                "id": "s2",
                "type": "image",
                "name": "glance",
            },
        ],
    }
}


def _image(name: str, image_id: str, owner: str, **extra: object) -> dict:
    return {
        **extra,
        "owner_specified.openstack.md5": "",
        "owner_specified.openstack.object": f"images/{name}",
        "owner_specified.openstack.sha256": "",
        "name": name,
        "disk_format": "qcow2",
        "container_format": "bare",
        "status": "active",
        "owner": owner,
        "id": image_id,
        "self": f"/v2/images/{image_id}",
        "file": f"/v2/images/{image_id}/file",
        "schema": "/v2/schemas/image",
    }


# The seed's step-8 body, in the server's order (fields trimmed to what the trace cares about).
IMAGES_BODY = {
    "images": [
        _image(
            "cirros-0.5.1-x86_64-disk",
            "a3f1a9d6-0c54-47f7-96ca-641786ea5d68",
            "a5362cbd04fd4783a038d5a342d58e87",
        ),
        _image(
            "trove-guest-ubuntu-focal",
            "53713cd4-241d-4b87-8dee-7619615f05e3",
            "3a16cadd069e4a70b95f71316ec6f3e8",
            hw_rng_model="virtio",
        ),
        _image(
            "cirros-0.5.2-x86_64-disk",
            "9c31f2c6-f22c-440e-b670-d8d5a5cc0405",
            "a5362cbd04fd4783a038d5a342d58e87",
            hw_rng_model="virtio",
        ),
    ],
    "first": "/v2/images?visibility=all",
    "schema": "/v2/schemas/images",
}
OUTPUT = textwrap.dedent(
    """\
    +--------------------------------------+--------------------------+--------+
    | ID                                   | Name                     | Status |
    +--------------------------------------+--------------------------+--------+
    | a3f1a9d6-0c54-47f7-96ca-641786ea5d68 | cirros-0.5.1-x86_64-disk | active |
    | 9c31f2c6-f22c-440e-b670-d8d5a5cc0405 | cirros-0.5.2-x86_64-disk | active |
    | 53713cd4-241d-4b87-8dee-7619615f05e3 | trove-guest-ubuntu-focal | active |
    +--------------------------------------+--------------------------+--------+
    """
)
AUTH_BODY = {
    "auth": {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {
                    "name": "admin",
                    "domain": {"name": "Default"},
                    "password": PASSWORD,
                }
            },
        },
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
    }
}
# Arrows carry the path and query only (the participant is the host): long URLs would be drawn
# across the lifelines. The sections below the diagram keep the full URL.
SEED_ARROWS = [
    "client->>keystone: GET /identity",
    "keystone-->>client: Response: 300 MULTIPLE CHOICES",
    "client->>keystone: POST /identity/v3/auth/tokens",
    "keystone-->>client: Response: 201 CREATED",
    "client->>glance: GET /image",
    "glance-->>client: Response: 300 Multiple Choices",
    "client->>glance: GET /image/v2/images?visibility=all",
    "glance-->>client: Response: 200 OK",
]
JSON_HEADERS = {"Content-Type": "application/json"}


def ks_digest(value: str) -> str:
    """The digest keystoneauth's own debug log would show for this token."""
    return KsSession._process_header(("X-Auth-Token", value))[1]


def register_seed(m: requests_mock.Mocker, token_status: int = 201) -> None:
    m.get(AUTH_URL, status_code=300, reason="MULTIPLE CHOICES", json=KEYSTONE_VERSIONS)
    if token_status == 201:
        m.post(
            TOKEN_URL,
            status_code=201,
            reason="CREATED",
            json=TOKEN_BODY,
            headers={"X-Subject-Token": TOKEN, "Vary": "X-Auth-Token"},
        )
    else:
        m.post(
            TOKEN_URL,
            status_code=token_status,
            reason="UNAUTHORIZED",
            json={
                "error": {
                    "code": 401,
                    "message": "The request you have made requires authentication.",
                    "title": "Unauthorized",
                }
            },
        )
    m.get(IMAGE_URL, status_code=300, reason="Multiple Choices", json=GLANCE_VERSIONS)
    m.get(
        IMAGES_URL,
        status_code=200,
        reason="OK",
        json=IMAGES_BODY,
        headers={"x-openstack-request-id": "req-d0178a61-46a8-4b61-bd57-71013b1babd4"},
    )


def run_seed(session: requests.Session) -> None:
    """The seed's four round trips, as keystoneauth + imgcli make them."""
    session.get(AUTH_URL, headers={"Accept": "application/json"})
    session.post(TOKEN_URL, json=AUTH_BODY, headers={"Accept": "application/json"})
    session.get(IMAGE_URL, headers={"Accept": "application/json"})
    session.get(IMAGES_URL, headers={"Accept": "application/json", "X-Auth-Token": TOKEN})


def recorded(send: Callable[[requests.Session], object]) -> Recorder:
    """A Recorder attached to a session that `send` drives against the mocked seed cloud."""
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        register_seed(m)
        with requests.Session() as session:
            rec.attach(session)
            send(session)
    return rec


def mermaid_block(md: str) -> list[str]:
    block = md.split("``` mermaid\n", 1)[1].split("\n```", 1)[0]
    return [line.strip() for line in block.splitlines()]


def arrows(md: str) -> list[str]:
    return [line for line in mermaid_block(md) if "->>" in line or "-->>" in line or "-x" in line]


def assert_no_secrets(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        assert json.dumps(secret)[1:-1] not in text
        assert requests.utils.quote(secret, safe="") not in text


def check_har(doc: dict) -> None:
    """HAR 1.2 required fields (http://www.softwareishard.com/blog/har-12-spec/)."""

    def has(obj: dict, *keys: str) -> None:
        missing = [k for k in keys if k not in obj]
        assert not missing, f"missing {missing} in {sorted(obj)}"

    def name_values(items: list) -> None:
        assert isinstance(items, list)
        for item in items:
            has(item, "name", "value")
            assert isinstance(item["name"], str) and isinstance(item["value"], str)

    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
    has(doc, "log")
    log = doc["log"]
    has(log, "version", "creator", "entries")
    assert log["version"] == "1.2"
    has(log["creator"], "name", "version")
    page_ids = set()
    for page in log.get("pages", []):
        has(page, "startedDateTime", "id", "title", "pageTimings")
        assert iso.match(page["startedDateTime"])
        page_ids.add(page["id"])
    for entry in log["entries"]:
        has(entry, "startedDateTime", "time", "request", "response", "cache", "timings")
        assert iso.match(entry["startedDateTime"])
        assert isinstance(entry["time"], (int, float)) and entry["time"] >= 0
        if "pageref" in entry:
            assert entry["pageref"] in page_ids
        req = entry["request"]
        has(req, "method", "url", "httpVersion", "cookies", "headers", "queryString")
        has(req, "headersSize", "bodySize")
        name_values(req["headers"])
        name_values(req["queryString"])
        name_values(req["cookies"])
        assert isinstance(req["headersSize"], int) and isinstance(req["bodySize"], int)
        if "postData" in req:
            has(req["postData"], "mimeType")
            assert "text" in req["postData"] or "params" in req["postData"]
        resp = entry["response"]
        has(resp, "status", "statusText", "httpVersion", "cookies", "headers", "content")
        has(resp, "redirectURL", "headersSize", "bodySize")
        assert isinstance(resp["status"], int) and isinstance(resp["statusText"], str)
        name_values(resp["headers"])
        name_values(resp["cookies"])
        has(resp["content"], "size", "mimeType")
        assert isinstance(resp["content"]["size"], int)
        timings = entry["timings"]
        has(timings, "send", "wait", "receive")
        assert all(timings[k] >= 0 for k in ("send", "wait", "receive"))
        assert isinstance(entry["cache"], dict)
