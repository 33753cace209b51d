"""Tests for imgcli.trace: the --trace Markdown/HAR recorder, replaying the seed's 8 messages."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import requests_mock
from keystoneauth1.session import Session as KsSession

from imgcli.trace import attribution, redact
from imgcli.trace.recorder import Recorder

AUTH_URL = "http://devstack-debug/identity"
TOKEN_URL = AUTH_URL + "/v3/auth/tokens"
IMAGE_URL = "http://182.161.114.101/image"
IMAGES_URL = IMAGE_URL + "/v2/images?visibility=all"
# Distinctive so a leak anywhere is unmistakable.
TOKEN = "gAAAAABjTOKENtokenSECRETvalue-4h_SQ7ggcw6BATS6rbi_4"
PASSWORD = "pw-Very$ecret&Uniq=42"
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


@pytest.fixture
def seed_recorder():
    return recorded(run_seed)


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


# -- the seed run ----------------------------------------------------------------------------


def test_markdown_sequence_diagram_matches_seed(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    assert md.startswith("# imgcli image list --all\n")
    lines = mermaid_block(md)
    assert lines[:5] == [
        "sequenceDiagram",
        "autonumber",
        "participant client as imgcli",
        "participant keystone as keystone-api",
        "participant glance as glance-api",
    ]
    assert arrows(md) == SEED_ARROWS
    assert len(lines) == 5 + 8


def test_markdown_sections_in_order(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    headings = re.findall(r"^### .*$", md, re.MULTILINE)
    assert headings == [
        f"### (1) GET {AUTH_URL}",
        "### (2) 300 MULTIPLE CHOICES",
        f"### (3) POST {TOKEN_URL}",
        "### (4) 201 CREATED",
        f"### (5) GET {IMAGE_URL}",
        "### (6) 300 Multiple Choices",
        f"### (7) GET {IMAGES_URL}",
        "### (8) 200 OK",
    ]
    top = re.findall(r"^## .*$", md, re.MULTILINE)
    assert top == ["## Sequence Diagram", "## Steps", "## Request/Response", "## Output"]


def test_markdown_steps_explain_the_run(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    steps = md.split("## Steps\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert steps == [
        "- (1),(2): Identity's version endpoints (version discovery); "
        "keystone-api answered 300 MULTIPLE CHOICES.",
        "- (3),(4): a token and the service catalog; keystone-api answered 201 CREATED.",
        "- (5),(6): the Image service's versions (version discovery); "
        "glance-api answered 300 Multiple Choices.",
        "- (7),(8): the image list; glance-api answered 200 OK.",
    ]


def test_markdown_tabs_mirror_the_seed(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    request_7 = md.split(f"### (7) GET {IMAGES_URL}\n", 1)[1].split("### (8)", 1)[0]
    assert request_7.startswith(f'\n=== "Header"\n    ``` http title=""\n    GET {IMAGES_URL}\n')
    assert f"    X-Auth-Token: {ks_digest(TOKEN)}\n    ```\n" in request_7
    assert request_7.endswith('=== "Body"\n    ``` http title=""\n    none\n    ```\n\n')
    response_8 = md.split("### (8) 200 OK\n", 1)[1].split("## Output", 1)[0]
    assert f"    200 OK {IMAGES_URL}\n" in response_8
    assert "    x-openstack-request-id: req-d0178a61-46a8-4b61-bd57-71013b1babd4\n" in response_8
    # The seed's body, pretty-printed with indent 4, inside the 4-space tab indentation.
    pretty = textwrap.indent(json.dumps(IMAGES_BODY, indent=4), "    ")
    assert f'=== "Body"\n    ``` json title=""\n{pretty}\n    ```\n' in response_8


def test_markdown_output_section(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    assert md.endswith(f'## Output\n\n``` text title="table format"\n{OUTPUT}```\n')


def test_request_json_body_pretty_printed_and_password_redacted(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    section = md.split(f"### (3) POST {TOKEN_URL}\n", 1)[1].split("### (4)", 1)[0]
    assert '            "password": {\n' in section  # the method object survives
    assert '                    "password": "***"\n' in section
    assert '"name": "admin"' in section
    assert_no_secrets(md, PASSWORD)


def test_no_token_or_password_anywhere(seed_recorder, tmp_path):
    md_path, har_path = tmp_path / "trace.md", tmp_path / "trace.har"
    seed_recorder.write(str(md_path), OUTPUT)
    seed_recorder.write(str(har_path), OUTPUT)
    for text in (md_path.read_text(), har_path.read_text()):
        assert_no_secrets(text, TOKEN, PASSWORD)
        # Both the request's X-Auth-Token and the response's X-Subject-Token are digested the
        # way keystoneauth logs them.
        assert ks_digest(TOKEN) in text
        assert ks_digest(TOKEN) == "{SHA256}" + hashlib.sha256(TOKEN.encode()).hexdigest()
    assert f"X-Subject-Token: {ks_digest(TOKEN)}" in md_path.read_text()


def test_token_response_object_is_not_treated_as_a_secret(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    section = md.split("### (4) 201 CREATED\n", 1)[1].split("### (5)", 1)[0]
    assert '    "token": {\n' in section
    assert '"password_expires_at": null' in section
    assert '"url": "http://182.161.114.101/image"' in section


# -- HAR -------------------------------------------------------------------------------------


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


def test_har_structure(seed_recorder, tmp_path):
    path = tmp_path / "trace.har"
    seed_recorder.write(str(path), OUTPUT)
    doc = json.loads(path.read_text())
    check_har(doc)
    entries = doc["log"]["entries"]
    assert doc["log"]["creator"]["name"] == "imgcli"
    assert doc["log"]["pages"][0]["title"] == "imgcli image list --all"
    assert [
        (e["request"]["method"], e["request"]["url"], e["response"]["status"]) for e in entries
    ] == [
        ("GET", AUTH_URL, 300),
        ("POST", TOKEN_URL, 201),
        ("GET", IMAGE_URL, 300),
        ("GET", IMAGES_URL, 200),
    ]
    assert entries[3]["request"]["queryString"] == [{"name": "visibility", "value": "all"}]
    assert json.loads(entries[3]["response"]["content"]["text"]) == IMAGES_BODY
    assert entries[3]["response"]["content"]["mimeType"] == "application/json"
    post = entries[1]["request"]["postData"]
    assert json.loads(post["text"])["auth"]["identity"]["password"]["user"]["password"] == "***"
    assert entries[0]["response"]["statusText"] == "MULTIPLE CHOICES"


# -- failures --------------------------------------------------------------------------------


def test_failed_login_still_writes_a_document(tmp_path):
    rec = Recorder(ARGV)
    error = "The request you have made requires authentication. (HTTP 401)"
    with requests_mock.Mocker() as m:
        register_seed(m, token_status=401)
        with requests.Session() as session:
            rec.attach(session)
            session.get(AUTH_URL)
            session.post(TOKEN_URL, json=AUTH_BODY)
    path = tmp_path / "trace.md"
    rec.write(str(path), error=error)
    md = path.read_text()
    assert arrows(md) == SEED_ARROWS[:3] + ["keystone-->>client: Response: 401 UNAUTHORIZED"]
    assert "participant glance" not in md
    assert "## Output" not in md
    assert md.endswith(f'## Error\n\n``` text title="error"\n{error}\n```\n')
    assert (
        "- (3),(4): a token and the service catalog; keystone-api answered 401 UNAUTHORIZED." in md
    )
    assert_no_secrets(md, PASSWORD)
    har = tmp_path / "trace.har"
    rec.write(str(har), error=error)
    doc = json.loads(har.read_text())
    check_har(doc)
    assert error in doc["log"]["comment"]
    assert_no_secrets(har.read_text(), PASSWORD)


def test_connection_error_recorded_with_request_and_error(tmp_path):
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        register_seed(m)
        m.get(IMAGES_URL, exc=requests.exceptions.ConnectionError("Connection refused"))
        with requests.Session() as session:
            rec.attach(session)
            with pytest.raises(requests.exceptions.ConnectionError):
                run_seed(session)
    md_path = tmp_path / "trace.md"
    rec.write(str(md_path), error="Unable to establish connection to glance")
    md = md_path.read_text()
    assert arrows(md) == SEED_ARROWS[:6] + ["client-xglance: GET /image/v2/images?visibility=all"]
    assert "Note over client,glance: ConnectionError: Connection refused" in md
    section = md.split(f"### (7) GET {IMAGES_URL}\n", 1)[1]
    assert f"X-Auth-Token: {ks_digest(TOKEN)}" in section
    assert "No response from glance-api" in section
    assert "ConnectionError: Connection refused" in section
    assert "### (8)" not in md
    assert "- (7): the image list; no response from glance-api: ConnectionError" in md
    assert "## Error" in md
    assert_no_secrets(md, TOKEN, PASSWORD)
    har_path = tmp_path / "trace.har"
    rec.write(str(har_path), error="Unable to establish connection to glance")
    doc = json.loads(har_path.read_text())
    check_har(doc)
    last = doc["log"]["entries"][-1]
    assert last["response"]["status"] == 0
    assert "Connection refused" in last["_error"]
    assert_no_secrets(har_path.read_text(), TOKEN, PASSWORD)


def test_record_failure_is_not_duplicated():
    rec = Recorder(ARGV)
    request = requests.Request("GET", IMAGES_URL).prepare()
    exc = requests.exceptions.ConnectTimeout("timed out", request=request)
    rec.record_failure(request, exc)
    rec.record_failure(request, exc)  # the CLI may report what the send wrapper already did
    rec.record_failure(request, RuntimeError("wrapped by keystoneauth"))
    assert len(rec.exchanges) == 1


def test_connect_failure_through_keystoneauth_is_recorded():
    from keystoneauth1 import exceptions as ks_exc

    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, exc=requests.exceptions.ConnectionError("refused"))
        ks = KsSession()
        rec.attach(ks.session)
        with pytest.raises(ks_exc.ConnectFailure):
            ks.get(IMAGES_URL, headers={"X-Auth-Token": TOKEN}, connect_retries=0)
    md = rec.render_markdown(error="Failed to connect")
    assert "client-xglance: GET /image/v2/images?visibility=all" in arrows(md)
    assert_no_secrets(md, TOKEN)


def test_no_exchange_at_all(tmp_path):
    rec = Recorder(["imgcli", "image", "list", "--os-password", PASSWORD])
    path = tmp_path / "trace.md"
    rec.write(str(path), error=f"Missing value auth-url (password was {PASSWORD})")
    md = path.read_text()
    assert md.startswith("# imgcli image list --os-password \\*\\*\\*\n")
    assert mermaid_block(md) == ["sequenceDiagram", "autonumber", "participant client as imgcli"]
    assert "No HTTP request was made." in md
    assert "(password was ***)" in md
    assert_no_secrets(md, PASSWORD)
    har = tmp_path / "t.HAR"
    rec.write(str(har), error="boom")
    doc = json.loads(har.read_text())
    check_har(doc)
    assert doc["log"]["entries"] == []


# -- attribution -----------------------------------------------------------------------------


def test_arrow_label_is_path_and_query_the_section_has_the_url():
    root = "http://glance.example:9292"
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(root, status_code=300, json=GLANCE_VERSIONS)
        m.get(root + "/v2/images/a%20b?x=1", json={})
        with requests.Session() as session:
            rec.attach(session)
            session.get(root)
            session.get(root + "/v2/images/a%20b?x=1")
    md = rec.render_markdown()
    assert [line for line in arrows(md) if line.startswith("client")] == [
        "client->>glance: GET /",
        "client->>glance: GET /v2/images/a%20b?x=1",
    ]
    assert f"### (3) GET {root}/v2/images/a%20b?x=1" in md


def test_long_arrow_label_is_broken_into_lines_at_separators():
    image, member = "d53de89a-9da8-44dc-b70c-c015f5bea293", "dba368b46ea14ab3ad85e572224e761a"
    url = f"{IMAGE_URL}/v2/images/{image}/members/{member}?a=1&bb=2"
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.delete(url, status_code=204)
        with requests.Session() as session:
            rec.attach(session)
            session.delete(url)
    label = arrows(rec.render_markdown())[0].removeprefix("client->>glance: DELETE ")
    lines = label.split("<br/>")
    assert lines == ["/image/v2/images", f"/{image}", f"/members/{member}", "?a=1&bb=2"]
    assert "".join(lines) == url.removeprefix("http://182.161.114.101")


@pytest.mark.parametrize(
    ("method", "url", "purpose"),
    [
        ("POST", IMAGE_URL + "/v2/images", "a new image record"),
        ("PATCH", IMAGE_URL + "/v2/images/i1", "the image's changes, as a JSON-Patch"),
        ("DELETE", IMAGE_URL + "/v2/images/i1", "the image's deletion"),
        ("PUT", IMAGE_URL + "/v2/images/i1/file", "the image data, uploaded"),
        ("GET", IMAGE_URL + "/v2/images/i1/file", "the image data"),
        ("PUT", IMAGE_URL + "/v2/images/i1/stage", "the image data, staged for an import"),
        ("DELETE", IMAGE_URL + "/v2/images/i1/tags/a%20b%2Ax", "removing the tag a b\\*x"),
        ("POST", IMAGE_URL + "/v2/images/i1/members", "sharing the image with a project"),
        ("DELETE", IMAGE_URL + "/v2/images/i1/members/p1", "unsharing the image with project p1"),
        ("GET", IMAGE_URL + "/v2/images/i1/members", "the image's members"),
        ("GET", AUTH_URL + "/v3/projects/demo", "the project demo"),
        ("GET", AUTH_URL + "/v3/projects?name=demo", "the ID of the project named demo"),
        # A path Glance does not have is named as it is, not guessed at.
        ("GET", IMAGE_URL + "/v2/images/i1/members/p1/x", "GET /image/v2/images/i1/members/p1/x"),
    ],
)
def test_steps_say_what_each_request_is_for(method, url, purpose):
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.register_uri(method, url, status_code=200, json={})
        with requests.Session() as session:
            rec.attach(session)
            session.request(method, url)
    assert f"- (1),(2): {purpose}" in rec.render_markdown()


def test_warm_cache_single_get_is_glance_by_url():
    rec = recorded(lambda session: session.get(IMAGES_URL, headers={"X-Auth-Token": TOKEN}))
    md = rec.render_markdown(OUTPUT)
    assert mermaid_block(md)[2:] == [
        "participant client as imgcli",
        "participant glance as glance-api",
        "client->>glance: GET /image/v2/images?visibility=all",
        "glance-->>client: Response: 200 OK",
    ]
    assert "- (1),(2): the image list; glance-api answered 200 OK." in md


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://glance.example:9292/v2/images?limit=20", "glance-api"),
        ("http://cloud.example/v2/images", "glance-api"),
        ("https://keystone.example:5000/v3/auth/tokens", "keystone-api"),
        ("https://cloud.example/v3/users", "keystone-api"),
        ("http://cloud.example/compute/v2.1/servers", "nova-api"),
        ("http://cloud.example:9696/v2.0/networks", "neutron-api"),
        ("http://203.0.113.5:8080/info", "203.0.113.5-8080"),
    ],
)
def test_url_fallback_labels(url, label):
    service = attribution.service_for(url, [], [])
    assert attribution.label(service, url) == label


def test_catalog_longest_match_and_unversioned_root():
    catalog = [
        ("http://cloud.example/identity", "identity"),
        ("http://cloud.example:8774/v2.1/abc", "compute"),
        ("http://cloud.example/image", "image"),
        ("http://cloud.example/image/special", "placement"),
    ]
    service_for = attribution.service_for
    assert service_for("http://cloud.example/image/v2/images", catalog, []) == "image"
    assert service_for("http://cloud.example/image/special/x", catalog, []) == "placement"
    assert service_for("http://cloud.example/imagefoo", catalog, []) is None
    assert service_for("http://cloud.example:8774/", catalog, []) == "compute"
    bases = ["http://devstack-debug/identity"]
    assert service_for("http://devstack-debug/identity", catalog, bases) == "identity"
    assert attribution.label("orchestration", "") == "heat-api"
    assert attribution.label("container-infra", "") == "container-infra-api"


def test_pagination_and_custom_catalog_service():
    rec = Recorder(ARGV)
    page2 = IMAGE_URL + "/v2/images?visibility=all&marker=9c31f2c6"
    with requests_mock.Mocker() as m:
        register_seed(m)
        m.get(page2, json={"images": []})
        with requests.Session() as session:
            rec.attach(session)
            run_seed(session)
            session.get(page2, headers={"X-Auth-Token": TOKEN})
    md = rec.render_markdown(OUTPUT)
    assert "- (9),(10): the next page of images; glance-api answered 200 OK." in md
    assert "### (10) 200 OK" in md


# -- redaction -------------------------------------------------------------------------------


def test_redact_json_rules():
    secrets = redact.Secrets()
    body = {
        "auth": {
            "identity": {
                "methods": ["token", "application_credential", "totp"],
                "token": {"id": "tok-1234567890"},
                "application_credential": {"id": "ac-id-visible", "secret": "ac-secret-xyz"},
                "totp": {"user": {"id": "u1", "passcode": "123456"}},
            }
        },
        "token": {"id": "not-under-identity", "expires_at": "x"},
        "access": {"token": {"id": "v2-token-value"}},
        "credential": {"client_secret": "cs-value-1", "password_expires_at": "2030"},
        "list": [{"password": "in-a-list-1"}, {"token": "string-token-1"}],
        "password": None,
        "secret": True,
    }
    out = redact.redact_json(body, secrets)
    identity = out["auth"]["identity"]
    assert identity["methods"] == ["token", "application_credential", "totp"]
    assert identity["token"] == {"id": "***"}
    assert identity["application_credential"] == {"id": "ac-id-visible", "secret": "***"}
    assert identity["totp"]["user"] == {"id": "u1", "passcode": "***"}
    assert out["token"] == {"id": "not-under-identity", "expires_at": "x"}
    assert out["access"]["token"]["id"] == "***"
    assert out["credential"] == {"client_secret": "***", "password_expires_at": "2030"}
    assert out["list"] == [{"password": "***"}, {"token": "***"}]
    assert out["password"] is None and out["secret"] is True
    scrubbed = secrets("leak tok-1234567890 ac-secret-xyz v2-token-value in-a-list-1")
    assert scrubbed == "leak *** *** *** ***"


def test_headers_digested_like_keystoneauth():
    secrets = redact.Secrets()
    for name in ("X-Auth-Token", "x-subject-token", "X-Service-Token", "Authorization"):
        value = f"value-of-{name}-0123456789"
        assert (
            redact.redact_header(name, value, secrets)
            == KsSession._process_header((name, value))[1]
        )
    assert redact.redact_header("Accept", "application/json", secrets) == "application/json"
    assert redact.redact_header("Authorization", "Bearer abcdefgh", secrets).startswith("{SHA256}")
    assert secrets("Bearer abcdefgh and abcdefgh") == (
        f"{redact.digest('Bearer abcdefgh')} and ***"
    )


def test_redact_url_query_and_userinfo():
    secrets = redact.Secrets()
    url = "https://user:hunter22@cloud.example/v3?token=tok-abcdef&x=1&os_password=pw-abcd&y=a_b"
    out = redact.redact_url(url, secrets)
    assert out == "https://user:***@cloud.example/v3?token=***&x=1&os_password=***&y=a_b"
    assert secrets("hunter22 tok-abcdef pw-abcd") == "*** *** ***"
    assert redact.redact_url(IMAGES_URL, secrets) == IMAGES_URL


def test_secrets_everywhere_in_a_full_document(tmp_path):
    """Token auth, app credentials, query tokens, echoed secrets: nothing leaks."""
    app_secret = "APPCRED-secret-0xDEADBEEF"
    query_token = "QUERYTOKEN-abcdef123"
    basic = "QmFzaWMtY3JlZGVudGlhbHM="
    rec = Recorder(["imgcli", "--os-token", TOKEN, "image", "list", f"--password={PASSWORD}"])
    token_auth = {
        "auth": {
            "identity": {
                "methods": ["token", "application_credential"],
                "token": {"id": TOKEN},
                "application_credential": {"id": "ac1", "secret": app_secret},
            }
        }
    }
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, status_code=201, json=TOKEN_BODY, headers={"X-Subject-Token": TOKEN})
        m.get(
            IMAGE_URL + "/v2/images",
            json={"message": f"echo {app_secret} {PASSWORD} {TOKEN}", "token": TOKEN},
        )
        m.post(
            AUTH_URL + "/form",
            text=f"ok {query_token}",
            headers={"Set-Cookie": "session=abcdef123456"},
        )
        with requests.Session() as session:
            rec.attach(session)
            session.post(TOKEN_URL, json=token_auth)
            session.get(
                IMAGE_URL + f"/v2/images?token={query_token}",
                headers={"X-Auth-Token": TOKEN, "Authorization": f"Basic {basic}"},
            )
            session.post(AUTH_URL + "/form", data={"user": "u", "password": PASSWORD})
    for suffix in ("md", "har"):
        path = tmp_path / f"trace.{suffix}"
        rec.write(str(path), output=f"printed {TOKEN}", error=f"failed with {app_secret}")
        text = path.read_text()
        assert_no_secrets(text, TOKEN, PASSWORD, app_secret, query_token, basic)
        assert ks_digest(TOKEN) in text
        assert "abcdef123456" not in text
    md = (tmp_path / "trace.md").read_text()
    assert md.startswith("# imgcli --os-token \\*\\*\\* image list --password=\\*\\*\\*\n")
    assert "user=u&password=***" in md  # a form body, redacted field by field


# -- bodies, streams, redirects ----------------------------------------------------------------


def test_streamed_body_is_not_consumed():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(
            IMAGE_URL + "/v2/images/abc/file",
            content=b"\x00\x01binary",
            headers={"Content-Type": "application/octet-stream"},
        )
        m.get(IMAGES_URL, json=IMAGES_BODY)
        with requests.Session() as session:
            rec.attach(session)
            streamed = session.get(IMAGE_URL + "/v2/images/abc/file", stream=True)
            md = rec.render_markdown()
            assert "streamed body, not read by the caller, not captured" in md
            assert streamed.content == b"\x00\x01binary"  # still there for the caller
            later = session.get(IMAGES_URL, stream=True)
            assert later.json() == IMAGES_BODY  # caller read it: now it can be shown
    md = rec.render_markdown()
    assert "<8 bytes of application/octet-stream, not shown>" in md
    assert '"trove-guest-ubuntu-focal"' in md


def test_redirects_recorded_once_in_order():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGE_URL + "/v2", status_code=301, headers={"Location": IMAGE_URL + "/v2/"})
        m.get(IMAGE_URL + "/v2/", json={"ok": True})
        with requests.Session() as session:
            rec.attach(session)
            resp = session.get(IMAGE_URL + "/v2")
    assert len(resp.history) == 1
    rec.record(resp)  # the hook may be handed a response whose history it already saw
    assert [e.response.status_code for e in rec.exchanges] == [301, 200]
    har = json.loads(rec.render_har())
    assert har["log"]["entries"][0]["response"]["redirectURL"] == IMAGE_URL + "/v2/"


def test_history_not_seen_by_hook_is_recorded_first():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGE_URL + "/v2", status_code=302, headers={"Location": IMAGE_URL + "/v2/"})
        m.get(IMAGE_URL + "/v2/", json={})
        with requests.Session() as session:  # no attach: record() is called by hand
            resp = session.get(IMAGE_URL + "/v2")
    rec.record(resp)
    assert [e.response.status_code for e in rec.exchanges] == [302, 200]


def test_bodies_with_backticks_and_text_keep_fences_intact():
    rec = Recorder(ARGV)
    nasty = "line one\n```\n## not a heading\n````\nend"
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, text=nasty, headers={"Content-Type": "text/plain"})
        with requests.Session() as session:
            rec.attach(session)
            session.get(IMAGES_URL)
    md = rec.render_markdown("out ``` put")
    assert '    ````` text title=""\n    line one\n    ```\n' in md
    assert re.findall(r"^## .*$", md, re.MULTILINE) == [
        "## Sequence Diagram",
        "## Steps",
        "## Request/Response",
        "## Output",
    ]
    assert '```` text title="table format"\nout ``` put\n````' in md


def test_output_format_follows_argv():
    rec = Recorder(["imgcli", "image", "list", "-f", "json"])
    assert '``` text title="json format"' in rec.render_markdown("[]")


def test_record_is_cheap_and_keeps_references_only(seed_recorder):
    ex = seed_recorder.exchanges[3]
    assert isinstance(ex.response, requests.Response)
    assert ex.request is ex.response.request
    assert ex.elapsed >= 0


def test_attach_is_idempotent():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, json={})
        with requests.Session() as session:
            rec.attach(session)
            rec.attach(session)
            session.get(IMAGES_URL)
    assert len(rec.exchanges) == 1


def test_keystoneauth_session_produces_the_seed_sequence():
    """A real keystoneauth Session (password auth, discovery) with the recorder attached."""
    from keystoneauth1.identity import generic

    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        register_seed(m)
        auth = generic.Password(
            auth_url=AUTH_URL,
            username="admin",
            password=PASSWORD,
            project_name="admin",
            user_domain_name="Default",
            project_domain_name="Default",
        )
        ks = KsSession(auth=auth)
        rec.attach(ks.session)
        resp = ks.get(
            "/images",
            endpoint_filter={"service_type": "image", "interface": "public", "version": "2"},
            params={"visibility": "all"},
        )
        assert resp.json() == IMAGES_BODY
    md = rec.render_markdown(OUTPUT)
    got = arrows(md)
    # Version discovery, token, image discovery, list: exactly the seed's 8 messages.
    assert got == SEED_ARROWS, "\n".join(got)
    assert_no_secrets(md, TOKEN, PASSWORD)
    assert_no_secrets(rec.render_har(OUTPUT), TOKEN, PASSWORD)


# -- mkdocs --------------------------------------------------------------------------------------


def _mkdocs() -> str | None:
    return os.environ.get("IMGCLI_MKDOCS") or shutil.which("mkdocs")


@pytest.mark.skipif(_mkdocs() is None, reason="mkdocs-material not installed")
def test_mkdocs_build_strict(seed_recorder, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# traces\n\n- [seed](seed.md)\n- [failed](failed.md)\n")
    seed_recorder.write(str(docs / "seed.md"), OUTPUT)
    failed = Recorder(ARGV)
    request = requests.Request("GET", IMAGES_URL, headers={"X-Auth-Token": TOKEN}).prepare()
    failed.record_failure(request, requests.exceptions.ConnectionError("refused; #1"))
    failed.write(str(docs / "failed.md"), error="boom ``` <b>")
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(
            """\
            site_name: traces
            theme:
              name: material
            nav:
              - index.md
              - seed.md
              - failed.md
            markdown_extensions:
              - admonition
              - pymdownx.tabbed:
                  alternate_style: true
              - pymdownx.superfences:
                  custom_fences:
                    - name: mermaid
                      class: mermaid
                      format: !!python/name:pymdownx.superfences.fence_code_format
            """
        )
    )
    result = subprocess.run(
        [_mkdocs(), "build", "--strict", "-q", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "seed" / "index.html").read_text()
    assert 'class="mermaid"' in html
    assert html.count('class="tabbed-set') == 8  # one tab set per message
    assert "<b>" not in (tmp_path / "site" / "failed" / "index.html").read_text()


def test_per_request_hooks_do_not_hide_requests():
    """A request's own hooks replace the session's in requests; the send wrapper still records."""
    rec = Recorder(ARGV)
    seen = []
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, json=IMAGES_BODY)
        with requests.Session() as session:
            rec.attach(session)
            session.get(IMAGES_URL, hooks={"response": [lambda r, **kw: seen.append(r)]})
    assert len(seen) == 1 and len(rec.exchanges) == 1
    assert '"cirros-0.5.1-x86_64-disk"' in rec.render_markdown()


def test_module_imports_only_stdlib():
    code = "import sys, imgcli.trace; print('requests' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_bytes_header_value_digested_like_a_string():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, json={})
        with requests.Session() as session:
            rec.attach(session)
            session.get(IMAGES_URL, headers={"X-Auth-Token": TOKEN.encode()})
    md = rec.render_markdown()
    assert f"X-Auth-Token: {ks_digest(TOKEN)}" in md
    assert_no_secrets(md, TOKEN)
